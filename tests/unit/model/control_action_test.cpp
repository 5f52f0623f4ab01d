// Control actions: the names of the trigger topic and of request files.

#include "model/control_action.hpp"

#include <gtest/gtest.h>

namespace otaflow::model {
namespace {

TEST(ControlAction, NamesRoundTrip) {
  for (auto a : {control_action::pause, control_action::resume, control_action::cancel,
                 control_action::retry}) {
    EXPECT_EQ(parse_control_action(to_string(a)), a);
  }
  EXPECT_EQ(to_string(control_action::cancel), "cancel");
  EXPECT_EQ(to_string(control_action::retry), "retry");
  EXPECT_FALSE(parse_control_action("stop").has_value());
}

}  // namespace
}  // namespace otaflow::model
