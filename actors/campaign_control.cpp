#include "actors/campaign_control.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>

#include <nlohmann/json.hpp>

#include "actors/key_settlement.hpp"
#include "actors/storage_ports.hpp"
#include "base/principal.hpp"

namespace otaflow::actors {
namespace fs = std::filesystem;

bool state_dir_in_use(const fs::path& dir) {
  // RocksDB locks DIR/LOCK with fcntl(F_SETLK) for as long as the database is open. F_GETLK
  // reports a lock held by another process (never our own: POSIX locks are per process).
  const int fd = ::open((dir / "LOCK").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  const bool held = ::fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
  ::close(fd);
  return held;
}

namespace {

// The origin lines of a request file (`by=`, `who=`, `from=` after the action line); {"cli"}
// when it names no one (a file written by an older otaflow, or by hand).
control_origin read_origin(const fs::path& file) {
  control_origin o;
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);  // the action
  int lines = 0;
  while (std::getline(in, line) && ++lines <= 8) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const auto k = line.substr(0, eq);
    auto v = line.substr(eq + 1);
    if (!model::valid_origin_field(v)) continue;
    if (k == "by") o.by = std::move(v);
    if (k == "who") o.who = std::move(v);
    if (k == "from") o.from = std::move(v);
  }
  if (o.by.empty()) o.by = "cli";
  return o;
}

}  // namespace

fs::path control_dir(const fs::path& state_dir) {
  return state_dir / "control";
}

control_origin cli_origin() {
  return {"cli", os_principal(), {}};
}

result<fs::path> write_control_request(const fs::path& state_dir, const std::string& campaign,
                                       control_action action, const control_origin& origin) {
  if (auto s = storage::validate_campaign_id(campaign); !s) return s.error();
  std::error_code ec;
  const auto dir = control_dir(state_dir);
  fs::create_directories(dir, ec);
  if (ec) {
    return make_error(errc::io, "cannot create '" + dir.string() + "': " + ec.message());
  }
  const auto name = campaign + "." + std::string(to_string(action));
  const auto final_path = dir / name;
  const auto tmp = dir / (".tmp." + name + "." + std::to_string(::getpid()));
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << to_string(action) << "\n";
    // key=value lines: who asked (read back by pending_control_requests).
    for (const auto& [k, v] : {std::pair<const char*, const std::string&>{"by", origin.by},
                               {"who", origin.who},
                               {"from", origin.from}}) {
      if (!v.empty() && model::valid_origin_field(v)) out << k << '=' << v << '\n';
    }
    out.flush();
    if (!out) return make_error(errc::io, "cannot write '" + tmp.string() + "'");
  }
  fs::rename(tmp, final_path, ec);  // atomic: the reader sees the whole file or none
  if (ec) {
    fs::remove(tmp, ec);
    return make_error(errc::io, "cannot create '" + final_path.string() + "'");
  }
  return final_path;
}

std::vector<control_request> pending_control_requests(const fs::path& state_dir) {
  std::vector<std::pair<fs::file_time_type, control_request>> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(control_dir(state_dir), ec)) {
    if (!e.is_regular_file(ec)) continue;
    const auto name = e.path().filename().string();
    if (name.empty() || name[0] == '.') continue;  // a request being written
    const auto dot = name.rfind('.');
    if (dot == std::string::npos || dot == 0) continue;
    auto action = parse_control_action(std::string_view(name).substr(dot + 1));
    if (!action) continue;
    auto t = e.last_write_time(ec);
    found.push_back(
        {t, control_request{name.substr(0, dot), *action, e.path(), read_origin(e.path())}});
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second.file < b.second.file;
  });
  std::vector<control_request> out;
  out.reserve(found.size());
  for (auto& [t, r] : found) out.push_back(std::move(r));
  return out;
}

