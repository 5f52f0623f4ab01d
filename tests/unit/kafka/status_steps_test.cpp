// The step of a multi-step job's status event (RAM campaigns, docs/EVENTS.md): `step` and
// `steps` written last only for jobs of several steps, the same text as the reference
// serialiser, read back, and refused when out of range.

#include <gtest/gtest.h>

#include "kafka/events.hpp"

namespace otaflow::kafka {
namespace {

TEST(status_steps, StepAndStepsAreWrittenForMultiStepJobsAndReadBack) {
  status_event ev{"ram-1",
                  "8946990000000000008",
                  model::job_state::packaging,
                  1,
                  std::nullopt,
                  "",
                  "default",
                  1732560000131,
                  "",
                  3,
                  9};
  const auto text = serialise(ev);
  EXPECT_EQ(text,
            "{\"campaign\":\"ram-1\",\"iccid\":\"8946990000000000008\",\"state\":\"packaging\","
            "\"attempt\":1,\"por_status\":null,\"reason\":\"\",\"ts\":1732560000131,"
            "\"variant\":\"default\",\"step\":3,\"steps\":9}");
  EXPECT_EQ(text, serialise_reference(ev));
  auto back = parse_status_event(text);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, ev);

  ev.step = 0;
  ev.steps = 0;
  EXPECT_EQ(serialise(ev).find("step"), std::string::npos);

  auto bad = parse_status_event(
      "{\"campaign\":\"c\",\"iccid\":\"1\",\"state\":\"done\",\"attempt\":1,\"por_status\":null,"
      "\"reason\":\"\",\"ts\":1,\"step\":9,\"steps\":9}");
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace otaflow::kafka
