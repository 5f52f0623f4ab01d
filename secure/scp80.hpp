#pragma once
// SCP80 secured packets (ETSI TS 102 225 §5, 3GPP TS 31.115 §4 for SMS): securing a command
// packet on the sending side, opening it on the card side, and the same for the response
// packet (PoR). Byte layout: codec/ts102225_packet.hpp. Algorithms: scp80_algorithm.hpp.
//
// Command (docs/standards/ts102225-secured-packets.md §6; pySim ota.py, gsm0348 and
// ucp_gateway agree, and pySim's test_ota.py pairs such commands with PoR-OK answers from
// real sysmoISIM-SJA5 cards):
//  - ciphering pads CNTR‖PCNTR‖RC/CC/DS‖data with zero octets to the cipher block size and
//    PCNTR counts them; without ciphering PCNTR is 0 and nothing is added;
//  - RC/CC input: CPL CHL SPI KIc KID TAR CNTR PCNTR data padding (the UDH `02 70 00` and
//    the RC/CC field itself excluded); a DES CBC-MAC zero-pads its own input further;
//  - the checksum is computed first, then CNTR..end is enciphered (zero IV). CPL..TAR stay
//    in clear.
// Response (docs/standards/ts102225-secured-packets.md §9): the same with Status after
// PCNTR; the PoR uses the keys of the command and SPI octet 2 selects its protection; the CC
// input starts with the UDH `02 71 00` by default (verified on SJA5 PoRs), optionally without
// it (gsm0348's profile option); a status 06 PoR is unciphered and has no RC/CC/DS.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <system_error>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "codec/ts102225_packet.hpp"
#include "codec/ts102225_spi.hpp"
#include "secure/scp80_algorithm.hpp"

