// Producer and consumer against librdkafka's mock cluster: delivery reports, group
// consumption, manual-commit semantics (uncommitted records are redelivered to the next
// member of the group), pause/resume back-pressure, rebalance callbacks, broker outages.

#include "kafka/mock_cluster.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "kafka/consumer.hpp"
#include "kafka/producer.hpp"

namespace otaflow::kafka {
namespace {

using namespace std::chrono_literals;

class MockCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = mock_cluster::create(1);
    ASSERT_TRUE(c.ok()) << c.error().message;
    cluster_ = std::move(*c);
    opts_.brokers = cluster_->bootstraps();
    // A member that replaces one that left waits for the session timeout: keep it short.
    opts_.consumer_properties["session.timeout.ms"] = "6000";
    opts_.consumer_properties["heartbeat.interval.ms"] = "1000";
  }

  // Produces `n` records "<prefix><i>" keyed "k<i % keys>" and waits for their reports.
  void produce(const std::string& topic, int n, const std::string& prefix, int keys = 1000) {
    auto p = producer::create(opts_, {});
    ASSERT_TRUE(p.ok()) << p.error().message;
    for (int i = 0; i < n; ++i) {
      const auto st =
          (*p)->produce(topic, "k" + std::to_string(i % keys), prefix + std::to_string(i));
      ASSERT_TRUE(st.ok()) << st.error().message;
    }
    const auto st = (*p)->flush(10s);
    ASSERT_TRUE(st.ok()) << st.error().message;
  }

  // Polls until `n` records arrived or `limit` passed; consumer errors fail the test.
  static std::vector<message> poll_until(consumer& c, std::size_t n,
                                         std::chrono::seconds limit = 30s) {
    std::vector<message> got;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (got.size() < n && std::chrono::steady_clock::now() < deadline) {
      for (auto& m : c.poll(100, 200ms)) {
        if (m.err) {
          ADD_FAILURE() << "consumer error: " << m.err->message;
          continue;
        }
        got.push_back(std::move(m));
      }
    }
    return got;
  }

  std::unique_ptr<mock_cluster> cluster_;
  kafka_options opts_;
};

TEST_F(MockCluster, BootstrapsNameLoopbackPorts) {
  EXPECT_NE(cluster_->bootstraps().find("127.0.0.1:"), std::string::npos) << cluster_->bootstraps();
  EXPECT_FALSE(mock_cluster::create(0).ok());
  EXPECT_FALSE(cluster_->create_topic("t", 0).ok());
}

