// The transactional producer and the partition reader against librdkafka's mock cluster.
// librdkafka 2.0.2's mock implements the transaction requests but writes no commit/abort
// markers, keeps no last stable offset and does not fence an older producer when a new one
// registers the same transactional.id: abort invisibility, id fencing and group-generation
// fencing are shown against a real broker (tests/integration/kafka_broker_test.cpp). Here the
// broker's fencing answers are injected to check what the caller is told.

#include "kafka/txn_producer.hpp"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "kafka/errc.hpp"
#include "kafka/mock_cluster.hpp"
#include "kafka/partition_reader.hpp"
#include "kafka/partitioner.hpp"

namespace otaflow::kafka {
namespace {

using namespace std::chrono_literals;

struct read_record {
  std::string key;
  std::optional<std::string> value;
  std::int64_t offset = -1;
  friend bool operator==(const read_record&, const read_record&) = default;
};

class TxnMock : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = mock_cluster::create(1);
    ASSERT_TRUE(c.ok()) << c.error().message;
    cluster_ = std::move(*c);
    opts_.brokers = cluster_->bootstraps();
    ASSERT_TRUE(cluster_->create_topic(topic_, 3).ok());
  }

  std::unique_ptr<txn_producer> make(const std::string& id) {
    auto p = txn_producer::create(opts_, id, 10s);
    EXPECT_TRUE(p.ok()) << p.error().message;
    if (!p.ok()) return nullptr;
    const auto st = (*p)->init(10s);
    EXPECT_TRUE(st.ok()) << st.error().message;
    return std::move(*p);
  }

  // Everything read_partition returns for `partition`, and the next offset.
  std::pair<std::vector<read_record>, std::int64_t> read_all(std::int32_t partition,
                                                             std::int64_t from = from_beginning) {
    std::vector<read_record> got;
    auto next = read_partition(
        opts_, topic_, partition, from,
        [&](std::string_view k, std::optional<std::string_view> v, std::int64_t offset) -> status {
          got.push_back(
              {std::string(k), v ? std::optional<std::string>(*v) : std::nullopt, offset});
          return {};
        },
        20s);
    EXPECT_TRUE(next.ok()) << next.error().message;
    return {got, next.ok() ? *next : -1};
  }

  std::unique_ptr<mock_cluster> cluster_;
  kafka_options opts_;
  std::string topic_ = "t.changelog";
};

TEST_F(TxnMock, CommittedRecordsAndTombstonesAreReadBackWithTheNextOffset) {
  auto p = make("otaflow-test-1");
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->begin().ok());
  EXPECT_TRUE(p->in_transaction());
  ASSERT_TRUE(p->produce(topic_, 1, "8988211000000000001", "{\"state\":\"sent\"}").ok());
  ASSERT_TRUE(p->produce(topic_, 1, "8988211000000000002", "{\"state\":\"done\"}").ok());
  ASSERT_TRUE(p->produce(topic_, 1, "8988211000000000001", std::nullopt).ok());  // tombstone
  ASSERT_TRUE(p->produce(topic_, 1, "8988211000000000003", "").ok());  // empty, not a tombstone
  ASSERT_TRUE(p->commit(10s).ok());
  EXPECT_FALSE(p->in_transaction());

  const auto [got, next] = read_all(1);
  const std::vector<read_record> want = {
      {"8988211000000000001", "{\"state\":\"sent\"}", 0},
      {"8988211000000000002", "{\"state\":\"done\"}", 1},
      {"8988211000000000001", std::nullopt, 2},
      {"8988211000000000003", std::string(), 3},
  };
  EXPECT_EQ(got, want);
  EXPECT_EQ(next, 4);
  // Resuming at the returned offset reads nothing more; other partitions are empty.
  const auto [more, next2] = read_all(1, next);
  EXPECT_TRUE(more.empty());
  EXPECT_EQ(next2, 4);
  const auto [none, next0] = read_all(0);
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(next0, 0);

  const auto& c = p->counters();
  EXPECT_EQ(c.records_produced, 4u);
  EXPECT_EQ(c.bytes_produced, 4 * 19u + 16 + 16);
  EXPECT_EQ(c.records_committed, 4u);
  EXPECT_EQ(c.bytes_committed, c.bytes_produced);
  EXPECT_EQ(c.transactions_committed, 1u);
  EXPECT_EQ(c.transactions_aborted, 0u);
}

