// Keys at rest: AES-256-GCM round trip, nothing in clear on disk, AAD binding.

#include <algorithm>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "storage_test_util.hpp"

namespace otaflow::storage {
namespace {

using test::key;
using test::make_iccid;
using test::open_state;
using test::temp_dir;
using test::test_kek;

card_keys sample_keys(std::uint8_t seed) {
  card_keys k;
  k.ki = secret::from(bytes(16, seed)).value();
  k.opc = secret::from(bytes(16, static_cast<std::uint8_t>(seed + 1))).value();
  k.keysets[1] = {secret::from(bytes(16, static_cast<std::uint8_t>(seed + 2))).value(),
                  secret::from(bytes(24, static_cast<std::uint8_t>(seed + 3))).value(),
                  secret::from(bytes(32, static_cast<std::uint8_t>(seed + 4))).value()};
  k.keysets[2] = {key("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"), key("b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"),
                  key("c0c1c2c3c4c5c6c7c8c9cacbcccdcecf")};
  return k;
}

bool contains(std::string_view hay, byte_view needle) {
  const std::string_view n(reinterpret_cast<const char*>(needle.data()), needle.size());
  return hay.find(n) != std::string_view::npos;
}

TEST(KeyStore, RoundTripAndSingleKeyset) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto iccid = make_iccid(1);
  const auto k = sample_keys(0x10);
  ASSERT_TRUE(st->keys().put(iccid, k).ok());
  auto got = st->keys().get(iccid);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_TRUE(*got == k);
  auto ks = st->keys().get_keyset(iccid, 2);
  ASSERT_TRUE(ks.ok());
  EXPECT_TRUE(*ks == k.keysets.at(2));
  auto none = st->keys().get_keyset(iccid, 3);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, make_error_code(errc::not_found));
  EXPECT_EQ(st->keys().get(make_iccid(2)).error().code, make_error_code(errc::not_found));
}

TEST(KeyStore, ReplacingDropsKeysetsNoLongerPresent) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto iccid = make_iccid(1);
  ASSERT_TRUE(st->keys().put(iccid, sample_keys(1)).ok());
  auto k = sample_keys(5);
  k.keysets.erase(2);
  ASSERT_TRUE(st->keys().put(iccid, k).ok());
  auto got = st->keys().get(iccid);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(*got == k);
  EXPECT_FALSE(st->keys().get_keyset(iccid, 2).ok());
}

TEST(KeyStore, NoKeyBytesInTheColumnFamilyOrOnDisk) {
  temp_dir d;
  const auto k = sample_keys(0x5A);
  {
    auto st = open_state(d.path());
    ASSERT_TRUE(st->keys().put(make_iccid(9), k).ok());
    auto it = st->database().iterate(column::keys);
    int rows = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++rows) {
      const auto v = it->value().ToStringView();
      EXPECT_FALSE(contains(v, k.ki.view()));
      EXPECT_FALSE(contains(v, k.keysets.at(2).kic.view()));
      EXPECT_FALSE(contains(v, k.keysets.at(2).kik.view()));
    }
    EXPECT_EQ(rows, 3);  // Ki/OPc row + two keysets
    ASSERT_TRUE(st->database().flush().ok());
  }
  // WAL, SST and manifest files: none holds a key in clear.
  for (const auto& e : std::filesystem::recursive_directory_iterator(d.path())) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const secret* s : {&k.ki, &k.opc, &k.keysets.at(1).kid, &k.keysets.at(2).kic,
                            &k.keysets.at(2).kid, &k.keysets.at(2).kik}) {
      EXPECT_FALSE(contains(data, s->view())) << e.path();
    }
  }
}

