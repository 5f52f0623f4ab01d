// The files the engine knows (card_files family) and the `skipped` job state of campaigns
// with update variants: codec round trip and truncation, put/get, and counts per variant.

#include "storage/card_file_store.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "tests/unit/storage/storage_test_util.hpp"

namespace otaflow::storage {
namespace {

using test::make_iccid;
using test::temp_dir;

TEST(CardFiles, EncodingIsTheDocumentedLayout) {
  known_file f{2, hex("00F110"), "c1", 300};
  // 01 · varint 2 · varint 3 · 00F110 · str "c1" · varint 300 (AC 02).
  EXPECT_EQ(to_hex(card_file_store::encode(f)), "01020300f110026331ac02");
  EXPECT_EQ(card_file_store::row_key("8988", "3F00/6F07"), std::string("8988\0"
                                                                       "3F00/6F07",
                                                                       14));
}

RC_GTEST_PROP(CardFiles, RoundTripAndTruncation,
              (std::uint16_t offset, std::vector<std::uint8_t> data, std::string campaign,
               std::uint32_t t)) {
  known_file f{offset, data, campaign, t};
  const auto enc = card_file_store::encode(f);
  auto d = card_file_store::decode(enc);
  RC_ASSERT(d.ok());
  RC_ASSERT(*d == f);
  for (std::size_t cut = 0; cut < enc.size(); ++cut) {
    RC_ASSERT(!card_file_store::decode(byte_view(enc).first(cut)).ok());
  }
}

TEST(CardFiles, PutGetAndLastWriteWins) {
  temp_dir d;
  auto st = test::open_state(d.path());
  ASSERT_TRUE(st);
  const auto iccid = make_iccid(7);
  auto none = st->card_files().get(iccid, "3F00/7FFF/6F7B");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(st->card_files().put(iccid, "3F00/7FFF/6F7B", {0, hex("00F110"), "a", 1}).ok());
  ASSERT_TRUE(st->card_files().put(iccid, "3F00/7FFF/6F7B", {0, hex("00F120"), "b", 2}).ok());
  ASSERT_TRUE(st->card_files().put(iccid, "3F00/7FFF/6F31", {0, hex("05"), "b", 2}).ok());
  auto f = st->card_files().get(iccid, "3F00/7FFF/6F7B");
  ASSERT_TRUE(f.ok() && f->has_value());
  EXPECT_EQ((*f)->data, hex("00F120"));
  EXPECT_EQ((*f)->campaign, "b");
  // Another card's file is another row.
  auto other = st->card_files().get(make_iccid(8), "3F00/7FFF/6F7B");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());
  EXPECT_FALSE(st->card_files().put("", "3F00", {}).ok());
}

TEST(CardFiles, SkippedIsATerminalStateCountedPerVariant) {
  EXPECT_TRUE(is_terminal(job_state::skipped));
  EXPECT_EQ(to_string(job_state::skipped), "skipped");
  EXPECT_EQ(model::job_state_from_string("skipped"), job_state::skipped);
  temp_dir d;
  auto st = test::open_state(d.path());
  ASSERT_TRUE(st);
  std::vector<job_update> ups;
  auto add = [&](std::uint64_t serial, job_state s, std::string variant) {
    job_record r;
    r.state = s;
    r.variant = std::move(variant);
    ups.push_back({"c", make_iccid(serial), r});
  };
  add(1, job_state::done, "a");
  add(2, job_state::done, "a");
  add(3, job_state::skipped, "a");
  add(4, job_state::failed, "b");
  add(5, job_state::skipped, "");
  add(6, job_state::accepted, "b");
  ASSERT_TRUE(st->jobs().commit(ups, {}, st->audit(), false).ok());
  auto v = st->jobs().count_by_variant("c");
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->size(), 3u);
  EXPECT_EQ(v->at("a").at(job_state::done), 2u);
  EXPECT_EQ(v->at("a").at(job_state::skipped), 1u);
  EXPECT_EQ(v->at("b").at(job_state::failed), 1u);
  EXPECT_EQ(v->at("b").at(job_state::accepted), 1u);
  EXPECT_EQ(v->at("").at(job_state::skipped), 1u);
  auto s = st->jobs().count_by_state("c");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->at(job_state::skipped), 2u);
  auto again = st->jobs().get("c", make_iccid(3));
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->state, job_state::skipped);
}

}  // namespace
}  // namespace otaflow::storage
