// Multi-buffer AES-128/192/256 with AES-NI: CBC encryption and decryption with a zero IV and
// AES-CMAC, up to eight messages (each with its own key) interleaved per step.
//
// Compiled for AES-NI and SSE4.1 with a target pragma (not a global -maes), so the library
// still loads on CPUs without them; simd_backend.cpp calls in only after
// __builtin_cpu_supports("aes"). All headers are included before the pragma (see
// simd_des_bitslice_avx2.cpp for why).
//
// Constant time: AESENC/AESDEC/AESKEYGENASSIST take the same time whatever their operands, the
// key expansion uses AESKEYGENASSIST for SubWord (no S-box table), the CMAC subkey doubling
// uses a mask instead of a branch, and all branches depend on lengths only.
#include "secure/simd_aes_multibuffer.hpp"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#if defined(__clang__)  // clang ignores GCC's target pragma
#pragma clang attribute push(__attribute__((target("aes,sse4.1"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("aes,sse4.1")
#endif

namespace otaflow::secure::detail {
namespace {

constexpr std::size_t max_rounds = 14;
/// Round keys of one message (std::array<__m128i> would drop the type's alignment attribute).
struct schedule {
  __m128i r[max_rounds + 1];
  __m128i& operator[](std::size_t i) { return r[i]; }
  const __m128i& operator[](std::size_t i) const { return r[i]; }
  /// Overwrites every round key; the empty asm per store keeps the compiler from turning
  /// the loop into a (slow, for this size) REP STOS or from dropping it as dead.
  void wipe() {
    const __m128i z = _mm_setzero_si128();
    for (auto& x : r) {
      x = z;
      __asm__ __volatile__("" : : "m"(x));
    }
  }
};

inline __m128i load(const std::uint8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
inline void store(std::uint8_t* p, __m128i v) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
}

/// w ^ (w << 32) ^ (w << 64) ^ (w << 96): the running XOR of the previous round key's words
/// that every AES key expansion step needs (FIPS 197 §5.2, four words at a time).
inline __m128i prefix_xor(__m128i w) {
  w = _mm_xor_si128(w, _mm_slli_si128(w, 4));
  w = _mm_xor_si128(w, _mm_slli_si128(w, 4));
  return _mm_xor_si128(w, _mm_slli_si128(w, 4));
}

/// AES-128 key expansion (FIPS 197 §5.2, Nk = 4) of N keys in lockstep, so that the
/// AESKEYGENASSIST latency of one key hides behind the others: 11 round keys each.
template <int N, int I, int Rcon>
[[gnu::always_inline]] inline void expand128_step(schedule* k) {
#pragma GCC unroll 8
  for (int i = 0; i < N; ++i) {
    const __m128i t = _mm_shuffle_epi32(_mm_aeskeygenassist_si128(k[i][I - 1], Rcon), 0xff);
    k[i][I] = _mm_xor_si128(prefix_xor(k[i][I - 1]), t);
  }
}
template <int N>
void expand128(const aes_lane* lanes, schedule* k) {
  for (int i = 0; i < N; ++i) k[i][0] = load(lanes[i].key);
  expand128_step<N, 1, 0x01>(k);
  expand128_step<N, 2, 0x02>(k);
  expand128_step<N, 3, 0x04>(k);
  expand128_step<N, 4, 0x08>(k);
  expand128_step<N, 5, 0x10>(k);
  expand128_step<N, 6, 0x20>(k);
  expand128_step<N, 7, 0x40>(k);
  expand128_step<N, 8, 0x80>(k);
  expand128_step<N, 9, 0x1b>(k);
  expand128_step<N, 10, 0x36>(k);
}

/// AES-256 key expansion (Nk = 8) of N keys in lockstep: even round keys take
/// RotWord+SubWord+Rcon of the previous key's last word, odd ones SubWord only.
template <int N, int I, int Rcon>
[[gnu::always_inline]] inline void expand256_step(schedule* k) {
#pragma GCC unroll 8
  for (int i = 0; i < N; ++i) {
    __m128i t;
    if constexpr (I % 2 == 0)
      t = _mm_shuffle_epi32(_mm_aeskeygenassist_si128(k[i][I - 1], Rcon), 0xff);
    else
      t = _mm_shuffle_epi32(_mm_aeskeygenassist_si128(k[i][I - 1], 0), 0xaa);
    k[i][I] = _mm_xor_si128(prefix_xor(k[i][I - 2]), t);
  }
}
template <int N>
void expand256(const aes_lane* lanes, schedule* k) {
  for (int i = 0; i < N; ++i) {
    k[i][0] = load(lanes[i].key);
    k[i][1] = load(lanes[i].key + 16);
  }
  expand256_step<N, 2, 0x01>(k);
  expand256_step<N, 3, 0>(k);
  expand256_step<N, 4, 0x02>(k);
  expand256_step<N, 5, 0>(k);
  expand256_step<N, 6, 0x04>(k);
  expand256_step<N, 7, 0>(k);
  expand256_step<N, 8, 0x08>(k);
  expand256_step<N, 9, 0>(k);
  expand256_step<N, 10, 0x10>(k);
  expand256_step<N, 11, 0>(k);
  expand256_step<N, 12, 0x20>(k);
  expand256_step<N, 13, 0>(k);
  expand256_step<N, 14, 0x40>(k);
}

/// SubWord (FIPS 197 §5.2) on the AES unit: AESKEYGENASSIST's lowest result word is
/// SubWord of its source's second word.
inline std::uint32_t sub_word(std::uint32_t w) {
  return static_cast<std::uint32_t>(
      _mm_cvtsi128_si32(_mm_aeskeygenassist_si128(_mm_set_epi32(0, 0, static_cast<int>(w), 0), 0)));
}

/// AES-192 key expansion (Nk = 6) word by word, as FIPS 197 §5.2 writes it: its six-word
/// period does not line up with the four-word round keys. Words are little-endian, so
/// RotWord is a rotation right by 8 and Rcon lands in the low octet.
void expand192(const std::uint8_t* key, schedule& k) {
  constexpr int nk = 6, total = 4 * (12 + 1);
  std::uint32_t w[total];
  std::memcpy(w, key, 4 * nk);
  std::uint32_t rcon = 1;
  for (int i = nk; i < total; ++i) {
    std::uint32_t t = w[i - 1];
    if (i % nk == 0) {
      t = sub_word((t >> 8) | (t << 24)) ^ rcon;
      rcon = (rcon << 1) ^ (0x11b & -(rcon >> 7));  // public round constant, not a secret
    }
    w[i] = w[i - nk] ^ t;
  }
  for (int r = 0; r <= 12; ++r) std::memcpy(&k[r], &w[4 * r], 16);
  std::memset(w, 0, sizeof w);
  __asm__ __volatile__("" : : "r"(w) : "memory");
}

/// Round keys for decryption with AESDEC (the "equivalent inverse cipher", FIPS 197 §5.3.5).
template <int Nr>
void invert(const schedule& e, schedule& d) {
  d[0] = e[Nr];
  for (int r = 1; r < Nr; ++r) d[r] = _mm_aesimc_si128(e[Nr - r]);
  d[Nr] = e[0];
}

template <int N, int Nr>
[[gnu::always_inline]] inline void encrypt_n(__m128i* x, const schedule* k) {
#pragma GCC unroll 8
  for (int i = 0; i < N; ++i) x[i] = _mm_xor_si128(x[i], k[i][0]);
#pragma GCC unroll 14
  for (int r = 1; r < Nr; ++r)
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i) x[i] = _mm_aesenc_si128(x[i], k[i][r]);
#pragma GCC unroll 8
  for (int i = 0; i < N; ++i) x[i] = _mm_aesenclast_si128(x[i], k[i][Nr]);
}

template <int N, int Nr>
[[gnu::always_inline]] inline void decrypt_n(__m128i* x, const schedule* k) {
#pragma GCC unroll 8
  for (int i = 0; i < N; ++i) x[i] = _mm_xor_si128(x[i], k[i][0]);
#pragma GCC unroll 14
  for (int r = 1; r < Nr; ++r)
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i) x[i] = _mm_aesdec_si128(x[i], k[i][r]);
#pragma GCC unroll 8
  for (int i = 0; i < N; ++i) x[i] = _mm_aesdeclast_si128(x[i], k[i][Nr]);
}

