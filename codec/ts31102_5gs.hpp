#pragma once
// Contents of the DF.5GS files (3GPP TS 31.102 §4.4.11; DF '5FC0' under ADF.USIM): typed
// structs to and from the bytes READ BINARY / READ RECORD return. Decoders validate lengths,
// tags and values and name the field that is wrong; encoders pad with 'FF' where a file or
// record is larger than its content.
//
//   4F01 EF.5GS3GPPLOCI     §4.4.11.2   5G-GUTI, last registered TAI, 5GS update status
//   4F02 EF.5GSN3GPPLOCI    §4.4.11.3   same, for non-3GPP access
//   4F03 EF.5GS3GPPNSC      §4.4.11.4   5GS NAS security context (BER-TLV 'A0')
//   4F04 EF.5GSN3GPPNSC     §4.4.11.5   same, for non-3GPP access
//   4F05 EF.5GAUTHKEYS      §4.4.11.6   K_AUSF ('80') and K_SEAF ('81')
//   4F06 EF.UAC_AIC         §4.4.11.7   UAC access identities configuration
//   4F07 EF.SUCI_Calc_Info  §4.4.11.8   protection schemes ('A0') and home network keys ('A1')
//   4F08 EF.OPL5G           §4.4.11.9   5GS operator PLMN list (TAI ranges -> PNN record)
//   4F09 EF.SUPI_NAI        §4.4.11.10  SUPI as NAI ('80' NSI, '81' GLI, '82' GCI)
//   4F0A EF.Routing_Indicator §4.4.11.11 routing indicator, 4 BCD digits, F-filled
//
// Sources: the TS 31.102 clause text (itecspec / tech-invite, Rel-17/18) for identifiers,
// sizes and access conditions; pySim's ts_31_102.py and its suci-tutorial.rst for the layouts
// it decodes and the TS 31.121 §4.9.4 test file (facts only). File identifiers, sizes and
// access conditions are in codec/ts31102_files.hpp (df_5gs_files).

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "codec/ts31102_ef.hpp"
#include "codec/ts31102_files.hpp"

