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

bool valid_origin_field(std::string_view s) noexcept {
  if (s.size() > control_origin_field_max) return false;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '\'') return false;
  }
  return true;
}

std::string describe(const control_origin& o) {
  std::string out = o.by.empty() ? std::string("unknown") : o.by;
  if (o.by == "http") {
    if (!o.who.empty()) out += " token '" + o.who + "'";
  } else if (!o.who.empty()) {
    out += " (user " + o.who + ")";
  }
  if (!o.from.empty()) out += " from " + o.from;
  return out;
}

}  // namespace otaflow::model
