#pragma once
// The life of one (campaign, card) job as a pure transition table:
// state x event -> state + actions. The CAF subscriber actor is a thin shell
// that runs the actions (package, submit, timers, persist + emit status).
// Model: libosmocore core/fsm.h. Tested without CAF.

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "actors/job_state.hpp"

namespace otaflow::actors {

using duration = std::chrono::milliseconds;

/// What one step of a multi-step job (a RAM campaign, actors/ram_steps.hpp) sends: the engine
/// treats a LOAD step's 6A86 and a list step's 6310 specially (transition()).
enum class step_kind : std::uint8_t {
  script = 0,            ///< any other command packet (DELETE, INSTALL [for install], ...)
  install_for_load = 1,  ///< INSTALL [for load]: starts (or starts again) the card's load
  load = 2,              ///< LOAD blocks, the first one in the packet numbered as planned
  list = 3,              ///< GET STATUS, with page n: the first GET STATUS and n "next"s
  remove = 4,            ///< one DELETE: 6A88 after the step was sent again means it is gone
};

/// Retry and timeout policy of a campaign.
struct job_policy {
  std::uint16_t max_attempts = 3;  ///< delivery attempts before `failed` (>= 1)
  duration por_timeout{30'000};    ///< from submit_sm_resp to the PoR
  duration retry_base{5'000};      ///< first back-off; doubles each attempt
  duration retry_max{300'000};     ///< back-off ceiling
  std::uint16_t max_resends = 5;   ///< submits lost with the connection, resent
  /// Counter values skipped after the first PoR 02 "counter low" of a job (security.counter_skip,
  /// 1..1,000,000): the next attempt's counter is the last one handed out + 1 + counter_skip.
  std::uint32_t counter_skip = 100;
  /// The steps of the card's variant, one command packet each (set per card by the subscriber;
  /// the prepared variant owns them and outlives the job). Empty: a job of one step. Attempt
  /// budgets (max_attempts, max_resends) are per step.
  std::span<const step_kind> steps{};
  /// The number of steps (at least 1).
  [[nodiscard]] std::size_t step_count() const noexcept { return steps.empty() ? 1 : steps.size(); }
};

// ---- events -------------------------------------------------------------------------

struct ev_start {};  ///< a trigger, or a resume after restart
struct ev_packaged {
  std::uint64_t counter;
};  ///< the packet is secured with this CNTR
struct ev_package_failed {
  std::string reason;
  bool retriable;
};
struct ev_submit_ok {
  std::string message_id;
};
/// submit_sm_resp with an error status (throttling is handled by the session, not here).
struct ev_submit_failed {
  std::uint32_t command_status;
  std::string reason;
  bool retriable;
};
/// The connection dropped before submit_sm_resp: the message may or may not be at the SMSC.
struct ev_submit_lost {};
/// A delivery receipt (SMPP 3.4 message_state: 2 delivered, 3 expired, 5 undeliverable, ...).
struct ev_receipt {
  std::uint8_t message_state;
  std::string error;
};
/// A Proof-of-Receipt for one of this job's packets.
struct ev_por {
  std::uint64_t counter;  ///< CNTR echoed by the card
  std::uint8_t status;    ///< TS 102 225 §5.2.2 status code
  /// The PoR carries the protection the campaign's SPI asks for and it checked. False: an
  /// unsecured error PoR (por_status_may_be_unsecured), a failed attempt at most.
  bool verified;
  std::optional<std::uint16_t> script_sw;  ///< last SW of the script response, if any
  std::uint8_t executed = 0;               ///< commands the card executed
  std::uint8_t expected = 0;               ///< commands in the script
  std::string failure{};                   ///< a PoR OK that does not prove the update: why
  bytes data{};  ///< response data of the script's last command (por_info::script_data)
};
struct ev_por_timeout {
  std::uint32_t epoch;
};
struct ev_retry_due {
  std::uint32_t epoch;
};
struct ev_cancel {
  std::string reason;
};
/// No variant of the campaign applies to the card (no rule matched, or the chosen variant's
/// keyset is missing): the job ends `skipped` without sending anything.
struct ev_skip {
  std::string reason;
};
/// The campaign's validity period ended (policy.not_after): a job not terminal fails with
/// the reason "validity expired".
struct ev_expired {};

using job_event = std::variant<ev_start, ev_packaged, ev_package_failed, ev_submit_ok,
                               ev_submit_failed, ev_submit_lost, ev_receipt, ev_por, ev_por_timeout,
                               ev_retry_due, ev_cancel, ev_skip, ev_expired>;

// ---- actions ------------------------------------------------------------------------

/// Reserve a counter, secure the packet. skip > 0: the counter jumps ahead by that many values
/// first (the attempt after a PoR 02 "counter low").
struct act_package {
  std::uint64_t skip = 0;
  std::uint16_t step = 0;  ///< the job's step (job_record::step): which packet to build
  std::uint16_t page = 0;  ///< a list step's "next" pages (job_record::page)
};
struct act_submit {};  ///< hand the secured packet to an SMPP session
struct act_arm_por_timer {
  duration after;
  std::uint32_t epoch;
};
struct act_arm_retry_timer {
  duration after;
  std::uint32_t epoch;
};
struct act_persist {};  ///< state changed: persist and emit a status

using job_action =
    std::variant<act_package, act_submit, act_arm_por_timer, act_arm_retry_timer, act_persist>;

/// Applies one event. Returns the actions to run, in order. Events that do not fit
/// the state (late receipts, stale timers, a PoR after `done`) change nothing.
/// A PoR 02 "counter low" (verified, or unsecured while waiting for a PoR) is retried once per
/// job, at once (retry_wait with a 0 ms back-off) and even past max_attempts: the next packet's
/// counter skips policy.counter_skip values (job.counter_skip_at remembers it); a second one fails
/// the job. `now_ms` stamps updated_ms when the state changes and dates the end of a back-off
/// (retry_at_ms, set on entering retry_wait). An ev_start in retry_wait (a resumed job) before
/// retry_at_ms arms the retry timer for the rest of the back-off (at most retry_max); after it,
/// the attempt starts.
[[nodiscard]] std::vector<job_action> transition(job_record& job, const job_event& event,
                                                 const job_policy& policy, std::int64_t now_ms);

/// Back-off before attempt n+1 (n >= 1): retry_base * 2^(n-1), at most retry_max.
[[nodiscard]] duration backoff(const job_policy& policy, std::uint16_t attempt) noexcept;

/// Whether a card may answer with this status unsecured, having failed to verify, decipher
/// or process the command (01-0A; docs/standards/ts102225-secured-packets.md §11). Such a PoR
/// is a retriable failure of the attempt; any other unsecured PoR is rejected.
[[nodiscard]] bool por_status_may_be_unsecured(std::uint8_t status) noexcept;

/// Whether the engine may try again after this PoR status (a verified PoR).
[[nodiscard]] bool por_status_retriable(std::uint8_t status) noexcept;

}  // namespace otaflow::actors