namespace otaflow::codec::ts31102 {

/// USIM services of the 5G files (TS 31.102 §4.2.8, EF.UST).
namespace service {
inline constexpr unsigned mm_5gs = 122;        ///< 5GS Mobility Management Information
inline constexpr unsigned security_5g = 123;   ///< 5G Security Parameters
inline constexpr unsigned suci_privacy = 124;  ///< Subscription identifier privacy support
inline constexpr unsigned suci_by_usim = 125;  ///< SUCI calculation by the USIM
inline constexpr unsigned uac_aic = 126;       ///< UAC Access Identities support
inline constexpr unsigned opl_5gs = 129;       ///< 5GS Operator PLMN List
inline constexpr unsigned supi_nai = 130;      ///< SUPI of type NSI, GLI or GCI
}  // namespace service

// ---------------------------------------------------------------------------------------
// EF.5GS3GPPLOCI / EF.5GSN3GPPLOCI (§4.4.11.2 / §4.4.11.3), 20 bytes:
//   bytes 1-13  5G-GUTI: octets 2-14 of the 5GS mobile identity IE (TS 24.501 §9.11.3.4):
//               length '000B', 'F2' (type 5G-GUTI), PLMN, AMF region ID, AMF set ID (10 bits)
//               + AMF pointer (6 bits), 5G-TMSI; all 'FF' = no 5G-GUTI;
//   bytes 14-19 last visited registered TAI (TS 24.501 §9.11.3.8): PLMN + 3-octet TAC;
//   byte 20     5GS update status, b3..b1 (TS 24.501 §5.1.3.2.2); b8..b4 RFU.
// ---------------------------------------------------------------------------------------

/// 5G-GUTI (TS 23.003 §2.10.1): GUAMI (PLMN, AMF region/set/pointer) + 5G-TMSI.
struct guti_5g {
  plmn id;
  std::uint8_t amf_region_id = 0;
  std::uint16_t amf_set_id = 0;  ///< 10 bits
  std::uint8_t amf_pointer = 0;  ///< 6 bits
  std::uint32_t tmsi = 0;        ///< 5G-TMSI
  friend bool operator==(const guti_5g&, const guti_5g&) = default;
};

/// 5GS tracking area identity: PLMN ('FFFFFF' = nullopt) and a 24-bit TAC.
struct tai_5gs {
  std::optional<plmn> id;
  std::uint32_t tac = 0;
  friend bool operator==(const tai_5gs&, const tai_5gs&) = default;
};

/// 5GS update status (TS 24.501 §5.1.3.2.2: 5U1, 5U2, 5U3).
enum class update_status_5gs : std::uint8_t {
  updated = 0,
  not_updated = 1,
  roaming_not_allowed = 2,
};

struct ef_5gs_loci {
  std::optional<guti_5g> guti;
  tai_5gs tai;
  update_status_5gs status = update_status_5gs::not_updated;
  friend bool operator==(const ef_5gs_loci&, const ef_5gs_loci&) = default;
};
inline constexpr std::size_t loci_5gs_size = 20;

/// Parses the 20 bytes of EF.5GS3GPPLOCI or EF.5GSN3GPPLOCI.
[[nodiscard]] result<ef_5gs_loci> decode_5gs_loci(byte_view data);
/// Appends the 20 bytes.
[[nodiscard]] status encode_5gs_loci(const ef_5gs_loci& loci, byte_writer& w);
/// Annex E content: no 5G-GUTI ('FF' x 13), TAI = HPLMN (or 'FFFFFF') + TAC '000000',
/// status 01 (not updated).
[[nodiscard]] ef_5gs_loci loci_5gs_reset(const std::optional<plmn>& hplmn = std::nullopt);

// ---------------------------------------------------------------------------------------
// EF.5GS3GPPNSC / EF.5GSN3GPPNSC (§4.4.11.4 / §4.4.11.5), linear fixed, record >= 57 bytes:
// 'A0' { '80' ngKSI(1), '81' K_AMF(32), '82' uplink NAS COUNT(4), '83' downlink NAS COUNT(4),
// '84' selected NAS algorithms(1), '85' selected EPS NAS algorithms(1) }, 'FF' padded.
// A zero-length value is read as absent; unknown context tags inside 'A0' are ignored.
// ---------------------------------------------------------------------------------------

/// ngKSI '07': no key available (TS 24.501 §9.11.3.32).
inline constexpr std::uint8_t ngksi_no_key = 0x07;

struct nas_security_context_5gs {
  std::uint8_t ngksi = ngksi_no_key;  ///< b4 = TSC, b3..b1 = key set identifier
  std::optional<std::array<std::uint8_t, 32>> k_amf;
  std::optional<std::uint32_t> uplink_count;
  std::optional<std::uint32_t> downlink_count;
  /// TS 24.501 §9.11.3.34: ciphering algorithm b7..b5, integrity b3..b1.
  std::optional<std::uint8_t> nas_algorithms;
  /// TS 24.301 §9.9.3.23: EPS NAS algorithms for interworking.
  std::optional<std::uint8_t> eps_nas_algorithms;
  friend bool operator==(const nas_security_context_5gs&,
                         const nas_security_context_5gs&) = default;
};
inline constexpr std::size_t nsc_5gs_record_size = 57;

/// Parses one record; an all-'FF' record is nullopt (no context stored).
[[nodiscard]] result<std::optional<nas_security_context_5gs>> decode_5gs_nsc(byte_view record);
/// Appends one record of record_len bytes (0 = exactly the TLV); nullopt writes 'FF' x len.
[[nodiscard]] status encode_5gs_nsc(const std::optional<nas_security_context_5gs>& nsc,
                                    std::size_t record_len, byte_writer& w);

// ---------------------------------------------------------------------------------------
// EF.5GAUTHKEYS (§4.4.11.6), transparent, >= 68 bytes: '80' K_AUSF(32) '81' K_SEAF(32).
// ---------------------------------------------------------------------------------------

struct ef_5g_auth_keys {
  std::optional<std::array<std::uint8_t, 32>> k_ausf;
  std::optional<std::array<std::uint8_t, 32>> k_seaf;
  friend bool operator==(const ef_5g_auth_keys&, const ef_5g_auth_keys&) = default;
};
inline constexpr std::size_t auth_keys_5g_size = 68;

/// Parses EF.5GAUTHKEYS (BER-TLVs then 'FF' padding). Errors never show key bytes.
[[nodiscard]] result<ef_5g_auth_keys> decode_5g_auth_keys(byte_view data);
/// Appends the TLVs, 'FF' padded to file_size (0 = no padding).
[[nodiscard]] status encode_5g_auth_keys(const ef_5g_auth_keys& keys, std::size_t file_size,
                                         byte_writer& w);

// ---------------------------------------------------------------------------------------
// EF.UAC_AIC (§4.4.11.7), 4 bytes: byte 1 b1 = Multimedia Priority Service, b2 = Mission
// Critical Services; the rest RFU (written 0, ignored on reading).
// ---------------------------------------------------------------------------------------

struct ef_uac_aic {
  bool mps = false;  ///< access identity 1 (TS 24.501 §4.5.2)
  bool mcs = false;  ///< access identity 2
  friend bool operator==(const ef_uac_aic&, const ef_uac_aic&) = default;
};
inline constexpr std::size_t uac_aic_size = 4;
/// Parses the 4 bytes of EF.UAC_AIC.
[[nodiscard]] result<ef_uac_aic> decode_uac_aic(byte_view data);
/// Appends the 4 bytes.
void encode_uac_aic(const ef_uac_aic& aic, byte_writer& w);

// ---------------------------------------------------------------------------------------
// EF.SUCI_Calc_Info (§4.4.11.8), transparent, X >= 2 bytes, READ PIN / UPDATE ADM:
//   'A0' L { scheme id(1) key index(1) }...   Protection Scheme Identifier List, M;
//            first pair = highest priority; scheme ids per TS 33.501 Annex C.1 (0 null,
//            1 profile A, 2 profile B); key index = 1-based position of the key in the
//            'A1' list, '00' for the null scheme;
//   'A1' L { '80' 01 key id, '81' L key }...  Home Network Public Key List, C (present when
//            a scheme other than null is listed);
//   then 'FF' padding up to the file size.
// Profile A keys are 32 octets (X25519); profile B keys are SEC 1 points, compressed (33,
// 02/03) as in the TS 31.121 §4.9.4 test file, or uncompressed (65, 04).
// Used only when service 124 is available and 125 is not (SUCI calculated by the ME).
// ---------------------------------------------------------------------------------------

/// One entry of the Protection Scheme Identifier List.
struct protection_scheme_entry {
  std::uint8_t scheme_id = 0;  ///< 0..15 (TS 33.501 Table C.1-1)
  std::uint8_t key_index = 0;  ///< 1..n into the public key list, 0 for the null scheme
  friend bool operator==(const protection_scheme_entry&, const protection_scheme_entry&) = default;
};

/// One entry of the Home Network Public Key List.
struct hn_public_key {
  std::uint8_t id = 0;  ///< Home Network Public Key Identifier (sent in the SUCI)
  bytes key;
  friend bool operator==(const hn_public_key&, const hn_public_key&) = default;
};

struct ef_suci_calc_info {
  std::vector<protection_scheme_entry> schemes;  ///< priority order, highest first
  std::vector<hn_public_key> keys;
  friend bool operator==(const ef_suci_calc_info&, const ef_suci_calc_info&) = default;
};

/// Checks scheme ids, key indexes, key lengths per scheme and key id uniqueness.
[[nodiscard]] status check_suci_calc_info(const ef_suci_calc_info& info);
/// Parses EF.SUCI_Calc_Info. An all-'FF' (never written) file is errc::not_found.
[[nodiscard]] result<ef_suci_calc_info> decode_suci_calc_info(byte_view data);
/// Appends 'A0' and (when keys are present) 'A1', then 'FF' up to file_size (0 = none);
/// a content longer than file_size is errc::too_long.
[[nodiscard]] status encode_suci_calc_info(const ef_suci_calc_info& info, std::size_t file_size,
                                           byte_writer& w);

/// What the ME uses for the SUCI: the highest-priority listed scheme it supports.
struct selected_protection {
  std::uint8_t scheme_id = 0;
  std::uint8_t key_id = 0;  ///< 0 for the null scheme
  bytes key;                ///< empty for the null scheme
  friend bool operator==(const selected_protection&, const selected_protection&) = default;
};
/// The ME's choice (TS 33.501 §6.12.2 / TS 31.121 §5.3): the first list entry whose scheme is
/// in `supported`; errc::not_found when none is.
[[nodiscard]] result<selected_protection> select_protection(
    const ef_suci_calc_info& info, std::span<const std::uint8_t> supported);

/// The file content after rotating the key of `scheme_id` to `new_key`: the key is appended to
/// the list (kept when the same id already holds the same key; another key under that id is
/// errc::conflict), every entry of `scheme_id` then points at it (an entry is added at the
/// top when the scheme was not listed), and unless `keep_unused` keys no entry references any
/// more are dropped. Applying the same rotation twice gives the same content.
[[nodiscard]] result<ef_suci_calc_info> rotate_hn_key(const ef_suci_calc_info& info,
                                                      std::uint8_t scheme_id,
                                                      const hn_public_key& new_key,
                                                      bool keep_unused = false);

// ---------------------------------------------------------------------------------------
// EF.OPL5G (§4.4.11.9), linear fixed, 10-byte records: TAI range = PLMN(3, digits may be the
// wildcard 'D' as in EF.OPL §4.2.59) + TAC start(3) + TAC end(3), PNN record identifier(1,
// '00' = no name from EF.PNN). An all-'FF' record is unused.
// ---------------------------------------------------------------------------------------

struct opl5g_entry {
  plmn id;  ///< digits 0-9 or 'd' (wildcard)
  std::uint32_t tac_start = 0;
  std::uint32_t tac_end = 0xFFFFFF;
  std::uint8_t pnn_record = 0;
  friend bool operator==(const opl5g_entry&, const opl5g_entry&) = default;
};
inline constexpr std::size_t opl5g_record_size = 10;
/// Parses one record; unused ('FF') records are nullopt.
[[nodiscard]] result<std::optional<opl5g_entry>> decode_opl5g(byte_view record);
/// Appends one 10-byte record; nullopt writes an unused record.
[[nodiscard]] status encode_opl5g(const std::optional<opl5g_entry>& entry, byte_writer& w);

// ---------------------------------------------------------------------------------------
// EF.SUPI_NAI (§4.4.11.10), transparent: '80' network specific identifier (RFC 7542 NAI),
// '81' global line identifier, '82' global cable identifier (TS 23.003 §28.15 / §28.16),
// UTF-8, then 'FF' padding.
// ---------------------------------------------------------------------------------------

struct ef_supi_nai {
  std::optional<std::string> nsi;
  std::optional<std::string> gli;
  std::optional<std::string> gci;
  friend bool operator==(const ef_supi_nai&, const ef_supi_nai&) = default;
};
/// Parses EF.SUPI_NAI (an all-'FF' file holds none of the three).
[[nodiscard]] result<ef_supi_nai> decode_supi_nai(byte_view data);
/// Appends the TLVs, 'FF' padded to file_size (0 = no padding).
[[nodiscard]] status encode_supi_nai(const ef_supi_nai& nai, std::size_t file_size, byte_writer& w);

// ---------------------------------------------------------------------------------------
// EF.Routing_Indicator (§4.4.11.11), 4 bytes: bytes 1-2 = routing indicator as TS 24.501
// §9.11.3.4 octets 8-9 (digit 2|digit 1, digit 4|digit 3), 1 to 4 BCD digits with unused
// digits '1111'; bytes 3-4 RFU ('FF' written, ignored on reading). "0" = no routing indicator.
// ---------------------------------------------------------------------------------------
inline constexpr std::size_t routing_indicator_size = 4;
/// Parses EF.Routing_Indicator; 'FFFF' in bytes 1-2 (not provisioned) is nullopt.
[[nodiscard]] result<std::optional<std::string>> decode_routing_indicator(byte_view data);
/// Appends the 4 bytes for 1..4 decimal digits; nullopt writes 'FFFFFFFF'.
[[nodiscard]] status encode_routing_indicator(const std::optional<std::string>& digits,
                                              byte_writer& w);

// ---------------------------------------------------------------------------------------
// Default contents for a virtual card.
// ---------------------------------------------------------------------------------------

/// The personalised content of a DF.5GS EF (spec.size bytes; records one after another):
/// LOCI reset (Annex E), NSC records with ngKSI '07', SUCI_Calc_Info with the null scheme
/// only, routing indicator "0", UAC_AIC '00000000', the rest 'FF'. Errors for an EF that is
/// not in df_5gs_files.
[[nodiscard]] result<bytes> default_5gs_content(const ef_spec& spec,
                                                const std::optional<plmn>& hplmn);

}  // namespace otaflow::codec::ts31102
