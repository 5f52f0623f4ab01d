// commit_tracker: only the contiguous done prefix of each partition is committable.

#include "actors/service_offsets.hpp"

#include <algorithm>
#include <random>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace otaflow::actors {
namespace {

TEST(commit_tracker, CommitsOnlyTheContiguousDonePrefix) {
  commit_tracker t;
  for (std::int64_t o = 10; o < 15; ++o) t.received("t", 0, o);
  EXPECT_EQ(t.outstanding(), 5u);
  t.done("t", 0, 12);  // later record first: nothing to commit yet
  EXPECT_TRUE(t.take_commits().empty());
  t.done("t", 0, 10);
  EXPECT_EQ(t.take_commits(), (std::vector<offset_position>{{"t", 0, 11}}));
  EXPECT_TRUE(t.take_commits().empty());  // reported once
  t.done("t", 0, 11);                     // closes the gap: 10, 11, 12 done
  EXPECT_EQ(t.take_commits(), (std::vector<offset_position>{{"t", 0, 13}}));
  EXPECT_EQ(t.outstanding(), 2u);
  t.done("t", 0, 14);
  t.done("t", 0, 13);
  EXPECT_EQ(t.take_commits(), (std::vector<offset_position>{{"t", 0, 15}}));
  EXPECT_EQ(t.outstanding(), 0u);
  EXPECT_EQ(t.positions(), (std::vector<offset_position>{{"t", 0, 15}}));
}

TEST(commit_tracker, PartitionsAreIndependent) {
  commit_tracker t;
  t.received("t", 0, 5);
  t.received("t", 1, 7);
  t.received("t", 1, 8);
  t.done("t", 1, 7);
  t.done("t", 1, 8);
  EXPECT_EQ(t.take_commits(), (std::vector<offset_position>{{"t", 1, 9}}));
  t.done("t", 0, 5);
  EXPECT_EQ(t.take_commits(), (std::vector<offset_position>{{"t", 0, 6}}));
}

TEST(commit_tracker, GapsInOffsetsDoNotBlock) {
  // Compaction or transaction markers leave offsets that are never delivered.
  commit_tracker t;
  t.received("t", 0, 3);
  t.received("t", 0, 9);
  t.done("t", 0, 9);
  t.done("t", 0, 3);
  EXPECT_EQ(t.take_commits(), (std::vector<offset_position>{{"t", 0, 10}}));
}

TEST(commit_tracker, ForgetDropsAPartitionAndUnknownOffsetsAreIgnored) {
  commit_tracker t;
  t.received("t", 0, 1);
  t.received("t", 0, 2);
  t.done("t", 0, 2);
  t.forget("t", 0);
  EXPECT_EQ(t.outstanding(), 0u);
  EXPECT_TRUE(t.take_commits().empty());
  t.done("t", 0, 1);  // after forget: ignored
  t.done("t", 3, 1);  // never received: ignored
  EXPECT_TRUE(t.take_commits().empty());
  EXPECT_TRUE(t.positions().empty());
}

TEST(commit_tracker, RedeliveryBelowThePositionIsIgnored) {
  commit_tracker t;
  t.received("t", 0, 4);
  t.done("t", 0, 4);
  ASSERT_EQ(t.take_commits().size(), 1u);
  t.received("t", 0, 4);  // the same record again (a retried fetch)
  EXPECT_EQ(t.outstanding(), 0u);
}

RC_GTEST_PROP(commit_tracker, PositionNeverPassesARecordNotDone, ()) {
  const auto n = *rc::gen::inRange<std::size_t>(1, 200);
  std::vector<std::int64_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<std::int64_t>(i);
  const auto seed = *rc::gen::arbitrary<std::uint32_t>();
  std::shuffle(order.begin(), order.end(), std::mt19937(seed));
  commit_tracker t;
  for (std::size_t i = 0; i < n; ++i) t.received("t", 0, static_cast<std::int64_t>(i));
  std::vector<bool> done(n, false);
  std::int64_t last = -1;
  for (const auto o : order) {
    t.done("t", 0, o);
    done[static_cast<std::size_t>(o)] = true;
    for (const auto& p : t.take_commits()) {
      RC_ASSERT(p.offset > last);  // positions only advance
      last = p.offset;
    }
    // Every record below the position is done, and the one at it is not.
    std::int64_t expect = 0;
    while (static_cast<std::size_t>(expect) < n && done[static_cast<std::size_t>(expect)]) ++expect;
    RC_ASSERT(std::max<std::int64_t>(last, 0) == expect || (last == -1 && expect == 0));
  }
  RC_ASSERT(last == static_cast<std::int64_t>(n));
  RC_ASSERT(t.outstanding() == 0u);
}

}  // namespace
}  // namespace otaflow::actors