/// dbl() of NIST SP 800-38B: the 128-bit big-endian value shifted left by one, reduced by
/// R128 = 0x87 when the top bit falls out (a mask, not a branch).
inline __m128i dbl(__m128i v) {
  alignas(16) std::uint8_t b[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(b), v);
  std::uint64_t hi, lo;
  std::memcpy(&hi, b, 8);
  std::memcpy(&lo, b + 8, 8);
  hi = __builtin_bswap64(hi);
  lo = __builtin_bswap64(lo);
  const std::uint64_t carry = hi >> 63;
  hi = (hi << 1) | (lo >> 63);
  lo = (lo << 1) ^ (0x87 & (0 - carry));
  hi = __builtin_bswap64(hi);
  lo = __builtin_bswap64(lo);
  std::memcpy(b, &hi, 8);
  std::memcpy(b + 8, &lo, 8);
  const __m128i r = _mm_load_si128(reinterpret_cast<const __m128i*>(b));
  std::memset(b, 0, sizeof b);
  __asm__ __volatile__("" : : "r"(b) : "memory");
  return r;
}

/// Block t of a CMAC lane with the last-block rule applied: a complete last block XOR K1, a
/// partial (or empty) one padded with 10* and XOR K2. Lengths are public.
inline __m128i cmac_block(const aes_lane& lane, std::size_t t, __m128i k1, __m128i k2) {
  const std::size_t pos = 16 * t;
  if (t + 1 < lane.blocks) return load(lane.in + pos);
  const std::size_t rem = lane.in_len - pos;  // 0..16
  if (rem == 16) return _mm_xor_si128(load(lane.in + pos), k1);
  alignas(16) std::uint8_t tmp[16] = {};
  if (rem != 0) std::memcpy(tmp, lane.in + pos, rem);  // lane.in may be null when empty
  tmp[rem] = 0x80;
  const __m128i m = _mm_xor_si128(_mm_load_si128(reinterpret_cast<const __m128i*>(tmp)), k2);
  std::memset(tmp, 0, sizeof tmp);
  __asm__ __volatile__("" : : "r"(tmp) : "memory");
  return m;
}

