// OTA counters: one synced write per batch, persisted, monotonic, 40-bit.

#include <map>
#include <random>

#include <gtest/gtest.h>

#include "storage_test_util.hpp"

namespace otaflow::storage {
namespace {

using test::make_iccid;
using test::open_state;
using test::temp_dir;

std::vector<std::string> iccids(std::size_t n) {
  std::vector<std::string> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back(make_iccid(i + 1));
  return v;
}

// The values of a batch whose every request succeeded (an empty vector otherwise).
std::vector<std::uint64_t> values(const result<std::vector<result<std::uint64_t>>>& r) {
  std::vector<std::uint64_t> out;
  if (!r) {
    ADD_FAILURE() << r.error().message;
    return out;
  }
  for (const auto& v : *r) {
    if (!v) {
      ADD_FAILURE() << v.error().message;
      return {};
    }
    out.push_back(*v);
  }
  return out;
}

std::vector<counter_request> requests(const std::vector<std::string>& ids, std::uint8_t kvn) {
  std::vector<counter_request> r;
  for (const auto& i : ids) r.push_back({i, kvn});
  return r;
}

TEST(CounterStore, FirstValueIsOneAndBatchesAdvance) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto ids = iccids(3);
  const auto req = requests(ids, 1);
  EXPECT_EQ(values(st->counters().next(req)), (std::vector<std::uint64_t>{1, 1, 1}));
  EXPECT_EQ(values(st->counters().next(req)), (std::vector<std::uint64_t>{2, 2, 2}));
  EXPECT_EQ(*st->counters().get(ids[0], 1), 2u);
  EXPECT_EQ(*st->counters().get(ids[0], 2), 0u);  // keysets count separately
}

TEST(CounterStore, OneSyncedWritePerBatch) {
  temp_dir d;
  auto st = open_state(d.path(), test::test_kek(), /*statistics=*/true);
  const auto ids = iccids(1000);
  const auto req = requests(ids, 1);
  for (int round = 0; round < 3; ++round) {
    const auto commits = st->database().commits();
    const auto syncs = st->database().wal_syncs();
    ASSERT_EQ(values(st->counters().next(req)).size(), req.size());
    EXPECT_EQ(st->database().commits(), commits + 1);
    EXPECT_EQ(st->database().wal_syncs(), syncs + 1);
  }
}

// The cache is bounded; values read back after it is emptied carry on from the durable ones.
TEST(CounterStore, BoundedCacheKeepsCountingAfterItEmpties) {
  temp_dir d;
  auto st = open_state(d.path());
  counter_store small(st->database(), 100);
  const auto ids = iccids(250);
  for (int round = 1; round <= 3; ++round) {
    for (std::size_t i = 0; i < ids.size(); i += 60) {
      const std::vector<std::string> part(
          ids.begin() + static_cast<std::ptrdiff_t>(i),
          ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), i + 60)));
      const auto r = values(small.next(requests(part, 1)));
      ASSERT_EQ(r.size(), part.size());
      for (auto v : r) EXPECT_EQ(v, static_cast<std::uint64_t>(round));
      EXPECT_LE(small.cached(), 100u);
    }
  }
  for (const auto& id : ids) EXPECT_EQ(*small.get(id, 1), 3u);
}

TEST(CounterStore, PersistedAcrossReopen) {
  temp_dir d;
  const auto ids = iccids(1000);
  const auto req = requests(ids, 3);
  {
    auto st = open_state(d.path());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(st->counters().next(req).ok());
  }
  auto st = open_state(d.path());
  EXPECT_EQ(st->counters().cached(), 0u);
  const auto r = values(st->counters().next(req));
  ASSERT_EQ(r.size(), req.size());
  for (auto v : r) EXPECT_EQ(v, 6u);
}

TEST(CounterStore, RepeatedCardInOneBatchGetsSuccessiveValues) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto a = make_iccid(1), b = make_iccid(2);
  const std::vector<counter_request> req = {{a, 1}, {b, 1}, {a, 1}, {a, 2}, {a, 1}};
  EXPECT_EQ(values(st->counters().next(req)), (std::vector<std::uint64_t>{1, 1, 2, 1, 3}));
  st->counters().clear_cache();
  EXPECT_EQ(*st->counters().get(a, 1), 3u);
}

