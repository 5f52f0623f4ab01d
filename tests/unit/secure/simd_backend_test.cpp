// The SIMD backend must give byte for byte what the OpenSSL backend gives, job by job, for
// every algorithm, key, length and direction, in any mix, with failing jobs interleaved; and
// that for every kernel (portable, AVX2, AVX-512 where the CPU has them) and with or without
// the OpenSSL hand-off of small leftovers.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "secure/scp80.hpp"
#include "secure/scp80_algorithm.hpp"
#include "secure/simd_backend.hpp"

namespace otaflow::secure {
namespace {

// ---- Configurations under test ----

struct config {
  std::string label;
  simd_options options;
};

// Every kernel the CPU can run, each forced to take every lane (no OpenSSL leftovers), plus
// the production defaults and AES without AES-NI.
std::vector<config> configs() {
  std::vector<config> c;
  simd_options o;
  o.openssl_leftovers = false;
  o.max_des_level = simd_level::portable;
  c.push_back({"portable", o});
  if (best_simd_level() >= simd_level::avx2) {
    o.max_des_level = simd_level::avx2;
    c.push_back({"avx2", o});
  }
  if (best_simd_level() >= simd_level::avx512) {
    o.max_des_level = simd_level::avx512;
    c.push_back({"avx512", o});
  }
  c.push_back({"default", simd_options{}});
  simd_options no_aes;
  no_aes.aes_ni = false;
  c.push_back({"aes-via-openssl", no_aes});
  return c;
}

// ---- One job, run through a backend ----

std::string status_text(const status& s) {
  return s.ok() ? "ok" : s.error().message;
}

struct cipher_case {
  cipher_alg alg;
  bytes key;
  bytes data;
  bool encrypt;
};

struct cc_case {
  cc_alg alg;
  bytes key;
  bytes data;
  std::size_t out_len;
};

struct cipher_outcome {
  std::vector<bytes> data;
  std::vector<std::string> status;
};

cipher_outcome run_all(crypto_backend& b, const std::vector<cipher_case>& cases) {
  cipher_outcome r;
  r.data.reserve(cases.size());
  std::vector<status> st(cases.size());
  std::vector<cipher_job> jobs;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    r.data.push_back(cases[i].data);
    jobs.push_back({cases[i].alg, cases[i].key, r.data.back(), cases[i].encrypt, &st[i]});
  }
  b.run(jobs);
  for (const auto& s : st) r.status.push_back(status_text(s));
  return r;
}

cipher_outcome run_all(crypto_backend& b, const std::vector<cc_case>& cases) {
  cipher_outcome r;
  r.data.reserve(cases.size());
  std::vector<status> st(cases.size());
  std::vector<cc_job> jobs;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    r.data.emplace_back(cases[i].out_len, 0xEE);
    jobs.push_back({cases[i].alg, cases[i].key, cases[i].data, r.data.back(), &st[i]});
  }
  b.run(jobs);
  for (const auto& s : st) r.status.push_back(status_text(s));
  return r;
}

std::string enc(crypto_backend& b, cipher_alg alg, const bytes& key, const bytes& data,
                bool encrypt = true) {
  const auto r = run_all(b, std::vector<cipher_case>{{alg, key, data, encrypt}});
  return r.status[0] == "ok" ? to_hex(r.data[0]) : r.status[0];
}

std::string cc(crypto_backend& b, cc_alg alg, const bytes& key, const bytes& data,
               std::size_t len) {
  const auto r = run_all(b, std::vector<cc_case>{{alg, key, data, len}});
  return r.status[0] == "ok" ? to_hex(r.data[0]) : r.status[0];
}

// CBC with a non-zero IV equals zero-IV CBC of the input whose first block is XOR IV.
bytes fold_iv(bytes data, const bytes& iv) {
  for (std::size_t i = 0; i < iv.size(); ++i) data[i] ^= iv[i];
  return data;
}

// ---- Known answers through every configuration ----

