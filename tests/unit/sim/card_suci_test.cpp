// 5G on the virtual card: the fleet's home network keys (sim/home_network.hpp), DF.5GS as
// personalised, GET IDENTITY in SUCI context (TS 31.102 §7.5) and the handset's SUCI with
// and without service 125 (sim/card_suci.hpp), before and after a new EF.SUCI_Calc_Info.

#include <gtest/gtest.h>

#include "codec/iso7816_apdu.hpp"
#include "codec/ts31102_5gs.hpp"
#include "codec/ts31102_ef.hpp"
#include "secure/suci.hpp"
#include "sim/card_suci.hpp"
#include "sim/fleet.hpp"
#include "sim/home_network.hpp"
#include "sim/ota_card.hpp"
#include "uicc_test_util.hpp"

namespace otaflow::sim {
namespace {

namespace ts = codec::ts31102;
namespace suci = secure::suci;
using codec::command_apdu;

/// A card of a generated fleet of `seed` (card 0: IMSI 001010000000000).
std::unique_ptr<virtual_card> fleet_card(const std::string& seed, const card_profile& profile,
                                         card_state st = {}) {
  auto src = generated_source(seed, 10);
  EXPECT_TRUE(src.ok());
  auto id = (*src)->identity(0);
  EXPECT_TRUE(id.ok());
  return std::make_unique<virtual_card>(std::move(*id), std::move(st), profile);
}

bytes read_file(virtual_card& card, const bytes& path) {
  auto s = card.transmit(command_apdu{0x00, 0xA4, 0x08, 0x0C, path, {}});
  EXPECT_EQ(s.sw, 0x9000) << to_hex(path);
  auto r = card.transmit(command_apdu{0x00, 0xB0, 0x00, 0x00, {}, 256});
  EXPECT_EQ(r.sw, 0x9000) << to_hex(path);
  return r.data;
}

void verify_adm(virtual_card& card) {
  ASSERT_EQ(card.transmit(command_apdu{0x00, 0x20, 0x00, 0x0A, hex("3838383838383838"), {}}).sw,
            0x9000);
}

/// Rewrites EF.UST with service n set or cleared (the handset with ADM rights).
void set_service(virtual_card& card, unsigned n, bool available) {
  bytes ust = read_file(card, hex("7fff6f38"));
  ts::set_service(ust, n, available);
  verify_adm(card);
  ASSERT_EQ(card.transmit(command_apdu{0x00, 0xD6, 0x00, 0x00, ust, {}}).sw, 0x9000);
}

std::vector<suci::hn_private_key> keys_of(const std::string& seed) {
  auto k = derive_home_network_keys(seed);
  EXPECT_TRUE(k.ok());
  return sidf_keys(*k);
}

TEST(home_network, keys_are_derived_from_the_seed) {
  auto a = derive_home_network_keys("fleet-1");
  auto b = derive_home_network_keys("fleet-1");
  auto c = derive_home_network_keys("fleet-2");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].protection, suci::scheme::profile_a);
  EXPECT_EQ((*a)[0].key_id, 1);
  EXPECT_EQ((*a)[1].protection, suci::scheme::profile_b);
  EXPECT_EQ((*a)[1].key_id, 2);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ((*a)[i].private_key, (*b)[i].private_key);
    EXPECT_NE((*a)[i].private_key, (*c)[i].private_key);
    EXPECT_EQ((*a)[i].private_key.size(), 32u);
    auto pub = suci::public_key_of((*a)[i].protection, (*a)[i].private_key, true);
    ASSERT_TRUE(pub.ok());
    EXPECT_EQ(*pub, (*a)[i].public_key);
  }
  EXPECT_EQ((*a)[0].public_key.size(), 32u);
  EXPECT_EQ((*a)[1].public_key.size(), 33u);  // compressed SEC 1 point
  EXPECT_FALSE(derive_home_network_keys("").ok());
}