// An exhausted counter fails its own request only; the others are written in the one write.
TEST(CounterStore, FortyBitOverflowFailsThatCardOnly) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto a = make_iccid(1), b = make_iccid(2);
  ASSERT_TRUE(st->counters().set(a, 1, counter_max - 1).ok());
  const counter_request one{a, 1};
  EXPECT_EQ(values(st->counters().next({&one, 1})), (std::vector<std::uint64_t>{counter_max}));
  const std::vector<counter_request> req = {{b, 1}, {a, 1}, {b, 1}};
  const auto commits = st->database().commits();
  auto r = st->counters().next(req);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  ASSERT_TRUE((*r)[0].ok());
  EXPECT_EQ(*(*r)[0], 1u);
  ASSERT_FALSE((*r)[1].ok());
  EXPECT_EQ((*r)[1].error().code, make_error_code(errc::conflict));
  EXPECT_FALSE((*r)[1].error().retriable());
  EXPECT_NE((*r)[1].error().message.find(a), std::string::npos);
  EXPECT_NE((*r)[1].error().message.find("keyset 1"), std::string::npos);
  ASSERT_TRUE((*r)[2].ok());
  EXPECT_EQ(*(*r)[2], 2u);
  EXPECT_EQ(st->database().commits(), commits + 1);
  st->counters().clear_cache();
  EXPECT_EQ(*st->counters().get(b, 1), 2u);
  EXPECT_EQ(*st->counters().get(a, 1), counter_max);
  EXPECT_FALSE(st->counters().set(a, 1, counter_max + 1).ok());
}

// A row of the wrong size fails the requests for it, named; the rest of the batch goes on.
TEST(CounterStore, CorruptRowFailsThatCardOnly) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto a = make_iccid(1), b = make_iccid(2);
  rocksdb::WriteBatch wb;
  wb.Put(st->database().handle(column::counters), counter_store::row_key(a, 2), "abc");
  ASSERT_TRUE(st->database().commit(wb, true).ok());
  const std::vector<counter_request> req = {{a, 2}, {b, 2}, {a, 1}, {a, 2}};
  auto r = st->counters().next(req);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 4u);
  for (std::size_t i : {0u, 3u}) {
    ASSERT_FALSE((*r)[i].ok());
    EXPECT_EQ((*r)[i].error().code, make_error_code(errc::internal));
    EXPECT_NE((*r)[i].error().message.find(a + " keyset 2"), std::string::npos)
        << (*r)[i].error().message;
    EXPECT_NE((*r)[i].error().message.find("3 octets"), std::string::npos);
  }
  ASSERT_TRUE((*r)[1].ok() && (*r)[2].ok());
  EXPECT_EQ(*(*r)[1], 1u);
  EXPECT_EQ(*(*r)[2], 1u);
  auto raw = st->database().get(column::counters, counter_store::row_key(a, 2));
  ASSERT_TRUE(raw.ok() && raw->has_value());
  EXPECT_EQ(**raw, "abc");  // left for an operator to look at
  // A bad request (keyset 16) fails alone as well.
  auto bad = st->counters().next(std::vector<counter_request>{{b, 16}, {b, 2}});
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE((*bad)[0].ok());
  ASSERT_TRUE((*bad)[1].ok());
  EXPECT_EQ(*(*bad)[1], 2u);
}

// A skip (PoR 02) jumps the counter ahead inside the same synced write.
TEST(CounterStore, SkipJumpsAheadInTheSameWrite) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto a = make_iccid(1), b = make_iccid(2);
  const std::vector<counter_request> first = {{a, 1}, {b, 1}};
  EXPECT_EQ(values(st->counters().next(first)), (std::vector<std::uint64_t>{1, 1}));
  const auto commits = st->database().commits();
  const std::vector<counter_request> req = {{a, 1, 100}, {b, 1}, {a, 1}};
  EXPECT_EQ(values(st->counters().next(req)), (std::vector<std::uint64_t>{102, 2, 103}));
  EXPECT_EQ(st->database().commits(), commits + 1);
  st->counters().clear_cache();
  EXPECT_EQ(*st->counters().get(a, 1), 103u);
  // A skip past the 40-bit limit fails that request and writes nothing for it.
  ASSERT_TRUE(st->counters().set(b, 1, counter_max - 10).ok());
  auto r = st->counters().next(std::vector<counter_request>{{b, 1, 10}});
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE((*r)[0].ok());
  EXPECT_NE((*r)[0].error().message.find("skipping 10"), std::string::npos);
  EXPECT_EQ(*st->counters().get(b, 1), counter_max - 10);
}

