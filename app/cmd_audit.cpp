// `otaflow audit export --state DIR [--campaign ID] [--iccid ICCID] [--from SEQ]`: the audit
// log as JSON lines, oldest first. Records never hold key material (storage/audit_log.hpp);
// details that are JSON are embedded as objects, other text as a string.

#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/command.hpp"
#include "app/state_dir.hpp"
#include "service/report.hpp"
#include "storage/audit_log.hpp"

namespace otaflow::app {
namespace {

struct audit_args {
  std::string state_dir;
  std::string kek_file;
  std::string campaign;
  std::string iccid;
  std::uint64_t from = 1;
};

nlohmann::json to_json(const storage::audit_entry& en) {
  const auto& e = en.event;
  nlohmann::json j = {{"seq", en.seq},
                      {"time", service::iso8601(e.time_ms)},
                      {"time_ms", e.time_ms},
                      {"type", storage::name(e.type)}};
  if (!e.campaign.empty()) j["campaign"] = e.campaign;
  if (!e.iccid.empty()) j["iccid"] = e.iccid;
  auto d = nlohmann::json::parse(e.details, nullptr, false);
  if (!e.details.empty() && !d.is_discarded() && d.is_object()) {
    j["details"] = std::move(d);
  } else if (!e.details.empty()) {
    j["details"] = e.details;
  }
  return j;
}

int export_audit(const audit_args& a) {
  auto st = open_state_read_only(a.state_dir, a.kek_file);
  if (!st) {
    std::fprintf(stderr, "otaflow: %s\n", st.error().message.c_str());
    return 1;
  }
  std::uint64_t n = 0;
  auto s = (*st)->audit().scan(a.from, [&](const storage::audit_entry& en) {
    if (!a.campaign.empty() && en.event.campaign != a.campaign) return true;
    if (!a.iccid.empty() && en.event.iccid != a.iccid) return true;
    std::cout << to_json(en).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    ++n;
    return static_cast<bool>(std::cout);
  });
  std::cout.flush();
  if (!s) {
    std::fprintf(stderr, "otaflow: audit export: %s\n", s.error().message.c_str());
    return 1;
  }
  std::fprintf(stderr, "otaflow: %llu audit records\n", static_cast<unsigned long long>(n));
  return 0;
}

const command_registrar reg("audit", [](CLI::App& root) {
  auto* audit = root.add_subcommand("audit", "Read the audit log");
  audit->require_subcommand(1);
  auto a = std::make_shared<audit_args>();
  auto* cmd = audit->add_subcommand("export", "Print audit records as JSON lines, oldest first");
  cmd->add_option("--state", a->state_dir, "State directory")->required();
  cmd->add_option("--kek-file", a->kek_file, "File with the key-encryption key (else OTAFLOW_KEK)");
  cmd->add_option("--campaign", a->campaign, "Only this campaign's records");
  cmd->add_option("--iccid", a->iccid, "Only this card's records");
  cmd->add_option("--from", a->from, "First sequence number")->capture_default_str();
  cmd->callback([a] { exit_with(export_audit(*a)); });
});

}  // namespace
}  // namespace otaflow::app