class SimdKat : public ::testing::TestWithParam<config> {
 protected:
  std::unique_ptr<crypto_backend> b_ = make_simd_backend(GetParam().options);
};

TEST_P(SimdKat, Standards14CommandPacketCcAndCiphering) {
  // docs/standards/ts102225-secured-packets.md §7 (pySim tests/unittests/test_ota.py, PoR-OK
  // from an SJA5 card): 3DES two-key, KID key 3011..0f, KIc key 3001..0f.
  const bytes kic_key = hex("300102030405060708090a0b0c0d0e0f");
  const bytes kid_key = hex("301102030405060708090a0b0c0d0e0f");
  const bytes cc_input =
      hex("00201506193535b00011000000000003"
          "00a40004023f00000000");
  EXPECT_EQ(cc(*b_, cc_alg::tdes2_cbc_mac, kid_key, cc_input, 8), "04ceaed74c102a01");
  EXPECT_EQ(cc(*b_, cc_alg::tdes2_cbc_mac, kid_key, cc_input, 4), "04ceaed7");
  const bytes plain = hex("00000000000304ceaed74c102a0100a40004023f00000000");
  EXPECT_EQ(enc(*b_, cipher_alg::tdes2_cbc, kic_key, plain),
            "ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f");
  EXPECT_EQ(enc(*b_, cipher_alg::tdes2_cbc, kic_key,
                hex("ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f"), false),
            to_hex(plain));
}

TEST_P(SimdKat, DesEcbGrabbe) {
  // J. Orlin Grabbe, "The DES Algorithm Illustrated" worked example.
  const bytes key = hex("133457799bbcdff1");
  EXPECT_EQ(enc(*b_, cipher_alg::des_ecb, key, hex("0123456789abcdef0123456789abcdef")),
            "85e813540f0ab40585e813540f0ab405");
  EXPECT_EQ(enc(*b_, cipher_alg::des_ecb, key, hex("85e813540f0ab405"), false), "0123456789abcdef");
}

TEST_P(SimdKat, DesCbcFips81) {
  // FIPS 81 Appendix C: key 0123456789abcdef, IV 1234567890abcdef, "Now is the time for all ".
  const bytes key = hex("0123456789abcdef");
  const bytes plain =
      fold_iv(hex("4e6f77206973207468652074696d6520666f7220616c6c20"), hex("1234567890abcdef"));
  const std::string cipher = "e5c7cdde872bf27c43e934008c389c0f683788499a7c05f6";
  EXPECT_EQ(enc(*b_, cipher_alg::des_cbc, key, plain), cipher);
  EXPECT_EQ(enc(*b_, cipher_alg::des_cbc, key, hex(cipher), false), to_hex(plain));
}

TEST_P(SimdKat, DesCbcMacX99) {
  // ANSI X9.9 / FIPS 113: "7654321 Now is the time for " (28 octets, zero-padded).
  const std::string text = "7654321 Now is the time for ";
  const bytes data(text.begin(), text.end());
  const bytes key = hex("0123456789abcdef");
  EXPECT_EQ(cc(*b_, cc_alg::des_cbc_mac, key, data, 8), "f1d30f6849312ca4");
  EXPECT_EQ(cc(*b_, cc_alg::des_cbc_mac, key, data, 4), "f1d30f68");
  // An empty input is one zero block.
  EXPECT_EQ(cc(*b_, cc_alg::des_cbc_mac, key, {}, 8),
            enc(*b_, cipher_alg::des_ecb, key, bytes(8, 0)));
}

TEST_P(SimdKat, Tdes3Sp80067) {
  // NIST SP 800-67 Rev.1 TDEA example, three distinct keys.
  const bytes key = hex("0123456789abcdef23456789abcdef01456789abcdef0123");
  EXPECT_EQ(enc(*b_, cipher_alg::tdes3_cbc, key, hex("5468652071756663")), "a826fd8ce53b855f");
  EXPECT_EQ(enc(*b_, cipher_alg::tdes3_cbc, key, hex("666f78206a756d70")), "68d5c05dd9b6b900");
  EXPECT_EQ(enc(*b_, cipher_alg::tdes3_cbc, key, hex("cce21c8112256fe6"), false),
            "6b2062726f776e20");
  EXPECT_EQ(cc(*b_, cc_alg::tdes3_cbc_mac, key, hex("5468652071756663"), 8), "a826fd8ce53b855f");
}

