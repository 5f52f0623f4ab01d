#include "actors/time_window.hpp"

#include <algorithm>
#include <cstdio>

namespace otaflow::actors {
namespace {

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kDayMs = 86'400'000;

std::int64_t floor_mod(std::int64_t a, std::int64_t m) noexcept {
  const auto r = a % m;
  return r < 0 ? r + m : r;
}

// Days since 1970-01-01 of a proleptic Gregorian date: the civil-from-days inverse
// (eras of 400 years, March-based years so the leap day ends a year).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
}

unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
  static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

// Reads exactly n decimal digits at text[pos].
bool digits(std::string_view text, std::size_t pos, std::size_t n, unsigned& out) {
  if (pos + n > text.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<unsigned>(c - '0');
  }
  return true;
}

error bad(std::string_view text, const std::string& what) {
  return make_error(errc::bad_value, "'" + std::string(text) + "' " + what);
}

// "HH:MM" with hour <= max_hour (24 only as 24:00).
bool clock_time(std::string_view t, unsigned max_hour, std::uint16_t& minutes) {
  unsigned h = 0, m = 0;
  if (t.size() != 5 || t[2] != ':' || !digits(t, 0, 2, h) || !digits(t, 3, 2, m)) return false;
  if (h > max_hour || m > 59 || (h == 24 && m != 0)) return false;
  minutes = static_cast<std::uint16_t>(h * 60 + m);
  return true;
}

}  // namespace

bool in_window(const send_window& w, std::int32_t utc_offset_min, std::int64_t now_ms) noexcept {
  const auto local = floor_mod(now_ms + std::int64_t{utc_offset_min} * kMinuteMs, kDayMs);
  const auto start = std::int64_t{w.start_min} * kMinuteMs;
  const auto end = std::int64_t{w.end_min} * kMinuteMs;
  if (start < end) return local >= start && local < end;
  return local >= start || local < end;  // wraps midnight
}

std::int64_t next_open(const send_window& w, std::int32_t utc_offset_min,
                       std::int64_t now_ms) noexcept {
  if (in_window(w, utc_offset_min, now_ms)) return now_ms;
  const auto offset = std::int64_t{utc_offset_min} * kMinuteMs;
  const auto local = now_ms + offset;
  const auto into_day = floor_mod(local, kDayMs);
  const auto start = std::int64_t{w.start_min} * kMinuteMs;
  // Closed means before today's start (or, wrapping, between end and start): today's start,
  // unless it has passed (non-wrapping window after its end): tomorrow's.
  auto open_local = local - into_day + start;
  if (open_local <= local) open_local += kDayMs;
  return open_local - offset;
}

time_gate check_time(const time_policy& p, std::int64_t now_ms) noexcept {
  if (p.not_after_ms && now_ms >= *p.not_after_ms) return {time_gate::expired, 0};
  std::int64_t at = now_ms;
  if (p.not_before_ms && at < *p.not_before_ms) at = *p.not_before_ms;
  if (p.window) at = next_open(*p.window, p.utc_offset_min, at);
  if (at <= now_ms) return {time_gate::open, 0};
  // Wake at not_after at the latest: the campaign expires then, whatever the window says.
  if (p.not_after_ms) at = std::min(at, *p.not_after_ms);
  return {time_gate::wait, at};
}

