// otaflow's Kafka clients against a REAL Apache Kafka broker (scripts/kafka.sh start), checked
// with an independent client, kcat: otaflow produces and kcat reads, kcat produces and otaflow
// reads, and manual commits leave exactly the uncommitted records for the next group member
// (otaflow's and kcat's). Skipped when OTAFLOW_KAFKA_BROKERS is not set.

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "kafka/admin.hpp"
#include "kafka/consumer.hpp"
#include "kafka/producer.hpp"

namespace otaflow::kafka {
namespace {

using namespace std::chrono_literals;

struct command_result {
  int exit_code = -1;
  std::string out;
};

// Runs a shell command, feeding `input` to its stdin when given, capturing stdout.
command_result run(const std::string& cmd, const std::string* input = nullptr) {
  command_result r;
  if (input != nullptr) {
    // stdin from a temporary file keeps the pipe one-directional.
    char path[] = "/tmp/otaflow-kcat-in.XXXXXX";
    const int fd = mkstemp(path);
    if (fd < 0) return r;
    const auto written = write(fd, input->data(), input->size());
    close(fd);
    if (written != static_cast<ssize_t>(input->size())) return r;
    r = run(cmd + " < " + path);
    unlink(path);
    return r;
  }
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

struct record {
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::string key;
  std::string payload;
  friend auto operator<=>(const record&, const record&) = default;
};

// kcat -f '%p\t%o\t%k\t%s\n' output, one record per line.
std::vector<record> parse_kcat(const std::string& out) {
  std::vector<record> v;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream f(line);
    record r;
    std::string p, o;
    std::getline(f, p, '\t');
    std::getline(f, o, '\t');
    std::getline(f, r.key, '\t');
    std::getline(f, r.payload);
    r.partition = std::stoi(p);
    r.offset = std::stoll(o);
    v.push_back(std::move(r));
  }
  std::sort(v.begin(), v.end());
  return v;
}

class KafkaBroker : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* b = std::getenv("OTAFLOW_KAFKA_BROKERS");
    if (b == nullptr || *b == '\0') {
      GTEST_SKIP() << "OTAFLOW_KAFKA_BROKERS is not set (scripts/kafka.sh start)";
    }
    brokers_ = b;
    ASSERT_EQ(run("command -v kcat >/dev/null").exit_code, 0)
        << "kcat is not installed (scripts/setup.sh installs it)";
    opts_.brokers = brokers_;
    opts_.consumer_properties["session.timeout.ms"] = "6000";
    opts_.consumer_properties["heartbeat.interval.ms"] = "1000";
    // Names unique per run: the broker may outlive many test runs.
    std::random_device rd;
    suffix_ = std::to_string(getpid()) + "." + std::to_string(rd() % 1000000);
  }

  std::string unique(const std::string& base) const { return "it." + base + "." + suffix_; }

  std::string kcat() const { return "timeout 90 kcat -b " + brokers_ + " -q "; }

  // Polls until `n` records arrived or `limit` passed; consumer errors fail the test.
  static std::vector<message> poll_until(consumer& c, std::size_t n,
                                         std::chrono::seconds limit = 60s) {
    std::vector<message> got;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (got.size() < n && std::chrono::steady_clock::now() < deadline) {
      for (auto& m : c.poll(500, 200ms)) {
        if (m.err) {
          // A topic just created may not have a leader yet: retriable, not a failure.
          if (!m.err->retriable()) ADD_FAILURE() << "consumer error: " << m.err->message;
          continue;
        }
        got.push_back(std::move(m));
      }
    }
    return got;
  }

