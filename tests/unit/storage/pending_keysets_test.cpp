// Pending OTA keysets of PUT KEY campaigns ('q' rows of the key store): sealed and bound to
// (card, campaign), listed without keys, committed as the card's keyset row (a new KVN keeps
// the old row, a rename drops it), dropped, erased with the card, invisible to get().

#include <gtest/gtest.h>

#include "storage_test_util.hpp"

namespace otaflow::storage {
namespace {

using test::make_iccid;
using test::open_state;
using test::temp_dir;

secret fill(std::uint8_t v) {
  return secret::from(bytes(16, v)).value();
}

card_keys vendor_keys() {
  card_keys k;
  k.ki = fill(0x11);
  k.opc = fill(0x22);
  k.keysets[1] = {fill(0x33), fill(0x44), fill(0x55)};
  return k;
}

pending_keyset new_keyset(std::uint8_t version, std::uint8_t replace) {
  pending_keyset p;
  p.version = version;
  p.replace = replace;
  p.from = 1;
  p.aes = true;
  p.keys = {fill(0xA1), fill(0xA2), fill(0xA3)};
  return p;
}

status stage(state& st, const std::string& iccid, const std::string& campaign,
             const pending_keyset& p) {
  rocksdb::WriteBatch b;
  OTAFLOW_TRY(st.keys().stage_pending_keyset(b, iccid, campaign, p));
  return st.database().commit(b, true);
}

TEST(PendingKeysets, StageListCommitKeepsTheOldKvn) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto iccid = make_iccid(1);
  ASSERT_TRUE(st->keys().put(iccid, vendor_keys()).ok());
  EXPECT_FALSE(st->keys().get_pending_keyset(iccid, "pk")->has_value());
  ASSERT_TRUE(stage(*st, iccid, "pk", new_keyset(2, 0)).ok());
  auto p = st->keys().get_pending_keyset(iccid, "pk");
  ASSERT_TRUE(p.ok() && p->has_value()) << (p.ok() ? "" : p.error().message);
  EXPECT_EQ(**p, new_keyset(2, 0));
  EXPECT_TRUE(*st->keys().has_pending_keyset(iccid, "pk"));
  EXPECT_FALSE(*st->keys().has_pending_keyset(iccid, "other"));
  // Listed without keys; the Ki/OPc pending list does not see it; get() ignores it.
  auto list = st->keys().list_pending_keysets(iccid);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0], (pending_keyset_info{"pk", 2, 0, 1, true}));
  EXPECT_TRUE(st->keys().list_pending(iccid)->empty());
  EXPECT_EQ(*st->keys().get(iccid), vendor_keys());
  EXPECT_FALSE(st->keys().get_keyset(iccid, 2).ok());

  rocksdb::WriteBatch b;
  ASSERT_TRUE(*st->keys().stage_commit_pending_keyset(b, iccid, "pk"));
  ASSERT_TRUE(st->database().commit(b, true).ok());
  auto ks2 = st->keys().get_keyset(iccid, 2);
  ASSERT_TRUE(ks2.ok());
  EXPECT_EQ(*ks2, new_keyset(2, 0).keys);
  EXPECT_EQ(*st->keys().get_keyset(iccid, 1), vendor_keys().keysets[1]);  // still on the card
  EXPECT_FALSE(st->keys().get_pending_keyset(iccid, "pk")->has_value());
  rocksdb::WriteBatch b2;
  EXPECT_FALSE(*st->keys().stage_commit_pending_keyset(b2, iccid, "pk"));
  EXPECT_FALSE(*st->keys().stage_drop_pending_keyset(b2, iccid, "pk"));
  EXPECT_EQ(b2.Count(), 0u);
}

TEST(PendingKeysets, ReplaceInPlaceAndRename) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto iccid = make_iccid(2);
  ASSERT_TRUE(st->keys().put(iccid, vendor_keys()).ok());
  ASSERT_TRUE(stage(*st, iccid, "inplace", new_keyset(1, 1)).ok());
  rocksdb::WriteBatch b;
  ASSERT_TRUE(*st->keys().stage_commit_pending_keyset(b, iccid, "inplace"));
  ASSERT_TRUE(st->database().commit(b, true).ok());
  EXPECT_EQ(*st->keys().get_keyset(iccid, 1), new_keyset(1, 1).keys);
  EXPECT_EQ(st->keys().get(iccid)->keysets.size(), 1u);
  // P1 = 1, new KVN 3: keyset 1 is gone from the card, so its row goes too.
  ASSERT_TRUE(stage(*st, iccid, "rename", new_keyset(3, 1)).ok());
  rocksdb::WriteBatch b2;
  ASSERT_TRUE(*st->keys().stage_commit_pending_keyset(b2, iccid, "rename"));
  ASSERT_TRUE(st->database().commit(b2, true).ok());
  EXPECT_FALSE(st->keys().get_keyset(iccid, 1).ok());
  EXPECT_TRUE(st->keys().get_keyset(iccid, 3).ok());
}

TEST(PendingKeysets, DropEraseAndBadInput) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto iccid = make_iccid(3);
  ASSERT_TRUE(st->keys().put(iccid, vendor_keys()).ok());
  ASSERT_TRUE(stage(*st, iccid, "a", new_keyset(2, 0)).ok());
  ASSERT_TRUE(stage(*st, iccid, "b", new_keyset(4, 0)).ok());
  rocksdb::WriteBatch b;
  ASSERT_TRUE(*st->keys().stage_drop_pending_keyset(b, iccid, "a"));
  ASSERT_TRUE(st->database().commit(b, true).ok());
  EXPECT_FALSE(*st->keys().has_pending_keyset(iccid, "a"));
  EXPECT_EQ(st->keys().list_pending_keysets(iccid)->size(), 1u);
  // A re-import keeps campaign bookkeeping; erasing the card drops it.
  ASSERT_TRUE(st->keys().put(iccid, vendor_keys()).ok());
  EXPECT_TRUE(*st->keys().has_pending_keyset(iccid, "b"));
  rocksdb::WriteBatch e;
  ASSERT_TRUE(st->keys().stage_erase(e, iccid).ok());
  ASSERT_TRUE(st->database().commit(e, true).ok());
  EXPECT_FALSE(*st->keys().has_pending_keyset(iccid, "b"));

  rocksdb::WriteBatch bad;
  auto ks = new_keyset(16, 0);
  auto st16 = st->keys().stage_pending_keyset(bad, iccid, "x", ks);
  ASSERT_FALSE(st16.ok());
  EXPECT_NE(st16.error().message.find("key versions 16/0/1 outside 1-15"), std::string::npos)
      << st16.error().message;
  ks = new_keyset(2, 0);
  ks.keys.kik = secret::from(bytes(8, 1)).value();
  auto short_key = st->keys().stage_pending_keyset(bad, iccid, "x", ks);
  ASSERT_FALSE(short_key.ok());
  EXPECT_NE(short_key.error().message.find("a key of 8 octets"), std::string::npos);
  ks.keys.kik = fill(1);
  ks.first_key_id = 3;
  ks.count = 2;
  EXPECT_FALSE(st->keys().stage_pending_keyset(bad, iccid, "x", ks).ok());
  EXPECT_FALSE(st->keys().stage_pending_keyset(bad, iccid, "", new_keyset(2, 0)).ok());
  EXPECT_EQ(bad.Count(), 0u);
}

}  // namespace
}  // namespace otaflow::storage