TEST_F(TxnMock, PartitionByKeyAndSeveralPartitionsAtOnce) {
  auto p = make("otaflow-test-2");
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->begin().ok());
  std::vector<std::string> keys;
  for (int i = 0; i < 60; ++i) keys.push_back("k" + std::to_string(i));
  for (const auto& k : keys) ASSERT_TRUE(p->produce(topic_, -1, k, "v" + k).ok());
  ASSERT_TRUE(p->commit(10s).ok());

  std::vector<std::tuple<std::int32_t, std::string, std::string, std::int64_t>> got;
  auto next = read_partitions(
      opts_, {{topic_, 0, from_beginning}, {topic_, 1, from_beginning}, {topic_, 2, 0}},
      [&](std::int32_t partition, std::string_view k, std::optional<std::string_view> v,
          std::int64_t offset) -> status {
        got.emplace_back(partition, std::string(k), v ? std::string(*v) : "<null>", offset);
        return {};
      },
      20s);
  ASSERT_TRUE(next.ok()) << next.error().message;
  ASSERT_EQ(got.size(), keys.size());
  std::map<std::int32_t, std::int64_t> count;
  for (const auto& [partition, k, v, offset] : got) {
    EXPECT_EQ(partition, partition_for_key(k, 3)) << k;
    EXPECT_EQ(v, "v" + k);
    EXPECT_EQ(offset, count[partition]++) << "offsets of a partition come in order";
  }
  ASSERT_EQ(next->size(), 3u);
  for (const auto& tp : *next) EXPECT_EQ(tp.offset, count[tp.partition]) << tp.partition;
}

// This process's threads: id -> (name, nice), from /proc/self/task.
std::map<int, std::pair<std::string, int>> threads_now() {
  std::map<int, std::pair<std::string, int>> out;
  for (const auto& t : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream in(t.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    std::string field;
    int nice = 0;
    for (int i = 3; i <= 19 && rest >> field; ++i) {
      if (i == 19) nice = std::stoi(field);
    }
    out[std::stoi(t.path().filename().string())] = {stat.substr(open + 1, close - open - 1), nice};
  }
  return out;
}

// librdkafka 2.0.2's main thread spins before each timer and a transaction arms two 1 ms
// timers (kafka/txn_producer.cpp): the transactional producer's main thread runs at the lowest
// priority, its connection threads (the coordinator's among them) at the normal one.
TEST_F(TxnMock, TheMainThreadRunsAtTheLowestPriorityItsConnectionThreadsDoNot) {
  const auto before = threads_now();
  const int normal = ::getpriority(PRIO_PROCESS, 0);
  auto p = make("otaflow-test-nice");
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->begin().ok());
  ASSERT_TRUE(p->produce(topic_, 0, "a", "1").ok());
  ASSERT_TRUE(p->commit(10s).ok());
  int mains = 0, connections = 0;
  for (const auto& [tid, t] : threads_now()) {
    if (before.count(tid) > 0) continue;
    const auto& [name, nice] = t;
    if (name == "rdk:main") {
      ++mains;
      EXPECT_EQ(nice, 19) << "thread " << tid;
    } else if (name.rfind("rdk:broker", 0) == 0) {
      ++connections;
      EXPECT_EQ(nice, normal) << name << " (thread " << tid << ")";
    }
  }
  EXPECT_EQ(mains, 1);
  // The bootstrap connection, the transaction coordinator's and the broker's own.
  EXPECT_GE(connections, 2);
}

TEST_F(TxnMock, AbortCountsNothingCommitted) {
  auto p = make("otaflow-test-3");
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->begin().ok());
  ASSERT_TRUE(p->produce(topic_, 0, "a", "1").ok());
  ASSERT_TRUE(p->abort(10s).ok());
  EXPECT_FALSE(p->in_transaction());
  EXPECT_EQ(p->counters().records_produced, 1u);
  EXPECT_EQ(p->counters().records_committed, 0u);
  EXPECT_EQ(p->counters().transactions_aborted, 1u);
  // The producer goes on with a new transaction.
  ASSERT_TRUE(p->begin().ok());
  ASSERT_TRUE(p->produce(topic_, 0, "b", "2").ok());
  ASSERT_TRUE(p->commit(10s).ok());
  EXPECT_EQ(p->counters().records_committed, 1u);
  EXPECT_EQ(p->counters().bytes_committed, 2u);
}

TEST_F(TxnMock, CallsOutOfOrderAreConflictsNotTransactionErrors) {
  auto p = make("otaflow-test-4");
  ASSERT_TRUE(p);
  const auto no_txn = p->produce(topic_, 0, "a", "1");
  ASSERT_FALSE(no_txn.ok());
  EXPECT_EQ(no_txn.error().code, make_error_code(errc::conflict)) << no_txn.error().message;
  EXPECT_FALSE(txn_action(no_txn.error()).has_value());
  ASSERT_TRUE(p->begin().ok());
  const auto twice = p->begin();
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, make_error_code(errc::conflict)) << twice.error().message;
  EXPECT_TRUE(p->usable());
  EXPECT_FALSE(txn_producer::create(opts_, "", 10s).ok());
  EXPECT_FALSE(txn_producer::create(opts_, "x", 0ms).ok());
}