  // Produces `n` records key "k<i>", payload {"n":i}, returns what the reports said.
  std::vector<record> produce(const std::string& topic, int n) {
    std::mutex mu;
    std::vector<record> reports;
    auto p = producer::create(opts_, [&](const delivery_report& r) {
      std::lock_guard lock(mu);
      if (r.err) {
        ADD_FAILURE() << r.err->message;
        return;
      }
      reports.push_back({r.partition, r.offset, std::string(r.key), std::string(r.payload)});
    });
    EXPECT_TRUE(p.ok()) << p.error().message;
    if (!p.ok()) return {};
    for (int i = 0; i < n; ++i) {
      const auto st =
          (*p)->produce(topic, "k" + std::to_string(i), "{\"n\":" + std::to_string(i) + "}");
      EXPECT_TRUE(st.ok()) << st.error().message;
    }
    const auto st = (*p)->flush(30s);
    EXPECT_TRUE(st.ok()) << st.error().message;
    std::lock_guard lock(mu);
    std::sort(reports.begin(), reports.end());
    return reports;
  }

  std::string brokers_;
  std::string suffix_;
  kafka_options opts_;
};

TEST_F(KafkaBroker, OtaflowProducesKcatReads) {
  const auto topic = unique("produce");
  ASSERT_TRUE(ensure_topics(opts_, {{topic, 3, 1}}, 30s).ok());
  const auto reports = produce(topic, 50);
  ASSERT_EQ(reports.size(), 50u);

  const auto r = run(kcat() + "-C -t " + topic + " -o beginning -e -f '%p\\t%o\\t%k\\t%s\\n'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto read = parse_kcat(r.out);
  // Same partitions, offsets, keys and payloads as the delivery reports said.
  EXPECT_EQ(read, reports);
  std::set<std::int32_t> partitions;
  for (const auto& rec : read) partitions.insert(rec.partition);
  EXPECT_EQ(partitions.size(), 3u) << "50 keys should spread over the 3 partitions";
}

TEST_F(KafkaBroker, KcatProducesOtaflowReads) {
  const auto topic = unique("kcat");
  ASSERT_TRUE(ensure_topics(opts_, {{topic, 2, 1}}, 30s).ok());
  std::string input;
  std::set<std::pair<std::string, std::string>> sent;
  for (int i = 0; i < 20; ++i) {
    const std::string key = "8988211000000000" + std::to_string(100 + i);
    const std::string payload = R"({"type":"trigger","campaign":"c1","iccid":")" + key + "\"}";
    input += key + "|" + payload + "\n";
    sent.emplace(key, payload);
  }
  const auto w = run(kcat() + "-P -t " + topic + " -K '|'", &input);
  ASSERT_EQ(w.exit_code, 0) << w.out;

  opts_.group_id = unique("g.kcat");
  auto c = consumer::create(opts_, {topic});
  ASSERT_TRUE(c.ok()) << c.error().message;
  const auto got = poll_until(**c, sent.size());
  std::set<std::pair<std::string, std::string>> received;
  for (const auto& m : got) received.emplace(m.key, m.payload);
  EXPECT_EQ(got.size(), sent.size());
  EXPECT_EQ(received, sent);
}

