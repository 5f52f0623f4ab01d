#pragma once
// 5G subscription identifier concealment (3GPP TS 33.501 §6.12 and Annex C) on OpenSSL 3.
//
// Protection schemes (TS 33.501 Annex C.1 / C.3):
//  - null scheme (0): the scheme output is the scheme input (Annex C.2);
//  - ECIES profile A (1): X25519 ECDH, ANSI X9.63 KDF with SHA-256, AES-128-CTR, HMAC-SHA-256
//    truncated to 64 bits; ephemeral public key 32 octets (C.3.4.1);
//  - ECIES profile B (2): secp256r1 ECDH with the ephemeral public key point-compressed to 33
//    octets, same KDF, cipher and MAC (C.3.4.2).
// ECIES layout (C.3.2 / C.3.3): Z = ECDH(ephemeral, home network); K = X9.63-KDF(Z, 64 octets,
// SharedInfo1 = ephemeral public key as sent); K = enc key (16) | ICB (16) | MAC key (32);
// scheme output = ephemeral public key | AES-128-CTR(enc key, ICB, scheme input) |
// first 8 octets of HMAC-SHA-256(MAC key, ciphertext).
//
// The SUCI (TS 23.003 §2.2B) carries the SUPI type, the home network identifier, the routing
// indicator, the protection scheme id, the home network public key id and the scheme output.
// It has a binary form (the 5GS mobile identity of TS 24.501 §9.11.3.4, which the USIM's GET
// IDENTITY returns, TS 31.102 §7.5) and a string form "suci-0-<mcc>-<mnc>-<ri>-<scheme>-
// <key id>-<output>" (TS 29.503 / TS 29.571 "Suci").
//
// No secret appears in an error message. Intermediate secrets are wiped before returning.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace otaflow::secure::suci {

/// Protection Scheme Identifier (TS 33.501 Annex C.1, Table C.1-1; 4 bits in the SUCI).
enum class scheme : std::uint8_t {
  null = 0,       ///< null scheme (Annex C.2)
  profile_a = 1,  ///< ECIES profile A, Curve25519
  profile_b = 2,  ///< ECIES profile B, secp256r1
};

/// "null", "profile A", "profile B".
[[nodiscard]] const char* scheme_name(scheme s) noexcept;
/// The scheme for an identifier 0..2; 3..15 (reserved / operator specific) are unsupported.
[[nodiscard]] result<scheme> scheme_from_id(unsigned id);

/// Octets of the ephemeral public key in a scheme output: 0, 32 (A), 33 (B).
[[nodiscard]] std::size_t ephemeral_key_size(scheme s) noexcept;
/// Octets of the MAC tag in a scheme output: 0 (null) or 8 (A, B).
inline constexpr std::size_t mac_tag_size = 8;
/// Octets of a raw private key: 32 for A and B, 0 for null.
[[nodiscard]] std::size_t private_key_size(scheme s) noexcept;
/// Whether `public_key` has a valid length and form for the scheme: A: 32 octets;
/// B: 33 (02/03 | X) or 65 (04 | X | Y) octets, a point on the curve.
[[nodiscard]] status check_public_key(scheme s, byte_view public_key);

/// A raw key pair: X25519 as RFC 7748 u-coordinates; P-256 as the 32-octet big-endian scalar
/// and the SEC 1 §2.3.3 encoded point (compressed 33 octets or uncompressed 65).
struct key_pair {
  bytes private_key;
  bytes public_key;
};

/// Generates a home network key pair for profile A or B (B: compressed public key unless
/// `compressed` is false). Fails for the null scheme.
[[nodiscard]] result<key_pair> generate_key_pair(scheme s, bool compressed = true);
/// The public key of a raw private key (profile B: compressed unless `compressed` is false).
[[nodiscard]] result<bytes> public_key_of(scheme s, byte_view private_key, bool compressed = true);

/// Conceals `scheme_input` (for an IMSI SUPI the BCD MSIN, see msin_to_bcd) for the home network
/// public key. `ephemeral_private_key` fixes the ephemeral key (test vectors only); when empty a
/// fresh key is generated. The null scheme returns the input and ignores the keys.
[[nodiscard]] result<bytes> conceal(scheme s, byte_view hn_public_key, byte_view scheme_input,
                                    byte_view ephemeral_private_key = {});