TEST_F(MockCluster, ProducesWithDeliveryReportsAndConsumesInAGroup) {
  ASSERT_TRUE(cluster_->create_topic("t.produce", 4).ok());
  std::mutex mu;
  std::vector<std::tuple<std::uint64_t, std::string, std::string, std::int32_t, std::int64_t,
                         persistence, bool>>
      reports;
  auto p = producer::create(opts_, [&](const delivery_report& r) {
    std::lock_guard lock(mu);
    reports.emplace_back(r.id, std::string(r.key), std::string(r.payload), r.partition, r.offset,
                         r.status, r.err.has_value());
  });
  ASSERT_TRUE(p.ok()) << p.error().message;
  constexpr int n = 200;
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE((*p)->produce("t.produce", "k" + std::to_string(i % 10), "p" + std::to_string(i),
                              static_cast<std::uint64_t>(i))
                    .ok());
  }
  ASSERT_TRUE((*p)->flush(10s).ok());
  EXPECT_EQ((*p)->outstanding(), 0u);
  EXPECT_TRUE((*p)->brokers_reachable());

  std::map<std::string, std::int32_t> partition_of_key;
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(reports.size(), static_cast<std::size_t>(n));
    std::set<std::uint64_t> ids;
    for (const auto& [id, key, payload, partition, offset, status, failed] : reports) {
      EXPECT_FALSE(failed);
      EXPECT_EQ(status, persistence::persisted);
      EXPECT_EQ(payload, "p" + std::to_string(id));
      EXPECT_EQ(key, "k" + std::to_string(id % 10));
      EXPECT_GE(offset, 0);
      ASSERT_GE(partition, 0);
      ASSERT_LT(partition, 4);
      // One key, one partition: the order of a card's events is kept.
      const auto [it, inserted] = partition_of_key.emplace(key, partition);
      EXPECT_EQ(it->second, partition) << key;
      ids.insert(id);
    }
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(n));
  }

  opts_.group_id = "g.produce";
  auto c = consumer::create(opts_, {"t.produce"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  const auto got = poll_until(**c, n);
  ASSERT_EQ(got.size(), static_cast<std::size_t>(n));
  std::set<std::string> payloads;
  for (const auto& m : got) {
    payloads.insert(m.payload);
    EXPECT_EQ(m.topic, "t.produce");
    EXPECT_EQ(partition_of_key.at(m.key), m.partition) << m.key;
    EXPECT_GT(m.timestamp_ms, 0);
  }
  EXPECT_EQ(payloads.size(), static_cast<std::size_t>(n));
}

TEST_F(MockCluster, UncommittedRecordsAreRedeliveredToTheNextMember) {
  ASSERT_TRUE(cluster_->create_topic("t.commit", 3).ok());
  produce("t.commit", 30, "p");
  opts_.group_id = "g.commit";

  std::vector<std::pair<rebalance_event, std::vector<topic_partition>>> events;
  auto a = consumer::create(opts_, {"t.commit"}, [&](rebalance_event e, const auto& parts) {
    events.emplace_back(e, parts);
  });
  ASSERT_TRUE(a.ok()) << a.error().message;
  const auto first = poll_until(**a, 30);
  ASSERT_EQ(first.size(), 30u);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].first, rebalance_event::assigned);
  EXPECT_EQ(events[0].second.size(), 3u);
  EXPECT_EQ((*a)->assignment().size(), 3u);

  std::map<std::int32_t, std::vector<std::int64_t>> offsets;
  for (const auto& m : first) offsets[m.partition].push_back(m.offset);
  ASSERT_EQ(offsets.size(), 3u);
  // Partitions 0 and 1: the first half is "durable" and committed; partition 2: nothing.
  std::vector<topic_partition> to_commit;
  std::set<std::pair<std::int32_t, std::int64_t>> expected;
  for (auto& [partition, list] : offsets) {
    std::sort(list.begin(), list.end());
    ASSERT_GE(list.size(), 2u) << "partition " << partition;
    std::size_t keep = 0;
    if (partition != 2) {
      keep = list.size() / 2;
      to_commit.push_back({"t.commit", partition, list[keep - 1] + 1});
    }
    for (std::size_t i = keep; i < list.size(); ++i) expected.emplace(partition, list[i]);
  }
  ASSERT_TRUE((*a)->commit(to_commit).ok());
  const auto committed = (*a)->committed({{"t.commit", 0}, {"t.commit", 1}, {"t.commit", 2}}, 5s);
  ASSERT_TRUE(committed.ok()) << committed.error().message;
  ASSERT_EQ(committed->size(), 3u);
  EXPECT_EQ((*committed)[0], to_commit[0]);
  EXPECT_EQ((*committed)[1], to_commit[1]);
  EXPECT_EQ((*committed)[2].offset, -1001);  // never committed

  ASSERT_TRUE((*a)->close().ok());
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.back().first, rebalance_event::revoked);
  EXPECT_EQ(events.back().second.size(), 3u);
  a->reset();

  auto b = consumer::create(opts_, {"t.commit"});
  ASSERT_TRUE(b.ok()) << b.error().message;
  auto again = poll_until(**b, expected.size(), 40s);
  // Nothing more than the uncommitted records comes.
  for (auto& m : (*b)->poll(100, 1s)) again.push_back(std::move(m));
  std::set<std::pair<std::int32_t, std::int64_t>> got;
  for (const auto& m : again) got.emplace(m.partition, m.offset);
  EXPECT_EQ(again.size(), expected.size());
  EXPECT_EQ(got, expected);
}

