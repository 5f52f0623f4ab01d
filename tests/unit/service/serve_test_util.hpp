#pragma once
// What the service tests run `service::serve()` with: librdkafka's mock cluster, a real
// RocksDB state in a temporary directory holding a few cards, and the engine tests' fakes for
// the SMSC side and packaging (tests/unit/actors/engine_fakes.hpp), plus a job store put in
// front of the outbox that can hold its saves (a slow disk: nothing the engine sends to it
// becomes durable until it is released).
//
// The tests look at the service from the outside, as the integration test does with kcat:
// a raw librdkafka handle reads topics by assignment (no group to join) and asks the group
// coordinator for the service's committed offsets; records go to explicit partitions.

#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "actors/engine_ports.hpp"
#include "base/bytes.hpp"
#include "kafka/mock_cluster.hpp"
#include "service/run.hpp"
#include "storage/csv_import.hpp"
#include "storage/identifiers.hpp"
#include "tests/unit/actors/engine_fakes.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

namespace otaflow::service::test {

using namespace std::chrono_literals;

/// Polls `f` until it holds or `limit` passed; returns its last value.
template <class F>
bool eventually(F f, std::chrono::milliseconds limit = 15s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return f();
}

/// True when `f` holds at every look during `span` (a negative check: nothing moves).
template <class F>
bool throughout(F f, std::chrono::milliseconds span) {
  const auto end = std::chrono::steady_clock::now() + span;
  while (std::chrono::steady_clock::now() < end) {
    if (!f()) return false;
    std::this_thread::sleep_for(10ms);
  }
  return f();
}

// ---- cards --------------------------------------------------------------------------------

/// A valid 19-digit ICCID: 89882 + 13-digit serial + Luhn check digit.
inline std::string iccid(int i) {
  std::string s = std::to_string(1000 + i);
  std::string payload = "89882" + std::string(13 - s.size(), '0') + s;
  return payload + static_cast<char>('0' + storage::luhn_check_digit(payload));
}
inline std::string msisdn(int i) {
  return "46700" + std::to_string(100000 + i);
}

/// The SIM vendor file of cards [0, n): keyset 1 present, as the test campaign needs.
inline std::string fleet_csv(int n) {
  std::ostringstream o;
  o << "iccid,imsi,msisdn,ki,opc,kic1,kid1,kik1\n";
  const std::string k(32, 'A');
  for (int i = 0; i < n; ++i) {
    o << iccid(i) << ",00101" << (1000000000 + i) << ',' << msisdn(i) << ',' << k << ',' << k << ','
      << k << ',' << k << ',' << k << '\n';
  }
  return o.str();
}

// ---- records of the triggers topic -----------------------------------------------------

/// A campaign event: an EF_FPLMN update under SPI 1621, keyset 1 (as serve_lib.sh sends).
inline std::string campaign_event(const std::string& id, const std::string& por_timeout = "20s") {
  return R"({"type":"campaign","campaign":{"id":")" + id +
         R"(","security":{"spi":"1621","kic":"15","kid":"15","tar":"B00010"},)"
         R"("target":{"all":true},"update":{"files":[{"path":"3F00/7FFF/6F7B",)"
         R"("data":"00F120FFFFFFFFFFFFFFFFFF"}]},"policy":{"max_attempts":3,"por_timeout":")" +
         por_timeout + R"(","retry_backoff":"100ms"}}})";
}
inline std::string trigger(const std::string& campaign, int card) {
  return R"({"type":"trigger","campaign":")" + campaign + R"(","iccid":")" + iccid(card) + R"("})";
}
inline std::string control(const std::string& action, const std::string& campaign) {
  return R"({"type":")" + action + R"(","campaign":")" + campaign + R"("})";
}

// ---- the engine's ports ------------------------------------------------------------------

// The SMSC side and packaging are the engine tests' fakes (tests/unit/actors/engine_fakes.hpp):
// packets are [counter], PoRs [counter, status]; the transport answers each submit with a
// receipt and a PoR OK, or leaves submits unanswered while held (the jobs stay in flight).
using actors::fakes::fake_factory;
using actors::fakes::fake_transport;

