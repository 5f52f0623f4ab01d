// Tests of the token bucket shared by the SMPP client's pacing and the SMSC simulator's
// per-bind TPS limit (moved here with the simulator's copy of the class).

#include "base/token_bucket.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <chrono>
#include <vector>

namespace otaflow {
namespace {

using namespace std::chrono_literals;

TEST(TokenBucket, RefillsAtRate) {
  const auto t0 = token_bucket::clock::time_point{} + 1h;
  token_bucket b(10.0, 2, t0);  // 10/s, burst 2
  EXPECT_TRUE(b.try_take(t0));
  EXPECT_TRUE(b.try_take(t0));
  EXPECT_FALSE(b.try_take(t0));
  EXPECT_FALSE(b.try_take(t0 + 50ms));  // half a token
  EXPECT_TRUE(b.try_take(t0 + 100ms));
  EXPECT_NEAR(b.available(t0 + 10s), 2.0, 1e-9);  // capped at the burst
}

TEST(TokenBucket, ZeroRateIsUnlimited) {
  token_bucket b(0.0, 0);
  EXPECT_FALSE(b.limited());
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(b.try_take());
  EXPECT_EQ(b.wait_time(), token_bucket::clock::duration::zero());
}

TEST(TokenBucket, WaitTimeUntilTheNextToken) {
  const auto t0 = token_bucket::clock::time_point{} + 1h;
  token_bucket b(4.0, 1, t0);  // one token every 250 ms
  EXPECT_TRUE(b.limited());
  EXPECT_EQ(b.wait_time(t0), token_bucket::clock::duration::zero());
  ASSERT_TRUE(b.try_take(t0));
  // Refills are computed in double seconds: allow a microsecond of rounding.
  auto us = [](token_bucket::clock::duration d) {
    return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  };
  EXPECT_NEAR(us(b.wait_time(t0)), 250000, 1);
  EXPECT_NEAR(us(b.wait_time(t0 + 200ms)), 50000, 1);
}

RC_GTEST_PROP(TokenBucket, NeverGrantsMoreThanBurstPlusRate, ()) {
  const auto rate = *rc::gen::inRange(1, 1000);
  const auto burst = *rc::gen::inRange(1, 100);
  const auto steps = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 50));
  auto t = token_bucket::clock::time_point{} + 1h;
  const auto start = t;
  token_bucket b(rate, static_cast<std::uint32_t>(burst), t);
  int granted = 0;
  for (int ms : steps) {
    t += std::chrono::milliseconds(ms);
    for (int k = 0; k < 5; ++k) granted += b.try_take(t) ? 1 : 0;
  }
  const double elapsed = std::chrono::duration<double>(t - start).count();
  RC_ASSERT(granted <= burst + static_cast<int>(elapsed * rate) + 1);
}

}  // namespace
}  // namespace otaflow
