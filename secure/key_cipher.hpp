#pragma once
// Encryption of key material at rest: AES-256-GCM (NIST SP 800-38D) under the
// KEK, a fresh random 96-bit nonce per value, and associated data that names
// the owner of the value (ICCID + keyset), so a value copied onto another
// card's row fails authentication instead of decrypting. storage/ seals card keys and
// its KEK check value with it.
//
// Sealed layout: version (1 octet, 0x01) | nonce (12) | ciphertext | tag (16).

#include <cstddef>
#include <cstdint>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace otaflow::secure {

inline constexpr std::uint8_t sealed_version = 0x01;
inline constexpr std::size_t gcm_nonce_size = 12;
inline constexpr std::size_t gcm_tag_size = 16;
/// Octets a sealed value adds to its plaintext.
inline constexpr std::size_t sealed_overhead = 1 + gcm_nonce_size + gcm_tag_size;

/// Encrypts and authenticates plaintext under the 32-octet kek, binding aad.
[[nodiscard]] result<bytes> seal(byte_view kek, byte_view aad, byte_view plaintext);

/// Verifies and decrypts a sealed value; errc::verification if the KEK or the
/// associated data differ from those used to seal it (or the value was altered).
/// The caller wipes the returned plaintext (secure_wipe) when done with it.
[[nodiscard]] result<bytes> unseal(byte_view kek, byte_view aad, byte_view sealed);

}  // namespace otaflow::secure
