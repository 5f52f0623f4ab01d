// The ISD's PUT KEY (sim/card_isd_put_key.hpp) on the test card's keysets: KCVs and wrapped
// keys hand-checked with the openssl CLI (`openssl enc -aes-128-ecb -nopad` of 16 x 01 for an
// AES KCV, `-des-ede-ecb` of 8 x 00 for a DES one), every refusal with its status word, the
// keysets in the card state across encode/decode, and a PUT KEY through a real SCP80 packet
// whose PoR comes under the old keyset while the next packet needs the new one.

#include <gtest/gtest.h>

#include "codec/gp_put_key.hpp"
#include "secure/gp_key.hpp"
#include "sim/card_isd_put_key.hpp"
#include "sim/ota_card.hpp"
#include "sim/ota_rfm.hpp"
#include "uicc_test_util.hpp"

namespace otaflow::sim {
namespace {

const bytes k11 = hex("11111111111111111111111111111111");
const bytes k22 = hex("22222222222222222222222222222222");
const bytes k33 = hex("33333333333333333333333333333333");
const bytes des_key = hex("0123456789abcdeffedcba9876543210");

codec::command_apdu put_key(secure::gp_key_kind kind, std::uint8_t replace, std::uint8_t kvn,
                            byte_view kik, std::vector<byte_view> keys, std::uint8_t first = 1) {
  secure::gp_put_key_request r;
  r.kind = kind;
  r.new_kvn = kvn;
  r.replace_kvn = replace;
  r.first_key_id = first;
  r.kik = kik;
  r.keys = std::move(keys);
  auto a = secure::gp_put_key(r);
  EXPECT_TRUE(a.ok()) << a.error().message;
  return *a;
}

std::vector<ota_keyset> card_keysets() {
  return test::test_identity().keysets;
}

const ota_keyset* find(const std::vector<ota_keyset>& s, std::uint8_t v) {
  for (const auto& k : s)
    if (k.version == v) return &k;
  return nullptr;
}

TEST(card_isd_put_key, adds_an_aes_keyset_and_answers_kvn_and_kcvs) {
  auto sets = card_keysets();
  const auto cmd = put_key(secure::gp_key_kind::aes, 0, 4, test::ks1_kik, {k11, k22, k33});
  // AES-ECB(KIK 000102..0f, 16 x 11) = 35d14e6d...; key ids 1..3 (P2 81: several keys).
  EXPECT_EQ(cmd.p1, 0x00);
  EXPECT_EQ(cmd.p2, 0x81);
  EXPECT_EQ(to_hex(bytes(cmd.data.begin(), cmd.data.begin() + 20)),
            "0488111035d14e6d3e3a279cf01e343e34e7ded3");
  auto r = isd_put_key(sets, 1, cmd);
  EXPECT_EQ(r.sw, 0x9000);
  EXPECT_EQ(to_hex(r.data), "04098542c655915f8af9");
  ASSERT_NE(find(sets, 4), nullptr);
  EXPECT_EQ(find(sets, 4)->kic, k11);
  EXPECT_EQ(find(sets, 4)->kid, k22);
  EXPECT_EQ(find(sets, 4)->kik, k33);
  ASSERT_NE(find(sets, 1), nullptr);  // the keyset it came under stays
  EXPECT_EQ(find(sets, 1)->kic, test::ks1_kic);
}

TEST(card_isd_put_key, replaces_a_des_key_in_place_and_keeps_the_others) {
  auto sets = card_keysets();
  // Only KID (P2 = 02: one key), keyset 1 replaced in place (P1 = 01).
  const auto cmd = put_key(secure::gp_key_kind::des, 1, 1, test::ks1_kik, {des_key}, 2);
  EXPECT_EQ(cmd.p1, 0x01);
  EXPECT_EQ(cmd.p2, 0x02);
  auto r = isd_put_key(sets, 1, cmd);
  EXPECT_EQ(r.sw, 0x9000);
  EXPECT_EQ(to_hex(r.data), "0108d7b4");  // the DES KCV of 0123..3210 is 08D7B4
  ASSERT_NE(find(sets, 1), nullptr);
  EXPECT_EQ(find(sets, 1)->kic, test::ks1_kic);
  EXPECT_EQ(find(sets, 1)->kid, des_key);
  EXPECT_EQ(find(sets, 1)->kik, test::ks1_kik);
  EXPECT_EQ(sets.size(), 3u);
}

TEST(card_isd_put_key, refusals_leave_the_keysets_as_they_were) {
  const auto before = card_keysets();
  auto sets = before;
  auto same = [&] {
    ASSERT_EQ(sets.size(), before.size());
    for (std::size_t i = 0; i < sets.size(); ++i) {
      EXPECT_EQ(sets[i].version, before[i].version);
      EXPECT_EQ(sets[i].kic, before[i].kic);
      EXPECT_EQ(sets[i].kid, before[i].kid);
      EXPECT_EQ(sets[i].kik, before[i].kik);
    }
  };
  // A wrong KCV in the command: the key did not arrive as sent.
  auto bad_kcv = put_key(secure::gp_key_kind::aes, 0, 4, test::ks1_kik, {k11, k22, k33});
  bad_kcv.data[19 + 2] ^= 0x01;  // first key's KCV (after 88 11 10 <16> 03)
  EXPECT_EQ(isd_put_key(sets, 1, bad_kcv).sw, 0x6A80);
  same();
  // Wrapped under another KIK than the session keyset's: the KCV check fails.
  EXPECT_EQ(
      isd_put_key(sets, 1, put_key(secure::gp_key_kind::aes, 0, 4, test::ks2_kik, {k11, k22, k33}))
          .sw,
      0x6A80);
  // A new keyset whose version exists; a replaced version that does not; fewer than 3 keys new.
  EXPECT_EQ(
      isd_put_key(sets, 1, put_key(secure::gp_key_kind::aes, 0, 2, test::ks1_kik, {k11, k22, k33}))
          .sw,
      0x6A80);
  EXPECT_EQ(
      isd_put_key(sets, 1, put_key(secure::gp_key_kind::aes, 7, 7, test::ks1_kik, {k11, k22, k33}))
          .sw,
      0x6A88);
  EXPECT_EQ(isd_put_key(sets, 1, put_key(secure::gp_key_kind::aes, 0, 4, test::ks1_kik, {k11})).sw,
            0x6A80);
  // Key ids beyond KIK (first id 3 and two keys); a session keyset the card lacks; P1 b8.
  EXPECT_EQ(
      isd_put_key(sets, 1, put_key(secure::gp_key_kind::aes, 1, 1, test::ks1_kik, {k11, k22}, 3))
          .sw,
      0x6A80);
  EXPECT_EQ(
      isd_put_key(sets, 9, put_key(secure::gp_key_kind::aes, 0, 4, test::ks1_kik, {k11, k22, k33}))
          .sw,
      0x6985);
  auto more = put_key(secure::gp_key_kind::aes, 0, 4, test::ks1_kik, {k11, k22, k33});
  more.p1 |= 0x80;
  EXPECT_EQ(isd_put_key(sets, 1, more).sw, 0x6A86);
  same();
}

TEST(card_isd_put_key, keysets_survive_the_card_state_encoding) {
  card_state st;
  auto sets = card_keysets();
  ASSERT_EQ(
      isd_put_key(sets, 1, put_key(secure::gp_key_kind::aes, 0, 4, test::ks1_kik, {k11, k22, k33}))
          .sw,
      0x9000);
  st.set_keysets(sets);
  EXPECT_FALSE(st.pristine());
  auto back = card_state::decode(st.encode());
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_TRUE(back->keysets().has_value());
  uicc_data card(test::test_identity(), std::move(*back));
  ASSERT_NE(card.keyset(4), nullptr);
  EXPECT_EQ(card.keyset(4)->kid, k22);
  EXPECT_EQ(card.keyset(1)->kic, test::ks1_kic);
  // A state without keysets still decodes to the personalised ones.
  auto plain = card_state::decode(card_state{}.encode());
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->keysets().has_value());
}

TEST(card_isd_put_key, ram_script_replaces_the_keyset_the_card_uses_next) {
  const card_profile profile = default_card_profile();
  const tar_application& ram = *profile.find(0x000000);
  uicc_data card(test::test_identity(), {});
  const auto cmd = put_key(secure::gp_key_kind::aes, 1, 1, test::ks1_kik, {k11, k22, k33});
  bytes script{0x80, 0xD8, cmd.p1, cmd.p2, static_cast<std::uint8_t>(cmd.data.size())};
  script.insert(script.end(), cmd.data.begin(), cmd.data.end());
  // Compact response: 1 command, SW 9000, then the response data (KVN || 3 KCVs).
  EXPECT_EQ(to_hex(run_remote_script(card, profile, ram, script, 1)), "01900001098542c655915f8af9");
  ASSERT_NE(card.keyset(1), nullptr);
  EXPECT_EQ(card.keyset(1)->kic, k11);
  EXPECT_TRUE(card.state().dirty());
  // Without the session keyset (0), PUT KEY is refused and nothing changes.
  uicc_data other(test::test_identity(), {});
  EXPECT_EQ(to_hex(run_remote_script(other, profile, ram, script, 0)), "016985");
  EXPECT_EQ(other.keyset(1)->kic, test::ks1_kic);
}

}  // namespace
}  // namespace otaflow::sim
