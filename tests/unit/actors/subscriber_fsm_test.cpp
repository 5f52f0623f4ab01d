#include "actors/subscriber_fsm.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace otaflow::actors {
namespace {

template <class A>
int count(const std::vector<job_action>& acts) {
  int n = 0;
  for (const auto& a : acts) n += std::holds_alternative<A>(a) ? 1 : 0;
  return n;
}

template <class A>
const A& find(const std::vector<job_action>& acts) {
  for (const auto& a : acts)
    if (auto* p = std::get_if<A>(&a)) return *p;
  throw std::runtime_error("action not found");
}

struct fsm_test : ::testing::Test {
  job_record job;
  job_policy policy;
  std::int64_t now = 1000;
  std::vector<job_action> apply(const job_event& e) { return transition(job, e, policy, ++now); }

  // Drives the job to `accepted` with the given counter; returns the PoR timer epoch.
  std::uint32_t to_accepted(std::uint64_t counter) {
    apply(ev_start{});
    apply(ev_packaged{counter});
    auto acts = apply(ev_submit_ok{"msg-" + std::to_string(counter)});
    return find<act_arm_por_timer>(acts).epoch;
  }
};

TEST_F(fsm_test, HappyPathEmitsEveryStateAndEndsDone) {
  auto a = apply(ev_start{});
  EXPECT_EQ(job.state, job_state::packaging);
  EXPECT_EQ(job.attempt, 1);
  EXPECT_EQ(count<act_package>(a), 1);
  EXPECT_EQ(count<act_persist>(a), 1);

  a = apply(ev_packaged{41});
  EXPECT_EQ(job.state, job_state::submitting);
  EXPECT_EQ(count<act_submit>(a), 1);
  EXPECT_EQ(job.counters, std::vector<std::uint64_t>{41});

  a = apply(ev_submit_ok{"abc"});
  EXPECT_EQ(job.state, job_state::accepted);
  EXPECT_EQ(job.message_id, "abc");
  EXPECT_EQ(find<act_arm_por_timer>(a).after, policy.por_timeout);

  a = apply(ev_receipt{2, ""});
  EXPECT_EQ(job.state, job_state::delivered);

  a = apply(ev_por{41, 0x00, true, 0x9000, 2, 2});
  EXPECT_EQ(job.state, job_state::done);
  EXPECT_EQ(job.por_status, 0x00);
  EXPECT_EQ(count<act_persist>(a), 1);
  EXPECT_TRUE(job.reason.empty());

  // Anything after the terminal state changes nothing.
  EXPECT_TRUE(apply(ev_receipt{5, "x"}).empty());
  EXPECT_TRUE(apply(ev_por{41, 0x01, true, {}, 0, 0}).empty());
  EXPECT_TRUE(apply(ev_cancel{"late"}).empty());
  EXPECT_EQ(job.state, job_state::done);

  // One history entry per state change: queued (created by its first start), then each state
  // with its time, attempt and the PoR status known then.
  using h = model::job_history_entry;
  const std::vector<h> want = {
      {job_state::queued, 1001, 0, std::nullopt},     {job_state::packaging, 1001, 1, std::nullopt},
      {job_state::submitting, 1002, 1, std::nullopt}, {job_state::accepted, 1003, 1, std::nullopt},
      {job_state::delivered, 1004, 1, std::nullopt},  {job_state::done, 1005, 1, 0x00}};
  EXPECT_EQ(job.history, want);
  EXPECT_EQ(job.updated_ms, 1005);
}

TEST_F(fsm_test, PorBeforeReceiptCompletes) {
  to_accepted(7);
  apply(ev_por{7, 0x00, true, 0x9000, 1, 1});
  EXPECT_EQ(job.state, job_state::done);
  EXPECT_TRUE(apply(ev_receipt{2, ""}).empty());
}

TEST_F(fsm_test, UndeliverableRetriesWithBackoffThenFails) {
  policy.max_attempts = 2;
  to_accepted(1);
  auto a = apply(ev_receipt{5, "001"});
  EXPECT_EQ(job.state, job_state::retry_wait);
  EXPECT_EQ(job.reason, "delivery receipt UNDELIVERABLE (err 001)");
  const auto& t = find<act_arm_retry_timer>(a);
  EXPECT_EQ(t.after, policy.retry_base);

  a = apply(ev_retry_due{t.epoch});
  EXPECT_EQ(job.state, job_state::packaging);
  EXPECT_EQ(job.attempt, 2);
  apply(ev_packaged{2});
  apply(ev_submit_ok{"m2"});
  apply(ev_receipt{3, ""});
  EXPECT_EQ(job.state, job_state::failed);
  EXPECT_EQ(job.reason, "attempts exhausted (2): delivery receipt EXPIRED");
  EXPECT_EQ(job.counters, (std::vector<std::uint64_t>{1, 2}));
  std::vector<std::pair<job_state, std::uint16_t>> seen;
  for (const auto& e : job.history) seen.emplace_back(e.state, e.attempt);
  const std::vector<std::pair<job_state, std::uint16_t>> want = {
      {job_state::queued, 0},     {job_state::packaging, 1},  {job_state::submitting, 1},
      {job_state::accepted, 1},   {job_state::retry_wait, 1}, {job_state::packaging, 2},
      {job_state::submitting, 2}, {job_state::accepted, 2},   {job_state::failed, 2}};
  EXPECT_EQ(seen, want);
  EXPECT_EQ(job.history.back().at_ms, now);
}

// A long job keeps its first entry and the last job_history_max - 1.
TEST_F(fsm_test, HistoryIsBoundedKeepingTheFirstEntry) {
  policy.max_attempts = 100;
  policy.max_resends = 1000;
  apply(ev_start{});
  for (std::uint64_t c = 1; c <= 40; ++c) {
    apply(ev_packaged{c});
    apply(ev_submit_lost{});  // submitting -> packaging, two entries each
  }
  ASSERT_EQ(job.history.size(), model::job_history_max);
  EXPECT_EQ(job.history.front().state, job_state::queued);
  EXPECT_EQ(job.history.front().at_ms, 1001);
  EXPECT_EQ(job.history.back().state, job_state::packaging);
  EXPECT_EQ(job.history.back().at_ms, now);
  EXPECT_EQ(job.history[1].at_ms, now - static_cast<std::int64_t>(model::job_history_max) + 2);
}

TEST_F(fsm_test, StaleTimersAreIgnored) {
  const auto epoch = to_accepted(3);
  EXPECT_TRUE(apply(ev_por_timeout{epoch - 1}).empty());
  EXPECT_EQ(job.state, job_state::accepted);
  apply(ev_receipt{2, ""});  // delivered keeps the PoR timer armed
  auto a = apply(ev_por_timeout{epoch});
  EXPECT_EQ(job.state, job_state::retry_wait);
  const auto retry_epoch = find<act_arm_retry_timer>(a).epoch;
  EXPECT_TRUE(apply(ev_retry_due{retry_epoch + 1}).empty());
  EXPECT_TRUE(apply(ev_por_timeout{epoch}).empty());
  EXPECT_EQ(job.state, job_state::retry_wait);
}

TEST_F(fsm_test, PermanentPorStatusFailsAtOnce) {
  // A PoR that carries the protection the SPI asks for: the card said so, no retry.
  to_accepted(9);
  apply(ev_por{9, 0x01, true, {}, 0, 0});
  EXPECT_EQ(job.state, job_state::failed);
  EXPECT_EQ(job.reason, "PoR 01 RC/CC/DS failed");
  EXPECT_EQ(job.attempt, 1);
}

// An unsecured error PoR proves nothing: a failed attempt, never a permanent failure on its
// own (anyone may send it from the card's MSISDN). Every status 01-0A a card may answer so.
TEST_F(fsm_test, UnsecuredErrorPorIsARetriableFailure) {
  // (02 "counter low" skips ahead instead: CounterLow* below.)
  for (std::uint8_t st : {0x01, 0x03, 0x04, 0x05, 0x06, 0x07, 0x09, 0x0A}) {
    job = {};
    policy.max_attempts = 3;
    to_accepted(9);
    auto a = apply(ev_por{9, st, false, {}, 0, 0});
    EXPECT_EQ(job.state, job_state::retry_wait) << int(st);
    EXPECT_EQ(count<act_arm_retry_timer>(a), 1) << int(st);
    EXPECT_EQ(job.por_status, st);
    EXPECT_EQ(job.reason.rfind("unsecured PoR ", 0), 0u) << job.reason;
  }
  EXPECT_EQ(job.reason, "unsecured PoR 0A insufficient security level");
}

// A wrong TAR fails after max_attempts immediate error PoRs, each of them matched to the
// attempt in flight although its counter is not the packet's (a ciphered command: the card
// could not read the counter and echoes zeros).
TEST_F(fsm_test, UnsecuredTarUnknownOfACipheredCommandEndsAfterMaxAttempts) {
  policy.max_attempts = 3;
  std::uint64_t counter = 100;
  to_accepted(counter);
  for (int attempt = 1; attempt <= 3; ++attempt) {
    apply(ev_por{0, 0x09, false, {}, 0, 0});
    if (attempt < 3) {
      ASSERT_EQ(job.state, job_state::retry_wait) << attempt;
      apply(ev_retry_due{job.timer_epoch});
      apply(ev_packaged{++counter});
      apply(ev_submit_ok{"m" + std::to_string(attempt)});
    }
  }
  EXPECT_EQ(job.state, job_state::failed);
  EXPECT_EQ(job.attempt, 3);
  EXPECT_EQ(job.reason, "attempts exhausted (3): unsecured PoR 09 TAR unknown");
}

// Not waiting for a PoR (backing off, packaging): an unsecured error PoR changes nothing, so
// a flood of them costs at most one attempt each.
TEST_F(fsm_test, UnsecuredErrorPorOutsideAnAttemptIsIgnored) {
  to_accepted(4);
  apply(ev_por{0, 0x09, false, {}, 0, 0});
  ASSERT_EQ(job.state, job_state::retry_wait);
  const auto attempt = job.attempt;
  EXPECT_TRUE(apply(ev_por{0, 0x09, false, {}, 0, 0}).empty());
  EXPECT_TRUE(apply(ev_por{4, 0x01, false, {}, 0, 0}).empty());
  EXPECT_EQ(job.state, job_state::retry_wait);
  EXPECT_EQ(job.attempt, attempt);
}

// A PoR OK, or a status a card never sends unsecured, without the protection the SPI asks
// for: rejected, the job goes on waiting (the opener counts it).
TEST_F(fsm_test, UnprovenPorOkOrOtherStatusChangesNothing) {
  to_accepted(5);
  for (std::uint8_t st : {0x00, 0x0B, 0x0C, 0x0D, 0xC0, 0xFF}) {
    EXPECT_TRUE(apply(ev_por{5, st, false, 0x9000, 1, 1}).empty()) << int(st);
    EXPECT_EQ(job.state, job_state::accepted);
    EXPECT_FALSE(job.por_status);
  }
}

// 08 (more time) unsecured re-arms the wait only for one of the job's packets.
TEST_F(fsm_test, UnsecuredMoreTimeRearmsOnlyForOurPacket) {
  to_accepted(5);
  EXPECT_TRUE(apply(ev_por{6, 0x08, false, {}, 0, 0}).empty());
  EXPECT_EQ(count<act_arm_por_timer>(apply(ev_por{5, 0x08, false, {}, 0, 0})), 1);
  EXPECT_EQ(job.state, job_state::accepted);
}

TEST_F(fsm_test, LatePorOfAnEarlierAttemptCounts) {
  to_accepted(10);
  apply(ev_receipt{5, ""});
  auto a = apply(ev_retry_due{job.timer_epoch});
  apply(ev_packaged{11});
  // The first packet did arrive after all: its PoR OK proves the update.
  apply(ev_por{10, 0x00, true, 0x9000, 1, 1});
  EXPECT_EQ(job.state, job_state::done);
}

TEST_F(fsm_test, PorOfAnotherPacketIsIgnored) {
  to_accepted(20);
  EXPECT_TRUE(apply(ev_por{19, 0x00, true, 0x9000, 1, 1}).empty());
  EXPECT_EQ(job.state, job_state::accepted);
}

TEST_F(fsm_test, MoreTimeRearmsTheTimer) {
  const auto e1 = to_accepted(5);
  auto a = apply(ev_por{5, 0x08, true, {}, 0, 0});
  EXPECT_EQ(job.state, job_state::accepted);
  const auto e2 = find<act_arm_por_timer>(a).epoch;
  EXPECT_GT(e2, e1);
  EXPECT_TRUE(apply(ev_por_timeout{e1}).empty());
}

TEST_F(fsm_test, ScriptErrorFailsWithTheStatusWord) {
  to_accepted(5);
  apply(ev_por{5, 0x00, true, 0x6A82, 2, 3});
  EXPECT_EQ(job.state, job_state::failed);
  EXPECT_EQ(job.reason, "script stopped after 2 of 3 commands: SW 6A82");
}

TEST_F(fsm_test, WrittenAfterInternalRetriesIsDoneButAMemoryProblemFails) {
  to_accepted(5);
  apply(ev_por{5, 0x00, true, 0x9203, 3, 3});  // 92 03: written after 3 internal retries
  EXPECT_EQ(job.state, job_state::done);
  job = {};
  to_accepted(6);
  apply(ev_por{6, 0x00, true, 0x9240, 3, 3});  // 92 40: memory problem
  EXPECT_EQ(job.state, job_state::failed);
  EXPECT_EQ(job.reason, "script stopped after 3 of 3 commands: SW 9240");
}

TEST_F(fsm_test, SubmitLostRepackagesWithoutAnAttempt) {
  apply(ev_start{});
  apply(ev_packaged{1});
  auto a = apply(ev_submit_lost{});
  EXPECT_EQ(job.state, job_state::packaging);
  EXPECT_EQ(count<act_package>(a), 1);
  EXPECT_EQ(job.attempt, 1);
  EXPECT_EQ(job.resends, 1);
  policy.max_resends = 1;
  apply(ev_packaged{2});
  apply(ev_submit_lost{});
  EXPECT_EQ(job.state, job_state::failed);
}

TEST_F(fsm_test, SubmitRejectedPermanentOrRetriable) {
  apply(ev_start{});
  apply(ev_packaged{1});
  apply(ev_submit_failed{0x0B, "ESME_RINVDSTADR", false});
  EXPECT_EQ(job.state, job_state::failed);
  EXPECT_EQ(job.reason, "submit_sm rejected: ESME_RINVDSTADR");

  job = {};
  apply(ev_start{});
  apply(ev_packaged{1});
  apply(ev_submit_failed{0x45, "ESME_RSUBMITFAIL", true});
  EXPECT_EQ(job.state, job_state::retry_wait);
}

TEST_F(fsm_test, ResumeFromEveryState) {
  // packaging/submitting: a new packet (the old counter is kept for late PoRs).
  apply(ev_start{});
  apply(ev_packaged{1});
  auto a = apply(ev_start{});
  EXPECT_EQ(job.state, job_state::packaging);
  EXPECT_EQ(count<act_package>(a), 1);
  EXPECT_EQ(job.attempt, 1);
  // accepted: wait for the PoR again.
  apply(ev_packaged{2});
  apply(ev_submit_ok{"m"});
  a = apply(ev_start{});
  EXPECT_EQ(job.state, job_state::accepted);
  EXPECT_EQ(count<act_arm_por_timer>(a), 1);
  EXPECT_EQ(count<act_persist>(a), 0);
}

TEST_F(fsm_test, RetryWaitStoresTheEndOfItsBackoff) {
  policy.retry_base = duration{5'000};
  to_accepted(1);
  apply(ev_receipt{5, ""});
  ASSERT_EQ(job.state, job_state::retry_wait);
  EXPECT_EQ(job.retry_at_ms, now + 5'000);
  apply(ev_retry_due{job.timer_epoch});
  EXPECT_EQ(job.state, job_state::packaging);
  EXPECT_EQ(job.retry_at_ms, 0);  // only a job waiting to retry has one
}

// A job resumed in retry_wait (restart, a job read back from storage) at `now` = 100'000.
TEST(SubscriberFsmResume, RetryWaitWaitsTheRestOfItsBackoff) {
  struct row {
    const char* name;
    std::int64_t retry_at_ms;  // as stored
    job_state state;           // after ev_start
    std::int64_t timer_ms;     // act_arm_retry_timer's delay; -1: none
    int persists;              // act_persist actions
    int packages;              // act_package actions
  };
  const row rows[] = {
      {"back-off still running: wait the rest", 103'000, job_state::retry_wait, 3'000, 0, 0},
      {"due 1 ms from now", 100'001, job_state::retry_wait, 1, 0, 0},
      {"due now: retry at once", 100'000, job_state::packaging, -1, 1, 1},
      {"overdue: retry at once", 40'000, job_state::packaging, -1, 1, 1},
      {"never set (version-1 record): retry at once", 0, job_state::packaging, -1, 1, 1},
      {"clock went back: at most retry_max", 100'000 + 900'000, job_state::retry_wait, 300'000, 0,
       0},
  };
  for (const auto& r : rows) {
    job_policy policy;  // retry_max 300 s
    job_record job;
    job.state = job_state::retry_wait;
    job.attempt = 1;
    job.counters = {7};
    job.timer_epoch = 4;
    job.retry_at_ms = r.retry_at_ms;
    const auto acts = transition(job, ev_start{}, policy, 100'000);
    EXPECT_EQ(job.state, r.state) << r.name;
    EXPECT_EQ(count<act_persist>(acts), r.persists) << r.name;
    EXPECT_EQ(count<act_package>(acts), r.packages) << r.name;
    if (r.timer_ms < 0) {
      EXPECT_EQ(count<act_arm_retry_timer>(acts), 0) << r.name;
      EXPECT_EQ(job.attempt, 2) << r.name;
      continue;
    }
    ASSERT_EQ(count<act_arm_retry_timer>(acts), 1) << r.name;
    const auto& t = find<act_arm_retry_timer>(acts);
    EXPECT_EQ(t.after, duration{r.timer_ms}) << r.name;
    // A new epoch: a timer armed before the restart (were one left) is stale.
    EXPECT_EQ(t.epoch, 5u) << r.name;
    EXPECT_EQ(job.attempt, 1) << r.name;
    EXPECT_TRUE(transition(job, ev_retry_due{4}, policy, 100'000 + r.timer_ms).empty()) << r.name;
    // The timer fires: the next attempt starts.
    const auto due = transition(job, ev_retry_due{t.epoch}, policy, 100'000 + r.timer_ms);
    EXPECT_EQ(job.state, job_state::packaging) << r.name;
    EXPECT_EQ(job.attempt, 2) << r.name;
    EXPECT_EQ(count<act_package>(due), 1) << r.name;
  }
}

// ---- PoR 02 "counter low": skip ahead once, at once, then fail --------------------------

// The first PoR 02 starts a new attempt at once (a retry timer of 0 ms, so pauses and send
// windows still hold it), even past max_attempts, whose packet skips counter_skip values; the
// second one fails the job.
TEST_F(fsm_test, CounterLowSkipsAheadOnceThenFails) {
  policy.max_attempts = 1;
  policy.counter_skip = 50;
  to_accepted(9);
  auto a = apply(ev_por{9, 0x02, true, {}, 0, 0});
  EXPECT_EQ(job.state, job_state::retry_wait);
  EXPECT_EQ(job.counter_skip_at, 2u);
  EXPECT_EQ(job.reason, "PoR 02 CNTR low: skipping the counter ahead by 50");
  EXPECT_EQ(job.retry_at_ms, now);
  ASSERT_EQ(count<act_arm_retry_timer>(a), 1);
  EXPECT_EQ(find<act_arm_retry_timer>(a).after, duration{0});
  EXPECT_EQ(count<act_package>(a), 0);
  a = apply(ev_retry_due{find<act_arm_retry_timer>(a).epoch});
  EXPECT_EQ(job.state, job_state::packaging);
  EXPECT_EQ(job.attempt, 2);  // one past max_attempts
  ASSERT_EQ(count<act_package>(a), 1);
  EXPECT_EQ(find<act_package>(a).skip, 50u);
  apply(ev_packaged{60});
  apply(ev_submit_ok{"m2"});
  a = apply(ev_por{60, 0x02, true, {}, 0, 0});
  EXPECT_EQ(job.state, job_state::failed);
  EXPECT_EQ(job.reason, "counter still low after skipping ahead by 50 (PoR 02 CNTR low)");
  EXPECT_EQ(count<act_package>(a), 0);
}

TEST_F(fsm_test, CounterLowThenOkIsDone) {
  to_accepted(3);
  apply(ev_por{3, 0x02, true, {}, 0, 0});
  auto a = apply(ev_retry_due{job.timer_epoch});
  EXPECT_EQ(find<act_package>(a).skip, 100u);  // the default step
  apply(ev_packaged{104});
  apply(ev_submit_ok{"m2"});
  apply(ev_por{104, 0x00, true, 0x9000, 1, 1});
  EXPECT_EQ(job.state, job_state::done);
  EXPECT_EQ(job.counters, (std::vector<std::uint64_t>{3, 104}));
  EXPECT_EQ(job.counter_skip_at, 2u);  // remembered (and stored)
}

// A card that rejects the counter may answer unsecured: counted the same way while waiting.
TEST_F(fsm_test, UnsecuredCounterLowSkipsAheadOnceThenFails) {
  policy.counter_skip = 7;
  to_accepted(5);
  apply(ev_por{0, 0x02, false, {}, 0, 0});
  EXPECT_EQ(job.state, job_state::retry_wait);
  EXPECT_EQ(job.por_status, 0x02);
  auto a = apply(ev_retry_due{job.timer_epoch});
  EXPECT_EQ(find<act_package>(a).skip, 7u);
  apply(ev_packaged{13});
  apply(ev_submit_ok{"m2"});
  apply(ev_por{0, 0x02, false, {}, 0, 0});
  EXPECT_EQ(job.state, job_state::failed);
  EXPECT_EQ(job.reason, "counter still low after skipping ahead by 7 (unsecured PoR 02 CNTR low)");
}

// An unsecured PoR 02 naming an earlier packet of the job (sent before a restart, delivered
// by the SMSC after the newer one) is not the newer packet's answer: it changes nothing, and
// the newer packet's PoR completes the job.
TEST_F(fsm_test, UnsecuredCounterLowOfAnEarlierPacketIsIgnored) {
  job.state = job_state::submitting;  // restored after a crash: the packet may have left
  job.attempt = 1;
  job.counters = {5};
  auto a = apply(ev_start{});
  ASSERT_EQ(count<act_package>(a), 1);
  apply(ev_packaged{6});
  apply(ev_submit_ok{"m2"});
  apply(ev_por{5, 0x02, false, {}, 0, 0});
  EXPECT_EQ(job.state, job_state::accepted);
  EXPECT_EQ(job.counter_skip_at, 0u);
  apply(ev_por{6, 0x00, true, 0x9000, 1, 1});
  EXPECT_EQ(job.state, job_state::done);
  EXPECT_EQ(job.counters, (std::vector<std::uint64_t>{5, 6}));
}

// Until the skipped packet is packaged, the skip is still to be made: another 02 changes
// nothing, a resumed job (after a restart) asks for it, again if it restarts in packaging;
// later packets of the job (a lost submit sent again) skip no more.
TEST_F(fsm_test, CounterLowSkipSurvivesARestartAndIsMadeOnce) {
  to_accepted(5);
  apply(ev_por{5, 0x02, true, {}, 0, 0});
  ASSERT_EQ(job.state, job_state::retry_wait);
  EXPECT_TRUE(apply(ev_por{5, 0x02, true, {}, 0, 0}).empty());
  auto a = apply(ev_start{});  // resumed after a crash: the 0 ms back-off is over
  EXPECT_EQ(job.state, job_state::packaging);
  EXPECT_EQ(find<act_package>(a).skip, 100u);
  EXPECT_TRUE(apply(ev_por{5, 0x02, true, {}, 0, 0}).empty());  // packaging: ignored
  a = apply(ev_start{});                                        // crashed again while packaging
  EXPECT_EQ(find<act_package>(a).skip, 100u);
  apply(ev_packaged{106});
  a = apply(ev_submit_lost{});
  EXPECT_EQ(find<act_package>(a).skip, 0u);
  apply(ev_packaged{107});
  apply(ev_submit_ok{"m3"});
  // A late 02 for the packet sent before the skip says nothing about the skip.
  EXPECT_TRUE(apply(ev_por{5, 0x02, true, {}, 0, 0}).empty());
  EXPECT_EQ(job.state, job_state::accepted);
  apply(ev_por{107, 0x02, true, {}, 0, 0});
  EXPECT_EQ(job.state, job_state::failed);
}

// Backing off after another failure: a PoR 02 for an earlier packet replaces the back-off
// (the timer armed before is stale) and the skipped attempt starts at once.
TEST_F(fsm_test, CounterLowWhileBackingOffStartsAtOnce) {
  policy.max_attempts = 3;
  to_accepted(8);
  apply(ev_receipt{5, ""});
  ASSERT_EQ(job.state, job_state::retry_wait);
  const auto old_epoch = job.timer_epoch;
  auto a = apply(ev_por{8, 0x02, true, {}, 0, 0});
  EXPECT_EQ(job.state, job_state::retry_wait);
  EXPECT_EQ(find<act_arm_retry_timer>(a).after, duration{0});
  EXPECT_TRUE(apply(ev_retry_due{old_epoch}).empty());
  a = apply(ev_retry_due{job.timer_epoch});
  EXPECT_EQ(job.state, job_state::packaging);
  EXPECT_EQ(job.attempt, 2);
  EXPECT_EQ(find<act_package>(a).skip, 100u);
}

// The skipped attempt is the one extra: its timeout with attempts used up ends the job.
TEST_F(fsm_test, CounterLowExtraAttemptEndsOnTimeout) {
  policy.max_attempts = 1;
  to_accepted(8);
  apply(ev_por{8, 0x02, true, {}, 0, 0});
  apply(ev_retry_due{job.timer_epoch});
  apply(ev_packaged{109});
  auto a = apply(ev_submit_ok{"m2"});
  apply(ev_por_timeout{find<act_arm_por_timer>(a).epoch});
  EXPECT_EQ(job.state, job_state::failed);
  EXPECT_EQ(job.reason.rfind("attempts exhausted (2): no PoR", 0), 0u) << job.reason;
}

TEST_F(fsm_test, CancelFails) {
  to_accepted(1);
  apply(ev_cancel{"by operator"});
  EXPECT_EQ(job.state, job_state::failed);
  EXPECT_EQ(job.reason, "cancelled: by operator");
}

TEST(Backoff, DoublesUpToTheCeiling) {
  job_policy p;
  p.retry_base = duration{100};
  p.retry_max = duration{350};
  EXPECT_EQ(backoff(p, 1).count(), 100);
  EXPECT_EQ(backoff(p, 2).count(), 200);
  EXPECT_EQ(backoff(p, 3).count(), 350);
  EXPECT_EQ(backoff(p, 60).count(), 350);
}

TEST(JobState, NamesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(job_state::failed); ++i) {
    const auto s = static_cast<job_state>(i);
    EXPECT_EQ(job_state_from_string(to_string(s)), s);
  }
  EXPECT_FALSE(job_state_from_string("bogus").has_value());
}

// Whatever happens, a job reaches at most one terminal state and never leaves it, and the
// number of attempts never exceeds the policy.
RC_GTEST_PROP(SubscriberFsm, TerminalIsFinalAndAttemptsBounded, ()) {
  job_policy policy;
  policy.max_attempts = *rc::gen::inRange<std::uint16_t>(1, 5);
  job_record job;
  const auto n = *rc::gen::inRange(1, 60);
  std::optional<job_state> terminal;
  std::int64_t now = 0;
  for (int i = 0; i < n; ++i) {
    const auto kind = *rc::gen::inRange(0, 11);
    const auto c = *rc::gen::inRange<std::uint64_t>(0, 4);
    job_event e;
    switch (kind) {
      case 0:
        e = ev_start{};
        break;
      case 1:
        e = ev_packaged{c};
        break;
      case 2:
        e = ev_package_failed{"x", *rc::gen::arbitrary<bool>()};
        break;
      case 3:
        e = ev_submit_ok{"m"};
        break;
      case 4:
        e = ev_submit_failed{0x45, "x", *rc::gen::arbitrary<bool>()};
        break;
      case 5:
        e = ev_submit_lost{};
        break;
      case 6:
        e = ev_receipt{*rc::gen::inRange<std::uint8_t>(0, 9), ""};
        break;
      case 7:
        e = ev_por{c,
                   *rc::gen::element<std::uint8_t>(0, 1, 2, 7, 8, 9),
                   *rc::gen::arbitrary<bool>(),
                   std::nullopt,
                   0,
                   0};
        break;
      case 8:
        e = ev_por_timeout{job.timer_epoch};
        break;
      case 9:
        e = ev_retry_due{job.timer_epoch};
        break;
      default:
        e = ev_cancel{"x"};
        break;
    }
    const auto before = job;
    (void)transition(job, e, policy, ++now);
    if (terminal) RC_ASSERT(job == before);
    if (is_terminal(job.state)) terminal = job.state;
    // One attempt more after a PoR 02 "counter low".
    RC_ASSERT(job.attempt <= policy.max_attempts + (job.counter_skip_at != 0 ? 1 : 0));
  }
}

}  // namespace
}  // namespace otaflow::actors