TEST_F(MockCluster, CommitRejectsNegativeOffsetsAndIgnoresAnEmptyList) {
  ASSERT_TRUE(cluster_->create_topic("t.neg", 1).ok());
  auto c = consumer::create(opts_, {"t.neg"});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE((*c)->commit({}).ok());
  const auto st = (*c)->commit({{"t.neg", 0, -1}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "kafka commit: offset -1 for t.neg[0] is not a position");
}

TEST_F(MockCluster, PauseStopsDeliveryUntilResume) {
  ASSERT_TRUE(cluster_->create_topic("t.pause", 2).ok());
  produce("t.pause", 10, "p");
  opts_.group_id = "g.pause";
  auto c = consumer::create(opts_, {"t.pause"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(poll_until(**c, 10).size(), 10u);

  ASSERT_TRUE((*c)->pause().ok());
  EXPECT_TRUE((*c)->paused());
  produce("t.pause", 10, "q");
  std::size_t while_paused = 0;
  const auto until = std::chrono::steady_clock::now() + 2s;
  while (std::chrono::steady_clock::now() < until) while_paused += (*c)->poll(100, 200ms).size();
  EXPECT_EQ(while_paused, 0u);

  ASSERT_TRUE((*c)->resume().ok());
  EXPECT_FALSE((*c)->paused());
  const auto after = poll_until(**c, 10);
  ASSERT_EQ(after.size(), 10u);
  for (const auto& m : after) EXPECT_EQ(m.payload[0], 'q') << m.payload;
}

TEST_F(MockCluster, LagIsTheRecordsBehindTheEndOfTheAssignedPartitions) {
  ASSERT_TRUE(cluster_->create_topic("t.lag", 1).ok());
  produce("t.lag", 10, "p");
  opts_.group_id = "g.lag";
  auto c = consumer::create(opts_, {"t.lag"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ((*c)->lag("t.lag"), std::nullopt);  // nothing assigned or fetched yet
  std::vector<message> first;
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (first.empty() && std::chrono::steady_clock::now() < deadline) {
    first = (*c)->poll(1, 200ms);
  }
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ((*c)->lag("t.lag"), 9);
  EXPECT_EQ((*c)->lag("t.other"), std::nullopt);
  ASSERT_EQ(poll_until(**c, 9).size(), 9u);
  EXPECT_EQ((*c)->lag("t.lag"), 0);
}

TEST_F(MockCluster, ProducerNoticesBrokerOutageAndRecovery) {
  ASSERT_TRUE(cluster_->create_topic("t.down", 1).ok());
  std::mutex mu;
  int delivered = 0;
  auto p = producer::create(opts_, [&](const delivery_report& r) {
    std::lock_guard lock(mu);
    if (!r.err) ++delivered;
  });
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE((*p)->produce("t.down", "k", "before").ok());
  ASSERT_TRUE((*p)->flush(10s).ok());

  ASSERT_TRUE(cluster_->set_broker_down(1).ok());
  ASSERT_TRUE((*p)->produce("t.down", "k", "during").ok());
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while ((*p)->brokers_reachable() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_FALSE((*p)->brokers_reachable());

  ASSERT_TRUE(cluster_->set_broker_up(1).ok());
  deadline = std::chrono::steady_clock::now() + 20s;
  while (!(*p)->brokers_reachable() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE((*p)->brokers_reachable());
  ASSERT_TRUE((*p)->flush(20s).ok());
  std::lock_guard lock(mu);
  EXPECT_EQ(delivered, 2);
}

TEST_F(MockCluster, ConsumerNoticesBrokerOutageAndRecoveryWhileIdle) {
  ASSERT_TRUE(cluster_->create_topic("t.cdown", 1).ok());
  opts_.group_id = "g.cdown";
  auto c = consumer::create(opts_, {"t.cdown"});
  ASSERT_TRUE(c.ok());
  // Wait for the assignment so connections to the broker exist.
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while ((*c)->assignment().empty() && std::chrono::steady_clock::now() < deadline) {
    (void)(*c)->poll(10, 100ms);
  }
  ASSERT_FALSE((*c)->assignment().empty());
  EXPECT_TRUE((*c)->brokers_reachable());

  ASSERT_TRUE(cluster_->set_broker_down(1).ok());
  deadline = std::chrono::steady_clock::now() + 20s;
  while ((*c)->brokers_reachable() && std::chrono::steady_clock::now() < deadline) {
    (void)(*c)->poll(10, 100ms);
  }
  EXPECT_FALSE((*c)->brokers_reachable());

  // No record flows: the statistics callback must notice the broker is back.
  ASSERT_TRUE(cluster_->set_broker_up(1).ok());
  deadline = std::chrono::steady_clock::now() + 30s;
  while (!(*c)->brokers_reachable() && std::chrono::steady_clock::now() < deadline) {
    (void)(*c)->poll(10, 100ms);
  }
  EXPECT_TRUE((*c)->brokers_reachable());
}

TEST_F(MockCluster, ExplicitPollServesDeliveryReports) {
  ASSERT_TRUE(cluster_->create_topic("t.poll", 1).ok());
  int delivered = 0;
  auto p = producer::create(
      opts_, [&](const delivery_report& r) { delivered += r.err ? 0 : 1; },
      producer_settings{.poll_thread = false});
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE((*p)->produce("t.poll", "", "x", 7).ok());
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (delivered == 0 && std::chrono::steady_clock::now() < deadline) (*p)->poll(100ms);
  EXPECT_EQ(delivered, 1);
}

}  // namespace
}  // namespace otaflow::kafka
