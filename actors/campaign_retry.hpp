#pragma once
// `otaflow campaign retry` and the `retry` control event: failed jobs of a campaign queued
// again as a new attempt, after the cause of their failure was fixed (wrong keyset, SMSC
// refusals). The job keeps its counters and its history (a `queued` entry of attempt 0 after
// the `failed` one marks the retry), its attempt and resend budgets start again, and its
// reason says who asked until the new attempt ends. A cancelled campaign is refused
// (cancelling is final); a finished one (`done`) becomes `running`, a paused one stays paused
// until resumed. Cards whose key update left their keys uncertain are not retried: the
// operator resolves them first (`otaflow subscribers keys resolve`).

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "actors/job_state.hpp"
#include "base/error.hpp"
#include "storage/api.hpp"

namespace otaflow::actors {

/// Which failed jobs to queue again.
struct retry_filter {
  std::string reason;               ///< non-empty: only failures whose reason contains it
  std::vector<std::string> iccids;  ///< non-empty: only these cards (else every job)
};

/// What a retry queued and what it left.
struct retry_summary {
  std::string campaign;
  storage::campaign_status before = storage::campaign_status::done;
  storage::campaign_status after = storage::campaign_status::running;
  std::uint64_t queued = 0;                        ///< jobs queued again
  std::map<std::string, std::uint64_t> by_reason;  ///< queued jobs by their failure reason
  std::uint64_t not_failed = 0;                    ///< jobs examined that were not `failed`
  std::uint64_t reason_not_matched = 0;            ///< failed, reason without filter.reason
  std::uint64_t keys_uncertain = 0;                ///< failed with keys pending: not queued
  std::vector<std::string> not_found;              ///< filter.iccids without a job
};

/// The summary as the JSON object `campaign retry --json` prints (docs/CAMPAIGNS.md).
[[nodiscard]] nlohmann::json retry_summary_json(const retry_summary& s);

/// Puts a failed job back in `queued` for a new attempt: attempt and resends 0 (the budget
/// starts again), no back-off, message id, PoR status, status word or pending counter skip, a
/// new timer epoch, the counters kept, started_ms 0 (the new attempt's latency is its own); the
/// reason says who asked and keeps the old one; a history entry (queued, attempt 0) at now_ms.
void requeue_for_retry(job_record& job, std::string_view by, std::int64_t now_ms);

/// Queues the campaign's failed jobs that `filter` selects again, durably (one synced batch
/// per page of jobs, one `state` audit record each), moves a `done` campaign to `running`,
/// and appends one `control` audit record {"action":"retry","before","after","by","queued",
/// "reason"?,"iccids"?}. `owned` (when set) limits it to this instance's cards (serve's
/// partition-owned mode). Errors: errc::not_found (no such campaign), errc::conflict (the
/// campaign is cancelled), errc::bad_argument (an ICCID that is not 18-20 digits).
/// Not while a live engine runs the campaign's jobs from another process.
[[nodiscard]] result<retry_summary> retry_failed_jobs(
    storage::state& state, const std::string& campaign, const retry_filter& filter,
    std::string_view by, const std::function<bool(std::string_view)>& owned = {});

}  // namespace otaflow::actors
