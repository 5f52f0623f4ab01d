// Key rotation file: RFC 3394 known answers, a pinned file image and its tamper cases.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <array>
#include <span>
#include <string>

#include "secure/key_rotation.hpp"

namespace otaflow::secure {
namespace {

namespace kf = codec::keyfile;

const char* const k_kik = "404142434445464748494a4b4c4d4e4f";
const char* const k_ki = "465b5ce8b199b49faa5f0a2ee238a6bc";   // TS 35.208 Set 1 K
const char* const k_opc = "cd63cb71954a9f4e48a5994e37a02baf";  // TS 35.208 Set 1 OPc
// Image of EF 6F01 for KIK index 1, sequence 1 and the keys above. Computed independently
// with python "cryptography" 48 (keywrap.aes_key_wrap, AES-ECB for the KCV), not with this code.
const char* const k_image =
    "0101010000000001"
    "30"
    "4093ecf40644af36ac6fdb0aa593b006223dd1b268d7480f"
    "ec5f3f747b0152badb467a4f1a428c28f0371848375356ac"
    "7d2ed9"
    "ffffffff";

subscriber_keys keys_of(const char* ki, const char* opc) {
  subscriber_keys k;
  const bytes a = hex(ki), b = hex(opc);
  std::copy(a.begin(), a.end(), k.ki.begin());
  std::copy(b.begin(), b.end(), k.opc.begin());
  return k;
}

kf::header hdr(std::uint32_t seq) {
  kf::header h;
  h.kik_index = 1;
  h.sequence = seq;
  return h;
}

// RFC 3394 §4.1, §4.2, §4.3: 128-bit key data under 128-, 192- and 256-bit KEKs.
TEST(aes_key_wrap, rfc3394_vectors) {
  struct row {
    const char *kek, *data, *wrapped;
  };
  const row rows[] = {
      {"000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff",
       "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5"},
      {"000102030405060708090a0b0c0d0e0f1011121314151617", "00112233445566778899aabbccddeeff",
       "96778b25ae6ca435f92b5b97c050aed2468ab8a17ad84e5d"},
      {"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
       "00112233445566778899aabbccddeeff", "64e8c3f9ce0f5ba263e9777905818a2a93c8191e7d6e8ae7"},
  };
  for (const auto& r : rows) {
    auto w = aes_key_wrap(hex(r.kek), hex(r.data));
    ASSERT_TRUE(w.ok()) << w.error().describe();
    EXPECT_EQ(to_hex(*w), r.wrapped);
    auto u = aes_key_unwrap(hex(r.kek), *w);
    ASSERT_TRUE(u.ok()) << u.error().describe();
    EXPECT_EQ(to_hex(*u), r.data);
  }
}

TEST(aes_key_wrap, bad_inputs) {
  EXPECT_EQ(aes_key_wrap(hex("0001"), hex("00112233445566778899aabbccddeeff")).error().code,
            make_error_code(errc::bad_length));
  EXPECT_EQ(aes_key_wrap(hex(k_kik), hex("0011223344556677")).error().code,
            make_error_code(errc::bad_length));
  EXPECT_EQ(aes_key_wrap(hex(k_kik), hex("00112233445566778899aabbccddeeff00")).error().code,
            make_error_code(errc::bad_length));
  bytes w = hex("1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5");
  w[3] ^= 0x80;
  auto u = aes_key_unwrap(hex("000102030405060708090a0b0c0d0e0f"), w);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().code, make_error_code(errc::verification));
}

// AES-128 with an all-zero key on an all-zero block is 66e94bd4ef8a2c3b884cfa59ca342b2e.
TEST(key_check_value, zero_key) {
  auto kcv = key_check_value(bytes(16, 0));
  ASSERT_TRUE(kcv.ok());
  EXPECT_EQ(to_hex(*kcv), "66e94b");
  EXPECT_FALSE(key_check_value(bytes(15, 0)).ok());
}

TEST(key_file, seal_matches_independent_image) {
  auto img = seal_key_file(hex(k_kik), hdr(1), keys_of(k_ki, k_opc));
  ASSERT_TRUE(img.ok()) << img.error().describe();
  EXPECT_EQ(to_hex(*img), k_image);
  EXPECT_EQ(img->size(), kf::file_size);
}

TEST(key_file, open_returns_keys) {
  auto o = open_key_file(hex(k_kik), hex(k_image), 0);
  ASSERT_TRUE(o.ok()) << o.error().describe();
  EXPECT_EQ(to_hex(o->keys.ki), k_ki);
  EXPECT_EQ(to_hex(o->keys.opc), k_opc);
  EXPECT_EQ(o->hdr.sequence, 1u);
  EXPECT_EQ(o->hdr.kik_index, 1);
}

TEST(key_file, wrong_kik_is_a_verification_error_without_key_bytes) {
  auto o = open_key_file(hex("404142434445464748494a4b4c4d4e40"), hex(k_image), 0);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().code, make_error_code(errc::verification));
  for (const char* secret : {k_kik, k_ki, k_opc, "4041", "465b", "cd63"})
    EXPECT_EQ(o.error().message.find(secret), std::string::npos) << o.error().message;
}

