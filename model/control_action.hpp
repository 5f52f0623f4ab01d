#pragma once
// What an operator asks of a running campaign: from the command line (actors/campaign_control)
// or from the trigger topic (kafka/events, {"type":"pause"|"resume"|"cancel"|"retry",...}).
// `retry` re-queues failed jobs (actors/campaign_retry.hpp); the others change the mode.

#include <cstdint>
#include <optional>
#include <string_view>

namespace otaflow::model {

enum class control_action : std::uint8_t { pause, resume, cancel, retry };

/// "pause", "resume", "cancel", "retry" (the names on the trigger topic and in request files).
[[nodiscard]] std::string_view to_string(control_action a) noexcept;
/// Parses an action name; nullopt when unknown.
[[nodiscard]] std::optional<control_action> parse_control_action(std::string_view s) noexcept;

}  // namespace otaflow::model
