#include "secure/gp_key.hpp"

#include <gtest/gtest.h>

#include <string>

// Expected values computed independently with OpenSSL 3.0 on the command line:
//   K=404142434445464748494a4b4c4d4e4f   (the GlobalPlatform test key)
//   KIK=000102030405060708090a0b0c0d0e0f
//   DES KCV:  printf '\0\0\0\0\0\0\0\0' | openssl enc -des-ede-ecb -K $K -nopad | xxd -p
//             -> 8baf473f2f8fd094 (KCV 8baf47, the well-known value of this key)
//   AES KCV:  printf '\x01%.0s' $(seq 16) | openssl enc -aes-128-ecb -K $K -nopad | xxd -p
//             -> 504a77e6e457dd861e066f7804281a5f
//   DES wrap: echo -n $K | xxd -r -p | openssl enc -des-ede-ecb -K $KIK -nopad | xxd -p
//             -> 3187f0e89f657d9b96fde211b27ff982
//   AES wrap: echo -n $K | xxd -r -p | openssl enc -aes-128-ecb -K $KIK -nopad | xxd -p
//             -> d533e59b45a153ed7e5e9c5dfcfd4aaa
//   K2=505152535455565758595a5b5c5d5e5f: DES wrap aae66281b692d18d53fccdaf0ee0a41c, KCV a4b7d6
//   K32=4041..5F (32 octets): AES-CBC zero IV under KIK ->
//             d533e59b45a153ed7e5e9c5dfcfd4aaad31723d86b0138e8464e78f3f336103a
//             AES-256-ECB(K32, 16 x 01) -> ecdcd867...
//   K24=4041..57 (24 octets), zero-padded to 32: AES-CBC zero IV under KIK ->
//             d533e59b45a153ed7e5e9c5dfcfd4aaa30a213d8d88dc2b75193443e2e2c4f70
//             AES-192-ECB(K24, 16 x 01) -> ffcd735c...

namespace otaflow::secure {
namespace {

const bytes K = hex("404142434445464748494a4b4c4d4e4f");
const bytes K2 = hex("505152535455565758595a5b5c5d5e5f");
const bytes K32 = hex("404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f");
const bytes K24 = hex("404142434445464748494a4b4c4d4e4f5051525354555657");
const bytes KIK = hex("000102030405060708090a0b0c0d0e0f");

TEST(GpKey, KcvOfTheGpTestKey) {
  auto des = gp_kcv(gp_key_kind::des, K);
  ASSERT_TRUE(des.ok());
  EXPECT_EQ(to_hex(*des), "8baf47");
  auto aes = gp_kcv(gp_key_kind::aes, K);
  ASSERT_TRUE(aes.ok());
  EXPECT_EQ(to_hex(*aes), "504a77");
  auto aes256 = gp_kcv(gp_key_kind::aes, K32);
  ASSERT_TRUE(aes256.ok());
  EXPECT_EQ(to_hex(*aes256), "ecdcd8");
  EXPECT_EQ(to_hex(*gp_kcv(gp_key_kind::des, K2)), "a4b7d6");
}

TEST(GpKey, WrapMatchesOpenSsl) {
  auto d = gp_wrap_key(gp_key_kind::des, KIK, K);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->type, 0x80);
  EXPECT_FALSE(d->key_length);
  EXPECT_EQ(to_hex(d->encrypted), "3187f0e89f657d9b96fde211b27ff982");
  EXPECT_EQ(to_hex(d->kcv), "8baf47");
  auto a = gp_wrap_key(gp_key_kind::aes, KIK, K);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->type, 0x88);
  EXPECT_EQ(a->key_length, 16);
  EXPECT_EQ(to_hex(a->encrypted), "d533e59b45a153ed7e5e9c5dfcfd4aaa");
  auto a32 = gp_wrap_key(gp_key_kind::aes, KIK, K32);
  ASSERT_TRUE(a32.ok());
  EXPECT_EQ(a32->key_length, 32);
  EXPECT_EQ(to_hex(a32->encrypted),
            "d533e59b45a153ed7e5e9c5dfcfd4aaad31723d86b0138e8464e78f3f336103a");
}

TEST(GpKey, AesFormsAndPaddedKeys) {
  auto bare = gp_wrap_key(gp_key_kind::aes, KIK, K, 0, gp_aes_form::bare);
  ASSERT_TRUE(bare.ok());
  EXPECT_FALSE(bare->key_length);
  EXPECT_EQ(to_hex(bare->encrypted), "d533e59b45a153ed7e5e9c5dfcfd4aaa");
  auto a24 = gp_wrap_key(gp_key_kind::aes, KIK, K24);
  ASSERT_TRUE(a24.ok());
  EXPECT_EQ(a24->key_length, 24);
  EXPECT_EQ(to_hex(a24->encrypted),
            "d533e59b45a153ed7e5e9c5dfcfd4aaa30a213d8d88dc2b75193443e2e2c4f70");
  EXPECT_EQ(to_hex(a24->kcv), "ffcd73");
  // 88 | 21 | 18 <32 octets> | 03 ffcd73, and the card side reads it back.
  codec::gp::put_key_command cmd;
  cmd.new_kvn = 0x30;
  cmd.keys = {*a24, *bare};
  auto c = codec::gp::build_put_key(cmd);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(to_hex(byte_view(c->data).first(4)), "30882118");
  auto parsed = codec::gp::parse_put_key(*c);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->keys.size(), 2u);
  EXPECT_EQ(parsed->keys[0].key_length, 24);
  EXPECT_FALSE(parsed->keys[1].key_length);
  EXPECT_EQ(*gp_unwrap_key(KIK, parsed->keys[0]), K24);
  EXPECT_EQ(*gp_unwrap_key(KIK, parsed->keys[1]), K);
}

