#include "codec/gp_put_key.hpp"

#include <gtest/gtest.h>

#include <string>

// PUT KEY framing, GP Card Specification v2.3 §11.8. The encrypted values and KCVs below are
// those of the GP test key 404142..4F wrapped under the KIK 000102..0F (tests/unit/secure/
// gp_key_test.cpp computes them and cites the openssl commands); here they are just octets.

namespace otaflow::codec::gp {
namespace {

key_component des_key() {
  return {key_type::des, std::nullopt, hex("3187f0e89f657d9b96fde211b27ff982"), hex("8baf47")};
}

key_component aes_key() {
  return {key_type::aes, 16, hex("d533e59b45a153ed7e5e9c5dfcfd4aaa"), hex("504a77")};
}

std::string enc(const command_apdu& c) {
  auto b = encode_command_apdu(c);
  return b ? to_hex(*b) : std::string("encode failed");
}

TEST(GpPutKey, SingleDesKeyNewKeySet) {
  put_key_command cmd;
  cmd.new_kvn = 0x30;
  cmd.keys = {des_key()};
  auto c = build_put_key(cmd);
  ASSERT_TRUE(c.ok()) << c.error().message;
  // P1 00 (new key set), P2 01 (key 1, one key) | 30 | 80 10 <16> 03 <KCV> | Le
  EXPECT_EQ(enc(*c),
            "80d8000117"
            "30"
            "8010"
            "3187f0e89f657d9b96fde211b27ff982"
            "038baf47"
            "00");
}

TEST(GpPutKey, AesKeyCarriesItsLengthOctet) {
  put_key_command cmd;
  cmd.new_kvn = 0x30;
  cmd.replace_kvn = 0x20;
  cmd.keys = {aes_key()};
  auto c = build_put_key(cmd);
  ASSERT_TRUE(c.ok());
  // P1 20 (replace KVN 20) | 30 | 88 11 10 <16> 03 <KCV>
  EXPECT_EQ(enc(*c),
            "80d8200118"
            "30"
            "881110"
            "d533e59b45a153ed7e5e9c5dfcfd4aaa"
            "03504a77"
            "00");
}

TEST(GpPutKey, KeySetSetsTheMultipleBitAndParsesBack) {
  put_key_command cmd;
  cmd.new_kvn = 0x01;
  cmd.replace_kvn = 0x01;
  cmd.first_key_id = 1;
  cmd.keys = {des_key(), des_key(), des_key()};
  auto c = build_put_key(cmd);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->p1, 0x01);
  EXPECT_EQ(c->p2, 0x81);
  EXPECT_EQ(c->data.size(), 1u + 3 * 22);
  auto back = parse_put_key(*c);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, cmd);

  cmd.keys = {aes_key(), aes_key()};
  cmd.more_commands = true;
  c = build_put_key(cmd);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->p1, 0x81);
  back = parse_put_key(*c);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, cmd);
}

TEST(GpPutKey, RejectsBadNumbers) {
  put_key_command cmd;
  cmd.keys = {des_key()};
  cmd.new_kvn = 0;
  EXPECT_FALSE(build_put_key(cmd).ok());
  cmd.new_kvn = 0x80;
  auto r = build_put_key(cmd);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("new key version number 128"), std::string::npos);
  cmd.new_kvn = 1;
  cmd.replace_kvn = 0x80;
  EXPECT_FALSE(build_put_key(cmd).ok());
  cmd.replace_kvn = 0;
  cmd.first_key_id = 0;
  EXPECT_FALSE(build_put_key(cmd).ok());
  cmd.first_key_id = 0x7F;
  cmd.keys = {des_key(), des_key()};
  EXPECT_FALSE(build_put_key(cmd).ok());  // ids 7F, 80
  cmd.first_key_id = 1;
  cmd.keys.clear();
  EXPECT_FALSE(build_put_key(cmd).ok());
  cmd.keys = {des_key()};
  cmd.keys[0].encrypted.clear();
  EXPECT_FALSE(build_put_key(cmd).ok());
}

TEST(GpPutKey, ParserRejectsTruncatedAndInconsistentCommands) {
  struct row {
    const char* name;
    const char* apdu;
    const char* says;
  };
  // clang-format off
  const row rows[] = {
      {"no data", "80d80001", "no data"},
      {"only the KVN", "80d8000101" "30", "no key data"},
      {"type without length", "80d800010230" "80", "no key type and length"},
      {"length 81 without its octet", "80d800010330" "8881", "no key type and length"},
      {"value short", "80d800010530" "8010" "0102", "key data of 16 octets"},
      {"KCV short", "80d800010c30" "8008" "0102030405060708" "03", "KCV cut short"},
      {"AES length too big", "80d800010730" "8803" "10" "0102" "00", "exceeds"},
      {"empty block", "80d800010430" "8800" "00", "empty key component block"},
      {"prefixed, not whole blocks", "80d800010730" "8803" "02" "0102" "00",
       "whole cipher blocks"},
      {"multiple bit with one key", "80d800810c30" "8008" "0102030405060708" "00", "disagrees"},
      {"extended format", "80d800010530" "ff02" "0102", "extended"},
  };
  // clang-format on
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    auto a = decode_command_apdu(hex(r.apdu));
    ASSERT_TRUE(a.ok());
    auto got = parse_put_key(*a);
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.error().message.find(r.says), std::string::npos) << got.error().message;
  }
}

TEST(GpPutKeyResponse, ParsesAndVerifies) {
  put_key_command sent;
  sent.new_kvn = 0x30;
  sent.keys = {des_key(), aes_key()};
  auto r =
      parse_put_key_response(hex("30"
                                 "8baf47"
                                 "504a77"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kvn, 0x30);
  ASSERT_EQ(r->kcvs.size(), 2u);
  EXPECT_EQ(r->kcvs[1], hex("504a77"));
  EXPECT_TRUE(verify_put_key_response(sent, *r).ok());

  auto wrong =
      parse_put_key_response(hex("30"
                                 "8baf47"
                                 "504a78"));
  ASSERT_TRUE(wrong.ok());
  auto v = verify_put_key_response(sent, *wrong);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("key 2 (id 2)"), std::string::npos);

  auto other_kvn =
      parse_put_key_response(hex("31"
                                 "8baf47"
                                 "504a77"));
  ASSERT_TRUE(other_kvn.ok());
  EXPECT_FALSE(verify_put_key_response(sent, *other_kvn).ok());
  auto one =
      parse_put_key_response(hex("30"
                                 "8baf47"));
  ASSERT_TRUE(one.ok());
  EXPECT_FALSE(verify_put_key_response(sent, *one).ok());
}

TEST(GpPutKeyResponse, RejectsTruncated) {
  EXPECT_FALSE(parse_put_key_response({}).ok());
  auto r = parse_put_key_response(hex("308baf"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("whole number"), std::string::npos);
  auto only_kvn = parse_put_key_response(hex("30"));
  ASSERT_TRUE(only_kvn.ok());
  EXPECT_TRUE(only_kvn->kcvs.empty());
}

}  // namespace
}  // namespace otaflow::codec::gp
