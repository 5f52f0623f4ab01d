// Internal to secure/: the bitsliced DES kernel, written once over a "slice" type V and
// compiled once per instruction set by simd_des_bitslice_{portable,avx2,avx512}.cpp, each
// of which includes this header AFTER its `#pragma GCC target` so that every function below
// is built for that target. Everything sits in an anonymous namespace: each translation unit
// gets its own copy, so no AVX code can be merged into the portable one by the linker.
// No #pragma once on purpose: the header is only ever included once per TU, last.
//
// Layout. V holds Q = sizeof(V) / 8 64-bit words; a batch has 64 * Q lanes. Lane i lives at
// bit i % 64 of word i / 64 of every slice. A 64-bit block (or key) of each lane becomes 64
// slices: slice b holds bit b of every lane's little-endian block word. Loading a block is a
// 64 x 64 bit-matrix transpose done on all Q words of V at once.
//
// DES itself: IP, FP, E, P and the whole key schedule are renamings of slices (tables in
// simd_des_tables.hpp indexed by constants), so a round is 48 XORs with key slices, the eight
// S-box gate circuits (simd_des_sboxes.hpp) and the XORs of their outputs into L. Each lane
// has its own key: the key schedule is per lane for free, since round r's subkey bit j is
// just key slice key_slot[r][j]. Nothing is ever indexed by key or data.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "secure/simd_des_bitslice.hpp"
#include "secure/simd_des_sboxes.hpp"
#include "secure/simd_des_tables.hpp"

namespace otaflow::secure::detail {
namespace {

/// Loads 8 octets as a little-endian word (FIPS bit numbering follows from it).
inline std::uint64_t load_le64(const std::uint8_t* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
  return w;
}

/// Stores a little-endian word as 8 octets.
inline void store_le64(std::uint8_t* p, std::uint64_t w) {
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
  std::memcpy(p, &w, 8);
}

/// Overwrites an array that held keys or data. The empty asm after each store keeps the
/// compiler from dropping the stores as dead or turning the loop into REP STOS, which is
/// slow to start for buffers of this size.
template <class E, std::size_t N>
inline void wipe(E (&a)[N]) {
  for (auto& e : a) {
    e = E{};
    __asm__ __volatile__("" : : "m"(e));
  }
}

template <class V>
struct des_bitslice {
  static constexpr std::size_t q = sizeof(V) / 8;
  static constexpr std::size_t width = 64 * q;

  /// Staging position of lane i's word, so that row r of the matrix is one load of V.
  static constexpr std::size_t stage_index(std::size_t i) { return (i % 64) * q + i / 64; }

  /// In-place transpose of 64 rows of 64-bit words (Q matrices side by side): afterwards
  /// row b, word w, bit i is bit b of row i, word w before. Its own inverse.
  static void transpose(V* a) {
    std::uint64_t m = 0x00000000FFFFFFFFull;
    for (int j = 32; j != 0; j >>= 1, m ^= m << j) {
      for (int k = 0; k < 64; k = ((k | j) + 1) & ~j) {
        const V t = ((a[k] >> j) ^ a[k | j]) & m;
        a[k] ^= t << j;
        a[k | j] ^= t;
      }
    }
  }

  /// Staging words (width of them, in stage_index order) to 64 slices.
  static void slices_from_stage(const std::uint64_t* stage, V* s) {
    for (std::size_t r = 0; r < 64; ++r) std::memcpy(&s[r], stage + r * q, sizeof(V));
    transpose(s);
  }

  /// 64 slices to staging words; s is left transposed (callers pass a copy or scratch).
  static void stage_from_slices(V* s, std::uint64_t* stage) {
    transpose(s);
    for (std::size_t r = 0; r < 64; ++r) std::memcpy(stage + r * q, &s[r], sizeof(V));
  }