const bytes aes_plain =
    hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
        "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
const bytes aes128_key = hex("2b7e151628aed2a6abf7158809cf4f3c");
const bytes aes192_key = hex("8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b");
const bytes aes256_key = hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");

TEST_P(SimdKat, AesCbcSp80038a) {
  // NIST SP 800-38A F.2.1-F.2.6, IV 000102..0f folded into the first block.
  const bytes plain = fold_iv(aes_plain, hex("000102030405060708090a0b0c0d0e0f"));
  const std::pair<const bytes*, std::string> rows[] = {
      {&aes128_key,
       "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
       "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7"},
      {&aes192_key,
       "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a"
       "571b242012fb7ae07fa9baac3df102e008b0e27988598881d920a9e64f5615cd"},
      {&aes256_key,
       "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
       "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b"}};
  for (const auto& [key, cipher] : rows) {
    SCOPED_TRACE(key->size());
    EXPECT_EQ(enc(*b_, cipher_alg::aes_cbc, *key, plain), cipher);
    EXPECT_EQ(enc(*b_, cipher_alg::aes_cbc, *key, hex(cipher), false), to_hex(plain));
  }
}

TEST_P(SimdKat, AesCmacRfc4493AndSp80038b) {
  // RFC 4493 §4 (AES-128); NIST SP 800-38B D.2 (AES-192), D.3 (AES-256).
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
      {aes192_key, 40, "8a1de5be2eb31aad089a82e6ee908b0e"},
      {aes256_key, 16, "28a7023f452e8f82bd4bf28d8c37c35c"},
      {aes256_key, 64, "e1992190549f6ed5696a2c056c315410"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(std::to_string(r.key.size()) + "/" + std::to_string(r.len));
    const bytes msg(aes_plain.begin(), aes_plain.begin() + static_cast<long>(r.len));
    EXPECT_EQ(cc(*b_, cc_alg::aes_cmac, r.key, msg, 16), r.mac);
    EXPECT_EQ(cc(*b_, cc_alg::aes_cmac, r.key, msg, 8), r.mac.substr(0, 16));
    EXPECT_EQ(cc(*b_, cc_alg::aes_cmac, r.key, msg, 4), r.mac.substr(0, 8));
  }
}

TEST_P(SimdKat, FailuresCarryTheOpenSslMessagesAndTouchNothing) {
  EXPECT_EQ(enc(*b_, cipher_alg::tdes2_cbc, bytes(15, 0x55), bytes(16, 1)),
            "3DES-2KEY-CBC key must be 16 octets, got 15");
  EXPECT_EQ(enc(*b_, cipher_alg::aes_cbc, bytes(16, 1), bytes(24, 1)),
            "AES-CBC: data length 24 is not a multiple of the block size 16");
  EXPECT_EQ(cc(*b_, cc_alg::des_cbc_mac, bytes(8, 7), bytes(5, 1), 9),
            "DES-CBC-MAC: checksum length 9 outside 4..8");
  // Null result pointers are allowed; empty data is a successful no-op.
  bytes data(16, 3), empty;
  const bytes des_key(8, 1), aes_key(16, 1);
  std::vector<cipher_job> jobs = {{cipher_alg::des_cbc, des_key, data, true, nullptr},
                                  {cipher_alg::aes_cbc, aes_key, empty, true, nullptr}};
  b_->run(jobs);
  EXPECT_NE(data, bytes(16, 3));
  b_->run(std::span<cipher_job>{});
  b_->run(std::span<cc_job>{});
}