TEST(home_network, personalised_suci_calc_info_lists_a_then_b) {
  auto content = personalised_suci_calc_info("fleet-1");
  ASSERT_TRUE(content.ok());
  ASSERT_EQ((*content)->size(), 256u);
  auto info = ts::decode_suci_calc_info(**content);
  ASSERT_TRUE(info.ok()) << info.error().message;
  ASSERT_EQ(info->schemes.size(), 2u);
  EXPECT_EQ(info->schemes[0], (ts::protection_scheme_entry{1, 1}));
  EXPECT_EQ(info->schemes[1], (ts::protection_scheme_entry{2, 2}));
  auto keys = derive_home_network_keys("fleet-1");
  ASSERT_EQ(info->keys.size(), 2u);
  EXPECT_EQ(info->keys[0], (ts::hn_public_key{1, (*keys)[0].public_key}));
  EXPECT_EQ(info->keys[1], (ts::hn_public_key{2, (*keys)[1].public_key}));
  // An empty list is the null scheme only.
  auto none = suci_calc_info_for({});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->schemes, (std::vector<ts::protection_scheme_entry>{{0, 0}}));
}

TEST(card_5gs, personalised_df_5gs_and_services) {
  const card_profile profile = default_card_profile();
  auto card = fleet_card("fleet-1", profile);
  const bytes ust = read_file(*card, hex("7fff6f38"));
  ASSERT_EQ(ust.size(), 17u);
  for (unsigned n : {122u, 123u, 124u, 125u, 126u}) EXPECT_TRUE(ts::service_available(ust, n)) << n;
  EXPECT_FALSE(ts::service_available(ust, 130));
  // EF.SUCI_Calc_Info is the fleet's, readable with PIN1 by path 7FFF/5FC0/4F07.
  auto content = personalised_suci_calc_info("fleet-1");
  EXPECT_EQ(read_file(*card, hex("7fff5fc04f07")), **content);
  EXPECT_EQ(to_hex(read_file(*card, hex("7fff5fc04f0a"))), "f0ffffff");  // routing indicator 0
  // 5GS LOCI reset with the HPLMN (001 01), NSC ngKSI 07, no K_AUSF.
  auto loci = ts::decode_5gs_loci(read_file(*card, hex("7fff5fc04f01")));
  ASSERT_TRUE(loci.ok());
  EXPECT_FALSE(loci->guti);
  ASSERT_TRUE(loci->tai.id);
  EXPECT_EQ(loci->tai.id->mcc, "001");
  EXPECT_EQ(read_file(*card, hex("7fff5fc04f05")), bytes(68, 0xFF));
  // Only the changed files are stored: a personalised card's state stays empty.
  EXPECT_TRUE(card->data().state().files().empty());
}

TEST(card_5gs, a_card_without_fleet_keys_has_the_null_scheme) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  auto info = ts::decode_suci_calc_info(read_file(card, hex("7fff5fc04f07")));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->schemes, (std::vector<ts::protection_scheme_entry>{{0, 0}}));
  auto s = card.compute_suci();
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->text, "suci-0-001-01-0-0-0-0000000001");
  EXPECT_TRUE(s->by_usim);
}

TEST(get_identity, suci_context_answers_a_deconcealable_suci) {
  const card_profile profile = default_card_profile();
  auto card = fleet_card("fleet-1", profile);
  ASSERT_EQ(card->transmit(command_apdu{0x00, 0xA4, 0x00, 0x0C, hex("7fff"), {}}).sw, 0x9000);
  for (std::uint8_t cla : {0x80, 0x00}) {
    auto r = card->transmit(command_apdu{cla, 0x78, 0x00, 0x01, {}, 256});
    ASSERT_EQ(r.sw, 0x9000);
    ASSERT_GE(r.data.size(), 2u);
    EXPECT_EQ(r.data[0], 0xA1);
    auto s = decode_suci_tlv(r.data);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->scheme_id, 1);  // profile A first
    EXPECT_EQ(s->hn_key_id, 1);
    EXPECT_EQ(s->mcc, "001");
    EXPECT_EQ(s->mnc, "01");
    EXPECT_EQ(s->routing_indicator, "0");
    // 32 ephemeral + 5 BCD octets of a 10-digit MSIN + 8 MAC.
    EXPECT_EQ(s->scheme_output.size(), 45u);
    auto imsi = suci::deconceal_imsi(*s, keys_of("fleet-1"));
    ASSERT_TRUE(imsi.ok()) << imsi.error().message;
    EXPECT_EQ(*imsi, card->data().identity().imsi);
    EXPECT_FALSE(suci::deconceal_imsi(*s, keys_of("fleet-2")).ok());
  }
  // Without Le: 61XX and GET RESPONSE (T=0).
  auto r = card->transmit(command_apdu{0x80, 0x78, 0x00, 0x01, {}, {}});
  ASSERT_EQ(r.sw1(), 0x61);
  auto g = card->transmit(command_apdu{0x00, 0xC0, 0x00, 0x00, {}, r.sw2()});
  EXPECT_EQ(g.sw, 0x9000);
  EXPECT_TRUE(decode_suci_tlv(g.data).ok());
}

