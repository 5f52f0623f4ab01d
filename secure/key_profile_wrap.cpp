#include "secure/key_profile_wrap.hpp"

#include <string>

#include "secure/scp80_algorithm.hpp"

namespace otaflow::secure {
namespace {

bool is_aes(key_wrap_alg a) noexcept {
  return a == key_wrap_alg::aes_ecb || a == key_wrap_alg::aes_cbc;
}
bool is_ecb(key_wrap_alg a) noexcept {
  return a == key_wrap_alg::aes_ecb || a == key_wrap_alg::tdes_ecb;
}

// The SCP80 cipher (zero IV, CBC) for the key: ECB runs it one block at a time.
result<cipher_alg> cipher_for(key_wrap_alg a, std::size_t key_len) {
  if (is_aes(a)) {
    if (key_len != 16 && key_len != 24 && key_len != 32)
      return make_error(errc::bad_argument, std::string(name(a)) +
                                                ": the wrapping key must have 16, 24 or 32 "
                                                "octets, got " +
                                                std::to_string(key_len));
    return cipher_alg::aes_cbc;
  }
  if (key_len == 16) return cipher_alg::tdes2_cbc;
  if (key_len == 24) return cipher_alg::tdes3_cbc;
  return make_error(errc::bad_argument, std::string(name(a)) +
                                            ": the wrapping key must have 16 or 24 octets, got " +
                                            std::to_string(key_len));
}

status run(key_wrap_alg a, byte_view key, std::span<std::uint8_t> data, bool enc) {
  auto c = cipher_for(a, key.size());
  if (!c) return c.error();
  const std::size_t step = is_ecb(a) ? block_size(a) : data.size();
  for (std::size_t off = 0; off < data.size(); off += step) {
    auto part = data.subspan(off, step);
    OTAFLOW_TRY(enc ? encrypt(*c, key, part) : decrypt(*c, key, part));
  }
  return {};
}

}  // namespace

std::string_view name(key_wrap_alg a) noexcept {
  switch (a) {
    case key_wrap_alg::aes_ecb:
      return "aes-ecb";
    case key_wrap_alg::aes_cbc:
      return "aes-cbc";
    case key_wrap_alg::tdes_ecb:
      return "3des-ecb";
    case key_wrap_alg::tdes_cbc:
      return "3des-cbc";
  }
  return "?";
}

std::string_view name(key_wrap_padding p) noexcept {
  return p == key_wrap_padding::none ? "none" : "iso9797-m2";
}

result<key_wrap_alg> key_wrap_alg_from(std::string_view s) {
  for (auto a : {key_wrap_alg::aes_ecb, key_wrap_alg::aes_cbc, key_wrap_alg::tdes_ecb,
                 key_wrap_alg::tdes_cbc})
    if (s == name(a)) return a;
  return make_error(errc::bad_value,
                    "'" + std::string(s) + "' is not aes-ecb, aes-cbc, 3des-ecb or 3des-cbc");
}

result<key_wrap_padding> key_wrap_padding_from(std::string_view s) {
  for (auto p : {key_wrap_padding::none, key_wrap_padding::iso9797_m2})
    if (s == name(p)) return p;
  return make_error(errc::bad_value, "'" + std::string(s) + "' is not none or iso9797-m2");
}

std::size_t block_size(key_wrap_alg a) noexcept {
  return is_aes(a) ? 16 : 8;
}

std::size_t wrapped_size(key_wrap_alg a, key_wrap_padding p, std::size_t plain_len) noexcept {
  const std::size_t b = block_size(a);
  if (p == key_wrap_padding::iso9797_m2) return (plain_len / b + 1) * b;
  return plain_len != 0 && plain_len % b == 0 ? plain_len : 0;
}

result<bytes> wrap_value(key_wrap_alg a, key_wrap_padding p, byte_view key, byte_view value) {
  const std::size_t n = wrapped_size(a, p, value.size());
  if (n == 0)
    return make_error(errc::bad_length, std::string(name(a)) + " without padding needs whole " +
                                            std::to_string(block_size(a)) + "-octet blocks, got " +
                                            std::to_string(value.size()) + " octets");
  bytes out(value.begin(), value.end());
  if (p == key_wrap_padding::iso9797_m2) {
    out.push_back(0x80);
    out.resize(n, 0x00);
  }
  if (auto st = run(a, key, out, true); !st) {
    secure_wipe(out);
    return st.error();
  }
  return out;
}

result<bytes> unwrap_value(key_wrap_alg a, key_wrap_padding p, byte_view key, byte_view wrapped) {
  if (wrapped.empty() || wrapped.size() % block_size(a) != 0)
    return make_error(errc::bad_length, std::string(name(a)) + ": " +
                                            std::to_string(wrapped.size()) +
                                            " octets are not whole blocks");
  bytes out(wrapped.begin(), wrapped.end());
  if (auto st = run(a, key, out, false); !st) return st.error();
  if (p == key_wrap_padding::iso9797_m2) {
    while (!out.empty() && out.back() == 0x00) out.pop_back();
    if (out.empty() || out.back() != 0x80) {
      secure_wipe(out);
      return make_error(errc::verification, "iso9797-m2 padding not found after unwrapping");
    }
    out.pop_back();
  }
  return out;
}

}  // namespace otaflow::secure
