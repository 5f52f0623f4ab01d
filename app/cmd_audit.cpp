// `otaflow audit export --state DIR [--campaign ID] [--iccid ICCID] [--from SEQ]`: the audit
// log as JSON lines, oldest first. Records never hold key material (storage/audit_log.hpp);
// details that are JSON are embedded as objects, other text as a string.
// `otaflow audit verify --state DIR [--trusted-key KEY ...]`: checks the chain and the signed
// checkpoints (storage/audit_verify.hpp), exit 1 naming every record found wrong.
// `otaflow audit keygen --out FILE`: a new Ed25519 checkpoint signing key (docs/AUDIT.md).

#include <cstdio>
#include <iostream>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/command.hpp"
#include "app/state_dir.hpp"
#include "secure/signing.hpp"
#include "service/report.hpp"
#include "storage/audit_log.hpp"
#include "storage/audit_verify.hpp"

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

struct verify_args {
  std::string state_dir;
  std::string kek_file;
  std::vector<std::string> trusted;
};

int verify_log(const verify_args& a) {
  std::vector<secure::ed25519_public> trusted;
  for (const auto& t : a.trusted) {
    auto k = secure::read_ed25519_public(t);
    if (!k) {
      std::fprintf(stderr, "otaflow: --trusted-key: %s\n", k.error().message.c_str());
      return 2;
    }
    trusted.push_back(*k);
  }
  auto st = open_state_read_only(a.state_dir, a.kek_file);
  if (!st) {
    std::fprintf(stderr, "otaflow: %s\n", st.error().message.c_str());
    return 1;
  }
  auto v = storage::verify_audit((*st)->database(), trusted);
  if (!v) {
    std::fprintf(stderr, "otaflow: audit verify: %s\n", v.error().message.c_str());
    return 1;
  }
  nlohmann::json problems = nlohmann::json::array();
  for (const auto& p : v->problems) problems.push_back({{"seq", p.seq}, {"problem", p.what}});
  nlohmann::json out = {{"ok", v->ok()},
                        {"records", v->records},
                        {"unchained_legacy", v->legacy},
                        {"declared_missing", v->declared_missing},
                        {"checkpoints", v->checkpoints},
                        {"last_checkpoint", v->last_checkpoint},
                        {"unsigned_tail", v->unsigned_tail},
                        {"signers", v->signers},
                        {"signers_pinned", !trusted.empty()},
                        {"problems", problems},
                        {"more_problems", v->more_problems}};
  std::cout << out.dump(2) << '\n';
  for (const auto& p : v->problems) {
    std::fprintf(stderr, "otaflow: audit %llu: %s\n", static_cast<unsigned long long>(p.seq),
                 p.what.c_str());
  }
  if (v->ok() && trusted.empty() && !v->signers.empty()) {
    std::fprintf(stderr,
                 "otaflow: checkpoints verify, but no --trusted-key was given: anyone with "
                 "write access could have re-signed them\n");
  }
  return v->ok() ? 0 : 1;
}

int keygen(const std::string& out) {
  auto k = secure::ed25519_signer::generate(out);
  if (!k) {
    std::fprintf(stderr, "otaflow: audit keygen: %s\n", k.error().message.c_str());
    return 1;
  }
  const auto& pub = (*k)->public_key();
  std::cout << nlohmann::json{{"key_file", out},
                              {"public_key", to_hex(byte_view(pub.data(), pub.size()))}}
                   .dump()
            << '\n';
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

  auto v = std::make_shared<verify_args>();
  auto* ver = audit->add_subcommand(
      "verify", "Check the audit chain and its signed checkpoints; name what was tampered with");
  ver->add_option("--state", v->state_dir, "State directory")->required();
  ver->add_option("--kek-file", v->kek_file, "File with the key-encryption key (else OTAFLOW_KEK)");
  ver->add_option("--trusted-key", v->trusted,
                  "Public key checkpoints must be signed with: 64 hex digits or a PEM file "
                  "(repeatable)");
  ver->callback([v] { exit_with(verify_log(*v)); });

  auto out = std::make_shared<std::string>();
  auto* kg = audit->add_subcommand("keygen", "Create an Ed25519 key for signing checkpoints");
  kg->add_option("--out", *out, "Private key file to create (PEM, mode 600)")->required();
  kg->callback([out] { exit_with(keygen(*out)); });
});

}  // namespace
}  // namespace otaflow::app
