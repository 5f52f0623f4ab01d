// Tests for codec/smpp34_time: SMPP 3.4 relative time "YYMMDDhhmmss000R" (§7.1.1.2), as
// submit_sm's validity_period. Rows by hand from the format: a year is 365 days, a month 30.

#include "codec/smpp34_time.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace otaflow::codec::smpp {
namespace {

using std::chrono::seconds;

struct row {
  std::int64_t s;
  const char* text;
};

TEST(Smpp34Time, RelativeTable) {
  const row rows[] = {
      {1, "000000000001000R"},
      {90, "000000000130000R"},                         // 1 min 30 s
      {2 * 3600, "000000020000000R"},                   // 2h
      {86400, "000001000000000R"},                      // 1d
      {86400 + 3600 + 61, "000001010101000R"},          // 1d 01:01:01
      {29 * 86400, "000029000000000R"},                 // days below a month
      {30 * 86400, "000100000000000R"},                 // a month
      {364 * 86400, "001204000000000R"},                // 12 months 4 days
      {365 * 86400, "010000000000000R"},                // a year
      {366 * 86400, "010001000000000R"},                // 366d: otaflow's cap
      {max_relative_time.count(), "991204235959000R"},  // the longest
  };
  for (const auto& r : rows) {
    auto t = encode_relative_time(seconds(r.s));
    ASSERT_TRUE(t.ok()) << r.s << ": " << t.error().message;
    EXPECT_EQ(*t, r.text) << r.s;
    EXPECT_EQ(t->size(), 16u);
    auto back = decode_relative_time(r.text);
    ASSERT_TRUE(back.ok()) << r.text;
    EXPECT_EQ(back->count(), r.s) << r.text;
  }
}

TEST(Smpp34Time, Refusals) {
  for (auto s : {std::int64_t{0}, std::int64_t{-1}, max_relative_time.count() + 1}) {
    auto t = encode_relative_time(seconds(s));
    ASSERT_FALSE(t.ok()) << s;
    EXPECT_NE(t.error().message.find(std::to_string(s)), std::string::npos) << t.error().message;
  }
  for (const char* bad : {"", "000000020000000", "0000000200000000R", "260101120000000+",
                          "000000020000100R", "0000000x0000000R", "000000006000000R"}) {
    auto d = decode_relative_time(bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_NE(d.error().message.find(std::string("'") + bad + "'"), std::string::npos)
        << d.error().message;
  }
}

RC_GTEST_PROP(Smpp34Time, EncodeDecodeRoundTrip, ()) {
  const auto s = *rc::gen::inRange<std::int64_t>(1, max_relative_time.count() + 1);
  auto t = encode_relative_time(seconds(s));
  RC_ASSERT(t.ok());
  RC_ASSERT(t->size() == 16u);
  RC_ASSERT(t->substr(12) == "000R");
  auto back = decode_relative_time(*t);
  RC_ASSERT(back.ok());
  RC_ASSERT(back->count() == s);
}

}  // namespace
}  // namespace otaflow::codec::smpp
