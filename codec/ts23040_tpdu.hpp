#pragma once
// 3GPP TS 23.040 §9 transfer-layer PDUs for SMS point to point: SMS-DELIVER, SMS-SUBMIT,
// SMS-DELIVER-REPORT and SMS-SUBMIT-REPORT, with their address (§9.1.2.5), time stamp
// (§9.2.3.11) and validity period (§9.2.3.12) fields, the TS 24.011 RP address used for the
// service centre, and the TS 23.038 §4 data coding scheme rules that decide how TP-UDL counts.
//
// TP-UD is kept as raw bytes exactly as carried (UDH included when TP-UDHI is set, GSM 7-bit
// text still packed): the User Data Header itself is parsed by codec/ts23040_udh.hpp.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace otaflow::codec::tpdu {

// ---- Constants -------------------------------------------------------------------------------

/// TP-MTI values (§9.2.3.1, bits 1..0 of the first octet). The meaning depends on direction:
/// 00 is SMS-DELIVER from the SC and SMS-DELIVER-REPORT from the MS, 01 is SMS-SUBMIT from the
/// MS and SMS-SUBMIT-REPORT from the SC, 10 is SMS-STATUS-REPORT / SMS-COMMAND (not handled).
inline constexpr std::uint8_t mti_deliver = 0x00;
inline constexpr std::uint8_t mti_submit = 0x01;
inline constexpr std::uint8_t mti_status_report = 0x02;
inline constexpr std::uint8_t mti_mask = 0x03;

/// Bits of the first octet (§9.2.2.1, §9.2.2.2, §9.2.3.2 - §9.2.3.5, §9.2.3.17, §9.2.3.23,
/// §9.2.3.25, §9.2.3.28).
namespace first_octet {
inline constexpr std::uint8_t mms = 0x04;       ///< TP-MMS (DELIVER): 0 = more messages waiting
inline constexpr std::uint8_t rd = 0x04;        ///< TP-RD (SUBMIT): reject duplicates
inline constexpr std::uint8_t lp = 0x08;        ///< TP-LP (DELIVER): loop prevention
inline constexpr std::uint8_t vpf_mask = 0x18;  ///< TP-VPF (SUBMIT), bits 4..3
inline constexpr std::uint8_t sri = 0x20;       ///< TP-SRI (DELIVER): status report indication
inline constexpr std::uint8_t srr = 0x20;       ///< TP-SRR (SUBMIT): status report request
inline constexpr std::uint8_t udhi = 0x40;      ///< TP-UDHI: TP-UD starts with a header
inline constexpr std::uint8_t rp = 0x80;        ///< TP-RP: reply path
}  // namespace first_octet

/// Type of number, bits 7..5 of the type-of-address octet (§9.1.2.5).
namespace ton {
inline constexpr std::uint8_t unknown = 0;
inline constexpr std::uint8_t international = 1;
inline constexpr std::uint8_t national = 2;
inline constexpr std::uint8_t network_specific = 3;
inline constexpr std::uint8_t subscriber = 4;
inline constexpr std::uint8_t alphanumeric = 5;  ///< GSM 7-bit packed text (§9.1.2.5)
inline constexpr std::uint8_t abbreviated = 6;
}  // namespace ton

/// Numbering plan identification, bits 4..1 of the type-of-address octet (§9.1.2.5).
namespace npi {
inline constexpr std::uint8_t unknown = 0;
inline constexpr std::uint8_t isdn = 1;  ///< ISDN/telephone numbering plan (E.164/E.163)
inline constexpr std::uint8_t data = 3;  ///< X.121
inline constexpr std::uint8_t telex = 4;
inline constexpr std::uint8_t sc_specific_5 = 5;
inline constexpr std::uint8_t sc_specific_6 = 6;
inline constexpr std::uint8_t national = 8;
inline constexpr std::uint8_t private_plan = 9;
inline constexpr std::uint8_t ermes = 10;
}  // namespace npi

/// TP-PID values used here (§9.2.3.9).
inline constexpr std::uint8_t pid_default = 0x00;
/// (U)SIM data download: the ME hands the SM to the UICC (TS 31.111 §7.1.1).
inline constexpr std::uint8_t pid_usim_data_download = 0x7F;
inline constexpr std::uint8_t pid_me_data_download = 0x7D;

