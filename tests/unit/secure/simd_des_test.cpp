// The pieces of the bitsliced DES checked on their own: the generated S-box gate circuits
// against the FIPS 46-3 tables on every input, and the derived index tables.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <set>
#include <vector>

#include "base/bytes.hpp"
#include "secure/scp80_algorithm.hpp"
#include "secure/simd_backend.hpp"
#include "secure/simd_des_bitslice.hpp"
#include "secure/simd_des_sboxes.hpp"
#include "secure/simd_des_tables.hpp"

namespace otaflow::secure::detail {
namespace {

using u64 = std::uint64_t;

// Truth table of S-box input bit i (a1 = the most significant of six) over all 64 inputs:
// bit x of the result is bit i of x. One call of a circuit on these evaluates all inputs.
u64 input_column(int i) {
  u64 t = 0;
  for (int x = 0; x < 64; ++x)
    if ((x >> (5 - i)) & 1) t |= u64{1} << x;
  return t;
}

std::array<u64, 4> run_circuit(int box, u64 o_init) {
  const u64 a1 = input_column(0), a2 = input_column(1), a3 = input_column(2);
  const u64 a4 = input_column(3), a5 = input_column(4), a6 = input_column(5);
  std::array<u64, 4> o = {o_init, o_init, o_init, o_init};
  switch (box) {
    case 0:
      des_s1(a1, a2, a3, a4, a5, a6, o[0], o[1], o[2], o[3]);
      break;
    case 1:
      des_s2(a1, a2, a3, a4, a5, a6, o[0], o[1], o[2], o[3]);
      break;
    case 2:
      des_s3(a1, a2, a3, a4, a5, a6, o[0], o[1], o[2], o[3]);
      break;
    case 3:
      des_s4(a1, a2, a3, a4, a5, a6, o[0], o[1], o[2], o[3]);
      break;
    case 4:
      des_s5(a1, a2, a3, a4, a5, a6, o[0], o[1], o[2], o[3]);
      break;
    case 5:
      des_s6(a1, a2, a3, a4, a5, a6, o[0], o[1], o[2], o[3]);
      break;
    case 6:
      des_s7(a1, a2, a3, a4, a5, a6, o[0], o[1], o[2], o[3]);
      break;
    default:
      des_s8(a1, a2, a3, a4, a5, a6, o[0], o[1], o[2], o[3]);
      break;
  }
  return o;
}

TEST(SimdDesSboxes, EveryCircuitMatchesFipsTableOnAll64Inputs) {
  for (int box = 0; box < 8; ++box) {
    const auto o = run_circuit(box, 0);
    for (int x = 0; x < 64; ++x) {
      const int row = ((x >> 5) & 1) * 2 + (x & 1), col = (x >> 1) & 15;
      const int want = des_tables::sbox[box][row][col];
      int got = 0;
      for (int j = 0; j < 4; ++j) got |= static_cast<int>((o[j] >> x) & 1) << (3 - j);
      ASSERT_EQ(got, want) << "S" << box + 1 << " input " << x;
    }
  }
}

TEST(SimdDesSboxes, OutputsAreXoredIntoTheirTargets) {
  // The round function relies on o ^= S(...), not o = S(...).
  for (int box = 0; box < 8; ++box) {
    const auto plain = run_circuit(box, 0);
    const auto xored = run_circuit(box, ~u64{0});
    for (int j = 0; j < 4; ++j) EXPECT_EQ(xored[j], ~plain[j]) << "S" << box + 1;
  }
}

TEST(SimdDesTables, FipsSboxRowsArePermutations) {
  for (const auto& box : des_tables::sbox)
    for (const auto& row : box) EXPECT_EQ(std::set<int>(row, row + 16).size(), 16u);
}

TEST(SimdDesTables, DerivedTablesArePermutationsAndSkipParityBits) {
  using namespace des_tables;
  EXPECT_EQ(std::set<int>(block_slot.begin(), block_slot.end()).size(), 64u);
  EXPECT_EQ(std::set<int>(f_slot.begin(), f_slot.end()).size(), 32u);
  // FIPS bit 1 is the top bit of the first octet, i.e. word bit 7 (little-endian load).
  EXPECT_EQ(natural_bit(1), 7);
  EXPECT_EQ(natural_bit(8), 0);
  EXPECT_EQ(natural_bit(64), 56);
  // IP's first output bit is input bit 58.
  EXPECT_EQ(block_slot[0], natural_bit(58));
  std::set<int> parity;
  for (int n = 8; n <= 64; n += 8) parity.insert(natural_bit(n));
  for (const auto& round : key_slot) {
    // PC-2 drops 8 of the 56 bits: 48 distinct key bits per round, none a parity bit.
    EXPECT_EQ(std::set<int>(round.begin(), round.end()).size(), 48u);
    for (int b : round) EXPECT_EQ(parity.count(b), 0u);
  }
  // Round 1 subkey bit 1 is C1 bit 14 = C0 bit 15 = key bit PC-1[14] = 10 (FIPS numbering).
  EXPECT_EQ(key_slot[0][0], natural_bit(10));
  // After all 16 rotations (28 in all) C and D are back where they started: round 16's
  // subkey is PC-2 of C0 || D0.
  EXPECT_EQ(key_slot[15][0], natural_bit(pc1[13]));
}

TEST(SimdDesKernels, UnsortedLanesOfMixedLengthsMatchOpenSsl) {
  // The backend sorts lanes by length, but a kernel must not depend on it: lanes in any
  // order, each with its own length (0..40 blocks) and its own 3DES keys.
  std::vector<des_kernel> kernels = {des_kernel_portable()};
  if (best_simd_level() >= simd_level::avx2) kernels.push_back(des_kernel_avx2());
  if (best_simd_level() >= simd_level::avx512) kernels.push_back(des_kernel_avx512());
  for (const des_kernel& k : kernels) {
    SCOPED_TRACE(k.width);
    const std::size_t n = k.width - 3;  // a partly filled batch
    std::vector<bytes> keys, data, want, macs(n, bytes(8)), want_macs(n, bytes(8));
    std::uint32_t x = 12345;
    auto next = [&x] { return static_cast<std::uint8_t>((x = x * 1103515245 + 12345) >> 16); };
    for (std::size_t i = 0; i < n; ++i) {
      bytes key(24), d(8 * ((i * 7919) % 41));
      for (auto& o : key) o = next();
      for (auto& o : d) o = next();
      keys.push_back(key);
      data.push_back(d);
      bytes w = d;
      ASSERT_TRUE(encrypt(cipher_alg::tdes3_cbc, key, w).ok());
      want.push_back(w);
      ASSERT_TRUE(compute_cc(cc_alg::tdes3_cbc_mac, key, d, want_macs[i]).ok());
    }
    std::vector<des_lane> cipher_lanes, mac_lanes;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint8_t* kk = keys[i].data();
      mac_lanes.push_back({kk, kk + 8, kk + 16, data[i].data(), data[i].size(), macs[i].data(),
                           std::max<std::size_t>(1, data[i].size() / 8)});
      cipher_lanes.push_back({kk, kk + 8, kk + 16, data[i].data(), data[i].size(), data[i].data(),
                              data[i].size() / 8});
    }
    k.run(mac_lanes, des_op::cbc_mac, true);
    k.run(cipher_lanes, des_op::cbc_encrypt, true);
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_EQ(macs[i], want_macs[i]) << i;
      ASSERT_EQ(data[i], want[i]) << i;
    }
  }
}

}  // namespace
}  // namespace otaflow::secure::detail
