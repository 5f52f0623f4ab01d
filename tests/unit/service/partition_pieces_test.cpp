// The pieces around the changelog committer in serve's partition-owned mode
// (service/serve_partitions.hpp, service/mo_forwarder.hpp): the job store whose saves carry
// their status events, the cursor of owned cards, the owner taking partitions, and the
// transport forwarding answers of other instances' cards through the MO topic.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "actors/engine.hpp"
#include "kafka/events.hpp"
#include "kafka/mock_cluster.hpp"
#include "kafka/partition_reader.hpp"
#include "kafka/partitioner.hpp"
#include "kafka/producer.hpp"
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

// The committer's partitioner here: Java's murmur2 (as serve uses, and the owner assumes).
std::int32_t murmur(std::string_view key, std::int32_t n) {
  return kafka::partition_for_key(key, n);
}

// The nth card (from 0) whose ICCID falls on `partition`.
std::string card_on(std::int32_t partition, int nth = 0) {
  for (std::uint64_t serial = 1;; ++serial) {
    auto iccid = make_iccid(serial);
    if (murmur(iccid, partitions) == partition && nth-- == 0) return iccid;
  }
}

// A real state directory with the committer (on a fake Kafka side) as its commit hook.
class committed_state : public ::testing::Test {
 protected:
  void SetUp() override {
    state_ = storage::test::open_state(dir_.path());
    ASSERT_NE(state_, nullptr);
    committer_config c;
    c.partitions = partitions;
    c.status_partitions = partitions;
    c.partition_for = murmur;
    c.offsets_interval = std::chrono::hours(1);
    c.attempts = 1;
    committer_ = std::make_unique<changelog_committer>(state_->database(), port_, c);
    state_->database().set_commit_hook(
        [this](rocksdb::WriteBatch& b, bool sync) { return committer_->commit(b, sync); });
  }
  void TearDown() override {
    if (state_) state_->database().set_commit_hook({});
    committer_.reset();
    EXPECT_EQ(port_.violations(), 0u);
  }

  temp_dir dir_;
  std::unique_ptr<storage::state> state_;
  fake_txn_port port_;
  std::unique_ptr<changelog_committer> committer_;
};

// ---- txn_job_store ---------------------------------------------------------------------------

actors::job_update update(const std::string& iccid, model::job_state st, std::uint16_t attempt,
                          std::string reason) {
  actors::job_update u;
  u.campaign = "c1";
  u.iccid = iccid;
  u.job.state = st;
  u.job.attempt = attempt;
  u.job.reason = std::move(reason);
  u.job.variant = "default";
  u.job.updated_ms = 1700000000000 + attempt;
  if (st == model::job_state::failed) u.job.por_status = 0x01;
  u.may_hold_keys = false;
  return u;
}

using job_store_test = committed_state;

