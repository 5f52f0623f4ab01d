#pragma once
// Framing of the ETSI TS 102 225 secured packets as 3GPP TS 31.115 lays them out for SMS
// (CPI/RPI travel as UDH IEs 70/71, so the packet starts at CPL/RPL, 2 octets, and there
// is no CHI/RHI):
//
//   command  CPL(2) CHL(1) SPI(2) KIc(1) KID(1) TAR(3) | CNTR(5) PCNTR(1) RC/CC/DS data pad
//   response RPL(2) RHL(1) TAR(3) | CNTR(5) PCNTR(1) Status(1) RC/CC/DS data pad
//
// CHL = 13 + len(RC/CC/DS) (SPI..PCNTR plus the checksum), CPL = 1 + CHL + data + padding
// (TS 102 225 §5.1, pycrate TS31115); RHL = 10 + len(RC/CC/DS), RPL = 1 + RHL + data +
// padding (§5.2, checked against real SJA5 PoRs in pySim's test_ota.py). Everything right
// of "|" may be ciphered, so this file only parses the clear header and locates that part;
// secure/scp80.hpp deciphers and verifies.

#include <cstddef>
#include <cstdint>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace otaflow::codec {

/// Largest value of the 5-octet counter CNTR.
inline constexpr std::uint64_t max_counter = 0xFF'FFFF'FFFFULL;
/// CHL without RC/CC/DS: SPI(2) KIc KID TAR(3) CNTR(5) PCNTR.
inline constexpr std::size_t command_header_min = 13;
/// RHL without RC/CC/DS: TAR(3) CNTR(5) PCNTR Status.
inline constexpr std::size_t response_header_min = 10;
/// Clear octets of a command packet before CNTR: CPL(2) CHL SPI(2) KIc KID TAR(3).
inline constexpr std::size_t command_clear_size = 10;
/// Clear octets of a response packet before CNTR: RPL(2) RHL TAR(3).
inline constexpr std::size_t response_clear_size = 6;

/// Response status codes (TS 102 225 §5.2; 0B/0C are reserved there for 3GPP and given
/// their meaning by TS 31.115, as pySim ota.py and pycrate TS102225 read them).
enum class por_status : std::uint8_t {
  ok = 0x00,
  rc_cc_ds_failed = 0x01,
  cntr_low = 0x02,
  cntr_high = 0x03,
  cntr_blocked = 0x04,
  ciphering_error = 0x05,
  unidentified_security_error = 0x06,  ///< PoR sent unciphered and without RC/CC/DS
  insufficient_memory = 0x07,
  more_time = 0x08,  ///< a later PoR follows
  tar_unknown = 0x09,
  insufficient_security_level = 0x0A,
  response_by_sms_submit = 0x0B,  ///< TS 31.115: actual response sent by SMS-SUBMIT
  response_by_ussd = 0x0C,        ///< TS 31.115: actual response sent by USSD
  // 0D..BF reserved for future use, C0..FE proprietary, FF reserved.
};

/// snake_case name of a status ("por_ok", "rc_cc_ds_failed", ...); "reserved" for 0D..BF
/// and FF, "proprietary" for C0..FE.
[[nodiscard]] const char* name(por_status s) noexcept;
/// The status as §5.2 words it, for people ("PoR OK", "RC/CC/DS failed", "CNTR low", ...);
/// "reserved" for 0D..BF and FF, "proprietary" for C0..FE.
[[nodiscard]] const char* describe(por_status s) noexcept;
/// Whether the status announces the actual response for later rather than being it: more
/// time (08, §5.2), response by SMS-SUBMIT (0B) or by USSD (0C) (TS 31.115 §4.4).
[[nodiscard]] constexpr bool response_follows(por_status s) noexcept {
  return s == por_status::more_time || s == por_status::response_by_sms_submit ||
         s == por_status::response_by_ussd;
}

/// Toolkit Application References (TS 101 220 Annex D, via pycrate TS31111_SAT;
/// docs/standards/ts102226-remote-apdu.md §7).
namespace tar {
inline constexpr std::uint32_t ram_isd = 0x000000;        ///< Issuer Security Domain (RAM)
inline constexpr std::uint32_t rfm_uicc = 0xB00000;       ///< UICC shared file system RFM
inline constexpr std::uint32_t rfm_adf_first = 0xB00001;  ///< RFM of an ADF (YateOTA: USIM)
inline constexpr std::uint32_t rfm_gsm = 0xB00010;        ///< SIM (GSM) file system RFM
/// USIM RFM on sysmoISIM-SJA5 (pySim test_ota.py); inside the B00010-1F SIM range of the
/// table, so keep the USIM RFM TAR per card profile (docs/standards/ts102226-remote-apdu.md §7,
/// CONFLICT).
inline constexpr std::uint32_t rfm_usim_sja5 = 0xB00011;
inline constexpr std::uint32_t usat_interpreter_first = 0xB20000;
inline constexpr std::uint32_t isd = 0xB20100;
}  // namespace tar

