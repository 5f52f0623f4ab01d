#pragma once
// The non-terminal jobs of one campaign, as cards: what service mode resumes at start,
// when a paused campaign runs again, and what a cancel fails. Pages through the jobs
// family (ICCID order, terminal jobs skipped) and loads each card as subscriber_cursor does
// (variant by the campaign's rules, keys of its keyset; unknown cards come back with
// `problem` set, cards no variant applies to with `skip`).

#include <string>

#include "actors/engine_ports.hpp"
#include "actors/routes.hpp"
#include "storage/api.hpp"

namespace otaflow::actors {

class active_job_cursor final : public target_cursor {
 public:
  /// `routes` (borrowed, may be null): the SMSC routes cards are matched to.
  active_job_cursor(storage::state& state, std::string campaign, campaign_def def,
                    const route_table* routes = nullptr)
      : state_(state), campaign_(std::move(campaign)), def_(std::move(def)), routes_(routes) {}
  [[nodiscard]] result<std::vector<card_info>> next(std::size_t n) override;

 private:
  storage::state& state_;
  std::string campaign_;
  campaign_def def_;
  const route_table* routes_;
  std::string after_;
  bool end_ = false;
};

}  // namespace otaflow::actors
