#include "codec/smpp34_time.hpp"

namespace otaflow::codec::smpp {
namespace {

constexpr std::int64_t day = 86400;
constexpr std::int64_t year_days = 365;
constexpr std::int64_t month_days = 30;

int two_digits(std::string_view s, std::size_t at) {
  const char a = s[at], b = s[at + 1];
  if (a < '0' || a > '9' || b < '0' || b > '9') return -1;
  return (a - '0') * 10 + (b - '0');
}

}  // namespace

result<std::string> encode_relative_time(std::chrono::seconds d) {
  const auto total = d.count();
  if (total <= 0 || d > max_relative_time) {
    return make_error(errc::bad_value, "relative time of " + std::to_string(total) +
                                           " s: must be between 1 s and " +
                                           std::to_string(max_relative_time.count()) +
                                           " s (99 years; SMPP 3.4 §7.1.1.2, two digits a field)");
  }
  auto days = total / day;
  auto rest = total % day;
  const auto years = days / year_days;
  days %= year_days;
  const auto months = days / month_days;
  days %= month_days;
  // Every field is below 100 here (years <= 99, months < 12, days < 30, ...): two digits each.
  std::string out;
  out.reserve(16);
  for (const auto v : {years, months, days, rest / 3600, rest % 3600 / 60, rest % 60}) {
    out += static_cast<char>('0' + v / 10 % 10);
    out += static_cast<char>('0' + v % 10);
  }
  out += "000R";
  return out;
}

result<std::chrono::seconds> decode_relative_time(std::string_view text) {
  auto bad = [&](const char* why) {
    return make_error(errc::bad_value,
                      "relative time '" + std::string(text) + "': " + why + " (YYMMDDhhmmss000R)");
  };
  if (text.size() != 16) return bad("expected 16 characters");
  if (text[15] != 'R') return bad("not relative: the last character is not 'R'");
  if (text.substr(12, 3) != "000") return bad("tenths and UTC offset must be 000");
  std::int64_t f[6];
  for (std::size_t i = 0; i < 6; ++i) {
    const int v = two_digits(text, 2 * i);
    if (v < 0) return bad("non-digit");
    f[i] = v;
  }
  if (f[4] > 59 || f[5] > 59) return bad("minutes or seconds above 59");
  return std::chrono::seconds((f[0] * year_days + f[1] * month_days + f[2]) * day + f[3] * 3600 +
                              f[4] * 60 + f[5]);
}

}  // namespace otaflow::codec::smpp
