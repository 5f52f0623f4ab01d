// The state directory as a view of the changelog (storage/changelog.hpp): the commit hook sees
// every batch, the partitioned rows of a batch carry their card, records rebuild the same rows
// in another directory, a partition's rows can be wiped alone, checkpoints are kept in meta.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "storage/changelog.hpp"
#include "storage_test_util.hpp"

namespace otaflow::storage {
namespace {

using test::make_iccid;
using test::open_state;
using test::temp_dir;

subscriber make_sub(std::uint64_t n) {
  subscriber s;
  s.iccid = make_iccid(n);
  s.imsi = "00101" + std::string(10 - std::to_string(n).size(), '0') + std::to_string(n);
  s.msisdn = "4477009" + std::string(5 - std::to_string(n).size(), '0') + std::to_string(n);
  s.keyset_versions = {1};
  return s;
}

// Every row of the partitioned families: (family, key) -> value.
std::map<std::pair<int, std::string>, std::string> rows(const db& d) {
  std::map<std::pair<int, std::string>, std::string> out;
  for (int c = 0; c < static_cast<int>(column_count); ++c) {
    if (!changelog::partitioned(static_cast<column>(c))) continue;
    auto it = d.iterate(static_cast<column>(c));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out[{c, it->key().ToString()}] = it->value().ToString();
    }
  }
  return out;
}

// Records every batch committed through the hook, as changelog records, then applies it.
struct recording_hook {
  db& d;
  std::vector<changelog::row_op> ops;
  std::size_t batches = 0;
  status operator()(rocksdb::WriteBatch& b, bool sync) {
    auto o = changelog::partitioned_ops(d, b);
    if (!o) return o.error();
    ops.insert(ops.end(), o->begin(), o->end());
    ++batches;
    return d.apply(b, sync);
  }
};

TEST(Changelog, RecordKeysRoundTripAndRefuseLocalFamilies) {
  const auto k = changelog::record_key(column::counters, std::string("8988\0\x01", 6));
  auto p = changelog::parse_record_key(k);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->first, column::counters);
  EXPECT_EQ(p->second, std::string_view("8988\0\x01", 6));
  EXPECT_FALSE(changelog::parse_record_key(changelog::record_key(column::audit, "x")).ok());
  EXPECT_FALSE(changelog::parse_record_key(changelog::record_key(column::meta, "x")).ok());
  EXPECT_FALSE(changelog::parse_record_key(std::string(1, '\x02')).ok());
  EXPECT_FALSE(changelog::parse_record_key(std::string("\x63x", 2)).ok());
}

TEST(Changelog, IccidOfEachFamily) {
  using changelog::iccid_of;
  const std::string id = make_iccid(5);
  EXPECT_EQ(iccid_of(column::subscribers, id, std::nullopt), id);
  EXPECT_EQ(iccid_of(column::keys, id + std::string(1, '\0') + "k\x01", std::nullopt), id);
  EXPECT_EQ(iccid_of(column::counters, id + std::string(1, '\0') + "\x01", std::nullopt), id);
  EXPECT_EQ(iccid_of(column::jobs, "camp" + std::string(1, '\0') + id, std::nullopt), id);
  EXPECT_EQ(iccid_of(column::by_msisdn, "447700900001", std::string_view(id)), id);
  EXPECT_EQ(iccid_of(column::by_imsi, "001010000000010", std::nullopt), "");
  EXPECT_EQ(iccid_of(column::audit, "x", std::nullopt), "");
}

TEST(Changelog, HookCarriesEveryPartitionedRowWithItsCard) {
  temp_dir d;
  auto st = open_state(d.path());
  recording_hook hook{st->database(), {}, 0};
  st->database().set_commit_hook(std::ref(hook));
  const auto s1 = make_sub(1), s2 = make_sub(2);
  ASSERT_TRUE(st->subscribers().put(s1).ok());
  ASSERT_TRUE(st->subscribers().put(s2).ok());
  const std::vector<counter_request> req = {{s1.iccid, 1}, {s2.iccid, 1}, {s2.iccid, 2}};
  ASSERT_TRUE(st->counters().next(req).ok());
  audit_event e;
  e.type = audit_type::state;
  e.iccid = s1.iccid;
  ASSERT_TRUE(st->audit().append(e, true).ok());  // local: no record
  EXPECT_EQ(hook.batches, 4u);

  std::map<column, int> per;
  for (const auto& op : hook.ops) {
    ++per[op.col];
    EXPECT_TRUE(op.iccid == s1.iccid || op.iccid == s2.iccid) << op.iccid;
  }
  EXPECT_EQ(per[column::subscribers], 2);
  EXPECT_EQ(per[column::by_msisdn], 2);
  EXPECT_EQ(per[column::by_imsi], 2);
  EXPECT_EQ(per[column::counters], 3);
  EXPECT_EQ(per.count(column::audit), 0u);

  // A changed MSISDN deletes the old index row: the delete names the card it pointed to.
  hook.ops.clear();
  auto moved = s1;
  moved.msisdn = "447700955555";
  ASSERT_TRUE(st->subscribers().put(moved).ok());
  bool deleted_old = false;
  for (const auto& op : hook.ops) {
    if (op.col == column::by_msisdn && !op.value) {
      deleted_old = true;
      EXPECT_EQ(op.key, s1.msisdn);
      EXPECT_EQ(op.iccid, s1.iccid);
    }
  }
  EXPECT_TRUE(deleted_old);
  st->database().set_commit_hook({});
}

