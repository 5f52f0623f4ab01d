// The durations of campaign files ("30s", "500ms", "5m", "1h"), declared in campaign_def.hpp:
// kept apart from campaign_def.cpp's readers, which use them.
#include "actors/campaign_def.hpp"

#include <charconv>
#include <cmath>
#include <string>

namespace otaflow::actors {

std::string format_duration(std::chrono::milliseconds d) {
  const auto ms = d.count();
  if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  double value = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  // from_chars reads "nan" and "inf" too: a duration is a finite number.
  if (ec != std::errc{} || !std::isfinite(value) || value < 0) {
    return make_error(errc::bad_value,
                      "'" + std::string(text) + "' is not a duration (e.g. 30s, 500ms, 5m)");
  }
  const std::string_view unit(p, static_cast<std::size_t>(text.data() + text.size() - p));
  double ms = 0;
  if (unit.empty() || unit == "s") {
    ms = value * 1000;
  } else if (unit == "ms") {
    ms = value;
  } else if (unit == "m") {
    ms = value * 60'000;
  } else if (unit == "h") {
    ms = value * 3'600'000;
  } else {
    return make_error(errc::bad_value,
                      "'" + std::string(text) + "' has an unknown unit (ms, s, m, h)");
  }
  // Checked before the conversion: a double beyond the range of int64 makes the cast
  // undefined ("1e30s" gave a por_timeout of -9223372036854775808 ms).
  if (!(ms <= static_cast<double>(max_duration.count()))) {
    return make_error(errc::bad_value, "'" + std::string(text) + "' is longer than " +
                                           format_duration(max_duration));
  }
  return std::chrono::milliseconds(std::llround(ms));
}

}  // namespace otaflow::actors
