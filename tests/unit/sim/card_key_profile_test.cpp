// The example vendor's key command on a virtual card (sim/card_key_profile.hpp) with APDUs
// built by hand: wrapped values from Python `cryptography` (AES-ECB under the KIK 000102..0F of
// TS 35.208 Test Set 1's Ki and OPc; KCV 7D2ED9 as in docs/formats/key-rotation-file.md), every
// status word, and the card profile's key_profile field.

#include <gtest/gtest.h>

#include "sim/card_key_profile.hpp"
#include "sim/card_profile.hpp"
#include "sim/uicc_apdu.hpp"

namespace otaflow::sim {
namespace {

const std::string ki = "465b5ce8b199b49faa5f0a2ee238a6bc";
const std::string opc = "cd63cb71954a9f4e48a5994e37a02baf";
const std::string ki_w = "e42c646c9acaacd57c8480a02a3dee8e";
const std::string opc_w = "95ae7ab4cb038fd6f02354d6cec7f564";

uicc_data card() {
  card_identity id;
  id.iccid = "8946990000000000018";
  id.imsi = "001010000000001";
  id.msisdn = "46700000001";
  id.keysets.emplace_back(1, hex("11111111111111112222222222222222"),
                          hex("33333333333333334444444444444444"),
                          hex("000102030405060708090a0b0c0d0e0f"));
  return uicc_data(std::move(id), card_state{});
}

codec::command_apdu cmd(const std::string& h) {
  auto a = codec::decode_command_apdu(hex(h));
  EXPECT_TRUE(a.ok()) << h;
  return *a;
}

std::string command(const std::string& kvn, const std::string& seq,
                    const std::string& kcv = "7d2ed9", const std::string& p2 = "00") {
  return "804e" + kvn + p2 + "2f8110" + ki_w + "8210" + opc_w + "8303" + kcv + "8404" + seq;
}

TEST(ExampleKeyCommand, InstallsTheKeysAndAnswersEachRefusal) {
  auto c = card();
  EXPECT_EQ(example_key_command(c, cmd(command("01", "00000002")), false).sw, 0x6982);
  EXPECT_EQ(example_key_command(c, cmd(command("01", "00000002", "7d2ed9", "01")), true).sw,
            0x6B00);
  EXPECT_EQ(example_key_command(c, cmd("804e0100038301ff"), true).sw, 0x6700);
  EXPECT_EQ(example_key_command(c, cmd(command("02", "00000002")), true).sw, 0x6A88);
  EXPECT_EQ(example_key_command(c, cmd(command("01", "00000002", "000000")), true).sw, 0x6A80);
  EXPECT_FALSE(c.state().rotated_keys().has_value());

  EXPECT_EQ(example_key_command(c, cmd(command("01", "00000002")), true).sw, 0x9000);
  ASSERT_TRUE(c.state().rotated_keys().has_value());
  EXPECT_EQ(to_hex(c.state().rotated_keys()->first), ki);
  EXPECT_EQ(to_hex(c.state().rotated_keys()->second), opc);
  EXPECT_EQ(c.state().key_file_sequence(), 2u);
  // The same command again (its PoR lost): accepted, nothing changes; an older one: 6985.
  EXPECT_EQ(example_key_command(c, cmd(command("01", "00000002")), true).sw, 0x9000);
  EXPECT_EQ(example_key_command(c, cmd(command("01", "00000001")), true).sw, 0x6985);
  EXPECT_EQ(c.state().key_file_sequence(), 2u);
}

TEST(ExampleKeyCommand, OnlyCardsOfThatKeyProfileKnowIt) {
  auto p =
      parse_card_profile("[card_profile]\nname = \"vendor-b\"\nkey_profile = \"example-apdu\"\n");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->key_profile, card_key_profile::example_apdu);
  EXPECT_EQ(default_card_profile().key_profile, card_key_profile::otaflow_virtual);
  auto bad = parse_card_profile("[card_profile]\nkey_profile = \"gemalto\"\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "card_profile.key_profile: 'gemalto' is not otaflow-virtual, example-apdu or "
            "example-record");

  auto c = card();
  uicc_session vendor(c, *p, access_level::adm);
  EXPECT_EQ(vendor.process(cmd(command("01", "00000001"))).sw, 0x9000);
  EXPECT_EQ(c.state().key_file_sequence(), 1u);
  auto d = card();
  const auto def = default_card_profile();
  uicc_session plain(d, def, access_level::adm);
  EXPECT_EQ(plain.process(cmd(command("01", "00000001"))).sw, 0x6D00);
  uicc_session handset(c, *p, access_level::pin1);  // a handset session has no ADM
  EXPECT_EQ(handset.process(cmd(command("01", "00000003"))).sw, 0x6982);
}

TEST(ExampleRecordFile, AppliedWithRecordFourUnderTheKikTheKcvNames) {
  auto p = parse_card_profile("[card_profile]\nkey_profile = \"example-record\"\n");
  ASSERT_TRUE(p.ok()) << p.error().message;
  auto c = card();
  uicc_session s(c, *p, access_level::adm);
  for (const char* sel : {"00a4000c023f00", "00a4000c027f4f", "00a4000c026f20"})
    ASSERT_EQ(s.process(cmd(sel)).sw, 0x9000);
  const std::string pad13(26, 'f'), pad12(24, 'f');
  EXPECT_EQ(s.process(cmd("00dc010410" + ki_w)).sw, 0x9000);
  EXPECT_EQ(s.process(cmd("00dc020410" + opc_w)).sw, 0x9000);
  EXPECT_EQ(s.process(cmd("00dc030410"
                          "000000" +
                          pad13))
                .sw,
            0x9000);  // a wrong KCV
  EXPECT_EQ(s.process(cmd("00dc040410"
                          "00000001" +
                          pad12))
                .sw,
            0x6A80);
  EXPECT_FALSE(c.state().rotated_keys().has_value());
  EXPECT_EQ(s.process(cmd("00dc030410"
                          "7d2ed9" +
                          pad13))
                .sw,
            0x9000);
  EXPECT_EQ(s.process(cmd("00dc040410"
                          "00000001" +
                          pad12))
                .sw,
            0x9000);
  ASSERT_TRUE(c.state().rotated_keys().has_value());
  EXPECT_EQ(to_hex(c.state().rotated_keys()->first), ki);
  EXPECT_EQ(to_hex(c.state().rotated_keys()->second), opc);
  EXPECT_EQ(c.state().key_file_sequence(), 1u);
  EXPECT_EQ(s.process(cmd("00dc040410"
                          "00000001" +
                          pad12))
                .sw,
            0x9000);  // a repeat
  EXPECT_EQ(s.process(cmd("00dc040410"
                          "00000000" +
                          pad12))
                .sw,
            0x6985);                                   // older
  EXPECT_EQ(s.process(cmd("00b2010410")).sw, 0x6982);  // never read over the interface
}

}  // namespace
}  // namespace otaflow::sim
