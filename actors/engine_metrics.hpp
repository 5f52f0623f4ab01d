#pragma once
// The engine's Prometheus metrics (docs/OPERATIONS.md lists them): decorators of its ports
// that observe what passes through them, and collectors that read the stats the engine and
// the SMPP sessions keep anyway. Everything here is read at scrape time (base/metrics.hpp).
//
// - status_metrics decorates the status sink: every status event updates the count of cards
//   per (campaign, variant, state) (the card leaves its previous state and enters the new
//   one), the PoR status of each card that ends, and the trigger-to-PoR latency. The journal
//   calls it from several threads; it is striped by card, so threads rarely meet.
// - metered_packet_factory decorates the packet factory: crypto batch sizes, counters
//   reserved (relaxed atomics; the crypto stage calls it).
// - run_metrics gathers them for one engine and its SMPP transport while they live, and
//   keeps their last values after they are gone (a scraper still reads the final counts).

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/alert_monitor.hpp"
#include "actors/engine.hpp"
#include "actors/engine_ports.hpp"
#include "actors/routed_transport.hpp"
#include "actors/smpp_client.hpp"
#include "base/metrics.hpp"

namespace otaflow::actors {

/// Upper bounds (seconds) of the trigger-to-PoR latency histogram.
inline const std::vector<double> latency_buckets_s = {0.05, 0.1, 0.25, 0.5, 1,   2.5, 5,
                                                      10,   30,  60,   120, 300, 900, 3600};
/// Upper bounds of the crypto batch size histogram (requests per batch).
inline const std::vector<double> crypto_batch_buckets = {1, 4, 16, 64, 256, 1024, 2048, 4096};

/// Status sink decorator: counts cards per (campaign, variant, state), the PoR status of the
/// cards that end, and each card's latency from its first state (`queued`, or the first
/// attempt's `packaging` where queued is not journaled) to `done` or `failed` with a PoR. Counts
/// are what this process saw: a card seen first in a later state (a resumed run) enters that state
/// without leaving another.
class status_metrics final : public status_sink {
 public:
  /// `inner` (borrowed) gets every event after it is counted; nullptr: none.
  explicit status_metrics(status_sink* inner = nullptr);
  /// Sets where events go after they are counted; before the first emit() only.
  void set_inner(status_sink* inner) noexcept { inner_ = inner; }
  void emit(std::span<const status_event> events) override;
  /// Counts one alert (by campaign and kind).
  void on_alert(const alert& a);
  /// Writes otaflow_campaign_cards, otaflow_por_status_total, otaflow_por_latency_seconds,
  /// otaflow_status_events_total, otaflow_alerts_total.
  void collect(metrics::writer& w) const;

  /// What the dashboard shows (service/dashboard.hpp), summed over variants and stripes.
  struct view {
    std::map<std::string, std::array<std::uint64_t, model::job_state_count>> campaigns;
    std::map<std::uint8_t, std::uint64_t> por;      ///< cards ended, by PoR status
    std::map<std::string, std::uint64_t> failures;  ///< failed cards by reason
    metrics::histogram_snapshot latency;            ///< trigger to PoR, seconds
    std::vector<alert> alerts;                      ///< the last 50 alerts, oldest first
  };
  [[nodiscard]] view snapshot() const;

  /// Distinct failure reasons kept per campaign and stripe; more go to "other reasons".
  static constexpr std::size_t max_reasons = 64;

 private:
  static constexpr std::size_t stripes = 16;
  static constexpr std::size_t max_recent_alerts = 50;
  using state_counts = std::array<std::int64_t, model::job_state_count>;
  /// Lookups by string_view: an event of a card in flight allocates nothing.
  struct text_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  struct card {
    state_counts* counted = nullptr;  ///< the (campaign, variant) counts it is counted in
    std::int64_t first_ms = -1;       ///< the card's first state's time; -1 when not seen
    model::job_state state{};
  };
  /// One campaign's cards of one stripe.
  struct campaign_part {
    std::unordered_map<std::string, card, text_hash, std::equal_to<>> cards;  ///< until they end
    std::map<std::string, state_counts, std::less<>> variants;   ///< cards per state (stable nodes)
    std::map<std::uint8_t, std::uint64_t> por;                   ///< cards ended, by PoR status
    std::map<std::string, std::uint64_t, std::less<>> failures;  ///< failed cards by reason
  };
  struct stripe {
    mutable std::mutex mu;
    std::unordered_map<std::string, campaign_part, text_hash, std::equal_to<>> campaigns;
  };
  void observe(stripe& s, const status_event& e);

