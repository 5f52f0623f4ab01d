// otaflow's Kafka clients against a REAL Apache Kafka broker (scripts/kafka.sh start), checked
// with an independent client, kcat: otaflow produces and kcat reads, kcat produces and otaflow
// reads, and manual commits leave exactly the uncommitted records for the next group member
// (otaflow's and kcat's). Transactions: what librdkafka's mock cannot show (abort markers, the
// last stable offset, fencing by transactional id and by consumer group generation).
// Skipped when OTAFLOW_KAFKA_BROKERS is not set.

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "kafka/admin.hpp"
#include "kafka/consumer.hpp"
#include "kafka/errc.hpp"
#include "kafka/partition_reader.hpp"
#include "kafka/producer.hpp"
#include "kafka/txn_producer.hpp"

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

struct changelog_record {
  std::string key;
  std::optional<std::string> value;
  std::int64_t offset = -1;
  friend bool operator==(const changelog_record&, const changelog_record&) = default;
};

// Everything a read_committed read of topic[partition] returns, and its next offset.
std::pair<std::vector<changelog_record>, std::int64_t> read_committed(
    const kafka_options& opts, const std::string& topic, std::int32_t partition,
    std::int64_t from = from_beginning) {
  std::vector<changelog_record> got;
  auto next = read_partition(
      opts, topic, partition, from,
      [&](std::string_view k, std::optional<std::string_view> v, std::int64_t offset) -> status {
        got.push_back({std::string(k), v ? std::optional<std::string>(*v) : std::nullopt, offset});
        return {};
      },
      60s);
  EXPECT_TRUE(next.ok()) << next.error().message;
  return {got, next.ok() ? *next : -1};
}

std::unique_ptr<txn_producer> make_txn_producer(const kafka_options& opts, const std::string& id,
                                                std::chrono::milliseconds txn_timeout = 30s) {
  auto p = txn_producer::create(opts, id, txn_timeout);
  EXPECT_TRUE(p.ok()) << p.error().message;
  if (!p.ok()) return nullptr;
  const auto st = (*p)->init(60s);
  EXPECT_TRUE(st.ok()) << st.error().message;
  return st.ok() ? std::move(*p) : nullptr;
}

TEST_F(KafkaBroker, ReaderSeesCommittedTransactionsOnlyAndEndsPastTheMarkers) {
  const auto topic = unique("txn.changelog");
  ASSERT_TRUE(ensure_topics(opts_, {{topic, 1, 1}}, 30s).ok());
  auto p = make_txn_producer(opts_, unique("txn.a"));
  ASSERT_TRUE(p);
  // Offsets: 0-4 records, 5 commit marker; 6-8 aborted, 9 abort marker; 10-11, 12 marker.
  ASSERT_TRUE(p->begin().ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(p->produce(topic, 0, "k" + std::to_string(i), "c" + std::to_string(i)).ok());
  }
  ASSERT_TRUE(p->commit(30s).ok());
  ASSERT_TRUE(p->begin().ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(p->produce(topic, 0, "k" + std::to_string(i), "x").ok());
  ASSERT_TRUE(p->abort(30s).ok());
  ASSERT_TRUE(p->begin().ok());
  ASSERT_TRUE(p->produce(topic, 0, "k0", std::nullopt).ok());
  ASSERT_TRUE(p->produce(topic, 0, "k9", "c9").ok());
  ASSERT_TRUE(p->commit(30s).ok());

  const std::vector<changelog_record> committed = {
      {"k0", "c0", 0}, {"k1", "c1", 1},          {"k2", "c2", 2},  {"k3", "c3", 3},
      {"k4", "c4", 4}, {"k0", std::nullopt, 10}, {"k9", "c9", 11},
  };
  auto [got, next] = read_committed(opts_, topic, 0);
  EXPECT_EQ(got, committed);
  EXPECT_EQ(next, 13) << "the log ends with a commit marker at 12";
  // Reading uncommitted, kcat sees the aborted records too: they are in the log.
  const auto r = run(kcat() + "-C -X isolation.level=read_uncommitted -t " + topic +
                     " -o beginning -e -f '%o\\n'");
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 10) << r.out;
  // Resuming at a marker's offset or at the end reads what follows, and the same end.
  auto [after, next2] = read_committed(opts_, topic, 0, 5);
  EXPECT_EQ(after, std::vector<changelog_record>(committed.begin() + 5, committed.end()));
  EXPECT_EQ(next2, 13);
  auto [none, next3] = read_committed(opts_, topic, 0, 13);
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(next3, 13);

  // An open transaction holds the end at its first offset (the last stable offset).
  auto q = make_txn_producer(opts_, unique("txn.b"));
  ASSERT_TRUE(q);
  ASSERT_TRUE(q->begin().ok());
  ASSERT_TRUE(q->produce(topic, 0, "open", "1").ok());
  ASSERT_TRUE(q->produce(topic, 0, "open", "2").ok());
  ASSERT_TRUE(q->flush(30s).ok());  // in the log at 13 and 14, not committed
  auto [open_got, open_next] = read_committed(opts_, topic, 0);
  EXPECT_EQ(open_got, committed);
  EXPECT_EQ(open_next, 13);
  ASSERT_TRUE(q->abort(30s).ok());
  auto [closed_got, closed_next] = read_committed(opts_, topic, 0, 13);
  EXPECT_TRUE(closed_got.empty());
  EXPECT_EQ(closed_next, 16) << "13, 14 aborted; 15 the abort marker";
  EXPECT_EQ(p->counters().records_committed, 7u);
  EXPECT_EQ(p->counters().records_produced, 10u);
  EXPECT_EQ(p->counters().transactions_aborted, 1u);
}