TEST_F(job_store_test, SaveAttachesOneStatusPerUpdateToItsTransaction) {
  committer_->own(0);
  committer_->own(1);
  txn_job_store store(*state_);
  const auto a = card_on(0), b = card_on(1);
  const std::vector<actors::job_update> ups = {
      update(a, model::job_state::submitting, 1, ""),
      update(b, model::job_state::submitting, 1, ""),
      update(b, model::job_state::failed, 2, "PoR 01: RC/CC/DS failed")};
  ASSERT_TRUE(store.save(ups, true).ok());

  const auto txns = port_.committed();
  ASSERT_EQ(txns.size(), 1u);
  std::vector<model::status_event> statuses;
  std::set<std::string> job_rows;
  for (const auto& r : txns[0].records) {
    if (r.topic == "ota.status") {
      auto ev = kafka::parse_status_event(r.value.value());
      ASSERT_TRUE(ev.ok()) << ev.error().message;
      EXPECT_EQ(r.key, ev->iccid);
      EXPECT_EQ(r.partition, murmur(ev->iccid, partitions));
      statuses.push_back(*ev);
      continue;
    }
    ASSERT_EQ(r.topic, "ota.state");
    auto k = storage::changelog::parse_record_key(r.key);
    ASSERT_TRUE(k.ok()) << k.error().message;
    EXPECT_NE(k->first, column::audit);  // the audit log stays local (not even a family here)
    if (k->first == column::jobs) {
      job_rows.insert(std::string(k->second));
      EXPECT_EQ(
          r.partition,
          murmur(storage::changelog::iccid_of(column::jobs, k->second, std::nullopt), partitions));
    }
  }
  ASSERT_EQ(statuses.size(), ups.size());
  for (std::size_t i = 0; i < ups.size(); ++i) {
    const auto& u = ups[i];
    EXPECT_EQ(statuses[i], (model::status_event{u.campaign, u.iccid, u.job.state, u.job.attempt,
                                                u.job.por_status, u.job.reason, u.job.variant,
                                                u.job.updated_ms}))
        << i;
  }
  EXPECT_EQ(job_rows,
            (std::set<std::string>{std::string("c1\0", 3) + a, std::string("c1\0", 3) + b}));
  // The job rows are applied, b's with its last state.
  auto got = store.load("c1", b);
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->state, model::job_state::failed);
  EXPECT_EQ((*got)->attempt, 2);
}

TEST_F(job_store_test, AFailedSaveLeavesNoStatusesForTheThreadsNextCommit) {
  committer_->own(0);
  txn_job_store store(*state_);
  const auto a = card_on(0), b = card_on(1);
  const std::vector<actors::job_update> refused = {update(b, model::job_state::submitting, 1, "")};
  auto s = store.save(refused, true);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, make_error_code(errc::conflict));
  EXPECT_EQ(port_.begins(), 0u);

  const storage::counter_request req{a, 1, 0};
  ASSERT_TRUE(state_->counters().next(std::span(&req, 1)).ok());
  const auto txns = port_.committed();
  ASSERT_EQ(txns.size(), 1u);
  for (const auto& r : txns[0].records) EXPECT_EQ(r.topic, "ota.state");
  EXPECT_EQ(committer_->stats().statuses, 0u);
}

// ---- owned_cursor ----------------------------------------------------------------------------

class paged_cursor final : public actors::target_cursor {
 public:
  explicit paged_cursor(std::vector<result<std::vector<std::string>>> pages)
      : pages_(std::move(pages)) {}
  result<std::vector<actors::card_info>> next(std::size_t n) override {
    asked.push_back(n);
    if (at_ >= pages_.size()) return std::vector<actors::card_info>{};
    auto& p = pages_[at_++];
    if (!p) return p.error();
    std::vector<actors::card_info> out;
    for (const auto& i : *p) {
      actors::card_info c;
      c.iccid = i;
      out.push_back(std::move(c));
    }
    return out;
  }
  std::vector<std::size_t> asked;

 private:
  std::vector<result<std::vector<std::string>>> pages_;
  std::size_t at_ = 0;
};

std::vector<std::string> iccids(const std::vector<actors::card_info>& cards) {
  std::vector<std::string> out;
  for (const auto& c : cards) out.push_back(c.iccid);
  return out;
}

TEST(owned_cursor_test, KeepsOnlySelectedCardsAcrossPagesAndEndsWithTheInner) {
  using list = std::vector<std::string>;
  auto inner = std::make_unique<paged_cursor>(
      std::vector<result<list>>{list{"A", "C"}, list{"B", "F", "D"}, list{"G"}, list{"E"}});
  auto* raw = inner.get();
  owned_cursor c(std::move(inner),
                 [](std::string_view i) { return i == "B" || i == "D" || i == "E"; });

  auto p1 = c.next(3);  // the first page has none of ours: the cursor reads on
  ASSERT_TRUE(p1.ok());
  EXPECT_EQ(iccids(*p1), (list{"B", "D"}));
  auto p2 = c.next(3);
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(iccids(*p2), (list{"E"}));
  auto p3 = c.next(3);
  ASSERT_TRUE(p3.ok());
  EXPECT_TRUE(p3->empty());
  EXPECT_EQ(raw->asked, (std::vector<std::size_t>{3, 3, 3, 3, 3}));
}

