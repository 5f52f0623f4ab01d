// Known-answer tests for the SCP80 primitives. Every vector names its source.
#include "secure/scp80_algorithm.hpp"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

namespace otaflow::secure {
namespace {

constexpr cipher_alg all_ciphers[] = {cipher_alg::des_cbc, cipher_alg::tdes2_cbc,
                                      cipher_alg::tdes3_cbc, cipher_alg::des_ecb,
                                      cipher_alg::aes_cbc};
constexpr cc_alg all_ccs[] = {cc_alg::des_cbc_mac, cc_alg::tdes2_cbc_mac, cc_alg::tdes3_cbc_mac,
                              cc_alg::aes_cmac};

std::string enc(cipher_alg alg, const bytes& key, bytes data) {
  auto s = encrypt(alg, key, data);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return to_hex(data);
}

std::string dec(cipher_alg alg, const bytes& key, bytes data) {
  auto s = decrypt(alg, key, data);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return to_hex(data);
}

std::string cc(cc_alg alg, const bytes& key, const bytes& data, std::size_t len) {
  bytes out(len);
  auto s = compute_cc(alg, key, data, out);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return to_hex(out);
}

// Our API has a zero IV. CBC with IV v over P1||P2.. equals zero-IV CBC over (P1^v)||P2..,
// so published vectors with a non-zero IV are folded into the first block.
bytes fold_iv(bytes data, const bytes& iv) {
  for (std::size_t i = 0; i < iv.size(); ++i) data[i] ^= iv[i];
  return data;
}

template <class R>
void expect_error(const R& r, errc code, const std::string& needle) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, code) << r.error().message;
  EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
}

// ---- KIc / KID mapping (TS 102 225 §5.1.2, §5.1.3; docs/standards/ts102225-secured-packets.md §4)

TEST(Scp80Mapping, KicEveryNibbleEveryKeyVersion) {
  for (unsigned ver = 0; ver < 16; ++ver) {
    for (unsigned lo = 0; lo < 16; ++lo) {
      const auto kic = static_cast<std::uint8_t>(ver << 4 | lo);
      auto r = cipher_from_kic(kic);
      SCOPED_TRACE(kic);
      switch (lo) {
        case 0x1:
          ASSERT_TRUE(r.ok());
          EXPECT_EQ(*r, cipher_alg::des_cbc);
          break;
        case 0x5:
          ASSERT_TRUE(r.ok());
          EXPECT_EQ(*r, cipher_alg::tdes2_cbc);
          break;
        case 0x9:
          ASSERT_TRUE(r.ok());
          EXPECT_EQ(*r, cipher_alg::tdes3_cbc);
          break;
        case 0xD:
          ASSERT_TRUE(r.ok());
          EXPECT_EQ(*r, cipher_alg::des_ecb);
          break;
        case 0x2:
          ASSERT_TRUE(r.ok());
          EXPECT_EQ(*r, cipher_alg::aes_cbc);
          break;
        case 0x6:
        case 0xA:
        case 0xE:
          expect_error(r, errc::bad_value, "reserved");
          break;
        case 0x0:
        case 0x4:
        case 0x8:
        case 0xC:
          expect_error(r, errc::unsupported, "implicit");
          break;
        default:
          expect_error(r, errc::unsupported, "proprietary");
          break;
      }
    }
  }
}

TEST(Scp80Mapping, KidCcEveryNibbleEveryKeyVersion) {
  for (unsigned ver = 0; ver < 16; ++ver) {
    for (unsigned lo = 0; lo < 16; ++lo) {
      const auto kid = static_cast<std::uint8_t>(ver << 4 | lo);
      auto r = cc_from_kid(kid);
      SCOPED_TRACE(kid);
      switch (lo) {
        case 0x1:
          ASSERT_TRUE(r.ok());
          EXPECT_EQ(*r, cc_alg::des_cbc_mac);
          break;
        case 0x5:
          ASSERT_TRUE(r.ok());
          EXPECT_EQ(*r, cc_alg::tdes2_cbc_mac);
          break;
        case 0x9:
          ASSERT_TRUE(r.ok());
          EXPECT_EQ(*r, cc_alg::tdes3_cbc_mac);
          break;
        case 0x2:
          ASSERT_TRUE(r.ok());
          EXPECT_EQ(*r, cc_alg::aes_cmac);
          break;
        case 0xD:
        case 0x6:
        case 0xA:
        case 0xE:
          expect_error(r, errc::bad_value, "reserved");
          break;
        case 0x0:
        case 0x4:
        case 0x8:
        case 0xC:
          expect_error(r, errc::unsupported, "implicit");
          break;
        default:
          expect_error(r, errc::unsupported, "proprietary");
          break;
      }
    }
  }
}

