#include "storage/kek.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "base/secrets.hpp"

namespace otaflow::storage {

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
  // Checked before decoding, so that no partly decoded key is left behind on an error.
  const auto bad = std::find_if_not(text.begin(), text.end(), [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) != 0;
  });
  if (bad != text.end()) {
    // The position only (counted from 1): the digits themselves are part of the key.
    return make_error(errc::bad_value, std::string(origin) + " must be " +
                                           std::to_string(2 * kek_size) +
                                           " hex digits, got a non-hex character at position " +
                                           std::to_string(bad - text.begin() + 1));
  }
  auto raw = from_hex(text);
  if (!raw) return std::move(raw).error();
  auto s = secret::from(*raw);
  secure_wipe(*raw);
  return s;
}

namespace {

// The PKCS#11 key the source names, if any (configuration first, then OTAFLOW_KEK_PKCS11).
result<std::optional<pkcs11_config>> pkcs11_of(const kek_source& source) {
  if (source.file) return std::optional<pkcs11_config>();
  if (source.pkcs11) return source.pkcs11;
  const char* spec = std::getenv(pkcs11_env_var);
  if (spec == nullptr || *spec == '\0') return std::optional<pkcs11_config>();
  auto c = parse_pkcs11_spec(spec, pkcs11_env_var);
  if (!c) return c.error();
  return std::optional<pkcs11_config>(std::move(*c));
}

}  // namespace

kek_key direct_kek(secret k, std::string origin) {
  kek_key out;
  out.direct = std::move(k);
  out.origin = std::move(origin);
  return out;
}

result<kek_key> open_kek(const kek_source& source) {
  auto p = pkcs11_of(source);
  if (!p) return p.error();
  if (p->has_value()) {
    auto key = pkcs11_key::open(**p);
    if (!key) return key.error();
    kek_key out;
    out.token = std::move(*key);
    out.origin = describe(**p);
    return out;
  }
  auto k = load_kek(source);
  if (!k) return k.error();
  return direct_kek(std::move(*k),
                    source.file ? "kek_file " + source.file->string() : std::string(kek_env_var));
}

result<secret> load_kek(const kek_source& source) {
  auto p = pkcs11_of(source);
  if (!p) return p.error();
  if (p->has_value()) {
    return make_error(errc::unsupported,
                      describe(**p) +
                          ": a PKCS#11 KEK never leaves its token; this needs the key itself "
                          "(kek_file or OTAFLOW_KEK)");
  }
  if (source.file) {
    const std::string origin = "kek_file " + source.file->string();
    OTAFLOW_TRY(check_private_file(source.file->string(), "kek_file"));
    std::ifstream in(*source.file, std::ios::binary);
    if (!in) {
      return make_error(errc::io, origin + ": cannot be read");
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto k = parse_kek(text, origin);
    secure_wipe(text);
    return k;
  }
  // OTAFLOW_KEK leaves the environment (its bytes wiped) once read: child processes and readers
  // of /proc/PID/environ do not see it later.
  auto env = take_env(kek_env_var);
  if (!env) {
    return make_error(errc::not_found,
                      std::string(kek_env_var) + " is not set and no kek_file is configured");
  }
  auto k = parse_kek(*env, kek_env_var);
  secure_wipe({reinterpret_cast<std::uint8_t*>(env->data()), env->size()});
  return k;
}

}  // namespace otaflow::storage
