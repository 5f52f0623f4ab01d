// `otaflow smsc-sim --listen HOST:PORT --fleet fleet.csv --state DIR [--system-id ID
// --password-file FILE] [--config FILE] [--tls-cert PEM --tls-key PEM] [--mo-delivery
// round_robin|origin] [--null-cards]`: runs the SMSC
// simulator (SMPP 3.4 server, docs/smsc-simulator.md) in front of the virtual UICC fleet until
// SIGTERM/SIGINT, logs one line per bind and prints the summary on exit: the counters as a table,
// then, as the last stdout line, one JSON object (binds, submits, receipts, delivered, the fleet's
// PoR status histogram keyed by two lower-case hex digits, cards changed, the deliver_sm per bind)
// that scripts read.

#include <cmath>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "app/command.hpp"
#include "app/smpp_secrets.hpp"
#include "base/log.hpp"
#include "base/secrets.hpp"
#include "sim/card_gateway.hpp"
#include "sim/fleet.hpp"
#include "sim/smsc_config.hpp"
#include "sim/smsc_server.hpp"

namespace otaflow::app {
namespace {

struct options {
  std::string listen = "127.0.0.1:2775";
  std::string fleet_csv;
  std::string state_dir;
  std::string system_id;
  password_args password;  // --password-file or OTAFLOW_SMPP_PASSWORD; --password is refused
  std::string config_file;
  std::string tls_cert, tls_key;
  std::string mo_delivery;   // empty: the config file's (default round_robin)
  std::string card_profile;  // empty: sim::default_card_profile()
  bool null_cards = false;
};

/// Cards that accept every message with an empty RP-ACK: load tests of the SMPP side alone.
class null_cards final : public sim::card_gateway {
 public:
  sim::mt_outcome deliver(std::string_view, byte_view) override { return {}; }
};

/// The virtual UICC fleet of a CSV (a generated one is recognised by its .meta sidecar);
/// card state persists under the state directory.
result<std::unique_ptr<sim::fleet>> open_fleet(const std::string& csv, const std::string& state_dir,
                                               const std::string& card_profile) {
  sim::fleet_options fo;
  fo.state_dir = state_dir;
  if (!card_profile.empty()) {
    auto p = sim::load_card_profile(card_profile);
    if (!p) return p.error();
    fo.profile = std::move(*p);
  }
  return sim::fleet::from_csv(csv, fo);
}

/// The one-line JSON summary: the SMSC's counters and the fleet's (when there is one).
nlohmann::ordered_json summary_json(const sim::smsc_summary& s, const sim::fleet* f) {
  nlohmann::ordered_json j;
  j["binds"] = s.binds;
  j["bind_failures"] = s.bind_failures;
  j["submits"] = s.submits;
  j["accepted"] = s.accepted;
  j["rejected"] = s.rejected;
  j["throttled"] = s.throttled;
  j["generic_nacks"] = s.generic_nacks;
  j["attempts"] = s.attempts;
  j["delivered"] = s.delivered;
  j["failed"] = s.failed;
  j["expired"] = s.expired;
  j["receipts"] = s.receipts;
  j["pors"] = s.pors;
  j["submits_per_s"] = {{"peak", s.peak_submits_per_s},
                        {"mean", std::round(s.mean_submits_per_s * 10) / 10}};
  nlohmann::ordered_json binds = nlohmann::ordered_json::array();
  for (const auto& b : s.per_bind) {
    binds.push_back({{"link", b.link},
                     {"system_id", b.system_id},
                     {"peer", b.peer},
                     {"bind", b.kind},
                     {"open", b.open},
                     {"pors", b.pors},
                     {"receipts", b.receipts},
                     {"resent", b.resent}});
  }
  j["deliver_sm_per_bind"] = binds;
  const auto& t = s.submit_options;
  j["submit_options"] = {{"validity_period", t.validity_period},
                         {"priority", t.priority},
                         {"registered_delivery", t.registered_delivery},
                         {"source", t.source}};
  // Without a fleet (--null-cards) the fleet's figures are zero.
  const sim::fleet_stats fs = f ? f->stats() : sim::fleet_stats{};
  nlohmann::ordered_json hist = nlohmann::ordered_json::object();
  for (std::size_t st = 0; st < fs.por_status.size(); ++st) {
    if (fs.por_status[st] == 0) continue;
    hist[to_hex(st, 2)] = fs.por_status[st];
  }
  j["por_status"] = hist;
  j["cards_changed"] = fs.cards_changed;
  j["cards_in_memory"] = fs.cards_in_memory;
  j["card_bytes_in_memory"] = fs.bytes_in_memory;
  j["unknown_msisdns"] = fs.unknown;
  return j;
}

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "otaflow smsc-sim: %s\n", message.c_str());
  exit_with(1);
}

