// Status events of campaigns with update variants: the `variant` field and the `skipped`
// terminal state (docs/EVENTS.md) survive serialisation.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kafka/events.hpp"

namespace otaflow::kafka {
namespace {

TEST(StatusVariants, SkippedWithAndWithoutVariant) {
  status_event ev{"mixed",
                  "8946990000000000024",
                  model::job_state::skipped,
                  0,
                  {},
                  "variant 'uicc-aes' needs keyset 2, which the card does not hold",
                  "uicc-aes",
                  17};
  const auto text = serialise(ev);
  const auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["state"], "skipped");
  EXPECT_EQ(j["variant"], "uicc-aes");
  EXPECT_TRUE(j["por_status"].is_null());
  auto back = parse_status_event(text);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, ev);

  ev.variant.clear();  // no variant applies: the field is absent
  ev.reason = "no rule matches the card";
  const auto j2 = nlohmann::json::parse(serialise(ev));
  EXPECT_FALSE(j2.contains("variant"));
  auto back2 = parse_status_event(serialise(ev));
  ASSERT_TRUE(back2.ok());
  EXPECT_EQ(*back2, ev);
}

}  // namespace
}  // namespace otaflow::kafka
