#pragma once
// Failure-rate alerts of a campaign (docs/EVENTS.md "Alerts topic"). Outcomes of the
// campaign's jobs (PoR statuses, final delivery receipts, PoR timeouts) and of the SMSC binds
// that carried them (submit_sm answered ESME_RTHROTTLED, receipts) go into sliding windows of
// the last N outcomes, one per (scope, kind); a scope is the campaign, or the campaign on one
// bind. A window is judged once it holds `min_cards` outcomes: when its rate of bad outcomes
// reaches the threshold an alert is raised, once, and the next alert of that (scope, kind)
// waits until the rate has fallen below half the threshold (hysteresis), so a broken
// campaign yields one alert, not one per card. Pure: no CAF, no I/O, the caller gives the time.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actors/job_state.hpp"
#include "actors/subscriber_fsm.hpp"

namespace otaflow::actors {

/// The [alerts] section of a campaign. Without the section: alerts on, self-pause off.
struct alert_policy {
  bool enabled = true;               ///< judge rates and emit alerts; default true
  std::uint32_t min_cards = 100;     ///< outcomes a window needs before it is judged (1..window)
  std::uint32_t window = 1000;       ///< sliding window: the last N outcomes (1..1000000)
  double por_error_rate = 0.05;      ///< PoRs with a status other than 00; 0 = not judged
  double undeliverable_rate = 0.10;  ///< final receipts UNDELIVERABLE, REJECTED or EXPIRED
  double timeout_rate = 0.10;        ///< attempts whose PoR did not come within por_timeout
  double throttle_rate = 0.50;       ///< submit_sm answered ESME_RTHROTTLED, per bind
  /// PoRs that claim to answer the campaign's packets but lack the RC/CC/DS its SPI asks for,
  /// or carry a wrong one (forged, corrupted): per campaign and per bind
  double por_rejected_rate = 0.01;
  bool pause_on_alert = false;  ///< a campaign-wide alert pauses the campaign
  bool operator==(const alert_policy&) const = default;
};

/// What a window measures.
// journal: the store refused a job's row (actors/journal.hpp); produce: serve gave up
// producing a record (service/serve_kafka.hpp). Raised once each, not from a window.
enum class alert_kind : std::uint8_t {
  por_error,
  undeliverable,
  timeout,
  throttle,
  journal,
  produce,
  por_rejected
};

/// "por_error", "undeliverable", "timeout", "throttle", "journal", "produce", "por_rejected".
[[nodiscard]] std::string_view to_string(alert_kind k) noexcept;

/// One observation of a job or a bind.
struct alert_outcome {
  alert_kind kind = alert_kind::por_error;
  bool bad = false;
  std::uint8_t code = 0;  ///< PoR status, or receipt message_state (SMPP 3.4 §5.2.28)
  bool operator==(const alert_outcome&) const = default;
};

/// A threshold crossed (or, with `cleared`, a rate back below half of it).
struct alert {
  std::string campaign;
  std::optional<std::string> bind;  ///< set when the window is one bind's
  alert_kind kind = alert_kind::por_error;
  double rate = 0;           ///< bad outcomes / sample
  double threshold = 0;      ///< the policy's rate for this kind
  std::uint64_t sample = 0;  ///< outcomes in the window
  std::uint64_t count = 0;   ///< bad outcomes in the window
  bool paused = false;       ///< action: the campaign was paused ("paused"), else "none"
  std::string message;       ///< e.g. "PoR 01 on 100 of 100 PoRs (RC/CC/DS failed); ..."
  std::int64_t ts_ms = 0;
  bool cleared = false;  ///< the rate fell below half the threshold: the alert is over
};

/// The outcomes an event brings to the job whose record (before the event) is `before`:
/// a PoR of one of its packets (por_error, and a PoR in time for timeout), a final receipt
/// of its current attempt (undeliverable), its PoR timer firing (timeout). Late or stale
/// events (that the state machine ignores) bring none.
[[nodiscard]] std::vector<alert_outcome> classify(const job_record& before, const job_event& ev);

/// The alert windows of one campaign.
class alert_monitor {
 public:
  alert_monitor(std::string campaign, alert_policy policy);

  /// Feeds one outcome. `bind` names the SMSC bind that carried it (empty: unknown). Campaign
  /// windows judge por_error, undeliverable and timeout; bind windows judge throttle and
  /// undeliverable. Returns the alerts raised or cleared by this outcome (usually none).
  [[nodiscard]] std::vector<alert> observe(const alert_outcome& outcome, const std::string& bind,
                                           std::int64_t now_ms);
  /// Replaces the policy (a campaign definition updated); windows keep their contents.
  void set_policy(const alert_policy& policy) { policy_ = policy; }
  [[nodiscard]] const alert_policy& policy() const noexcept { return policy_; }
  /// Whether an alert of this scope (empty bind: the campaign) and kind is raised now.
  [[nodiscard]] bool active(alert_kind kind, const std::string& bind = {}) const;

 private:
  struct window {
    std::vector<std::uint16_t> ring;  // (bad << 8) | code, oldest overwritten first
    std::size_t next = 0;
    std::uint64_t bad = 0;
    std::array<std::uint32_t, 256> bad_codes{};  // bad outcomes in the window per code
    bool active = false;
  };

  std::optional<alert> feed(window& w, const alert_outcome& o, const std::string& bind,
                            std::int64_t now_ms);
  [[nodiscard]] double threshold(alert_kind k) const noexcept;

  std::string campaign_;
  alert_policy policy_;
  std::map<std::pair<std::string, alert_kind>, window> windows_;
};

}  // namespace otaflow::actors
