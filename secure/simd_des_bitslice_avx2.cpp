// Bitsliced DES in AVX2 registers: 256 lanes. Compiled for AVX2 with a target pragma (not
// a global -mavx2) so the library still loads on CPUs without it; simd_backend.cpp calls it
// only after __builtin_cpu_supports("avx2").
//
// Every header this file needs is included before the pragma, so that no inline function of
// the standard library is instantiated here with AVX2 code and merged by the linker into
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
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif

#include "secure/simd_des_bitslice_impl.hpp"

namespace otaflow::secure::detail {
namespace {

using v256 = std::uint64_t __attribute__((vector_size(32)));

void run_avx2(std::span<const des_lane> lanes, des_op op, bool triple) {
  des_bitslice<v256>::run(lanes, op, triple);
}

}  // namespace
}  // namespace otaflow::secure::detail

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

namespace otaflow::secure::detail {

des_kernel des_kernel_avx2() noexcept {
  return {des_bitslice<v256>::width, &run_avx2};
}

}  // namespace otaflow::secure::detail

#else  // not x86: never selected (best_simd_level() is portable there); keeps the link whole.

namespace otaflow::secure::detail {

des_kernel des_kernel_avx2() noexcept {
  return des_kernel_portable();
}

}  // namespace otaflow::secure::detail

#endif
