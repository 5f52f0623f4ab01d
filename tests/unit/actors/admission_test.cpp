// The admission decision (actors/admission.hpp) as a table: every combination that matters
// of stored job, skip, in-flight, campaign mode and time gate, and the record each writes.
// No CAF: both the campaign actor and the service actor call this one function.

#include "actors/admission.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace otaflow::actors {
namespace {

constexpr auto running = campaign_mode::running;
constexpr auto paused = campaign_mode::paused;
constexpr auto cancelled = campaign_mode::cancelled;
const time_gate open_gate{time_gate::open, 0};
const time_gate wait_gate{time_gate::wait, 5000};
const time_gate expired_gate{time_gate::expired, 0};

job_record with_state(job_state s) {
  job_record j;
  j.state = s;
  j.attempt = 1;
  return j;
}

struct row {
  const char* name;
  std::optional<job_state> job;  // stored job's state; nullopt: no job stored
  bool skip;
  bool active;
  campaign_mode mode;
  time_gate gate;
  admission expected;
};

const std::vector<row> rows = {
    // A job in flight here is left alone, whatever else holds.
    {"active", std::nullopt, false, true, running, open_gate, admission::already_active},
    {"active even if cancelled", std::nullopt, true, true, cancelled, expired_gate,
     admission::already_active},
    // A terminal job is never started or written again (idempotent triggers, resumed runs).
    {"done", job_state::done, false, false, running, open_gate, admission::already_terminal},
    {"failed, cancelled campaign", job_state::failed, false, false, cancelled, open_gate,
     admission::already_terminal},
    {"skipped, skip again", job_state::skipped, true, false, running, open_gate,
     admission::already_terminal},
    // No variant applies: skipped at once, in every mode and outside the window.
    {"skip", std::nullopt, true, false, running, open_gate, admission::skip},
    {"skip paused", std::nullopt, true, false, paused, wait_gate, admission::skip},
    {"skip cancelled", std::nullopt, true, false, cancelled, expired_gate, admission::skip},
    {"skip stored queued", job_state::queued, true, false, running, open_gate, admission::skip},
    // Cancel wins over the time gate and pause.
    {"cancel", std::nullopt, false, false, cancelled, open_gate, admission::cancel},
    {"cancel outside window", std::nullopt, false, false, cancelled, wait_gate, admission::cancel},
    {"cancel after not_after", job_state::retry_wait, false, false, cancelled, expired_gate,
     admission::cancel},
    // Past not_after every job not terminal fails, paused or not.
    {"expire", std::nullopt, false, false, running, expired_gate, admission::expire},
    {"expire paused", job_state::accepted, false, false, paused, expired_gate, admission::expire},
    // Paused: held durably, whatever the window.
    {"paused", std::nullopt, false, false, paused, open_gate, admission::hold_paused},
    {"paused outside window", job_state::queued, false, false, paused, wait_gate,
     admission::hold_paused},
    // Running outside the window: held until it opens.
    {"window", std::nullopt, false, false, running, wait_gate, admission::hold_window},
    {"window stored retry", job_state::retry_wait, false, false, running, wait_gate,
     admission::hold_window},
    // Otherwise the job starts, from its stored state if it has one.
    {"start new", std::nullopt, false, false, running, open_gate, admission::start},
    {"start resumed accepted", job_state::accepted, false, false, running, open_gate,
     admission::start},
    {"start resumed retry_wait", job_state::retry_wait, false, false, running, open_gate,
     admission::start},
};

TEST(admission, TableOfDecisions) {
  for (const auto& r : rows) {
    std::optional<job_record> job;
    if (r.job) job = with_state(*r.job);
    const auto got = decide_admission({job ? &*job : nullptr, r.skip, r.active, r.mode, r.gate});
    EXPECT_EQ(to_string(got), to_string(r.expected)) << r.name;
  }
}

TEST(admission, SkipWritesSkippedWithTheReasonAndTheVariant) {
  job_policy policy;
  auto rec = admission_record(admission::skip, nullptr, "", "no rule matched", policy, 1234);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->state, job_state::skipped);
  EXPECT_NE(rec->reason.find("no rule matched"), std::string::npos) << rec->reason;
  EXPECT_EQ(rec->attempt, 0);
  EXPECT_EQ(rec->updated_ms, 1234);
  ASSERT_EQ(rec->history.size(), 1u);
  EXPECT_EQ(rec->history[0].state, job_state::skipped);
  EXPECT_EQ(rec->history[0].at_ms, 1234);
}

TEST(admission, ExpireAndCancelFailAStoredJobKeepingItsHistory) {
  job_policy policy;
  job_record stored = with_state(job_state::retry_wait);
  stored.attempt = 2;
  stored.counters = {7, 9};
  for (const auto d : {admission::expire, admission::cancel}) {
    auto rec = admission_record(d, &stored, "v-aes", "", policy, 99);
    ASSERT_TRUE(rec) << to_string(d);
    EXPECT_EQ(rec->state, job_state::failed) << to_string(d);
    EXPECT_EQ(rec->attempt, 2) << to_string(d);
    EXPECT_EQ(rec->counters, (std::vector<std::uint64_t>{7, 9})) << to_string(d);
    EXPECT_EQ(rec->variant, "v-aes");
    EXPECT_EQ(rec->updated_ms, 99);
    ASSERT_FALSE(rec->history.empty());
    EXPECT_EQ(rec->history.back().state, job_state::failed);
    EXPECT_EQ(rec->history.back().attempt, 2);
  }
  EXPECT_EQ(admission_record(admission::expire, nullptr, "", "", policy, 1)->reason,
            "validity expired");
  EXPECT_NE(admission_record(admission::cancel, nullptr, "", "", policy, 1)->reason.find("cancel"),
            std::string::npos);
}

TEST(admission, HoldWritesAQueuedJobOnlyForANewCard) {
  job_policy policy;
  for (const auto d : {admission::hold_paused, admission::hold_window}) {
    auto fresh = admission_record(d, nullptr, "v1", "", policy, 42);
    ASSERT_TRUE(fresh) << to_string(d);
    EXPECT_EQ(fresh->state, job_state::queued);
    EXPECT_EQ(fresh->updated_ms, 42);
    // Its history starts with the trigger.
    EXPECT_EQ(fresh->history,
              (std::vector<model::job_history_entry>{{job_state::queued, 42, 0, std::nullopt}}));
    const job_record stored = with_state(job_state::retry_wait);
    EXPECT_FALSE(admission_record(d, &stored, "v1", "", policy, 42)) << to_string(d);
  }
}

TEST(admission, DecisionsThatWriteNothing) {
  job_policy policy;
  const job_record stored = with_state(job_state::queued);
  for (const auto d : {admission::already_terminal, admission::already_active, admission::start}) {
    EXPECT_FALSE(admission_record(d, nullptr, "", "", policy, 1)) << to_string(d);
    EXPECT_FALSE(admission_record(d, &stored, "", "", policy, 1)) << to_string(d);
  }
}

}  // namespace
}  // namespace otaflow::actors
