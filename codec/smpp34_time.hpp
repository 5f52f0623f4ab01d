#pragma once
// SMPP 3.4 relative time (§7.1.1.2): "YYMMDDhhmmss000R", 16 characters (17 octets with the
// NUL on the wire), as submit_sm's validity_period. In the relative form the tenths digit and
// the UTC offset are "000" and the last character is 'R'; each field is two decimal digits.
// How long a month or a year is, SMPP does not say: otaflow (and its SMSC simulator) takes a
// year as 365 days and a month as 30, and writes a duration in the largest fields first.

#include <chrono>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace otaflow::codec::smpp {

/// The longest relative time: 99 years, 12 months, 4 days, 23:59:59 (YY at most 99; a year's
/// remainder of up to 364 days makes MM at most 12).
inline constexpr std::chrono::seconds max_relative_time{(99LL * 365 + 364) * 86400 + 86399};

/// "YYMMDDhhmmss000R" for `d` (1 s to max_relative_time); the error names the duration.
[[nodiscard]] result<std::string> encode_relative_time(std::chrono::seconds d);
/// The duration of a relative time ("...R"); an absolute time or a malformed text is an error.
[[nodiscard]] result<std::chrono::seconds> decode_relative_time(std::string_view text);

}  // namespace otaflow::codec::smpp
