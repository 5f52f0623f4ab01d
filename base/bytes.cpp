#include "base/bytes.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace otaflow {
namespace {

// Branch-free (hex digits of keys pass through here): the value of a hex digit, or -1.
int nibble(char ch) noexcept {
  const int c = static_cast<unsigned char>(ch);
  const int d = c - '0';
  const int l = (c | 0x20) - 'a';  // 'A'-'F' folded onto 'a'-'f'
  const int is_d = -static_cast<int>(static_cast<unsigned>(d) < 10u);
  const int is_l = -static_cast<int>(static_cast<unsigned>(l) < 6u);
  return (d & is_d) | ((l + 10) & is_l) | ~(is_d | is_l);
}

const char* hex_digits(hex_case letters) noexcept {
  return letters == hex_case::upper ? "0123456789ABCDEF" : "0123456789abcdef";
}

}  // namespace

std::string to_hex(byte_view data, hex_case letters) {
  std::string out;
  append_hex(out, data, letters);
  return out;
}

void append_hex(std::string& out, byte_view data, hex_case letters) {
  const char* digits = hex_digits(letters);
  const std::size_t at = out.size();
  out.resize(at + data.size() * 2);
  for (std::size_t i = 0; i < data.size(); ++i) {
    out[at + 2 * i] = digits[data[i] >> 4];
    out[at + 2 * i + 1] = digits[data[i] & 0x0F];
  }
}

std::string to_hex(std::uint64_t value, std::size_t digits, hex_case letters) {
  std::size_t n = 1;
  while (n < 16 && (value >> (4 * n)) != 0) ++n;
  n = std::max(n, digits);
  const char* d = hex_digits(letters);
  std::string out(n, '0');
  for (std::size_t i = n; i > 0 && value != 0; --i, value >>= 4) out[i - 1] = d[value & 0x0F];
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
  // glibc's explicit_bzero is a memset the compiler may not drop (and word-wide, unlike a
  // volatile byte loop, which showed up at 5% of an import's profile).
  if (!data.empty()) ::explicit_bzero(data.data(), data.size());
}

}  // namespace otaflow