TEST(Scp80Mapping, KidRcEveryNibbleEveryKeyVersion) {
  for (unsigned ver = 0; ver < 16; ++ver) {
    for (unsigned lo = 0; lo < 16; ++lo) {
      const auto kid = static_cast<std::uint8_t>(ver << 4 | lo);
      auto r = rc_from_kid(kid);
      SCOPED_TRACE(kid);
      switch (lo) {
        case 0x1:
          ASSERT_TRUE(r.ok());
          EXPECT_EQ(*r, rc_alg::crc16);
          break;
        case 0x5:
          ASSERT_TRUE(r.ok());
          EXPECT_EQ(*r, rc_alg::crc32);
          break;
        case 0x9:
        case 0xD:
        case 0x2:
        case 0x6:
        case 0xA:
        case 0xE:
          expect_error(r, errc::bad_value, "reserved");
          break;
        case 0x0:
        case 0x4:
        case 0x8:
        case 0xC:
          expect_error(r, errc::unsupported, "implicit");
          break;
        default:
          expect_error(r, errc::unsupported, "proprietary");
          break;
      }
    }
  }
}

TEST(Scp80Mapping, ErrorNamesTheOctet) {
  expect_error(cipher_from_kic(0x36), errc::bad_value, "KIc 0x36");
  expect_error(cc_from_kid(0x1D), errc::bad_value, "KID 0x1D");
  expect_error(rc_from_kid(0x13), errc::unsupported, "KID 0x13");
  // docs/standards/ts102225-secured-packets.md §4: "35 = keyset 3, 3DES two keys".
  EXPECT_EQ(*cipher_from_kic(0x35), cipher_alg::tdes2_cbc);
  EXPECT_EQ(*cc_from_kid(0x35), cc_alg::tdes2_cbc_mac);
}

TEST(Scp80Algorithm, BlockSizesAndNames) {
  EXPECT_EQ(block_size(cipher_alg::des_cbc), 8u);
  EXPECT_EQ(block_size(cipher_alg::tdes2_cbc), 8u);
  EXPECT_EQ(block_size(cipher_alg::tdes3_cbc), 8u);
  EXPECT_EQ(block_size(cipher_alg::des_ecb), 8u);
  EXPECT_EQ(block_size(cipher_alg::aes_cbc), 16u);
  EXPECT_EQ(block_size(cc_alg::tdes2_cbc_mac), 8u);
  EXPECT_EQ(block_size(cc_alg::aes_cmac), 16u);
  EXPECT_EQ(name(cipher_alg::tdes2_cbc), "3DES-2KEY-CBC");
  EXPECT_EQ(name(cipher_alg::des_ecb), "DES-ECB");
  EXPECT_EQ(name(cc_alg::aes_cmac), "AES-CMAC");
  EXPECT_EQ(name(cc_alg::tdes3_cbc_mac), "3DES-3KEY-CBC-MAC");
  EXPECT_EQ(name(rc_alg::crc16), "CRC16");
  EXPECT_EQ(name(rc_alg::crc32), "CRC32");
}

// ---- Key, data and output lengths ----