TEST(owned_cursor_test, AnInnerErrorIsReturned) {
  using list = std::vector<std::string>;
  owned_cursor c(std::make_unique<paged_cursor>(std::vector<result<list>>{
                     list{"A"}, make_error(errc::io, "reading subscribers: disk gone")}),
                 [](std::string_view i) { return i == "B"; });
  auto p = c.next(10);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message, "reading subscribers: disk gone");
}

// ---- forwarding_transport -------------------------------------------------------------------

class recording_listener final : public actors::transport_listener {
 public:
  struct mo {
    std::string from;
    bytes ud;
  };
  struct receipt {
    std::string id;
    std::uint8_t state = 0;
    std::string error;
  };
  void on_submitted(std::uint64_t tag, std::vector<std::string> /*ids*/) override {
    submitted.push_back(tag);
  }
  void on_submit_failed(std::uint64_t, std::uint32_t, std::string, bool) override {}
  void on_submit_lost(std::uint64_t) override {}
  void on_receipt(std::string id, std::uint8_t state, std::string error) override {
    receipts.push_back({std::move(id), state, std::move(error)});
  }
  void on_mo(std::string from, bytes ud) override {
    mos.push_back({std::move(from), std::move(ud)});
  }

  std::vector<std::uint64_t> submitted;
  std::vector<mo> mos;
  std::vector<receipt> receipts;
};

class inner_transport final : public actors::transport {
 public:
  void set_listener(actors::transport_listener* l) override { listener = l; }
  void submit(actors::submit_request /*r*/) override { ++submits; }
  actors::transport_listener* listener = nullptr;
  int submits = 0;
};

class forwarding_test : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = kafka::mock_cluster::create(1);
    ASSERT_TRUE(c.ok()) << c.error().message;
    cluster_ = std::move(*c);
    opts_.brokers = cluster_->bootstraps();
    ASSERT_TRUE(cluster_->create_topic(opts_.mo_topic, partitions).ok());
    opts_.producer_properties["linger.ms"] = "1";
    auto p = kafka::producer::create(opts_, {});
    ASSERT_TRUE(p.ok()) << p.error().message;
    producer_ = std::move(*p);
    fwd_ = std::make_unique<forwarding_transport>(inner_, dir_, *producer_, opts_.mo_topic);
    fwd_->set_listener(&listener_);
  }

  // The records of the MO topic's partition p.
  std::vector<kafka::message> mo_records(std::int32_t p) {
    std::vector<kafka::message> out;
    auto end = kafka::read_partition(
        opts_, opts_.mo_topic, p, kafka::from_beginning,
        [&](std::string_view key, std::optional<std::string_view> value,
            std::int64_t offset) -> status {
          kafka::message m;
          m.topic = opts_.mo_topic;
          m.partition = p;
          m.offset = offset;
          m.key = std::string(key);
          m.payload = std::string(value.value_or(""));
          out.push_back(std::move(m));
          return {};
        },
        20s);
    EXPECT_TRUE(end.ok()) << end.error().message;
    return out;
  }

  std::unique_ptr<kafka::mock_cluster> cluster_;
  kafka::kafka_options opts_;
  std::unique_ptr<kafka::producer> producer_;
  msisdn_directory dir_{kafka::kafka_options{}};
  inner_transport inner_;
  recording_listener listener_;
  std::unique_ptr<forwarding_transport> fwd_;
};

kafka::message mo_message(std::string payload) {
  kafka::message m;
  m.topic = "ota.mo";
  m.payload = std::move(payload);
  return m;
}

