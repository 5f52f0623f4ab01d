#include "service/http_token.hpp"

#include "base/secrets.hpp"

namespace otaflow::service {
namespace {

constexpr std::size_t min_token_length = 16;

result<std::optional<std::string>> checked(std::string token, const std::string& origin) {
  if (token.size() < min_token_length) {
    return make_error(errc::bad_argument, origin + ": the HTTP token has " +
                                              std::to_string(token.size()) +
                                              " characters, at least 16 are needed");
  }
  return std::optional<std::string>(std::move(token));
}

}  // namespace

result<std::optional<std::string>> load_http_token(const std::string& token_file) {
  if (auto env = take_env(http_token_env)) return checked(std::move(*env), http_token_env);
  if (token_file.empty()) return std::optional<std::string>{};
  // The shared check (base/secrets.hpp): refused when readable by group or others.
  auto text = read_private_file(token_file, "http.token_file");
  if (!text) return text.error();
  return checked(std::move(*text), "http.token_file " + token_file);
}

bool bearer_matches(std::string_view authorization, std::string_view token) noexcept {
  constexpr std::string_view scheme = "Bearer ";
  if (token.empty() || authorization.size() != scheme.size() + token.size()) return false;
  // The scheme is case-insensitive (RFC 7235 §2.1).
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    const char c = authorization[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    const char want = (scheme[i] >= 'A' && scheme[i] <= 'Z')
                          ? static_cast<char>(scheme[i] - 'A' + 'a')
                          : scheme[i];
    if (lower != want) return false;
  }
  unsigned char diff = 0;
  for (std::size_t i = 0; i < token.size(); ++i) {
    diff |= static_cast<unsigned char>(authorization[scheme.size() + i] ^ token[i]);
  }
  return diff == 0;
}

}  // namespace otaflow::service
