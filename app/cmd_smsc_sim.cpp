// `otaflow smsc-sim --listen HOST:PORT --fleet fleet.csv --state DIR [--system-id ID
// --password PW] [--config FILE] [--null-cards]`: runs the SMSC simulator (SMPP 3.4 server,
// docs/smsc-simulator.md) in front of the virtual UICC fleet until SIGTERM/SIGINT, logs one
// line per bind and prints the summary on exit.

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>

#include "app/command.hpp"
#include "sim/fleet.hpp"
#include "base/log.hpp"
#include "sim/card_gateway.hpp"
#include "sim/smsc_config.hpp"
#include "sim/smsc_server.hpp"

namespace otaflow::app {
namespace {

struct options {
  std::string listen = "127.0.0.1:2775";
  std::string fleet_csv;
  std::string state_dir;
  std::string system_id;
  std::string password;
  std::string config_file;
  bool null_cards = false;
};

/// Cards that accept every message with an empty RP-ACK: load tests of the SMPP side alone.
class null_cards final : public sim::card_gateway {
 public:
  sim::mt_outcome deliver(std::string_view, byte_view) override { return {}; }
};

/// The virtual UICC fleet behind the simulator.
// The virtual UICC fleet of a CSV (a generated one is recognised by its .meta sidecar);
// card state persists under the state directory.
result<std::unique_ptr<sim::card_gateway>> open_fleet(const std::string& csv,
                                                      const std::string& state_dir) {
  sim::fleet_options fo;
  fo.state_dir = state_dir;
  auto f = sim::fleet::from_csv(csv, fo);
  if (!f) return f.error();
  return std::unique_ptr<sim::card_gateway>(std::move(f).value());
}

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "otaflow smsc-sim: %s\n", message.c_str());
  exit_with(1);
}

void run(const options& o) {
  sim::smsc_config cfg;
  if (!o.config_file.empty()) {
    auto c = sim::load_smsc_config(o.config_file);
    if (!c) fail(c.error().message);
    cfg = std::move(*c);
  }
  if (auto st = sim::parse_listen_address(o.listen, cfg); !st) usage_error(st.error().message);
  if (!o.system_id.empty() || !o.password.empty()) {
    cfg.accounts = {{o.system_id.empty() ? std::string("test") : o.system_id, o.password}};
  }
  if (auto st = sim::validate(cfg); !st) usage_error(st.error().message);

  std::unique_ptr<sim::card_gateway> cards;
  if (o.null_cards) {
    cards = std::make_unique<null_cards>();
  } else {
    if (o.fleet_csv.empty() || o.state_dir.empty()) {
      usage_error("--fleet and --state are required (or --null-cards)");
    }
    auto f = open_fleet(o.fleet_csv, o.state_dir);
    if (!f) fail(f.error().message);
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
  std::printf("%s", server.summary().to_string().c_str());
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
  cmd->add_option("--system-id", o->system_id, "the one ESME system_id accepted (default test)");
  cmd->add_option("--password", o->password, "its password");
  cmd->add_option("--config", o->config_file, "TOML file with an [smsc] table");
  cmd->add_flag("--null-cards", o->null_cards,
                "no fleet: every message gets an empty RP-ACK (SMPP load tests)");
  cmd->callback([o] { run(*o); });
});

}  // namespace
}  // namespace otaflow::app
