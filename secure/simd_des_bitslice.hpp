#pragma once
// Internal to secure/: bitsliced DES / 3DES over many independent messages ("lanes"), each
// with its own key. One kernel call runs up to width() lanes through the same sequence of
// block operations; the caller (simd_backend.cpp) groups jobs by operation and sorts them by
// length so that lanes of one call have similar block counts.
//
// Kernels exist for plain 64-bit integers (64 lanes, any CPU), AVX2 (256 lanes) and AVX-512
// (512 lanes); the AVX ones are compiled with per-file target pragmas and must only be called
// after a run-time CPU check (detect_simd_features() in simd_backend.hpp).

#include <cstddef>
#include <cstdint>
#include <span>

namespace otaflow::secure::detail {

/// What a DES kernel call does with every lane.
enum class des_op : std::uint8_t {
  cbc_encrypt,  ///< in-place CBC encryption, zero IV
  cbc_decrypt,  ///< in-place CBC decryption, zero IV
  ecb_encrypt,  ///< in-place ECB encryption
  ecb_decrypt,  ///< in-place ECB decryption
  cbc_mac,      ///< CBC-MAC over zero-padded input, last block to out (8 octets)
};

/// One message of a DES kernel call. The caller has validated the lengths.
struct des_lane {
  const std::uint8_t* key1;  ///< K1 (single DES: the key)
  const std::uint8_t* key2;  ///< K2 (triple only)
  const std::uint8_t* key3;  ///< K3 (triple only; K1 again for two-key 3DES)
  const std::uint8_t* in;    ///< input; for ciphering in == out
  std::size_t in_len;        ///< input octets (a multiple of 8 except for cbc_mac)
  std::uint8_t* out;         ///< ciphering: in place; cbc_mac: 8 octets
  std::size_t blocks;        ///< blocks to run: in_len / 8, or for cbc_mac max(1, ceil(len / 8))
};

/// Signature of a kernel: runs lanes.size() <= width lanes. Any order works; lanes of
/// similar block counts waste least (a call runs as many steps as its longest lane).
using des_kernel_fn = void (*)(std::span<const des_lane> lanes, des_op op, bool triple);

/// A DES kernel and the number of lanes it runs at once.
struct des_kernel {
  std::size_t width;
  des_kernel_fn run;
};

/// 64 lanes in 64-bit integers; runs on any CPU.
[[nodiscard]] des_kernel des_kernel_portable() noexcept;
/// 256 lanes in AVX2 registers; call only when the CPU has AVX2.
[[nodiscard]] des_kernel des_kernel_avx2() noexcept;
/// 512 lanes in AVX-512 registers; call only when the CPU has AVX-512F.
[[nodiscard]] des_kernel des_kernel_avx512() noexcept;

}  // namespace otaflow::secure::detail
