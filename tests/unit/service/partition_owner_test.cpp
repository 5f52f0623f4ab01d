// A partition's life in serve's partition-owned mode, on librdkafka's mock cluster: one
// instance's changelog committer (over the real transactional producer, kafka_txn_port) writes
// counters to the state topic; another instance's partition_owner is given the partition,
// rebuilds its rows from that changelog (wiping its stale rows first, or from a clean
// hand-over's checkpoint), owns it, gives it up; and the forwarding transport sends answers of
// cards it does not own to the MO topic, where the owner's deliver() hands them on.

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include "actors/engine.hpp"
#include "kafka/consumer.hpp"
#include "kafka/mock_cluster.hpp"
#include "kafka/partition_reader.hpp"
#include "kafka/partitioner.hpp"
#include "kafka/producer.hpp"
#include "kafka/txn_producer.hpp"
#include "service/changelog_committer.hpp"
#include "service/mo_forwarder.hpp"
#include "service/serve_partitions.hpp"
#include "storage/changelog.hpp"
#include "tests/unit/actors/engine_fakes.hpp"
#include "tests/unit/service/fake_txn_port.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

namespace otaflow::service {
namespace {

using namespace std::chrono_literals;
using storage::column;
using storage::test::make_iccid;
using storage::test::temp_dir;
using test::fake_txn_port;

constexpr std::int32_t partitions = 2;

std::int32_t murmur(std::string_view key, std::int32_t n) {
  return kafka::partition_for_key(key, n);
}

std::string card_on(std::int32_t partition, int nth = 0) {
  for (std::uint64_t serial = 1;; ++serial) {
    auto iccid = make_iccid(serial);
    if (murmur(iccid, partitions) == partition && nth-- == 0) return iccid;
  }
}

committer_config committer_cfg() {
  committer_config c;
  c.partitions = partitions;
  c.status_partitions = partitions;
  c.partition_for = murmur;
  c.offsets_interval = std::chrono::hours(1);
  c.attempts = 2;
  return c;
}

// One counter of `iccid` (keyset 1) through `st`'s commit hook.
result<std::uint64_t> reserve(storage::state& st, const std::string& iccid) {
  const storage::counter_request req{iccid, 1, 0};
  auto r = st.counters().next(std::span(&req, 1));
  if (!r) return r.error();
  return (*r)[0];
}

// The counter row of `iccid` as stored (not the store's cache), nullopt when absent.
std::optional<std::uint64_t> stored_counter(storage::state& st, const std::string& iccid) {
  auto v = st.database().get(column::counters, storage::counter_store::row_key(iccid, 1));
  EXPECT_TRUE(v.ok());
  if (!v.ok() || !v->has_value()) return std::nullopt;
  std::uint64_t out = 0;
  for (char c : **v) out = (out << 8) | static_cast<std::uint8_t>(c);
  return out;
}

class owner_test : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = kafka::mock_cluster::create(1);
    ASSERT_TRUE(c.ok()) << c.error().message;
    cluster_ = std::move(*c);
    cfg_.kafka.brokers = cluster_->bootstraps();
    cfg_.kafka.group_id = "owners";
    for (const auto* t : {&cfg_.kafka.triggers_topic, &cfg_.kafka.subscribers_topic,
                          &cfg_.kafka.state_topic, &cfg_.kafka.mo_topic}) {
      ASSERT_TRUE(cluster_->create_topic(*t, partitions).ok()) << *t;
    }
    cfg_.kafka.producer_properties["linger.ms"] = "1";

    // The writer: another instance, committing to the changelog through Kafka.
    writer_state_ = storage::test::open_state(writer_dir_.path());
    owner_state_ = storage::test::open_state(owner_dir_.path());
    ASSERT_TRUE(writer_state_ && owner_state_);
    auto make = [this]() -> result<std::unique_ptr<kafka::txn_producer>> {
      auto txp = kafka::txn_producer::create(cfg_.kafka, "owners.state.writer", 60s);
      if (!txp) return txp.error();
      if (auto s = (*txp)->init(30s); !s) return s.error();
      return std::move(*txp);
    };
    auto txp = make();
    ASSERT_TRUE(txp.ok()) << txp.error().message;
    writer_port_ = std::make_unique<kafka_txn_port>(std::move(*txp), make);
    start_writer(committer_cfg());