TEST(GpKey, PutKeyBytesForAKeySet) {
  gp_put_key_request req;
  req.kind = gp_key_kind::des;
  req.new_kvn = 0x30;
  req.replace_kvn = 0x00;
  req.kik = KIK;
  req.keys = {K, K2, K};
  codec::gp::put_key_command sent;
  auto c = gp_put_key(req, &sent);
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto b = codec::encode_command_apdu(*c);
  ASSERT_TRUE(b.ok());
  // 80 D8 00 81 Lc=43 | 30 | 3 x (80 10 <wrapped> 03 <KCV>) | 00
  EXPECT_EQ(to_hex(*b),
            "80d8008143"
            "30"
            "80103187f0e89f657d9b96fde211b27ff982038baf47"
            "8010aae66281b692d18d53fccdaf0ee0a41c03a4b7d6"
            "80103187f0e89f657d9b96fde211b27ff982038baf47"
            "00");
  ASSERT_EQ(sent.keys.size(), 3u);
  auto resp = codec::gp::parse_put_key_response(hex("308baf47a4b7d68baf47"));
  ASSERT_TRUE(resp.ok());
  EXPECT_TRUE(codec::gp::verify_put_key_response(sent, *resp).ok());
}

TEST(GpKey, RoundTripThroughTheCardSide) {
  for (auto kind : {gp_key_kind::des, gp_key_kind::aes}) {
    gp_put_key_request req;
    req.kind = kind;
    req.new_kvn = 0x02;
    req.replace_kvn = 0x01;
    req.kik = KIK;
    req.keys = {K, K2, K32};
    if (kind == gp_key_kind::des) req.keys.pop_back();
    auto c = gp_put_key(req);
    ASSERT_TRUE(c.ok());
    auto parsed = codec::gp::parse_put_key(*c);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(parsed->new_kvn, 0x02);
    EXPECT_EQ(parsed->replace_kvn, 0x01);
    ASSERT_EQ(parsed->keys.size(), kind == gp_key_kind::des ? 2u : 3u);
    if (kind == gp_key_kind::aes) {
      EXPECT_EQ(*gp_unwrap_key(KIK, parsed->keys[2]), K32);
    }
    auto k1 = gp_unwrap_key(KIK, parsed->keys[0]);
    auto k2 = gp_unwrap_key(KIK, parsed->keys[1]);
    ASSERT_TRUE(k1.ok() && k2.ok());
    EXPECT_EQ(*k1, K);
    EXPECT_EQ(*k2, K2);
    // The wrong KIK decrypts to another key, which its KCV exposes.
    auto wrong = gp_unwrap_key(K2, parsed->keys[0]);
    ASSERT_FALSE(wrong.ok());
    EXPECT_NE(wrong.error().message.find("key check value"), std::string::npos);
  }
}

TEST(GpKey, BadLengthsNameTheKeyNotItsValue) {
  auto r = gp_wrap_key(gp_key_kind::des, KIK, hex("0102030405060708"), 2);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("key 3"), std::string::npos);
  EXPECT_NE(r.error().message.find("16 octets, got 8"), std::string::npos);
  EXPECT_EQ(r.error().message.find("0102"), std::string::npos);
  r = gp_wrap_key(gp_key_kind::des, hex("0011"), K);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("KIK"), std::string::npos);
  // A 24-octet AES key is padded, so the bare form cannot carry it.
  EXPECT_FALSE(gp_wrap_key(gp_key_kind::aes, KIK, K24, 0, gp_aes_form::bare).ok());
  EXPECT_FALSE(gp_wrap_key(gp_key_kind::aes, KIK, bytes(20, 1)).ok());
  EXPECT_TRUE(gp_wrap_key(gp_key_kind::aes, K24, K).ok());  // an AES-192 KIK is fine
  gp_put_key_request req;
  req.kik = KIK;
  req.new_kvn = 0x30;
  EXPECT_FALSE(gp_put_key(req).ok());  // no keys
  codec::gp::key_component odd{0x85, std::nullopt, bytes(16, 0), {}};
  EXPECT_FALSE(gp_unwrap_key(KIK, odd).ok());
}

}  // namespace
}  // namespace otaflow::secure