TEST_F(KafkaBroker, ANewProducerWithTheSameTransactionalIdFencesTheOlder) {
  const auto topic = unique("txn.fence");
  ASSERT_TRUE(ensure_topics(opts_, {{topic, 1, 1}}, 30s).ok());
  const auto id = unique("txn.instance");
  auto older = make_txn_producer(opts_, id);
  ASSERT_TRUE(older);
  ASSERT_TRUE(older->begin().ok());
  ASSERT_TRUE(older->produce(topic, 0, "zombie", "1").ok());
  ASSERT_TRUE(older->flush(30s).ok());
  // The replacement instance registers the same id: the older's open transaction is aborted.
  auto newer = make_txn_producer(opts_, id);
  ASSERT_TRUE(newer);
  const auto st = older->commit(30s);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(txn_action(st.error()), txn_errc::fenced) << st.error().message;
  EXPECT_FALSE(older->usable());
  const auto again = older->begin();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(txn_action(again.error()), txn_errc::fenced) << again.error().message;

  ASSERT_TRUE(newer->begin().ok());
  ASSERT_TRUE(newer->produce(topic, 0, "live", "2").ok());
  ASSERT_TRUE(newer->commit(30s).ok());
  // zombie at 0, its abort marker at 1, live at 2, commit marker at 3.
  auto [got, next] = read_committed(opts_, topic, 0);
  EXPECT_EQ(got, (std::vector<changelog_record>{{"live", "2", 2}}));
  EXPECT_EQ(next, 4);
}

// What serve's committer recovers from (docs/library-notes.md): a transaction held open past
// its timeout (a broker lost mid-commit) is aborted by the coordinator, which bumps the epoch;
// the producer is then answered as a zombie would be. A new producer with the same id goes on.
TEST_F(KafkaBroker, ATransactionPastItsTimeoutIsAbortedAndFencesItsProducerANewOneGoesOn) {
  const auto topic = unique("txn.timeout");
  ASSERT_TRUE(ensure_topics(opts_, {{topic, 1, 1}}, 30s).ok());
  const auto id = unique("txn.slow");
  auto slow = make_txn_producer(opts_, id, 2s);
  ASSERT_TRUE(slow);
  ASSERT_TRUE(slow->begin().ok());
  ASSERT_TRUE(slow->produce(topic, 0, "late", "1").ok());
  ASSERT_TRUE(slow->flush(30s).ok());
  // scripts/kafka.sh looks for timed-out transactions every second
  // (transaction.abort.timed.out.transaction.cleanup.interval.ms; Kafka's default is 10 s).
  std::this_thread::sleep_for(5s);
  const auto st = slow->commit(30s);
  ASSERT_FALSE(st.ok()) << "committed a transaction the coordinator had aborted";
  const auto action = txn_action(st.error());
  EXPECT_TRUE(action == txn_errc::fenced || action == txn_errc::fatal) << st.error().message;
  EXPECT_FALSE(slow->usable());

  auto next = make_txn_producer(opts_, id, 2s);
  ASSERT_TRUE(next);
  ASSERT_TRUE(next->begin().ok());
  ASSERT_TRUE(next->produce(topic, 0, "again", "2").ok());
  ASSERT_TRUE(next->commit(30s).ok());
  auto [got, end] = read_committed(opts_, topic, 0);
  EXPECT_EQ(got, (std::vector<changelog_record>{{"again", "2", 2}}))
      << "late at 0, its abort marker at 1";
  EXPECT_EQ(end, 4);
}