    // The owner: this instance, its own commits on a fake Kafka side.
    committer_ =
        std::make_unique<changelog_committer>(owner_state_->database(), port_, committer_cfg());
    owner_state_->database().set_commit_hook(
        [this](rocksdb::WriteBatch& b, bool s) { return committer_->commit(b, s); });
    engine_ = std::make_unique<actors::engine>(actors::fakes::test_engine_options(), factory_,
                                               transport_, jobs_, sink_);
    owner_ =
        std::make_unique<partition_owner>(cfg_, *owner_state_, *engine_, *committer_, partitions);
    auto consumer = kafka::consumer::create(cfg_.kafka, {cfg_.kafka.triggers_topic});
    ASSERT_TRUE(consumer.ok()) << consumer.error().message;
    consumer_ = std::move(*consumer);
  }
  // The writer's committer (again) with `c`.
  void start_writer(const committer_config& c) {
    writer_state_->database().set_commit_hook({});
    writer_.reset();
    writer_ = std::make_unique<changelog_committer>(writer_state_->database(), *writer_port_, c);
    writer_->own(0);
    writer_->own(1);
    writer_state_->database().set_commit_hook(
        [this](rocksdb::WriteBatch& b, bool s) { return writer_->commit(b, s); });
  }

  void TearDown() override {
    if (writer_state_) writer_state_->database().set_commit_hook({});
    if (owner_state_) owner_state_->database().set_commit_hook({});
    consumer_.reset();
    owner_.reset();
    engine_.reset();
    committer_.reset();
    writer_.reset();
    writer_port_.reset();
  }

  // A row of the owner's state written around the committer (an earlier ownership's leftover).
  void stale_counter(const std::string& iccid, std::uint64_t v) {
    rocksdb::WriteBatch b;
    const auto key = storage::counter_store::row_key(iccid, 1);
    const std::string value = {0, 0, 0, 0, static_cast<char>(v)};
    ASSERT_TRUE(b.Put(owner_state_->database().handle(column::counters), key, value).ok());
    ASSERT_TRUE(owner_state_->database().apply(b, false).ok());
  }

  std::unique_ptr<kafka::mock_cluster> cluster_;
  serve_config cfg_;
  temp_dir writer_dir_, owner_dir_;
  std::unique_ptr<storage::state> writer_state_, owner_state_;
  std::unique_ptr<kafka_txn_port> writer_port_;
  std::unique_ptr<changelog_committer> writer_;
  fake_txn_port port_;
  std::unique_ptr<changelog_committer> committer_;
  actors::fakes::fake_factory factory_;
  actors::fakes::fake_transport transport_;
  actors::fakes::fake_job_store jobs_;
  actors::fakes::fake_sink sink_;
  std::unique_ptr<actors::engine> engine_;
  std::unique_ptr<partition_owner> owner_;
  std::unique_ptr<kafka::consumer> consumer_;
};