  status_sink* inner_;
  std::array<stripe, stripes> stripes_;
  std::atomic<std::uint64_t> events_{0};
  metrics::histogram latency_{latency_buckets_s};
  mutable std::mutex alerts_mu_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> alerts_;
  std::deque<alert> recent_alerts_;
};

/// What metered_packet_factory counts.
struct packaging_metrics {
  metrics::histogram batch_sizes{crypto_batch_buckets};
  std::atomic<std::uint64_t> packaged{0};  ///< requests that got a packet (a counter reserved)
  std::atomic<std::uint64_t> refused{0};   ///< requests that failed
  void collect(metrics::writer& w) const;
};

/// Packet factory decorator counting batch sizes and reserved counters.
class metered_packet_factory final : public packet_factory {
 public:
  metered_packet_factory(packet_factory& inner, packaging_metrics& m) : inner_(inner), m_(m) {}
  [[nodiscard]] std::vector<result<packaged>> package(
      std::span<const package_request> requests) override;
  [[nodiscard]] result<por_info> open_por(const card_info& card, const campaign_ctx& campaign,
                                          byte_view user_data) override {
    return inner_.open_por(card, campaign, user_data);
  }
  [[nodiscard]] std::uint64_t por_rejected() const noexcept override {
    return inner_.por_rejected();
  }

 private:
  packet_factory& inner_;
  packaging_metrics& m_;
};

/// Per-route counters (otaflow_route_*, label `route`).
void collect_routes(metrics::writer& w, const std::vector<route_stats>& routes);
/// Per-bind SMPP counters of `stats` (one entry per bind, named by `names`).
void collect_smpp(metrics::writer& w, const std::vector<std::string>& names,
                  const std::vector<smpp_stats>& stats);

/// The metrics of one engine run (campaign run, demo, serve): the status and packaging
/// decorators, and the engine and transport while attached. Thread-safe.
class run_metrics {
 public:
  /// `inner`: where status events go after they are counted (borrowed).
  explicit run_metrics(status_sink* inner) : statuses(inner) {}

  status_metrics statuses;
  packaging_metrics packaging;
  /// Cards in flight, as the campaign's progress reports say (campaign run, demo).
  std::atomic<std::uint64_t> in_flight{0};

  /// The engine (borrowed) is read at scrape time until detach_engine(); call that before
  /// it goes (its last timer count is kept).
  void attach_engine(const engine* eng);
  void detach_engine();
  /// The same for the SMPP transport (its last counters are kept, binds shown down).
  void attach_transport(const routed_transport* tp);
  void detach_transport();
  /// Everything above, as samples.
  void collect(metrics::writer& w) const;
  /// Readiness: empty when every SMPP bind is up, else which are down. Attached only.
  [[nodiscard]] std::optional<std::string> binds_down() const;
  /// Each SMSC route's counters (the last ones kept once detached, shown down).
  [[nodiscard]] std::vector<route_stats> routes() const;
  /// Each bind's name and counters (the last ones kept once detached, shown down).
  [[nodiscard]] std::vector<std::pair<std::string, smpp_stats>> binds() const;

 private:
  mutable std::mutex mu_;
  const engine* eng_ = nullptr;
  const routed_transport* tp_ = nullptr;
  std::vector<route_stats> last_routes_;
  std::vector<std::string> bind_names_;
  std::vector<smpp_stats> last_binds_;
  std::uint64_t last_timers_ = 0;
};

}  // namespace otaflow::actors