TEST(key_file, every_flipped_bit_is_rejected) {
  const bytes good = hex(k_image);
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      bytes b = good;
      b[i] ^= static_cast<std::uint8_t>(1u << bit);
      auto o = open_key_file(hex(k_kik), b, 0);
      EXPECT_FALSE(o.ok()) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(key_file, clear_header_must_match_wrapped_header) {
  // Raise the clear sequence to 2 while the wrapped header says 1.
  bytes b = hex(k_image);
  b[7] = 0x02;
  auto o = open_key_file(hex(k_kik), b, 0);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().code, make_error_code(errc::verification));
}

TEST(key_file, replay_is_a_conflict) {
  auto o = open_key_file(hex(k_kik), hex(k_image), 1);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().code, make_error_code(errc::conflict));
  auto img = seal_key_file(hex(k_kik), hdr(2), keys_of(k_ki, k_opc));
  ASSERT_TRUE(img.ok());
  EXPECT_TRUE(open_key_file(hex(k_kik), *img, 1).ok());
}

TEST(key_file, erased_and_truncated_images) {
  auto e = open_key_file(hex(k_kik), bytes(64, 0xFF), 0);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, make_error_code(errc::not_found));
  const bytes good = hex(k_image);
  for (std::size_t n = 0; n < good.size(); ++n) {
    auto t = open_key_file(hex(k_kik), byte_view(good).first(n), 0);
    EXPECT_FALSE(t.ok()) << n;
  }
}

TEST(key_file, seal_rejects_bad_header_and_kik) {
  kf::header h = hdr(0);
  EXPECT_EQ(seal_key_file(hex(k_kik), h, keys_of(k_ki, k_opc)).error().code,
            make_error_code(errc::bad_value));
  h = hdr(1);
  h.kik_index = 16;
  EXPECT_FALSE(seal_key_file(hex(k_kik), h, keys_of(k_ki, k_opc)).ok());
  EXPECT_EQ(seal_key_file(hex("0001"), hdr(1), keys_of(k_ki, k_opc)).error().code,
            make_error_code(errc::bad_length));
}

RC_GTEST_PROP(key_file, seal_open_round_trip, ()) {
  const auto kik =
      *rc::gen::container<std::vector<std::uint8_t>>(16, rc::gen::arbitrary<std::uint8_t>());
  subscriber_keys k;
  for (auto& b : k.ki) b = *rc::gen::arbitrary<std::uint8_t>();
  for (auto& b : k.opc) b = *rc::gen::arbitrary<std::uint8_t>();
  kf::header h;
  h.kik_index = *rc::gen::inRange<std::uint8_t>(1, 16);
  h.sequence = *rc::gen::inRange<std::uint32_t>(1, 0xFFFFFFFFu);
  auto img = seal_key_file(kik, h, k);
  RC_ASSERT(img.ok());
  auto o = open_key_file(kik, *img, h.sequence - 1);
  RC_ASSERT(o.ok());
  RC_ASSERT(o->keys.ki == k.ki);
  RC_ASSERT(o->keys.opc == k.opc);
  RC_ASSERT(o->hdr == h);
}

TEST(key_rotation, random_keys_are_fresh_and_keep_what_is_not_rotated) {
  std::array<std::uint8_t, 32> a{}, b{};
  ASSERT_TRUE(random_bytes(a).ok());
  ASSERT_TRUE(random_bytes(b).ok());
  EXPECT_NE(a, b);
  EXPECT_TRUE(random_bytes(std::span<std::uint8_t>{}).ok());
  subscriber_keys cur;
  cur.ki.fill(0x11);
  cur.opc.fill(0x22);
  auto both = draw_subscriber_keys(cur, true, true);
  ASSERT_TRUE(both.ok());
  EXPECT_NE(both->ki, cur.ki);
  EXPECT_NE(both->opc, cur.opc);
  auto opc_only = draw_subscriber_keys(cur, false, true);
  ASSERT_TRUE(opc_only.ok());
  EXPECT_EQ(opc_only->ki, cur.ki);
  EXPECT_NE(opc_only->opc, cur.opc);
  auto none = draw_subscriber_keys(cur, false, false);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->ki, cur.ki);
  EXPECT_EQ(none->opc, cur.opc);
}

}  // namespace
}  // namespace otaflow::secure
