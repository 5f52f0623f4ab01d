#pragma once
// When a campaign may send: a validity period (policy.not_before / not_after, RFC 3339 times)
// and a daily send window ("08:00-20:00") in a fixed UTC offset ("+01:00"). Outside the send
// window, and before not_before, no new packet is submitted and retries wait; after not_after
// every job that is not terminal fails with "validity expired". Pure arithmetic on
// milliseconds since the Unix epoch: the engine passes its clock's time, tests pass any.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace otaflow::actors {

/// A daily window [start, end) in minutes of the local day; start > end wraps midnight
/// ("22:00-06:00"); end may be 1440 ("24:00").
struct send_window {
  std::uint16_t start_min = 0;
  std::uint16_t end_min = 1440;
  bool operator==(const send_window&) const = default;
};

/// The time fields of a campaign's [policy].
struct time_policy {
  std::optional<std::int64_t> not_before_ms;  ///< no packet before (ms since the epoch)
  std::optional<std::int64_t> not_after_ms;   ///< jobs fail with "validity expired" from then
  std::optional<send_window> window;          ///< daily send window in local time
  std::int32_t utc_offset_min = 0;            ///< local time = UTC + offset (-1080..1080)
  bool operator==(const time_policy&) const = default;
  /// True when nothing restricts sending.
  [[nodiscard]] bool unrestricted() const noexcept {
    return !not_before_ms && !not_after_ms && !window;
  }
};

/// What a campaign may do at a given time.
struct time_gate {
  enum kind_t : std::uint8_t { open, wait, expired } kind = open;
  std::int64_t until_ms = 0;  ///< wait: when to look again (the window opens, or not_after)
  bool operator==(const time_gate&) const = default;
};

/// Whether `p` lets a campaign start a new attempt at `now_ms`.
[[nodiscard]] time_gate check_time(const time_policy& p, std::int64_t now_ms) noexcept;

/// Whether `now_ms` is inside the daily window (local time = UTC + offset).
[[nodiscard]] bool in_window(const send_window& w, std::int32_t utc_offset_min,
                             std::int64_t now_ms) noexcept;
/// The first instant >= now_ms at which the window is open.
[[nodiscard]] std::int64_t next_open(const send_window& w, std::int32_t utc_offset_min,
                                     std::int64_t now_ms) noexcept;

/// Parses an RFC 3339 date-time ("2026-12-01T00:00:00Z", "...T08:30:00.250+01:00") into ms
/// since the Unix epoch. Leap seconds (":60") are read as the last ms of the minute.
[[nodiscard]] result<std::int64_t> parse_rfc3339(std::string_view text);
/// RFC 3339 in UTC: "2026-12-01T00:00:00Z" (".250" added when the ms are not zero).
[[nodiscard]] std::string format_rfc3339(std::int64_t ms);
/// Parses "HH:MM-HH:MM" (start 00:00..23:59, end 00:00..24:00, start != end).
[[nodiscard]] result<send_window> parse_send_window(std::string_view text);
/// "08:00-20:00".
[[nodiscard]] std::string format_send_window(const send_window& w);
/// Parses a fixed UTC offset: "+01:00", "-05:30", "+0100", "Z" or "UTC" (at most 18 hours).
[[nodiscard]] result<std::int32_t> parse_utc_offset(std::string_view text);
/// "+01:00", "-05:30", "+00:00".
[[nodiscard]] std::string format_utc_offset(std::int32_t minutes);

}  // namespace otaflow::actors