/// TP-DCS values used here (TS 23.038 §4).
inline constexpr std::uint8_t dcs_gsm7 = 0x00;
/// Group 00xx, no message class, 8-bit data.
inline constexpr std::uint8_t dcs_8bit = 0x04;
/// Group 00xx, no message class, UCS2 (the same value as SMPP's data_coding UCS2).
inline constexpr std::uint8_t dcs_ucs2 = 0x08;
/// Group 00xx, class meaning, 8-bit data, class 2 ((U)SIM specific).
inline constexpr std::uint8_t dcs_8bit_class2 = 0x16;
/// Group 1111, 8-bit data, class 2 (what pySim sends).
inline constexpr std::uint8_t dcs_8bit_class2_f = 0xF6;

/// TP-FCS values (§9.2.3.22) a UICC/ME reports for SMS-PP download.
inline constexpr std::uint8_t fcs_memory_capacity_exceeded = 0xD3;
inline constexpr std::uint8_t fcs_usat_busy = 0xD4;                 ///< (U)SIM Toolkit busy
inline constexpr std::uint8_t fcs_usim_data_download_error = 0xD5;  ///< (U)SIM download error
inline constexpr std::uint8_t fcs_unspecified = 0xFF;

/// TP-PI bits (§9.2.3.27).
namespace pi {
inline constexpr std::uint8_t pid = 0x01;
inline constexpr std::uint8_t dcs = 0x02;
inline constexpr std::uint8_t udl = 0x04;
inline constexpr std::uint8_t extension = 0x80;  ///< another TP-PI octet follows
}  // namespace pi

/// Largest TP-UD: 140 octets, i.e. 160 septets of GSM 7-bit text (§9.2.3.16, §9.2.3.24).
inline constexpr std::size_t max_ud_octets = 140;
inline constexpr std::size_t max_ud_septets = 160;
/// An address value holds at most 10 octets, i.e. 20 semi-octets (§9.1.2.5: 2-12 octets).
inline constexpr std::size_t max_address_digits = 20;

// ---- Addresses -------------------------------------------------------------------------------

/// A TP-OA/TP-DA (or RP service centre) address.
struct address {
  std::uint8_t ton = ton::international;  ///< 0..7
  std::uint8_t npi = npi::isdn;           ///< 0..15
  /// Digits 0-9 plus '*', '#', 'a', 'b', 'c' (semi-octets A-E, §9.1.2.3); for TON
  /// alphanumeric, the text (UTF-8 of GSM 7-bit default alphabet characters).
  std::string digits;

  bool operator==(const address&) const = default;
};

/// The type-of-address octet: extension bit 1, TON, NPI (§9.1.2.5).
[[nodiscard]] std::uint8_t type_of_address(const address& a) noexcept;

/// Reads a TP address: digit count, type of address, swapped BCD with F filler (§9.1.2.5).
[[nodiscard]] result<address> decode_address(byte_reader& in);
/// Appends a TP address (§9.1.2.5); alphanumeric addresses are packed GSM 7-bit.
[[nodiscard]] status encode_address(const address& a, byte_writer& out);

/// Reads an RP address (TS 24.011 §8.2.5.1/2: the length counts octets, 0 = no address), the
/// form of the SC address that precedes a TPDU in SMS-PP (TS 27.005 PDU mode).
[[nodiscard]] result<std::optional<address>> decode_sc_address(byte_reader& in);
/// Appends an RP address (TS 24.011 §8.2.5.1/2); nullopt writes the single octet 00.
[[nodiscard]] status encode_sc_address(const std::optional<address>& a, byte_writer& out);

// ---- Time stamps and validity ----------------------------------------------------------------

/// TP-SCTS (§9.2.3.11), also the absolute TP-VP format: local time of the SC plus its offset
/// from UTC. Years are two digits; timestamp_to_utc reads them as 2000-2099.
struct timestamp {
  std::uint8_t year = 0;  ///< 0..99
  std::uint8_t month = 1;
  std::uint8_t day = 1;
  std::uint8_t hour = 0;
  std::uint8_t minute = 0;
  std::uint8_t second = 0;
  /// Local time minus UTC in quarters of an hour, -79..79 (sign in bit 3 of the 7th octet).
  std::int8_t tz_quarters = 0;

  bool operator==(const timestamp&) const = default;
};

