// Key rotation bookkeeping of the key store: a campaign's pending Ki/OPc per card, sealed and
// bound to (card, campaign); committed to the card's Ki/OPc or dropped; the issued key-file
// sequence that never goes back (re-import, erase_card).

#include <gtest/gtest.h>

#include "storage_test_util.hpp"

namespace otaflow::storage {
namespace {

using test::make_iccid;
using test::open_state;
using test::temp_dir;

card_keys vendor_keys() {
  card_keys k;
  k.ki = secret::from(bytes(16, 0x11)).value();
  k.opc = secret::from(bytes(16, 0x22)).value();
  k.keysets[1] = {secret::from(bytes(16, 0x33)).value(), secret::from(bytes(16, 0x44)).value(),
                  secret::from(bytes(16, 0x55)).value()};
  return k;
}

pending_auth_keys new_keys(std::uint8_t fill, std::uint32_t seq) {
  pending_auth_keys p;
  p.ki = secret::from(bytes(16, fill)).value();
  p.opc = secret::from(bytes(16, static_cast<std::uint8_t>(fill + 1))).value();
  p.sequence = seq;
  return p;
}

status stage(state& st, const std::string& iccid, const std::string& campaign,
             const pending_auth_keys& p) {
  rocksdb::WriteBatch b;
  OTAFLOW_TRY(st.keys().stage_pending(b, iccid, campaign, p));
  return st.database().commit(b, true);
}

TEST(PendingKeys, StageGetCommit) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto iccid = make_iccid(1);
  ASSERT_TRUE(st->keys().put(iccid, vendor_keys()).ok());
  EXPECT_EQ(*st->keys().issued_sequence(iccid), 0u);
  EXPECT_FALSE(st->keys().get_pending(iccid, "rot")->has_value());

  ASSERT_TRUE(stage(*st, iccid, "rot", new_keys(0xA0, 1)).ok());
  auto p = st->keys().get_pending(iccid, "rot");
  ASSERT_TRUE(p.ok() && p->has_value());
  EXPECT_EQ(**p, new_keys(0xA0, 1));
  EXPECT_EQ(*st->keys().issued_sequence(iccid), 1u);
  EXPECT_FALSE(st->keys().get_pending(iccid, "other")->has_value());
  // The keys in force are still the vendor's; get() ignores the bookkeeping rows.
  auto cur = st->keys().get(iccid);
  ASSERT_TRUE(cur.ok()) << cur.error().message;
  EXPECT_EQ(*cur, vendor_keys());

  rocksdb::WriteBatch b;
  auto committed = st->keys().stage_commit_pending(b, iccid, "rot");
  ASSERT_TRUE(committed.ok());
  EXPECT_TRUE(*committed);
  ASSERT_TRUE(st->database().commit(b, true).ok());
  cur = st->keys().get(iccid);
  ASSERT_TRUE(cur.ok());
  EXPECT_EQ(cur->ki, new_keys(0xA0, 1).ki);
  EXPECT_EQ(cur->opc, new_keys(0xA0, 1).opc);
  EXPECT_EQ(cur->keysets, vendor_keys().keysets);
  EXPECT_FALSE(st->keys().get_pending(iccid, "rot")->has_value());
  EXPECT_EQ(*st->keys().issued_sequence(iccid), 1u);
  // Nothing pending any more: nothing to commit or drop.
  rocksdb::WriteBatch b2;
  EXPECT_FALSE(*st->keys().stage_commit_pending(b2, iccid, "rot"));
  EXPECT_FALSE(*st->keys().stage_drop_pending(b2, iccid, "rot"));
  EXPECT_EQ(b2.Count(), 0u);
}

// What operators see of pending rotations (`otaflow subscribers keys`): campaign and sequence
// of each, only this card's, never the keys; has_pending() answers without opening the row.
TEST(PendingKeys, ListAndHasPending) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto iccid = make_iccid(1), other = make_iccid(2);
  ASSERT_TRUE(st->keys().put(iccid, vendor_keys()).ok());
  ASSERT_TRUE(st->keys().put(other, vendor_keys()).ok());
  EXPECT_TRUE(st->keys().list_pending(iccid)->empty());
  EXPECT_FALSE(*st->keys().has_pending(iccid, "rot-b"));
  ASSERT_TRUE(stage(*st, iccid, "rot-b", new_keys(0xA0, 1)).ok());
  ASSERT_TRUE(stage(*st, iccid, "rot-a", new_keys(0xB0, 2)).ok());
  ASSERT_TRUE(stage(*st, other, "rot-c", new_keys(0xC0, 1)).ok());
  auto l = st->keys().list_pending(iccid);
  ASSERT_TRUE(l.ok()) << l.error().message;
  EXPECT_EQ(*l, (std::vector<pending_rotation>{{"rot-a", 2}, {"rot-b", 1}}));
  EXPECT_TRUE(*st->keys().has_pending(iccid, "rot-b"));
  EXPECT_FALSE(*st->keys().has_pending(iccid, "rot-c"));
  rocksdb::WriteBatch b;
  ASSERT_TRUE(*st->keys().stage_drop_pending(b, iccid, "rot-a"));
  ASSERT_TRUE(st->database().commit(b, true).ok());
  EXPECT_EQ(*st->keys().list_pending(iccid), (std::vector<pending_rotation>{{"rot-b", 1}}));
  EXPECT_EQ(*st->keys().list_pending(other), (std::vector<pending_rotation>{{"rot-c", 1}}));
}

