// Status events: the field order the engine's journal relies on.

#include "model/status_event.hpp"

#include <gtest/gtest.h>

namespace otaflow::model {
namespace {

TEST(StatusEvent, BraceInitInFieldOrder) {
  // The engine's journal builds events this way.
  const status_event ev{"c1", "8988211000000000001", job_state::done, 2, 0x00, "", "A", 17};
  EXPECT_EQ(ev.state, job_state::done);
  EXPECT_EQ(ev.attempt, 2);
  EXPECT_EQ(ev.por_status, std::optional<std::uint8_t>(0));
  EXPECT_EQ(ev.variant, "A");
  EXPECT_EQ(ev.ts_ms, 17);
}

}  // namespace
}  // namespace otaflow::model
