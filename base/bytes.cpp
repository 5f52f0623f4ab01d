#include "base/bytes.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace otaflow {
namespace {

int nibble(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string to_hex(byte_view data) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.resize(data.size() * 2);
  for (std::size_t i = 0; i < data.size(); ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 0x0F];
  }
  return out;
}

result<bytes> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return make_error(errc::bad_value, "hex string has an odd number of digits (" +
                                           std::to_string(hex.size()) + ")");
  }
  bytes out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return make_error(errc::bad_value, "hex string has a non-hex character at position " +
                                             std::to_string(hi < 0 ? 2 * i : 2 * i + 1));
    }
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return out;
}

bytes hex(std::string_view h) {
  auto r = from_hex(h);
  if (!r) {
    std::fprintf(stderr, "otaflow::hex: %s\n", r.error().message.c_str());
    std::abort();
  }
  return std::move(r).value();
}

bool equal_ct(byte_view a, byte_view b) noexcept {
  if (a.size() != b.size()) return false;
  std::uint8_t acc = 0;
  for (std::size_t i = 0; i < a.size(); ++i) acc |= static_cast<std::uint8_t>(a[i] ^ b[i]);
  return acc == 0;
}

void secure_wipe(std::span<std::uint8_t> data) noexcept {
  volatile std::uint8_t* p = data.data();
  for (std::size_t i = 0; i < data.size(); ++i) p[i] = 0;
}

}  // namespace otaflow
