#include "actors/variant_rules.hpp"

#include <algorithm>

namespace otaflow::actors {
namespace {

bool has_keyset(const storage::subscriber& s, std::uint8_t kvn) {
  return std::find(s.keyset_versions.begin(), s.keyset_versions.end(), kvn) !=
         s.keyset_versions.end();
}

bool attributes_match(const std::map<std::string, std::string>& want,
                      const storage::subscriber& s) {
  for (const auto& [k, v] : want) {
    auto it = s.attributes.find(k);
    if (it == s.attributes.end() || it->second != v) return false;
  }
  return true;
}

bool in_any_range(std::string_view imsi, const std::vector<imsi_range>& rs) {
  return std::any_of(rs.begin(), rs.end(), [&](const imsi_range& r) { return in_range(imsi, r); });
}

// Whether the engine knows that the file holds exactly `c.data` at `c.offset`.
result<bool> file_known_as(const file_condition& c, const storage::subscriber& s,
                           const known_file_fn& files) {
  if (!files) return false;
  auto f = files(s.iccid, path_text(c.path));
  if (!f) return f.error();
  return f->has_value() && (*f)->offset == c.offset && (*f)->data == c.data;
}

}  // namespace

bool in_range(std::string_view imsi, const imsi_range& r) noexcept {
  // Same-length digit strings order like the numbers they spell.
  return imsi.size() == r.first.size() && imsi >= r.first && imsi <= r.last;
}

bool target_matches(const target_def& t, const storage::subscriber& s) {
  if (!t.imsi_prefix.empty() && !s.imsi.starts_with(t.imsi_prefix)) return false;
  if (!t.iccid_prefix.empty() && !s.iccid.starts_with(t.iccid_prefix)) return false;
  if (!attributes_match(t.attributes, s)) return false;
  if (!t.imsi_ranges.empty() && !in_any_range(s.imsi, t.imsi_ranges)) return false;
  if (!t.keysets.empty() && std::none_of(t.keysets.begin(), t.keysets.end(),
                                         [&](std::uint8_t k) { return has_keyset(s, k); })) {
    return false;
  }
  return true;
}

result<bool> condition_holds(const condition_def& w, const storage::subscriber& s,
                             const known_file_fn& files) {
  if (!w.imsi_prefix.empty() && !s.imsi.starts_with(w.imsi_prefix)) return false;
  if (!w.iccid_prefix.empty() && !s.iccid.starts_with(w.iccid_prefix)) return false;
  if (!attributes_match(w.attributes, s)) return false;
  if (!w.imsi_ranges.empty() && !in_any_range(s.imsi, w.imsi_ranges)) return false;
  for (auto k : w.keysets) {
    if (!has_keyset(s, k)) return false;
  }
  // File conditions last: they are the only ones that read storage.
  for (const auto& f : w.file_is) {
    auto known = file_known_as(f, s, files);
    if (!known) return known.error();
    if (!*known) return false;
  }
  for (const auto& f : w.file_not) {
    auto known = file_known_as(f, s, files);
    if (!known) return known.error();
    if (*known) return false;
  }
  return true;
}

variant_selector::variant_selector(const campaign_def& def) {
  auto add = [&](const std::string& name, const security_def& sec) {
    variants_.push_back({name, sec.keyset(),
                         "variant '" + name + "' needs keyset " + std::to_string(sec.keyset()) +
                             ", which the card does not hold"});
  };
  if (def.variants.empty()) add(std::string(default_variant_name), def.security);
  for (const auto& v : def.variants) add(v.name, v.security);
  for (const auto& r : def.rules) {
    int idx = -1;
    if (r.skip.empty()) {
      for (std::size_t i = 0; i < variants_.size(); ++i) {
        if (variants_[i].name == r.variant) idx = static_cast<int>(i);
      }
    }
    // A rule naming an unknown variant (only possible for a definition built in code) skips
    // its cards with a reason instead of sending them something else.
    std::string skip = r.skip;
    if (r.skip.empty() && idx < 0) skip = "rule names unknown variant '" + r.variant + "'";
    rules_.push_back({idx, std::move(skip), r.when});
    if (!r.when.file_is.empty() || !r.when.file_not.empty()) uses_files_ = true;
  }
}

result<variant_choice> variant_selector::choose(const storage::subscriber& s,
                                                const known_file_fn& files) const {
  variant_choice out;
  if (rules_.empty()) {
    out.variant = 0;
  } else {
    bool matched = false;
    for (const auto& r : rules_) {
      auto holds = condition_holds(r.when, s, files);
      if (!holds) return holds.error();
      if (!*holds) continue;
      matched = true;
      out.variant = r.variant;
      if (r.variant < 0) out.skip = r.skip;
      break;
    }
    if (!matched) {
      out.skip = std::string(no_rule);
      return out;
    }
  }
  if (out.variant >= 0) {
    const auto i = static_cast<std::size_t>(out.variant);
    if (!has_keyset(s, variants_[i].keyset)) out.skip = variants_[i].keyset_missing;
  }
  return out;
}

}  // namespace otaflow::actors
