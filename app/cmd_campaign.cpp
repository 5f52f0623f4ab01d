// `otaflow campaign run|status|plan`: run a campaign file against an SMSC, show where it
// stands, or show what it would do without sending anything; pause|resume|cancel control a
// campaign (actors/campaign_control.hpp).

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "actors/campaign_control.hpp"
#include "actors/campaign_plan.hpp"
#include "actors/campaign_runner.hpp"
#include "actors/storage_ports.hpp"
#include "app/command.hpp"
#include "app/progress.hpp"
#include "app/state_dir.hpp"
#include "base/log.hpp"
#include "model/job.hpp"

namespace otaflow::app {
namespace {

struct run_args {
  std::string state_dir;
  std::string smsc = "127.0.0.1:2775";
  std::string system_id;
  std::string password;
  std::string kek_file;
  std::string campaign_file;
  int binds = 1;
  std::uint32_t window = 0;
  double bind_timeout_s = 10;
  bool resume = false;
};

// Exit code of `campaign run` when the campaign is paused (by an alert, a pause request, or
// before the run) or cancelled: not every target got its update.
constexpr int kExitPaused = 3;

result<actors::smpp_options> parse_endpoint(const std::string& hp) {
  const auto colon = hp.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return make_error(errc::bad_argument, "--smsc: expected HOST:PORT, got '" + hp + "'");
  }
  actors::smpp_options o;
  o.host = hp.substr(0, colon);
  try {
    const auto port = std::stoi(hp.substr(colon + 1));
    if (port <= 0 || port > 65535) throw std::out_of_range("port");
    o.port = static_cast<std::uint16_t>(port);
  } catch (const std::exception&) {
    return make_error(errc::bad_argument, "--smsc: bad port in '" + hp + "'");
  }
  return o;
}

int run(const run_args& a) {
  auto def = actors::load_campaign_file(a.campaign_file);
  if (!def) {
    std::fprintf(stderr, "otaflow: %s\n", def.error().message.c_str());
    return 2;
  }
  if (a.window > 0) def->policy.window = a.window;
  auto ep = parse_endpoint(a.smsc);
  if (!ep) usage_error(ep.error().message);
  auto st = open_state(a.state_dir, a.kek_file, true);
  if (!st) {
    std::fprintf(stderr, "otaflow: %s\n", st.error().message.c_str());
    return 1;
  }
  actors::runner_options ro;
  for (int i = 0; i < std::max(1, a.binds); ++i) {
    auto o = *ep;
    o.system_id = a.system_id;
    o.password = a.password;
    o.rate = def->policy.rate;
    ro.binds.push_back(o);
  }
  ro.bind_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(a.bind_timeout_s * 1000));
  ro.resume = a.resume;
  actors::counting_sink sink;
  progress_line bar;
  auto r = actors::run_campaign(**st, *def, ro, sink, bar.callback());
  bar.finish();
  if (!r) {
    std::fprintf(stderr, "otaflow: campaign %s: %s\n", def->id.c_str(), r.error().message.c_str());
    return r.error().code == make_error_code(errc::conflict) ? kExitPaused : 1;
  }
  std::cout << actors::summary_json(r->summary).dump() << std::endl;
  if (r->summary.paused || r->summary.cancelled) {
    std::fprintf(stderr, "otaflow: campaign %s %s\n", def->id.c_str(),
                 r->summary.cancelled ? "cancelled" : "paused: resume it with --resume");
    return kExitPaused;
  }
  return 0;
}

