#pragma once
// The bearer token that guards the HTTP API's control calls (pause, resume, cancel). It comes
// from OTAFLOW_HTTP_TOKEN (removed from the environment once read, so that child processes and
// /proc/PID/environ readers later do not see it) or from `[http] token_file`, which must not be
// readable by group or others. With neither, control is off and the API is read-only.

#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace otaflow::service {

/// The environment variable read by load_http_token.
inline constexpr const char* http_token_env = "OTAFLOW_HTTP_TOKEN";

/// The configured token, or nullopt when none is. Fails, naming the file (never the token),
/// when the file cannot be read, is readable by group or others, or the token is shorter than
/// 16 characters.
[[nodiscard]] result<std::optional<std::string>> load_http_token(const std::string& token_file);

/// Whether an `Authorization` header value is "Bearer <token>" with this token, compared in
/// constant time (the token's length aside).
[[nodiscard]] bool bearer_matches(std::string_view authorization, std::string_view token) noexcept;

}  // namespace otaflow::service
