// The persisted state of a card: its binary form (round trips, a truncation for every
// field), the overlay of changed files and the dirty mark.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "sim/uicc_card.hpp"
#include "uicc_test_util.hpp"

namespace otaflow::sim {
namespace {

card_state full_state() {
  card_state s;
  s.set_file(file_key(0x7FFF, 0x6F7B), hex("42f618ffffffffffffffffff"));
  s.set_file(file_key(0x3F00, 0x2F05), hex("656e"));
  s.set_counter(1, 5);
  s.set_counter(3, 0xFFFFFFFFFF);
  s.set_last_por_status(0x02);
  s.set_rotated_keys(test::k16(test::set1_k), test::k16(test::set1_opc), 9);
  s.set_sqn_ms(0xff9bb4d0b607);
  return s;
}

TEST(uicc_card, state_encoding_is_fixed) {
  const card_state s = full_state();
  EXPECT_EQ(to_hex(s.encode()),
            "01"  // version
            "03"  // flags: last PoR, rotated keys
            "02"  // last PoR status
            "465b5ce8b199b49faa5f0a2ee238a6bc"
            "cd63cb71954a9f4e48a5994e37a02baf"
            "00000009"      // key file sequence
            "ff9bb4d0b607"  // SQN_MS
            "02"
            "010000000005"
            "03ffffffffff"
            "0002"
            "3f002f05"
            "0002"
            "656e"
            "7fff6f7b"
            "000c"
            "42f618ffffffffffffffffff");
  EXPECT_EQ(to_hex(card_state{}.encode()),
            "0100"
            "00000000"
            "000000000000"
            "00"
            "0000");
}

TEST(uicc_card, state_round_trips) {
  const card_state s = full_state();
  auto d = card_state::decode(s.encode());
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->encode(), s.encode());
  EXPECT_FALSE(d->dirty());
  EXPECT_EQ(d->counter(3), 0xFFFFFFFFFFu);
  EXPECT_EQ(d->counter(2), 0u);
  EXPECT_EQ(d->last_por_status(), 0x02);
  EXPECT_EQ(d->key_file_sequence(), 9u);
  ASSERT_NE(d->file(file_key(0x7FFF, 0x6F7B)), nullptr);
  EXPECT_EQ(d->file(file_key(0x7FFF, 0x6F07)), nullptr);
}

TEST(uicc_card, every_truncation_is_an_error) {
  const bytes b = full_state().encode();
  for (std::size_t n = 0; n < b.size(); ++n) {
    auto d = card_state::decode(byte_view(b).first(n));
    EXPECT_FALSE(d.ok()) << n;
  }
  bytes longer = b;
  longer.push_back(0);
  EXPECT_FALSE(card_state::decode(longer).ok());
  bytes v2 = b;
  v2[0] = 2;
  EXPECT_EQ(card_state::decode(v2).error().code, make_error_code(errc::unsupported));
  bytes flags = b;
  flags[1] = 0x07;
  EXPECT_FALSE(card_state::decode(flags).ok());
}

TEST(uicc_card, dirty_only_on_change) {
  card_state s;
  EXPECT_TRUE(s.pristine());
  s.set_counter(1, 0);
  EXPECT_TRUE(s.dirty());
  s.clear_dirty();
  s.set_counter(1, 0);
  EXPECT_FALSE(s.dirty());
  s.set_file(1, hex("00"));
  s.clear_dirty();
  s.set_file(1, hex("00"));
  EXPECT_FALSE(s.dirty());
  s.erase_file(2);
  EXPECT_FALSE(s.dirty());
  s.erase_file(1);
  EXPECT_TRUE(s.dirty());
}

TEST(uicc_card, rotated_keys_replace_the_personalised_ones) {
  uicc_data d(test::test_identity(), {});
  EXPECT_EQ(to_hex(d.ki()), "000102030405060708090a0b0c0d0e0f");
  d.state().set_rotated_keys(test::k16(test::set1_k), test::k16(test::set1_opc), 1);
  EXPECT_EQ(to_hex(d.ki()), "465b5ce8b199b49faa5f0a2ee238a6bc");
  EXPECT_EQ(to_hex(d.opc()), "cd63cb71954a9f4e48a5994e37a02baf");
}

TEST(uicc_card, file_paths) {
  EXPECT_EQ(file_path_text(file_key(0x3F00, 0x2FE2)), "3F00/2FE2");
  EXPECT_EQ(file_path_text(file_key(0x7FFF, 0x6F07)), "3F00/7FFF/6F07");
  EXPECT_STREQ(file_name(file_key(0x7FFF, 0x6F07)), "EF.IMSI");
  EXPECT_STREQ(file_name(file_key(0x7FFF, 0x1234)), "?");
}

RC_GTEST_PROP(uicc_card, any_state_round_trips, ()) {
  card_state s;
  const auto nfiles = *rc::gen::inRange<int>(0, 6);
  for (int i = 0; i < nfiles; ++i)
    s.set_file(*rc::gen::arbitrary<std::uint32_t>(),
               *rc::gen::container<bytes>(*rc::gen::inRange<std::size_t>(0, 200),
                                          rc::gen::arbitrary<std::uint8_t>()));
  const auto nc = *rc::gen::inRange<int>(0, 5);
  for (int i = 0; i < nc; ++i)
    s.set_counter(*rc::gen::inRange<std::uint8_t>(0, 16),
                  *rc::gen::inRange<std::uint64_t>(0, 0xFFFFFFFFFFULL));
  if (*rc::gen::arbitrary<bool>()) s.set_last_por_status(*rc::gen::arbitrary<std::uint8_t>());
  if (*rc::gen::arbitrary<bool>()) s.set_sqn_ms(*rc::gen::inRange<std::uint64_t>(0, 1ULL << 48));
  auto d = card_state::decode(s.encode());
  RC_ASSERT(d.ok());
  RC_ASSERT(d->encode() == s.encode());
}

}  // namespace
}  // namespace otaflow::sim
