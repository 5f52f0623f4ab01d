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

// Pages are kept in (step, page) order; a page stored again replaces its data and drops the
// step's later pages; other steps' pages stay.
TEST(JobListing, PutReplacesPageAndDropsLaterPagesOfTheStep) {
  job_record j;
  EXPECT_TRUE(put_listing_page(j, 7, 0, bytes{0x01}));
  EXPECT_TRUE(put_listing_page(j, 7, 1, bytes{0x02, 0x02}));
  EXPECT_TRUE(put_listing_page(j, 6, 0, bytes{0x06}));
  ASSERT_EQ(j.listing.size(), 3u);
  EXPECT_EQ(j.listing[0], (listing_page{6, 0, bytes{0x06}}));
  EXPECT_EQ(j.listing[1], (listing_page{7, 0, bytes{0x01}}));
  EXPECT_EQ(listing_of_step(j, 7), (bytes{0x01, 0x02, 0x02}));
  EXPECT_EQ(listing_size(j), 4u);
  // Page 1 answered again: replaced, not duplicated.
  EXPECT_TRUE(put_listing_page(j, 7, 1, bytes{0x03}));
  EXPECT_EQ(listing_of_step(j, 7), (bytes{0x01, 0x03}));
  // The step run again from page 0: its page 1 (of the earlier run) goes.
  EXPECT_TRUE(put_listing_page(j, 7, 0, bytes{0x04}));
  EXPECT_EQ(listing_of_step(j, 7), (bytes{0x04}));
  EXPECT_EQ(listing_of_step(j, 6), (bytes{0x06}));
  EXPECT_EQ(j.step_flags, 0);
}

TEST(JobListing, BoundedByListingMax) {
  job_record j;
  EXPECT_TRUE(put_listing_page(j, 1, 0, bytes(listing_max - 10, 0xE3)));
  EXPECT_TRUE(put_listing_page(j, 1, 1, bytes(10, 0x01)));  // exactly listing_max
  EXPECT_EQ(listing_size(j), listing_max);
  EXPECT_FALSE(put_listing_page(j, 1, 2, bytes{0x02}));
  EXPECT_EQ(listing_size(j), listing_max);
  EXPECT_EQ(j.listing.size(), 2u);
  EXPECT_NE(j.step_flags & step_flag::listing_truncated, 0);
  // Replacing a page with a smaller one fits again.
  EXPECT_TRUE(put_listing_page(j, 1, 1, bytes{0x05}));
  EXPECT_EQ(listing_size(j), listing_max - 9);
}

}  // namespace
}  // namespace otaflow::model
