#include "model/job.hpp"

#include <array>

namespace otaflow::model {
namespace {

// Indexed by the numeric value of job_state.
constexpr std::array<std::string_view, job_state_count> state_names = {
    "queued",     "packaging", "submitting", "accepted", "delivered",
    "retry_wait", "done",      "failed",     "skipped",
};

}  // namespace

std::string_view to_string(job_state s) noexcept {
  const auto i = static_cast<std::size_t>(s);
  return i < state_names.size() ? state_names[i] : "unknown";
}

std::optional<job_state> job_state_from_string(std::string_view s) noexcept {
  for (std::size_t i = 0; i < state_names.size(); ++i) {
    if (state_names[i] == s) return static_cast<job_state>(i);
  }
  return std::nullopt;
}

}  // namespace otaflow::model
