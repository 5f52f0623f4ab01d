#include "service/http_token.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

namespace otaflow::service {
namespace {

constexpr std::size_t min_token_length = 16;

std::string trimmed(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

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
  if (const char* env = std::getenv(http_token_env); env != nullptr) {
    std::string token = trimmed(env);
    ::unsetenv(http_token_env);
    return checked(std::move(token), http_token_env);
  }
  if (token_file.empty()) return std::optional<std::string>{};
  const std::string origin = "http.token_file " + token_file;
  struct stat st {};
  if (::stat(token_file.c_str(), &st) != 0) {
    return make_error(errc::io, origin + ": " + std::strerror(errno));
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return make_error(errc::bad_argument, origin + ": readable by group or others (chmod 600 it)");
  }
  std::ifstream in(token_file, std::ios::binary);
  if (!in) return make_error(errc::io, origin + ": cannot be read");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return checked(trimmed(std::move(text)), origin);
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
