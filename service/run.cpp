#include "service/run.hpp"

#include <thread>

#include <nlohmann/json.hpp>

#include "actors/ota_packets.hpp"
#include "actors/service_outbox.hpp"
#include "actors/smpp_client.hpp"
#include "base/log.hpp"
#include "kafka/admin.hpp"
#include "secure/scp80_algorithm.hpp"
#include "service/kafka_status_sink.hpp"
#include "service/serve_kafka.hpp"

namespace otaflow::service {
namespace {

std::shared_ptr<spdlog::logger> logger() {
  static const auto l = log::get("serve");
  return l;
}

// "what: message", for an error met while doing `what`.
error context(const std::string& what, error e) {
  e.message = what + ": " + e.message;
  return e;
}

// Creates the topics when [serve] create_topics_partitions asks for it. Short attempts, so
// that a broker down at start is reported while serve waits.
void create_topics(const serve_config& cfg, const std::atomic<bool>& stop) {
  if (cfg.serve.create_topics_partitions <= 0) return;
  const int p = cfg.serve.create_topics_partitions, r = cfg.serve.create_topics_replication;
  const std::vector<kafka::topic_spec> topics = {{cfg.kafka.triggers_topic, p, r},
                                                 {cfg.kafka.status_topic, p, r},
                                                 {cfg.kafka.dlq_topic, 1, r},
                                                 {cfg.kafka.alerts_topic, 1, r}};
  while (!stop) {
    auto s = kafka::ensure_topics(cfg.kafka, topics, std::chrono::seconds(3));
    if (s) break;
    logger()->warn("waiting for Kafka at {} to create the topics: {}", cfg.kafka.brokers,
                   s.error().message);
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

// A record Kafka would not take: kept in the audit log (type `undelivered`) and raised as
// a `produce` alert, so it is neither lost silently nor holding anything up.
void keep_undelivered(storage::state& state, serve_producer& producer, const undeliverable& u) {
  storage::audit_event e;
  e.type = storage::audit_type::undelivered;
  e.iccid = u.key;  // a status event's key is its ICCID
  nlohmann::json d = {{"topic", u.topic},
                      {"key", u.key},
                      {"payload", u.payload},
                      {"reason", u.reason},
                      {"attempts", u.attempts}};
  e.details = d.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (auto s = state.audit().append(e, true); !s) {
    logger()->error("undelivered record to {} (key '{}') not stored either: {}; payload {}",
                    u.topic, u.key, s.error().message, e.details);
  }
  actors::alert a;
  a.kind = actors::alert_kind::produce;
  a.sample = 1;
  a.count = 1;
  a.message = "record to " + u.topic + " (key '" + u.key + "') given up after " +
              std::to_string(u.attempts) + " attempts: " + u.reason +
              "; kept in the audit log (undelivered)";
  a.ts_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  if (u.topic != producer.alerts_topic()) {
    if (auto s = producer.send_alert(to_kafka(a)); !s) {
      logger()->error("produce alert not produced: {}", s.error().message);
    }
  }
}

// The periodic work of the trigger loop's thread: the status watermark, a statistics line
// every 5 s when something changed, and the caller's hook.
class ticker {
 public:
  ticker(actors::engine& eng, actors::status_outbox& outbox, serve_producer& producer,
         const trigger_loop& loop, const serve_hooks& hooks)
      : eng_(eng), outbox_(outbox), producer_(producer), loop_(loop), hooks_(hooks) {}

  void operator()() {
    producer_.retry_failed();
    if (auto s = outbox_.checkpoint(); !s) {
      logger()->warn("storing the status watermark: {}", s.error().message);
    }
    if (hooks_.on_tick) hooks_.on_tick(loop_.stats());
    const auto now = std::chrono::steady_clock::now();
    if (now - last_stats_ < std::chrono::seconds(5)) return;
    last_stats_ = now;
    const auto s = eng_.stats();
    if (s.done == prev_.done && s.failed == prev_.failed && s.started == prev_.started &&
        s.in_flight == prev_.in_flight) {
      return;
    }
    prev_ = s;
    logger()->info(
        "jobs: {} started, {} done, {} failed, {} in flight, {} parked; cards skipped "
        "{} terminal, {} active; state changes not yet durable {}; status events "
        "unacknowledged {}; records refused by Kafka waiting {}, given up {}",
        s.started, s.done, s.failed, s.in_flight, s.parked, s.skipped_terminal, s.skipped_active,
        s.journal_backlog, outbox_.unacknowledged(), producer_.failed_waiting(),
        producer_.undelivered());
  }

 private:
  actors::engine& eng_;
  actors::status_outbox& outbox_;
  serve_producer& producer_;
  const trigger_loop& loop_;
  const serve_hooks& hooks_;
  std::chrono::steady_clock::time_point last_stats_ = std::chrono::steady_clock::now();
  actors::service_stats prev_;
};

// The engine's part of serve(): from the engine's start to its stop. Fills `out`; an error
// only when something failed before the trigger loop ran, or the trigger loop failed.
status run_engine(const serve_config& cfg, storage::state& state, actors::packet_factory& factory,
                  actors::transport& transport, actors::status_outbox& outbox,
                  serve_producer& producer, completion_queue& completions,
                  const std::atomic<bool>& stop, const serve_hooks& hooks, run_summary& out) {
  // Declared before the engine: its handlers below read it until the engine is gone.
  std::atomic<campaign_registry*> registry_ptr{nullptr};
  actors::job_store& store = hooks.wrap_store ? hooks.wrap_store(outbox) : outbox;
  actors::engine eng(cfg.engine, factory, transport, store, outbox);
  // Alerts go to the alerts topic; a pausing alert pauses the campaign as a Kafka pause
  // command would (stored status, then the engine). Send windows that open re-admit jobs.
  eng.set_alert_handler([&](const actors::alert& a) {
    if (auto s = producer.send_alert(to_kafka(a)); !s) {
      logger()->error("alert for campaign '{}' not produced: {}", a.campaign, s.error().message);
    }
    if (auto* reg = registry_ptr.load(); a.paused && reg) {
      if (auto s = reg->control(a.campaign, kafka::control_action::pause); !s) {
        logger()->error("campaign '{}': pausing on the alert failed: {}", a.campaign,
                        s.error().message);
      }
    }
  });
  eng.set_reopen_handler([&](const std::string& id) {
    if (auto* reg = registry_ptr.load()) reg->reopen(id);
  });
  OTAFLOW_TRY(
      eng.start_service(cfg.service, [&completions](std::uint64_t t) { completions.push(t); }));
  campaign_registry registry(state, eng);
  registry_ptr = &registry;
  // The registry goes before the engine, whichever way this function returns.
  struct unregister {
    std::atomic<campaign_registry*>& p;
    ~unregister() { p = nullptr; }
  } unregister_guard{registry_ptr};
  auto loaded = registry.load();
  if (!loaded) return context("loading campaigns", loaded.error());
  out.campaigns_loaded = *loaded;
  logger()->info("{} campaigns loaded; their unfinished jobs resume", *loaded);

  auto control = control_reader::start(cfg, registry, producer);
  if (!control) return context("control reader", control.error());

  trigger_loop loop(cfg, state, eng, registry, producer, completions);
  ticker tick(eng, outbox, producer, loop, hooks);
  auto ran = loop.run(stop, [&tick] { tick(); });
  (*control)->stop();
  logger()->info("waiting up to {} ms for running jobs", cfg.serve.shutdown_grace.count());
  eng.stop_service(cfg.serve.shutdown_grace);
  out.engine = eng.stats();
  out.triggers = loop.stats();
  if (!ran) return context("trigger consumer", ran.error());
  return {};
}

}  // namespace

result<run_summary> serve(const serve_config& cfg, storage::state& state,
                          actors::packet_factory& factory, actors::transport& transport,
                          const std::atomic<bool>& stop, const serve_hooks& hooks) {
  run_summary out;
  // Statuses: the outbox numbers them by audit record, the producer confirms them.
  completion_queue completions;
  auto producer = serve_producer::create(cfg.kafka, completions, cfg.serve.produce_attempts);
  if (!producer) return context("Kafka producer", producer.error());
  (*producer)->on_undeliverable(
      [&state, p = producer->get()](const undeliverable& u) { keep_undelivered(state, *p, u); });
  auto outbox = actors::status_outbox::open(state, **producer);
  if (!outbox) return outbox.error();
  // The producer's last delivery reports acknowledge to the outbox: the producer goes first,
  // whichever way this function returns.
  struct producer_first {
    std::unique_ptr<serve_producer>& p;
    ~producer_first() { p.reset(); }
  } producer_guard{*producer};
  (*producer)->bind(outbox->get());
  auto replayed = (*outbox)->replay();
  if (!replayed) return context("replaying unacknowledged statuses", replayed.error());
  out.replayed = *replayed;
  if (*replayed > 0) {
    logger()->info("{} status events not acknowledged before the last stop are sent again",
                   *replayed);
  }
  create_topics(cfg, stop);

  status ran;  // stopped while waiting for Kafka: nothing is started
  if (!stop) {
    ran = run_engine(cfg, state, factory, transport, **outbox, **producer, completions, stop, hooks,
                     out);
  }
  if (auto s = (*producer)->flush(std::chrono::seconds(10)); !s) {
    logger()->warn("status events left unacknowledged: {} (sent again at the next start)",
                   s.error().message);
  }
  if (auto s = (*outbox)->checkpoint(); !s) {
    logger()->warn("status watermark: {}", s.error().message);
  }
  out.status_watermark = (*outbox)->watermark();
  logger()->info("stopped (status watermark {})", out.status_watermark);
  if (!ran) return ran.error();
  return out;
}

result<run_summary> run(const serve_config& cfg, const std::atomic<bool>& stop) {
  storage::db_options dbo;
  dbo.dir = cfg.state_dir;
  auto st = storage::state::open(dbo, cfg.kek);
  if (!st) return st.error();
  auto& state = **st;

  // The SMSC binds: the service starts once every bind is up (it waits and says so).
  actors::smpp_transport tp(cfg.binds);
  while (!stop) {
    auto bound = tp.wait_bound(std::chrono::seconds(5));
    if (bound) break;
    logger()->warn("waiting for the SMSC: {}", bound.error().message);
  }
  if (stop) {
    tp.stop();
    return run_summary{};
  }
  logger()->info("{} SMSC binds up", cfg.binds.size());

  auto backend = secure::make_openssl_backend();
  actors::ota_packet_factory factory(state.counters(), *backend, &state);
  auto r = serve(cfg, state, factory, tp, stop);
  tp.stop();
  return r;
}

}  // namespace otaflow::service