TEST(Scp80Algorithm, KeyLengths) {
  struct row {
    cipher_alg alg;
    std::vector<std::size_t> good;
  };
  const row rows[] = {{cipher_alg::des_cbc, {8}},
                      {cipher_alg::des_ecb, {8}},
                      {cipher_alg::tdes2_cbc, {16}},
                      {cipher_alg::tdes3_cbc, {24}},
                      {cipher_alg::aes_cbc, {16, 24, 32}}};
  for (const auto& r : rows) {
    for (std::size_t len = 0; len <= 40; ++len) {
      const bool good = std::find(r.good.begin(), r.good.end(), len) != r.good.end();
      EXPECT_EQ(check_key(r.alg, len).ok(), good) << name(r.alg) << " " << len;
    }
  }
  EXPECT_TRUE(check_key(cc_alg::des_cbc_mac, 8).ok());
  EXPECT_FALSE(check_key(cc_alg::des_cbc_mac, 16).ok());
  EXPECT_TRUE(check_key(cc_alg::tdes2_cbc_mac, 16).ok());
  EXPECT_FALSE(check_key(cc_alg::tdes2_cbc_mac, 24).ok());
  EXPECT_TRUE(check_key(cc_alg::tdes3_cbc_mac, 24).ok());
  EXPECT_FALSE(check_key(cc_alg::tdes3_cbc_mac, 16).ok());
  for (std::size_t len : {16u, 24u, 32u}) EXPECT_TRUE(check_key(cc_alg::aes_cmac, len).ok());
  EXPECT_FALSE(check_key(cc_alg::aes_cmac, 8).ok());
}

TEST(Scp80Algorithm, WrongKeyLengthNamesAlgorithmAndLengthNotKey) {
  const bytes key(15, 0xAB);
  bytes data(16, 0);
  auto s = encrypt(cipher_alg::tdes2_cbc, key, data);
  expect_error(s, errc::bad_argument, "3DES-2KEY-CBC key must be 16 octets, got 15");
  EXPECT_EQ(s.error().message.find("ab"), std::string::npos);
  EXPECT_EQ(s.error().message.find("AB"), std::string::npos);
  EXPECT_EQ(to_hex(data), std::string(32, '0'));  // untouched
  expect_error(decrypt(cipher_alg::aes_cbc, bytes(20, 1), data), errc::bad_argument,
               "AES-CBC key must be 16, 24 or 32 octets, got 20");
  bytes out(8);
  expect_error(compute_cc(cc_alg::des_cbc_mac, bytes(16, 1), data, out), errc::bad_argument,
               "DES-CBC-MAC key must be 8 octets, got 16");
}

TEST(Scp80Algorithm, DataMustBeWholeBlocks) {
  bytes data(12, 0);
  expect_error(encrypt(cipher_alg::des_cbc, bytes(8, 1), data), errc::bad_argument,
               "data length 12 is not a multiple of the block size 8");
  bytes aes(24, 0);
  expect_error(encrypt(cipher_alg::aes_cbc, bytes(16, 1), aes), errc::bad_argument,
               "AES-CBC: data length 24 is not a multiple of the block size 16");
  bytes empty;
  EXPECT_TRUE(encrypt(cipher_alg::aes_cbc, bytes(16, 1), empty).ok());
}

TEST(Scp80Algorithm, CcOutputLengths) {
  const bytes data = hex("0102030405");
  for (std::size_t len = 0; len <= 20; ++len) {
    bytes out(len);
    EXPECT_EQ(compute_cc(cc_alg::tdes2_cbc_mac, bytes(16, 7), data, out).ok(), len >= 4 && len <= 8)
        << len;
    EXPECT_EQ(compute_cc(cc_alg::aes_cmac, bytes(16, 7), data, out).ok(), len >= 4 && len <= 16)
        << len;
  }
  bytes out(9);
  expect_error(compute_cc(cc_alg::des_cbc_mac, bytes(8, 7), data, out), errc::bad_argument,
               "checksum length 9 outside 4..8");
}

// ---- Ground truth from real cards (docs/standards/ts102225-secured-packets.md §7: pySim
// tests/unittests/test_ota.py, SJA5 PoR-OK; reproduced with `openssl enc -des-ede-cbc`) ----

