#pragma once
// GlobalPlatform PUT KEY key material (GP Card Specification v2.3 §11.8.2.3, Amendment D for
// AES): new keys encrypted under the key-encryption key (KIK, the DEK of the key set) and their
// key check values. The command framing is codec/gp_put_key.hpp. docs/standards/globalplatform.md.
//
//   DES (type 80): the 16-octet key is ciphered with 2-key 3DES in ECB mode under the 16-octet
//   KIK; KCV = the first 3 octets of 3DES-ECB(key, 8 x 00).
//   AES (type 88): the key (16, 24 or 32 octets; 24 zero-padded to 32) is ciphered with AES-CBC,
//   zero ICV, under the KIK (16/24/32 octets): for a 16-octet key that is AES-ECB of its one
//   block; by default the clear key length goes before it (`88 11 10 <16>`, the Amendment D
//   form), gp_aes_form::bare leaves it out (`88 10 <16>`, GP 2.3.1 Table 11-71, what pySim
//   writes); KCV = the first 3 octets of AES-ECB(key, 16 x 01).
// Errors name the key by position and length, never its value.

#include <cstdint>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "codec/gp_put_key.hpp"
#include "codec/iso7816_apdu.hpp"

namespace otaflow::secure {

/// The key family of a PUT KEY.
enum class gp_key_kind : std::uint8_t { des, aes };

/// How an AES key component block is written (codec/gp_put_key.hpp).
enum class gp_aes_form : std::uint8_t { length_prefixed, bare };

/// The key check value (3 octets) of a DES (16 octets) or AES (16/24/32 octets) key.
[[nodiscard]] result<bytes> gp_kcv(gp_key_kind kind, byte_view key);

/// Wraps one key for PUT KEY: its type, the encrypted value (with the AES length octet) and
/// the KCV. `index` (0-based) only names the key in errors.
[[nodiscard]] result<codec::gp::key_component> gp_wrap_key(
    gp_key_kind kind, byte_view kik, byte_view key, std::size_t index = 0,
    gp_aes_form form = gp_aes_form::length_prefixed);
/// Recovers a key from a component (the card side of PUT KEY) and checks its KCV when the
/// component carries one.
[[nodiscard]] result<bytes> gp_unwrap_key(byte_view kik, const codec::gp::key_component& k);

/// What a PUT KEY command is asked to do.
struct gp_put_key_request {
  gp_key_kind kind = gp_key_kind::des;
  gp_aes_form aes_form = gp_aes_form::length_prefixed;
  std::uint8_t new_kvn = 0;      ///< 01..7F
  std::uint8_t replace_kvn = 0;  ///< 00 = a new key set
  std::uint8_t first_key_id = codec::gp::key_id::enc;
  byte_view kik;
  std::vector<byte_view> keys;  ///< in key identifier order (ENC, MAC, DEK for a key set)
};

/// The PUT KEY command (and, in `sent`, the components with their KCVs to check the card's
/// response against with codec::gp::verify_put_key_response).
[[nodiscard]] result<codec::command_apdu> gp_put_key(const gp_put_key_request& req,
                                                     codec::gp::put_key_command* sent = nullptr);

}  // namespace otaflow::secure
