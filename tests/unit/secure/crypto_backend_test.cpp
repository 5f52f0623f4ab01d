// The batch backend must give exactly what the single-message functions give, job by job,
// whatever the mix of algorithms, keys, directions and failures in one batch.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <thread>
#include <vector>

#include "secure/scp80_algorithm.hpp"

namespace otaflow::secure {
namespace {

std::size_t key_len_for(cipher_alg alg, std::size_t pick) {
  switch (alg) {
    case cipher_alg::tdes2_cbc:
      return 16;
    case cipher_alg::tdes3_cbc:
      return 24;
    case cipher_alg::aes_cbc:
      return 16 + 8 * (pick % 3);
    default:
      return 8;
  }
}

std::size_t key_len_for(cc_alg alg, std::size_t pick) {
  switch (alg) {
    case cc_alg::tdes2_cbc_mac:
      return 16;
    case cc_alg::tdes3_cbc_mac:
      return 24;
    case cc_alg::aes_cmac:
      return 16 + 8 * (pick % 3);
    default:
      return 8;
  }
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

rc::Gen<cipher_case> gen_cipher_case() {
  return rc::gen::exec([] {
    cipher_case c;
    c.alg = static_cast<cipher_alg>(*rc::gen::inRange(0, 5));
    c.key = *rc::gen::container<bytes>(key_len_for(c.alg, *rc::gen::inRange(0, 3)),
                                       rc::gen::arbitrary<std::uint8_t>());
    // Mostly 140-octet-class messages; sometimes a bad length to mix failures in.
    const auto blocks = *rc::gen::inRange<std::size_t>(0, 12);
    std::size_t len = blocks * block_size(c.alg);
    if (*rc::gen::inRange(0, 10) == 0) len += 1;
    c.data = *rc::gen::container<bytes>(len, rc::gen::arbitrary<std::uint8_t>());
    c.encrypt = *rc::gen::arbitrary<bool>();
    return c;
  });
}

rc::Gen<cc_case> gen_cc_case() {
  return rc::gen::exec([] {
    cc_case c;
    c.alg = static_cast<cc_alg>(*rc::gen::inRange(0, 4));
    std::size_t key_len = key_len_for(c.alg, *rc::gen::inRange(0, 3));
    if (*rc::gen::inRange(0, 10) == 0) key_len += 1;  // a failing job now and then
    c.key = *rc::gen::container<bytes>(key_len, rc::gen::arbitrary<std::uint8_t>());
    c.data = *rc::gen::container<bytes>(*rc::gen::inRange<std::size_t>(0, 160),
                                        rc::gen::arbitrary<std::uint8_t>());
    c.out_len = *rc::gen::inRange<std::size_t>(4, block_size(c.alg) + 1);
    return c;
  });
}

RC_GTEST_PROP(CryptoBackend, CipherBatchEqualsSingleMessageFunctions, ()) {
  const auto cases = *rc::gen::container<std::vector<cipher_case>>(gen_cipher_case());
  std::vector<bytes> batch_data;
  std::vector<status> results(cases.size());
  std::vector<cipher_job> jobs;
  batch_data.reserve(cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    batch_data.push_back(cases[i].data);
    jobs.push_back({cases[i].alg, cases[i].key, batch_data.back(), cases[i].encrypt, &results[i]});
  }
  auto backend = make_openssl_backend();
  backend->run(jobs);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    bytes single = cases[i].data;
    const status s = cases[i].encrypt ? encrypt(cases[i].alg, cases[i].key, single)
                                      : decrypt(cases[i].alg, cases[i].key, single);
    RC_ASSERT(results[i].ok() == s.ok());
    if (s.ok()) {
      RC_ASSERT(batch_data[i] == single);
    } else {
      RC_ASSERT(results[i].error().message == s.error().message);
    }
  }
}

RC_GTEST_PROP(CryptoBackend, CcBatchEqualsSingleMessageFunctions, ()) {
  const auto cases = *rc::gen::container<std::vector<cc_case>>(gen_cc_case());
  std::vector<bytes> outs;
  std::vector<status> results(cases.size());
  std::vector<cc_job> jobs;
  outs.reserve(cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    outs.emplace_back(cases[i].out_len);
    jobs.push_back({cases[i].alg, cases[i].key, cases[i].data, outs.back(), &results[i]});
  }
  auto backend = make_openssl_backend();
  backend->run(jobs);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    bytes single(cases[i].out_len);
    const status s = compute_cc(cases[i].alg, cases[i].key, cases[i].data, single);
    RC_ASSERT(results[i].ok() == s.ok());
    if (s.ok()) RC_ASSERT(outs[i] == single);
  }
}

RC_GTEST_PROP(CryptoBackend, EncryptThenDecryptInOneBackendRoundTrips, ()) {
  const auto cases = *rc::gen::container<std::vector<cipher_case>>(gen_cipher_case());
  std::vector<bytes> data;
  std::vector<status> results(cases.size());
  std::vector<cipher_job> jobs;
  data.reserve(cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    data.push_back(cases[i].data);
    jobs.push_back({cases[i].alg, cases[i].key, data.back(), true, &results[i]});
  }
  auto backend = make_openssl_backend();
  backend->run(jobs);
  for (auto& j : jobs) j.encrypt = false;
  backend->run(jobs);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    if (results[i].ok()) RC_ASSERT(data[i] == cases[i].data);
  }
}