/// The account of --system-id with its password (file or environment), if given.
std::optional<sim::smsc_account> command_line_account(const options& o) {
  const bool asked = !o.system_id.empty() || !o.password.file.empty() ||
                     (o.password.refused_option && o.password.refused_option->count() > 0);
  if (!asked) return std::nullopt;
  auto pw = password_from(o.password);  // refuses --password
  if (o.system_id.empty()) usage_error("--password-file needs --system-id");
  if (!pw) {
    usage_error("--system-id " + o.system_id + " needs a password: --password-file FILE or " +
                smpp_password_env);
  }
  return sim::smsc_account{o.system_id, std::move(*pw)};
}

/// The configuration: the file's, then the command line's account, listen address and TLS.
/// There is no default account; a file that holds accounts must be private (mode 600).
sim::smsc_config load_config(const options& o) {
  sim::smsc_config cfg;
  const auto account = command_line_account(o);
  if (!o.config_file.empty()) {
    auto c = sim::load_smsc_config(o.config_file);
    if (!c) fail(c.error().message);
    cfg = std::move(*c);
    if (!cfg.accounts.empty()) {
      if (auto st = check_private_file(o.config_file, "--config (it holds accounts)"); !st) {
        usage_error(st.error().message);
      }
    }
  }
  if (account) cfg.accounts = {*account};
  if (cfg.accounts.empty()) {
    usage_error(
        "no account: smsc-sim has no default one; give --system-id ID with --password-file FILE "
        "or " +
        std::string(smpp_password_env) + ", or [smsc] accounts in the --config file (mode 600)");
  }
  if (!o.tls_cert.empty()) cfg.tls_cert_file = o.tls_cert;
  if (!o.tls_key.empty()) cfg.tls_key_file = o.tls_key;
  return cfg;
}

void run(const options& o) {
  sim::smsc_config cfg = load_config(o);
  if (auto st = sim::parse_listen_address(o.listen, cfg); !st) usage_error(st.error().message);
  if (!o.mo_delivery.empty()) {
    auto m = sim::parse_mo_delivery(o.mo_delivery);
    if (!m) usage_error("--mo-delivery: " + m.error().message);
    cfg.mo_delivery = *m;
  }
  if (auto st = sim::validate(cfg); !st) usage_error(st.error().message);

  std::unique_ptr<sim::card_gateway> cards;
  const sim::fleet* fleet = nullptr;
  if (o.null_cards) {
    cards = std::make_unique<null_cards>();
  } else {
    harden_key_process();  // the fleet holds every card's keys
    if (o.fleet_csv.empty() || o.state_dir.empty()) {
      usage_error("--fleet and --state are required (or --null-cards)");
    }
    auto f = open_fleet(o.fleet_csv, o.state_dir, o.card_profile);
    if (!f) fail(f.error().message);
    fleet = f->get();
    cards = std::move(*f);
  }

  // Block the stop signals before the server starts its threads (they inherit the mask), then
  // wait for one here.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  sim::smsc_server server(cfg, *cards);
  if (auto st = server.start(); !st) fail(st.error().message);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  log::get("smsc")->info("signal {} received, stopping", sig);
  server.stop();
  const auto summary = server.summary();
  std::printf("%s", summary.to_string().c_str());
  std::printf("%s\n", summary_json(summary, fleet).dump().c_str());
  std::fflush(stdout);
}

const command_registrar reg("smsc-sim", [](CLI::App& root) {
  auto o = std::make_shared<options>();
  auto* cmd = root.add_subcommand("smsc-sim",
                                  "Run the SMSC simulator (SMPP 3.4 server) in front "
                                  "of the virtual UICC fleet");
  cmd->add_option("--listen", o->listen, "HOST:PORT to listen on")->capture_default_str();
  cmd->add_option("--fleet", o->fleet_csv, "fleet CSV (otaflow fleet generate)");
  cmd->add_option("--state", o->state_dir, "directory of the fleet's card state");
  cmd->add_option("--system-id", o->system_id,
                  "the one ESME system_id accepted (no default: this or [smsc] accounts)");
  add_password_options(cmd, o->password);
  cmd->add_option("--config", o->config_file,
                  "TOML file with an [smsc] table (mode 600 when it holds accounts)");
  cmd->add_option("--tls-cert", o->tls_cert, "PEM certificate: SMPP over TLS (with --tls-key)");
  cmd->add_option("--tls-key", o->tls_key, "PEM private key of --tls-cert (mode 600)");
  cmd->add_option("--mo-delivery", o->mo_delivery,
                  "which of an account's binds get its PoRs and receipts: round_robin (its "
                  "receiver binds in turn; the default) or origin (the submitting bind)");
  cmd->add_option("--card-profile", o->card_profile,
                  "TOML card profile of every card (docs/virtual-sim.md \"Card profiles\"); "
                  "default: the built-in one");
  cmd->add_flag("--null-cards", o->null_cards,
                "no fleet: every message gets an empty RP-ACK (SMPP load tests)");
  cmd->callback([o] { run(*o); });
});

}  // namespace
}  // namespace otaflow::app