  /// One S-box step of the round function: six E-expanded R slices XOR subkey slices into
  /// S-box S, its four outputs XORed into L at their P-permuted places.
  template <int S>
  [[gnu::always_inline]] static inline void sbox_step(V* l, const V* r, const V* key,
                                                      const std::uint8_t* ks) {
    using des_tables::f_slot;
    // E: S-box S reads R bits 4S .. 4S + 5 (1-based, bit 0 meaning 32).
    const V a1 = r[(4 * S + 31) % 32] ^ key[ks[6 * S + 0]];
    const V a2 = r[4 * S + 0] ^ key[ks[6 * S + 1]];
    const V a3 = r[4 * S + 1] ^ key[ks[6 * S + 2]];
    const V a4 = r[4 * S + 2] ^ key[ks[6 * S + 3]];
    const V a5 = r[4 * S + 3] ^ key[ks[6 * S + 4]];
    const V a6 = r[(4 * S + 4) % 32] ^ key[ks[6 * S + 5]];
    V& o1 = l[f_slot[4 * S + 0]];
    V& o2 = l[f_slot[4 * S + 1]];
    V& o3 = l[f_slot[4 * S + 2]];
    V& o4 = l[f_slot[4 * S + 3]];
    if constexpr (S == 0) des_s1(a1, a2, a3, a4, a5, a6, o1, o2, o3, o4);
    if constexpr (S == 1) des_s2(a1, a2, a3, a4, a5, a6, o1, o2, o3, o4);
    if constexpr (S == 2) des_s3(a1, a2, a3, a4, a5, a6, o1, o2, o3, o4);
    if constexpr (S == 3) des_s4(a1, a2, a3, a4, a5, a6, o1, o2, o3, o4);
    if constexpr (S == 4) des_s5(a1, a2, a3, a4, a5, a6, o1, o2, o3, o4);
    if constexpr (S == 5) des_s6(a1, a2, a3, a4, a5, a6, o1, o2, o3, o4);
    if constexpr (S == 6) des_s7(a1, a2, a3, a4, a5, a6, o1, o2, o3, o4);
    if constexpr (S == 7) des_s8(a1, a2, a3, a4, a5, a6, o1, o2, o3, o4);
  }

  /// L ^= f(R, K_round).
  static void feistel(V* l, const V* r, const V* key, const std::uint8_t* ks) {
    sbox_step<0>(l, r, key, ks);
    sbox_step<1>(l, r, key, ks);
    sbox_step<2>(l, r, key, ks);
    sbox_step<3>(l, r, key, ks);
    sbox_step<4>(l, r, key, ks);
    sbox_step<5>(l, r, key, ks);
    sbox_step<6>(l, r, key, ks);
    sbox_step<7>(l, r, key, ks);
  }

  /// One DES encryption (or decryption: subkeys in reverse order) of 64 block slices in
  /// place, under 64 key slices.
  static void crypt(V* blk, const V* key, bool decrypt) {
    using des_tables::block_slot;
    using des_tables::key_slot;
    V lr[64];
    for (int i = 0; i < 64; ++i) lr[i] = blk[block_slot[i]];  // IP
    V* l = lr;
    V* r = lr + 32;
    for (int round = 0; round < 16; round += 2) {
      // Two rounds per iteration so that L and R swap roles without moving data.
      feistel(l, r, key, key_slot[decrypt ? 15 - round : round].data());
      feistel(r, l, key, key_slot[decrypt ? 14 - round : round + 1].data());
    }
    // Pre-output R16 || L16; FP is IP^-1, so the same table puts it back.
    for (int i = 0; i < 32; ++i) {
      blk[block_slot[i]] = r[i];
      blk[block_slot[32 + i]] = l[i];
    }
    wipe(lr);
  }

  /// Keys of one role (K1, K2 or K3) of every lane, as 64 slices.
  static void load_keys(std::span<const des_lane> lanes, const std::uint8_t* des_lane::*role,
                        std::uint64_t* stage, V* out) {
    for (std::size_t i = 0; i < lanes.size(); ++i)
      stage[stage_index(i)] = load_le64(lanes[i].*role);
    slices_from_stage(stage, out);
  }

