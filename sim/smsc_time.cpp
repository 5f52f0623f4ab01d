#include "sim/smsc_time.hpp"

#include <string>

namespace otaflow::sim {
namespace {

/// Two decimal digits at pos, or -1.
int two_digits(std::string_view s, std::size_t pos) {
  const char a = s[pos];
  const char b = s[pos + 1];
  if (a < '0' || a > '9' || b < '0' || b > '9') return -1;
  return (a - '0') * 10 + (b - '0');
}

error time_error(std::string_view text, const std::string& what) {
  return make_error(errc::bad_value, "SMPP time '" + std::string(text) + "': " + what);
}

}  // namespace

result<std::optional<std::chrono::system_clock::time_point>> resolve_smpp_time(
    std::string_view text, std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  if (text.empty()) return std::optional<system_clock::time_point>{};
  if (text.size() != 16) return time_error(text, "expected 16 characters YYMMDDhhmmsstnnp");
  int f[6];
  for (int i = 0; i < 6; ++i) {
    f[i] = two_digits(text, static_cast<std::size_t>(2 * i));
    if (f[i] < 0) return time_error(text, "non-digit in YYMMDDhhmmss");
  }
  const char t = text[12];
  const int nn = two_digits(text, 13);
  const char p = text[15];
  if (t < '0' || t > '9' || nn < 0) return time_error(text, "non-digit in tnn");
  if (p == 'R') {
    // Relative: YY years, MM months, DD days, hh:mm:ss from now (SMPP 3.4 §7.1.1.2).
    const auto offset =
        hours(24 * (365 * f[0] + 30 * f[1] + f[2]) + f[3]) + minutes(f[4]) + seconds(f[5]);
    return std::optional<system_clock::time_point>{now + offset};
  }
  if (p != '+' && p != '-') return time_error(text, "last character must be +, - or R");
  if (nn > 48) return time_error(text, "UTC offset nn > 48 quarter hours");
  const year_month_day ymd{year{2000 + f[0]}, month{static_cast<unsigned>(f[1])},
                           day{static_cast<unsigned>(f[2])}};
  if (!ymd.ok()) return time_error(text, "no such date");
  if (f[3] > 23 || f[4] > 59 || f[5] > 59) return time_error(text, "no such time of day");
  auto local =
      sys_days{ymd} + hours(f[3]) + minutes(f[4]) + seconds(f[5]) + milliseconds(100 * (t - '0'));
  // Local time is nn quarter hours ahead of (+) or behind (-) UTC.
  const minutes tz(15 * nn);
  const auto utc = p == '+' ? local - tz : local + tz;
  return std::optional<system_clock::time_point>{time_point_cast<system_clock::duration>(utc)};
}

}  // namespace otaflow::sim
