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

void note_state_change(job_record& job, std::int64_t now_ms) {
  job.updated_ms = now_ms;
  auto& h = job.history;
  // The same state again in the same attempt with the same PoR says nothing new (a restart
  // re-entering it): the first time stays.
  if (!h.empty() && h.back().state == job.state && h.back().attempt == job.attempt &&
      h.back().por_status == job.por_status) {
    return;
  }
  if (h.empty()) h.reserve(8);  // a job that goes well has 6 entries: one allocation
  if (h.size() >= job_history_max) h.erase(h.begin() + 1);
  h.push_back({job.state, now_ms, job.attempt, job.por_status});
}

}  // namespace otaflow::model
