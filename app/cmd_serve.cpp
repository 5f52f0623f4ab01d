// `otaflow serve --config FILE`: the Kafka-native service. Consumes campaign definitions,
// triggers and pause/resume/cancel commands from the triggers topic, runs the jobs through
// the engine against the configured SMSC binds, and produces every state change of every
// (campaign, card) to the status topic (docs/EVENTS.md, docs/CONFIGURATION.md). Runs until
// SIGTERM or SIGINT, then leaves the consumer group, lets running jobs finish for
// [serve] shutdown_grace and exits; after a crash it resumes from storage.

#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <thread>

#include "actors/ota_packets.hpp"
#include "actors/service_outbox.hpp"
#include "actors/smpp_client.hpp"
#include "app/command.hpp"
#include "base/log.hpp"
#include "kafka/admin.hpp"
#include "secure/scp80_algorithm.hpp"
#include "service/kafka_status_sink.hpp"
#include "service/serve_config.hpp"
#include "service/serve_kafka.hpp"
#include "service/serve_loop.hpp"

namespace otaflow::app {
namespace {

using namespace otaflow::service;

std::atomic<bool> g_stop{false};

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "otaflow serve: %s\n", what.c_str());
  exit_with(1);
}

// Waits for SIGTERM/SIGINT (blocked in every thread) and asks the loops to stop.
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
  auto log = log::get("serve");
  auto cfg = load_serve_config(config_path);
  if (!cfg) {
    std::fprintf(stderr, "otaflow serve: %s\n", cfg.error().message.c_str());
    return 2;
  }
  start_signal_thread();

  storage::db_options dbo;
  dbo.dir = cfg->state_dir;
  auto st = storage::state::open(dbo, cfg->kek);
  if (!st) fail(st.error().message);
  auto& state = **st;

  // Statuses: the outbox numbers them by audit record, the producer confirms them.
  completion_queue completions;
  auto producer = serve_producer::create(cfg->kafka, completions);
  if (!producer) fail("Kafka producer: " + producer.error().message);
  auto outbox = actors::status_outbox::open(state, **producer);
  if (!outbox) fail(outbox.error().message);
  (*producer)->bind(outbox->get());
  auto replayed = (*outbox)->replay();
  if (!replayed) fail("replaying unacknowledged statuses: " + replayed.error().message);
  if (*replayed > 0) {
    log->info("{} status events not acknowledged before the last stop are sent again", *replayed);
  }

  if (cfg->serve.create_topics_partitions > 0) {
    const int p = cfg->serve.create_topics_partitions, r = cfg->serve.create_topics_replication;
    const std::vector<kafka::topic_spec> topics = {{cfg->kafka.triggers_topic, p, r},
                                                   {cfg->kafka.status_topic, p, r},
                                                   {cfg->kafka.dlq_topic, 1, r},
                                                   {cfg->kafka.alerts_topic, 1, r}};
    // Short attempts, so that a broker down at start is reported while serve waits.
    while (!g_stop) {
      auto s = kafka::ensure_topics(cfg->kafka, topics, std::chrono::seconds(3));
      if (s) break;
      log->warn("waiting for Kafka at {} to create the topics: {}", cfg->kafka.brokers,
                s.error().message);
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }

  // The SMSC binds: the service starts once every bind is up (it waits and says so).
  actors::smpp_transport tp(cfg->binds);
  while (!g_stop) {
    auto bound = tp.wait_bound(std::chrono::seconds(5));
    if (bound) break;
    log->warn("waiting for the SMSC: {}", bound.error().message);
  }
  if (g_stop) {
    tp.stop();
    return 0;
  }
  log->info("{} SMSC binds up", cfg->binds.size());

  auto backend = secure::make_openssl_backend();
  actors::ota_packet_factory factory(state.counters(), *backend, &state);
  int rc = 0;
  {
    actors::engine eng(cfg->engine, factory, tp, **outbox, **outbox);
    // Alerts go to the alerts topic; a pausing alert pauses the campaign as a Kafka pause
    // command would (stored status, then the engine). Send windows that open re-admit jobs.
    std::atomic<campaign_registry*> registry_ptr{nullptr};
    eng.set_alert_handler([&](const actors::alert& a) {
      if (auto s = (*producer)->send_alert(to_kafka(a)); !s) {
        log->error("alert for campaign '{}' not produced: {}", a.campaign, s.error().message);
      }
      if (auto* reg = registry_ptr.load(); a.paused && reg) {
        if (auto s = reg->control(a.campaign, kafka::control_action::pause); !s) {
          log->error("campaign '{}': pausing on the alert failed: {}", a.campaign,
                     s.error().message);
        }
      }
    });
    eng.set_reopen_handler([&](const std::string& id) {
      if (auto* reg = registry_ptr.load()) reg->reopen(id);
    });
    if (auto s = eng.start_service(cfg->service,
                                   [&completions](std::uint64_t t) { completions.push(t); });
        !s) {
      fail(s.error().message);
    }
    campaign_registry registry(state, eng);
    registry_ptr = &registry;
    auto loaded = registry.load();
    if (!loaded) fail("loading campaigns: " + loaded.error().message);
    log->info("{} campaigns loaded; their unfinished jobs resume", *loaded);

    auto control = control_reader::start(*cfg, registry);
    if (!control) fail("control reader: " + control.error().message);

    trigger_loop loop(*cfg, state, eng, registry, **producer, completions);
    auto last_stats = std::chrono::steady_clock::now();
    actors::service_stats prev;
    auto tick = [&] {
      if (auto s = (*outbox)->checkpoint(); !s) {
        log->warn("storing the status watermark: {}", s.error().message);
      }
      const auto now = std::chrono::steady_clock::now();
      if (now - last_stats < std::chrono::seconds(5)) return;
      last_stats = now;
      const auto s = eng.stats();
      if (s.done == prev.done && s.failed == prev.failed && s.started == prev.started &&
          s.in_flight == prev.in_flight) {
        return;
      }
      prev = s;
      log->info(
          "jobs: {} started, {} done, {} failed, {} in flight, {} parked; cards skipped "
          "{} terminal, {} active; state changes not yet durable {}; status events "
          "unacknowledged {}",
          s.started, s.done, s.failed, s.in_flight, s.parked, s.skipped_terminal, s.skipped_active,
          s.journal_backlog, (*outbox)->unacknowledged());
    };
    if (auto s = loop.run(g_stop, tick); !s) {
      log->error("trigger consumer: {}", s.error().message);
      rc = 1;
    }
    (*control)->stop();
    log->info("waiting up to {} ms for running jobs", cfg->serve.shutdown_grace.count());
    eng.stop_service(cfg->serve.shutdown_grace);
    registry_ptr = nullptr;  // the registry goes before the engine
  }
  tp.stop();
  if (auto s = (*producer)->flush(std::chrono::seconds(10)); !s) {
    log->warn("status events left unacknowledged: {} (sent again at the next start)",
              s.error().message);
  }
  if (auto s = (*outbox)->checkpoint(); !s) log->warn("status watermark: {}", s.error().message);
  const auto stats_line = (*outbox)->watermark();
  log->info("stopped (status watermark {})", stats_line);
  producer->reset();
  return rc;
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
