#pragma once
// The live dashboard's data (`GET /api/v1/dashboard`, drawn by the page `GET /`): a snapshot of
// the engine's counts taken by whoever serves it (serve, campaign run), plus a short history
// of one-second samples kept here so that the charts of cards per state, throughput and each
// campaign's rate and ETA exist even for a page opened late. Plain data and JSON: no HTTP, no
// CAF, no Kafka. The page's assets are embedded in the binary (dashboard_assets.hpp).

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "model/job.hpp"

namespace otaflow::service {

/// Cards of one campaign in each job state, and the campaign's own status.
struct dashboard_campaign {
  std::string id;
  std::string status;  ///< "running", "paused", "cancelled", "finished", ...
  std::array<std::uint64_t, model::job_state_count> states{};
  /// Cards the campaign targets when known (the demo's fleet), else 0: the cards seen so far
  /// then stand for them, and the progress and ETA cover only those.
  std::uint64_t targets = 0;
};

/// One SMSC bind's counters.
struct dashboard_bind {
  std::string name;  ///< "HOST:PORT/N"
  bool up = false;
  std::uint64_t submits = 0, receipts = 0, throttled = 0, reconnects = 0;
};

/// An alert that fired.
struct dashboard_alert {
  std::int64_t at_ms = 0;
  std::string severity;  ///< "warning", "critical"
  std::string campaign;
  std::string message;
};

/// Everything the page shows at one instant.
struct dashboard_snapshot {
  std::string instance;  ///< the instance id (serve) or the state directory (run)
  std::string mode;      ///< "serve", "run", "demo"
  std::int64_t started_ms = 0;
  std::int64_t now_ms = 0;
  std::vector<dashboard_campaign> campaigns;
  /// Trigger-to-PoR latency: upper bounds in seconds and per-bucket (not cumulative) counts,
  /// one more count than bounds (the last is above every bound).
  std::vector<double> latency_le;
  std::vector<std::uint64_t> latency_counts;
  std::map<std::uint8_t, std::uint64_t> por;  ///< PoR status code -> PoRs received
  std::vector<std::pair<std::string, std::uint64_t>> failures;  ///< reason -> failed jobs
  std::vector<dashboard_alert> alerts;                          ///< newest last
  std::vector<dashboard_bind> binds;
};

/// The last `capacity` one-second samples (thread-safe): totals per state, cards finished per
/// second, and each campaign's finished count for its rate over the last minute.
class dashboard_history {
 public:
  explicit dashboard_history(std::size_t capacity = 600) : capacity_(capacity) {}

  /// Records a sample of `s` (meant once a second; any spacing works, rates use real times).
  void sample(const dashboard_snapshot& s);
  /// The JSON document of `/api/v1/dashboard`: `s` with the history. Failures are sorted by
  /// count and cut to the 20 largest; alerts to the 50 newest.
  [[nodiscard]] std::string render(const dashboard_snapshot& s) const;

 private:
  struct point {
    std::int64_t t_ms = 0;
    std::array<std::uint64_t, model::job_state_count> states{};
    std::uint64_t finished = 0;
  };
  std::size_t capacity_;
  mutable std::mutex mu_;
  std::deque<point> points_;
  /// campaign -> (t_ms, finished) samples of the last minute.
  std::map<std::string, std::deque<std::pair<std::int64_t, std::uint64_t>>> finished_;
};

/// Cards of a campaign in a terminal state (done, failed, skipped).
[[nodiscard]] std::uint64_t finished_cards(
    const std::array<std::uint64_t, model::job_state_count>& states) noexcept;

}  // namespace otaflow::service
