#pragma once
// Live counts of campaigns for the views (service/campaign_view.hpp), kept from the status
// events the engine's journal emits, so that a request for a campaign's counts does not scan
// its jobs (a 1M-card campaign: about 0.3 s of CPU per scan, docs/CAMPAIGNS.md "Cost").
//
// A status sink in front of another (the Kafka sink, a counter): each event updates its
// campaign's counts, then goes on. load() starts counting a campaign with one scan of its
// jobs; the jobs not terminal at that scan are remembered (ICCID, state, variant, PoR) so that
// their later events move a card from its old state to the new one; a card that ends leaves
// that map, so memory follows the cards in flight. Events of campaigns not loaded pass through
// uncounted.
//
// load() may run while events flow: the journal emits an event only after its state is
// durable, so a scan may already hold the state an event then reports. An event whose card
// the scan saw with updated_ms >= the event's ts_ms is therefore not counted again (the scan
// remembers the cards it saw change in the last `recent_ms` before it, default 60 s).
// Thread-safe: emit() from the journal's thread, counts() from any.

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "actors/engine_ports.hpp"
#include "base/error.hpp"
#include "service/campaign_view.hpp"
#include "storage/api.hpp"

namespace otaflow::service {

class campaign_tally final : public actors::status_sink {
 public:
  /// Counts, then passes every event on to `next` (may be null: counting only).
  explicit campaign_tally(actors::status_sink* next = nullptr, std::int64_t recent_ms = 60'000)
      : next_(next), recent_ms_(recent_ms) {}

  /// Starts (or restarts) counting a campaign from one scan of its jobs at `now_ms`.
  [[nodiscard]] status load(storage::state& state, std::string_view campaign_id,
                            std::int64_t now_ms);
  /// Whether a campaign is counted.
  [[nodiscard]] bool counts_campaign(std::string_view campaign_id) const;
  /// The live counts of a loaded campaign at `now_ms` (rate over the minute before it);
  /// nullopt when the campaign is not loaded.
  [[nodiscard]] std::optional<job_counts> counts(std::string_view campaign_id,
                                                 std::int64_t now_ms) const;
  /// Counts the events, then emits them to the next sink.
  void emit(std::span<const actors::status_event> events) override;

 private:
  struct card {
    model::job_state state;
    std::string variant;
    std::optional<std::uint8_t> por;
  };
  struct campaign {
    job_counts counts;  // terminal_last_minute unused: `ended` holds the times
    std::unordered_map<std::string, card> active;        // cards not terminal
    std::unordered_map<std::string, std::int64_t> seen;  // ICCID -> updated_ms, recent in scan
    std::deque<std::int64_t> ended;                      // ts of terminal states, last minute
  };
  void apply(campaign& c, const actors::status_event& e);

  actors::status_sink* next_;
  std::int64_t recent_ms_;
  mutable std::mutex mu_;
  std::map<std::string, campaign, std::less<>> campaigns_;
};

}  // namespace otaflow::service