TEST_F(owner_test, AssignedRebuildsThePartitionFromTheChangelogAndOwnsIt) {
  const auto a = card_on(0), b = card_on(1), stale = card_on(0, 1), other = card_on(1, 1);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(reserve(*writer_state_, a).ok());
  ASSERT_TRUE(reserve(*writer_state_, b).ok());
  EXPECT_EQ(writer_->stats().transactions, 4u);
  stale_counter(stale, 50);
  stale_counter(other, 60);

  ASSERT_TRUE(owner_->assigned(*consumer_, {0}).ok());
  EXPECT_EQ(stored_counter(*owner_state_, a), 3u);
  EXPECT_EQ(stored_counter(*owner_state_, stale), std::nullopt) << "stale row of p0 not wiped";
  EXPECT_EQ(stored_counter(*owner_state_, b), std::nullopt) << "p1 is not ours";
  EXPECT_EQ(stored_counter(*owner_state_, other), 60u) << "p1's rows are not touched";
  EXPECT_EQ(owner_->restored_records(), 3u);
  EXPECT_TRUE(owner_->owns_card(a));
  EXPECT_FALSE(owner_->owns_card(b));
  EXPECT_TRUE(committer_->owns(0));
  EXPECT_FALSE(committer_->owns(1));

  // The card's counter goes on from the changelog's value, through this instance's committer.
  auto v = reserve(*owner_state_, a);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v, 4u);
  EXPECT_FALSE(reserve(*owner_state_, b).ok());
  const auto txns = port_.committed();
  ASSERT_EQ(txns.size(), 1u);
  ASSERT_EQ(txns[0].records.size(), 1u);
  EXPECT_EQ(txns[0].records[0].partition, 0);
}

TEST_F(owner_test, ACleanHandOverKeepsTheRowsALostOneRebuildsThem) {
  const auto a = card_on(0);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(reserve(*writer_state_, a).ok());
  ASSERT_TRUE(owner_->assigned(*consumer_, {0}).ok());
  ASSERT_EQ(reserve(*owner_state_, a).value(), 3u);  // local only: the fake Kafka side

  owner_->released({0}, true);
  EXPECT_FALSE(committer_->owns(0));
  EXPECT_FALSE(owner_->owns_card(a));
  auto ckpt = storage::changelog::checkpoint(owner_state_->database(), cfg_.kafka.state_topic, 0);
  ASSERT_TRUE(ckpt.ok());
  ASSERT_TRUE(ckpt->has_value()) << "a clean release stores a checkpoint";
  auto end = kafka::read_partition(
      cfg_.kafka, cfg_.kafka.state_topic, 0, kafka::from_beginning,
      [](std::string_view, std::optional<std::string_view>, std::int64_t) -> status { return {}; },
      20s);
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(**ckpt, *end);

  // Back from a clean hand-over: only what came after the checkpoint is read; the row stays.
  ASSERT_TRUE(owner_->assigned(*consumer_, {0}).ok());
  EXPECT_EQ(stored_counter(*owner_state_, a), 3u);
  EXPECT_EQ(owner_->restored_records(), 2u);

  // Lost (no checkpoint): rebuilt from the beginning, the local-only row is gone.
  owner_->released({0}, false);
  ckpt = storage::changelog::checkpoint(owner_state_->database(), cfg_.kafka.state_topic, 0);
  ASSERT_TRUE(ckpt.ok());
  EXPECT_FALSE(ckpt->has_value());
  ASSERT_TRUE(owner_->assigned(*consumer_, {0}).ok());
  EXPECT_EQ(stored_counter(*owner_state_, a), 2u);
  EXPECT_EQ(owner_->restored_records(), 4u);
}

// The mock cluster writes no commit/abort markers and keeps no last stable offset
// (tests/unit/kafka/txn_producer_test.cpp): what a read_committed reader would see of a failed
// transaction is shown against a real broker only. Here: what the committer does with
// kafka_txn_port's answers to the broker's fencing errors.

TEST_F(owner_test, ProducerFencedAtCommitReplacesTheProducerAndTheRetryCommits) {
  const auto a = card_on(0);
  ASSERT_TRUE(reserve(*writer_state_, a).ok());
  // What the broker answers once it aborted a transaction that outlived its timeout (or a
  // newer instance registered the same transactional id): the two look the same.
  cluster_->push_request_errors(kafka::mock_request::end_txn, {RD_KAFKA_RESP_ERR_PRODUCER_FENCED});
  auto v = reserve(*writer_state_, a);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v, 2u);
  const auto st = writer_->stats();
  EXPECT_FALSE(st.fenced);
  EXPECT_EQ(st.recoveries, 1u);
  EXPECT_EQ(st.aborted, 1u);
  EXPECT_EQ(st.transactions, 2u);
  EXPECT_EQ(stored_counter(*writer_state_, a), 2u);
  auto later = reserve(*writer_state_, a);
  ASSERT_TRUE(later.ok()) << later.error().message;
  EXPECT_EQ(*later, 3u);
  EXPECT_EQ(writer_->stats().recoveries, 1u);
}

