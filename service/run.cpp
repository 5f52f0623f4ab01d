#include "service/run.hpp"

#include <thread>

#include <nlohmann/json.hpp>

#include "actors/campaign_runner.hpp"
#include "actors/ota_packets.hpp"
#include "actors/routed_transport.hpp"
#include "actors/service_outbox.hpp"
#include "actors/smpp_client.hpp"
#include "base/log.hpp"
#include "kafka/admin.hpp"
#include "kafka/errc.hpp"
#include "kafka/partition_reader.hpp"
#include "kafka/partitioner.hpp"
#include "kafka/txn_producer.hpp"
#include "secure/scp80_algorithm.hpp"
#include "secure/simd_backend.hpp"
#include "service/changelog_committer.hpp"
#include "service/http_token.hpp"
#include "service/kafka_status_sink.hpp"
#include "service/metrics_endpoint.hpp"
#include "service/mo_forwarder.hpp"
#include "service/serve_kafka.hpp"
#include "service/serve_partitions.hpp"

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

// Waits until a broker answers; a refusal (wrong SASL password, a broker certificate the CA did
// not sign) fails the start at once: no retry would fix it, and waiting for ever hides it.
status await_kafka(const serve_config& cfg, const std::atomic<bool>& stop) {
  // Short attempts keep a stop request answered within about 3 s; one line per 30 s.
  for (int attempt = 0; !stop; ++attempt) {
    auto s = kafka::check_access(cfg.kafka, std::chrono::seconds(2));
    if (s) return {};
    if (s.error().cls == error_class::permanent) return s.error();
    if (attempt % 10 == 0) {
      logger()->warn("waiting for Kafka at {}: {}", cfg.kafka.brokers, s.error().message);
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  return {};
}

// Creates the topics when [serve] create_topics_partitions asks for it. Short attempts, so
// that a broker down at start is reported while serve waits.
void create_topics(const serve_config& cfg, const std::atomic<bool>& stop) {
  if (cfg.serve.create_topics_partitions <= 0) return;
  const int p = cfg.serve.create_topics_partitions, r = cfg.serve.create_topics_replication;
  std::vector<kafka::topic_spec> topics = {{cfg.kafka.triggers_topic, p, r, {}},
                                           {cfg.kafka.status_topic, p, r},
                                           {cfg.kafka.dlq_topic, 1, r},
                                           {cfg.kafka.alerts_topic, 1, r}};
  if (cfg.serve.partitioned) {
    topics.push_back({cfg.kafka.state_topic, p, r, {{"cleanup.policy", "compact"}}});
    topics.push_back({cfg.kafka.subscribers_topic, p, r, {{"cleanup.policy", "compact"}}});
    topics.push_back({cfg.kafka.mo_topic, p, r, {{"retention.ms", "3600000"}}});
  }
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
  ticker(actors::engine& eng, actors::status_outbox* outbox, serve_producer& producer,
         const trigger_loop& loop, const serve_hooks& hooks)
      : eng_(eng), outbox_(outbox), producer_(producer), loop_(loop), hooks_(hooks) {}

  void operator()() {
    producer_.retry_failed();
    if (auto s = outbox_ ? outbox_->checkpoint() : status{}; !s) {
      logger()->warn("storing the status watermark: {}", s.error().message);
    }
    const auto ls = loop_.stats();
    if (hooks_.on_tick) hooks_.on_tick(ls);
    if (hooks_.serve) hooks_.serve->set_loop(ls);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_stats_ < std::chrono::seconds(5)) return;
    last_stats_ = now;
    if (ls.subscribers_lag >= 0 &&
        (ls.subscribers != prev_subscribers_ || (ls.subscribers_lag == 0) != prev_caught_up_)) {
      // Partition-owned mode: how far the subscriber import has come (a carrier's import is
      // applied before its campaign's triggers are worth sending).
      prev_subscribers_ = ls.subscribers;
      prev_caught_up_ = ls.subscribers_lag == 0;
      logger()->info("subscriber records: {} applied, {} behind", ls.subscribers,
                     ls.subscribers_lag);
    }
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
        s.journal_backlog, outbox_ ? outbox_->unacknowledged() : 0, producer_.failed_waiting(),
        producer_.undelivered());
  }

 private:
  actors::engine& eng_;
  actors::status_outbox* outbox_;  // null in partition-owned mode
  serve_producer& producer_;
  const trigger_loop& loop_;
  const serve_hooks& hooks_;
  std::chrono::steady_clock::time_point last_stats_ = std::chrono::steady_clock::now();
  actors::service_stats prev_;
  std::uint64_t prev_subscribers_ = 0;
  bool prev_caught_up_ = true;
};

