#pragma once
// The bearer token that guards the HTTP API's control calls (pause, resume, cancel). It comes
// from OTAFLOW_HTTP_TOKEN (removed from the environment once read, so that child processes and
// /proc/PID/environ readers later do not see it) or from `[http] token_file`, which must not be
// readable by group or others. With neither, control is off and the API is read-only.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace otaflow::service {

/// The environment variable read by load_http_tokens.
inline constexpr const char* http_token_env = "OTAFLOW_HTTP_TOKEN";

/// A bearer token and the name the audit records for it (docs/AUDIT.md: "who" of a control
/// call made over HTTP).
struct http_token {
  std::string name;
  std::string value;
};
using http_tokens = std::vector<http_token>;

/// The configured tokens; empty when none is (control off). OTAFLOW_HTTP_TOKEN, when set, is
/// one token named "OTAFLOW_HTTP_TOKEN"; else `token_file` holds either one token alone (named
/// "token_file") or one `NAME TOKEN` per line, one per operator or tool (blank lines and lines
/// starting with # skipped). Names are 1-64 of [A-Za-z0-9._@-], distinct; tokens at least 16
/// characters without spaces, distinct. Fails, naming the file and the line (never a token),
/// when the file cannot be read, is readable by group or others, or a line is malformed.
[[nodiscard]] result<http_tokens> load_http_tokens(const std::string& token_file);

/// Whether an `Authorization` header value is "Bearer <token>" with this token, compared in
/// constant time (the token's length aside).
[[nodiscard]] bool bearer_matches(std::string_view authorization, std::string_view token) noexcept;

/// The name of the token an `Authorization` header carries; nullopt when none matches. Every
/// token is compared (no early exit), each in constant time.
[[nodiscard]] std::optional<std::string> bearer_token_name(std::string_view authorization,
                                                           const http_tokens& tokens);

}  // namespace otaflow::service
