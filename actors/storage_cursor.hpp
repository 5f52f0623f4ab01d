#pragma once
// The campaign's target selection over the profile repository: a lazy cursor in
// ICCID order (or the campaign's explicit ICCID list) that loads each card's keys
// of the campaign's keyset. Cards the engine cannot serve (unknown ICCID, no MSISDN,
// no such keyset) are still returned, with `problem` set, so they end in `failed`
// with that reason instead of vanishing.

#include "actors/engine_ports.hpp"
#include "storage/api.hpp"

namespace otaflow::actors {

class subscriber_cursor final : public target_cursor {
 public:
  subscriber_cursor(storage::state& state, target_def target, std::uint8_t keyset);
  [[nodiscard]] result<std::vector<card_info>> next(std::size_t n) override;

 private:
  card_info load(storage::subscriber s);

  storage::state& state_;
  target_def target_;
  std::uint8_t keyset_;
  storage::subscriber_filter filter_;
  std::string after_;
  std::size_t list_pos_ = 0;
  bool end_ = false;
};

}  // namespace otaflow::actors