/// Recovers the scheme input from a scheme output with the home network private key. The MAC
/// tag is verified (in constant time) before anything is decrypted: a mismatch is
/// errc::verification and yields no plaintext.
[[nodiscard]] result<bytes> deconceal(scheme s, byte_view hn_private_key, byte_view scheme_output);

/// MSIN digits to the scheme input of an IMSI SUPI (TS 33.501 C.3.2 / TS 24.501 §9.11.3.4:
/// BCD, low nibble first, an odd digit count padded with 'F').
[[nodiscard]] result<bytes> msin_to_bcd(std::string_view msin);
/// BCD scheme input back to MSIN digits (an 'F' may only pad the last nibble).
[[nodiscard]] result<std::string> bcd_to_msin(byte_view bcd);

// ---------------------------------------------------------------------------------------------
// SUCI (TS 23.003 §2.2B)
// ---------------------------------------------------------------------------------------------

/// SUPI type (TS 23.003 §2.2B; 3 bits of "SUPI format" in TS 24.501 §9.11.3.4).
enum class supi_type : std::uint8_t {
  imsi = 0,
  network_specific = 1,  ///< NAI with a network specific identifier
  gli = 2,               ///< global line identifier
  gci = 3,               ///< global cable identifier
};

/// A SUCI. For an IMSI SUPI the home network identifier is mcc + mnc; for the other types it is
/// the realm in `home_network` (string form only).
struct suci {
  supi_type type = supi_type::imsi;
  std::string mcc;                      ///< 3 digits (IMSI type)
  std::string mnc;                      ///< 2 or 3 digits (IMSI type)
  std::string home_network;             ///< realm / home network id for the other SUPI types
  std::string routing_indicator = "0";  ///< 1..4 decimal digits (TS 23.003 §2.2B: "0" = none)
  std::uint8_t scheme_id = 0;           ///< protection scheme identifier, 0..15
  std::uint8_t hn_key_id = 0;           ///< home network public key identifier, 0..255
  bytes scheme_output;  ///< null scheme + IMSI: the BCD MSIN; otherwise the ECIES output
  friend bool operator==(const suci&, const suci&) = default;
};

/// Checks the fields of a SUCI (digit counts, scheme id range, key id 0 for the null scheme).
[[nodiscard]] status check_suci(const suci& s);
/// Appends the 5GS mobile identity contents (TS 24.501 §9.11.3.4, octet 4 onwards) of an
/// IMSI-type SUCI: type 01, PLMN, routing indicator (BCD, F-filled), scheme id, key id, output.
/// This is also the SUCI value of the USIM's GET IDENTITY response (TS 31.102 §7.5.2).
[[nodiscard]] status encode_suci(const suci& s, byte_writer& w);
/// Parses the 5GS mobile identity contents of an IMSI-type SUCI.
[[nodiscard]] result<suci> decode_suci(byte_view data);
/// The string form "suci-0-<mcc>-<mnc>-<ri>-<scheme>-<key id>-<output>"; the output is the
/// MSIN digits for the null scheme and lower-case hex otherwise (TS 29.503 "Suci"). The other
/// SUPI types give "suci-<type>-<home network>-<ri>-...".
[[nodiscard]] result<std::string> to_string(const suci& s);
/// Parses the string form (hex in either case).
[[nodiscard]] result<suci> parse_suci(std::string_view text);

/// Builds the SUCI of an IMSI: splits it into MCC, MNC (mnc_length 2 or 3) and MSIN and
/// conceals the MSIN with `s` (hn_public_key / hn_key_id unused for the null scheme).
[[nodiscard]] result<suci> conceal_imsi(std::string_view imsi, unsigned mnc_length,
                                        std::string_view routing_indicator, scheme s,
                                        std::uint8_t hn_key_id, byte_view hn_public_key,
                                        byte_view ephemeral_private_key = {});

/// One private key of the home network's SIDF, addressed by (scheme, key id) as in the SUCI.
struct hn_private_key {
  scheme protection = scheme::profile_a;
  std::uint8_t key_id = 0;
  bytes private_key;
};

/// De-conceals an IMSI-type SUCI to the IMSI digits (MCC + MNC + MSIN), picking the private
/// key whose scheme and key id match the SUCI (keys of several generations may coexist while
/// a key rotation campaign runs). Unknown (scheme, key id) is errc::not_found.
[[nodiscard]] result<std::string> deconceal_imsi(const suci& s,
                                                 std::span<const hn_private_key> keys);

}  // namespace otaflow::secure::suci
