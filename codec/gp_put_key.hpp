#pragma once
// GlobalPlatform PUT KEY (GP Card Specification v2.3 §11.8) in its basic key data format:
// the command APDU from key components that are already encrypted under the KIK (the
// ciphering and the key check values are in secure/gp_key.hpp, which needs OpenSSL), the
// parser of the command (for the card side) and of the response (KVN + KCVs) so a caller can
// check that the card holds the keys it was sent. docs/standards/globalplatform.md.
//
// Key data field per key, basic format (§11.8.2.3, Tables 11-68 to 11-71 of GP 2.3.1):
//   key type | L (BER, 80 read as 128 for old cards) | key component block | KCV length | KCV
// The key component block is the key encrypted under the KIK, either bare (its length a
// multiple of the cipher block: the DES form, `80 10 <16 octets>`) or preceded by the clear key
// length (BER) when the key was padded to the block, or when the sender chooses to (the form GP
// Amendment D implementations such as NXP's SE050 host code and GlobalPlatformPro write for
// AES: `88 11 10 <16 octets>`). A card tells them apart by the block length: not a multiple of
// the cipher block (8 DES, 16 AES) means a length comes first. docs/standards/globalplatform.md
// §6 has the sources and the one CONFLICT (pySim writes AES-128 keys bare).

#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "codec/gp_constants.hpp"
#include "codec/iso7816_apdu.hpp"

namespace otaflow::codec::gp {

/// One key of a PUT KEY key data field.
struct key_component {
  std::uint8_t type = key_type::des;       ///< key_type::des, key_type::aes, ...
  std::optional<std::uint8_t> key_length;  ///< the AES form's clear key length octet
  bytes encrypted;                         ///< the key value encrypted under the KIK
  bytes kcv;                               ///< key check value (3 octets), may be empty
  friend bool operator==(const key_component&, const key_component&) = default;
};

/// A PUT KEY command.
struct put_key_command {
  std::uint8_t replace_kvn = 0;             ///< P1: key version to replace, 00 = add a new key set
  std::uint8_t new_kvn = 0;                 ///< first octet of the data: 01..7F
  std::uint8_t first_key_id = key_id::enc;  ///< P2 b7..b1
  bool more_commands = false;               ///< P1 b8
  std::vector<key_component> keys;
  friend bool operator==(const put_key_command&, const put_key_command&) = default;
};

/// The PUT KEY command APDU (CLA 80 INS D8, Le 00); P2 b8 is set when there is more than one
/// key. Errors name the bad field (KVN or key identifier out of 1..7F, no keys, ...).
[[nodiscard]] result<command_apdu> build_put_key(const put_key_command& cmd);
/// Parses a PUT KEY command APDU in the basic format (for the card side): a key component block
/// of a DES (80..84) or AES (88) key whose length is not a multiple of the cipher block starts
/// with the clear key length; TLS-PSK (85) blocks always do; other types are kept bare.
[[nodiscard]] result<put_key_command> parse_put_key(const command_apdu& apdu);

/// The PUT KEY response data (§11.8.3): the key version number and one KCV per key.
struct put_key_response {
  std::uint8_t kvn = 0;
  std::vector<bytes> kcvs;
  friend bool operator==(const put_key_response&, const put_key_response&) = default;
};

/// Parses KVN || KCV1 || KCV2 ...; the KCVs are `kcv_len` octets each (3 by default).
[[nodiscard]] result<put_key_response> parse_put_key_response(byte_view data,
                                                              std::size_t kcv_len = kcv_length);
/// Checks a parsed response against the command sent: same new KVN, one KCV per key, each
/// equal to the KCV computed when the key was wrapped. The error names the first key that
/// differs (by position and key identifier), never a key value.
[[nodiscard]] status verify_put_key_response(const put_key_command& sent,
                                             const put_key_response& got);

}  // namespace otaflow::codec::gp