TEST_F(KafkaBroker, ManualCommitsLeaveExactlyTheUncommittedRecords) {
  const auto topic = unique("commit");
  ASSERT_TRUE(ensure_topics(opts_, {{topic, 3, 1}}, 30s).ok());
  ASSERT_EQ(produce(topic, 30).size(), 30u);
  opts_.group_id = unique("g.commit");

  auto a = consumer::create(opts_, {topic});
  ASSERT_TRUE(a.ok()) << a.error().message;
  const auto first = poll_until(**a, 30);
  ASSERT_EQ(first.size(), 30u);
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
      to_commit.push_back({topic, partition, list[keep - 1] + 1});
    }
    for (std::size_t i = keep; i < list.size(); ++i) expected.emplace(partition, list[i]);
  }
  ASSERT_TRUE((*a)->commit(to_commit).ok());
  const auto committed = (*a)->committed({{topic, 0}, {topic, 1}, {topic, 2}}, 10s);
  ASSERT_TRUE(committed.ok()) << committed.error().message;
  EXPECT_EQ((*committed)[0], to_commit[0]);
  EXPECT_EQ((*committed)[1], to_commit[1]);
  EXPECT_EQ((*committed)[2].offset, -1001);
  ASSERT_TRUE((*a)->close().ok());
  a->reset();

  // The next otaflow member gets exactly the uncommitted records, and commits nothing.
  auto b = consumer::create(opts_, {topic});
  ASSERT_TRUE(b.ok()) << b.error().message;
  auto again = poll_until(**b, expected.size());
  for (auto& m : (*b)->poll(100, 1s)) again.push_back(std::move(m));
  std::set<std::pair<std::int32_t, std::int64_t>> got;
  for (const auto& m : again) got.emplace(m.partition, m.offset);
  EXPECT_EQ(again.size(), expected.size());
  EXPECT_EQ(got, expected);
  ASSERT_TRUE((*b)->close().ok());
  b->reset();

  // kcat, joining the same group, starts from the same committed offsets.
  const auto r = run(kcat() + "-G " + opts_.group_id +
                     " -X auto.offset.reset=earliest -e -f '%p\\t%o\\t%k\\t%s\\n' " + topic);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::set<std::pair<std::int32_t, std::int64_t>> kcat_got;
  for (const auto& rec : parse_kcat(r.out)) kcat_got.emplace(rec.partition, rec.offset);
  EXPECT_EQ(kcat_got, expected);
}

TEST_F(KafkaBroker, PauseHoldsBackRecordsUntilResume) {
  const auto topic = unique("pause");
  ASSERT_TRUE(ensure_topics(opts_, {{topic, 2, 1}}, 30s).ok());
  ASSERT_EQ(produce(topic, 10).size(), 10u);
  opts_.group_id = unique("g.pause");
  auto c = consumer::create(opts_, {topic});
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(poll_until(**c, 10).size(), 10u);

  ASSERT_TRUE((*c)->pause().ok());
  ASSERT_EQ(produce(topic, 10).size(), 10u);
  std::size_t while_paused = 0;
  const auto until = std::chrono::steady_clock::now() + 2s;
  while (std::chrono::steady_clock::now() < until) while_paused += (*c)->poll(100, 200ms).size();
  EXPECT_EQ(while_paused, 0u);
  ASSERT_TRUE((*c)->resume().ok());
  EXPECT_EQ(poll_until(**c, 10).size(), 10u);
}

TEST_F(KafkaBroker, EnsureTopicsIsIdempotent) {
  const auto topic = unique("ensure");
  ASSERT_TRUE(ensure_topics(opts_, {{topic, 2, 1}}, 30s).ok());
  const auto st = ensure_topics(opts_, {{topic, 2, 1}}, 30s);
  EXPECT_TRUE(st.ok()) << st.error().message;
  const auto md = run(kcat() + "-L -t " + topic);
  EXPECT_NE(md.out.find("2 partitions"), std::string::npos) << md.out;
}

// A compacted topic (the subscribers topic's shape) and what describe_topic reads back; a
// topic that does not exist is nullopt, and asking does not create it.
TEST_F(KafkaBroker, TopicWithConfigsAndItsDescription) {
  const auto topic = unique("compacted");
  topic_spec spec{topic, 3, 1};
  spec.configs = {{"cleanup.policy", "compact"}};
  ASSERT_TRUE(ensure_topics(opts_, {spec}, 30s).ok());
  const auto d = describe_topic(opts_, topic, 10s);
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_TRUE(d->has_value());
  EXPECT_EQ((*d)->partitions, 3);
  EXPECT_EQ((*d)->replication_factor, 1);
  const auto missing = unique("missing");
  const auto none = describe_topic(opts_, missing, 10s);
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(run(kcat() + "-L").out.find(missing), std::string::npos);
  spec.configs = {{"cleanup.policy", "no-such-policy"}};
  spec.name = unique("badconfig");
  const auto bad = ensure_topics(opts_, {spec}, 30s);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find(spec.name), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace otaflow::kafka
