// Ki/OPc rotation over OTA (docs/formats/key-rotation-file.md): an UPDATE BINARY of the key
// file with a blob wrapped under the card's KIK changes the keys AUTHENTICATE uses. Checked
// with TS 35.208 Test Set 1 (docs/standards/milenage-suci.md §1), installed by the rotation.

#include <gtest/gtest.h>

#include "codec/iso7816_apdu.hpp"
#include "codec/otaflow_keyfile.hpp"
#include "codec/ts102226_script.hpp"
#include "secure/key_rotation.hpp"
#include "secure/milenage.hpp"
#include "sim/ota_card.hpp"
#include "uicc_test_util.hpp"

namespace otaflow::sim {
namespace {

namespace tp = codec::tpdu;
using codec::command_apdu;

// TS 35.208 Test Set 1: RAND, and AUTN = (SQN ff9bb4d0b607 xor AK aa689c648370) || AMF b9b9
// || MAC-A 4a9ffac354dfafb3.
const bytes set1_rand = hex("23553cbe9637a89d218ae64dae47bf35");
const bytes set1_autn = hex("55f328b43577b9b94a9ffac354dfafb3");

bytes auth_data(const bytes& rand, const bytes& autn) {
  bytes d{0x10};
  d.insert(d.end(), rand.begin(), rand.end());
  d.push_back(0x10);
  d.insert(d.end(), autn.begin(), autn.end());
  return d;
}

/// AUTHENTICATE through the handset's session with the T=0 GET RESPONSE.
codec::response_apdu authenticate(virtual_card& card, const bytes& rand, const bytes& autn) {
  (void)card.transmit(command_apdu{0x00, 0xA4, 0x00, 0x0C, hex("7fff"), {}});
  auto r = card.transmit(command_apdu{0x00, 0x88, 0x00, 0x81, auth_data(rand, autn), {}});
  if (r.sw1() != 0x61) return r;
  return card.transmit(command_apdu{0x00, 0xC0, 0x00, 0x00, {}, r.sw2()});
}

bytes key_file(std::uint8_t kik_index, std::uint32_t sequence, const bytes& kik) {
  codec::keyfile::header h;
  h.kik_index = kik_index;
  h.sequence = sequence;
  secure::subscriber_keys k;
  std::copy(test::set1_k.begin(), test::set1_k.end(), k.ki.begin());
  std::copy(test::set1_opc.begin(), test::set1_opc.end(), k.opc.begin());
  auto img = secure::seal_key_file(kik, h, k);
  return img ? *img : bytes{};
}

/// The compact response of an OTA UPDATE BINARY of the key file.
std::string rotate_over_ota(virtual_card& card, const bytes& image, std::uint64_t counter) {
  bytes script =
      hex("00a4080c047f666f01"
          "00d6000040");
  script.insert(script.end(), image.begin(), image.end());
  mt_outcome last;
  for (const auto& sm :
       test::command_sms(test::command_packet(0x1619, 0x15, 0xB00010, counter, script)))
    last = card.receive_sms(sm);
  auto rep = tp::decode_deliver_report(last.deliver_report_tpdu, false);
  if (!rep.ok() || !rep->ud) return "no PoR";
  auto pkt = codec::response_from_tp_ud(*rep->ud);
  if (!pkt.ok()) return "bad PoR";
  auto r = secure::open_response(*pkt, test::por_security(0x1619, 0x15));
  if (!r.ok()) return r.error().message;
  return to_hex(r->data);
}

TEST(ota_key_rotation, rotation_then_authenticate_with_ts35208_set1) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  // The personalised keys are not Test Set 1: MAC-A does not verify.
  EXPECT_EQ(authenticate(card, set1_rand, set1_autn).sw, 0x9862);

  const bytes image = key_file(1, 1, test::ks1_kik);
  ASSERT_EQ(image.size(), 64u);
  EXPECT_EQ(rotate_over_ota(card, image, 1), "029000");
  EXPECT_TRUE(card.data().state().rotated_keys().has_value());
  EXPECT_EQ(card.data().state().key_file_sequence(), 1u);

  auto r = authenticate(card, set1_rand, set1_autn);
  ASSERT_EQ(r.sw, 0x9000);
  // DB 08 RES 10 CK 10 IK with f2, f3, f4 of Test Set 1.
  EXPECT_EQ(to_hex(r.data),
            "db08a54211d5e3ba50bf"
            "10b40ba9a3c58b2a05bbf0d987b21bf8cb"
            "10f769bcd751044604127672711c6d3441");
  EXPECT_EQ(card.data().state().sqn_ms(), 0xff9bb4d0b607u);

  // The same AUTN again: SQN not fresh, a synchronisation failure with AUTS.
  r = authenticate(card, set1_rand, set1_autn);
  ASSERT_EQ(r.sw, 0x9000);
  ASSERT_EQ(r.data.size(), 16u);
  EXPECT_EQ(r.data[0], 0xDC);
  EXPECT_EQ(r.data[1], 14);
  auto m = secure::milenage::create(test::set1_k, test::set1_opc);
  ASSERT_TRUE(m.ok());
  secure::block128 rand{};
  std::copy(set1_rand.begin(), set1_rand.end(), rand.begin());
  auto sqn = secure::sqn_ms_from_auts(*m, rand, byte_view(r.data).subspan(2));
  ASSERT_TRUE(sqn.ok()) << sqn.error().message;
  EXPECT_EQ(*sqn, 0xff9bb4d0b607u);
}

TEST(ota_key_rotation, rotated_keys_survive_the_state_round_trip) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  EXPECT_EQ(rotate_over_ota(card, key_file(1, 7, test::ks1_kik), 1), "029000");
  auto st = card_state::decode(card.data().state().encode());
  ASSERT_TRUE(st.ok());
  virtual_card again(test::test_identity(), std::move(*st), profile);
  EXPECT_EQ(authenticate(again, set1_rand, set1_autn).sw, 0x9000);
  EXPECT_EQ(again.data().state().key_file_sequence(), 7u);
}

