// Send windows and validity periods: RFC 3339 parsing (RFC 3339 §5.6 grammar, §5.8
// examples), daily windows in a fixed UTC offset (wrapping midnight too), and the gate the
// engine asks before every new attempt.

#include "actors/time_window.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace otaflow::actors {
namespace {

constexpr std::int64_t kMin = 60'000, kHour = 60 * kMin, kDay = 24 * kHour;

std::int64_t t(std::string_view rfc3339) {
  auto r = parse_rfc3339(rfc3339);
  EXPECT_TRUE(r.ok()) << rfc3339 << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : 0;
}

TEST(Rfc3339, ParsesTheRfcExamples) {
  // RFC 3339 §5.8.
  EXPECT_EQ(t("1985-04-12T23:20:50.52Z"), 482196050520);
  EXPECT_EQ(t("1996-12-19T16:39:57-08:00"), 851042397000);
  EXPECT_EQ(t("1990-12-31T23:59:60Z"), t("1990-12-31T23:59:59Z") + 999);  // leap second
  EXPECT_EQ(t("1990-12-31T15:59:60-08:00"), t("1990-12-31T23:59:60Z"));
  EXPECT_EQ(t("1937-01-01T12:00:27.87+00:20"), -1041337172130);
  EXPECT_EQ(t("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(t("2026-12-01T00:00:00Z"), 1796083200000);
  EXPECT_EQ(t("2026-12-01t01:00:00+01:00"), 1796083200000);
  EXPECT_EQ(t("2024-02-29T12:00:00Z") + kDay, t("2024-03-01T12:00:00Z"));
}

TEST(Rfc3339, RejectsWhatIsNotOne) {
  for (const char* bad : {"2026-12-01", "2026-12-01T00:00:00", "2026-13-01T00:00:00Z",
                          "2025-02-29T00:00:00Z", "2026-12-01T24:00:00Z", "2026-12-01T00:60:00Z",
                          "2026-12-01T00:00:00+1:00", "2026-12-01T00:00:00.Z", "26-12-01T00:00:00Z",
                          "2026-12-01T00:00:00Zjunk", "2026-12-01T00:00:00+24:00"}) {
    auto r = parse_rfc3339(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
    }
  }
}

TEST(Rfc3339, FormatsInUtc) {
  EXPECT_EQ(format_rfc3339(1796083200000), "2026-12-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(482196050520), "1985-04-12T23:20:50.520Z");
  EXPECT_EQ(format_rfc3339(-1041337172130), "1937-01-01T11:40:27.870Z");
}

RC_GTEST_PROP(Rfc3339, FormatParsesBack, ()) {
  const auto ms = *rc::gen::inRange<std::int64_t>(-62'135'596'800'000, 253'402'300'799'000);
  const auto back = parse_rfc3339(format_rfc3339(ms));
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == ms);
}

TEST(SendWindow, ParsesAndFormats) {
  auto w = parse_send_window("08:00-20:00");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->start_min, 8 * 60);
  EXPECT_EQ(w->end_min, 20 * 60);
  EXPECT_EQ(format_send_window(*w), "08:00-20:00");
  w = parse_send_window("22:30-06:15");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(format_send_window(*w), "22:30-06:15");
  ASSERT_TRUE(parse_send_window("00:00-24:00").ok());
  for (const char* bad : {"8:00-20:00", "08:00", "08:00-08:00", "24:00-01:00", "08:60-20:00",
                          "08:00-24:01", "08:00 - 20:00"}) {
    EXPECT_FALSE(parse_send_window(bad).ok()) << bad;
  }
}

TEST(UtcOffset, ParsesAndFormats) {
  EXPECT_EQ(*parse_utc_offset("+01:00"), 60);
  EXPECT_EQ(*parse_utc_offset("-05:30"), -330);
  EXPECT_EQ(*parse_utc_offset("+0545"), 345);
  EXPECT_EQ(*parse_utc_offset("Z"), 0);
  EXPECT_EQ(*parse_utc_offset("UTC"), 0);
  EXPECT_EQ(format_utc_offset(-330), "-05:30");
  EXPECT_EQ(format_utc_offset(60), "+01:00");
  for (const char* bad : {"01:00", "+1", "+19:00", "+01:60", "CET"}) {
    EXPECT_FALSE(parse_utc_offset(bad).ok()) << bad;
  }
}

TEST(SendWindow, OpenAndNextOpenInAFixedOffset) {
  const send_window w{8 * 60, 20 * 60};
  const auto day = t("2026-12-01T00:00:00Z");
  // +01:00: the local window 08:00-20:00 is 07:00-19:00 UTC.
  EXPECT_FALSE(in_window(w, 60, day + 6 * kHour + 59 * kMin));
  EXPECT_TRUE(in_window(w, 60, day + 7 * kHour));
  EXPECT_TRUE(in_window(w, 60, day + 18 * kHour + 59 * kMin));
  EXPECT_FALSE(in_window(w, 60, day + 19 * kHour));
  EXPECT_EQ(next_open(w, 60, day + 3 * kHour), day + 7 * kHour);
  EXPECT_EQ(next_open(w, 60, day + 12 * kHour), day + 12 * kHour);  // open already
  EXPECT_EQ(next_open(w, 60, day + 19 * kHour), day + kDay + 7 * kHour);
  // A negative offset crossing the UTC day: -05:00, local 08:00 is 13:00 UTC.
  EXPECT_EQ(next_open(w, -300, day + 2 * kHour), day + 13 * kHour);
  EXPECT_TRUE(in_window(w, -300, day + kDay + 59 * kMin));  // 19:59 local, the day before
  EXPECT_EQ(next_open(w, -300, day + kDay + 1 * kHour), day + kDay + 13 * kHour);  // 20:00
}

TEST(SendWindow, WrapsMidnight) {
  const send_window night{22 * 60, 6 * 60};
  const auto day = t("2026-12-01T00:00:00Z");
  EXPECT_TRUE(in_window(night, 0, day + 23 * kHour));
  EXPECT_TRUE(in_window(night, 0, day + 5 * kHour));
  EXPECT_FALSE(in_window(night, 0, day + 6 * kHour));
  EXPECT_FALSE(in_window(night, 0, day + 12 * kHour));
  EXPECT_EQ(next_open(night, 0, day + 6 * kHour), day + 22 * kHour);
  EXPECT_EQ(next_open(night, 0, day + 21 * kHour + 59 * kMin), day + 22 * kHour);
}

RC_GTEST_PROP(SendWindow, NextOpenIsOpenAndNothingEarlierIs, ()) {
  const auto start = *rc::gen::inRange<std::uint16_t>(0, 1440);
  auto end = *rc::gen::inRange<std::uint16_t>(1, 1441);
  RC_PRE(start != end && start < 1440);
  const send_window w{start, end};
  const auto offset = *rc::gen::inRange(-18 * 60, 18 * 60 + 1);
  const auto now = *rc::gen::inRange<std::int64_t>(0, 4'000'000'000'000);
  const auto open = next_open(w, offset, now);
  RC_ASSERT(open >= now);
  RC_ASSERT(open - now <= kDay);
  RC_ASSERT(in_window(w, offset, open));
  if (open > now) {
    RC_ASSERT(!in_window(w, offset, open - 1));
    RC_ASSERT(!in_window(w, offset, now));
  }
}

TEST(TimeGate, ValidityAndWindowTogether) {
  time_policy p;
  p.not_before_ms = t("2026-12-01T00:00:00Z");
  p.not_after_ms = t("2026-12-03T00:00:00Z");
  p.window = send_window{8 * 60, 20 * 60};
  p.utc_offset_min = 60;
  // Before not_before: wait for the first window after it (08:00 local = 07:00 UTC).
  EXPECT_EQ(check_time(p, t("2026-11-30T12:00:00Z")),
            (time_gate{time_gate::wait, t("2026-12-01T07:00:00Z")}));
  EXPECT_EQ(check_time(p, t("2026-12-01T07:00:00Z")).kind, time_gate::open);
  EXPECT_EQ(check_time(p, t("2026-12-01T19:30:00Z")),
            (time_gate{time_gate::wait, t("2026-12-02T07:00:00Z")}));
  // The night before not_after: wake at not_after (the campaign expires then).
  EXPECT_EQ(check_time(p, t("2026-12-02T20:00:00Z")),
            (time_gate{time_gate::wait, t("2026-12-03T00:00:00Z")}));
  EXPECT_EQ(check_time(p, t("2026-12-03T00:00:00Z")).kind, time_gate::expired);
  EXPECT_EQ(check_time(time_policy{}, 0).kind, time_gate::open);
  EXPECT_TRUE(time_policy{}.unrestricted());
}

}  // namespace
}  // namespace otaflow::actors
