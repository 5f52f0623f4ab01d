// The changelog committer (service/changelog_committer.hpp) as the commit hook of a real state
// directory, on a fake Kafka side (fake_txn_port.hpp): what each transaction carries, when the
// local rows are applied, ownership, retries, fencing, group commit, publish and flush.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "kafka/events.hpp"
#include "service/changelog_committer.hpp"
#include "storage/changelog.hpp"
#include "tests/unit/service/fake_txn_port.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

namespace otaflow::service {
namespace {

using storage::column;
using storage::test::make_iccid;
using storage::test::temp_dir;
using test::fake_txn_port;
using failure = fake_txn_port::failure;

constexpr std::int32_t partitions = 2;
constexpr std::int32_t status_partitions = 3;

// The tests' partitioner: the key's last digit modulo n (an ICCID ends in its Luhn digit).
std::int32_t last_digit(std::string_view key, std::int32_t n) {
  return (key.back() - '0') % n;
}

// The nth card (from 0) whose ICCID falls on `partition` of `partitions`.
std::string card_on(std::int32_t partition, int nth = 0) {
  for (std::uint64_t serial = 1;; ++serial) {
    auto iccid = make_iccid(serial);
    if (last_digit(iccid, partitions) == partition && nth-- == 0) return iccid;
  }
}

std::string counter_key(const std::string& iccid, std::uint8_t kvn = 1) {
  return storage::counter_store::row_key(iccid, kvn);
}

model::status_event event(const std::string& iccid, model::job_state st, std::uint16_t attempt) {
  return model::status_event{"c1", iccid,     st,           attempt, std::uint8_t{0},
                             "",   "default", 1700000000000};
}

class committer_test : public ::testing::Test {
 protected:
  void SetUp() override {
    state_ = storage::test::open_state(dir_.path());
    ASSERT_NE(state_, nullptr);
  }
  void TearDown() override {
    if (state_) state_->database().set_commit_hook({});
    committer_.reset();
    EXPECT_EQ(port_.violations(), 0u) << "calls to the port out of transaction protocol";
  }

  void start(std::size_t attempts = 3, std::size_t recoveries = 3) {
    committer_config c;
    c.recoveries = recoveries;
    c.partitions = partitions;
    c.status_partitions = status_partitions;
    c.partition_for = last_digit;
    c.offsets_interval = std::chrono::hours(1);  // no offsets-only transactions by themselves
    c.attempts = attempts;
    committer_ = std::make_unique<changelog_committer>(state_->database(), port_, c);
    state_->database().set_commit_hook(
        [this](rocksdb::WriteBatch& b, bool sync) { return committer_->commit(b, sync); });
  }
  void own_all() {
    for (std::int32_t p = 0; p < partitions; ++p) committer_->own(p);
  }

  // One counter of `iccid` through the counter store (the hook commits it); the outer status.
  result<std::uint64_t> reserve(const std::string& iccid) {
    const storage::counter_request req{iccid, 1, 0};
    auto r = state_->counters().next(std::span(&req, 1));
    if (!r) return r.error();
    return (*r)[0];
  }
  std::optional<std::string> row(column c, const std::string& key) {
    auto v = state_->database().get(c, key);
    EXPECT_TRUE(v.ok());
    return v.ok() ? *v : std::nullopt;
  }

  temp_dir dir_;
  std::unique_ptr<storage::state> state_;
  fake_txn_port port_;
  std::unique_ptr<changelog_committer> committer_;
};

TEST_F(committer_test, CounterGoesToItsPartitionWithOffsetsInOneTransactionThenApplies) {
  start();
  own_all();
  committer_->set_offsets({{"ota.triggers", 0, 42}, {"ota.triggers", 1, 7}});
  const auto card = card_on(1);
  auto v = reserve(card);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v, 1u);

