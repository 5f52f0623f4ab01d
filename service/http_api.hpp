#pragma once
// The HTTP API and the dashboard on the process's endpoint (service/http_server.hpp):
//   GET  /                                          the dashboard page (embedded assets)
//   GET  /assets/...                                its script and style
//   GET  /api/v1/dashboard                          the page's data (service/dashboard.hpp)
//   GET  /api/v1/campaigns                          every campaign (service/campaign_view.hpp)
//   GET  /api/v1/campaigns/{id}                     one campaign: counts, PoR, rates, ETA
//   GET  /api/v1/campaigns/{id}/cards/{iccid}       one card's job with its history
//   POST /api/v1/campaigns/{id}/pause|resume|cancel control, with `Authorization: Bearer`
//   POST /api/v1/campaigns/{id}/retry               failed cards again; body (optional):
//                                                   {"reason": "text", "iccids": ["..."]}
// Control is off (403) when no token is configured (service/http_token.hpp); a missing or wrong
// token gets 401. No response carries key material: the views summarise definitions.

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "actors/engine_metrics.hpp"
#include "base/error.hpp"
#include "model/control_action.hpp"
#include "service/dashboard.hpp"
#include "service/http_server.hpp"
#include "service/http_token.hpp"
#include "storage/api.hpp"

namespace otaflow::service {

/// What the API reads and how it controls campaigns.
struct api_context {
  /// The state the views read (borrowed; open while the server runs).
  storage::state* state = nullptr;
  /// Builds the dashboard's snapshot now.
  std::function<dashboard_snapshot()> snapshot;
  /// The dashboard's history (borrowed), sampled once a second by the owner.
  dashboard_history* history = nullptr;
  /// Asks for a pause, resume or cancel; errc::not_found for an unknown campaign. Returns what
  /// was done, for the answer ("published to ota.triggers", "applied").
  /// `origin`: {"http", the token's name, the client's address}, for the audit record.
  std::function<result<std::string>(const std::string& campaign, model::control_action action,
                                    const model::control_origin& origin)>
      control;
  /// Asks for a retry of failed jobs (those whose reason contains `reason`, when not empty;
  /// of the cards `iccids`, when not empty). Unset: the process cannot retry (409).
  std::function<result<std::string>(const std::string& campaign, const std::string& reason,
                                    const std::vector<std::string>& iccids,
                                    const model::control_origin& origin)>
      retry;
  /// The bearer tokens for control (service/http_token.hpp); empty: control is off.
  http_tokens tokens;
  /// The wall clock in ms since the epoch (tests set it; default wall_now_ms).
  std::function<std::int64_t()> now_ms;
};

/// Registers every route above on `server`; `ctx` is copied.
void add_api_routes(http_server& server, api_context ctx);

/// Where a dashboard snapshot of one engine run comes from.
struct dashboard_source {
  const actors::run_metrics* metrics = nullptr;  ///< borrowed
  std::string mode;                              ///< "serve", "run", "demo"
  std::string instance;
  std::int64_t started_ms = 0;
  /// A campaign's status ("running", "paused", ...); empty function or answer: "running".
  std::function<std::string(const std::string& campaign)> campaign_status;
  /// The cards a campaign targets when known, else 0 (an empty function: 0).
  std::function<std::uint64_t(const std::string& campaign)> campaign_targets;
};

/// The dashboard's snapshot of a run's metrics at `now_ms`: cards per state per campaign, PoR
/// statuses, failures by reason, the latency histogram, the last alerts and the binds.
[[nodiscard]] dashboard_snapshot take_snapshot(const dashboard_source& source, std::int64_t now_ms);

/// Samples a dashboard history once a second on its own thread, from start to destruction.
class dashboard_sampler {
 public:
  dashboard_sampler(dashboard_history& history, std::function<dashboard_snapshot()> snapshot);
  ~dashboard_sampler();
  dashboard_sampler(const dashboard_sampler&) = delete;
  dashboard_sampler& operator=(const dashboard_sampler&) = delete;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

/// A campaign's stored status ("running", "paused", "cancelled", "done"; empty when unknown),
/// for dashboard_source::campaign_status. `state` is borrowed.
[[nodiscard]] std::function<std::string(const std::string&)> stored_campaign_status(
    storage::state& state);

/// Milliseconds since the epoch, wall clock.
[[nodiscard]] std::int64_t wall_now_ms() noexcept;

}  // namespace otaflow::service
