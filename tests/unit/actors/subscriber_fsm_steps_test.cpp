// Multi-step jobs (RAM campaigns) in the job state machine: one packet per step, the next step
// only on a verified PoR OK of the current one, per-step attempts, GET STATUS pages, and the
// lost-PoR decisions on 6A86 (LOAD) and 6A88 (DELETE).
#include <gtest/gtest.h>

#include <array>

#include "actors/subscriber_fsm.hpp"

namespace otaflow::actors {
namespace {

template <class A>
const A* find(const std::vector<job_action>& acts) {
  for (const auto& a : acts)
    if (auto* p = std::get_if<A>(&a)) return p;
  return nullptr;
}

using k = step_kind;

struct steps_test : ::testing::Test {
  // DELETE, INSTALL [for load], LOAD, LOAD, LOAD, INSTALL, GET STATUS.
  std::array<step_kind, 7> kinds{k::remove, k::install_for_load, k::load, k::load,
                                 k::load,   k::script,           k::list};
  job_record job;
  job_policy policy;
  std::int64_t now = 1000;
  std::uint64_t next_counter = 1;

  void SetUp() override { policy.steps = kinds; }
  std::vector<job_action> apply(const job_event& e) { return transition(job, e, policy, ++now); }

  // From packaging: packaged, accepted; returns the counter of the packet.
  std::uint64_t send() {
    EXPECT_EQ(job.state, job_state::packaging);
    const auto c = next_counter++;
    apply(ev_packaged{c});
    apply(ev_submit_ok{"m" + std::to_string(c)});
    EXPECT_EQ(job.state, job_state::accepted);
    return c;
  }
  // Sends the current step and answers it with a PoR OK and `sw`.
  std::vector<job_action> answer(std::uint16_t sw = 0x9000, std::uint8_t executed = 1) {
    const auto c = send();
    return apply(ev_por{c, 0x00, true, sw, executed, executed});
  }
  // A PoR timeout of the current packet, then the retry.
  void lose_por() {
    send();
    apply(ev_por_timeout{job.timer_epoch});
    ASSERT_EQ(job.state, job_state::retry_wait);
    apply(ev_retry_due{job.timer_epoch});
  }
};

TEST_F(steps_test, EveryStepInTurnThenDone) {
  auto a = apply(ev_start{});
  ASSERT_NE(find<act_package>(a), nullptr);
  EXPECT_EQ(find<act_package>(a)->step, 0);
  for (std::uint16_t s = 0; s < kinds.size(); ++s) {
    EXPECT_EQ(job.step, s);
    EXPECT_EQ(job.attempt, 1);
    a = answer();
    if (s + 1u < kinds.size()) {
      EXPECT_EQ(job.state, job_state::packaging) << s;
      ASSERT_NE(find<act_package>(a), nullptr);
      EXPECT_EQ(find<act_package>(a)->step, s + 1);
      EXPECT_EQ(job.step_at, job.counters.size());
    }
  }
  EXPECT_EQ(job.state, job_state::done);
  EXPECT_EQ(job.counters.size(), kinds.size());
  EXPECT_EQ(job.step, kinds.size() - 1);
}

TEST_F(steps_test, AttemptsArePerStepAndLatePorsOfEarlierStepsAreIgnored) {
  policy.max_attempts = 2;
  apply(ev_start{});
  const auto first = send();
  apply(ev_por_timeout{job.timer_epoch});
  apply(ev_retry_due{job.timer_epoch});
  EXPECT_EQ(job.attempt, 2);
  const auto second = send();
  apply(ev_por{second, 0x00, true, 0x9000, 1, 1});
  EXPECT_EQ(job.step, 1);
  EXPECT_EQ(job.attempt, 1);  // counts again for the new step
  const auto third = send();
  // The first attempt's PoR of step 0 arrives late: it says nothing about step 1.
  apply(ev_por{first, 0x00, true, 0x9000, 1, 1});
  EXPECT_EQ(job.step, 1);
  EXPECT_EQ(job.state, job_state::accepted);
  // Two lost PoRs of step 1 exhaust its own budget of 2.
  apply(ev_por_timeout{job.timer_epoch});
  apply(ev_retry_due{job.timer_epoch});
  send();
  apply(ev_por_timeout{job.timer_epoch});
  EXPECT_EQ(job.state, job_state::failed);
  EXPECT_NE(job.reason.find("attempts exhausted (2)"), std::string::npos) << job.reason;
  (void)third;
}

TEST_F(steps_test, FailureNamesTheStep) {
  apply(ev_start{});
  answer();        // DELETE
  answer(0x6A84);  // INSTALL [for load]: not enough memory
  EXPECT_EQ(job.state, job_state::failed);
  EXPECT_EQ(job.reason, "step 2 of 7: script stopped after 1 of 1 commands: SW 6A84");
}

TEST_F(steps_test, ListStepPagesOn6310) {
  apply(ev_start{});
  for (int s = 0; s < 6; ++s) answer();
  ASSERT_EQ(job.step, 6);
  auto a = answer(0x6310);
  EXPECT_EQ(job.step, 6);
  EXPECT_EQ(job.page, 1);
  ASSERT_NE(find<act_package>(a), nullptr);
  EXPECT_EQ(find<act_package>(a)->page, 1);
  a = answer(0x6310, 2);
  EXPECT_EQ(job.page, 2);
  answer(0x9000, 3);
  EXPECT_EQ(job.state, job_state::done);
}

// Each page's response data (the E3 entries) goes into the job's listing, keyed by (step,
// page); other steps' data does not.
TEST_F(steps_test, ListStepKeepsEachPagesData) {
  apply(ev_start{});
  for (int s = 0; s < 6; ++s) answer();  // data-less steps, and none of them a list step
  ASSERT_EQ(job.step, 6);
  EXPECT_TRUE(job.listing.empty());
  auto c = send();
  apply(ev_por{c, 0x00, true, 0x6310, 1, 1, {}, bytes{0xE3, 0x01, 0xAA}});
  ASSERT_EQ(job.page, 1);
  c = send();
  apply(ev_por{c, 0x00, true, 0x9000, 2, 2, {}, bytes{0xE3, 0x01, 0xBB}});
  EXPECT_EQ(job.state, job_state::done);
  ASSERT_EQ(job.listing.size(), 2u);
  EXPECT_EQ(job.listing[0], (model::listing_page{6, 0, bytes{0xE3, 0x01, 0xAA}}));
  EXPECT_EQ(job.listing[1], (model::listing_page{6, 1, bytes{0xE3, 0x01, 0xBB}}));
  EXPECT_EQ(model::listing_of_step(job, 6), (bytes{0xE3, 0x01, 0xAA, 0xE3, 0x01, 0xBB}));
}

// A list step whose page fails keeps no data of it; a script step's response data is no listing.
TEST_F(steps_test, ListingOnlyFromListPagesAnswered9000Or6310) {
  apply(ev_start{});
  auto c = send();  // step 0: DELETE, with response data it should not keep
  apply(ev_por{c, 0x00, true, 0x9000, 1, 1, {}, bytes{0xE3, 0x00}});
  EXPECT_TRUE(job.listing.empty());
  for (int s = 1; s < 6; ++s) answer();
  c = send();
  apply(ev_por{c, 0x00, true, 0x6A88, 1, 1, {}, bytes{0xE3, 0x00}});
  EXPECT_EQ(job.state, job_state::failed);
  EXPECT_TRUE(job.listing.empty());
}

TEST_F(steps_test, LoadResentAfterLostPorAnswered6A86CountsDone) {
  apply(ev_start{});
  answer();  // DELETE
  answer();  // INSTALL [for load]
  ASSERT_EQ(job.step, 2);
  lose_por();  // the card executed step 2, its PoR was lost
  answer(0x6A86, 1);
  EXPECT_EQ(job.step, 3);
  EXPECT_EQ(job.state, job_state::packaging);
  EXPECT_EQ(job.step_flags, model::step_flag::assumed_done);
  answer();  // step 3's first LOAD is accepted: the guess was right
  EXPECT_EQ(job.step, 4);
  EXPECT_EQ(job.step_flags, 0);
  answer();
  answer();
  answer();
  EXPECT_EQ(job.state, job_state::done);
}

TEST_F(steps_test, CardBehindRestartsFromInstallForLoadOnce) {
  apply(ev_start{});
  answer();
  answer();
  lose_por();
  answer(0x6A86, 1);  // step 2 counted done
  ASSERT_EQ(job.step, 3);
  answer(0x6A86, 1);  // step 3, first attempt: the card is behind
  EXPECT_EQ(job.step, 1);
  EXPECT_EQ(job.state, job_state::packaging);
  EXPECT_EQ(job.step_flags, model::step_flag::load_restarted);
  for (int s = 1; s < 7; ++s) answer();
  EXPECT_EQ(job.state, job_state::done);
}

TEST_F(steps_test, CardBehindTwiceFails) {
  apply(ev_start{});
  answer();
  answer();
  lose_por();
  answer(0x6A86, 1);
  answer(0x6A86, 1);  // restart from step 1
  answer();           // INSTALL [for load] again
  lose_por();
  answer(0x6A86, 1);  // step 2 counted done again
  answer(0x6A86, 1);  // and the card is behind again
  EXPECT_EQ(job.state, job_state::failed);
  EXPECT_EQ(job.reason,
            "step 4 of 7: LOAD refused with 6A86 again after the load was restarted from "
            "INSTALL [for load]");
}

TEST_F(steps_test, FirstSend6A86WithoutAssumptionFails) {
  apply(ev_start{});
  answer();
  answer();
  answer(0x6A86, 1);
  EXPECT_EQ(job.state, job_state::failed);
  EXPECT_NE(job.reason.find("step 3 of 7: LOAD refused with 6A86"), std::string::npos)
      << job.reason;
  // 6A86 on a later LOAD of the packet (executed 2) is an ordinary script failure.
  job = {};
  apply(ev_start{});
  answer();
  answer();
  answer(0x6A86, 2);
  EXPECT_EQ(job.state, job_state::failed);
  EXPECT_NE(job.reason.find("script stopped after 2 of 2"), std::string::npos) << job.reason;
}

TEST_F(steps_test, DeleteResentAnswered6A88CountsDone) {
  apply(ev_start{});
  lose_por();
  answer(0x6A88, 1);
  EXPECT_EQ(job.step, 1);
  EXPECT_EQ(job.state, job_state::packaging);
  // On its first send, 6A88 means the object was not there: the job fails.
  job = {};
  apply(ev_start{});
  answer(0x6A88, 1);
  EXPECT_EQ(job.state, job_state::failed);
}

TEST_F(steps_test, ResumeInSubmittingRepackagesTheStoredStep) {
  apply(ev_start{});
  answer();
  answer();
  apply(ev_packaged{next_counter++});
  ASSERT_EQ(job.state, job_state::submitting);
  job_record stored = job;  // a crash here: the record is read back
  auto a = transition(stored, ev_start{}, policy, ++now);
  EXPECT_EQ(stored.state, job_state::packaging);
  ASSERT_NE(find<act_package>(a), nullptr);
  EXPECT_EQ(find<act_package>(a)->step, 2);
}

// A restart while the process before had sent steps the stored record does not know (the
// journal lags): the card is ahead, a first-send 6A86 counts done; the next step confirms it.
TEST_F(steps_test, ResumedJobCountsFirstSend6A86AsSentBefore) {
  apply(ev_start{});
  answer();
  answer();
  send();  // step 2 in accepted when the process dies; its PoR is lost with it
  job_record stored = job;
  job = stored;
  apply(ev_start{});  // resumed: the PoR timer again
  const auto c = job.counters.back();
  apply(ev_por{c, 0x00, true, 0x9000, 1, 1});  // the queued PoR of step 2 comes after all
  ASSERT_EQ(job.step, 3);
  answer(0x6A86, 1);  // the dead process had sent step 3 too: the card is ahead
  EXPECT_EQ(job.step, 4);
  EXPECT_EQ(job.state, job_state::packaging);
  answer();  // step 4 goes through: the guess was right
  answer();
  answer();
  EXPECT_EQ(job.state, job_state::done);
  // Without the resume, the same 6A86 fails the job (FirstSend6A86WithoutAssumptionFails).
}

// A resumed job whose card is behind: the assumption fails on the next step's first attempt
// and the load starts again from INSTALL [for load].
TEST_F(steps_test, ResumedJobBehindStillRestartsOnce) {
  apply(ev_start{});
  answer();
  answer();
  send();
  apply(ev_start{});  // resumed
  apply(ev_por_timeout{job.timer_epoch});
  apply(ev_retry_due{job.timer_epoch});
  answer(0x6A86, 1);  // step 2 assumed done
  answer(0x6A86, 1);  // step 3, first attempt here: behind
  EXPECT_EQ(job.step, 1);
  EXPECT_NE(job.step_flags & model::step_flag::load_restarted, 0);
}

TEST_F(steps_test, SingleStepJobsKeepStepFieldsZero) {
  policy.steps = {};
  apply(ev_start{});
  answer();
  EXPECT_EQ(job.state, job_state::done);
  EXPECT_EQ(job.step, 0);
  EXPECT_EQ(job.step_at, 0u);
  EXPECT_EQ(job.page, 0);
  EXPECT_EQ(job.step_flags, 0);
  // A resumed single-step job keeps them zero too (its record stays version 4).
  job = {};
  apply(ev_start{});
  apply(ev_packaged{next_counter++});
  apply(ev_start{});
  EXPECT_EQ(job.step_flags, 0);
}

}  // namespace
}  // namespace otaflow::actors