INSTANTIATE_TEST_SUITE_P(Configs, SimdKat, ::testing::ValuesIn(configs()), [](const auto& info) {
  std::string n = info.param.label;
  for (char& c : n)
    if (c == '-') c = '_';
  return n;
});

// ---- Randomised differential tests against OpenSSL ----

std::size_t key_len(cipher_alg alg, int pick) {
  switch (alg) {
    case cipher_alg::tdes2_cbc:
      return 16;
    case cipher_alg::tdes3_cbc:
      return 24;
    case cipher_alg::aes_cbc:
      return 16 + 8 * static_cast<std::size_t>(pick % 3);
    default:
      return 8;
  }
}

std::size_t key_len(cc_alg alg, int pick) {
  switch (alg) {
    case cc_alg::tdes2_cbc_mac:
      return 16;
    case cc_alg::tdes3_cbc_mac:
      return 24;
    case cc_alg::aes_cmac:
      return 16 + 8 * static_cast<std::size_t>(pick % 3);
    default:
      return 8;
  }
}

bytes random_bytes(std::size_t n) {
  return *rc::gen::container<bytes>(n, rc::gen::arbitrary<std::uint8_t>());
}

// A batch of 1..300 jobs: mostly one "dominant" algorithm (so that SIMD batches fill up),
// the rest mixed; lengths 8..2048 octets; about one job in twelve failing (bad key length,
// bad data length).
std::vector<cipher_case> gen_cipher_batch() {
  const auto n = *rc::gen::inRange<std::size_t>(1, 301);
  const auto dominant = static_cast<cipher_alg>(*rc::gen::inRange(0, 5));
  const auto max_blocks = *rc::gen::element<std::size_t>(2, 20, 256);
  std::vector<cipher_case> v;
  for (std::size_t i = 0; i < n; ++i) {
    cipher_case c;
    c.alg =
        *rc::gen::inRange(0, 3) != 0 ? dominant : static_cast<cipher_alg>(*rc::gen::inRange(0, 5));
    std::size_t klen = key_len(c.alg, *rc::gen::inRange(0, 3));
    const int fault = *rc::gen::inRange(0, 24);
    if (fault == 0) klen += 1;
    c.key = random_bytes(klen);
    const std::size_t bs = block_size(c.alg);
    std::size_t len =
        bs * *rc::gen::inRange<std::size_t>(1, std::max<std::size_t>(2, max_blocks * 8 / bs + 1));
    len = std::min<std::size_t>(len, 2048);
    if (fault == 1) len += 3;
    c.data = random_bytes(len);
    c.encrypt = *rc::gen::arbitrary<bool>();
    v.push_back(std::move(c));
  }
  return v;
}

std::vector<cc_case> gen_cc_batch() {
  const auto n = *rc::gen::inRange<std::size_t>(1, 301);
  const auto dominant = static_cast<cc_alg>(*rc::gen::inRange(0, 4));
  const auto max_len = *rc::gen::element<std::size_t>(24, 160, 2049);
  std::vector<cc_case> v;
  for (std::size_t i = 0; i < n; ++i) {
    cc_case c;
    c.alg = *rc::gen::inRange(0, 3) != 0 ? dominant : static_cast<cc_alg>(*rc::gen::inRange(0, 4));
    std::size_t klen = key_len(c.alg, *rc::gen::inRange(0, 3));
    const int fault = *rc::gen::inRange(0, 24);
    if (fault == 0) klen += 8;
    c.key = random_bytes(klen);
    c.data = random_bytes(*rc::gen::inRange<std::size_t>(0, max_len));
    c.out_len = *rc::gen::inRange<std::size_t>(4, block_size(c.alg) + 1);
    if (fault == 1) c.out_len = 3;
    v.push_back(std::move(c));
  }
  return v;
}

