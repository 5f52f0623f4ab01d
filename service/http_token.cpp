#include "service/http_token.hpp"

#include "base/secrets.hpp"

namespace otaflow::service {
namespace {

constexpr std::size_t min_token_length = 16;
constexpr std::size_t max_name_length = 64;

std::string trimmed(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > max_name_length) return false;
  for (const char c : n) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

status check_value(const std::string& value, const std::string& origin) {
  if (value.size() < min_token_length) {
    return make_error(errc::bad_argument, origin + ": the HTTP token has " +
                                              std::to_string(value.size()) +
                                              " characters, at least 16 are needed");
  }
  if (value.find_first_of(" \t") != std::string::npos) {
    return make_error(errc::bad_argument, origin + ": a token holds no spaces");
  }
  return {};
}

// The lines of a token file: one token alone, or NAME TOKEN lines.
result<http_tokens> parse_token_file(const std::string& text, const std::string& origin) {
  std::vector<std::pair<std::size_t, std::string>> lines;
  std::size_t no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const auto nl = text.find('\n', pos);
    const auto raw = std::string_view(text).substr(pos, nl == std::string::npos ? nl : nl - pos);
    ++no;
    auto line = trimmed(raw);
    if (!line.empty() && line[0] != '#') lines.emplace_back(no, std::move(line));
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  http_tokens out;
  if (lines.size() == 1 && lines[0].second.find_first_of(" \t") == std::string::npos) {
    OTAFLOW_TRY(check_value(lines[0].second, origin));
    out.push_back({"token_file", std::move(lines[0].second)});
    return out;
  }
  for (auto& [n, line] : lines) {
    const std::string where = origin + " line " + std::to_string(n);
    const auto sp = line.find_first_of(" \t");
    if (sp == std::string::npos) {
      return make_error(errc::bad_argument, where + ": expected NAME TOKEN");
    }
    std::string name = line.substr(0, sp);
    std::string value = trimmed(std::string_view(line).substr(sp));
    if (!valid_name(name)) {
      return make_error(errc::bad_argument,
                        where + ": a token name is 1-64 of A-Z a-z 0-9 . _ @ -");
    }
    OTAFLOW_TRY(check_value(value, where));
    for (const auto& t : out) {
      if (t.name == name)
        return make_error(errc::bad_argument, where + ": name '" + name + "' given twice");
      if (t.value == value) {
        return make_error(errc::bad_argument,
                          where + ": the same token as '" + t.name + "' (each needs its own)");
      }
    }
    out.push_back({std::move(name), std::move(value)});
  }
  if (out.empty()) return make_error(errc::bad_argument, origin + ": no token in the file");
  return out;
}

}  // namespace

result<http_tokens> load_http_tokens(const std::string& token_file) {
  if (auto env = take_env(http_token_env)) {  // trimmed by take_env
    OTAFLOW_TRY(check_value(*env, http_token_env));
    return http_tokens{{http_token_env, std::move(*env)}};
  }
  if (token_file.empty()) return http_tokens{};
  // The shared check (base/secrets.hpp): refused when readable by group or others.
  auto text = read_private_file(token_file, "http.token_file");
  if (!text) return text.error();
  auto out = parse_token_file(*text, "http.token_file " + token_file);
  secure_wipe(*text);
  return out;
}

std::optional<std::string> bearer_token_name(std::string_view authorization,
                                             const http_tokens& tokens) {
  std::optional<std::string> found;
  for (const auto& t : tokens) {
    if (bearer_matches(authorization, t.value) && !found) found = t.name;
  }
  return found;
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