  const auto txns = port_.transactions();
  ASSERT_EQ(txns.size(), 1u);
  EXPECT_EQ(txns[0].how, fake_txn_port::end::committed);
  ASSERT_EQ(txns[0].records.size(), 1u);
  const auto& rec = txns[0].records[0];
  EXPECT_EQ(rec.topic, "ota.state");
  EXPECT_EQ(rec.partition, 1);
  EXPECT_EQ(rec.key, storage::changelog::record_key(column::counters, counter_key(card)));
  ASSERT_TRUE(rec.value.has_value());
  EXPECT_EQ(*rec.value, std::string("\0\0\0\0\x01", 5));
  ASSERT_TRUE(txns[0].offsets.has_value());
  ASSERT_EQ(txns[0].offsets->size(), 2u);
  EXPECT_EQ((*txns[0].offsets)[0].topic, "ota.triggers");
  EXPECT_EQ((*txns[0].offsets)[0].partition, 0);
  EXPECT_EQ((*txns[0].offsets)[0].offset, 42);
  EXPECT_EQ((*txns[0].offsets)[1].partition, 1);
  EXPECT_EQ((*txns[0].offsets)[1].offset, 7);

  EXPECT_EQ(row(column::counters, counter_key(card)), rec.value);
  const auto st = committer_->stats();
  EXPECT_EQ(st.transactions, 1u);
  EXPECT_EQ(st.batches, 1u);
  EXPECT_EQ(st.records, 1u);
  EXPECT_EQ(st.bytes, rec.key.size() + 5);
  EXPECT_EQ(st.aborted, 0u);
}

TEST_F(committer_test, RowIsAbsentWhileTheTransactionIsOpen) {
  start();
  own_all();
  const auto card = card_on(0);
  port_.hold(true);
  result<std::uint64_t> got = make_error(errc::internal, "not run");
  std::thread t([&] { got = reserve(card); });
  port_.wait_in_commit();
  EXPECT_FALSE(row(column::counters, counter_key(card)).has_value());
  port_.hold(false);
  t.join();
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, 1u);
  EXPECT_TRUE(row(column::counters, counter_key(card)).has_value());
}

TEST_F(committer_test, StatusesAttachedOnTheThreadGoInTheSameTransactionKeyedByIccid) {
  start();
  own_all();
  const auto card = card_on(0);
  // Attached on another thread: not this thread's commit.
  std::thread([&] {
    changelog_committer::attach_statuses({event(card_on(1), model::job_state::failed, 9)});
  }).join();
  const std::vector<model::status_event> evs = {event(card, model::job_state::submitting, 1),
                                                event(card_on(1, 1), model::job_state::done, 2)};
  changelog_committer::attach_statuses(evs);
  ASSERT_TRUE(reserve(card).ok());

  const auto txns = port_.committed();
  ASSERT_EQ(txns.size(), 1u);
  std::vector<model::status_event> seen;
  std::size_t state_records = 0;
  for (const auto& r : txns[0].records) {
    if (r.topic == "ota.state") {
      ++state_records;
      continue;
    }
    ASSERT_EQ(r.topic, "ota.status");
    ASSERT_TRUE(r.value.has_value());
    auto ev = kafka::parse_status_event(*r.value);
    ASSERT_TRUE(ev.ok()) << ev.error().message;
    EXPECT_EQ(r.key, ev->iccid);
    EXPECT_EQ(r.partition, last_digit(ev->iccid, status_partitions));
    seen.push_back(*ev);
  }
  EXPECT_EQ(state_records, 1u);
  EXPECT_EQ(seen, evs);
  EXPECT_EQ(committer_->stats().statuses, 2u);

  // Consumed by that commit: the next one carries none.
  ASSERT_TRUE(reserve(card).ok());
  const auto after = port_.committed();
  ASSERT_EQ(after.size(), 2u);
  for (const auto& r : after[1].records) EXPECT_EQ(r.topic, "ota.state");
}