template <class Case>
void check_against_openssl(const std::vector<Case>& cases) {
  auto reference = make_openssl_backend();
  const auto want = run_all(*reference, cases);
  for (const config& c : configs()) {
    auto simd = make_simd_backend(c.options);
    const auto got = run_all(*simd, cases);
    for (std::size_t i = 0; i < cases.size(); ++i) {
      RC_ASSERT(got.status[i] == want.status[i]);
      RC_ASSERT(got.data[i] == want.data[i]);
    }
  }
}

RC_GTEST_PROP(SimdDifferential, CipherBatchesEqualOpenSsl, ()) {
  check_against_openssl(gen_cipher_batch());
}

RC_GTEST_PROP(SimdDifferential, CcBatchesEqualOpenSsl, ()) {
  check_against_openssl(gen_cc_batch());
}

RC_GTEST_PROP(SimdDifferential, DecryptInvertsEncrypt, ()) {
  auto cases = gen_cipher_batch();
  for (auto& c : cases) c.encrypt = true;
  auto simd = make_simd_backend();
  const auto there = run_all(*simd, cases);
  std::vector<cipher_case> back = cases;
  for (std::size_t i = 0; i < back.size(); ++i) {
    back[i].data = there.data[i];
    back[i].encrypt = false;
  }
  const auto again = run_all(*simd, back);
  for (std::size_t i = 0; i < cases.size(); ++i)
    if (there.status[i] == "ok") RC_ASSERT(again.data[i] == cases[i].data);
}

TEST(SimdDifferential, LargeMixedBatchFillsEveryKernel) {
  // 1100 jobs: more than one 512-lane batch of two-key 3DES, a 3-key and a single-DES group
  // with leftovers, AES of all key lengths; 140-octet and odd lengths.
  std::vector<cipher_case> cases;
  std::vector<cc_case> ccs;
  std::uint8_t seed = 1;
  auto fill = [&](std::size_t n) {
    bytes b(n);
    for (auto& x : b) x = seed = static_cast<std::uint8_t>(seed * 29 + 7);
    return b;
  };
  for (std::size_t i = 0; i < 1100; ++i) {
    const std::size_t kind = i % 11;
    const cipher_alg alg = kind < 6    ? cipher_alg::tdes2_cbc
                           : kind < 8  ? cipher_alg::tdes3_cbc
                           : kind == 8 ? cipher_alg::des_cbc
                                       : cipher_alg::aes_cbc;
    const std::size_t blocks = 1 + (i * 7) % 40;
    cases.push_back(
        {alg, fill(key_len(alg, static_cast<int>(i))), fill(blocks * block_size(alg)), i % 5 != 0});
    const cc_alg calg = kind < 6    ? cc_alg::tdes2_cbc_mac
                        : kind < 8  ? cc_alg::tdes3_cbc_mac
                        : kind == 8 ? cc_alg::des_cbc_mac
                                    : cc_alg::aes_cmac;
    ccs.push_back({calg, fill(key_len(calg, static_cast<int>(i))), fill(i % 150), 4 + i % 5});
  }
  auto reference = make_openssl_backend();
  const auto want = run_all(*reference, cases);
  const auto want_cc = run_all(*reference, ccs);
  for (const config& c : configs()) {
    SCOPED_TRACE(c.label);
    auto simd = make_simd_backend(c.options);
    const auto got = run_all(*simd, cases);
    const auto got_cc = run_all(*simd, ccs);
    for (std::size_t i = 0; i < cases.size(); ++i) {
      ASSERT_EQ(got.status[i], "ok") << i;
      ASSERT_EQ(got.data[i], want.data[i]) << i;
      ASSERT_EQ(got_cc.status[i], "ok") << i;
      ASSERT_EQ(got_cc.data[i], want_cc.data[i]) << i;
    }
  }
}

// ---- Through the SCP80 batch API, and the card side ----