TEST(get_identity, status_words) {
  const card_profile profile = default_card_profile();
  auto card = fleet_card("fleet-1", profile);
  // The MF selected: no USIM application, 6985.
  ASSERT_EQ(card->transmit(command_apdu{0x00, 0xA4, 0x00, 0x0C, hex("3f00"), {}}).sw, 0x9000);
  EXPECT_EQ(card->transmit(command_apdu{0x80, 0x78, 0x00, 0x01, {}, 256}).sw, 0x6985);
  ASSERT_EQ(card->transmit(command_apdu{0x00, 0xA4, 0x08, 0x0C, hex("7fff5fc0"), {}}).sw, 0x9000);
  EXPECT_EQ(card->transmit(command_apdu{0x80, 0x78, 0x00, 0x01, {}, 256}).sw, 0x9000);
  EXPECT_EQ(card->transmit(command_apdu{0x80, 0x78, 0x01, 0x01, {}, 256}).sw, 0x6B00);
  EXPECT_EQ(card->transmit(command_apdu{0x80, 0x78, 0x00, 0x02, {}, 256}).sw, 0x6A86);
  EXPECT_EQ(card->transmit(command_apdu{0x80, 0x78, 0x00, 0x01, hex("00"), 256}).sw, 0x6700);
  EXPECT_EQ(card->transmit(command_apdu{0xA0, 0x78, 0x00, 0x01, {}, 256}).sw, 0x6D00);
  // Service 125 gone: the ME computes the SUCI, the USIM refuses.
  set_service(*card, 125, false);
  ASSERT_EQ(card->transmit(command_apdu{0x00, 0xA4, 0x00, 0x0C, hex("7fff"), {}}).sw, 0x9000);
  EXPECT_EQ(card->transmit(command_apdu{0x80, 0x78, 0x00, 0x01, {}, 256}).sw, 0x6985);
  // A handset that has not verified PIN1.
  card_profile locked = default_card_profile();
  locked.pin1_enabled = true;
  auto other = fleet_card("fleet-1", locked);
  ASSERT_EQ(other->transmit(command_apdu{0x00, 0xA4, 0x00, 0x0C, hex("7fff"), {}}).sw, 0x9000);
  EXPECT_EQ(other->transmit(command_apdu{0x80, 0x78, 0x00, 0x01, {}, 256}).sw, 0x6982);
}

TEST(compute_suci, by_the_usim_by_the_me_and_without_privacy) {
  const card_profile profile = default_card_profile();
  auto card = fleet_card("fleet-1", profile);
  const std::string imsi = card->data().identity().imsi;

  auto usim = card->compute_suci();
  ASSERT_TRUE(usim.ok()) << usim.error().message;
  EXPECT_TRUE(usim->by_usim);
  EXPECT_EQ(usim->text.rfind("suci-0-001-01-0-1-1-", 0), 0u) << usim->text;
  EXPECT_EQ(*suci::deconceal_imsi(usim->value, keys_of("fleet-1")), imsi);
  // A fresh ephemeral key each time.
  EXPECT_NE(card->compute_suci()->text, usim->text);

  set_service(*card, 125, false);
  auto me = card->compute_suci();
  ASSERT_TRUE(me.ok()) << me.error().message;
  EXPECT_FALSE(me->by_usim);
  EXPECT_EQ(me->value.scheme_id, 1);
  EXPECT_EQ(*suci::deconceal_imsi(me->value, keys_of("fleet-1")), imsi);

  set_service(*card, 124, false);
  auto plain = card->compute_suci();
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(plain->text, "suci-0-001-01-0-0-0-" + imsi.substr(5));
}

