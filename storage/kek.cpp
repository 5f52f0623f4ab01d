#include "storage/kek.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

namespace otaflow::storage {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

result<secret> parse_kek(std::string_view text, std::string_view origin) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  if (text.size() != 2 * kek_size) {
    return make_error(errc::bad_length, std::string(origin) + " must be " +
                                            std::to_string(2 * kek_size) + " hex digits, got " +
                                            std::to_string(text.size()));
  }
  std::array<std::uint8_t, kek_size> raw{};
  for (std::size_t i = 0; i < kek_size; ++i) {
    const int hi = hex_value(text[2 * i]);
    const int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      secure_wipe(raw);
      // The position only: the digits themselves are part of the key.
      return make_error(errc::bad_value, std::string(origin) + " must be " +
                                             std::to_string(2 * kek_size) +
                                             " hex digits, got a non-hex character at position " +
                                             std::to_string(2 * i + (hi < 0 ? 0 : 1) + 1));
    }
    raw[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  auto s = secret::from(raw);
  secure_wipe(raw);
  return s;
}

result<secret> load_kek(const kek_source& source) {
  if (source.file) {
    const std::string origin = "kek_file " + source.file->string();
    std::ifstream in(*source.file, std::ios::binary);
    if (!in) {
      return make_error(errc::io, origin + ": cannot be read");
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto k = parse_kek(text, origin);
    secure_wipe({reinterpret_cast<std::uint8_t*>(text.data()), text.size()});
    return k;
  }
  const char* env = std::getenv(kek_env_var);
  if (env == nullptr) {
    return make_error(errc::not_found,
                      std::string(kek_env_var) + " is not set and no kek_file is configured");
  }
  return parse_kek(env, kek_env_var);
}

}  // namespace otaflow::storage
