#pragma once
// The campaign's target selection over the profile repository: a lazy cursor in
// ICCID order (or the campaign's explicit ICCID list) that picks each card's update
// variant by the campaign's rules (variant_rules.hpp) and loads the keys of that
// variant's keyset. Cards the engine cannot serve (unknown ICCID, no MSISDN) are still
// returned, with `problem` set, so they end in `failed` with that reason; cards no variant
// applies to (no rule matched, the variant's keyset missing) come back with `skip` set and
// end `skipped`. Nothing vanishes.

#include <memory>

#include "actors/engine_ports.hpp"
#include "actors/routes.hpp"
#include "actors/variant_rules.hpp"
#include "storage/api.hpp"

namespace otaflow::actors {

struct cursor_options {
  bool load_keys = true;  ///< false: decide variants only (campaign plan): no key is unsealed
  /// SMSC routes (borrowed): each card gets the index of its first matching route
  /// (card_info::route); a card no route matches cannot be served. Null: no routes.
  const route_table* routes = nullptr;
};

class subscriber_cursor final : public target_cursor {
 public:
  /// Selects `def.target` (or, when given, `target` instead: a trigger's selector).
  subscriber_cursor(storage::state& state, const campaign_def& def, cursor_options options = {});
  subscriber_cursor(storage::state& state, const campaign_def& def, target_def target,
                    cursor_options options = {});
  [[nodiscard]] result<std::vector<card_info>> next(std::size_t n) override;

 private:
  /// The card's variant, skip or problem; when it needs keys, its index in `out` goes to
  /// keys_wanted_ and load_keys() fills them for the whole page.
  status load(storage::subscriber s, std::vector<card_info>& out);
  /// Reads the keys of keys_wanted_ (one MultiGet) into their cards.
  void load_keys(std::vector<card_info>& out);

  storage::state& state_;
  target_def target_;
  variant_selector selector_;
  known_file_fn files_;
  cursor_options options_;
  storage::subscriber_filter filter_;
  std::string after_;
  std::size_t list_pos_ = 0;
  bool end_ = false;
  std::vector<std::size_t> keys_wanted_;
};

}  // namespace otaflow::actors
