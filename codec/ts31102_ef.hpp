#pragma once
// Contents of USIM elementary files (3GPP TS 31.102 §4.2), plus the few MF / DF.TELECOM
// files a virtual card needs (EF.ICCID TS 102 221 §13.2, EF.DIR §13.1). Typed structs to and
// from the bytes READ BINARY / READ RECORD return. Decoders validate lengths and values and
// name the field that is wrong; encoders pad to the file or record size with 'FF' where the
// spec says unused bytes are 'FF'.
//
// File identifiers, sizes and access conditions: codec/ts31102_files.hpp.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "codec/ts31102_files.hpp"

namespace otaflow::codec::ts31102 {

// ---------------------------------------------------------------------------------------
// PLMN identity (TS 24.008 §10.5.1.3, referenced by TS 31.102 §4.2.5): 3 octets
//   MCC2|MCC1, MNC3|MCC3, MNC2|MNC1 (high nibble first in each pair), MNC3 = F for 2 digits.
// ---------------------------------------------------------------------------------------

/// MCC (3 digits) and MNC (2 or 3 digits) as decimal strings.
struct plmn {
  std::string mcc;
  std::string mnc;
  friend bool operator==(const plmn&, const plmn&) = default;
};

/// Checks the digit counts and that every digit is 0-9.
[[nodiscard]] status check_plmn(const plmn& p);
/// Appends the 3 octets of p.
[[nodiscard]] status encode_plmn(const plmn& p, byte_writer& w);
/// Parses 3 octets; 'FFFFFF' (an empty slot) is an error here, see decode_plmn_entry.
[[nodiscard]] result<plmn> decode_plmn(byte_view three);
/// Appends p, or 'FFFFFF' for an empty slot.
[[nodiscard]] status encode_plmn_entry(const std::optional<plmn>& p, byte_writer& w);
/// Parses 3 octets of a PLMN list where 'FFFFFF' marks an unused slot (nullopt).
[[nodiscard]] result<std::optional<plmn>> decode_plmn_entry(byte_view three);
/// The HPLMN of an IMSI: MCC = first 3 digits, MNC = next mnc_length (2 or 3) digits.
[[nodiscard]] result<plmn> plmn_from_imsi(std::string_view imsi, unsigned mnc_length);

// ---------------------------------------------------------------------------------------
// Access Technology Identifier (TS 31.102 §4.2.5), 2 octets read as a big-endian value:
// byte 1 is the high octet. Unknown / RFU bits are kept so that a file round-trips.
// ---------------------------------------------------------------------------------------
namespace act {
inline constexpr std::uint16_t utran = 0x8000;             ///< byte 1 b8
inline constexpr std::uint16_t eutran = 0x4000;            ///< byte 1 b7 (see Table 4.2.5.1)
inline constexpr std::uint16_t eutran_wb_s1 = 0x2000;      ///< byte 1 b6
inline constexpr std::uint16_t eutran_nb_s1 = 0x1000;      ///< byte 1 b5
inline constexpr std::uint16_t ngran = 0x0800;             ///< byte 1 b4
inline constexpr std::uint16_t sat_ngran = 0x0400;         ///< byte 1 b3
inline constexpr std::uint16_t sat_eutran_wb_s1 = 0x0200;  ///< byte 1 b2
inline constexpr std::uint16_t sat_eutran_nb_s1 = 0x0100;  ///< byte 1 b1
inline constexpr std::uint16_t gsm = 0x0080;               ///< byte 2 b8
inline constexpr std::uint16_t gsm_compact = 0x0040;       ///< byte 2 b7
inline constexpr std::uint16_t cdma2000_hrpd = 0x0020;     ///< byte 2 b6
inline constexpr std::uint16_t cdma2000_1xrtt = 0x0010;    ///< byte 2 b5
inline constexpr std::uint16_t ec_gsm_iot_b4 = 0x0008;     ///< byte 2 b4 (with b8: EC-GSM-IoT)
inline constexpr std::uint16_t ec_gsm_iot_b3 = 0x0004;     ///< byte 2 b3 (with b8: EC-GSM-IoT)
}  // namespace act

/// One entry of EF.PLMNwAcT / EF.OPLMNwAcT / EF.HPLMNwAcT: PLMN (nullopt = 'FFFFFF') + AcT.
struct plmn_act {
  std::optional<plmn> id;
  std::uint16_t act = 0;
  friend bool operator==(const plmn_act&, const plmn_act&) = default;
};
using plmn_act_list = std::vector<plmn_act>;

/// Parses EF.PLMNwAcT (§4.2.5), EF.OPLMNwAcT (§4.2.53) or EF.HPLMNwAcT (§4.2.54): 5n bytes.
[[nodiscard]] result<plmn_act_list> decode_plmn_act_list(byte_view data);
/// Encodes the list; file_size > 0 pads with empty entries 'FFFFFF 0000' up to file_size
/// (a multiple of 5), file_size == 0 writes exactly the entries.
[[nodiscard]] status encode_plmn_act_list(const plmn_act_list& list, std::size_t file_size,
                                          byte_writer& w);

/// EF.FPLMN (§4.2.16): 3n bytes; 'FFFFFF' slots (nullopt) may sit anywhere in the list.
using fplmn_list = std::vector<std::optional<plmn>>;
/// Parses EF.FPLMN, keeping empty slots in place.
[[nodiscard]] result<fplmn_list> decode_fplmn(byte_view data);
/// Encodes EF.FPLMN; file_size > 0 pads with 'FFFFFF' up to file_size (a multiple of 3).
[[nodiscard]] status encode_fplmn(const fplmn_list& list, std::size_t file_size, byte_writer& w);

// ---------------------------------------------------------------------------------------
// EF.IMSI (§4.2.2): byte 1 = number of following bytes used; byte 2 = digit 1 (high nibble)
// + parity b4 (1 = odd number of digits) + type b3..b1 = 001; then 2 digits per byte, low
// nibble first; 'F' filler; file size 9, unused bytes 'FF'.
// ---------------------------------------------------------------------------------------

/// Parses EF.IMSI into its digits (6..15).
[[nodiscard]] result<std::string> decode_imsi(byte_view data);
/// Appends the 9 bytes of EF.IMSI for 6..15 decimal digits.
[[nodiscard]] status encode_imsi(std::string_view digits, byte_writer& w);

// ---------------------------------------------------------------------------------------
// Alpha fields (TS 31.102 §4.2.12 for EF.SPN, §4.4.2.3 / TS 102 221 Annex A for alpha
// identifiers): SMS default 7-bit alphabet (TS 23.038 §6.2.1) one character per byte with
// b8 = 0 and 'FF' padding, or one of the UCS2 forms '80', '81', '82'.
// ---------------------------------------------------------------------------------------
enum class alpha_coding : std::uint8_t {
  gsm7,     ///< GSM default alphabet, unpacked, 'FF' padded (escape 1B for the extension table)
  ucs2_80,  ///< '80' then big-endian UCS2 characters
  ucs2_81,  ///< '81' n base/128, then GSM characters (b8 = 0) or base + b7..b1 (b8 = 1)
  ucs2_82,  ///< '82' n base(2 bytes), then as '81'
};

/// Text of an alpha field as UTF-8, with the coding it was (or is to be) stored in.
struct alpha_text {
  std::string utf8;
  alpha_coding coding = alpha_coding::gsm7;
  friend bool operator==(const alpha_text&, const alpha_text&) = default;
};

/// Decodes an alpha field of any of the four codings. An all-'FF' field is empty text.
[[nodiscard]] result<alpha_text> decode_alpha(byte_view field);
/// Encodes into exactly field_len bytes ('FF' padded). Supports gsm7 and ucs2_80 (the '81'
/// and '82' forms are decode-only); errors when the text does not fit or has a character
/// the coding cannot carry.
[[nodiscard]] status encode_alpha(const alpha_text& text, std::size_t field_len, byte_writer& w);

/// EF.SPN (§4.2.12): display condition byte + 16 bytes of name.
struct ef_spn {
  /// b1 = 1: display of the registered PLMN name is required in the HPLMN / SPDI PLMNs.
  bool plmn_name_required = false;
  /// b2 = 1: display of the SPN is not required outside the HPLMN / SPDI PLMNs.
  bool spn_not_required_outside = false;
  alpha_text name;
  friend bool operator==(const ef_spn&, const ef_spn&) = default;
};
inline constexpr std::size_t spn_size = 17;
/// Parses the 17 bytes of EF.SPN.
[[nodiscard]] result<ef_spn> decode_spn(byte_view data);
/// Appends the 17 bytes of EF.SPN.
[[nodiscard]] status encode_spn(const ef_spn& spn, byte_writer& w);

// ---------------------------------------------------------------------------------------
// EF.ACC (§4.2.15): 2 bytes, bit n of the big-endian value = ACC n (byte 1 b8 = ACC 15,
// byte 2 b1 = ACC 0). ACC 10 (byte 1 b3) is signalled by the network, never stored: 0.
// ---------------------------------------------------------------------------------------
/// Parses EF.ACC into the class bit mask.
[[nodiscard]] result<std::uint16_t> decode_acc(byte_view data);
/// Appends EF.ACC; ACC 10 set is an error.
[[nodiscard]] status encode_acc(std::uint16_t classes, byte_writer& w);
/// Common operator practice (not a spec rule): ACC = the class named by the last IMSI digit.
[[nodiscard]] std::uint16_t acc_for_imsi(std::string_view imsi) noexcept;

// ---------------------------------------------------------------------------------------
// EF.HPPLMN (§4.2.6): 1 byte, the higher priority PLMN search period in units of n minutes
// with n = 6 (TS 22.011 §3.2.2.5 / TS 23.122 §4.4.3.3: 6 minutes to 8 hours in 6 minute
// steps, '00' = no search). Values above '50' (8 h) make the ME use its default period.
// The NB-IoT / EC variant of 23.122 (2 h units) is not modelled: UNCONFIRMED.
// ---------------------------------------------------------------------------------------
inline constexpr unsigned hpplmn_unit_minutes = 6;
inline constexpr std::uint8_t hpplmn_max_value = 0x50;
/// Parses the single byte of EF.HPPLMN.
[[nodiscard]] result<std::uint8_t> decode_hpplmn(byte_view data);
/// Appends EF.HPPLMN.
void encode_hpplmn(std::uint8_t value, byte_writer& w);
/// Search period in minutes: 0 = no search, nullopt = the ME's default period.
[[nodiscard]] std::optional<unsigned> hpplmn_minutes(std::uint8_t value) noexcept;
/// The byte for a period in minutes (a multiple of 6 in 0..480).
[[nodiscard]] result<std::uint8_t> hpplmn_from_minutes(unsigned minutes);

// ---------------------------------------------------------------------------------------
// EF.LOCI (§4.2.17): TMSI(4) LAI(5) RFU(1) location update status(1).
// ---------------------------------------------------------------------------------------
enum class lu_status : std::uint8_t {
  updated = 0,
  not_updated = 1,
  plmn_not_allowed = 2,
  location_area_not_allowed = 3,
};

/// Location Area Identification (TS 24.008 §10.5.1.3): PLMN ('FFFFFF' = nullopt) and LAC.
struct location_area {
  std::optional<plmn> id;
  std::uint16_t lac = 0;
  friend bool operator==(const location_area&, const location_area&) = default;
};

/// LAC values reserved for "no valid LAI" (TS 23.003 §4.1): 0000 and FFFE.
inline constexpr std::uint16_t lac_deleted = 0xFFFE;

struct ef_loci {
  std::uint32_t tmsi = 0xFFFFFFFF;
  location_area lai;
  std::uint8_t rfu = 0xFF;
  lu_status status = lu_status::not_updated;
  friend bool operator==(const ef_loci&, const ef_loci&) = default;
};
inline constexpr std::size_t loci_size = 11;
/// Parses the 11 bytes of EF.LOCI (status b8..b4 are RFU and ignored).
[[nodiscard]] result<ef_loci> decode_loci(byte_view data);
/// Appends the 11 bytes of EF.LOCI.
[[nodiscard]] status encode_loci(const ef_loci& loci, byte_writer& w);
/// The "reset" content: TMSI 'FFFFFFFF' (no TMSI), deleted LAI (PLMN id or 'FFFFFF' for
/// the all-F convention, LAC 'FFFE'), RFU 'FF', status 01 not updated. (TS 31.102 Annex E
/// suggests HPLMN + LAC '0000' instead; an ME treats both as "no valid LAI".)
[[nodiscard]] ef_loci loci_reset(const std::optional<plmn>& id = std::nullopt);

// ---------------------------------------------------------------------------------------
// EF.SMSP (§4.2.27): linear fixed, record = alpha(Y) + indicators(1) + TP-DA(12) +
// TS-SCA(12) + PID(1) + DCS(1) + VP(1); an indicator bit 0 means "present"
// (b1 DA, b2 SCA, b3 PID, b4 DCS, b5 VP; b8..b6 reserved = 1); unused bytes 'FF'.
// ---------------------------------------------------------------------------------------

/// An SMS address: TON/NPI octet (TS 23.040 §9.1.2.5) and its BCD digits, which may hold
/// 0-9, '*', '#', 'a', 'b', 'c' (semi-octets A..E).
struct sms_address {
  std::uint8_t ton_npi = 0x91;  ///< international, ISDN/E.164
  std::string digits;
  friend bool operator==(const sms_address&, const sms_address&) = default;
};

struct ef_smsp {
  alpha_text alpha;
  std::optional<sms_address> destination;     ///< TP-DA: TS 23.040 form (length in digits)
  std::optional<sms_address> service_centre;  ///< TS-SCA: TS 24.011 form (length in octets)
  std::optional<std::uint8_t> pid;
  std::optional<std::uint8_t> dcs;
  std::optional<std::uint8_t> vp;  ///< relative format (TS 23.040 §9.2.3.12.1)
  friend bool operator==(const ef_smsp&, const ef_smsp&) = default;
};
inline constexpr std::size_t smsp_fixed_size = 28;
/// Parses one EF.SMSP record (28 + Y bytes).
[[nodiscard]] result<ef_smsp> decode_smsp(byte_view record);
/// Appends one EF.SMSP record of record_len (>= 28) bytes.
[[nodiscard]] status encode_smsp(const ef_smsp& smsp, std::size_t record_len, byte_writer& w);

// ---------------------------------------------------------------------------------------
// EF.AD (§4.2.18): UE operation mode(1), additional information(2), MNC length(1).
// ---------------------------------------------------------------------------------------
struct ef_ad {
  std::uint8_t ue_mode = 0x00;             ///< 00 normal, 80 type approval, 01, 81, 02, 04
  std::uint16_t additional = 0x0000;       ///< bytes 2-3 (byte 3 b1 = ciphering indicator)
  std::optional<std::uint8_t> mnc_length;  ///< byte 4 b4..b1: 2 or 3 (absent in old files)
  friend bool operator==(const ef_ad&, const ef_ad&) = default;
};
/// Parses EF.AD (3 or more bytes; bytes after the 4th are RFU and ignored).
[[nodiscard]] result<ef_ad> decode_ad(byte_view data);
/// Appends EF.AD (3 bytes, or 4 with the MNC length).
[[nodiscard]] status encode_ad(const ef_ad& ad, byte_writer& w);

// ---------------------------------------------------------------------------------------
// EF.UST (§4.2.8): service n is byte (n-1)/8, bit (n-1)%8 (b1 = lowest service).
// ---------------------------------------------------------------------------------------
namespace service {
inline constexpr unsigned sms = 10;                   ///< Short Message Storage
inline constexpr unsigned smsp = 12;                  ///< SMS Parameters
inline constexpr unsigned spn = 19;                   ///< Service Provider Name
inline constexpr unsigned plmn_wact = 20;             ///< user controlled PLMN selector
inline constexpr unsigned msisdn = 21;                ///< MSISDN
inline constexpr unsigned gsm_access = 27;            ///< GSM access
inline constexpr unsigned data_download_sms_pp = 28;  ///< data download via SMS-PP (OTA)
inline constexpr unsigned data_download_sms_cb = 29;  ///< data download via SMS-CB
inline constexpr unsigned mo_sms_control = 31;        ///< MO-SMS control by USIM
inline constexpr unsigned shall_be_one = 33;          ///< "shall be set to '1'"
inline constexpr unsigned oplmn_wact = 42;            ///< operator controlled PLMN selector
inline constexpr unsigned hplmn_wact = 43;            ///< HPLMN selector with AcT
}  // namespace service

/// True when service n (1-based) is available in the table.
[[nodiscard]] bool service_available(byte_view ust, unsigned n) noexcept;
/// Sets or clears service n (1-based), growing the table with zero bytes as needed.
void set_service(bytes& ust, unsigned n, bool available);

// ---------------------------------------------------------------------------------------
// EF.ICCID (TS 102 221 §13.2): 10 bytes, BCD digits low nibble first, 'F' padded.
// ---------------------------------------------------------------------------------------
inline constexpr std::size_t iccid_size = 10;
/// Parses EF.ICCID into its digits (the 'F' filler ends the number).
[[nodiscard]] result<std::string> decode_iccid(byte_view data);
/// Appends the 10 bytes of EF.ICCID for up to 20 decimal digits.
[[nodiscard]] status encode_iccid(std::string_view digits, byte_writer& w);

// ---------------------------------------------------------------------------------------
// EF.MSISDN (§4.2.26) / dialling number records (§4.4.2.3, EF.ADN coding): alpha(Y) +
// length of BCD/SSC contents(1) + TON/NPI(1) + number(10) + CCP2 id(1) + EXT5 id(1).
// ---------------------------------------------------------------------------------------
struct dialling_number {
  alpha_text alpha;
  std::uint8_t ton_npi = 0x91;
  std::string digits;  ///< up to 20 BCD digits (0-9 * # a b c)
  std::uint8_t ccp = 0xFF;
  std::uint8_t ext = 0xFF;
  friend bool operator==(const dialling_number&, const dialling_number&) = default;
};
inline constexpr std::size_t dialling_fixed_size = 14;
/// Parses one record; an unused record (length byte 'FF') yields nullopt.
[[nodiscard]] result<std::optional<dialling_number>> decode_dialling_number(byte_view record);
/// Appends one record of record_len (>= 14) bytes; nullopt writes an unused record.
[[nodiscard]] status encode_dialling_number(const std::optional<dialling_number>& n,
                                            std::size_t record_len, byte_writer& w);

// ---------------------------------------------------------------------------------------
// Default file contents for a virtual card.
// ---------------------------------------------------------------------------------------

/// Identity of a card to personalise.
struct card_profile {
  std::string iccid;            ///< 18..20 digits
  std::string imsi;             ///< 6..15 digits
  unsigned mnc_length = 2;      ///< 2 or 3, goes to EF.AD and splits the IMSI
  std::string msisdn;           ///< international digits, empty = unused record
  std::string smsc;             ///< international digits of the SMSC, empty = absent
  std::string spn = "otaflow";  ///< GSM default alphabet name (<= 16 characters)
};

/// The content of an EF right after personalisation: spec.size bytes; for record files
/// the records one after the other (record i at i * record_len). EFs without a specific
/// rule are 'FF' (TS 31.102 Annex E).
[[nodiscard]] result<bytes> default_content(const ef_spec& spec, const card_profile& profile);

}  // namespace otaflow::codec::ts31102