/// What a TAR addresses per the TS 101 220 Annex D ranges ("RFM SIM (GSM)", "RAM ISD", ...).
[[nodiscard]] const char* describe_tar(std::uint32_t tar) noexcept;

/// The clear header of a command packet and a view of its (possibly ciphered) rest.
struct command_packet_view {
  std::uint16_t cpl = 0;
  std::uint8_t chl = 0;
  std::uint16_t spi = 0;  ///< raw; decode with decode_spi (a failure is the card's status 06)
  std::uint8_t kic = 0;
  std::uint8_t kid = 0;
  std::uint32_t tar = 0;
  byte_view clear;    ///< CPL..TAR, 10 octets
  byte_view secured;  ///< CNTR..end: CNTR PCNTR RC/CC/DS data padding, ciphered or not

  /// Octets of RC/CC/DS announced by CHL.
  [[nodiscard]] std::size_t integrity_length() const noexcept { return chl - command_header_min; }
};

/// Parses the clear header of a command packet (from CPL). Errors: fewer than 10 octets,
/// CPL != size - 2, CHL < 13, or CHL larger than the packet.
[[nodiscard]] result<command_packet_view> parse_command_packet(byte_view packet);

/// The deciphered part of a command packet.
struct command_inner {
  std::uint64_t counter = 0;
  std::uint8_t pcntr = 0;
  byte_view integrity;  ///< RC/CC/DS as received
  byte_view data;       ///< secured data including the pcntr padding octets
  /// The secured data without its padding.
  [[nodiscard]] byte_view unpadded() const noexcept { return data.first(data.size() - pcntr); }
};

/// Splits the plain CNTR..end part. Errors when it is shorter than CNTR, PCNTR and the
/// checksum, or PCNTR exceeds the data.
[[nodiscard]] result<command_inner> parse_command_inner(byte_view plain,
                                                        std::size_t integrity_length);

/// All fields of an unciphered command packet (for tests, tools and round trips).
struct command_fields {
  std::uint16_t spi = 0;
  std::uint8_t kic = 0;
  std::uint8_t kid = 0;
  std::uint32_t tar = 0;
  std::uint64_t counter = 0;
  std::uint8_t pcntr = 0;
  bytes integrity;  ///< RC/CC/DS octets
  bytes data;       ///< secured data including padding (pcntr octets at its end)

  friend bool operator==(const command_fields&, const command_fields&) = default;
};

/// Encodes a command packet from CPL without ciphering anything. Errors when the counter
/// exceeds 40 bits, TAR 24 bits, PCNTR the data, or the packet CPL's 16 bits.
[[nodiscard]] result<bytes> encode_command_packet(const command_fields& f);
/// Decodes an unciphered command packet into its fields.
[[nodiscard]] result<command_fields> decode_command_packet(byte_view packet);

/// The clear header of a response packet and a view of its (possibly ciphered) rest.
struct response_packet_view {
  std::uint16_t rpl = 0;
  std::uint8_t rhl = 0;
  std::uint32_t tar = 0;
  byte_view clear;    ///< RPL..TAR, 6 octets
  byte_view secured;  ///< CNTR..end: CNTR PCNTR Status RC/CC/DS data padding

  /// Octets of RC/CC/DS announced by RHL.
  [[nodiscard]] std::size_t integrity_length() const noexcept { return rhl - response_header_min; }
};

/// Parses the clear header of a response packet (from RPL). Errors: fewer than 6 octets,
/// RPL != size - 2, RHL < 10, or RHL larger than the packet.
[[nodiscard]] result<response_packet_view> parse_response_packet(byte_view packet);

/// The deciphered part of a response packet.
struct response_inner {
  std::uint64_t counter = 0;
  std::uint8_t pcntr = 0;
  std::uint8_t status = 0;  ///< raw; see por_status
  byte_view integrity;
  byte_view data;  ///< including the pcntr padding octets
  /// The additional response data without its padding.
  [[nodiscard]] byte_view unpadded() const noexcept { return data.first(data.size() - pcntr); }
};

/// Splits the plain CNTR..end part of a response packet.
[[nodiscard]] result<response_inner> parse_response_inner(byte_view plain,
                                                          std::size_t integrity_length);

/// All fields of an unciphered response packet.
struct response_fields {
  std::uint32_t tar = 0;
  std::uint64_t counter = 0;
  std::uint8_t pcntr = 0;
  std::uint8_t status = 0;
  bytes integrity;
  bytes data;  ///< including padding

  friend bool operator==(const response_fields&, const response_fields&) = default;
};

/// Encodes a response packet from RPL without ciphering anything.
[[nodiscard]] result<bytes> encode_response_packet(const response_fields& f);
/// Decodes an unciphered response packet into its fields.
[[nodiscard]] result<response_fields> decode_response_packet(byte_view packet);

}  // namespace otaflow::codec
