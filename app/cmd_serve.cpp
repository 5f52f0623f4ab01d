// `otaflow serve --config FILE`: the Kafka-native service (service/run.hpp). Runs until
// SIGTERM or SIGINT, then leaves the consumer group, lets running jobs finish for
// [serve] shutdown_grace and exits; after a crash it resumes from storage.

#include <pthread.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

#include "app/command.hpp"
#include "app/smpp_secrets.hpp"
#include "base/log.hpp"
#include "service/run.hpp"
#include "service/serve_config.hpp"

namespace otaflow::app {
namespace {

std::atomic<bool> g_stop{false};

// Waits for SIGTERM/SIGINT (blocked in every thread) and asks the service to stop.
void start_signal_thread() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    int sig = 0;
    sigwait(&set, &sig);
    log::get("serve")->info("signal {} received: stopping", sig);
    g_stop = true;
  }).detach();
}

int run(const std::string& config_path) {
  harden_key_process();
  auto cfg = service::load_serve_config(config_path);
  if (!cfg) {
    std::fprintf(stderr, "otaflow serve: %s\n", cfg.error().message.c_str());
    return 2;
  }
  start_signal_thread();
  auto r = service::run(*cfg, g_stop);
  if (!r) {
    std::fprintf(stderr, "otaflow serve: %s\n", r.error().message.c_str());
    return 1;
  }
  return 0;
}

const command_registrar reg("serve", [](CLI::App& root) {
  auto path = std::make_shared<std::string>();
  auto* cmd = root.add_subcommand(
      "serve", "Run as a Kafka service: triggers in, status events out (docs/EVENTS.md)");
  cmd->add_option("--config", *path, "Configuration file (TOML, docs/CONFIGURATION.md)")
      ->required();
  cmd->callback([path] { exit_with(run(*path)); });
});

}  // namespace
}  // namespace otaflow::app