TEST_F(committer_test, WritesToUnownedPartitionsAreRefusedAndNothingIsProduced) {
  start();
  committer_->own(0);
  EXPECT_TRUE(committer_->owns(0));
  EXPECT_FALSE(committer_->owns(1));
  const auto card = card_on(1);
  auto v = reserve(card);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, make_error_code(errc::conflict));
  EXPECT_NE(v.error().message.find("partition 1"), std::string::npos) << v.error().message;
  EXPECT_EQ(port_.begins(), 0u);
  EXPECT_FALSE(row(column::counters, counter_key(card)).has_value());

  // A batch with rows of an owned and an unowned card is refused whole.
  storage::subscriber a{card_on(0), "001010000000001", "46700000001", {}, {1}};
  storage::subscriber b{card, "001010000000002", "46700000002", {}, {1}};
  rocksdb::WriteBatch batch;
  ASSERT_TRUE(state_->subscribers().stage_put(batch, a, nullptr).ok());
  ASSERT_TRUE(state_->subscribers().stage_put(batch, b, nullptr).ok());
  auto s = state_->database().commit(batch, true);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(port_.begins(), 0u);
  EXPECT_FALSE(row(column::subscribers, card_on(0)).has_value());

  committer_->own(1);
  ASSERT_TRUE(reserve(card).ok());
  EXPECT_EQ(port_.committed().size(), 1u);
  committer_->disown(1);
  EXPECT_FALSE(committer_->owns(1));
  EXPECT_FALSE(reserve(card).ok());
  EXPECT_EQ(port_.begins(), 1u);
  EXPECT_EQ(state_->counters().get(card, 1).value(), 1u);
}

TEST_F(committer_test, AbortableAndRetriableFailuresAreRetriedAndTheCallerSucceeds) {
  start(3);
  own_all();
  port_.fail_commits(1, failure::abortable);
  port_.fail_commits(1, failure::retriable);
  const auto card = card_on(0);
  auto v = reserve(card);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v, 1u);
  const auto txns = port_.transactions();
  ASSERT_EQ(txns.size(), 3u);
  EXPECT_EQ(txns[0].how, fake_txn_port::end::aborted);
  EXPECT_EQ(txns[1].how, fake_txn_port::end::aborted);
  EXPECT_EQ(txns[2].how, fake_txn_port::end::committed);
  EXPECT_EQ(txns[2].records.size(), 1u);
  EXPECT_EQ(port_.aborts(), 2u);
  const auto st = committer_->stats();
  EXPECT_EQ(st.aborted, 2u);
  EXPECT_EQ(st.transactions, 1u);
  EXPECT_FALSE(st.fenced);
  EXPECT_TRUE(row(column::counters, counter_key(card)).has_value());
}

TEST_F(committer_test, AfterAllAttemptsFailTheCallerGetsTheErrorAndNoRow) {
  start(3);
  own_all();
  port_.fail_commits(3, failure::abortable);
  const auto card = card_on(1);
  auto v = reserve(card);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("abortable"), std::string::npos) << v.error().message;
  EXPECT_EQ(port_.begins(), 3u);
  EXPECT_EQ(port_.aborts(), 3u);
  EXPECT_TRUE(port_.committed().empty());
  EXPECT_FALSE(row(column::counters, counter_key(card)).has_value());
  EXPECT_EQ(state_->counters().get(card, 1).value(), 0u);
  EXPECT_FALSE(committer_->stats().fenced);

  // Not fenced: the next reservation goes through, and gets 1 (nothing of the failed one).
  auto again = reserve(card);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, 1u);
}

TEST_F(committer_test, AFatalErrorReplacesTheProducerAndTheGroupCommitsUnderTheNewOne) {
  start(5);
  own_all();
  port_.fail_commits(1, failure::fatal);
  const auto card = card_on(0);
  auto v = reserve(card);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v, 1u);
  EXPECT_EQ(port_.recoveries(), 1u);
  const auto txns = port_.transactions();
  ASSERT_EQ(txns.size(), 2u);
  EXPECT_EQ(txns[0].how, fake_txn_port::end::aborted);
  EXPECT_EQ(txns[1].how, fake_txn_port::end::committed);
  ASSERT_EQ(txns[1].records.size(), 1u);
  EXPECT_EQ(txns[1].records[0].key, txns[0].records[0].key);
  const auto st = committer_->stats();
  EXPECT_EQ(st.recoveries, 1u);
  EXPECT_EQ(st.aborted, 1u);
  EXPECT_EQ(st.transactions, 1u);
  EXPECT_FALSE(st.fenced);
  EXPECT_TRUE(row(column::counters, counter_key(card)).has_value());

  // The budget (3) spent: 2 more recovered, the 4th fatal error within the window fences.
  port_.fail_commits(1, failure::fatal);
  ASSERT_TRUE(reserve(card).ok());
  port_.fail_commits(1, failure::fatal);
  ASSERT_TRUE(reserve(card).ok());
  EXPECT_EQ(port_.recoveries(), 3u);
  port_.fail_commits(1, failure::fatal);
  auto fourth = reserve(card);
  ASSERT_FALSE(fourth.ok());
  EXPECT_EQ(port_.recoveries(), 3u);
  EXPECT_TRUE(committer_->stats().fenced);
  EXPECT_EQ(committer_->stats().recoveries, 3u);
  EXPECT_EQ(state_->counters().get(card, 1).value(), 3u);
}