TEST(ota_key_rotation, bad_files_are_refused) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  // Wrapped under another KIK (keyset 2's): integrity check fails, 6A80.
  EXPECT_EQ(rotate_over_ota(card, key_file(1, 1, test::ks2_kik), 1), "026a80");
  // A KIK index the card has no keyset for: 6A88.
  EXPECT_EQ(rotate_over_ota(card, key_file(9, 1, test::ks1_kik), 2), "026a88");
  EXPECT_FALSE(card.data().state().rotated_keys().has_value());
  // KIK of keyset 2 named by the header: accepted.
  EXPECT_EQ(rotate_over_ota(card, key_file(2, 3, test::ks2_kik), 3), "029000");
  // The file applied last, again (a retried campaign attempt): accepted, nothing changes.
  EXPECT_EQ(rotate_over_ota(card, key_file(2, 3, test::ks2_kik), 4), "029000");
  EXPECT_EQ(card.data().state().key_file_sequence(), 3u);
  // Its sequence with other keys, or an older sequence: a replay, 6985.
  {
    codec::keyfile::header h;
    h.kik_index = 2;
    h.sequence = 3;
    secure::subscriber_keys other;
    other.ki.fill(0x42);
    other.opc.fill(0x24);
    auto img = secure::seal_key_file(test::ks2_kik, h, other);
    ASSERT_TRUE(img.ok());
    EXPECT_EQ(rotate_over_ota(card, *img, 5), "026985");
  }
  EXPECT_EQ(rotate_over_ota(card, key_file(1, 2, test::ks1_kik), 6), "026985");
  // An erased file is accepted and keeps the keys in force.
  EXPECT_EQ(rotate_over_ota(card, bytes(64, 0xFF), 7), "029000");
  EXPECT_TRUE(card.data().state().rotated_keys().has_value());
  EXPECT_EQ(authenticate(card, set1_rand, set1_autn).sw, 0x9000);
}

TEST(ota_key_rotation, the_handset_cannot_read_or_write_the_key_file) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  ASSERT_EQ(card.transmit(command_apdu{0x00, 0xA4, 0x08, 0x0C, hex("7f666f01"), {}}).sw, 0x9000);
  EXPECT_EQ(card.transmit(command_apdu{0x00, 0xB0, 0, 0, {}, 64}).sw, 0x6982);
  EXPECT_EQ(card.transmit(command_apdu{0x00, 0xD6, 0, 0, key_file(1, 1, test::ks1_kik), {}}).sw,
            0x6982);
  // With ADM1 verified the handset may write it (a personalisation tool would).
  EXPECT_EQ(card.transmit(command_apdu{0x00, 0x20, 0x00, 0x0A, hex("3838383838383838"), {}}).sw,
            0x9000);
  EXPECT_EQ(card.transmit(command_apdu{0x00, 0xD6, 0, 0, key_file(1, 1, test::ks1_kik), {}}).sw,
            0x9000);
  EXPECT_EQ(card.transmit(command_apdu{0x00, 0xB0, 0, 0, {}, 64}).sw, 0x6982);
}

TEST(ota_key_rotation, authenticate_status_words) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  (void)card.transmit(command_apdu{0x00, 0xA4, 0x00, 0x0C, hex("7fff"), {}});
  const bytes d = auth_data(set1_rand, set1_autn);
  EXPECT_EQ(card.transmit(command_apdu{0x00, 0x88, 0x00, 0x80, d, {}}).sw, 0x6A81);  // GSM
  EXPECT_EQ(card.transmit(command_apdu{0x00, 0x88, 0x00, 0x82, d, {}}).sw, 0x6A86);
  EXPECT_EQ(card.transmit(command_apdu{0x00, 0x88, 0x01, 0x81, d, {}}).sw, 0x6B00);
  EXPECT_EQ(card.transmit(command_apdu{0x00, 0x88, 0x00, 0x81, hex("1000"), {}}).sw, 0x6700);
  EXPECT_EQ(card.transmit(command_apdu{0x80, 0x88, 0x00, 0x81, d, {}}).sw, 0x6E00);
  // With Le (T=1 style) the answer comes directly.
  auto m = secure::milenage::create(card.data().ki(), card.data().opc());
  ASSERT_TRUE(m.ok());
  secure::block128 rand{};
  std::copy(set1_rand.begin(), set1_rand.end(), rand.begin());
  auto autn = secure::make_autn(*m, rand, 5, {0x80, 0x00});
  ASSERT_TRUE(autn.ok());
  auto r = card.transmit(command_apdu{
      0x00, 0x88, 0x00, 0x81, auth_data(set1_rand, bytes(autn->begin(), autn->end())), 256});
  EXPECT_EQ(r.sw, 0x9000);
  EXPECT_EQ(r.data.size(), 44u);
  EXPECT_EQ(card.data().state().sqn_ms(), 5u);
}

}  // namespace
}  // namespace otaflow::sim
