#pragma once
// Pause, resume and cancel from the command line. RocksDB lets one process open a state
// directory, so `otaflow campaign pause|resume|cancel --state DIR ID` writes the campaign's
// mode into the campaigns family itself when no process holds DIR, and otherwise drops a
// request file DIR/control/<ID>.<action> (written to a temporary name, then renamed) that the
// `campaign run` holding DIR applies durably within about a second and removes. A request
// left behind by a process that ended is applied by the next `campaign run` on DIR.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/subscriber_fsm.hpp"
#include "base/error.hpp"
#include "model/control_action.hpp"
#include "storage/api.hpp"

namespace otaflow::actors {

using model::control_action;
using model::parse_control_action;
using model::to_string;

/// True when a process holds the RocksDB lock of the state directory (DIR/LOCK, an fcntl
/// lock): its campaigns can then only be controlled through request files.
[[nodiscard]] bool state_dir_in_use(const std::filesystem::path& dir);

/// The directory of control requests: DIR/control.
[[nodiscard]] std::filesystem::path control_dir(const std::filesystem::path& state_dir);

using model::control_origin;

/// Who asks from this shell: {"cli", the operating-system user}.
[[nodiscard]] control_origin cli_origin();

/// Writes the request DIR/control/<id>.<action> atomically; returns its path. The file names
/// who asked (`origin`, fields that model::valid_origin_field refuses are left out), so that
/// the run that applies it audits the requester, not itself.
[[nodiscard]] result<std::filesystem::path> write_control_request(
    const std::filesystem::path& state_dir, const std::string& campaign, control_action action,
    const control_origin& origin = cli_origin());

/// A request file found in DIR/control.
struct control_request {
  std::string campaign;
  control_action action = control_action::pause;
  std::filesystem::path file;
  control_origin origin;  ///< as the file states it; {"cli"} for a file that names no one
};

/// The requests waiting in DIR/control, oldest first (files that do not parse are skipped).
[[nodiscard]] std::vector<control_request> pending_control_requests(
    const std::filesystem::path& state_dir);

/// What applying an action changed.
struct control_result {
  storage::campaign_status before = storage::campaign_status::running;
  storage::campaign_status after = storage::campaign_status::running;
  std::uint64_t jobs_failed = 0;  ///< cancel: jobs that were not terminal, now failed
};

/// Applies an action to a stored campaign, durably: pause and resume write its status;
/// cancel writes `cancelled` and fails every job that is not terminal ("cancelled: campaign
/// cancelled"). Errors: errc::not_found for an unknown campaign, errc::conflict for a pause or
/// resume of a cancelled campaign (cancelling is final). Not for a campaign whose jobs a live
/// engine is running (its jobs would get a second terminal state): use engine::set_mode then.
[[nodiscard]] result<control_result> apply_control(storage::state& state,
                                                   const std::string& campaign,
                                                   control_action action,
                                                   const control_origin& origin = cli_origin());

/// Appends the audit record (type `control`) of a campaign's status change: details
/// {"action", "before", "after", "by"[, "who"][, "from"][, "via"][, "jobs_failed"]}: `by` the
/// channel that asked ("cli", "http", "run --resume", "kafka", "alert"), `who` the OS user or
/// HTTP token name, `from` the HTTP client; `via` "kafka" when a serve instance relayed the
/// request through the trigger topic; jobs_failed for a cancel not from Kafka.
[[nodiscard]] status audit_control(storage::state& state, const std::string& campaign,
                                   control_action action, const control_result& r,
                                   const control_origin& origin, std::string_view via = {});
/// audit_control with origin {by, the OS user unless by is "kafka" or "alert"}.
[[nodiscard]] status audit_control(storage::state& state, const std::string& campaign,
                                   control_action action, const control_result& r,
                                   std::string_view by);

/// Fails every job of a campaign that is not terminal with `why` (ev_cancel or ev_expired),
/// durably and with one audit record each; returns how many.
[[nodiscard]] result<std::uint64_t> fail_open_jobs(storage::state& state,
                                                   const std::string& campaign,
                                                   const job_event& why);

}  // namespace otaflow::actors