TEST(SimdScp80, SecureCommandsMatchOpenSslAndOpenOnTheCardSide) {
  // The engine's crypto stage (secure_commands) with the SIMD backend builds the same packets;
  // the card side's deciphering and CC check through the SIMD backend recovers the data.
  const bytes kic_key = hex("300102030405060708090a0b0c0d0e0f");
  const bytes kid_key = hex("301102030405060708090a0b0c0d0e0f");
  std::vector<bytes> datas;
  std::vector<command_request> reqs;
  for (std::size_t i = 0; i < 400; ++i)
    datas.push_back(bytes(7 + i % 90, static_cast<std::uint8_t>(i)));
  for (std::size_t i = 0; i < 400; ++i) {
    command_params p;
    p.spi.ciphered = true;
    p.spi.command_integrity = codec::integrity::cc;
    p.kic = p.kid = i % 3 == 0 ? 0x12 : 0x35;  // AES or 3DES two-key, keyset 1 / 3
    p.kic_key = kic_key;
    p.kid_key = kid_key;
    p.tar = 0xB00011;
    p.counter = i;
    reqs.push_back({p, datas[i]});
  }
  auto openssl = make_openssl_backend();
  auto simd = make_simd_backend();
  const auto want = secure_commands(reqs, *openssl);
  const auto got = secure_commands(reqs, *simd);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(want[i].ok()) << want[i].error().message;
    ASSERT_TRUE(got[i].ok()) << got[i].error().message;
    EXPECT_EQ(*got[i], *want[i]) << i;
  }
  // Card side: decipher every packet's CNTR..end in one batch, then verify every CC in one
  // batch. CPL(2) CHL(1) SPI..TAR(7) stay clear; the CC sits after CNTR(5) PCNTR(1).
  std::vector<bytes> opened;
  std::vector<cipher_job> dec;
  std::vector<status> dec_st(got.size());
  for (std::size_t i = 0; i < got.size(); ++i) opened.push_back(*got[i]);
  for (std::size_t i = 0; i < got.size(); ++i) {
    const cipher_alg alg = i % 3 == 0 ? cipher_alg::aes_cbc : cipher_alg::tdes2_cbc;
    dec.push_back(
        {alg, kic_key, std::span<std::uint8_t>(opened[i]).subspan(10), false, &dec_st[i]});
  }
  simd->run(dec);
  std::vector<bytes> cc_input(got.size()), mac(got.size(), bytes(8));
  std::vector<cc_job> verify;
  std::vector<status> cc_st(got.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(dec_st[i].ok());
    const bytes& o = opened[i];
    EXPECT_EQ(bytes(o.begin() + 24, o.begin() + 24 + static_cast<long>(datas[i].size())), datas[i]);
    // CC input: CPL..TAR, CNTR, PCNTR, then data and padding (the CC field left out).
    cc_input[i].assign(o.begin(), o.begin() + 16);
    cc_input[i].insert(cc_input[i].end(), o.begin() + 24, o.end());
    const cc_alg calg = i % 3 == 0 ? cc_alg::aes_cmac : cc_alg::tdes2_cbc_mac;
    verify.push_back({calg, kid_key, cc_input[i], mac[i], &cc_st[i]});
  }
  simd->run(verify);
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(cc_st[i].ok());
    EXPECT_EQ(mac[i], bytes(opened[i].begin() + 16, opened[i].begin() + 24)) << i;
  }
}

TEST(SimdBackend, FeaturesAndNames) {
  const simd_features f = detect_simd_features();
  EXPECT_EQ(best_simd_level() >= simd_level::avx2, f.avx2 || f.avx512f);
  EXPECT_EQ(name(simd_level::portable), "portable");
  EXPECT_EQ(name(simd_level::avx512), "avx512");
  simd_options o;
  o.max_des_level = simd_level::portable;
  o.aes_ni = false;
  EXPECT_EQ(make_simd_backend(o)->name(), "simd(des=portable,aes=openssl)");
  auto best = make_best_backend();
  if (f.avx2 || f.aes_ni)
    EXPECT_EQ(best->name().substr(0, 5), "simd(");
  else
    EXPECT_EQ(best->name(), "openssl-evp");
}

}  // namespace
}  // namespace otaflow::secure
