#pragma once
// Choosing a campaign's update variant per card: the target criteria, the conditions of
// [[rule]] tables and the ordered first-match-wins evaluation, as pure functions over a
// subscriber record and a lookup of the files the engine knows (storage/card_file_store).
// The cursor (storage_cursor.hpp) and `otaflow campaign plan` share this code, so a plan
// counts exactly what a run sends. docs/CAMPAIGNS.md describes the rules.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/campaign_def.hpp"
#include "base/error.hpp"
#include "storage/card_file_store.hpp"
#include "storage/subscriber_store.hpp"

namespace otaflow::actors {

/// What the engine knows of one file of one card (nullopt: nothing).
using known_file_fn = std::function<result<std::optional<storage::known_file>>(
    std::string_view iccid, std::string_view path)>;

/// Whether an IMSI lies in an inclusive range (same length, compared digit by digit).
[[nodiscard]] bool in_range(std::string_view imsi, const imsi_range& r) noexcept;

/// Whether a card passes every criterion of a campaign's [target] (`iccids` aside: the
/// cursor walks that list itself).
[[nodiscard]] bool target_matches(const target_def& t, const storage::subscriber& s);

/// Whether a rule's condition holds for a card; an error only when a known file cannot be
/// read. `files` may be empty when the condition has no file_is / file_not.
[[nodiscard]] result<bool> condition_holds(const condition_def& w, const storage::subscriber& s,
                                           const known_file_fn& files);

/// The decision for one card.
struct variant_choice {
  int variant = -1;  ///< index in effective_variants(); -1 when none applies
  std::string skip;  ///< non-empty: the card ends `skipped` with this reason
};

/// The rules of one campaign, ready to evaluate many cards.
class variant_selector {
 public:
  /// `def` must be valid (campaign_from_json checked the rule names).
  explicit variant_selector(const campaign_def& def);

  /// Tries the rules in order (first match wins); without rules every card gets variant 0.
  /// A chosen variant whose keyset the card lacks skips the card, naming the variant.
  [[nodiscard]] result<variant_choice> choose(const storage::subscriber& s,
                                              const known_file_fn& files) const;

  /// What the selector keeps of each variant (effective_variants() order).
  struct variant_meta {
    std::string name;
    std::uint8_t keyset = 0;     ///< the key version its packets use
    std::string keyset_missing;  ///< the skip reason when a card lacks that keyset
  };
  [[nodiscard]] const std::vector<variant_meta>& variants() const noexcept { return variants_; }
  /// Whether some rule reads known files (the caller can skip the lookups otherwise).
  [[nodiscard]] bool uses_files() const noexcept { return uses_files_; }

  /// The reason of a card no rule matches.
  static constexpr std::string_view no_rule = "no rule matches the card";

 private:
  struct rule {
    int variant;  // -1: a skip rule
    std::string skip;
    condition_def when;
  };
  std::vector<variant_meta> variants_;
  std::vector<rule> rules_;
  bool uses_files_ = false;
};

}  // namespace otaflow::actors
