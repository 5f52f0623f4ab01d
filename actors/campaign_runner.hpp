#pragma once
// Runs one campaign end to end against the profile repository and SMSC binds: the
// glue that `otaflow campaign run` and `otaflow demo` share. Storage, the SMPP
// transport, the crypto backend and the engine are wired here.

#include <chrono>
#include <memory>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "actors/engine.hpp"
#include "actors/engine_metrics.hpp"
#include "actors/routed_transport.hpp"
#include "actors/smpp_client.hpp"
#include "storage/api.hpp"

namespace otaflow::actors {

struct runner_options {
  std::vector<smpp_options> binds;  ///< at least one, unless `routes` are given
  /// SMSC routes (`campaign run --routes`): cards go out by them and `binds` is ignored.
  /// Empty: one catch-all route over `binds`.
  route_table routes;
  std::chrono::milliseconds bind_timeout{10'000};  ///< give up when no bind succeeds in time
  engine_options engine;
  /// Run a paused campaign (it becomes running). Without it a paused campaign is refused
  /// with errc::conflict; a cancelled one always is.
  bool resume = false;
  /// Told every alert of the run (after a pausing alert's pause is durable).
  std::function<void(const alert&)> on_alert{};
  /// Poll DIR/control for pause / resume / cancel requests (actors/campaign_control.hpp)
  /// about this often while the campaign runs; 0 = never.
  std::chrono::milliseconds control_poll{1000};
  /// Metrics of the run (borrowed; `otaflow campaign run --http`): its status counts wrap the
  /// sink, its packaging counts the packet factory, and it reads the engine and SMPP
  /// transport while they live. Null: none.
  run_metrics* metrics = nullptr;
};

struct runner_result {
  campaign_summary summary;
  smpp_stats smpp;
  std::vector<route_stats> routes;  ///< each route's counters at the end of the run
};

/// Stores the campaign definition, binds to the SMSC(s) and runs every target to a
/// terminal state (resuming earlier runs of the same campaign id).
[[nodiscard]] result<runner_result> run_campaign(storage::state& state, const campaign_def& def,
                                                 const runner_options& options, status_sink& sink,
                                                 progress_fn progress = {});

/// The summary as the JSON object the commands print.
[[nodiscard]] nlohmann::json summary_json(const campaign_summary& s);
/// Each route's counters as a JSON object keyed by route name (the run summary's "routes").
[[nodiscard]] nlohmann::json routes_json(const std::vector<route_stats>& routes);
/// An alert as JSON, in the form of the alerts topic (docs/EVENTS.md).
[[nodiscard]] nlohmann::json alert_json(const alert& a);
/// Appends an alert to the audit log (type `alert`, details: alert_json, "cleared" if so).
[[nodiscard]] status audit_alert(storage::state& state, const alert& a);

/// Counts status events (the sink when nothing consumes them).
class counting_sink final : public status_sink {
 public:
  void emit(std::span<const status_event> events) override { count_ += events.size(); }
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }

 private:
  std::atomic<std::uint64_t> count_{0};
};

}  // namespace otaflow::actors