template <int N, int Nr>
void run_group(const aes_lane* lanes, aes_op op) {
  schedule k[N];
  if constexpr (Nr == 10) expand128<N>(lanes, k);
  if constexpr (Nr == 12)
    for (int i = 0; i < N; ++i) expand192(lanes[i].key, k[i]);
  if constexpr (Nr == 14) expand256<N>(lanes, k);
  std::size_t max_blocks = 0;
  for (int i = 0; i < N; ++i) max_blocks = std::max(max_blocks, lanes[i].blocks);
  const __m128i zero = _mm_setzero_si128();
  __m128i x[N];

  switch (op) {
    case aes_op::cbc_encrypt:
      for (int i = 0; i < N; ++i) x[i] = zero;
      for (std::size_t t = 0; t < max_blocks; ++t) {
        // Lanes past their end run on garbage that is never stored.
        for (int i = 0; i < N; ++i)
          if (t < lanes[i].blocks) x[i] = _mm_xor_si128(x[i], load(lanes[i].in + 16 * t));
        encrypt_n<N, Nr>(x, k);
        for (int i = 0; i < N; ++i)
          if (t < lanes[i].blocks) store(lanes[i].out + 16 * t, x[i]);
      }
      break;

    case aes_op::cbc_decrypt: {
      schedule d[N];
      for (int i = 0; i < N; ++i) invert<Nr>(k[i], d[i]);
      __m128i prev[N], c[N];
      for (int i = 0; i < N; ++i) prev[i] = zero;
      for (std::size_t t = 0; t < max_blocks; ++t) {
        for (int i = 0; i < N; ++i) {
          c[i] = t < lanes[i].blocks ? load(lanes[i].in + 16 * t) : zero;
          x[i] = c[i];
        }
        decrypt_n<N, Nr>(x, d);
        for (int i = 0; i < N; ++i) {
          if (t < lanes[i].blocks) store(lanes[i].out + 16 * t, _mm_xor_si128(x[i], prev[i]));
          prev[i] = c[i];
        }
      }
      for (auto& s : d) s.wipe();
      break;
    }

    case aes_op::cmac: {
      // L = E_K(0^128); K1 = dbl(L), K2 = dbl(K1) (SP 800-38B §6.1), all lanes at once.
      __m128i k1[N], k2[N];
      for (int i = 0; i < N; ++i) x[i] = zero;
      encrypt_n<N, Nr>(x, k);
      for (int i = 0; i < N; ++i) {
        k1[i] = dbl(x[i]);
        k2[i] = dbl(k1[i]);
        x[i] = zero;
      }
      for (std::size_t t = 0; t < max_blocks; ++t) {
        for (int i = 0; i < N; ++i)
          if (t < lanes[i].blocks)
            x[i] = _mm_xor_si128(x[i], cmac_block(lanes[i], t, k1[i], k2[i]));
        encrypt_n<N, Nr>(x, k);
        for (int i = 0; i < N; ++i) {
          if (t + 1 == lanes[i].blocks) {
            alignas(16) std::uint8_t tag[16];
            _mm_store_si128(reinterpret_cast<__m128i*>(tag), x[i]);
            std::memcpy(lanes[i].out, tag, lanes[i].out_len);
          }
        }
      }
      for (int i = 0; i < N; ++i) k1[i] = k2[i] = zero;
      __asm__ __volatile__("" : : "r"(k1), "r"(k2) : "memory");
      break;
    }
  }
  for (auto& s : k) s.wipe();
  for (auto& v : x) v = zero;
  __asm__ __volatile__("" : : "r"(k), "r"(x) : "memory");
}