TEST_F(forwarding_test, DeliverHandsMoAndReceiptRecordsToTheListener) {
  EXPECT_EQ(inner_.listener, fwd_.get());
  ASSERT_TRUE(
      fwd_->deliver(mo_message(R"({"kind":"mo","msisdn":"46700100001","ud":"0102ff"})")).ok());
  ASSERT_TRUE(
      fwd_
          ->deliver(mo_message(
              R"({"kind":"receipt","msisdn":"46700100001","id":"m-17","state":5,"error":"069"})"))
          .ok());
  ASSERT_EQ(listener_.mos.size(), 1u);
  EXPECT_EQ(listener_.mos[0].from, "46700100001");
  EXPECT_EQ(listener_.mos[0].ud, (bytes{0x01, 0x02, 0xff}));
  ASSERT_EQ(listener_.receipts.size(), 1u);
  EXPECT_EQ(listener_.receipts[0].id, "m-17");
  EXPECT_EQ(listener_.receipts[0].state, 5);
  EXPECT_EQ(listener_.receipts[0].error, "069");
  EXPECT_EQ(fwd_->delivered(), 2u);
  EXPECT_EQ(fwd_->forwarded(), 0u);
}

TEST_F(forwarding_test, MalformedRecordsAreRejectedWithAMessage) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"not json", "kind and msisdn"},
      {"[1,2]", "kind and msisdn"},
      {R"({"kind":"mo"})", "kind and msisdn"},
      {R"({"kind":7,"msisdn":"1"})", "kind and msisdn"},
      {R"({"kind":"mo","msisdn":"1"})", "ud"},
      {R"({"kind":"mo","msisdn":"1","ud":"zz"})", "ud"},
      {R"({"kind":"receipt","msisdn":"1","id":"x","state":256,"error":""})", "state 0..255"},
      {R"({"kind":"receipt","msisdn":"1","id":"x","state":-1,"error":""})", "state 0..255"},
      {R"({"kind":"receipt","msisdn":"1","id":"x","state":"2","error":""})", "state 0..255"},
      {R"({"kind":"receipt","msisdn":"1","state":2,"error":""})", "string id"},
      {R"({"kind":"sms","msisdn":"1"})", "unknown kind 'sms'"},
  };
  for (const auto& [payload, says] : bad) {
    auto s = fwd_->deliver(mo_message(payload));
    ASSERT_FALSE(s.ok()) << payload;
    EXPECT_EQ(s.error().code, make_error_code(errc::bad_value)) << payload;
    EXPECT_EQ(s.error().message.rfind("forwarded answer: ", 0), 0u) << s.error().message;
    EXPECT_NE(s.error().message.find(says), std::string::npos)
        << payload << " -> " << s.error().message;
  }
  EXPECT_TRUE(listener_.mos.empty());
  EXPECT_TRUE(listener_.receipts.empty());
  EXPECT_EQ(fwd_->delivered(), 0u);
}

TEST_F(forwarding_test, WithoutAnOwnerNothingIsForwarded) {
  dir_.add_for_test("46700100001", card_on(1));
  EXPECT_EQ(dir_.iccid_of("46700100001"), card_on(1));
  EXPECT_EQ(dir_.size(), 1u);
  ASSERT_NE(inner_.listener, nullptr);
  inner_.listener->on_mo("46700100001", bytes{0xAA});
  inner_.listener->on_receipt_from("46700100001", "m-1", 2, "000");
  inner_.listener->on_submitted(9, {"m-1"});
  ASSERT_EQ(listener_.mos.size(), 1u);
  EXPECT_EQ(listener_.mos[0].ud, bytes{0xAA});
  ASSERT_EQ(listener_.receipts.size(), 1u);
  EXPECT_EQ(listener_.receipts[0].id, "m-1");
  EXPECT_EQ(listener_.submitted, std::vector<std::uint64_t>{9});
  EXPECT_EQ(fwd_->forwarded(), 0u);
  ASSERT_TRUE(producer_->flush(10s).ok());
  EXPECT_TRUE(mo_records(0).empty());
  EXPECT_TRUE(mo_records(1).empty());
}

}  // namespace
}  // namespace otaflow::service
