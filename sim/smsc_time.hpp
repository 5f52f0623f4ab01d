#pragma once
// SMPP 3.4 §7.1.1 time format "YYMMDDhhmmsstnnp" for schedule_delivery_time and
// validity_period: p = '+'/'-' absolute (local time nn quarter hours ahead of /
// behind UTC), p = 'R' relative to now (tnn are then "000").

#include <chrono>
#include <optional>
#include <string_view>

#include "base/error.hpp"

namespace otaflow::sim {

/// The instant an SMPP time names, or nullopt for the empty string (= "not given").
/// Relative times count a year as 365 days and a month as 30 days (the spec leaves it open).
/// Errors name the bad field.
[[nodiscard]] result<std::optional<std::chrono::system_clock::time_point>> resolve_smpp_time(
    std::string_view text, std::chrono::system_clock::time_point now);

}  // namespace otaflow::sim
