// `otaflow campaign retry --state DIR ID [--reason TEXT] [--iccid ICCID ...] [--json]`: queue
// the failed cards of a finished or paused campaign again (actors/campaign_retry.hpp), then
// `campaign run --resume` sends them. Refused while another process holds DIR: a `campaign
// run` does not pick up jobs queued behind its cursor, and serve takes a retry as a control
// event (docs/EVENTS.md) or through its API. Registered after `campaign` and added to it.

#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "actors/campaign_control.hpp"
#include "actors/campaign_retry.hpp"
#include "app/command.hpp"
#include "app/state_dir.hpp"

namespace otaflow::app {
namespace {

struct retry_args {
  std::string state_dir;
  std::string kek_file;
  std::string id;
  std::string reason;
  std::vector<std::string> iccids;
  bool json = false;
};

constexpr int kExitConflict = 3;  // as `campaign run` for a paused or cancelled campaign

void print_text(const actors::retry_summary& s) {
  std::printf("campaign %s: %llu failed cards queued again (%s -> %s)\n", s.campaign.c_str(),
              static_cast<unsigned long long>(s.queued),
              std::string(storage::name(s.before)).c_str(),
              std::string(storage::name(s.after)).c_str());
  for (const auto& [reason, n] : s.by_reason) {
    std::printf("  %8llu  %s\n", static_cast<unsigned long long>(n), reason.c_str());
  }
  std::printf(
      "skipped: %llu not failed, %llu reason not matched, %llu keys uncertain, %zu not "
      "found\n",
      static_cast<unsigned long long>(s.not_failed),
      static_cast<unsigned long long>(s.reason_not_matched),
      static_cast<unsigned long long>(s.keys_uncertain), s.not_found.size());
  for (const auto& i : s.not_found) std::printf("  no job for %s\n", i.c_str());
  if (s.queued > 0) {
    std::printf("send them: otaflow campaign run --resume --state DIR ... <campaign file>\n");
  }
}

int retry(const retry_args& a) {
  if (actors::state_dir_in_use(a.state_dir)) {
    std::fprintf(stderr,
                 "otaflow: %s is in use by another process; retry '%s' after that run ends, or "
                 "send serve a retry control event (docs/EVENTS.md) or POST "
                 "/api/v1/campaigns/%s/retry\n",
                 a.state_dir.c_str(), a.id.c_str(), a.id.c_str());
    return kExitConflict;
  }
  auto st = open_state(a.state_dir, a.kek_file, false);
  if (!st) {
    std::fprintf(stderr, "otaflow: %s\n", st.error().message.c_str());
    return st.error().code == make_error_code(errc::conflict) ? kExitConflict : 1;
  }
  auto s = actors::retry_failed_jobs(**st, a.id, {a.reason, a.iccids}, "cli");
  if (!s) {
    std::fprintf(stderr, "otaflow: campaign retry: %s\n", s.error().message.c_str());
    return s.error().code == make_error_code(errc::conflict) ? kExitConflict : 1;
  }
  if (a.json) {
    std::cout << actors::retry_summary_json(*s).dump(-1, ' ', false,
                                                     nlohmann::json::error_handler_t::replace)
              << std::endl;
  } else {
    print_text(*s);
  }
  return 0;
}

const command_registrar reg("campaign_retry", [](CLI::App& root) {
  auto* campaign = root.get_subcommand("campaign");
  auto a = std::make_shared<retry_args>();
  auto* cmd = campaign->add_subcommand(
      "retry", "Queue the failed cards of a finished or paused campaign again (a new attempt)");
  cmd->add_option("--state", a->state_dir, "State directory")->required();
  cmd->add_option("--kek-file", a->kek_file, "File with the key-encryption key (else OTAFLOW_KEK)");
  cmd->add_option("--reason", a->reason, "Only failures whose reason contains this text");
  cmd->add_option("--iccid", a->iccids, "Only this card (repeat for several)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_flag("--json", a->json, "Print the summary as one JSON object");
  cmd->add_option("id", a->id, "Campaign id")->required();
  cmd->callback([a] { exit_with(retry(*a)); });
});

}  // namespace
}  // namespace otaflow::app