TEST_F(TxnMock, InitWithoutBrokerIsRetriable) {
  ASSERT_TRUE(cluster_->set_broker_down(1).ok());
  auto p = txn_producer::create(opts_, "otaflow-test-5", 10s);
  ASSERT_TRUE(p.ok()) << p.error().message;
  const auto st = (*p)->init(1500ms);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(txn_action(st.error()), txn_errc::retriable) << st.error().message;
  EXPECT_TRUE(st.error().retriable());
  ASSERT_TRUE(cluster_->set_broker_up(1).ok());
  const auto again = (*p)->init(10s);
  EXPECT_TRUE(again.ok()) << again.error().message;
}

TEST_F(TxnMock, ProducerFencedAtCommitIsFencedAndFinal) {
  auto p = make("otaflow-test-6");
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->begin().ok());
  ASSERT_TRUE(p->produce(topic_, 0, "a", "1").ok());
  // What a broker answers once a newer producer registered the same transactional.id.
  cluster_->push_request_errors(mock_request::end_txn, {RD_KAFKA_RESP_ERR_PRODUCER_FENCED});
  const auto st = p->commit(10s);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(txn_action(st.error()), txn_errc::fenced) << st.error().message;
  EXPECT_NE(st.error().message.find("otaflow-test-6"), std::string::npos) << st.error().message;
  EXPECT_FALSE(p->usable());
  // Every later call says the same: stop writing.
  const auto next = p->begin();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(txn_action(next.error()), txn_errc::fenced) << next.error().message;
  EXPECT_EQ(p->counters().records_committed, 0u);
}

TEST_F(TxnMock, StaleGroupGenerationIsFencedButTheProducerGoesOn) {
  auto p = make("otaflow-test-7");
  ASSERT_TRUE(p);
  opts_.group_id = "g.txn";
  auto c = consumer::create(opts_, {topic_});
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto group = (*c)->membership();
  ASSERT_TRUE(group.ok()) << group.error().message;

  ASSERT_TRUE(p->begin().ok());
  ASSERT_TRUE(p->produce(topic_, 0, "a", "1").ok());
  // The coordinator's answer to offsets from a member of an older generation.
  cluster_->push_request_errors(mock_request::txn_offset_commit,
                                {RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION});
  const auto st = p->send_offsets(**group, {{topic_, 0, 5}}, 10s);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(txn_action(st.error()), txn_errc::fenced) << st.error().message;
  EXPECT_NE(st.error().message.find("ILLEGAL_GENERATION"), std::string::npos) << st.error().message;
  // The producer itself is not fenced: it aborts and serves the partitions it still has.
  EXPECT_TRUE(p->usable());
  // The transaction can no longer commit: commit repeats the cause.
  const auto commit = p->commit(10s);
  ASSERT_FALSE(commit.ok());
  EXPECT_EQ(txn_action(commit.error()), txn_errc::fenced) << commit.error().message;
  ASSERT_TRUE(p->abort(10s).ok());
  ASSERT_TRUE(p->begin().ok());
  ASSERT_TRUE(p->send_offsets(**c, {{topic_, 0, 5}}, 10s).ok());
  ASSERT_TRUE(p->commit(10s).ok());
  EXPECT_EQ(p->counters().transactions_committed, 1u);
  EXPECT_EQ(p->counters().transactions_aborted, 1u);
}

TEST_F(TxnMock, ReaderNamesBadPartitionsOffsetsAndCallbackErrors) {
  const auto noop = [](std::string_view, std::optional<std::string_view>, std::int64_t) -> status {
    return {};
  };
  const auto missing = read_partition(opts_, topic_, 3, from_beginning, noop, 10s);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("t.changelog[3]"), std::string::npos)
      << missing.error().message;
  EXPECT_FALSE(read_partition(opts_, topic_, 0, -7, noop, 10s).ok());
  EXPECT_FALSE(read_partitions(opts_, {}, {}, 10s).ok());

  auto p = make("otaflow-test-8");
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->begin().ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(p->produce(topic_, 2, "k", std::to_string(i)).ok());
  ASSERT_TRUE(p->commit(10s).ok());
  // Past the end of the log: an error naming the offset, not a silent jump.
  const auto beyond = read_partition(opts_, topic_, 2, 50, noop, 10s);
  ASSERT_FALSE(beyond.ok());
  EXPECT_NE(beyond.error().message.find("t.changelog[2]"), std::string::npos)
      << beyond.error().message;
  // The callback's error stops the read and is returned as it is.
  int calls = 0;
  const auto stopped = read_partition(
      opts_, topic_, 2, 1,
      [&](std::string_view, std::optional<std::string_view> v, std::int64_t offset) -> status {
        ++calls;
        EXPECT_EQ(offset, 1);
        EXPECT_EQ(v, "1");
        return make_error(errc::io, "disk full at offset " + std::to_string(offset));
      },
      10s);
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.error().message, "disk full at offset 1");
  EXPECT_EQ(calls, 1);

  const auto n = partition_count(opts_, topic_, 10s);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, 3);
  // (A missing topic is tested against a real broker: the mock answers metadata requests
  // only up to version 2, which has no AllowAutoTopicCreation flag, so it creates the topic.)
}

}  // namespace
}  // namespace otaflow::kafka
