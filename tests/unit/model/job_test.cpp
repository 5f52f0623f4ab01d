// The engine's job data: state names and numeric values (stored), terminal states.

#include "model/job.hpp"

#include <gtest/gtest.h>

namespace otaflow::model {
namespace {

TEST(JobState, NamesAndStoredValues) {
  // The state octet of a stored job record (docs/storage.md): never renumber.
  const std::pair<job_state, std::pair<int, const char*>> rows[] = {
      {job_state::queued, {0, "queued"}},
      {job_state::packaging, {1, "packaging"}},
      {job_state::submitting, {2, "submitting"}},
      {job_state::accepted, {3, "accepted"}},
      {job_state::delivered, {4, "delivered"}},
      {job_state::retry_wait, {5, "retry_wait"}},
      {job_state::done, {6, "done"}},
      {job_state::failed, {7, "failed"}},
      {job_state::skipped, {8, "skipped"}},
  };
  static_assert(std::size(rows) == job_state_count);
  for (const auto& [s, want] : rows) {
    EXPECT_EQ(static_cast<int>(s), want.first) << want.second;
    EXPECT_EQ(to_string(s), want.second);
    EXPECT_EQ(job_state_from_string(want.second), s);
  }
  EXPECT_EQ(to_string(static_cast<job_state>(job_state_count)), "unknown");
  EXPECT_FALSE(job_state_from_string("counter_reserved").has_value());  // storage's old name
  EXPECT_FALSE(job_state_from_string("").has_value());
}

TEST(JobState, TerminalStates) {
  for (std::size_t i = 0; i < job_state_count; ++i) {
    const auto s = static_cast<job_state>(i);
    EXPECT_EQ(is_terminal(s),
              s == job_state::done || s == job_state::failed || s == job_state::skipped)
        << to_string(s);
  }
}

}  // namespace
}  // namespace otaflow::model