/// Reads 7 semi-octet pairs (§9.2.3.11); every digit must be 0-9.
[[nodiscard]] result<timestamp> decode_timestamp(byte_reader& in);
/// Appends 7 octets (§9.2.3.11); fields must be 0..99 and the zone within -79..79.
[[nodiscard]] status encode_timestamp(const timestamp& t, byte_writer& out);
/// The time stamp of a UTC instant shown in a zone tz_quarters * 15 min east of UTC.
[[nodiscard]] result<timestamp> timestamp_from_utc(std::chrono::sys_seconds utc, int tz_quarters);
/// The UTC instant a time stamp denotes (years 00-99 = 2000-2099); fails on invalid dates.
[[nodiscard]] result<std::chrono::sys_seconds> timestamp_to_utc(const timestamp& t);

/// TP-VP in relative format (§9.2.3.12.1): one octet.
struct vp_relative {
  std::uint8_t value = 0;
  bool operator==(const vp_relative&) const = default;
};
/// TP-VP in enhanced format (§9.2.3.12.3): 7 octets, kept raw (first octet = functionality).
struct vp_enhanced {
  std::array<std::uint8_t, 7> octets{};
  bool operator==(const vp_enhanced&) const = default;
};
/// TP-VP; the alternative index equals the TP-VPF code (§9.2.3.3): 0 none, 1 enhanced,
/// 2 relative, 3 absolute.
using validity_period = std::variant<std::monostate, vp_enhanced, vp_relative, timestamp>;

/// The period a relative TP-VP value stands for (§9.2.3.12.1).
[[nodiscard]] std::chrono::minutes relative_vp_duration(std::uint8_t value) noexcept;
/// The smallest relative TP-VP value covering d (255 = 63 weeks when d is longer).
[[nodiscard]] std::uint8_t relative_vp_for(std::chrono::minutes d) noexcept;

// ---- Data coding (TS 23.038 §4) --------------------------------------------------------------

/// Character set / data kind a TP-DCS selects.
enum class alphabet : std::uint8_t { gsm7, eight_bit, ucs2 };

/// The alphabet of a DCS (TS 23.038 §4); reserved codings count as GSM 7-bit, as §4 requires.
[[nodiscard]] alphabet dcs_alphabet(std::uint8_t dcs) noexcept;
/// Whether the DCS marks TP-UD as compressed (TS 23.038 §4, groups 00xx/01xx, bit 5).
[[nodiscard]] bool dcs_compressed(std::uint8_t dcs) noexcept;
/// The message class (0..3) when the DCS carries one (TS 23.038 §4).
[[nodiscard]] std::optional<std::uint8_t> dcs_message_class(std::uint8_t dcs) noexcept;
/// Whether TP-UDL counts septets (uncompressed GSM 7-bit) rather than octets (§9.2.3.16).
[[nodiscard]] bool udl_counts_septets(std::uint8_t dcs) noexcept;
/// The number of TP-UD octets a TP-UDL value stands for under a DCS (§9.2.3.16).
[[nodiscard]] std::size_t ud_octets(std::uint8_t dcs, std::uint8_t udl) noexcept;
/// The TP-UDL to send for TP-UD `ud`: its size for octet codings, `septets` for GSM 7-bit.
[[nodiscard]] std::uint8_t tp_udl(std::uint8_t dcs, const bytes& ud, std::uint8_t septets) noexcept;

// ---- GSM 7-bit default alphabet (TS 23.038 §6.1.2) -------------------------------------------

/// Packs septets (values 0..127) LSB first into octets (TS 23.038 §6.1.2.1.1).
[[nodiscard]] bytes pack_septets(std::span<const std::uint8_t> septets);
/// Unpacks `count` septets from packed octets; stops early when the octets run out.
[[nodiscard]] std::vector<std::uint8_t> unpack_septets(byte_view packed, std::size_t count);
/// UTF-8 text of default-alphabet septets (escape 1B selects the extension table).
[[nodiscard]] std::string gsm7_to_utf8(std::span<const std::uint8_t> septets);
/// Septets of UTF-8 text; fails on a character outside the default alphabet and its extension.
[[nodiscard]] result<std::vector<std::uint8_t>> utf8_to_gsm7(std::string_view text);

// ---- TPDUs -----------------------------------------------------------------------------------
//
// TP-UD conventions, shared by every TPDU below:
//  - `ud` holds TP-UD as carried: UDH (when udhi) then the short message, packed if GSM 7-bit;
//  - `ud_septets` is TP-UDL when the DCS is uncompressed GSM 7-bit (then ud.size() must be
//    ceil(ud_septets * 7 / 8)); for octet codings TP-UDL is ud.size() and ud_septets must be 0.

