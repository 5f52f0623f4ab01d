#pragma once
// DES constants (FIPS 46-3 §3 and Appendix 1) and the index tables the bitsliced DES derives
// from them at compile time. In a bitsliced implementation every permutation of DES (IP, FP,
// E, P, PC-1, PC-2, the key rotations) is a renaming of slices, so these tables are only ever
// indexed by public constants (bit positions, round numbers), never by key or data.
//
// Bit numbering: FIPS numbers the bits of a block or key 1..64 from the most significant bit
// of the first octet. A lane's 8 octets are loaded as a little-endian 64-bit word, so FIPS
// bit n sits at word bit natural_bit(n) = 8 * ((n - 1) / 8) + 7 - (n - 1) % 8.

#include <array>
#include <cstdint>

namespace otaflow::secure::detail::des_tables {

// The tables keep the row layout of FIPS 46-3.
// clang-format off

/// Initial permutation IP (FIPS 46-3): output bit i is input bit ip[i - 1].
inline constexpr std::array<std::uint8_t, 64> ip = {
    58, 50, 42, 34, 26, 18, 10, 2,
    60, 52, 44, 36, 28, 20, 12, 4,
    62, 54, 46, 38, 30, 22, 14, 6,
    64, 56, 48, 40, 32, 24, 16, 8,
    57, 49, 41, 33, 25, 17,  9, 1,
    59, 51, 43, 35, 27, 19, 11, 3,
    61, 53, 45, 37, 29, 21, 13, 5,
    63, 55, 47, 39, 31, 23, 15, 7};

/// Permutation P applied to the S-box outputs: output bit i is S-box output bit p[i - 1].
inline constexpr std::array<std::uint8_t, 32> p = {
    16,  7, 20, 21, 29, 12, 28, 17,
     1, 15, 23, 26,  5, 18, 31, 10,
     2,  8, 24, 14, 32, 27,  3,  9,
    19, 13, 30,  6, 22, 11,  4, 25};

/// Permuted choice 1: C0 || D0 bit i is key bit pc1[i - 1] (parity bits 8, 16, ... unused).
inline constexpr std::array<std::uint8_t, 56> pc1 = {
    57, 49, 41, 33, 25, 17,  9,
     1, 58, 50, 42, 34, 26, 18,
    10,  2, 59, 51, 43, 35, 27,
    19, 11,  3, 60, 52, 44, 36,
    63, 55, 47, 39, 31, 23, 15,
     7, 62, 54, 46, 38, 30, 22,
    14,  6, 61, 53, 45, 37, 29,
    21, 13,  5, 28, 20, 12,  4};

/// Permuted choice 2: subkey bit i is bit pc2[i - 1] of C_n || D_n.
inline constexpr std::array<std::uint8_t, 48> pc2 = {
    14, 17, 11, 24,  1,  5,
     3, 28, 15,  6, 21, 10,
    23, 19, 12,  4, 26,  8,
    16,  7, 27, 20, 13,  2,
    41, 52, 31, 37, 47, 55,
    30, 40, 51, 45, 33, 48,
    44, 49, 39, 56, 34, 53,
    46, 42, 50, 36, 29, 32};

/// Left rotations of C and D before each of the 16 rounds.
inline constexpr std::array<std::uint8_t, 16> shifts = {
    1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1};

/// The eight S-boxes, [box][row][column]; row = b1 b6, column = b2 b3 b4 b5 of the 6-bit
/// input. Used by the tests to check the generated gate circuits exhaustively, never at run
/// time (the circuits replace the lookups).
inline constexpr std::uint8_t sbox[8][4][16] = {
    {{14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7},
     {0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8},
     {4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0},
     {15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13}},
    {{15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10},
     {3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5},
     {0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15},
     {13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9}},
    {{10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8},
     {13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1},
     {13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7},
     {1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12}},
    {{7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15},
     {13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9},
     {10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4},
     {3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14}},
    {{2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9},
     {14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6},
     {4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14},
     {11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3}},
    {{12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11},
     {10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8},
     {9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6},
     {4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13}},
    {{4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1},
     {13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6},
     {1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2},
     {6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12}},
    {{13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7},
     {1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2},
     {7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8},
     {2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11}}};

// clang-format on

/// Word bit of FIPS bit n (1..64) for octets loaded little-endian.
constexpr std::uint8_t natural_bit(int n) {
  return static_cast<std::uint8_t>(8 * ((n - 1) / 8) + 7 - (n - 1) % 8);
}

/// block_slot[i]: word bit holding bit i + 1 of IP(block), i.e. L0 (i < 32) and R0. The
/// final permutation is the inverse, so the same table also places R16 || L16 back.
inline constexpr std::array<std::uint8_t, 64> block_slot = [] {
  std::array<std::uint8_t, 64> t{};
  for (int i = 0; i < 64; ++i) t[i] = natural_bit(ip[i]);
  return t;
}();

/// f_slot[m]: index in L (0..31) that S-box output bit m + 1 (FIPS numbering 1..32 over
/// S1..S8, four bits each, most significant first) is XORed into, i.e. P^-1.
inline constexpr std::array<std::uint8_t, 32> f_slot = [] {
  std::array<std::uint8_t, 32> t{};
  for (int i = 0; i < 32; ++i) t[p[i] - 1] = static_cast<std::uint8_t>(i);
  return t;
}();

/// key_slot[r][j]: word bit of the key supplying bit j + 1 of round r + 1's subkey
/// (PC-1, the cumulative rotations and PC-2 folded into one table).
inline constexpr std::array<std::array<std::uint8_t, 48>, 16> key_slot = [] {
  std::array<std::array<std::uint8_t, 48>, 16> t{};
  int shift = 0;
  for (int r = 0; r < 16; ++r) {
    shift += shifts[r];
    for (int j = 0; j < 48; ++j) {
      const int m = pc2[j] - 1;  // 0..55 in C || D
      const int half = m / 28, pos = m % 28;
      const int cd = half * 28 + (pos + shift) % 28;
      t[r][j] = natural_bit(pc1[cd]);
    }
  }
  return t;
}();

}  // namespace otaflow::secure::detail::des_tables
