#include "model/job.hpp"

#include <algorithm>
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

bool has_listing(const job_record& job) noexcept {
  return !job.listing.empty() || (job.step_flags & step_flag::listing_truncated) != 0;
}

std::size_t listing_size(const job_record& job) noexcept {
  std::size_t n = 0;
  for (const auto& p : job.listing) n += p.data.size();
  return n;
}

bool put_listing_page(job_record& job, std::uint16_t step, std::uint16_t page, byte_view data) {
  auto& l = job.listing;
  // The step's pages from `page` on go: the page itself is answered again, the later ones
  // belong to an earlier run of the step.
  std::erase_if(l, [&](const listing_page& p) { return p.step == step && p.page >= page; });
  if (listing_size(job) + data.size() > listing_max) {
    job.step_flags |= step_flag::listing_truncated;
    return false;
  }
  const auto at = std::find_if(l.begin(), l.end(), [&](const listing_page& p) {
    return p.step > step || (p.step == step && p.page > page);
  });
  l.insert(at, listing_page{step, page, bytes(data.begin(), data.end())});
  return true;
}

bytes listing_of_step(const job_record& job, std::uint16_t step) {
  bytes out;
  for (const auto& p : job.listing) {
    if (p.step == step) out.insert(out.end(), p.data.begin(), p.data.end());
  }
  return out;
}

}  // namespace otaflow::model
