// Bitsliced DES on plain 64-bit integers: 64 lanes, any CPU (the run-time fallback).
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "secure/simd_des_bitslice_impl.hpp"

namespace otaflow::secure::detail {

des_kernel des_kernel_portable() noexcept {
  using k = des_bitslice<std::uint64_t>;
  return {k::width, &k::run};
}

}  // namespace otaflow::secure::detail