TEST(Scp80Vectors, PySimTdes2CommandPacket) {
  const bytes kic_key = hex("300102030405060708090a0b0c0d0e0f");
  const bytes kid_key = hex("301102030405060708090a0b0c0d0e0f");
  // CPL CHL SPI KIc KID TAR | CNTR | PCNTR | data | padding
  const bytes cc_input =
      hex("00201506193535b00011"
          "0000000000"
          "03"
          "00a40004023f00"
          "000000");
  EXPECT_EQ(cc(cc_alg::tdes2_cbc_mac, kid_key, cc_input, 8), "04ceaed74c102a01");
  // Ciphered part CNTR||PCNTR||CC||data||padding (24 octets) under the KIc key.
  const bytes plain =
      hex("0000000000"
          "03"
          "04ceaed74c102a01"
          "00a40004023f00"
          "000000");
  EXPECT_EQ(enc(cipher_alg::tdes2_cbc, kic_key, plain),
            "ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f");
  EXPECT_EQ(
      dec(cipher_alg::tdes2_cbc, kic_key, hex("ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f")),
      to_hex(plain));
  // A 4-octet CC is the leftmost 4 octets of the last block.
  EXPECT_EQ(cc(cc_alg::tdes2_cbc_mac, kid_key, cc_input, 4), "04ceaed7");
}

// ---- DES ----

TEST(Scp80Vectors, DesEcb) {
  // J. Orlin Grabbe, "The DES Algorithm Illustrated" worked example.
  const bytes key = hex("133457799bbcdff1");
  EXPECT_EQ(enc(cipher_alg::des_ecb, key, hex("0123456789abcdef")), "85e813540f0ab405");
  EXPECT_EQ(dec(cipher_alg::des_ecb, key, hex("85e813540f0ab405")), "0123456789abcdef");
  // ECB: equal plaintext blocks give equal cipher blocks.
  EXPECT_EQ(enc(cipher_alg::des_ecb, key, hex("0123456789abcdef0123456789abcdef")),
            "85e813540f0ab40585e813540f0ab405");
}

TEST(Scp80Vectors, DesCbcFips81) {
  // FIPS 81 Appendix C, CBC example: key 0123456789abcdef, IV 1234567890abcdef,
  // "Now is the time for all ".
  const bytes key = hex("0123456789abcdef");
  const bytes iv = hex("1234567890abcdef");
  const bytes plain =
      hex("4e6f772069732074"
          "68652074696d6520"
          "666f7220616c6c20");
  const std::string cipher =
      "e5c7cdde872bf27c"
      "43e934008c389c0f"
      "683788499a7c05f6";
  EXPECT_EQ(enc(cipher_alg::des_cbc, key, fold_iv(plain, iv)), cipher);
  EXPECT_EQ(dec(cipher_alg::des_cbc, key, hex(cipher)), to_hex(fold_iv(plain, iv)));
}

TEST(Scp80Vectors, DesCbcMacX99) {
  // ANSI X9.9 / FIPS 113 example: key 0123456789abcdef, "7654321 Now is the time for "
  // (28 octets, zero-padded to 32). MAC f1d30f68, full last block f1d30f6849312ca4.
  const std::string text = "7654321 Now is the time for ";
  const bytes data(text.begin(), text.end());
  const bytes key = hex("0123456789abcdef");
  EXPECT_EQ(cc(cc_alg::des_cbc_mac, key, data, 8), "f1d30f6849312ca4");
  EXPECT_EQ(cc(cc_alg::des_cbc_mac, key, data, 4), "f1d30f68");
  // Zero padding is implicit: the explicitly padded input gives the same MAC.
  bytes padded = data;
  padded.resize(32, 0);
  EXPECT_EQ(cc(cc_alg::des_cbc_mac, key, padded, 8), "f1d30f6849312ca4");
}

TEST(Scp80Vectors, Tdes3Sp80067) {
  // NIST SP 800-67 Rev.1 TDEA ECB example (three distinct keys, "The qufck brown fox jump").
  // A one-block zero-IV CBC is ECB, so each block is checked on its own.
  const bytes key =
      hex("0123456789abcdef"
          "23456789abcdef01"
          "456789abcdef0123");
  EXPECT_EQ(enc(cipher_alg::tdes3_cbc, key, hex("5468652071756663")), "a826fd8ce53b855f");
  EXPECT_EQ(enc(cipher_alg::tdes3_cbc, key, hex("6b2062726f776e20")), "cce21c8112256fe6");
  EXPECT_EQ(enc(cipher_alg::tdes3_cbc, key, hex("666f78206a756d70")), "68d5c05dd9b6b900");
  EXPECT_EQ(dec(cipher_alg::tdes3_cbc, key, hex("a826fd8ce53b855f")), "5468652071756663");
  // The one-block CBC-MAC is that cipher block too.
  EXPECT_EQ(cc(cc_alg::tdes3_cbc_mac, key, hex("5468652071756663"), 8), "a826fd8ce53b855f");
}