// pause / resume / cancel: directly in storage when no process holds the state directory,
// else through a request file the running `campaign run` applies within about a second.
int control(const std::string& dir, const std::string& kek_file, const std::string& id,
            actors::control_action action) {
  const auto what = std::string(actors::to_string(action));
  auto request = [&]() -> int {
    auto f = actors::write_control_request(dir, id, action);
    if (!f) {
      std::fprintf(stderr, "otaflow: %s\n", f.error().message.c_str());
      return 1;
    }
    // Wait for the holder to pick it up (it removes the file once applied).
    for (int i = 0; i < 50 && std::filesystem::exists(*f); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const bool applied = !std::filesystem::exists(*f);
    nlohmann::json out = {
        {"campaign", id}, {"action", what}, {"via", "request"}, {"applied", applied}};
    if (!applied) out["request"] = f->string();
    std::cout << out.dump() << std::endl;
    if (!applied) {
      std::fprintf(stderr,
                   "otaflow: %s is in use by another process that has not applied the %s "
                   "request yet; it stays in %s (the next `campaign run` on the directory "
                   "applies it)\n",
                   dir.c_str(), what.c_str(), f->string().c_str());
    }
    return 0;
  };
  if (actors::state_dir_in_use(dir)) return request();
  auto st = open_state(dir, kek_file, false);
  if (!st) {
    // Taken between the check and the open: the holder applies a request.
    if (st.error().code == make_error_code(errc::conflict)) return request();
    std::fprintf(stderr, "otaflow: %s\n", st.error().message.c_str());
    return 1;
  }
  auto r = actors::apply_control(**st, id, action);
  if (!r) {
    std::fprintf(stderr, "otaflow: %s\n", r.error().message.c_str());
    return r.error().code == make_error_code(errc::conflict) ? kExitPaused : 1;
  }
  nlohmann::json out = {{"campaign", id},
                        {"action", what},
                        {"via", "storage"},
                        {"applied", true},
                        {"before", std::string(storage::name(r->before))},
                        {"status", std::string(storage::name(r->after))}};
  if (action == actors::control_action::cancel) out["jobs_failed"] = r->jobs_failed;
  std::cout << out.dump() << std::endl;
  return 0;
}

int show_status(const std::string& dir, const std::string& kek_file, const std::string& id,
                const std::string& iccid) {
  auto st = open_state(dir, kek_file, false);
  if (!st) {
    std::fprintf(stderr, "otaflow: %s\n", st.error().message.c_str());
    return 1;
  }
  auto& s = **st;
  auto camp = s.campaigns().get(id);
  if (!camp || !*camp) {
    std::fprintf(stderr, "otaflow: no campaign '%s' in %s\n", id.c_str(), dir.c_str());
    return 1;
  }
  if (!iccid.empty()) {
    auto job = s.jobs().get(id, iccid);
    if (!job || !*job) {
      std::fprintf(stderr, "otaflow: campaign '%s' has no job for ICCID %s\n", id.c_str(),
                   iccid.c_str());
      return 1;
    }
    const auto& j = **job;
    nlohmann::json out = {
        {"campaign", id},       {"iccid", iccid},     {"state", actors::to_string(j.state)},
        {"attempt", j.attempt}, {"reason", j.reason}, {"updated_ms", j.updated_ms}};
    if (j.por_status) out["por_status"] = *j.por_status;
    if (!j.counters.empty()) out["counter"] = j.counters.back();
    if (!j.message_id.empty()) out["message_id"] = j.message_id;
    if (!j.variant.empty()) out["variant"] = j.variant;
    out["history"] = nlohmann::json::array();
    for (const auto& h : j.history) {
      nlohmann::json e = {
          {"state", actors::to_string(h.state)}, {"at_ms", h.at_ms}, {"attempt", h.attempt}};
      if (h.por_status) e["por_status"] = *h.por_status;
      out["history"].push_back(std::move(e));
    }
    std::cout << out.dump() << std::endl;
    return 0;
  }
  // One scan gives the counts per state and per variant.
  auto by_variant = s.jobs().count_by_variant(id);
  if (!by_variant) {
    std::fprintf(stderr, "otaflow: %s\n", by_variant.error().message.c_str());
    return 1;
  }
  std::map<model::job_state, std::uint64_t> counts;
  nlohmann::json variants = nlohmann::json::object();
  for (const auto& [variant, per_state] : *by_variant) {
    std::uint64_t vc = 0, vd = 0, vf = 0, vs = 0;
    for (const auto& [state, n] : per_state) {
      counts[state] += n;
      vc += n;
      if (state == model::job_state::done) vd += n;
      if (state == model::job_state::failed) vf += n;
      if (state == model::job_state::skipped) vs += n;
    }
    if (!variant.empty()) {
      variants[variant] = {{"cards", vc}, {"done", vd}, {"failed", vf}, {"skipped", vs}};
    }
  }
  nlohmann::json states = nlohmann::json::object();
  std::uint64_t cards = 0, done = 0, failed = 0, skipped = 0;
  for (const auto& [state, n] : counts) {
    states[std::string(model::to_string(state))] = n;
    cards += n;
    if (state == model::job_state::done) done += n;
    if (state == model::job_state::failed) failed += n;
    if (state == model::job_state::skipped) skipped += n;
  }
  nlohmann::json out = {{"campaign", id},
                        {"status", std::string(storage::name((*camp)->status))},
                        {"cards", cards},
                        {"done", done},
                        {"failed", failed},
                        {"skipped", skipped},
                        {"in_progress", cards - done - failed - skipped},
                        {"states", states},
                        {"variants", variants}};
  std::cout << out.dump() << std::endl;
  return 0;
}

struct plan_args {
  std::string state_dir;
  std::string kek_file;
  std::string campaign_file;
  bool json = false;
  std::size_t examples = 3;
};

// Sends nothing and writes nothing: the selection and the rules over the repository.
int plan(const plan_args& a) {
  auto def = actors::load_campaign_file(a.campaign_file);
  if (!def) {
    std::fprintf(stderr, "otaflow: %s\n", def.error().message.c_str());
    return 2;
  }
  auto st = open_state(a.state_dir, a.kek_file, false);
  if (!st) {
    std::fprintf(stderr, "otaflow: %s\n", st.error().message.c_str());
    return 1;
  }
  auto p = actors::plan_campaign(**st, *def, a.examples);
  if (!p) {
    std::fprintf(stderr, "otaflow: campaign %s: %s\n", def->id.c_str(), p.error().message.c_str());
    return 1;
  }
  if (a.json) {
    std::cout << actors::plan_json(*p).dump() << std::endl;
  } else {
    std::cout << actors::plan_table(*p) << std::flush;
  }
  return 0;
}

const command_registrar reg("campaign", [](CLI::App& root) {
  auto* campaign = root.add_subcommand("campaign", "Run campaigns and show their state");
  campaign->require_subcommand(1);

  auto a = std::make_shared<run_args>();
  auto* run_cmd = campaign->add_subcommand(
      "run", "Run a campaign file until every target is terminal (resumes an interrupted run)");
  run_cmd->add_option("--state", a->state_dir, "State directory (RocksDB)")->required();
  run_cmd->add_option("--smsc", a->smsc, "SMSC address HOST:PORT")->capture_default_str();
  run_cmd->add_option("--system-id", a->system_id, "SMPP system_id")->required();
  run_cmd->add_option("--password", a->password, "SMPP password")->required();
  run_cmd->add_option("--binds", a->binds, "Parallel SMPP binds")->capture_default_str();
  run_cmd->add_option("--window", a->window, "Cards in flight (overrides policy.window)");
  run_cmd->add_option("--kek-file", a->kek_file,
                      "File with the key-encryption key (else OTAFLOW_KEK)");
  run_cmd->add_option("--bind-timeout", a->bind_timeout_s, "Seconds to wait for the first bind")
      ->capture_default_str();
  run_cmd->add_flag("--resume", a->resume, "Run the campaign even if it is paused (resumes it)");
  run_cmd->add_option("campaign", a->campaign_file, "Campaign file (TOML)")->required();
  run_cmd->callback([a] { exit_with(run(*a)); });

  auto dir = std::make_shared<std::string>();
  auto id = std::make_shared<std::string>();
  auto iccid = std::make_shared<std::string>();
  auto kek = std::make_shared<std::string>();
  auto* status_cmd = campaign->add_subcommand("status", "Counts per state, or one card's job");
  status_cmd->add_option("--state", *dir, "State directory")->required();
  status_cmd->add_option("--iccid", *iccid, "Show one card's job");
  status_cmd->add_option("--kek-file", *kek, "File with the key-encryption key (else OTAFLOW_KEK)");
  status_cmd->add_option("id", *id, "Campaign id")->required();
  status_cmd->callback([=] { exit_with(show_status(*dir, *kek, *id, *iccid)); });

  for (auto action : {actors::control_action::pause, actors::control_action::resume,
                      actors::control_action::cancel}) {
    auto cdir = std::make_shared<std::string>();
    auto cid = std::make_shared<std::string>();
    auto ckek = std::make_shared<std::string>();
    const char* help = action == actors::control_action::pause
                           ? "Pause a campaign: no new card starts; cards in flight finish"
                       : action == actors::control_action::resume
                           ? "Resume a paused campaign"
                           : "Cancel a campaign: every job not terminal fails (final)";
    auto* cmd = campaign->add_subcommand(std::string(actors::to_string(action)), help);
    cmd->add_option("--state", *cdir, "State directory")->required();
    cmd->add_option("--kek-file", *ckek, "File with the key-encryption key (else OTAFLOW_KEK)");
    cmd->add_option("id", *cid, "Campaign id")->required();
    cmd->callback([=] { exit_with(control(*cdir, *ckek, *cid, action)); });
  }

  auto p = std::make_shared<plan_args>();
  auto* plan_cmd = campaign->add_subcommand(
      "plan", "Show how many cards each variant would get, without sending anything");
  plan_cmd->add_option("--state", p->state_dir, "State directory (RocksDB)")->required();
  plan_cmd->add_option("--kek-file", p->kek_file,
                       "File with the key-encryption key (else OTAFLOW_KEK)");
  plan_cmd->add_flag("--json", p->json, "One JSON object instead of a table");
  plan_cmd->add_option("--examples", p->examples, "Example ICCIDs per variant")
      ->capture_default_str();
  plan_cmd->add_option("campaign", p->campaign_file, "Campaign file (TOML)")->required();
  plan_cmd->callback([p] { exit_with(plan(*p)); });
});

}  // namespace
}  // namespace otaflow::app