TEST_F(committer_test, AProducerThatCannotBeReplacedFences) {
  start(5);
  own_all();
  port_.refuse_recovery();
  port_.fail_commits(1, failure::fatal);
  const auto card = card_on(0);
  auto v = reserve(card);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(port_.recoveries(), 1u);
  EXPECT_EQ(port_.begins(), 1u);
  EXPECT_TRUE(committer_->stats().fenced);
  EXPECT_EQ(committer_->stats().recoveries, 0u);
  EXPECT_FALSE(row(column::counters, counter_key(card)).has_value());
}

TEST_F(committer_test, FatalErrorFencesAndLaterCommitsFailAtOnce) {
  start(5, 0);  // no producer replaced
  own_all();
  port_.fail_commits(1, failure::fatal);
  const auto card = card_on(0);
  auto v = reserve(card);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("fenced"), std::string::npos) << v.error().message;
  EXPECT_EQ(port_.begins(), 1u);  // not retried
  EXPECT_EQ(port_.recoveries(), 0u);
  EXPECT_TRUE(committer_->stats().fenced);
  EXPECT_FALSE(row(column::counters, counter_key(card)).has_value());

  auto later = reserve(card);
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(later.error().code, make_error_code(errc::conflict));
  EXPECT_FALSE(committer_->publish({{"ota.triggers", 0, "k", "v"}}).ok());
  EXPECT_FALSE(committer_->flush().ok());
  EXPECT_EQ(port_.begins(), 1u);
}

TEST_F(committer_test, ConcurrentCommitsAreGroupedAndAllApplied) {
  start();
  own_all();
  constexpr int writers = 8;
  std::vector<storage::subscriber> subs;
  for (int i = 0; i < writers; ++i) {
    subs.push_back({card_on(i % partitions, i),
                    "00101000000010" + std::to_string(i),
                    "4670000010" + std::to_string(i),
                    {},
                    {1}});
  }
  std::vector<status> results(writers);
  // The first transaction is held open: the other writers queue up behind it.
  port_.hold(true);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { results[0] = state_->subscribers().put(subs[0]); });
  port_.wait_in_commit();
  for (int i = 1; i < writers; ++i) {
    threads.emplace_back([&, i] { results[i] = state_->subscribers().put(subs[i]); });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let them queue (no assertion)
  port_.hold(false);
  for (auto& t : threads) t.join();

  for (int i = 0; i < writers; ++i) {
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].error().message;
    auto got = state_->subscribers().get(subs[i].iccid);
    ASSERT_TRUE(got.ok());
    ASSERT_TRUE(got->has_value()) << subs[i].iccid;
    EXPECT_EQ(**got, subs[i]);
  }
  const auto txns = port_.committed();
  const auto st = committer_->stats();
  EXPECT_EQ(st.batches, static_cast<std::uint64_t>(writers));
  EXPECT_EQ(st.transactions, txns.size());
  EXPECT_LT(txns.size(), static_cast<std::size_t>(writers)) << "no group commit";
  // Every card's rows (record, MSISDN and IMSI indexes) on the card's partition.
  std::set<std::string> record_keys;
  for (const auto& t : txns) {
    for (const auto& r : t.records) {
      ASSERT_EQ(r.topic, "ota.state");
      auto k = storage::changelog::parse_record_key(r.key);
      ASSERT_TRUE(k.ok());
      const auto iccid = storage::changelog::iccid_of(
          k->first, k->second, r.value ? std::optional<std::string_view>(*r.value) : std::nullopt);
      EXPECT_EQ(r.partition, last_digit(iccid, partitions));
      record_keys.insert(r.key);
    }
  }
  EXPECT_EQ(record_keys.size(), static_cast<std::size_t>(writers) * 3);
}

