// Keys at rest: AES-256-GCM sealing under the KEK, AAD binding, the per-thread context.

#include "secure/key_cipher.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

namespace otaflow::secure {
namespace {

/// A KEK made of one repeated octet.
bytes test_kek(std::uint8_t fill = 0x42) {
  return bytes(32, fill);
}

TEST(KeyCipher, SealUnsealRoundTripAndFreshNonces) {
  const bytes kek = test_kek();
  const bytes plain = hex("00112233445566778899aabbccddeeff");
  const bytes aad = hex("0102");
  auto a = seal(kek, aad, plain);
  auto b = seal(kek, aad, plain);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), plain.size() + sealed_overhead);
  EXPECT_EQ((*a)[0], sealed_version);
  EXPECT_NE(*a, *b);  // random 96-bit nonce per value
  auto p = unseal(kek, aad, *a);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, plain);
}

TEST(KeyCipher, WrongKekAadOrTamperingFailVerification) {
  const bytes kek = test_kek();
  const bytes plain = hex("00112233445566778899aabbccddeeff");
  auto s = seal(kek, hex("01"), plain);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(unseal(test_kek(7), hex("01"), *s).error().code, make_error_code(errc::verification));
  EXPECT_EQ(unseal(kek, hex("02"), *s).error().code, make_error_code(errc::verification));
  for (std::size_t i = 1; i < s->size(); ++i) {
    bytes t = *s;
    t[i] ^= 0x01;
    EXPECT_EQ(unseal(kek, hex("01"), t).error().code, make_error_code(errc::verification)) << i;
  }
  EXPECT_EQ(unseal(kek, hex("01"), bytes(10, 0)).error().code, make_error_code(errc::truncated));
}

// The cipher keeps a keyed context per thread: switching KEKs, and a failed tag check in
// between, must not leave it holding the wrong key or state. An independent AES-GCM
// (a fresh EVP context keyed per call) must open what seal() wrote.
TEST(KeyCipher, AlternatingKeksAndFailuresKeepTheContextRight) {
  const bytes k1 = test_kek(1);
  const bytes k2 = test_kek(2);
  const bytes plain = hex("00112233445566778899aabbccddeeff0102");
  for (int round = 0; round < 3; ++round) {
    auto a = seal(k1, hex("0a"), plain);
    auto b = seal(k2, hex("0b"), plain);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(unseal(k2, hex("0a"), *a).error().code, make_error_code(errc::verification));
    auto pa = unseal(k1, hex("0a"), *a);
    ASSERT_TRUE(pa.ok());
    EXPECT_EQ(*pa, plain);
    auto pb = unseal(k2, hex("0b"), *b);
    ASSERT_TRUE(pb.ok());
    EXPECT_EQ(*pb, plain);
    // Independent opening of `a`: version | nonce(12) | body | tag(16).
    EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
    ASSERT_NE(c, nullptr);
    ASSERT_EQ(EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), nullptr, k1.data(), a->data() + 1), 1);
    int len = 0;
    const std::uint8_t aad = 0x0a;
    ASSERT_EQ(EVP_DecryptUpdate(c, nullptr, &len, &aad, 1), 1);
    bytes out(plain.size());
    ASSERT_EQ(
        EVP_DecryptUpdate(c, out.data(), &len, a->data() + 13, static_cast<int>(plain.size())), 1);
    ASSERT_EQ(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, a->data() + 13 + plain.size()), 1);
    EXPECT_EQ(EVP_DecryptFinal_ex(c, out.data() + plain.size(), &len), 1);
    EVP_CIPHER_CTX_free(c);
    EXPECT_EQ(out, plain);
  }
}

TEST(KeyCipher, KekOfTheWrongLengthIsRefused) {
  const bytes plain = hex("00");
  auto s = seal(bytes(16, 1), {}, plain);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, make_error_code(errc::bad_length));
  EXPECT_EQ(s.error().message, "key-encryption key: 32 octets needed, got 16");
  EXPECT_EQ(unseal(bytes(33, 1), {}, bytes(40, 0)).error().code, make_error_code(errc::bad_length));
}

}  // namespace
}  // namespace otaflow::secure