  /// Block t of a lane as a word; the cbc_mac input is zero-padded (an empty input is one
  /// zero block). Lengths are public: branching on them leaks nothing secret.
  static std::uint64_t block_word(const des_lane& lane, std::size_t t) {
    const std::size_t pos = 8 * t;
    if (pos + 8 <= lane.in_len) return load_le64(lane.in + pos);
    std::uint8_t tmp[8] = {};
    if (pos < lane.in_len) std::memcpy(tmp, lane.in + pos, lane.in_len - pos);
    return load_le64(tmp);
  }

  static void run(std::span<const des_lane> lanes, des_op op, bool triple) {
    const std::size_t n = std::min(lanes.size(), width);
    if (n == 0) return;
    lanes = lanes.first(n);
    alignas(64) std::uint64_t stage[width] = {};
    alignas(64) V k1[64], k2[64], k3[64];
    load_keys(lanes, &des_lane::key1, stage, k1);
    if (triple) {
      load_keys(lanes, &des_lane::key2, stage, k2);
      load_keys(lanes, &des_lane::key3, stage, k3);
    }
    const bool decrypt = op == des_op::cbc_decrypt || op == des_op::ecb_decrypt;
    auto cipher = [&](V* s) {
      if (!triple) {
        crypt(s, k1, decrypt);
      } else if (!decrypt) {  // EDE
        crypt(s, k1, false);
        crypt(s, k2, true);
        crypt(s, k3, false);
      } else {
        crypt(s, k3, true);
        crypt(s, k2, false);
        crypt(s, k1, true);
      }
    };

    alignas(64) V state[64] = {};  // CBC chaining value: previous cipher block
    alignas(64) V x[64];
    alignas(64) V y[64];
    std::size_t max_blocks = 0;
    for (const des_lane& l : lanes) max_blocks = std::max(max_blocks, l.blocks);
    for (std::size_t t = 0; t < max_blocks; ++t) {
      // Lanes past their last block keep their stale staging word: their results are never
      // written. (The backend sorts lanes by length so that few lanes idle like this.)
      bool last_for_some = false;
      for (std::size_t i = 0; i < n; ++i) {
        if (t < lanes[i].blocks) stage[stage_index(i)] = block_word(lanes[i], t);
        last_for_some |= lanes[i].blocks == t + 1;
      }
      slices_from_stage(stage, x);
      bool write = true;
      V* result = x;
      switch (op) {
        case des_op::cbc_encrypt:
        case des_op::cbc_mac:
          for (int b = 0; b < 64; ++b) state[b] ^= x[b];
          cipher(state);
          std::memcpy(y, state, sizeof y);
          result = y;
          // The MAC is written only by lanes whose last block this is.
          if (op == des_op::cbc_mac) write = last_for_some;
          break;
        case des_op::cbc_decrypt:
          std::memcpy(y, x, sizeof y);
          cipher(y);
          for (int b = 0; b < 64; ++b) {
            y[b] ^= state[b];
            state[b] = x[b];
          }
          result = y;
          break;
        case des_op::ecb_encrypt:
        case des_op::ecb_decrypt:
          cipher(x);
          break;
      }
      if (!write) continue;
      stage_from_slices(result, stage);
      for (std::size_t i = 0; i < n; ++i) {
        if (op == des_op::cbc_mac) {
          if (lanes[i].blocks == t + 1) store_le64(lanes[i].out, stage[stage_index(i)]);
        } else if (t < lanes[i].blocks) {
          store_le64(lanes[i].out + 8 * t, stage[stage_index(i)]);
        }
      }
    }
    wipe(k1);
    wipe(k2);
    wipe(k3);
    wipe(stage);
    wipe(state);
    wipe(x);
    wipe(y);
  }
};

}  // namespace
}  // namespace otaflow::secure::detail