// Two batches of one group write the same row: the compacted changelog needs only the last
// value, so one record travels; both batches are applied, the row ends with the last value, and
// a row written once in the same group still travels.
TEST_F(committer_test, ARowWrittenTwiceInOneTransactionTravelsOnceWithItsLastValue) {
  start();
  own_all();
  const auto held = card_on(0, 1);
  const auto card = card_on(0);
  const auto other = card_on(1);
  port_.hold(true);
  std::thread first([&] { ASSERT_TRUE(reserve(held).ok()); });
  port_.wait_in_commit();
  auto write = [&](const std::string& iccid, std::string_view value) {
    rocksdb::WriteBatch b;
    b.Put(state_->database().handle(column::counters), counter_key(iccid), value);
    return state_->database().commit(b, false);
  };
  // Queued behind the held transaction, one after the other (each waits for its own result,
  // so the second is queued only once the first is: two threads, a pause between them).
  status r1, r2, r3;
  std::thread a([&] { r1 = write(card, "first"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::thread b([&] { r2 = write(card, "second"); });
  std::thread c([&] { r3 = write(other, "only"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  port_.hold(false);
  first.join();
  a.join();
  b.join();
  c.join();
  ASSERT_TRUE(r1.ok() && r2.ok() && r3.ok());
  const auto txns = port_.committed();
  ASSERT_EQ(txns.size(), 2u) << "the three writes were not grouped";
  std::multimap<std::string, std::string> got;
  for (const auto& r : txns[1].records) got.emplace(r.key, r.value.value_or("<tombstone>"));
  const auto key = [](const std::string& iccid) {
    return storage::changelog::record_key(column::counters, counter_key(iccid));
  };
  const std::multimap<std::string, std::string> want = {{key(card), "second"},
                                                        {key(other), "only"}};
  EXPECT_EQ(got, want);
  EXPECT_EQ(row(column::counters, counter_key(card)), "second");
  EXPECT_EQ(row(column::counters, counter_key(other)), "only");
  const auto st = committer_->stats();
  EXPECT_EQ(st.rows, 4u);     // the held card's counter, and the three writes
  EXPECT_EQ(st.records, 3u);  // the card's first value never travelled
}

TEST_F(committer_test, PublishGoesInATransactionAndFlushCommitsOffsetsAlone) {
  start();
  own_all();
  committer_->set_offsets({{"ota.triggers", 1, 100}});
  ASSERT_TRUE(
      committer_
          ->publish({{"ota.triggers", 0, "sel", "copy0"}, {"ota.triggers", 1, "sel", "copy1"}})
          .ok());
  auto txns = port_.committed();
  ASSERT_EQ(txns.size(), 1u);
  ASSERT_EQ(txns[0].records.size(), 2u);
  EXPECT_EQ(txns[0].records[0].topic, "ota.triggers");
  EXPECT_EQ(txns[0].records[0].partition, 0);
  EXPECT_EQ(txns[0].records[0].value, "copy0");
  EXPECT_EQ(txns[0].records[1].partition, 1);
  EXPECT_EQ(txns[0].records[1].value, "copy1");
  ASSERT_TRUE(txns[0].offsets.has_value());
  ASSERT_EQ(txns[0].offsets->size(), 1u);
  EXPECT_EQ((*txns[0].offsets)[0].offset, 100);

  committer_->set_offsets({{"ota.triggers", 1, 150}, {"ota.subscribers", 1, 3}});
  ASSERT_TRUE(committer_->flush().ok());
  txns = port_.committed();
  ASSERT_EQ(txns.size(), 2u);
  EXPECT_TRUE(txns[1].records.empty());
  ASSERT_TRUE(txns[1].offsets.has_value());
  ASSERT_EQ(txns[1].offsets->size(), 2u);
  EXPECT_EQ((*txns[1].offsets)[0].topic, "ota.subscribers");
  EXPECT_EQ((*txns[1].offsets)[0].offset, 3);
  EXPECT_EQ((*txns[1].offsets)[1].topic, "ota.triggers");
  EXPECT_EQ((*txns[1].offsets)[1].offset, 150);

  // A revoked partition's offsets are carried no more.
  committer_->forget_offsets(1);
  ASSERT_TRUE(committer_->flush().ok());
  txns = port_.committed();
  ASSERT_EQ(txns.size(), 3u);
  EXPECT_FALSE(txns[2].offsets.has_value());
}

TEST_F(committer_test, LocalOnlyBatchesNeverReachTheKafkaSide) {
  start();  // owns nothing: a partitioned row would be refused
  storage::campaign_record c;
  c.id = "c1";
  c.format = "json";
  c.definition = "{}";
  ASSERT_TRUE(state_->campaigns().put(c).ok());
  storage::audit_event e;
  e.campaign = "c1";
  e.iccid = card_on(1);
  e.details = "{}";
  ASSERT_TRUE(state_->audit().append(e, true).ok());
  EXPECT_EQ(port_.begins(), 0u);
  auto got = state_->campaigns().get("c1");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->definition, "{}");
  EXPECT_EQ(committer_->stats().transactions, 0u);
}

TEST_F(committer_test, ALocalOnlySyncedWriteIsStillSynced) {
  // Campaigns and the audit log are not in the changelog: the local WAL is their only record.
  state_->database().set_commit_hook({});
  state_.reset();
  state_ = storage::test::open_state(dir_.path(), storage::test::test_kek(), true);
  ASSERT_NE(state_, nullptr);
  start();
  storage::campaign_record c;
  c.id = "c1";
  c.format = "json";
  c.definition = "{}";
  const auto before = state_->database().wal_syncs();
  ASSERT_TRUE(state_->campaigns().put(c, true).ok());
  EXPECT_EQ(port_.begins(), 0u);
  EXPECT_GT(state_->database().wal_syncs(), before) << "a synced campaign write was not synced";
}

TEST_F(committer_test, ABatchWhosePartitionMovedAwayWhileWaitingFailsAndTheOthersGoOn) {
  start();
  own_all();
  const auto stays = card_on(0), moves = card_on(1), first = card_on(0, 1);
  port_.hold(true);
  result<std::uint64_t> r0 = make_error(errc::internal, "not run");
  result<std::uint64_t> r1 = r0, r2 = r0;
  std::thread t0([&] { r0 = reserve(first); });
  port_.wait_in_commit();
  // Separate counter stores would serialise on one mutex: write the two rows as raw batches.
  auto put = [&](const std::string& iccid) -> result<std::uint64_t> {
    rocksdb::WriteBatch b;
    const std::string v("\0\0\0\0\x05", 5);
    (void)b.Put(state_->database().handle(column::counters), counter_key(iccid), v);
    OTAFLOW_TRY(state_->database().commit(b, true));
    return 5;
  };
  std::thread t1([&] { r1 = put(stays); });
  std::thread t2([&] { r2 = put(moves); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let them queue (no assertion)
  committer_->disown(1);
  port_.hold(false);
  t0.join();
  t1.join();
  t2.join();
  EXPECT_TRUE(r0.ok());
  EXPECT_TRUE(r1.ok());
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().message.find("partition 1"), std::string::npos) << r2.error().message;
  EXPECT_TRUE(row(column::counters, counter_key(stays)).has_value());
  EXPECT_FALSE(row(column::counters, counter_key(moves)).has_value());
  for (const auto& t : port_.committed()) {
    for (const auto& r : t.records) EXPECT_EQ(r.partition, 0) << "a record of a partition gone";
  }
}

}  // namespace
}  // namespace otaflow::service
