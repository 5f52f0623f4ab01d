#pragma once
// Ki/OPc wrapping of card vendor key profiles (docs/key-profiles.md): a value (16 octets) is
// ciphered under a key of the card's OTA keyset (its KIK or KIc) with AES or 3DES in ECB or CBC
// mode (zero IV), optionally padded with ISO/IEC 9797-1 method 2 first. The card side unwraps
// with the same parameters. Errors name the algorithm and the lengths, never a key byte.

#include <cstdint>
#include <string_view>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace otaflow::secure {

/// Block cipher and mode of a wrapped value. 3DES takes 16 (2-key) or 24 (3-key) octet keys,
/// AES 16, 24 or 32.
enum class key_wrap_alg : std::uint8_t { aes_ecb, aes_cbc, tdes_ecb, tdes_cbc };
/// Padding before ciphering: none (the value must fill whole blocks) or ISO/IEC 9797-1
/// method 2 (80, then 00 to the block size; always adds at least one octet).
enum class key_wrap_padding : std::uint8_t { none, iso9797_m2 };

/// "aes-ecb", "aes-cbc", "3des-ecb", "3des-cbc".
[[nodiscard]] std::string_view name(key_wrap_alg a) noexcept;
/// "none", "iso9797-m2".
[[nodiscard]] std::string_view name(key_wrap_padding p) noexcept;
/// The algorithm of a name (as name() prints it).
[[nodiscard]] result<key_wrap_alg> key_wrap_alg_from(std::string_view s);
/// The padding of a name (as name() prints it).
[[nodiscard]] result<key_wrap_padding> key_wrap_padding_from(std::string_view s);

/// The cipher block size: 16 (AES) or 8 (3DES).
[[nodiscard]] std::size_t block_size(key_wrap_alg a) noexcept;
/// Octets a value of `plain_len` octets takes once wrapped; 0 when it cannot be (without
/// padding, not a whole number of blocks).
[[nodiscard]] std::size_t wrapped_size(key_wrap_alg a, key_wrap_padding p,
                                       std::size_t plain_len) noexcept;

/// Wraps `value` under `key`.
[[nodiscard]] result<bytes> wrap_value(key_wrap_alg a, key_wrap_padding p, byte_view key,
                                       byte_view value);
/// Unwraps (the card side): deciphers and, with padding, checks and removes it.
[[nodiscard]] result<bytes> unwrap_value(key_wrap_alg a, key_wrap_padding p, byte_view key,
                                         byte_view wrapped);

}  // namespace otaflow::secure