TEST_F(KafkaBroker, AMemberWhoseGroupGenerationMovedOnCannotCommitItsTransaction) {
  const auto in = unique("txn.in");
  const auto out = unique("txn.out");
  ASSERT_TRUE(ensure_topics(opts_, {{in, 1, 1}, {out, 1, 1}}, 30s).ok());
  ASSERT_EQ(produce(in, 4).size(), 4u);
  opts_.group_id = unique("g.txn");

  // Instance A: consumes, writes its results in a transaction, and stalls before committing.
  kafka_options a_opts = opts_;
  // A member that stops polling is replaced after max.poll.interval.ms (>= session timeout).
  a_opts.consumer_properties["max.poll.interval.ms"] = "7000";
  auto a = consumer::create(a_opts, {in});
  ASSERT_TRUE(a.ok()) << a.error().message;
  const auto records = poll_until(**a, 4);
  ASSERT_EQ(records.size(), 4u);
  auto generation = (*a)->membership();  // taken with the records, as the service must
  ASSERT_TRUE(generation.ok()) << generation.error().message;
  auto pa = make_txn_producer(opts_, unique("txn.instance-a"));
  ASSERT_TRUE(pa);
  ASSERT_TRUE(pa->begin().ok());
  std::int64_t last = -1;
  for (const auto& m : records) {
    ASSERT_TRUE(pa->produce(out, 0, m.key, "from-a").ok());
    last = std::max(last, m.offset);
  }

  // Instance B joins; A does not poll, so the group moves to a new generation without it and B
  // gets the partition, from the committed offset (none): all 4 records again.
  auto b = consumer::create(opts_, {in});
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(poll_until(**b, 4, 90s).size(), 4u);

  // A's transaction carries its offsets with the stale generation: fenced.
  auto st = pa->send_offsets(**generation, {{in, 0, last + 1}}, 30s);
  if (st.ok()) st = pa->commit(30s);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(txn_action(st.error()), txn_errc::fenced) << st.error().message;
  EXPECT_TRUE(pa->usable()) << "the transactional id is still A's";
  ASSERT_TRUE(pa->abort(30s).ok());

  // None of A's records are visible, and the group has no offsets from A.
  auto [got, next] = read_committed(opts_, out, 0);
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(next, 5) << "4 aborted records and the abort marker";
  const auto committed = (*b)->committed({{in, 0}}, 30s);
  ASSERT_TRUE(committed.ok()) << committed.error().message;
  EXPECT_EQ((*committed)[0].offset, -1001);

  // A's consumer, past max.poll.interval.ms, has left the group; its metadata as of now is
  // refused as well (librdkafka 2.0.2 keeps the old member id, now unknown to the group).
  auto now = (*a)->membership();
  ASSERT_TRUE(now.ok());
  ASSERT_TRUE(pa->begin().ok());
  auto late = pa->send_offsets(**now, {{in, 0, last + 1}}, 30s);
  if (late.ok()) late = pa->commit(30s);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(txn_action(late.error()), txn_errc::fenced) << late.error().message;
  ASSERT_TRUE(pa->abort(30s).ok());
  // A's consumer left the group for not polling (MAXPOLL). Closing it runs its revoke callback
  // with the group gone: librdkafka 2.0.2 then answered NULL for the rebalance protocol (our
  // callback crashed on it, now fixed) and, in 1 of 2 CI runs since, rd_kafka_consumer_close
  // never returned. It is left open (the process ends soon after): docs/library-notes.md.
  (void)a->release();
}

TEST_F(KafkaBroker, PartitionCountAndMissingTopics) {
  const auto topic = unique("txn.count");
  ASSERT_TRUE(ensure_topics(opts_, {{topic, 3, 1}}, 30s).ok());
  const auto n = partition_count(opts_, topic, 30s);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, 3);
  const auto absent = unique("txn.absent");
  const auto none = partition_count(opts_, absent, 30s);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, make_error_code(errc::not_found)) << none.error().message;
  const auto noop = [](std::string_view, std::optional<std::string_view>, std::int64_t) -> status {
    return {};
  };
  const auto read = read_partition(opts_, absent, 0, from_beginning, noop, 30s);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, make_error_code(errc::not_found)) << read.error().message;
  // Neither call created the topic.
  const auto md = run(kcat() + "-L -t " + absent);
  EXPECT_NE(md.out.find("with 0 partitions: Broker: Unknown topic"), std::string::npos) << md.out;
  const auto empty = read_partition(opts_, topic, 2, from_beginning, noop, 30s);
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_EQ(*empty, 0);
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
