#pragma once
// The file system of a typical USIM as constant tables: MF (TS 102 221 §13), DF.TELECOM
// (TS 51.011 §10.5 / TS 31.102 §4.4), ADF.USIM (TS 31.102 §4.2) with its DF.5GS (§4.4.11) and
// the proprietary otaflow key management DF. The virtual card builds its file system from these
// tables; EF contents are coded by codec/ts31102_ef.hpp.
//
// Sizes are those of a typical card where the spec leaves them open (e.g. 5n with n >= 8);
// access conditions are those the spec tables list for READ and UPDATE.

#include <array>
#include <cstdint>
#include <span>

namespace otaflow::codec::ts31102 {

/// EF structure (TS 102 221 §8.2.2).
enum class ef_structure : std::uint8_t { transparent, linear_fixed, cyclic };

/// Access condition of a command on a file, simplified to the levels the spec tables use.
enum class access : std::uint8_t {
  always,  ///< ALW
  pin1,    ///< PIN (the application PIN, PIN1)
  adm,     ///< ADM (operator / OTA with ADM-level keys)
  never,   ///< NEV
};

/// One elementary file. size is the whole file (record_len * record count for record EFs).
struct ef_spec {
  std::uint16_t fid;
  const char* name;
  ef_structure structure;
  std::uint16_t size;
  std::uint8_t record_len;  ///< 0 for transparent EFs
  std::uint8_t sfi;         ///< short file identifier, 0 = none
  access read;
  access update;
  const char* ref;  ///< spec clause that defines the file
};

/// Number of records of a record EF (0 for transparent EFs).
constexpr unsigned record_count(const ef_spec& e) noexcept {
  return e.record_len == 0 ? 0u : static_cast<unsigned>(e.size / e.record_len);
}

/// File identifiers.
namespace fid {
inline constexpr std::uint16_t mf = 0x3F00;
inline constexpr std::uint16_t ef_dir = 0x2F00;
inline constexpr std::uint16_t ef_iccid = 0x2FE2;
inline constexpr std::uint16_t ef_pl = 0x2F05;
inline constexpr std::uint16_t df_telecom = 0x7F10;
inline constexpr std::uint16_t adf_usim = 0x7FFF;  ///< "current application" (TS 102 221 §8.4.1)
inline constexpr std::uint16_t ef_li = 0x6F05;
inline constexpr std::uint16_t ef_imsi = 0x6F07;
inline constexpr std::uint16_t ef_keys = 0x6F08;
inline constexpr std::uint16_t ef_keys_ps = 0x6F09;
inline constexpr std::uint16_t ef_hpplmn = 0x6F31;
inline constexpr std::uint16_t ef_ust = 0x6F38;
inline constexpr std::uint16_t ef_sms = 0x6F3C;
inline constexpr std::uint16_t ef_msisdn = 0x6F40;
inline constexpr std::uint16_t ef_smsp = 0x6F42;
inline constexpr std::uint16_t ef_smss = 0x6F43;
inline constexpr std::uint16_t ef_spn = 0x6F46;
inline constexpr std::uint16_t ef_plmn_wact = 0x6F60;
inline constexpr std::uint16_t ef_oplmn_wact = 0x6F61;
inline constexpr std::uint16_t ef_hplmn_wact = 0x6F62;
inline constexpr std::uint16_t ef_ps_loci = 0x6F73;
inline constexpr std::uint16_t ef_acc = 0x6F78;
inline constexpr std::uint16_t ef_fplmn = 0x6F7B;
inline constexpr std::uint16_t ef_loci = 0x6F7E;
inline constexpr std::uint16_t ef_ad = 0x6FAD;
inline constexpr std::uint16_t ef_ehplmn = 0x6FD9;
/// Proprietary otaflow key management DF and its key rotation EF
/// (docs/formats/key-rotation-file.md).
inline constexpr std::uint16_t df_otaflow = 0x7F66;
inline constexpr std::uint16_t ef_otaflow_keys = 0x6F01;
/// The example card vendor's key DF (administrative range 7F4X) and its linear fixed key EF:
/// records Ki, OPc, KCV, sequence (config/key-profiles/example-record.toml).
inline constexpr std::uint16_t df_example_vendor = 0x7F4F;
inline constexpr std::uint16_t ef_example_keys = 0x6F20;
/// DF.5GS under ADF.USIM and its EFs (TS 31.102 §4.4.11; codecs in codec/ts31102_5gs.hpp).
inline constexpr std::uint16_t df_5gs = 0x5FC0;
inline constexpr std::uint16_t ef_5gs3gpp_loci = 0x4F01;
inline constexpr std::uint16_t ef_5gsn3gpp_loci = 0x4F02;
inline constexpr std::uint16_t ef_5gs3gpp_nsc = 0x4F03;
inline constexpr std::uint16_t ef_5gsn3gpp_nsc = 0x4F04;
inline constexpr std::uint16_t ef_5g_auth_keys = 0x4F05;
inline constexpr std::uint16_t ef_uac_aic = 0x4F06;
inline constexpr std::uint16_t ef_suci_calc_info = 0x4F07;
inline constexpr std::uint16_t ef_opl5g = 0x4F08;
inline constexpr std::uint16_t ef_supi_nai = 0x4F09;
inline constexpr std::uint16_t ef_routing_indicator = 0x4F0A;
}  // namespace fid

/// USIM application AID: RID A000000087 + PIX 1002 (TS 101 220 Annex E / TS 31.102 §4.1)
/// followed by the country/provider/application bytes most cards use.
inline constexpr std::array<std::uint8_t, 16> usim_aid = {
    0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0x07, 0x09, 0x00, 0x00};

using enum ef_structure;
using enum access;

// clang-format off
/// EFs directly under the MF (TS 102 221 §13).
inline constexpr ef_spec mf_files[] = {
  {fid::ef_dir,   "EF.DIR",   linear_fixed, 2 * 38, 38, 0x1E, always, adm,   "TS 102 221 13.1"},
  {fid::ef_iccid, "EF.ICCID", transparent,  10,     0,  0x02, always, never, "TS 102 221 13.2"},
  {fid::ef_pl,    "EF.PL",    transparent,  10,     0,  0x05, always, pin1,  "TS 102 221 13.5"},
};

/// DF.TELECOM, the GSM-era copies of the SMS files (TS 51.011 §10.5).
inline constexpr ef_spec telecom_files[] = {
  {fid::ef_sms,    "EF.SMS",    linear_fixed, 10 * 176, 176, 0, pin1, pin1, "TS 51.011 10.5.3"},
  {fid::ef_msisdn, "EF.MSISDN", linear_fixed, 2 * 28,   28,  0, pin1, pin1, "TS 51.011 10.5.5"},
  {fid::ef_smsp,   "EF.SMSP",   linear_fixed, 2 * 44,   44,  0, pin1, pin1, "TS 51.011 10.5.6"},
};

/// ADF.USIM (TS 31.102 §4.2; ref holds the TS 31.102 clause).
inline constexpr ef_spec usim_files[] = {
  {fid::ef_li,         "EF.LI",        transparent,  10,       0,   0x02, always, pin1, "4.2.1"},
  {fid::ef_imsi,       "EF.IMSI",      transparent,  9,        0,   0x07, pin1,   adm,  "4.2.2"},
  {fid::ef_keys,       "EF.Keys",      transparent,  33,       0,   0x08, pin1,   pin1, "4.2.3"},
  {fid::ef_keys_ps,    "EF.KeysPS",    transparent,  33,       0,   0x09, pin1,   pin1, "4.2.4"},
  {fid::ef_plmn_wact,  "EF.PLMNwAcT",  transparent,  5 * 8,    0,   0x0A, pin1,   pin1, "4.2.5"},
  {fid::ef_hpplmn,     "EF.HPPLMN",    transparent,  1,        0,   0x12, pin1,   adm,  "4.2.6"},
  {fid::ef_ust,        "EF.UST",       transparent,  17,       0,   0x04, pin1,   adm,  "4.2.8"},
  {fid::ef_spn,        "EF.SPN",       transparent,  17,       0,   0,    always, adm,  "4.2.12"},
  {fid::ef_acc,        "EF.ACC",       transparent,  2,        0,   0x06, pin1,   adm,  "4.2.15"},
  {fid::ef_fplmn,      "EF.FPLMN",     transparent,  3 * 4,    0,   0x0D, pin1,   pin1, "4.2.16"},
  {fid::ef_loci,       "EF.LOCI",      transparent,  11,       0,   0x0B, pin1,   pin1, "4.2.17"},
  {fid::ef_ad,         "EF.AD",        transparent,  4,        0,   0x03, always, adm,  "4.2.18"},
  {fid::ef_ps_loci,    "EF.PSLOCI",    transparent,  14,       0,   0x0C, pin1,   pin1, "4.2.23"},
  {fid::ef_sms,        "EF.SMS",       linear_fixed, 10 * 176, 176, 0,    pin1,   pin1, "4.2.25"},
  {fid::ef_msisdn,     "EF.MSISDN",    linear_fixed, 2 * 28,   28,  0,    pin1,   pin1, "4.2.26"},
  {fid::ef_smsp,       "EF.SMSP",      linear_fixed, 2 * 44,   44,  0,    pin1,   pin1, "4.2.27"},
  {fid::ef_smss,       "EF.SMSS",      transparent,  2,        0,   0,    pin1,   pin1, "4.2.28"},
  {fid::ef_oplmn_wact, "EF.OPLMNwAcT", transparent,  5 * 8,    0,   0x11, pin1,   adm,  "4.2.53"},
  {fid::ef_hplmn_wact, "EF.HPLMNwAcT", transparent,  5 * 2,    0,   0x13, pin1,   adm,  "4.2.54"},
  {fid::ef_ehplmn,     "EF.EHPLMN",    transparent,  3 * 4,    0,   0x1D, pin1,   adm,  "4.2.84"},
};

/// Proprietary DF of otaflow: the key rotation file. Nobody may READ it over the interface;
/// UPDATE needs ADM (an OTA RFM command with ADM-level keys).
inline constexpr ef_spec otaflow_files[] = {
  {fid::ef_otaflow_keys, "EF.OTAFLOW_KEYS", transparent, 64, 0, 0, never, adm,
   "docs/formats/key-rotation-file.md"},
};

/// The example card vendor's DF (docs/key-profiles.md): 4 records of 16 octets, never read.
inline constexpr ef_spec example_vendor_files[] = {
  {fid::ef_example_keys, "EF.EXAMPLE_KEYS", linear_fixed, 4 * 16, 16, 0, never, adm,
   "docs/key-profiles.md"},
};

/// DF.5GS (TS 31.102 §4.4.11; ref holds the clause). Sizes the spec leaves open: one NSC
/// record of the minimum 57 bytes, SUCI_Calc_Info 256 bytes (room for two generations of
/// profile A and B keys during a rotation), 4 OPL5G records, 64 bytes of SUPI_NAI.
inline constexpr ef_spec df_5gs_files[] = {
  {fid::ef_5gs3gpp_loci,      "EF.5GS3GPPLOCI",       transparent,  20,  0,  0x01, pin1, pin1, "4.4.11.2"},
  {fid::ef_5gsn3gpp_loci,     "EF.5GSN3GPPLOCI",      transparent,  20,  0,  0x02, pin1, pin1, "4.4.11.3"},
  {fid::ef_5gs3gpp_nsc,       "EF.5GS3GPPNSC",        linear_fixed, 57,  57, 0x03, pin1, pin1, "4.4.11.4"},
  {fid::ef_5gsn3gpp_nsc,      "EF.5GSN3GPPNSC",       linear_fixed, 57,  57, 0x04, pin1, pin1, "4.4.11.5"},
  {fid::ef_5g_auth_keys,      "EF.5GAUTHKEYS",        transparent,  68,  0,  0x05, pin1, pin1, "4.4.11.6"},
  {fid::ef_uac_aic,           "EF.UAC_AIC",           transparent,  4,   0,  0x06, pin1, adm,  "4.4.11.7"},
  {fid::ef_suci_calc_info,    "EF.SUCI_Calc_Info",    transparent,  256, 0,  0x07, pin1, adm,  "4.4.11.8"},
  {fid::ef_opl5g,             "EF.OPL5G",             linear_fixed, 40,  10, 0x08, pin1, adm,  "4.4.11.9"},
  {fid::ef_supi_nai,          "EF.SUPI_NAI",          transparent,  64,  0,  0x09, pin1, adm,  "4.4.11.10"},
  {fid::ef_routing_indicator, "EF.Routing_Indicator", transparent,  4,   0,  0x0A, pin1, adm,  "4.4.11.11"},
};
// clang-format on

/// A dedicated file (or ADF) with its EFs.
struct df_spec {
  std::uint16_t fid;
  const char* name;
  std::uint16_t parent;  ///< 0 for the MF itself
  std::span<const ef_spec> files;
};

/// The whole tree: MF first, then its DFs.
inline constexpr df_spec file_system[] = {
    {fid::mf, "MF", 0, mf_files},
    {fid::df_telecom, "DF.TELECOM", fid::mf, telecom_files},
    {fid::adf_usim, "ADF.USIM", fid::mf, usim_files},
    {fid::df_otaflow, "DF.OTAFLOW", fid::mf, otaflow_files},
    {fid::df_example_vendor, "DF.EXAMPLE_VENDOR", fid::mf, example_vendor_files},
    {fid::df_5gs, "DF.5GS", fid::adf_usim, df_5gs_files},
};

/// The EF with identifier ef under DF df, or nullptr.
constexpr const ef_spec* find_ef(std::uint16_t df, std::uint16_t ef) noexcept {
  for (const auto& d : file_system)
    if (d.fid == df)
      for (const auto& e : d.files)
        if (e.fid == ef) return &e;
  return nullptr;
}

/// The EF with short file identifier sfi under DF df, or nullptr.
constexpr const ef_spec* find_ef_by_sfi(std::uint16_t df, std::uint8_t sfi) noexcept {
  if (sfi == 0) return nullptr;
  for (const auto& d : file_system)
    if (d.fid == df)
      for (const auto& e : d.files)
        if (e.sfi == sfi) return &e;
  return nullptr;
}

}  // namespace otaflow::codec::ts31102