TEST_F(owner_test, ProducerFencedBeyondTheRecoveryBudgetFencesTheWriterAndItsRowIsNotApplied) {
  auto c = committer_cfg();
  c.recoveries = 0;
  start_writer(c);
  const auto a = card_on(0);
  ASSERT_TRUE(reserve(*writer_state_, a).ok());
  cluster_->push_request_errors(kafka::mock_request::end_txn, {RD_KAFKA_RESP_ERR_PRODUCER_FENCED});
  auto v = reserve(*writer_state_, a);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("owners.state.writer"), std::string::npos) << v.error().message;
  const auto st = writer_->stats();
  EXPECT_TRUE(st.fenced);
  EXPECT_EQ(st.transactions, 1u);
  EXPECT_EQ(st.aborted, 1u);  // not retried: a fenced producer never writes again
  EXPECT_EQ(stored_counter(*writer_state_, a), 1u);
  auto later = reserve(*writer_state_, a);
  ASSERT_FALSE(later.ok());
  EXPECT_NE(later.error().message.find("fenced"), std::string::npos) << later.error().message;
  EXPECT_EQ(writer_->stats().aborted, 1u);
}

// A lost partition may be another member's already. released() waits for the journal (the
// jobs' last states); the partitions must be given up before that wait, or the journal's saves
// for them go on being tried with offsets the group refuses while the consumer cannot rejoin
// (80 s in the cluster test), and their cards' answers are not forwarded.
TEST_F(owner_test, ALostPartitionIsGivenUpBeforeReleasingWaitsForTheJournal) {
  ASSERT_TRUE(owner_->assigned(*consumer_, {0, 1}).ok());
  ASSERT_TRUE(engine_->start_service(actors::service_options{10}, {}).ok());
  engine_->set_campaign(actors::fakes::test_campaign(), actors::campaign_mode::running);
  jobs_.hold(true);  // the journal's save blocks: the job's state is not durable
  engine_->admit("c1", actors::fakes::first_cards(1), 1);
  ASSERT_TRUE(actors::fakes::wait_until([&] { return engine_->journal_backlog() > 0; },
                                        actors::fakes::patience, "a state change waits"));
  std::atomic<bool> returned{false};
  std::thread lost([&] {
    owner_->released({0, 1}, false);
    returned = true;
  });
  const bool given_up = actors::fakes::wait_until(
      [&] { return !committer_->owns(0) && !committer_->owns(1); }, 5s,
      "ownership given up while the journal still holds the jobs' states");
  EXPECT_FALSE(returned.load()) << "released() did not wait for the journal";
  jobs_.hold(false);
  lost.join();
  EXPECT_TRUE(given_up);
  EXPECT_FALSE(owner_->owns_card(actors::fakes::iccid(0)));
  engine_->stop_service(1s);
}

TEST_F(owner_test, OffsetsOfAStaleGenerationAbortTheTransactionAndTheRetryCommits) {
  writer_port_->set_consumer(consumer_.get());
  writer_->set_offsets({{cfg_.kafka.triggers_topic, 0, 5}});
  // The coordinator's answer to offsets from a member of an older generation, once.
  cluster_->push_request_errors(kafka::mock_request::txn_offset_commit,
                                {RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION});
  const auto a = card_on(0);
  auto v = reserve(*writer_state_, a);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v, 1u);
  const auto st = writer_->stats();
  EXPECT_EQ(st.aborted, 1u);
  EXPECT_EQ(st.transactions, 1u);
  EXPECT_FALSE(st.fenced) << "the producer itself was not fenced";
  EXPECT_EQ(stored_counter(*writer_state_, a), 1u);
}