// Where the engine's states and statuses go: the status outbox, or in partition-owned mode
// the changelog committer's transactions.
struct engine_ports {
  actors::job_store& store;
  actors::status_sink& sink;
  actors::status_outbox* outbox = nullptr;   // null in partition-owned mode
  changelog_committer* committer = nullptr;  // partition-owned mode only
  partition_owner* owner = nullptr;
  kafka_txn_port* port = nullptr;
  std::int32_t owner_partitions = 1;  // of the triggers topic
  forwarding_transport* forwarder = nullptr;
};

// The engine's part of serve(): from the engine's start to its stop. Fills `out`; an error
// only when something failed before the trigger loop ran, or the trigger loop failed.
status run_engine(const serve_config& cfg, storage::state& state, actors::packet_factory& factory,
                  actors::transport& transport, const engine_ports& ports, serve_producer& producer,
                  completion_queue& completions, const std::atomic<bool>& stop,
                  const serve_hooks& hooks, run_summary& out) {
  // Declared before the engine: its handlers below read it until the engine is gone.
  std::atomic<campaign_registry*> registry_ptr{nullptr};
  actors::job_store& store = hooks.wrap_store ? hooks.wrap_store(ports.store) : ports.store;
  // Metrics: decorators of the status sink and the packet factory (actors/engine_metrics.hpp).
  auto* m = hooks.metrics;
  std::optional<actors::metered_packet_factory> metered;
  if (m != nullptr) {
    metered.emplace(factory, m->packaging);
    m->statuses.set_inner(&ports.sink);
  }
  actors::packet_factory& fac = metered ? static_cast<actors::packet_factory&>(*metered) : factory;
  actors::status_sink& sink = m != nullptr ? m->statuses : ports.sink;
  actors::engine eng(cfg.engine, fac, transport, store, sink);
  // The metrics read the engine and the producer until this function returns.
  struct metrics_detach {
    actors::run_metrics* m;
    serve_metrics* s;
    ~metrics_detach() {
      if (m != nullptr) m->detach_engine();
      if (s != nullptr) s->attach_producer(nullptr);
    }
  } metrics_guard{m, hooks.serve};
  if (m != nullptr) m->attach_engine(&eng);
  if (hooks.serve != nullptr) hooks.serve->attach_producer(&producer);
  // Alerts go to the alerts topic; a pausing alert pauses the campaign as a Kafka pause
  // command would (stored status, then the engine). Send windows that open re-admit jobs.
  eng.set_alert_handler([&](const actors::alert& a) {
    if (m != nullptr) m->statuses.on_alert(a);
    if (auto s = actors::audit_alert(state, a); !s) {
      logger()->error("alert for campaign '{}' not audited: {}", a.campaign, s.error().message);
    }
    if (auto s = producer.send_alert(to_kafka(a)); !s) {
      logger()->error("alert for campaign '{}' not produced: {}", a.campaign, s.error().message);
    }
    if (auto* reg = registry_ptr.load(); a.paused && reg) {
      if (auto s = reg->control(a.campaign, kafka::control_action::pause, "alert"); !s) {
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
  campaign_registry registry(state, eng, &cfg.routes);
  std::optional<partition_owner> owner;
  if (ports.committer != nullptr) {
    owner.emplace(cfg, state, eng, *ports.committer, ports.owner_partitions);
    owner->set_registry(&registry);
    registry.set_card_filter([&o = *owner](std::string_view iccid) { return o.owns_card(iccid); });
    if (ports.forwarder != nullptr) ports.forwarder->set_owner(&*owner);
  }
  registry_ptr = &registry;
  // The registry goes before the engine, whichever way this function returns.
  struct unregister {
    std::atomic<campaign_registry*>& p;
    ~unregister() { p = nullptr; }
  } unregister_guard{registry_ptr};
  auto loaded = registry.load();
  if (!loaded) return context("loading campaigns", loaded.error());
  out.campaigns_loaded = *loaded;
  logger()->info("{} campaigns loaded; their unfinished jobs resume{}", *loaded,
                 owner ? " as their partitions arrive" : "");

  auto group = control_group(cfg, state);
  if (!group) return context("control reader group", group.error());
  auto control = control_reader::start(cfg, registry, producer, *group);
  if (!control) return context("control reader", control.error());

  trigger_loop loop(cfg, state, eng, registry, producer, completions);
  if (owner) {
    loop.set_partitioned(ports.committer, &*owner, ports.forwarder,
                         [port = ports.port](const kafka::consumer* c) { port->set_consumer(c); });
  }
  ticker tick(eng, ports.outbox, producer, loop, hooks);
  auto ran = loop.run(stop, [&tick] { tick(); });
  (*control)->stop();
  logger()->info("waiting up to {} ms for running jobs", cfg.serve.shutdown_grace.count());
  eng.stop_service(cfg.serve.shutdown_grace);
  out.engine = eng.stats();
  out.triggers = loop.stats();
  if (!ran) return context("trigger consumer", ran.error());
  return {};
}

// Waits for the partition count of a topic (it may be created meanwhile).
result<std::int32_t> partitions_of(const serve_config& cfg, const std::string& topic,
                                   const std::atomic<bool>& stop) {
  while (true) {
    auto n = kafka::partition_count(cfg.kafka, topic, std::chrono::seconds(5));
    if (n || stop) return n;
    logger()->warn("waiting for topic {}: {}", topic, n.error().message);
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

// serve() in partition-owned mode (docs/SCALING.md): the transactional producer, the
// changelog committer as the state directory's commit hook, and the engine on them.
result<run_summary> serve_partitioned(const serve_config& config, storage::state& state,
                                      actors::packet_factory& factory, actors::transport& transport,
                                      const std::atomic<bool>& stop, const serve_hooks& hooks) {
  // Co-partitioned topics (triggers, subscribers, MO) must give partition N of each to the
  // same member: the range assignor does (per topic, members in the same order).
  serve_config cfg = config;
  cfg.kafka.consumer_properties["partition.assignment.strategy"] = "range";
  run_summary out;
  completion_queue completions;
  OTAFLOW_TRY(await_kafka(cfg, stop));
  auto producer = serve_producer::create(cfg.kafka, completions, cfg.serve.produce_attempts);
  if (!producer) return context("Kafka producer", producer.error());
  (*producer)->on_undeliverable(
      [&state, p = producer->get()](const undeliverable& u) { keep_undelivered(state, *p, u); });
  create_topics(cfg, stop);
  auto parts = partitions_of(cfg, cfg.kafka.triggers_topic, stop);
  if (!parts) return context("triggers topic", parts.error());
  for (const auto* t :
       {&cfg.kafka.state_topic, &cfg.kafka.subscribers_topic, &cfg.kafka.mo_topic}) {
    auto n = partitions_of(cfg, *t, stop);
    if (!n) return context("topic " + *t, n.error());
    if (*n != *parts) {
      return make_error(errc::bad_argument,
                        "topic " + *t + " has " + std::to_string(*n) + " partitions, " +
                            cfg.kafka.triggers_topic + " has " + std::to_string(*parts) +
                            ": partition-owned state needs the same count (co-partitioning)");
    }
  }
  auto status_parts = partitions_of(cfg, cfg.kafka.status_topic, stop);
  if (!status_parts) return context("status topic", status_parts.error());

  // One transactional id per instance: a restarted instance fences its earlier self.
  const auto txn_id = cfg.kafka.group_id + ".state." + cfg.instance_id;
  // Transaction timeout 15 s: a transaction lasts milliseconds; one left open by a crashed
  // instance holds the new owner's stable offsets (and so its start) until the coordinator
  // aborts it. One of ours that outlives it (a broker lost mid-commit) is aborted by the
  // coordinator, which fences this producer: the committer replaces it (recover()).
  // Retriable failures of init (the coordinator loading or moving) are tried again until
  // `stop`, or for 2 minutes when replacing a failed producer (the committer's callers wait).
  auto make_producer = [&cfg, &stop,
                        txn_id](bool replacing) -> result<std::unique_ptr<kafka::txn_producer>> {
    auto txp = kafka::txn_producer::create(cfg.kafka, txn_id, std::chrono::seconds(15));
    if (!txp) return context("transactional producer", txp.error());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    while (true) {
      auto s = (*txp)->init(std::chrono::seconds(30));
      if (s) break;
      if (stop || kafka::txn_action(s.error()) != kafka::txn_errc::retriable ||
          (replacing && std::chrono::steady_clock::now() >= deadline)) {
        return context("initialising transactions as " + txn_id, s.error());
      }
      logger()->warn("initialising transactions as {}: {} (tried again)", txn_id,
                     s.error().message);
    }
    return std::move(*txp);
  };
  auto txp = make_producer(false);
  if (!txp) return txp.error();
  kafka_txn_port port(std::move(*txp), [make_producer] { return make_producer(true); });
  committer_config cc;
  cc.state_topic = cfg.kafka.state_topic;
  cc.status_topic = cfg.kafka.status_topic;
  cc.partitions = *parts;
  cc.status_partitions = *status_parts;
  cc.partition_for = [](std::string_view key, std::int32_t n) {
    return kafka::partition_for_key(key, n);
  };
  cc.offsets_interval = cfg.serve.commit_interval;
  changelog_committer committer(state.database(), port, cc);
  struct committer_detach {
    serve_metrics* s;
    ~committer_detach() {
      if (s != nullptr) s->attach_committer(nullptr);
    }
  } committer_guard{hooks.serve};
  if (hooks.serve != nullptr) hooks.serve->attach_committer(&committer);
  txn_job_store store(state);
  state.database().set_commit_hook(
      [&committer](rocksdb::WriteBatch& b, bool sync) { return committer.commit(b, sync); });
  struct unhook {
    storage::state& st;
    ~unhook() { st.database().set_commit_hook({}); }
  } unhook_guard{state};
  logger()->info("partition-owned state: {} partitions, changelog {}, transactional id {}", *parts,
                 cfg.kafka.state_topic, txn_id);

  // Answers for other instances' cards go to the MO topic, found by MSISDN.
  msisdn_directory directory(cfg.kafka);
  if (auto s = directory.start(); !s) return context("MSISDN directory", s.error());
  auto mo_producer = kafka::producer::create(cfg.kafka, {});
  if (!mo_producer) return context("MO producer", mo_producer.error());
  forwarding_transport forwarder(transport, directory, **mo_producer, cfg.kafka.mo_topic);

  status ran;
  if (!stop) {
    engine_ports ports{store, store, nullptr, &committer, nullptr, &port, *parts, &forwarder};
    ran = run_engine(cfg, state, factory, forwarder, ports, **producer, completions, stop, hooks,
                     out);
  }
  logger()->info("answers forwarded to other instances {}, received from them {}",
                 forwarder.forwarded(), forwarder.delivered());
  if (auto s = (*producer)->flush(std::chrono::seconds(10)); !s) {
    logger()->warn("dead-letter and alert records left unacknowledged: {}", s.error().message);
  }
  const auto cs = committer.stats();
  const auto per_txn = [&](std::uint64_t us) {
    return cs.transactions == 0 ? 0.0 : static_cast<double>(us) / 1000.0 / cs.transactions;
  };
  logger()->info(
      "stopped: {} transactions ({} aborted, {} producers replaced), {} changelog records ({} "
      "bytes) for {} row writes, {} statuses; "
      "per transaction {:.1f} ms queueing records, {:.1f} ms sending offsets, {:.1f} ms "
      "committing",
      cs.transactions, cs.aborted, cs.recoveries, cs.records, cs.bytes, cs.rows, cs.statuses,
      per_txn(cs.produce_us), per_txn(cs.offsets_us), per_txn(cs.commit_us));
  if (!ran) return ran.error();
  return out;
}

}  // namespace

result<run_summary> serve(const serve_config& cfg, storage::state& state,
                          actors::packet_factory& factory, actors::transport& transport,
                          const std::atomic<bool>& stop, const serve_hooks& hooks) {
  if (cfg.serve.partitioned) return serve_partitioned(cfg, state, factory, transport, stop, hooks);
  run_summary out;
  // Statuses: the outbox numbers them by audit record, the producer confirms them.
  completion_queue completions;
  OTAFLOW_TRY(await_kafka(cfg, stop));
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
    ran =
        run_engine(cfg, state, factory, transport, engine_ports{**outbox, **outbox, outbox->get()},
                   **producer, completions, stop, hooks, out);
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

// The API of serve: the views read this instance's state (in partition-owned mode, the
// partitions it owns); pause, resume and cancel are published as control events on the
// triggers topic, as an operator's tool would, so that every instance applies them.
result<api_context> serve_api(const serve_config& cfg, storage::state& state,
                              std::unique_ptr<kafka::producer>& producer) {
  api_context api;
  api.state = &state;
  auto tokens = load_http_tokens(cfg.http_token_file);
  if (!tokens) return tokens.error();
  api.tokens = std::move(*tokens);
  if (api.tokens.empty()) return api;
  auto p = kafka::producer::create(cfg.kafka, {});
  if (!p) return p.error();
  producer = std::move(*p);
  api.control = [&p = *producer, topic = cfg.kafka.triggers_topic](
                    const std::string& campaign, model::control_action action,
                    const model::control_origin& origin) -> result<std::string> {
    if (auto s = p.produce(topic, campaign,
                           kafka::serialise(kafka::trigger_topic_event{
                               kafka::control_event{action, campaign, {}, {}, origin}}));
        !s) {
      return s.error();
    }
    if (auto s = p.flush(std::chrono::seconds(10)); !s) return s.error();
    return "published to " + topic;
  };
  api.retry = [&p = *producer, topic = cfg.kafka.triggers_topic, &state](
                  const std::string& campaign, const std::string& reason,
                  const std::vector<std::string>& iccids,
                  const model::control_origin& origin) -> result<std::string> {
    // Refused here what the event would be dead-lettered for: an unknown or cancelled
    // campaign, a malformed ICCID.
    auto rec = state.campaigns().get(campaign);
    if (!rec) return rec.error();
    if (!*rec) return make_error(errc::not_found, "no campaign '" + campaign + "'");
    if ((*rec)->status == storage::campaign_status::cancelled) {
      return make_error(errc::conflict, "campaign '" + campaign +
                                            "' is cancelled; 'retry' does not apply "
                                            "(cancelling is final)");
    }
    for (const auto& i : iccids) {
      if (!kafka::valid_iccid(i)) {
        return make_error(errc::bad_argument, "'" + i + "' is not an ICCID (18 to 20 digits)");
      }
    }
    const kafka::control_event ev{model::control_action::retry, campaign, reason, iccids, origin};
    if (auto s = p.produce(topic, campaign, kafka::serialise(kafka::trigger_topic_event{ev})); !s) {
      return s.error();
    }
    if (auto s = p.flush(std::chrono::seconds(10)); !s) return s.error();
    return "published to " + topic;
  };
  return api;
}

dashboard_source serve_source(const serve_config& cfg, storage::state& state) {
  dashboard_source src;
  src.mode = "serve";
  src.instance = cfg.instance_id;
  src.started_ms = wall_now_ms();
  src.campaign_status = stored_campaign_status(state);
  return src;
}

result<run_summary> run(const serve_config& cfg, const std::atomic<bool>& stop) {
  storage::db_options dbo;
  dbo.dir = cfg.state_dir;
  dbo.audit_key_file = cfg.audit_key_file;
  dbo.audit_checkpoint_every = cfg.audit_checkpoint_every;
  auto st = storage::state::open(dbo, cfg.kek);
  if (!st) return st.error();
  auto& state = **st;

  // The SMSC binds: the service starts once every bind is up (it waits and says so).
  actors::routed_transport tp(cfg.routes.empty() ? actors::route_table::single(cfg.binds)
                                                 : cfg.routes);
  // The HTTP endpoint ([http] listen) answers from here on: /readyz says what is not up yet.
  // serve's metrics first: the endpoint, which reads them, goes before them.
  serve_metrics sm;
  std::unique_ptr<kafka::producer> control_producer;  // the API's control events
  std::optional<run_endpoint> endpoint;
  serve_hooks hooks;
  if (!cfg.http_listen.empty()) {
    endpoint.emplace();
    endpoint->registry().add([&sm](metrics::writer& w) { sm.collect(w); });
    endpoint->server().add_readiness("kafka", [&sm] { return sm.brokers_down(); });
    endpoint->server().add_readiness("service", [&stop]() -> std::optional<std::string> {
      if (stop) return "stopping";
      return std::nullopt;
    });
    endpoint->metrics().attach_transport(&tp);
    if (auto s = endpoint->start(cfg.http_listen); !s) {
      endpoint->metrics().detach_transport();
      return context("[http] listen", s.error());
    }
    hooks.metrics = &endpoint->metrics();
    hooks.serve = &sm;
    auto api = serve_api(cfg, state, control_producer);
    if (!api) return context("[http] token_file", api.error());
    endpoint->enable_api(std::move(*api), serve_source(cfg, state));
  }
  // The endpoint stops reading the transport before it stops, whichever way this returns.
  struct transport_detach {
    std::optional<run_endpoint>& e;
    ~transport_detach() {
      if (e) e->metrics().detach_transport();
    }
  } transport_guard{endpoint};
  while (!stop) {
    auto bound = tp.wait_bound(std::chrono::seconds(5));
    if (bound) break;
    logger()->warn("waiting for the SMSC: {}", bound.error().message);
  }
  if (stop) {
    if (endpoint) endpoint->metrics().detach_transport();
    tp.stop();
    return run_summary{};
  }
  logger()->info("{} SMSC binds up on {} route(s)", cfg.binds.size(), tp.table().size());

  // The multi-buffer backend when the CPU has AVX2 or AES-NI, as `campaign run` and the demo
  // use (byte-exact against OpenSSL: tests/unit/secure): OpenSSL's one-packet-at-a-time DES
  // was about 4 % of serve's CPU in a partition-owned profile.
  auto backend = secure::make_best_backend();
  actors::ota_packet_factory factory(state.counters(), *backend, &state);
  auto r = serve(cfg, state, factory, tp, stop, hooks);
  if (endpoint) endpoint->metrics().detach_transport();
  tp.stop();
  return r;
}

}  // namespace otaflow::service