TEST(KeyStore, ValueMovedToAnotherCardOrKeysetFailsToOpen) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto a = make_iccid(1), b = make_iccid(2);
  ASSERT_TRUE(st->keys().put(a, sample_keys(1)).ok());
  ASSERT_TRUE(st->keys().put(b, sample_keys(2)).ok());
  auto& db = st->database();
  auto va = db.get(column::keys, key_store::keyset_row(a, 1));
  ASSERT_TRUE(va.ok() && va->has_value());

  // Card A's keyset 1 value copied over card B's keyset 1.
  rocksdb::WriteBatch w;
  w.Put(db.handle(column::keys), key_store::keyset_row(b, 1), **va);
  // ... and over card A's own keyset 2.
  w.Put(db.handle(column::keys), key_store::keyset_row(a, 2), **va);
  ASSERT_TRUE(db.commit(w, false).ok());

  auto swapped = st->keys().get_keyset(b, 1);
  ASSERT_FALSE(swapped.ok());
  EXPECT_EQ(swapped.error().code, make_error_code(errc::verification));
  EXPECT_NE(swapped.error().message.find(b), std::string::npos);
  EXPECT_EQ(st->keys().get_keyset(a, 2).error().code, make_error_code(errc::verification));
  EXPECT_EQ(st->keys().get(b).error().code, make_error_code(errc::verification));
  EXPECT_TRUE(st->keys().get_keyset(a, 1).ok());
}

TEST(KeyStore, ManyKeysetsInOneReadAnswerAsOneAtATime) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto a = make_iccid(1), b = make_iccid(2), c = make_iccid(3), none = make_iccid(4);
  ASSERT_TRUE(st->keys().put(a, sample_keys(1)).ok());
  ASSERT_TRUE(st->keys().put(b, sample_keys(7)).ok());
  ASSERT_TRUE(st->keys().put(c, sample_keys(9)).ok());
  // Card C's keyset 2 holds card A's sealed value: it must not open.
  auto& db = st->database();
  auto va = db.get(column::keys, key_store::keyset_row(a, 2));
  ASSERT_TRUE(va.ok() && va->has_value());
  rocksdb::WriteBatch w;
  w.Put(db.handle(column::keys), key_store::keyset_row(c, 2), **va);
  ASSERT_TRUE(db.commit(w, false).ok());

  const std::vector<std::pair<std::string_view, std::uint8_t>> wanted = {
      {b, 2}, {a, 1}, {c, 2}, {none, 1}, {a, 3}, {b, 1}, {a, 1}};
  const auto got = st->keys().get_keysets(wanted);
  ASSERT_EQ(got.size(), wanted.size());
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    const auto one = st->keys().get_keyset(wanted[i].first, wanted[i].second);
    ASSERT_EQ(got[i].ok(), one.ok()) << i;
    if (one.ok()) {
      EXPECT_TRUE(*got[i] == *one) << i;
    } else {
      EXPECT_EQ(got[i].error().code, one.error().code) << i;
      EXPECT_EQ(got[i].error().message, one.error().message) << i;
    }
  }
  EXPECT_TRUE(*got[0] == sample_keys(7).keysets.at(2));
  EXPECT_TRUE(*got[1] == sample_keys(1).keysets.at(1));
  EXPECT_EQ(got[2].error().code, make_error_code(errc::verification));
  EXPECT_EQ(got[3].error().code, make_error_code(errc::not_found));
  EXPECT_EQ(got[4].error().code, make_error_code(errc::not_found));
  EXPECT_TRUE(st->keys().get_keysets({}).empty());
}

TEST(KeyStore, KeysSurviveReopenWithTheSameKek) {
  temp_dir d;
  const auto k = sample_keys(3);
  {
    auto st = open_state(d.path());
    ASSERT_TRUE(st->keys().put(make_iccid(4), k).ok());
  }
  auto st = open_state(d.path());
  auto got = st->keys().get(make_iccid(4));
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(*got == k);
}

TEST(State, EraseCardRemovesRecordIndexesAndKeysButKeepsCounters) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto iccid = make_iccid(5);
  subscriber s{iccid, "001010000000005", "447700900005", {}, {1, 2}};
  ASSERT_TRUE(st->subscribers().put(s).ok());
  ASSERT_TRUE(st->keys().put(iccid, sample_keys(1)).ok());
  const counter_request req{iccid, 1};
  ASSERT_TRUE(st->counters().next({&req, 1}).ok());
  ASSERT_TRUE(st->erase_card(iccid).ok());
  EXPECT_FALSE(st->subscribers().get(iccid)->has_value());
  EXPECT_FALSE(st->subscribers().find_by_msisdn("447700900005")->has_value());
  EXPECT_FALSE(st->keys().get(iccid).ok());
  EXPECT_EQ(*st->counters().get(iccid, 1), 1u);
  EXPECT_EQ(st->erase_card(iccid).error().code, make_error_code(errc::not_found));
}

}  // namespace
}  // namespace otaflow::storage
