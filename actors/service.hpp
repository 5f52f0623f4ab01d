#pragma once
// Service mode of the engine (`otaflow serve`): campaigns are registered while the engine
// runs, and jobs arrive one card (or one target selection) at a time from a trigger source.
// The engine's service actor admits them idempotently (a card with a terminal job for the
// campaign is not sent again, one in flight is not doubled), keeps a bounded window of jobs
// in flight across all campaigns, and reports an admission's token once every job it caused
// has a durable state, so the trigger source can acknowledge (commit) it.
// The methods are on actors::engine (engine.hpp); the types live here.

#include <cstdint>
#include <functional>
#include <string_view>

namespace otaflow::actors {

/// What a campaign's jobs may do in service mode.
enum class campaign_mode : std::uint8_t {
  running,    ///< jobs start, retry and finish
  paused,     ///< new jobs are queued durably but not started; jobs in flight finish their
              ///< current attempt and hold before a retry until the campaign runs again
  cancelled,  ///< final: every non-terminal job fails with "cancelled: campaign cancelled",
              ///< including jobs admitted later
};

/// "running", "paused", "cancelled".
[[nodiscard]] std::string_view to_string(campaign_mode m) noexcept;

/// Service-mode tuning.
struct service_options {
  std::size_t window = 4000;  ///< jobs in flight across every campaign (>= 1); default 4000
};

/// Counters of the service mode: monotonic totals, and gauges marked "now".
struct service_stats {
  std::uint64_t admissions = 0;        ///< admit() calls
  std::uint64_t cards = 0;             ///< cards taken from admissions
  std::uint64_t started = 0;           ///< jobs started (subscriber actors spawned)
  std::uint64_t queued_paused = 0;     ///< new jobs queued for a paused campaign
  std::uint64_t skipped_terminal = 0;  ///< cards whose job was terminal already
  std::uint64_t skipped_active = 0;    ///< cards whose job was in flight already
  std::uint64_t skipped = 0;           ///< jobs ended `skipped`: no campaign variant applies
  std::uint64_t expired = 0;           ///< jobs failed at admission: validity expired (not_after)
  std::uint64_t queued_window = 0;     ///< admissions held back by the send window / not_before
  std::uint64_t cancelled = 0;         ///< jobs failed by a cancel without running
  std::uint64_t done = 0;              ///< jobs that reached `done`
  std::uint64_t failed = 0;            ///< jobs that reached `failed` while running
  std::uint64_t in_flight = 0;         ///< now: jobs running (not parked)
  std::uint64_t parked = 0;            ///< now: jobs of paused campaigns holding a due retry
  std::uint64_t waiting = 0;           ///< now: admissions not taken in full yet
  std::uint64_t journal_backlog = 0;   ///< now: state changes not durable yet (no job starts
                                       ///< while engine_options::journal_backlog_max wait)
};

/// Told, from an engine thread, that every job an admission caused has a durable state (or
/// needed none: terminal or in flight already). Must be cheap and thread-safe.
using admitted_fn = std::function<void(std::uint64_t token)>;

}  // namespace otaflow::actors
