#pragma once
// Cryptography of the otaflow key rotation file (layout: codec/otaflow_keyfile.hpp, format
// description: docs/formats/key-rotation-file.md). The platform seals a new Ki and OPc under
// the card's KIK with the AES key wrap of RFC 3394 (OpenSSL "id-aes128-wrap"), whose
// integrity check value (A6A6A6A6A6A6A6A6) authenticates header and keys together; the
// card opens the file, checks that the wrapped header equals the clear one, that the key
// check value matches and that the sequence number moves forward.
//
// No key byte ever appears in an error message.

#include <array>
#include <cstdint>
#include <span>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "codec/otaflow_keyfile.hpp"

namespace otaflow::secure {

/// A subscriber's MILENAGE secrets. Wiped when destroyed.
struct subscriber_keys {
  std::array<std::uint8_t, 16> ki{};
  std::array<std::uint8_t, 16> opc{};

  subscriber_keys() = default;
  subscriber_keys(const subscriber_keys&) = default;
  subscriber_keys& operator=(const subscriber_keys&) = default;
  ~subscriber_keys() {
    secure_wipe(ki);
    secure_wipe(opc);
  }
};

/// What the card learns from a valid file.
struct opened_key_file {
  codec::keyfile::header hdr;
  subscriber_keys keys;
};

/// Fills `out` from OpenSSL's CSPRNG (RAND_bytes): new Ki/OPc for a key rotation.
[[nodiscard]] status random_bytes(std::span<std::uint8_t> out);
/// New random keys: fresh Ki when `ki`, fresh OPc when `opc`; the others keep `current`'s.
[[nodiscard]] result<subscriber_keys> draw_subscriber_keys(const subscriber_keys& current, bool ki,
                                                           bool opc);

/// Key check value: the first 3 bytes of AES-128(key, 16 zero bytes).
[[nodiscard]] result<std::array<std::uint8_t, 3>> key_check_value(byte_view key);

/// RFC 3394 AES key wrap with the default IV; kek is 16, 24 or 32 bytes, plain a multiple
/// of 8 bytes and at least 16.
[[nodiscard]] result<bytes> aes_key_wrap(byte_view kek, byte_view plain);
/// RFC 3394 unwrap; fails with errc::verification when the integrity check fails.
[[nodiscard]] result<bytes> aes_key_unwrap(byte_view kek, byte_view wrapped);

/// Builds the 64-byte image of EF 6F01 for UPDATE BINARY: header + KW(KIK, header||Ki||OPc)
/// + KCV(Ki). kik must be 16 bytes (algorithm 01).
[[nodiscard]] result<bytes> seal_key_file(byte_view kik, const codec::keyfile::header& hdr,
                                          const subscriber_keys& keys);

/// Opens a file image on the card side. last_sequence is the sequence of the last file the
/// card applied (0 if none); the file must carry a strictly greater one (anti-replay).
/// Errors: errc::not_found (erased file), errc::verification (wrong KIK or tampered bytes,
/// header mismatch, KCV mismatch), errc::conflict (replayed or old sequence), decode errors.
[[nodiscard]] result<opened_key_file> open_key_file(byte_view kik, byte_view image,
                                                    std::uint32_t last_sequence);

}  // namespace otaflow::secure