TEST(compute_suci, a_new_key_file_rekeys_both_paths) {
  const card_profile profile = default_card_profile();
  auto card = fleet_card("fleet-1", profile);
  auto kp = suci::generate_key_pair(suci::scheme::profile_b);
  ASSERT_TRUE(kp.ok());
  // What an update.suci campaign writes: the new B key (id 7) only, routing indicator 0042.
  ts::ef_suci_calc_info info{{{2, 1}}, {{7, kp->public_key}}};
  byte_writer w;
  ASSERT_TRUE(ts::encode_suci_calc_info(info, 256, w).ok());
  verify_adm(*card);
  ASSERT_EQ(card->transmit(command_apdu{0x00, 0xA4, 0x08, 0x0C, hex("7fff5fc04f07"), {}}).sw,
            0x9000);
  const bytes& c = w.data();
  ASSERT_EQ(
      card->transmit(command_apdu{0x00, 0xD6, 0x00, 0x00, bytes(c.begin(), c.begin() + 128), {}})
          .sw,
      0x9000);
  ASSERT_EQ(
      card->transmit(command_apdu{0x00, 0xD6, 0x00, 0x80, bytes(c.begin() + 128, c.end()), {}}).sw,
      0x9000);
  ASSERT_EQ(card->transmit(command_apdu{0x00, 0xA4, 0x00, 0x0C, hex("4f0a"), {}}).sw, 0x9000);
  ASSERT_EQ(card->transmit(command_apdu{0x00, 0xD6, 0x00, 0x00, hex("0024ffff"), {}}).sw, 0x9000);

  const std::vector<suci::hn_private_key> new_key = {{suci::scheme::profile_b, 7, kp->private_key}};
  for (bool by_usim : {true, false}) {
    if (!by_usim) set_service(*card, 125, false);
    auto s = card->compute_suci();
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->by_usim, by_usim);
    EXPECT_EQ(s->value.scheme_id, 2);
    EXPECT_EQ(s->value.hn_key_id, 7);
    EXPECT_EQ(s->value.routing_indicator, "0042");
    EXPECT_EQ(*suci::deconceal_imsi(s->value, new_key), card->data().identity().imsi);
    // The fleet's old keys do not open it.
    auto old = suci::deconceal_imsi(s->value, keys_of("fleet-1"));
    ASSERT_FALSE(old.ok());
    EXPECT_EQ(old.error().code, make_error_code(errc::not_found));
  }
}

TEST(card_suci, files_to_suci) {
  const bytes imsi = hex("080910100000000010");  // 001010000000001
  const bytes ad = hex("00000002");
  // Never written: the null scheme (TS 31.121 §5.3.7).
  auto s = suci_from_files(imsi, ad, bytes(256, 0xFF), hex("f0ffffff"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(*suci::to_string(*s), "suci-0-001-01-0-0-0-0000000001");
  // A corrupt file is an error, not a silent null scheme.
  EXPECT_FALSE(suci_from_files(imsi, ad, hex("a005010100ffff"), {}).ok());
  // Only schemes the ME does not know: not_found.
  auto op = suci_from_files(imsi, ad, hex("a0020c00ffff"), {});
  ASSERT_FALSE(op.ok());
  EXPECT_EQ(op.error().code, make_error_code(errc::not_found));
  // Bad IMSI.
  EXPECT_FALSE(suci_from_files(bytes(9, 0xFF), ad, {}, {}).ok());
}

TEST(card_suci, suci_tlv_round_trip_and_errors) {
  suci::suci s;
  s.mcc = "001";
  s.mnc = "01";
  s.routing_indicator = "12";
  s.scheme_output = hex("0000000010");
  auto enc = encode_suci_tlv(s);
  ASSERT_TRUE(enc.ok());
  // A1 L | 01 | 00 F1 10 | 21 FF | 00 | 00 | MSIN (TS 31.102 §7.5.2, TS 24.501 §9.11.3.4).
  EXPECT_EQ(to_hex(*enc), "a10d0100f11021ff00000000000010");
  auto dec = decode_suci_tlv(*enc);
  ASSERT_TRUE(dec.ok());
  EXPECT_EQ(*dec, s);
  bytes wrong = *enc;
  wrong[0] = 0xA2;
  EXPECT_FALSE(decode_suci_tlv(wrong).ok());
  for (std::size_t n = 0; n < enc->size(); ++n)
    EXPECT_FALSE(decode_suci_tlv(byte_view(*enc).first(n)).ok()) << n;
}

}  // namespace
}  // namespace otaflow::sim