template <int Nr>
void run_rounds(std::span<const aes_lane> lanes, aes_op op) {
  std::size_t i = 0;
  for (; i + 8 <= lanes.size(); i += 8) run_group<8, Nr>(lanes.data() + i, op);
  const aes_lane* rest = lanes.data() + i;
  switch (lanes.size() - i) {
    case 7:
      return run_group<7, Nr>(rest, op);
    case 6:
      return run_group<6, Nr>(rest, op);
    case 5:
      return run_group<5, Nr>(rest, op);
    case 4:
      return run_group<4, Nr>(rest, op);
    case 3:
      return run_group<3, Nr>(rest, op);
    case 2:
      return run_group<2, Nr>(rest, op);
    case 1:
      return run_group<1, Nr>(rest, op);
    default:
      return;
  }
}

}  // namespace

void aes_multibuffer_run(std::span<const aes_lane> lanes, std::size_t key_len, aes_op op) {
  static_assert(aes_interleave == 8);
  if (key_len == 16) return run_rounds<10>(lanes, op);
  if (key_len == 24) return run_rounds<12>(lanes, op);
  return run_rounds<14>(lanes, op);
}

}  // namespace otaflow::secure::detail

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else  // not x86: never called (detect_simd_features() reports no AES-NI there).

namespace otaflow::secure::detail {

void aes_multibuffer_run(std::span<const aes_lane>, std::size_t, aes_op) {}

}  // namespace otaflow::secure::detail

#endif