TEST(PendingKeys, DropKeepsTheKeysInForceAndTheSequence) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto iccid = make_iccid(2);
  ASSERT_TRUE(st->keys().put(iccid, vendor_keys()).ok());
  ASSERT_TRUE(stage(*st, iccid, "rot", new_keys(0xB0, 4)).ok());
  rocksdb::WriteBatch b;
  EXPECT_TRUE(*st->keys().stage_drop_pending(b, iccid, "rot"));
  ASSERT_TRUE(st->database().commit(b, true).ok());
  EXPECT_FALSE(st->keys().get_pending(iccid, "rot")->has_value());
  EXPECT_EQ(*st->keys().get(iccid), vendor_keys());
  EXPECT_EQ(*st->keys().issued_sequence(iccid), 4u);
}

TEST(PendingKeys, ReimportAndEraseKeepTheIssuedSequence) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto iccid = make_iccid(3);
  ASSERT_TRUE(st->keys().put(iccid, vendor_keys()).ok());
  ASSERT_TRUE(stage(*st, iccid, "rot", new_keys(0xC0, 9)).ok());
  // A re-import replaces the vendor keys but keeps the campaign's pending keys.
  ASSERT_TRUE(st->keys().put(iccid, vendor_keys()).ok());
  EXPECT_TRUE(st->keys().get_pending(iccid, "rot")->has_value());
  EXPECT_EQ(*st->keys().issued_sequence(iccid), 9u);
  // Erasing the card drops every key, pending ones too, but not the sequence.
  rocksdb::WriteBatch b;
  ASSERT_TRUE(st->keys().stage_erase(b, iccid).ok());
  ASSERT_TRUE(st->database().commit(b, true).ok());
  EXPECT_FALSE(st->keys().get_pending(iccid, "rot")->has_value());
  EXPECT_EQ(st->keys().get(iccid).error().code, make_error_code(errc::not_found));
  EXPECT_EQ(*st->keys().issued_sequence(iccid), 9u);
}

TEST(PendingKeys, SealedAndBoundToCardAndCampaign) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto a = make_iccid(4);
  const auto b = make_iccid(5);
  const auto p = new_keys(0xD0, 1);
  ASSERT_TRUE(stage(*st, a, "rot", p).ok());
  // Not in clear.
  auto raw = st->database().get(column::keys, key_store::pending_row(a, "rot"));
  ASSERT_TRUE(raw.ok() && raw->has_value());
  const std::string_view ki(reinterpret_cast<const char*>(p.ki.view().data()), 16);
  EXPECT_EQ((*raw)->find(ki), std::string::npos);
  // Copied to another campaign's or card's row: fails to open.
  rocksdb::WriteBatch w;
  w.Put(st->database().handle(column::keys), key_store::pending_row(a, "rot2"), **raw);
  w.Put(st->database().handle(column::keys), key_store::pending_row(b, "rot"), **raw);
  ASSERT_TRUE(st->database().commit(w, true).ok());
  EXPECT_EQ(st->keys().get_pending(a, "rot2").error().code, make_error_code(errc::verification));
  EXPECT_EQ(st->keys().get_pending(b, "rot").error().code, make_error_code(errc::verification));
}

TEST(PendingKeys, BadArguments) {
  temp_dir d;
  auto st = open_state(d.path());
  rocksdb::WriteBatch b;
  EXPECT_FALSE(st->keys().stage_pending(b, make_iccid(6), "", new_keys(1, 1)).ok());
  EXPECT_FALSE(st->keys().stage_pending(b, "", "rot", new_keys(1, 1)).ok());
  EXPECT_FALSE(st->keys().stage_pending(b, make_iccid(6), "rot", new_keys(1, 0)).ok());
  EXPECT_EQ(key_store::pending_row("89", "c"), std::string("89\0pc", 5));
  EXPECT_EQ(key_store::sequence_row("89"), std::string("89\0s", 4));
}

}  // namespace
}  // namespace otaflow::storage
