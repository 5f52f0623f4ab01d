// Bitsliced DES in AVX-512 registers: 512 lanes. Compiled for AVX-512F with a target pragma
// (not a global -mavx512f) so the library still loads on CPUs without it; simd_backend.cpp
// calls it only after __builtin_cpu_supports("avx512f"). With AVX-512 the compiler fuses
// chains of logic operations into VPTERNLOGQ, which shortens the S-box circuits.
//
// Every header this file needs is included before the pragma, so that no inline function of
// the standard library is instantiated here with AVX-512 code and merged by the linker into
// callers on other CPUs; the kernel itself has internal linkage.
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "secure/simd_des_bitslice.hpp"
#include "secure/simd_des_tables.hpp"

#if defined(__x86_64__) || defined(__i386__)

#if defined(__clang__)  // clang ignores GCC's target pragma
#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f")
#endif

#include "secure/simd_des_bitslice_impl.hpp"

namespace otaflow::secure::detail {
namespace {

using v512 = std::uint64_t __attribute__((vector_size(64)));

void run_avx512(std::span<const des_lane> lanes, des_op op, bool triple) {
  des_bitslice<v512>::run(lanes, op, triple);
}

}  // namespace
}  // namespace otaflow::secure::detail

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

namespace otaflow::secure::detail {

des_kernel des_kernel_avx512() noexcept {
  return {des_bitslice<v512>::width, &run_avx512};
}

}  // namespace otaflow::secure::detail

#else  // not x86: never selected (best_simd_level() is portable there); keeps the link whole.

namespace otaflow::secure::detail {

des_kernel des_kernel_avx512() noexcept {
  return des_kernel_portable();
}

}  // namespace otaflow::secure::detail

#endif