result<std::int64_t> parse_rfc3339(std::string_view text) {
  // RFC 3339 §5.6: full-date "T" full-time, time-offset "Z" / ("+" / "-") HH:MM.
  unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (text.size() < 20 || !digits(text, 0, 4, y) || text[4] != '-' || !digits(text, 5, 2, mo) ||
      text[7] != '-' || !digits(text, 8, 2, d) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !digits(text, 11, 2, h) ||
      text[13] != ':' || !digits(text, 14, 2, mi) || text[16] != ':' || !digits(text, 17, 2, s)) {
    return bad(text, "is not an RFC 3339 date-time like 2026-12-01T00:00:00Z");
  }
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60) {
    return bad(text, "is not a valid date and time");
  }
  std::size_t pos = 19;
  std::int64_t ms = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t n = 0;
    std::int64_t scale = 100;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      ms += (text[pos] - '0') * scale;  // digits past the millisecond are dropped
      scale /= 10;
      ++pos;
      ++n;
    }
    if (n == 0) return bad(text, "has a '.' without fraction digits");
  }
  std::int64_t offset_min = 0;
  const auto zone = text.substr(pos);
  if (zone == "Z" || zone == "z") {
    offset_min = 0;
  } else {
    unsigned oh = 0, om = 0;
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || !digits(zone, 1, 2, oh) ||
        zone[3] != ':' || !digits(zone, 4, 2, om) || oh > 23 || om > 59) {
      return bad(text, "needs a time offset: Z or +HH:MM / -HH:MM");
    }
    offset_min = (zone[0] == '-' ? -1 : 1) * static_cast<std::int64_t>(oh * 60 + om);
  }
  if (s == 60) {  // a leap second: the last millisecond of the minute
    s = 59;
    ms = 999;
  }
  const auto days = days_from_civil(y, mo, d);
  const auto local_ms = ((days * 24 + h) * 60 + mi) * kMinuteMs + std::int64_t{s} * 1000 + ms;
  return local_ms - offset_min * kMinuteMs;
}

std::string format_rfc3339(std::int64_t ms) {
  const auto days = (ms >= 0 ? ms : ms - (kDayMs - 1)) / kDayMs;
  const auto in_day = ms - days * kDayMs;
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  const auto secs = in_day / 1000;
  const auto frac = in_day % 1000;
  char b[128];
  if (frac != 0) {
    std::snprintf(b, sizeof b, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                  static_cast<long long>(y), m, d, static_cast<long long>(secs / 3600),
                  static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60),
                  static_cast<long long>(frac));
  } else {
    std::snprintf(b, sizeof b, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<long long>(y),
                  m, d, static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                  static_cast<long long>(secs % 60));
  }
  return b;
}

result<send_window> parse_send_window(std::string_view text) {
  send_window w;
  const auto dash = text.find('-');
  if (dash == std::string_view::npos || !clock_time(text.substr(0, dash), 23, w.start_min) ||
      !clock_time(text.substr(dash + 1), 24, w.end_min)) {
    return bad(text, "is not a daily window like \"08:00-20:00\"");
  }
  if (w.start_min == w.end_min) {
    return bad(text, "is empty: start and end are equal (for all day use \"00:00-24:00\")");
  }
  return w;
}

std::string format_send_window(const send_window& w) {
  char b[16];
  std::snprintf(b, sizeof b, "%02u:%02u-%02u:%02u", w.start_min / 60u, w.start_min % 60u,
                w.end_min / 60u, w.end_min % 60u);
  return b;
}

result<std::int32_t> parse_utc_offset(std::string_view text) {
  if (text == "Z" || text == "z" || text == "UTC") return 0;
  unsigned h = 0, m = 0;
  const bool colon = text.size() == 6 && text[3] == ':';
  const bool ok = (colon || text.size() == 5) && (text[0] == '+' || text[0] == '-') &&
                  digits(text, 1, 2, h) && digits(text, colon ? 4 : 3, 2, m) && m <= 59 &&
                  h * 60 + m <= 18 * 60;
  if (!ok) return bad(text, "is not a UTC offset like \"+01:00\" (at most 18 hours)");
  const auto minutes = static_cast<std::int32_t>(h * 60 + m);
  return text[0] == '-' ? -minutes : minutes;
}

std::string format_utc_offset(std::int32_t minutes) {
  char b[16];
  const auto a = minutes < 0 ? -minutes : minutes;
  std::snprintf(b, sizeof b, "%c%02d:%02d", minutes < 0 ? '-' : '+', a / 60, a % 60);
  return b;
}

}  // namespace otaflow::actors