TEST(Scp80Vectors, TdesKeyingOptionsAgree) {
  // Two-key 3DES is K1-K2-K1; three equal keys collapse to single DES.
  const bytes k1 = hex("0123456789abcdef"), k2 = hex("fedcba9876543210");
  bytes k112 = k1;
  k112.insert(k112.end(), k2.begin(), k2.end());
  bytes k121 = k112;
  k121.insert(k121.end(), k1.begin(), k1.end());
  bytes k111 = k1;
  k111.insert(k111.end(), k1.begin(), k1.end());
  k111.insert(k111.end(), k1.begin(), k1.end());
  const bytes data = hex("00112233445566778899aabbccddeeff0011223344556677");
  EXPECT_EQ(enc(cipher_alg::tdes2_cbc, k112, data), enc(cipher_alg::tdes3_cbc, k121, data));
  EXPECT_EQ(enc(cipher_alg::des_cbc, k1, data), enc(cipher_alg::tdes3_cbc, k111, data));
  EXPECT_EQ(cc(cc_alg::tdes2_cbc_mac, k112, data, 8), cc(cc_alg::tdes3_cbc_mac, k121, data, 8));
  // CBC-MAC is the last block of CBC encryption.
  EXPECT_EQ(cc(cc_alg::tdes2_cbc_mac, k112, data, 8),
            enc(cipher_alg::tdes2_cbc, k112, data).substr(32));
}

TEST(Scp80Vectors, CbcMacEmptyInputIsOneZeroBlock) {
  const bytes key = hex("0123456789abcdef");
  EXPECT_EQ(cc(cc_alg::des_cbc_mac, key, {}, 8), enc(cipher_alg::des_ecb, key, bytes(8, 0)));
}

// ---- AES ----

const bytes aes_plain =
    hex("6bc1bee22e409f96e93d7e117393172a"
        "ae2d8a571e03ac9c9eb76fac45af8e51"
        "30c81c46a35ce411e5fbc1191a0a52ef"
        "f69f2445df4f9b17ad2b417be66c3710");
const bytes aes128_key = hex("2b7e151628aed2a6abf7158809cf4f3c");
const bytes aes192_key = hex("8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b");
const bytes aes256_key = hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");

TEST(Scp80Vectors, AesCbcSp80038a) {
  // NIST SP 800-38A F.2.1/F.2.2 (AES-128), F.2.3/F.2.4 (AES-192), F.2.5/F.2.6 (AES-256),
  // IV 000102..0f folded into the first block.
  const bytes iv = hex("000102030405060708090a0b0c0d0e0f");
  struct row {
    const bytes& key;
    std::string cipher;
  };
  const row rows[] = {
      {aes128_key,
       "7649abac8119b246cee98e9b12e9197d"
       "5086cb9b507219ee95db113a917678b2"
       "73bed6b8e3c1743b7116e69e22229516"
       "3ff1caa1681fac09120eca307586e1a7"},
      {aes192_key,
       "4f021db243bc633d7178183a9fa071e8"
       "b4d9ada9ad7dedf4e5e738763f69145a"
       "571b242012fb7ae07fa9baac3df102e0"
       "08b0e27988598881d920a9e64f5615cd"},
      {aes256_key,
       "f58c4c04d6e5f1ba779eabfb5f7bfbd6"
       "9cfc4e967edb808d679f777bc6702c7d"
       "39f23369a9d9bacfa530e26304231461"
       "b2eb05e2c39be9fcda6c19078c6a9d1b"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.key.size());
    EXPECT_EQ(enc(cipher_alg::aes_cbc, r.key, fold_iv(aes_plain, iv)), r.cipher);
    EXPECT_EQ(dec(cipher_alg::aes_cbc, r.key, hex(r.cipher)), to_hex(fold_iv(aes_plain, iv)));
  }
}

