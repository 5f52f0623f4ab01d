#include "model/control_action.hpp"

namespace otaflow::model {

std::string_view to_string(control_action a) noexcept {
  switch (a) {
    case control_action::pause:
      return "pause";
    case control_action::resume:
      return "resume";
    case control_action::cancel:
      return "cancel";
    case control_action::retry:
      return "retry";
  }
  return "unknown";
}

std::optional<control_action> parse_control_action(std::string_view s) noexcept {
  for (auto a : {control_action::pause, control_action::resume, control_action::cancel,
                 control_action::retry}) {
    if (to_string(a) == s) return a;
  }
  return std::nullopt;
}

}  // namespace otaflow::model
