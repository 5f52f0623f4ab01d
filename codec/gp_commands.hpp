#pragma once
// GlobalPlatform Card Specification v2.3 card content management commands as command APDUs
// (INSTALL, LOAD, DELETE, GET STATUS) and the parser of the TLV GET STATUS response. These are
// the commands a RAM command packet carries (ETSI TS 102 226 §8). PUT KEY is in
// codec/gp_put_key.hpp; the constants in codec/gp_constants.hpp; the facts relied on in
// docs/standards/globalplatform.md. Pure functions: no I/O, errors name the bad field.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "codec/gp_constants.hpp"
#include "codec/iso7816_apdu.hpp"

namespace otaflow::codec::gp {

/// Fails unless `aid` is 5..16 octets; the message names `what` and the length.
[[nodiscard]] status check_aid(byte_view aid, std::string_view what);

/// INSTALL [for load] (GP 2.3 §11.5.2.3.1): five LV fields.
struct install_for_load {
  bytes load_file_aid;    ///< the Executable Load File (package) AID, 5..16 octets
  bytes sd_aid;           ///< the Security Domain to associate with; empty = the ISD/default
  bytes hash;             ///< Load File Data Block hash (SHA-1/SHA-256...); empty = none
  bytes load_parameters;  ///< the load parameters field as is (e.g. EF ... C6 ...); may be empty
  bytes token;            ///< load token (delegated management); empty = none
};

/// The install parameters field of INSTALL [for install] (GP 2.3 §11.5.2.3.7): C9 is always
/// written (possibly empty); EF and EA only when set, in that order.
struct install_parameters {
  bytes application;                       ///< value of C9 (what the applet's install() sees)
  std::optional<bytes> system_parameters;  ///< value of EF (C6/C7/C8, TS 102 226's CA)
  std::optional<bytes> uicc_parameters;    ///< value of EA (TS 102 226 §8.2.1.3.2)
};

/// INSTALL [for install] / [for install and make selectable] (GP 2.3 §11.5.2.3.2).
struct install_for_install {
  bytes load_file_aid;  ///< Executable Load File AID
  bytes module_aid;     ///< Executable Module (class) AID
  bytes instance_aid;   ///< the new application's AID
  bytes privileges;     ///< 1 octet (GP 2.1.1 form) or 3 octets
  install_parameters parameters;
  bytes token;
  bool make_selectable = true;  ///< P1 0C rather than 04
};

/// INSTALL [for load] command, CLA 80 P1 02 P2 00, Le 00.
[[nodiscard]] result<command_apdu> build_install_for_load(const install_for_load& in);
/// INSTALL [for install (and make selectable)] command, P1 0C (or 04), Le 00.
[[nodiscard]] result<command_apdu> build_install_for_install(const install_for_install& in);
/// INSTALL [for make selectable] (GP 2.3 §11.5.2.3.3): P1 08, data 00 00 LV(AID) LV(priv) 00
/// LV(token).
[[nodiscard]] result<command_apdu> build_install_for_make_selectable(byte_view instance_aid,
                                                                     byte_view privileges,
                                                                     byte_view token = {});
/// The install parameters field: C9 L application [EF L system] [EA L uicc].
[[nodiscard]] bytes encode_install_parameters(const install_parameters& p);

/// DELETE of a card content object by AID (GP 2.3 §11.2): data 4F L AID, P2 80 with related
/// objects (a package with its instances), Le 00.
[[nodiscard]] result<command_apdu> build_delete(byte_view aid, bool related);

/// GET STATUS (GP 2.3 §11.4): scope is one of status_scope; search AID empty = all entries
/// (4F 00), else entries whose AID starts with it; P2 02, or 03 for the next occurrence after
/// SW 6310. Le 00.
[[nodiscard]] result<command_apdu> build_get_status(std::uint8_t scope, byte_view aid_prefix,
                                                    bool next = false);

/// The Load File Data Block: C4 + BER length + the load file (for a CAP file: its components
/// in load order, GP 2.3 §11.6.2.3 / Java Card VM spec §6.3). `dap_blocks` (E2 ... TLVs,
/// already encoded) go in front of it, as §11.6.2.3 orders the load data.
[[nodiscard]] result<bytes> encode_load_data(byte_view load_file, byte_view dap_blocks = {});
/// LOAD commands carrying `load_data` (from encode_load_data) in blocks of block_size octets
/// (1..255): P1 80 on the last block, P2 = block number 0..255; more than 256 blocks is an error.
[[nodiscard]] result<std::vector<command_apdu>> build_load(byte_view load_data,
                                                           std::size_t block_size);

/// One entry of the GlobalPlatform Registry (GP 2.3 Table 11-36, inside E3).
struct registry_entry {
  bytes aid;                                ///< 4F
  std::uint8_t life_cycle = 0;              ///< 9F70
  std::optional<bytes> privileges;          ///< C5 (0, 1 or 3 octets)
  std::optional<bytes> implicit_selection;  ///< CF
  std::optional<bytes> load_file_aid;       ///< C4 (of an application)
  std::optional<bytes> load_file_version;   ///< CE (of a load file)
  std::vector<bytes> module_aids;           ///< 84, one per Executable Module
  std::optional<bytes> associated_sd;       ///< CC
  friend bool operator==(const registry_entry&, const registry_entry&) = default;
};

/// Parses the data of a TLV-format GET STATUS response: a sequence of E3 entries. Each needs
/// 4F (5..16 octets; the ISD's may be shorter on old cards, so 1..16 is accepted) and 9F70 of one
/// octet; unknown tags inside E3 are skipped. Any malformed TLV is an error naming the entry.
[[nodiscard]] result<std::vector<registry_entry>> parse_get_status(byte_view data);

/// Short name of a status word of the card management commands ("more data", ...), or "".
[[nodiscard]] std::string_view sw_name(std::uint16_t sw) noexcept;

}  // namespace otaflow::codec::gp
