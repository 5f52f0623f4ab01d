#pragma once
// Update templates: a campaign's [update.fplmn], [update.plmn_selector], [update.ehplmn],
// [update.spn], [update.smsp] and [update.acc] tables give file contents as readable values
// (MCC-MNC lists, names, addresses) instead of hex. Each is encoded by codec/ts31102_ef.hpp,
// padded to the file's size (the template's file_size, else the size in
// codec/ts31102_files.hpp, the virtual card's), and expanded into the update's ordinary
// file_update / record_update entries: the engine, the script builder and the known files see
// plain writes. A value that does not fit its file is refused when the campaign is read
// (`campaign plan`, `campaign run`, a serve campaign event), before anything is sent.
// [update.acc] from_imsi is per card: its file_update carries a per_card_data mark and the
// packet factory fills each card's bytes (ota_packets.cpp). docs/CAMPAIGNS.md "Templates".

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "codec/ts31102_ef.hpp"

namespace otaflow::actors {

struct file_update;
struct update_def;

/// Where a file_update's data comes from: the campaign (none), or each card.
enum class per_card_data : std::uint8_t {
  none,
  acc_from_imsi,  ///< EF.ACC = the class named by the IMSI's last digit (acc_for_imsi)
};

/// [update.fplmn] (EF.FPLMN 6F7B, TS 31.102 §4.2.16) or [update.ehplmn] (EF.EHPLMN 6FD9,
/// §4.2.84): a list of PLMNs, 'FFFFFF' padded. An empty list clears the file.
struct plmn_list_template {
  std::vector<codec::ts31102::plmn> plmns;
  std::optional<std::uint16_t> file_size;  ///< else the codec table's size
  friend bool operator==(const plmn_list_template&, const plmn_list_template&) = default;
};

/// [update.plmn_selector]: EF.OPLMNwAcT 6F61 (§4.2.53, file = "oplmn", the default) or
/// EF.PLMNwAcT 6F60 (§4.2.5, file = "plmn"), entries of PLMN + access technologies.
struct plmn_selector_template {
  bool operator_list = true;  ///< true: EF.OPLMNwAcT; false: EF.PLMNwAcT
  codec::ts31102::plmn_act_list entries;
  std::optional<std::uint16_t> file_size;
  friend bool operator==(const plmn_selector_template&, const plmn_selector_template&) = default;
};

/// [update.spn]: EF.SPN 6F46 (§4.2.12), 17 octets.
struct spn_template {
  codec::ts31102::ef_spn spn;
  friend bool operator==(const spn_template&, const spn_template&) = default;
};

/// [update.smsp]: one record of EF.SMSP 6F42 (§4.2.27).
struct smsp_template {
  std::uint8_t record = 1;
  codec::ts31102::ef_smsp smsp;
  std::optional<std::uint8_t> record_size;  ///< 28 + Y; else the codec table's record length
  friend bool operator==(const smsp_template&, const smsp_template&) = default;
};

/// [update.acc]: EF.ACC 6F78 (§4.2.15), fixed classes or per card from the IMSI.
struct acc_template {
  std::uint16_t classes = 0;  ///< bit n = access class n (from_imsi = false)
  bool from_imsi = false;
  friend bool operator==(const acc_template&, const acc_template&) = default;
};

/// The templates of one [update] table.
struct update_templates {
  std::optional<plmn_list_template> fplmn;
  std::optional<plmn_selector_template> plmn_selector;
  std::optional<plmn_list_template> ehplmn;
  std::optional<spn_template> spn;
  std::optional<smsp_template> smsp;
  std::optional<acc_template> acc;
  [[nodiscard]] bool empty() const noexcept {
    return !fplmn && !plmn_selector && !ehplmn && !spn && !smsp && !acc;
  }
  friend bool operator==(const update_templates&, const update_templates&) = default;
};

/// The [update] keys that are templates.
inline constexpr std::string_view template_keys[] = {"fplmn", "plmn_selector", "ehplmn",
                                                     "spn",   "smsp",          "acc"};

/// "262-01" / "310-410": MCC, '-', MNC of 2 or 3 digits.
[[nodiscard]] result<codec::ts31102::plmn> parse_plmn_text(std::string_view text);
/// The "MCC-MNC" form of a PLMN.
[[nodiscard]] std::string plmn_text(const codec::ts31102::plmn& p);

/// Reads the template tables of an [update] object (the keys of template_keys it holds).
/// Errors name the field ("campaign field 'update.fplmn.plmns[1]': ...").
[[nodiscard]] status parse_templates(const nlohmann::json& update, update_templates& out);
/// Writes the templates back in the readable form parse_templates reads.
void templates_to_json(const update_templates& t, nlohmann::json& update);
/// Encodes every template of u.templates and appends the writes to u.files / u.records
/// (marked with from_template). A value larger than its file is an error naming the template,
/// the file, its size and the size needed.
[[nodiscard]] status expand_templates(update_def& u);

/// The bytes a card gets from a file_update (its own for per-card data).
[[nodiscard]] bytes card_data(const file_update& f, std::string_view imsi);
/// The files a card gets: u.files with per-card data filled in.
[[nodiscard]] std::vector<file_update> files_for_card(const update_def& u, std::string_view imsi);

/// One templated write as `campaign plan --examples` shows it.
struct templated_write {
  std::string name;  ///< "update.fplmn"
  std::string path;  ///< "3F00/7FFF/6F7B", with "#1" for a record
  bytes data;
};
/// The templated writes a card would get from u (per-card data filled in).
[[nodiscard]] std::vector<templated_write> templated_writes(const update_def& u,
                                                            std::string_view imsi);

}  // namespace otaflow::actors