TEST(CryptoBackend, NameAndFailuresStayPerJob) {
  auto backend = make_openssl_backend();
  EXPECT_EQ(backend->name(), "openssl-evp");
  const bytes good_key = hex("300102030405060708090a0b0c0d0e0f");
  const bytes bad_key(15, 0x55);
  bytes a = hex("00000000000304ceaed74c102a0100a40004023f00000000");
  bytes b = a, c = a;
  status ra, rb;
  std::vector<cipher_job> jobs = {
      {cipher_alg::tdes2_cbc, good_key, a, true, &ra},
      {cipher_alg::tdes2_cbc, bad_key, b, true, &rb},
      {cipher_alg::tdes2_cbc, good_key, c, true, nullptr},  // a null result is allowed
  };
  backend->run(jobs);
  ASSERT_TRUE(ra.ok());
  ASSERT_FALSE(rb.ok());
  EXPECT_EQ(rb.error().code, errc::bad_argument);
  EXPECT_EQ(rb.error().message, "3DES-2KEY-CBC key must be 16 octets, got 15");
  // docs/standards/ts102225-secured-packets.md §7 / pySim test_ota.py packet.
  EXPECT_EQ(to_hex(a), "ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f");
  EXPECT_EQ(b, hex("00000000000304ceaed74c102a0100a40004023f00000000"));  // untouched
  EXPECT_EQ(c, a);

  const bytes kid_key = hex("301102030405060708090a0b0c0d0e0f");
  const bytes cc_input =
      hex("00201506193535b00011000000000003"
          "00a40004023f00000000");
  bytes mac(8), mac4(4);
  status rm, rm4;
  std::vector<cc_job> cc_jobs = {{cc_alg::tdes2_cbc_mac, kid_key, cc_input, mac, &rm},
                                 {cc_alg::tdes2_cbc_mac, kid_key, cc_input, mac4, &rm4}};
  backend->run(cc_jobs);
  ASSERT_TRUE(rm.ok());
  ASSERT_TRUE(rm4.ok());
  EXPECT_EQ(to_hex(mac), "04ceaed74c102a01");
  EXPECT_EQ(to_hex(mac4), "04ceaed7");
}

TEST(CryptoBackend, EmptyBatches) {
  auto backend = make_openssl_backend();
  backend->run(std::span<cipher_job>{});
  backend->run(std::span<cc_job>{});
}

TEST(CryptoBackend, OneBackendPerThread) {
  // Each thread owns its backend (and the single-message functions their thread-local
  // contexts); results must not depend on which thread ran them.
  const bytes key = hex("2b7e151628aed2a6abf7158809cf4f3c");
  const bytes plain(144, 0x5A);
  bytes expected = plain;
  ASSERT_TRUE(encrypt(cipher_alg::aes_cbc, key, expected).ok());
  auto work = [&](bool& same) {
    auto backend = make_openssl_backend();
    same = true;
    for (int round = 0; round < 200; ++round) {
      bytes data = plain;
      status r;
      cipher_job job{cipher_alg::aes_cbc, key, data, true, &r};
      backend->run(std::span<cipher_job>(&job, 1));
      bytes single = plain;
      same = same && r.ok() && data == expected && encrypt(cipher_alg::aes_cbc, key, single).ok() &&
             single == expected;
    }
  };
  bool s1 = false, s2 = false;
  std::thread t1(work, std::ref(s1)), t2(work, std::ref(s2));
  t1.join();
  t2.join();
  EXPECT_TRUE(s1);
  EXPECT_TRUE(s2);
}

}  // namespace
}  // namespace otaflow::secure