result<std::uint64_t> fail_open_jobs(storage::state& state, const std::string& campaign,
                                     const job_event& why) {
  storage_job_store store(state);
  const job_policy policy;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::uint64_t n = 0;
  std::string after;
  while (true) {
    auto page = state.jobs().list(campaign, after, 1000, true);
    if (!page) return page.error();
    std::vector<job_update> updates;
    updates.reserve(page->items.size());
    for (const auto& item : page->items) {
      auto job = item.record;
      if (is_terminal(job.state)) continue;
      (void)transition(job, why, policy, now);
      if (!is_terminal(job.state)) continue;
      // The campaign's definition is not at hand: its keys are pending if the store says so.
      if (settle_keys(job, true) == key_settlement::keep) {
        auto held = state.keys().has_pending(item.iccid, campaign);
        if (!held) return held.error();
        if (*held) note_keys_uncertain(job.reason);
      }
      updates.push_back(job_update{campaign, item.iccid, std::move(job)});
    }
    if (!updates.empty()) {
      OTAFLOW_TRY(store.save(updates, true));
      n += updates.size();
    }
    if (page->end) break;
    after = page->resume_after;
  }
  return n;
}

result<control_result> apply_control(storage::state& state, const std::string& campaign,
                                     control_action action, const control_origin& origin) {
  auto rec = state.campaigns().get(campaign);
  if (!rec) return rec.error();
  if (!*rec) return make_error(errc::not_found, "no campaign '" + campaign + "'");
  control_result out;
  out.before = (*rec)->status;
  if (out.before == storage::campaign_status::cancelled && action != control_action::cancel) {
    return make_error(errc::conflict, "campaign '" + campaign + "' is cancelled; '" +
                                          std::string(to_string(action)) +
                                          "' does not apply (cancelling is final)");
  }
  switch (action) {
    case control_action::pause:
      out.after = storage::campaign_status::paused;
      break;
    case control_action::resume:
      out.after = storage::campaign_status::running;
      break;
    case control_action::cancel:
      out.after = storage::campaign_status::cancelled;
      break;
    case control_action::retry:
      // Retry carries a filter and a summary of its own (actors/campaign_retry.hpp).
      return make_error(errc::bad_argument, "campaign '" + campaign +
                                                "': 'retry' is not a mode change; use "
                                                "`otaflow campaign retry`");
  }
  // Cancel: the status first, so that a run starting meanwhile refuses the campaign.
  if (out.after != out.before) OTAFLOW_TRY(state.campaigns().set_status(campaign, out.after));
  if (action == control_action::cancel) {
    auto n = fail_open_jobs(state, campaign, ev_cancel{"campaign cancelled"});
    if (!n) return n.error();
    out.jobs_failed = *n;
  }
  OTAFLOW_TRY(audit_control(state, campaign, action, out, origin));
  return out;
}

status audit_control(storage::state& state, const std::string& campaign, control_action action,
                     const control_result& r, const control_origin& origin, std::string_view via) {
  nlohmann::json d = {{"action", to_string(action)},
                      {"before", storage::name(r.before)},
                      {"after", storage::name(r.after)},
                      {"by", origin.by}};
  if (!origin.who.empty()) d["who"] = origin.who;
  if (!origin.from.empty()) d["from"] = origin.from;
  if (!via.empty()) d["via"] = via;
  // Serve's cancel fails the open jobs through its engine afterwards: no count here.
  if (action == control_action::cancel && via.empty() && origin.by != "kafka") {
    d["jobs_failed"] = r.jobs_failed;
  }
  storage::audit_event e;
  e.campaign = campaign;
  e.type = storage::audit_type::control;
  e.details = d.dump();
  return state.audit().append(e, true);
}

status audit_control(storage::state& state, const std::string& campaign, control_action action,
                     const control_result& r, std::string_view by) {
  // Commands from a shell name the operating-system user; serve's come from Kafka, whose
  // record carries no verified principal (docs/AUDIT.md).
  control_origin o{std::string(by), {}, {}};
  if (by != "kafka" && by != "alert") o.who = os_principal();
  return audit_control(state, campaign, action, r, o);
}

}  // namespace otaflow::actors