class recording_listener final : public actors::transport_listener {
 public:
  void on_submitted(std::uint64_t, std::vector<std::string>) override {}
  void on_submit_failed(std::uint64_t, std::uint32_t, std::string, bool) override {}
  void on_submit_lost(std::uint64_t) override {}
  void on_receipt(std::string id, std::uint8_t state, std::string error) override {
    receipts.push_back(id + "/" + std::to_string(state) + "/" + error);
  }
  void on_mo(std::string from, bytes ud) override { mos.push_back(from + "/" + to_hex(ud)); }
  std::vector<std::string> mos, receipts;
};

class inner_transport final : public actors::transport {
 public:
  void set_listener(actors::transport_listener* l) override { listener = l; }
  void submit(actors::submit_request) override {}
  actors::transport_listener* listener = nullptr;
};

TEST_F(owner_test, AnswersOfCardsOwnedElsewhereAreForwardedAndDeliveredByTheirOwner) {
  ASSERT_TRUE(owner_->assigned(*consumer_, {0}).ok());
  const auto mine = card_on(0), theirs = card_on(1);
  msisdn_directory dir(cfg_.kafka);
  dir.add_for_test("46700000001", mine);
  dir.add_for_test("46700000002", theirs);
  auto producer = kafka::producer::create(cfg_.kafka, {});
  ASSERT_TRUE(producer.ok()) << producer.error().message;
  inner_transport inner;
  recording_listener here;
  forwarding_transport fwd(inner, dir, **producer, cfg_.kafka.mo_topic);
  fwd.set_listener(&here);
  fwd.set_owner(owner_.get());

  inner.listener->on_mo("46700000001", bytes{0x01});                // ours
  inner.listener->on_mo("46700000002", bytes{0x02, 0x03});          // another instance's
  inner.listener->on_receipt_from("46700000002", "m-9", 2, "000");  // another instance's
  inner.listener->on_mo("46700000003", bytes{0x04});                // unknown: kept here
  EXPECT_EQ(here.mos, (std::vector<std::string>{"46700000001/01", "46700000003/04"}));
  EXPECT_TRUE(here.receipts.empty());
  EXPECT_EQ(fwd.forwarded(), 2u);
  ASSERT_TRUE((*producer)->flush(10s).ok());

  // On the card's partition of the MO topic, keyed by its ICCID; its owner hands them on.
  std::vector<kafka::message> got;
  for (std::int32_t p = 0; p < partitions; ++p) {
    auto end = kafka::read_partition(
        cfg_.kafka, cfg_.kafka.mo_topic, p, kafka::from_beginning,
        [&](std::string_view key, std::optional<std::string_view> value, std::int64_t) -> status {
          kafka::message m;
          m.topic = cfg_.kafka.mo_topic;
          m.partition = p;
          m.key = std::string(key);
          m.payload = std::string(value.value_or(""));
          got.push_back(std::move(m));
          return {};
        },
        20s);
    ASSERT_TRUE(end.ok()) << end.error().message;
  }
  ASSERT_EQ(got.size(), 2u);
  inner_transport owner_inner;
  recording_listener there;
  forwarding_transport owner_fwd(owner_inner, dir, **producer, cfg_.kafka.mo_topic);
  owner_fwd.set_listener(&there);
  for (const auto& m : got) {
    EXPECT_EQ(m.partition, murmur(theirs, partitions));
    EXPECT_EQ(m.key, theirs);
    ASSERT_TRUE(owner_fwd.deliver(m).ok()) << m.payload;
  }
  EXPECT_EQ(there.mos, std::vector<std::string>{"46700000002/0203"});
  EXPECT_EQ(there.receipts, std::vector<std::string>{"m-9/2/000"});
  EXPECT_EQ(owner_fwd.delivered(), 2u);
}

}  // namespace
}  // namespace otaflow::service
