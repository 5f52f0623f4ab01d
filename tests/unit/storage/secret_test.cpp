// storage::secret lives in a slot of the locked arena: moves take the slot (no copy of the
// bytes), copies get their own, every slot goes back (wiped) when its secret dies, and the
// arena's pages are locked in memory when RLIMIT_MEMLOCK allows it.

#include "storage/secret.hpp"

#include <sys/resource.h>

#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace otaflow::storage {
namespace {

bytes key(std::uint8_t seed, std::size_t n = 16) {
  bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + i);
  return b;
}

TEST(secret, HoldsItsBytesAndComparesThem) {
  auto a = secret::from(key(1));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(bytes(a->view().begin(), a->view().end()), key(1));
  auto b = secret::from(key(1));
  auto c = secret::from(key(2));
  EXPECT_TRUE(*a == *b);
  EXPECT_FALSE(*a == *c);
  auto too_long = secret::from(key(0, 33));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().message, "secret: at most 32 octets, got 33");
}

TEST(secret, MovesTakeTheSlotCopiesGetTheirOwnAndSlotsComeBack) {
  const auto before = secret_arena_state().slots_in_use;
  {
    auto a = std::move(secret::from(key(7))).value();
    const std::uint8_t* where = a.view().data();
    EXPECT_EQ(secret_arena_state().slots_in_use, before + 1);
    secret moved(std::move(a));
    EXPECT_EQ(moved.view().data(), where);  // the same slot: no copy of the key left behind
    EXPECT_TRUE(a.empty());
    EXPECT_EQ(secret_arena_state().slots_in_use, before + 1);
    secret copy(moved);
    EXPECT_NE(copy.view().data(), where);
    EXPECT_TRUE(copy == moved);
    EXPECT_EQ(secret_arena_state().slots_in_use, before + 2);
    secret assigned;
    assigned = copy;
    EXPECT_TRUE(assigned == moved);
    std::vector<secret> many;
    for (std::uint8_t i = 0; i < 200; ++i) many.push_back(std::move(secret::from(key(i))).value());
    EXPECT_EQ(secret_arena_state().slots_in_use, before + 203);
    assigned = std::move(many.back());
    EXPECT_EQ(secret_arena_state().slots_in_use, before + 202);
    moved.clear();
    EXPECT_TRUE(moved.empty());
  }
  EXPECT_EQ(secret_arena_state().slots_in_use, before);
}

TEST(secret, TheArenaIsLockedWhenTheLimitAllowsIt) {
  auto s = secret::from(key(3));
  ASSERT_TRUE(s.ok());
  const auto st = secret_arena_state();
  ASSERT_GE(st.bytes_mapped, 64u * 1024);
  rlimit lim{};
  ASSERT_EQ(::getrlimit(RLIMIT_MEMLOCK, &lim), 0);
  if (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur >= 1u << 20) {
    EXPECT_EQ(st.bytes_locked, st.bytes_mapped);
  } else {
    EXPECT_LE(st.bytes_locked, st.bytes_mapped);  // the graceful fallback: unlocked, warned
  }
}

}  // namespace
}  // namespace otaflow::storage