/// In front of the outbox: while held, save() blocks (nothing becomes durable). Remembers
/// every (ICCID, state) saved, once the store underneath has it.
class gated_store final : public actors::job_store {
 public:
  void attach(actors::job_store& inner) { inner_ = &inner; }

  result<std::optional<actors::job_record>> load(const std::string& c,
                                                 const std::string& i) override {
    return inner_->load(c, i);
  }
  result<std::vector<std::optional<actors::job_record>>> load_many(
      const std::string& campaign, std::span<const std::string_view> iccids) override {
    return inner_->load_many(campaign, iccids);
  }
  status save(std::span<const actors::job_update> ups, bool sync) override {
    {
      std::unique_lock lock(mu_);
      ++waiting_;
      cv_.wait(lock, [&] { return !held_; });
      --waiting_;
    }
    auto s = inner_->save(ups, sync);
    if (s) {
      std::lock_guard lock(mu_);
      for (const auto& u : ups) saved_.emplace(u.iccid, u.job.state);
    }
    return s;
  }

  void hold() {
    std::lock_guard lock(mu_);
    held_ = true;
  }
  void release() {
    {
      std::lock_guard lock(mu_);
      held_ = false;
    }
    cv_.notify_all();
  }
  /// Saves blocked in save() now.
  int blocked() {
    std::lock_guard lock(mu_);
    return waiting_;
  }
  /// Whether the state change was saved.
  bool was_saved(const std::string& iccid, model::job_state s) {
    std::lock_guard lock(mu_);
    return saved_.count({iccid, s}) > 0;
  }

 private:
  actors::job_store* inner_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  int waiting_ = 0;
  std::set<std::pair<std::string, model::job_state>> saved_;
};

// ---- Kafka from the outside -------------------------------------------------------------

/// A consumed record.
struct record {
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::string key;
  std::string payload;
};

/// Raw librdkafka handles: a producer to explicit partitions, a reader that assigns itself
/// whole topics from the beginning (no group), and the committed offsets of a group.
class kafka_probe {
 public:
  kafka_probe(const std::string& brokers, const std::string& group) {
    producer_ = make(RD_KAFKA_PRODUCER, brokers, {{"linger.ms", "0"}});
    offsets_ =
        make(RD_KAFKA_CONSUMER, brokers, {{"group.id", group}, {"enable.auto.commit", "false"}});
  }
  ~kafka_probe() {
    for (auto& [t, rk] : readers_) close(rk);
    close(offsets_);
    if (producer_) {
      rd_kafka_flush(producer_, 5000);
      rd_kafka_destroy(producer_);
    }
  }
  kafka_probe(const kafka_probe&) = delete;
  kafka_probe& operator=(const kafka_probe&) = delete;