TEST(Scp80Vectors, AesCmacRfc4493AndSp80038b) {
  // RFC 4493 §4 examples 1-4 (AES-128); NIST SP 800-38B Appendix D.2 (AES-192) and
  // D.3 (AES-256): messages of 0, 16, 40 and 64 octets of the SP 800-38A plaintext.
  struct row {
    const bytes& key;
    std::size_t len;
    std::string mac;
  };
  const row rows[] = {
      {aes128_key, 0, "bb1d6929e95937287fa37d129b756746"},
      {aes128_key, 16, "070a16b46b4d4144f79bdd9dd04a287c"},
      {aes128_key, 40, "dfa66747de9ae63030ca32611497c827"},
      {aes128_key, 64, "51f0bebf7e3b9d92fc49741779363cfe"},
      {aes192_key, 0, "d17ddf46adaacde531cac483de7a9367"},
      {aes192_key, 16, "9e99a7bf31e710900662f65e617c5184"},
      {aes192_key, 40, "8a1de5be2eb31aad089a82e6ee908b0e"},
      {aes192_key, 64, "a1d5df0eed790f794d77589659f39a11"},
      {aes256_key, 0, "028962f61b7bf89efc6b551f4667d983"},
      {aes256_key, 16, "28a7023f452e8f82bd4bf28d8c37c35c"},
      {aes256_key, 40, "aaf3d8f1de5640c232f5b169b9c911e6"},
      {aes256_key, 64, "e1992190549f6ed5696a2c056c315410"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(std::to_string(r.key.size()) + "/" + std::to_string(r.len));
    const bytes msg(aes_plain.begin(), aes_plain.begin() + static_cast<long>(r.len));
    EXPECT_EQ(cc(cc_alg::aes_cmac, r.key, msg, 16), r.mac);
    // Truncation keeps the leftmost octets (SP 800-38B §6.2: MSB_Tlen).
    EXPECT_EQ(cc(cc_alg::aes_cmac, r.key, msg, 8), r.mac.substr(0, 16));
    EXPECT_EQ(cc(cc_alg::aes_cmac, r.key, msg, 4), r.mac.substr(0, 8));
  }
}

// ---- Redundancy checks ----

TEST(Scp80Vectors, Crc) {
  // Check values of the CRC catalogue: CRC-32/ISO-HDLC (zlib) and CRC-16/IBM-SDLC (X.25).
  const std::string check = "123456789";
  const bytes data(check.begin(), check.end());
  EXPECT_EQ(crc32(data), 0xCBF43926u);
  EXPECT_EQ(crc16(data), 0x906Eu);
  EXPECT_EQ(crc32({}), 0u);
  EXPECT_EQ(crc16({}), 0u);
  bytes out4(4), out2(2);
  ASSERT_TRUE(compute_rc(rc_alg::crc32, data, out4).ok());
  EXPECT_EQ(to_hex(out4), "cbf43926");  // big-endian
  ASSERT_TRUE(compute_rc(rc_alg::crc16, data, out2).ok());
  EXPECT_EQ(to_hex(out2), "906e");
  expect_error(compute_rc(rc_alg::crc32, data, out2), errc::bad_argument,
               "CRC32: output length 2, expected 4");
  expect_error(compute_rc(rc_alg::crc16, data, out4), errc::bad_argument,
               "CRC16: output length 4, expected 2");
}

// ---- Properties ----

RC_GTEST_PROP(Scp80Algorithm, DecryptOfEncryptIsIdentity, ()) {
  const auto alg =
      *rc::gen::elementOf(std::vector<cipher_alg>(std::begin(all_ciphers), std::end(all_ciphers)));
  std::size_t key_len = 8;
  if (alg == cipher_alg::tdes2_cbc) key_len = 16;
  if (alg == cipher_alg::tdes3_cbc) key_len = 24;
  if (alg == cipher_alg::aes_cbc)
    key_len = *rc::gen::elementOf(std::vector<std::size_t>{16, 24, 32});
  const auto key = *rc::gen::container<bytes>(key_len, rc::gen::arbitrary<std::uint8_t>());
  const auto blocks = *rc::gen::inRange<std::size_t>(0, 20);
  const auto plain =
      *rc::gen::container<bytes>(blocks * block_size(alg), rc::gen::arbitrary<std::uint8_t>());
  bytes data = plain;
  RC_ASSERT(encrypt(alg, key, data).ok());
  if (!plain.empty()) RC_ASSERT(data != plain);
  RC_ASSERT(decrypt(alg, key, data).ok());
  RC_ASSERT(data == plain);
}

RC_GTEST_PROP(Scp80Algorithm, CbcMacZeroPadsImplicitly, (const bytes& data)) {
  const auto key = *rc::gen::container<bytes>(16, rc::gen::arbitrary<std::uint8_t>());
  bytes padded = data;
  padded.resize(std::max<std::size_t>(8, (data.size() + 7) / 8 * 8), 0);
  bytes a(8), b(8);
  RC_ASSERT(compute_cc(cc_alg::tdes2_cbc_mac, key, data, a).ok());
  RC_ASSERT(compute_cc(cc_alg::tdes2_cbc_mac, key, padded, b).ok());
  RC_ASSERT(a == b);
}

// Independent reference: OpenSSL's own CMAC (EVP_MAC "CMAC"), which our AES-CMAC does not use.
bytes openssl_cmac(const bytes& key, const bytes& data) {
  const char* cipher = key.size() == 16   ? "AES-128-CBC"
                       : key.size() == 24 ? "AES-192-CBC"
                                          : "AES-256-CBC";
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_CMAC, nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, const_cast<char*>(cipher), 0),
      OSSL_PARAM_construct_end()};
  bytes out(16);
  std::size_t outl = 0;
  const bool ok = EVP_MAC_init(ctx, key.data(), key.size(), params) == 1 &&
                  EVP_MAC_update(ctx, data.data(), data.size()) == 1 &&
                  EVP_MAC_final(ctx, out.data(), &outl, out.size()) == 1 && outl == 16;
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  if (!ok) out.clear();
  return out;
}