namespace otaflow::secure {

/// Why a packet could not be opened; each code's value is the PoR status it maps to.
enum class scp80_errc {
  rc_cc_ds_failed = 0x01,
  cntr_low = 0x02,
  cntr_high = 0x03,
  cntr_blocked = 0x04,
  ciphering_error = 0x05,
  unidentified_security_error = 0x06,
};

/// The error category of scp80_errc ("scp80").
[[nodiscard]] const std::error_category& scp80_category() noexcept;
/// Makes an error_code of scp80_category.
[[nodiscard]] inline std::error_code make_error_code(scp80_errc e) noexcept {
  return {static_cast<int>(e), scp80_category()};
}
/// The PoR status an opening error calls for: an scp80_errc maps to its value, anything
/// else to 06 (unidentified security error).
[[nodiscard]] codec::por_status por_status_of(const error& e) noexcept;

/// A keyset of one key version (1..15, the high nibble of KIc/KID): the ciphering key
/// (KIc) and the checksum key (KID). KIc/KID's low nibble picks the algorithms.
struct keyset {
  std::uint8_t version = 0;
  bytes kic_key;
  bytes kid_key;
};

/// Everything that secures one command packet besides its data. Keys are views: they must
/// outlive the call.
struct command_params {
  codec::spi spi;
  std::uint8_t kic = 0;
  std::uint8_t kid = 0;
  std::uint32_t tar = 0;      ///< 24 bits
  std::uint64_t counter = 0;  ///< 40 bits
  byte_view kic_key;          ///< needed when spi.ciphered
  byte_view kid_key;          ///< needed when spi.command_integrity is cc
  std::size_t cc_length = 8;  ///< CC octets: 4..8 for DES/3DES, 4..16 for AES-CMAC
};

/// Builds the secured command packet (from CPL) around secured_data. Errors: DS asked
/// (unsupported), KIc/KID naming an algorithm this build lacks, key lengths, CC length,
/// counter or TAR out of range, CPL over 65535.
[[nodiscard]] result<bytes> secure_command(const command_params& p, byte_view secured_data);

/// One command of a batch.
struct command_request {
  command_params params;
  byte_view data;
};

/// Secures many commands at once: the CC and ciphering work is grouped into cc_job and
/// cipher_job spans for the backend (the engine's crypto stage calls this with thousands).
/// results[i] belongs to requests[i] and equals secure_command(requests[i]...).
[[nodiscard]] std::vector<result<bytes>> secure_commands(std::span<const command_request> requests,
                                                         crypto_backend& backend);

/// Finds the keyset of a key version for a TAR on the card side; nullptr when none.
using key_lookup = std::function<const keyset*(std::uint32_t tar, std::uint8_t key_version)>;

/// The fields of a command packet as the card sees them after opening it.
struct opened_command {
  codec::spi spi;
  std::uint16_t spi_raw = 0;
  std::uint8_t kic = 0;
  std::uint8_t kid = 0;
  std::uint32_t tar = 0;
  std::uint64_t counter = 0;
  std::uint8_t pcntr = 0;
  bytes integrity;  ///< RC/CC/DS as received
  bytes data;       ///< secured data without padding
};

/// The full outcome of opening a command: the PoR status to answer with and the fields
/// decoded as far as opening got (the card echoes TAR and CNTR in an error PoR).
struct command_report {
  codec::por_status status = codec::por_status::ok;
  error failure;               ///< why, when status is not ok (code: scp80_errc)
  bool header_known = false;   ///< spi_raw, kic, kid, tar are set
  bool counter_known = false;  ///< counter, pcntr, integrity are set (deciphered)
  opened_command command;      ///< data is set only when status is ok
};

/// Opens a command packet (from CPL) on the card side: parses it, looks the keys up by
/// TAR and the KIc/KID key versions, deciphers, verifies RC/CC in constant time. Status
/// 01 for a checksum mismatch, 05 when deciphering fails or yields an impossible PCNTR, 06
/// for anything not understood (bad framing, reserved SPI bits, unknown algorithm or
/// keyset, DS, a checksum length that does not fit the algorithm). TAR unknown (09) and the
/// counter check are the caller's (see check_counter).
[[nodiscard]] command_report inspect_command(byte_view packet, const key_lookup& keys);
/// One command packet of a batch to open, with the key lookup of its card.
struct command_to_inspect {
  byte_view packet;  ///< from CPL; must outlive the call
  key_lookup keys;
};

/// Opens many command packets at once (the card side of many cards, e.g. the simulator's
/// fleet): every deciphering, then every CC, runs as cipher_job / cc_job spans on backend.
/// reports[i] belongs to items[i] and equals inspect_command(items[i].packet, items[i].keys)
/// (statuses, fields and data; failure messages of a crypto step may word the reason
/// differently).
[[nodiscard]] std::vector<command_report> inspect_commands(
    std::span<const command_to_inspect> items, crypto_backend& backend);
/// inspect_command as a result: the opened command, or the failure (see por_status_of).
[[nodiscard]] result<opened_command> open_command(byte_view packet, const key_lookup& keys);

/// The card's counter check (TS 102 225 §5.1.1 SPI b5-b4): none and no_check accept;
/// higher wants received > stored; one_higher wants received == stored + 1. Otherwise 02
/// (CNTR low) when received <= stored, 03 (CNTR high) when it skips ahead; 04 (blocked)
/// when stored has reached the 40-bit maximum, so no higher value exists (our reading).
[[nodiscard]] codec::por_status check_counter(codec::counter_mode mode, std::uint64_t stored,
                                              std::uint64_t received) noexcept;

/// Which octets precede RPL in the PoR RC/CC input.
enum class por_cc_input : std::uint8_t {
  with_udh,     ///< 02 71 00 ‖ RPL ... (pySim; real SJA5 cards)
  without_udh,  ///< RPL ... (gsm0348's "lengths only" profile)
};

/// The protection of a PoR: the SPI, KIc, KID and keys of the command it answers.
struct response_security {
  codec::spi spi;
  std::uint8_t kic = 0;
  std::uint8_t kid = 0;
  byte_view kic_key;
  byte_view kid_key;
  std::size_t cc_length = 8;  ///< when securing; opening takes it from RHL
  por_cc_input cc_input = por_cc_input::with_udh;
};

/// Everything that secures one response packet besides its data.
struct response_params {
  response_security security;
  std::uint32_t tar = 0;
  std::uint64_t counter = 0;
  codec::por_status status = codec::por_status::ok;
};

/// Builds the response packet (from RPL, without the UDH) around data (e.g. the TS 102 226
/// response). SPI octet 2 picks ciphering and RC/CC; status 06 is always sent unciphered
/// and without RC/CC/DS.
[[nodiscard]] result<bytes> secure_response(const response_params& p, byte_view data);

/// The fields of an opened response packet.
struct opened_response {
  std::uint32_t tar = 0;
  std::uint64_t counter = 0;
  std::uint8_t pcntr = 0;
  codec::por_status status = codec::por_status::ok;
  bytes integrity;
  bytes data;           ///< without padding
  bool secured = true;  ///< false: an unsecured error PoR, accepted (see open_response)
};

/// The full outcome of opening a response: valid or not, and the fields as far as known.
struct response_report {
  bool valid = false;
  error failure;              ///< why not valid
  bool header_known = false;  ///< tar is set
  bool fields_known = false;  ///< counter, pcntr, status, data are set
  opened_response response;
};

/// Opens a response packet (from RPL) with the protection of the command it answers.
/// An error PoR (status != 00) that comes unciphered and without RC/CC/DS although SPI
/// octet 2 asked for protection is accepted with secured = false (status 06 must come so;
/// whether 01..05 may is open, and ota-tool retries such PoRs unsecured).
[[nodiscard]] response_report inspect_response(byte_view packet, const response_security& sec);
/// inspect_response as a result.
[[nodiscard]] result<opened_response> open_response(byte_view packet, const response_security& sec);

}  // namespace otaflow::secure

template <>
struct std::is_error_code_enum<otaflow::secure::scp80_errc> : std::true_type {};