  /// Produces one record to `partition` and waits until the broker has it.
  void produce(const std::string& topic, std::int32_t partition, const std::string& payload,
               const std::string& key = {}) {
    const auto err = rd_kafka_producev(
        producer_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()),
        RD_KAFKA_V_KEY(key.data(), key.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_END);
    ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
    ASSERT_EQ(rd_kafka_flush(producer_, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  /// Every record of `topic` (partitions 0..partitions-1) read so far; reading goes on
  /// across calls, so call it in a polling loop.
  std::vector<record> read(const std::string& topic, int partitions) {
    auto& rk = readers_[topic];
    if (rk == nullptr) {
      rk = make(RD_KAFKA_CONSUMER, brokers_,
                {{"group.id", "probe." + topic}, {"enable.auto.commit", "false"}});
      rd_kafka_poll_set_consumer(rk);
      auto* list = rd_kafka_topic_partition_list_new(partitions);
      for (int p = 0; p < partitions; ++p) {
        rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
      }
      EXPECT_EQ(rd_kafka_assign(rk, list), RD_KAFKA_RESP_ERR_NO_ERROR);
      rd_kafka_topic_partition_list_destroy(list);
    }
    auto& got = records_[topic];
    while (rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 50)) {
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        record r;
        r.partition = m->partition;
        r.offset = m->offset;
        if (m->key) r.key.assign(static_cast<const char*>(m->key), m->key_len);
        if (m->payload) r.payload.assign(static_cast<const char*>(m->payload), m->len);
        got.push_back(std::move(r));
      }
      rd_kafka_message_destroy(m);
    }
    return got;
  }

  /// The group's committed position of each partition of `topic` (-1001: none), or an
  /// empty vector when the coordinator did not answer.
  std::vector<std::int64_t> committed(const std::string& topic, int partitions) {
    auto* list = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
    std::vector<std::int64_t> out;
    if (rd_kafka_committed(offsets_, list, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      for (int i = 0; i < list->cnt; ++i) out.push_back(list->elems[i].offset);
    }
    rd_kafka_topic_partition_list_destroy(list);
    return out;
  }

 private:
  rd_kafka_t* make(rd_kafka_type_t type, const std::string& brokers,
                   std::vector<std::pair<std::string, std::string>> props) {
    brokers_ = brokers;
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    props.emplace_back("bootstrap.servers", brokers);
    props.emplace_back("log_level", "3");
    for (const auto& [k, v] : props) {
      EXPECT_EQ(rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err), RD_KAFKA_CONF_OK)
          << err;
    }
    rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
    EXPECT_NE(rk, nullptr) << err;
    return rk;
  }
  static void close(rd_kafka_t* rk) {
    if (rk == nullptr) return;
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }

  std::string brokers_;
  rd_kafka_t* producer_ = nullptr;
  rd_kafka_t* offsets_ = nullptr;
  std::map<std::string, rd_kafka_t*> readers_;
  std::map<std::string, std::vector<record>> records_;
};

// ---- the service under test -------------------------------------------------------------

/// A unique directory under the system temp directory, removed on destruction.
using storage::test::temp_dir;

/// The topics: triggers and status with 2 partitions, the DLQ and alerts with 1.
inline constexpr int trigger_partitions = 2;
inline constexpr int status_partitions = 2;

/// serve() on its own thread against a fresh mock cluster and state (cards 0..cards-1).
class service_fixture : public ::testing::Test {
 protected:
  static constexpr int cards = 40;

  void SetUp() override {
    factory.set_executed(4);  // the test campaign's script: 3 SELECTs and an UPDATE BINARY
    auto c = kafka::mock_cluster::create(1);
    ASSERT_TRUE(c.ok()) << c.error().message;
    cluster_ = std::move(*c);
    cfg.kafka.brokers = cluster_->bootstraps();
    ASSERT_TRUE(cluster_->create_topic(cfg.kafka.triggers_topic, trigger_partitions).ok());
    ASSERT_TRUE(cluster_->create_topic(cfg.kafka.status_topic, status_partitions).ok());
    ASSERT_TRUE(cluster_->create_topic(cfg.kafka.dlq_topic, 1).ok());
    ASSERT_TRUE(cluster_->create_topic(cfg.kafka.alerts_topic, 1).ok());
    cfg.kafka.group_id = "svc";
    cfg.instance_id = "test";
    // A first join takes the mock's initial rebalance delay (3 s); fetch without waiting.
    cfg.kafka.consumer_properties["session.timeout.ms"] = "6000";
    cfg.kafka.consumer_properties["heartbeat.interval.ms"] = "500";
    cfg.kafka.consumer_properties["fetch.wait.max.ms"] = "20";
    cfg.kafka.consumer_properties["fetch.error.backoff.ms"] = "20";
    cfg.kafka.producer_properties["linger.ms"] = "2";
    cfg.engine.scheduler_threads = 2;
    cfg.engine.crypto_batch_max = 64;
    cfg.engine.journal_batch_max = 256;
    cfg.engine.expand_chunk = 16;
    cfg.service.window = 100;
    cfg.serve.poll_batch = 100;
    cfg.serve.commit_interval = 20ms;
    cfg.serve.shutdown_grace = 200ms;
    cfg.state_dir = dir_.path();

    storage::db_options o;
    o.dir = dir_.path();
    o.block_cache_bytes = 8u << 20;
    auto st = storage::state::open(o, storage::secret::from(bytes(32, 0x42)).value());
    ASSERT_TRUE(st.ok()) << st.error().message;
    state_ = std::move(*st);
    std::istringstream in(fleet_csv(cards));
    storage::import_options io;
    io.sync = false;
    io.threads = 1;
    auto imported = storage::import_csv(*state_, in, io);
    ASSERT_TRUE(imported.ok()) << imported.error().message;
    ASSERT_EQ(imported->imported, static_cast<std::uint64_t>(cards))
        << (imported->errors.empty() ? "" : imported->errors.front().reason);
    probe_ = std::make_unique<kafka_probe>(cfg.kafka.brokers, cfg.kafka.group_id);
  }