RC_GTEST_PROP(Scp80Algorithm, AesCmacEqualsOpenSslCmac, ()) {
  const auto key_len = *rc::gen::elementOf(std::vector<std::size_t>{16, 24, 32});
  const auto key = *rc::gen::container<bytes>(key_len, rc::gen::arbitrary<std::uint8_t>());
  // Lengths around the block boundaries matter most (K1 versus K2 masking).
  const auto len = *rc::gen::inRange<std::size_t>(0, 300);
  const auto data = *rc::gen::container<bytes>(len, rc::gen::arbitrary<std::uint8_t>());
  bytes ours(16);
  RC_ASSERT(compute_cc(cc_alg::aes_cmac, key, data, ours).ok());
  RC_ASSERT(ours == openssl_cmac(key, data));
}

TEST(Scp80Algorithm, AesCmacEveryLengthUpTo80EqualsOpenSslCmac) {
  const bytes key = hex("2b7e151628aed2a6abf7158809cf4f3c");
  bytes data;
  for (std::size_t len = 0; len <= 80; ++len) {
    bytes ours(16);
    ASSERT_TRUE(compute_cc(cc_alg::aes_cmac, key, data, ours).ok());
    EXPECT_EQ(to_hex(ours), to_hex(openssl_cmac(key, data))) << len;
    data.push_back(static_cast<std::uint8_t>(len * 37 + 1));
  }
}

TEST(Scp80Algorithm, EveryAlgorithmAvailable) {
  // Catches a missing OpenSSL provider (single DES lives in "legacy").
  for (auto alg : all_ciphers) {
    bytes key(alg == cipher_alg::tdes2_cbc   ? 16
              : alg == cipher_alg::tdes3_cbc ? 24
              : alg == cipher_alg::aes_cbc   ? 16
                                             : 8,
              0x11);
    bytes data(block_size(alg), 0);
    auto s = encrypt(alg, key, data);
    EXPECT_TRUE(s.ok()) << name(alg) << ": " << (s.ok() ? "" : s.error().message);
  }
  for (auto alg : all_ccs) {
    bytes key(alg == cc_alg::tdes2_cbc_mac   ? 16
              : alg == cc_alg::tdes3_cbc_mac ? 24
              : alg == cc_alg::aes_cmac      ? 32
                                             : 8,
              0x22);
    bytes out(8);
    auto s = compute_cc(alg, key, hex("00"), out);
    EXPECT_TRUE(s.ok()) << name(alg) << ": " << (s.ok() ? "" : s.error().message);
  }
}

}  // namespace
}  // namespace otaflow::secure