TEST(CounterStore, RaiseNeverLowersAndWritesWithTheCallersBatch) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto a = make_iccid(1), b = make_iccid(2);
  ASSERT_TRUE(st->counters().set(a, 1, 50).ok());
  rocksdb::WriteBatch extra;
  extra.Put(st->database().handle(column::counters), counter_store::row_key(b, 9),
            std::string("\0\0\0\0\x07", 5));
  audit_event ev;
  ev.iccid = a;
  ev.type = audit_type::counter_set;
  ev.details = R"({"kvn":1,"old":50,"new":70})";
  const auto seq = st->audit().stage(extra, ev);  // as `subscribers counters` does
  const std::vector<counter_raise> rs = {{a, 1, 40}, {b, 1, 70}, {a, 2, 5}};
  auto before = st->counters().raise(rs, extra);
  ASSERT_TRUE(before.ok()) << before.error().message;
  EXPECT_EQ(*before, (std::vector<std::uint64_t>{50, 0, 0}));
  st->counters().clear_cache();
  EXPECT_EQ(*st->counters().get(a, 1), 50u);
  EXPECT_EQ(*st->counters().get(b, 1), 70u);
  EXPECT_EQ(*st->counters().get(a, 2), 5u);
  EXPECT_EQ(*st->counters().get(b, 9), 7u);  // the caller's own writes went with it
  auto logged = st->audit().read(seq, 10);
  ASSERT_TRUE(logged.ok());
  ASSERT_EQ(logged->size(), 1u);
  EXPECT_EQ((*logged)[0].event.type, audit_type::counter_set);
  EXPECT_EQ((*logged)[0].event.iccid, a);
  EXPECT_EQ((*logged)[0].event.details, ev.details);
  EXPECT_EQ(name(audit_type::counter_set), "counter_set");
  rocksdb::WriteBatch none;
  EXPECT_FALSE(
      st->counters().raise(std::vector<counter_raise>{{a, 1, counter_max + 1}}, none).ok());
}

TEST(CounterStore, ScanListsRowsOfOneCardOrAll) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto a = make_iccid(1), b = make_iccid(2);
  ASSERT_TRUE(st->counters().set(a, 1, 3).ok());
  ASSERT_TRUE(st->counters().set(a, 2, 0x0102030405).ok());
  ASSERT_TRUE(st->counters().set(b, 1, 9).ok());
  rocksdb::WriteBatch wb;
  wb.Put(st->database().handle(column::counters), counter_store::row_key(b, 4), "xy");
  ASSERT_TRUE(st->database().commit(wb, true).ok());
  auto one = st->counters().scan(a);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 2u);
  EXPECT_EQ((*one)[0].kvn, 1);
  EXPECT_EQ((*one)[0].value, 3u);
  EXPECT_EQ((*one)[1].kvn, 2);
  EXPECT_EQ((*one)[1].value, 0x0102030405u);
  auto all = st->counters().scan();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[2].iccid, b);
  EXPECT_EQ((*all)[2].value, 9u);
  EXPECT_TRUE((*all)[2].problem.empty());
  EXPECT_EQ((*all)[3].kvn, 4);
  EXPECT_NE((*all)[3].problem.find("2 octets"), std::string::npos);
  auto none = st->counters().scan(make_iccid(3));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(CounterStore, SetRefusesToLowerAndStoresFiveOctets) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto a = make_iccid(1);
  ASSERT_TRUE(st->counters().set(a, 1, 0x0102030405).ok());
  auto raw = st->database().get(column::counters, counter_store::row_key(a, 1));
  ASSERT_TRUE(raw.ok() && raw->has_value());
  EXPECT_EQ(**raw, std::string("\x01\x02\x03\x04\x05", 5));
  auto low = st->counters().set(a, 1, 5);
  ASSERT_FALSE(low.ok());
  EXPECT_EQ(low.error().code, make_error_code(errc::conflict));
  auto bad = st->counters().next(std::vector<counter_request>{{a, 16}});
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE((*bad)[0].ok());
}

// Random batches over a few cards: every card's values are 1, 2, 3, ... in
// hand-out order, also across reopens. (A seeded loop rather than a rapidcheck
// property: each RocksDB open costs 0.1-0.4 s of fsyncs on the test VM.)
TEST(CounterStore, MonotonicAndGaplessOverRandomBatches) {
  temp_dir d;
  const auto ids = iccids(5);
  std::map<std::string, std::uint64_t> expect;
  std::mt19937 rng(20240611);
  auto st = open_state(d.path());
  for (int b = 0; b < 60; ++b) {
    if (b % 20 == 19) {
      st.reset();
      st = open_state(d.path());
    }
    std::vector<std::size_t> picks(rng() % 12);
    for (auto& p : picks) p = rng() % ids.size();
    std::vector<counter_request> req;
    for (auto p : picks) req.push_back({ids[p], static_cast<std::uint8_t>(1 + p % 2)});
    const auto r = values(st->counters().next(req));
    ASSERT_EQ(r.size(), picks.size());
    for (std::size_t i = 0; i < picks.size(); ++i) {
      EXPECT_EQ(r[i], ++expect[ids[picks[i]]]);
    }
  }
}

}  // namespace
}  // namespace otaflow::storage