  void TearDown() override {
    stop();
    probe_.reset();
  }

  /// Starts serve() with the gated store in front of the outbox.
  void start() {
    hooks_.wrap_store = [this](actors::job_store& outbox) -> actors::job_store& {
      store.attach(outbox);
      return store;
    };
    hooks_.on_tick = [this](const loop_stats& s) {
      std::lock_guard lock(mu_);
      ticks_ = s;
    };
    thread_ = std::thread([this] {
      auto r = serve(cfg, *state_, factory, transport, stop_flag_, hooks_);
      std::lock_guard lock(mu_);
      outcome_ = std::move(r);
    });
  }

  /// Stops the service (releasing whatever the test held) and returns how it ended.
  std::optional<result<run_summary>> stop() {
    store.release();
    transport.hold(false);
    stop_flag_ = true;
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mu_);
    return outcome_;
  }

  /// The trigger loop's counters at its last tick.
  loop_stats ticks() {
    std::lock_guard lock(mu_);
    return ticks_;
  }

  /// Produces to the triggers topic.
  void send(std::int32_t partition, const std::string& payload) {
    probe_->produce(cfg.kafka.triggers_topic, partition, payload);
  }

  /// The service group's committed positions on the triggers topic.
  std::vector<std::int64_t> committed() {
    return probe_->committed(cfg.kafka.triggers_topic, trigger_partitions);
  }

  /// Waits until the committed positions are `want`; says what they were when they are not.
  ::testing::AssertionResult committed_becomes(const std::vector<std::int64_t>& want,
                                               std::chrono::milliseconds limit = 15s) {
    std::vector<std::int64_t> got;
    if (eventually([&] { return (got = committed()) == want; }, limit)) {
      return ::testing::AssertionSuccess();
    }
    auto text = [](const std::vector<std::int64_t>& v) {
      std::string t;
      for (const auto o : v) t += (t.empty() ? "" : ", ") + std::to_string(o);
      return "{" + t + "}";
    };
    return ::testing::AssertionFailure()
           << "committed " << text(got) << ", expected " << text(want);
  }

  /// Defines campaign `id` and waits until the service stored it.
  void define(const std::string& id, std::int32_t partition = 0) {
    send(partition, campaign_event(id));
    ASSERT_TRUE(eventually([&] { return status_of(id) != "none"; }))
        << "campaign " << id << " not stored";
  }

  /// The stored status of a campaign ("running", "paused", ...), "none" when not stored.
  std::string status_of(const std::string& id) {
    auto c = state_->campaigns().get(id);
    if (!c || !*c) return "none";
    return std::string(storage::name((*c)->status));
  }

  std::optional<model::job_record> job(const std::string& campaign, int card) {
    auto j = state_->jobs().get(campaign, iccid(card));
    if (!j || !*j) return std::nullopt;
    return **j;
  }

  /// "state, attempt N: reason" of a job, for failure messages.
  std::string job_text(const std::string& campaign, int card) {
    auto j = job(campaign, card);
    if (!j) return "no job";
    return std::string(model::to_string(j->state)) + ", attempt " + std::to_string(j->attempt) +
           ": " + j->reason;
  }

  // In the order they must outlive each other: the directory holds the state, the cluster
  // serves the probe and the service, the ports serve the service's engine.
  temp_dir dir_;
  std::unique_ptr<kafka::mock_cluster> cluster_;
  serve_config cfg;
  fake_factory factory;
  fake_transport transport;
  gated_store store;
  std::unique_ptr<kafka_probe> probe_;
  std::unique_ptr<storage::state> state_;
  serve_hooks hooks_;
  std::atomic<bool> stop_flag_{false};
  std::thread thread_;
  std::mutex mu_;
  loop_stats ticks_;
  std::optional<result<run_summary>> outcome_;
};

}  // namespace otaflow::service::test