TEST(Changelog, RecordsRebuildTheSameRowsElsewhere) {
  temp_dir a, b;
  auto src = open_state(a.path());
  recording_hook hook{src->database(), {}, 0};
  src->database().set_commit_hook(std::ref(hook));
  for (std::uint64_t i = 1; i <= 20; ++i) ASSERT_TRUE(src->subscribers().put(make_sub(i)).ok());
  auto moved = make_sub(3);
  moved.msisdn = "447700966666";
  ASSERT_TRUE(src->subscribers().put(moved).ok());
  ASSERT_TRUE(src->subscribers().erase(make_iccid(4)).ok());
  const std::string id1 = make_iccid(1), id2 = make_iccid(2);  // counter_request borrows them
  const std::vector<counter_request> req = {{id1, 1}, {id2, 1}};
  ASSERT_TRUE(src->counters().next(req).ok());
  src->database().set_commit_hook({});

  auto dst = open_state(b.path());
  std::vector<std::string> keys;
  for (const auto& op : hook.ops) keys.push_back(changelog::record_key(op.col, op.key));
  std::vector<changelog::record> recs;
  for (std::size_t i = 0; i < hook.ops.size(); ++i) {
    const auto& v = hook.ops[i].value;
    recs.push_back({keys[i], v ? std::optional<std::string_view>(*v) : std::nullopt});
  }
  rocksdb::WriteBatch batch;
  ASSERT_TRUE(changelog::apply_records(dst->database(), recs, batch).ok());
  ASSERT_TRUE(dst->database().apply(batch, true).ok());
  EXPECT_EQ(rows(dst->database()), rows(src->database()));
  EXPECT_FALSE(dst->subscribers().get(make_iccid(4))->has_value());
  EXPECT_EQ(*dst->subscribers().find_by_msisdn("447700966666"),
            std::optional<std::string>(make_iccid(3)));
}

TEST(Changelog, WipeRemovesOnlyTheSelectedCardsRows) {
  temp_dir d;
  auto st = open_state(d.path());
  for (std::uint64_t i = 1; i <= 10; ++i) ASSERT_TRUE(st->subscribers().put(make_sub(i)).ok());
  const std::string id1 = make_iccid(1), id2 = make_iccid(2);  // counter_request borrows them
  const std::vector<counter_request> req = {{id1, 1}, {id2, 1}};
  ASSERT_TRUE(st->counters().next(req).ok());
  ASSERT_TRUE(st->campaigns().put({"c1", campaign_status::running, "json", "{}", 1, 1}).ok());
  const auto even = [](std::string_view iccid) { return (iccid.back() - '0') % 2 == 0; };
  std::size_t even_rows = 0;
  for (const auto& [k, v] : rows(st->database())) {
    const auto id = changelog::iccid_of(static_cast<column>(k.first), k.second, v);
    if (even(id)) ++even_rows;
  }
  ASSERT_GT(even_rows, 0u);
  auto n = changelog::wipe(st->database(), even);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, even_rows);
  for (const auto& [k, v] : rows(st->database())) {
    EXPECT_FALSE(even(changelog::iccid_of(static_cast<column>(k.first), k.second, v)));
  }
  EXPECT_TRUE(st->campaigns().get("c1")->has_value());  // local families stay
}

TEST(Changelog, CheckpointsAreStoredPerTopicPartitionAndRemoved) {
  temp_dir d;
  auto st = open_state(d.path());
  auto& db = st->database();
  EXPECT_FALSE(changelog::checkpoint(db, "ota.state", 3)->has_value());
  ASSERT_TRUE(changelog::set_checkpoint(db, "ota.state", 3, 12345).ok());
  ASSERT_TRUE(changelog::set_checkpoint(db, "ota.state", 4, 7).ok());
  EXPECT_EQ(*changelog::checkpoint(db, "ota.state", 3), std::optional<std::int64_t>(12345));
  EXPECT_EQ(*changelog::checkpoint(db, "ota.state", 4), std::optional<std::int64_t>(7));
  ASSERT_TRUE(changelog::set_checkpoint(db, "ota.state", 3, -1).ok());
  EXPECT_FALSE(changelog::checkpoint(db, "ota.state", 3)->has_value());
  EXPECT_FALSE(changelog::checkpoint(db, "other", 4)->has_value());
}

}  // namespace
}  // namespace otaflow::storage
