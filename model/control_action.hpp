#pragma once
// What an operator asks of a running campaign: from the command line (actors/campaign_control)
// or from the trigger topic (kafka/events, {"type":"pause"|"resume"|"cancel"|"retry",...}).
// `retry` re-queues failed jobs (actors/campaign_retry.hpp); the others change the mode.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace otaflow::model {

enum class control_action : std::uint8_t { pause, resume, cancel, retry };

/// "pause", "resume", "cancel", "retry" (the names on the trigger topic and in request files).
[[nodiscard]] std::string_view to_string(control_action a) noexcept;
/// Parses an action name; nullopt when unknown.
[[nodiscard]] std::optional<control_action> parse_control_action(std::string_view s) noexcept;

/// Who asked for a control action, for its audit record (docs/AUDIT.md): `by` is the channel
/// ("cli", "http", "kafka", "alert", "run --resume"), `who` the operating-system user (cli) or
/// the name of the HTTP bearer token (http), `from` the HTTP client's address. Empty: unknown.
struct control_origin {
  std::string by;
  std::string who;
  std::string from;
};

/// At most this many characters in each field of a control_origin from outside (a request
/// file, a Kafka record).
inline constexpr std::size_t control_origin_field_max = 128;

/// Whether `s` may be an origin field: at most control_origin_field_max printable ASCII
/// characters (no quotes, backslashes or controls: it goes into audit records and logs).
[[nodiscard]] bool valid_origin_field(std::string_view s) noexcept;

/// "http token 'ops-alice' from 10.0.0.7", "cli (user root)", "kafka": for logs and job
/// reasons.
[[nodiscard]] std::string describe(const control_origin& o);

}  // namespace otaflow::model
