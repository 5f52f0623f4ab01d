#pragma once
// The SIMD batch crypto stage behind crypto_backend (scp80_algorithm.hpp): bitsliced
// DES/3DES (AVX-512, AVX2 or plain 64-bit integers, chosen at run time) and multi-buffer
// AES-NI, for ciphering in both directions and for CBC-MAC / AES-CMAC. Byte-identical to
// make_openssl_backend() for every algorithm, key and length; constant time with respect to
// keys and data (no branch or table index depends on them). Jobs of one run() are grouped by
// operation and sorted by length; groups too small for a SIMD batch go to OpenSSL EVP.
// Design and figures: docs/crypto-simd.md.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "secure/scp80_algorithm.hpp"

namespace otaflow::secure {

/// Bitsliced DES implementations, narrowest first.
enum class simd_level : std::uint8_t {
  portable,  ///< 64 lanes in 64-bit integers, any CPU
  avx2,      ///< 256 lanes
  avx512,    ///< 512 lanes (AVX-512F)
};

/// Printable name of a level ("portable", "avx2", "avx512").
[[nodiscard]] std::string_view name(simd_level level) noexcept;

/// What this CPU (and OS) supports, from __builtin_cpu_supports.
struct simd_features {
  bool avx2 = false;
  bool avx512f = false;
  bool aes_ni = false;  ///< AES-NI and SSE4.1
};

/// The features of the running CPU (detected once).
[[nodiscard]] simd_features detect_simd_features() noexcept;

/// The widest DES level the running CPU supports.
[[nodiscard]] simd_level best_simd_level() noexcept;

/// Tuning and pinning of a SIMD backend; the defaults suit production.
struct simd_options {
  /// Widest DES kernel to use; capped at best_simd_level() (default: the best there is).
  simd_level max_des_level = simd_level::avx512;
  /// Use AES-NI for AES when the CPU has it (default true); otherwise AES goes to OpenSSL.
  bool aes_ni = true;
  /// Let DES leftovers too few to fill a SIMD batch go to OpenSSL when the cost model says
  /// that is cheaper (about 16 lanes or fewer; docs/crypto-simd.md). false sends every DES
  /// job through the bitsliced kernels (tests use it to cover them). Default true.
  bool openssl_leftovers = true;
};

/// The SIMD backend with default options, levels chosen for the running CPU.
[[nodiscard]] std::unique_ptr<crypto_backend> make_simd_backend();
/// The SIMD backend with explicit options (tests and benchmarks pin a level).
[[nodiscard]] std::unique_ptr<crypto_backend> make_simd_backend(const simd_options& options);
/// The SIMD backend when the CPU has AVX2 or AES-NI, otherwise the OpenSSL backend.
[[nodiscard]] std::unique_ptr<crypto_backend> make_best_backend();

}  // namespace otaflow::secure