/// SMS-DELIVER (§9.2.2.1), SC -> MS.
struct sms_deliver {
  bool mms = false;   ///< TP-MMS bit as sent: false = more messages are waiting in the SC
  bool lp = false;    ///< TP-LP
  bool sri = false;   ///< TP-SRI
  bool udhi = false;  ///< TP-UDHI
  bool rp = false;    ///< TP-RP
  address oa;         ///< TP-OA
  std::uint8_t pid = pid_default;
  std::uint8_t dcs = dcs_gsm7;
  timestamp scts;
  bytes ud;
  std::uint8_t ud_septets = 0;

  bool operator==(const sms_deliver&) const = default;
};

/// SMS-SUBMIT (§9.2.2.2), MS -> SC.
struct sms_submit {
  bool rd = false;      ///< TP-RD
  bool srr = false;     ///< TP-SRR
  bool udhi = false;    ///< TP-UDHI
  bool rp = false;      ///< TP-RP
  std::uint8_t mr = 0;  ///< TP-MR
  address da;           ///< TP-DA
  std::uint8_t pid = pid_default;
  std::uint8_t dcs = dcs_gsm7;
  validity_period vp;  ///< TP-VPF follows from the alternative
  bytes ud;
  std::uint8_t ud_septets = 0;

  bool operator==(const sms_submit&) const = default;
};

/// SMS-DELIVER-REPORT (§9.2.2.1a), MS -> SC, in its RP-ACK or RP-ERROR form. The form is not
/// visible in the TPDU (the RP layer tells it), so decoding takes it as an argument.
struct sms_deliver_report {
  std::optional<std::uint8_t> fcs;  ///< TP-FCS: present exactly in the RP-ERROR form
  bool udhi = false;
  std::optional<std::uint8_t> pid;  ///< TP-PID when TP-PI says so
  std::optional<std::uint8_t> dcs;  ///< TP-DCS when TP-PI says so (absent = 0x00 for TP-UDL)
  std::optional<bytes> ud;          ///< TP-UDL + TP-UD when TP-PI says so
  std::uint8_t ud_septets = 0;

  bool operator==(const sms_deliver_report&) const = default;
};

/// SMS-SUBMIT-REPORT (§9.2.2.2a), SC -> MS, RP-ACK or RP-ERROR form.
struct sms_submit_report {
  std::optional<std::uint8_t> fcs;  ///< TP-FCS: present exactly in the RP-ERROR form
  bool udhi = false;
  timestamp scts;
  std::optional<std::uint8_t> pid;
  std::optional<std::uint8_t> dcs;
  std::optional<bytes> ud;
  std::uint8_t ud_septets = 0;

  bool operator==(const sms_submit_report&) const = default;
};

/// The TP-MTI of a TPDU (its first octet's bits 1..0).
[[nodiscard]] result<std::uint8_t> message_type(byte_view tpdu);

/// Decodes a whole SMS-DELIVER TPDU (no SC address in front); trailing octets are an error.
[[nodiscard]] result<sms_deliver> decode_deliver(byte_view tpdu);
/// Decodes a whole SMS-SUBMIT TPDU.
[[nodiscard]] result<sms_submit> decode_submit(byte_view tpdu);
/// Decodes a whole SMS-DELIVER-REPORT; rp_error selects the form carrying TP-FCS.
[[nodiscard]] result<sms_deliver_report> decode_deliver_report(byte_view tpdu, bool rp_error);
/// Decodes a whole SMS-SUBMIT-REPORT; rp_error selects the form carrying TP-FCS.
[[nodiscard]] result<sms_submit_report> decode_submit_report(byte_view tpdu, bool rp_error);

/// Appends an SMS-DELIVER; on error nothing is appended.
[[nodiscard]] status encode(const sms_deliver& t, byte_writer& out);
/// Appends an SMS-SUBMIT; on error nothing is appended.
[[nodiscard]] status encode(const sms_submit& t, byte_writer& out);
/// Appends an SMS-DELIVER-REPORT; on error nothing is appended.
[[nodiscard]] status encode(const sms_deliver_report& t, byte_writer& out);
/// Appends an SMS-SUBMIT-REPORT; on error nothing is appended.
[[nodiscard]] status encode(const sms_submit_report& t, byte_writer& out);

/// The bytes of any of the TPDUs above.
template <class Tpdu>
[[nodiscard]] result<bytes> encode(const Tpdu& t) {
  byte_writer w;
  OTAFLOW_TRY(encode(t, w));
  return w.take();
}

}  // namespace otaflow::codec::tpdu
