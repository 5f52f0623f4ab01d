// The engine's service mode (otaflow serve) against in-memory fakes of its ports:
// admissions are idempotent, tokens are reported only once the jobs' first state is
// durable, the window bounds the jobs in flight, and pause / resume / cancel / withdraw
// do what actors/service.hpp promises.

#include <algorithm>
#include <mutex>
#include <set>

#include <gtest/gtest.h>

#include "actors/engine.hpp"
#include "tests/unit/actors/engine_fakes.hpp"

namespace otaflow::actors {
namespace {

using namespace std::chrono_literals;
using namespace fakes;

// Retries after 20 ms, PoR timeout 300 ms; the window is the service's.
std::shared_ptr<campaign_ctx> make_campaign() {
  return test_campaign(policy_def{}.window, 20ms, 300ms);
}

struct service_test : ::testing::Test, engine_ports {
  std::mutex mu;
  std::vector<std::uint64_t> admitted;
  std::vector<std::string> not_durable;  // tokens reported before their queued record was saved

  std::unique_ptr<engine> start(std::size_t window, std::size_t journal_backlog_max = 65536) {
    auto o = test_engine_options();
    o.journal_backlog_max = journal_backlog_max;
    auto e = std::make_unique<engine>(o, factory, tp, store, sink);
    auto s = e->start_service(service_options{window}, [this](std::uint64_t t) {
      // The token's card (t - 1 in these tests) must have a durable job by now.
      const auto card = iccid(static_cast<int>(t) - 1);
      if (t < 1'000'000 && !store.get("c1", card)) {
        std::lock_guard lock(mu);
        not_durable.push_back(card);
      }
      std::lock_guard lock(mu);
      admitted.push_back(t);
    });
    EXPECT_TRUE(s.ok());
    return e;
  }
  std::size_t admitted_count() {
    std::lock_guard lock(mu);
    return admitted.size();
  }
  // Admits cards [from, to) one trigger each, token i + 1 for card i.
  static void admit_each(engine& e, int from, int to) {
    for (int i = from; i < to; ++i) {
      e.admit("c1", std::make_unique<range_cursor>(i, i + 1), static_cast<std::uint64_t>(i + 1));
    }
  }
};

TEST_F(service_test, EveryTriggeredCardReachesOneTerminalStateAndEveryTokenIsReportedOnce) {
  auto e = start(64);
  e->set_campaign(make_campaign(), campaign_mode::running);
  admit_each(*e, 0, 300);
  ASSERT_TRUE(
      wait_until([&] { return sink.terminal_count() == 300; }, patience, "300 cards are terminal"));
  ASSERT_TRUE(
      wait_until([&] { return admitted_count() == 300; }, patience, "300 tokens are reported"));
  e->stop_service(1s);
  {
    std::lock_guard lock(mu);
    std::set<std::uint64_t> unique(admitted.begin(), admitted.end());
    EXPECT_EQ(unique.size(), 300u);
    EXPECT_TRUE(not_durable.empty()) << not_durable.front();
  }
  for (const auto& [id, evs] : sink.terminal()) {
    ASSERT_EQ(evs.size(), 1u) << id;
    EXPECT_EQ(evs[0].state, job_state::done);
  }
  // The first status of every card is `queued`, before anything is sent.
  std::map<std::string, job_state> first;
  for (const auto& ev : sink.events()) first.try_emplace(ev.iccid, ev.state);
  EXPECT_EQ(first.size(), 300u);
  for (const auto& [id, st] : first) EXPECT_EQ(st, job_state::queued) << id;
  EXPECT_EQ(tp.submits(), 300);
  const auto s = e->stats();
  EXPECT_EQ(s.started, 300u);
  EXPECT_EQ(s.done, 300u);
  EXPECT_EQ(s.in_flight, 0u);
}

TEST_F(service_test, DuplicateTriggersAreSkipped) {
  tp.set_silent(true);  // keep the first jobs in flight
  auto e = start(16);
  e->set_campaign(make_campaign(), campaign_mode::running);
  e->admit("c1", std::make_unique<range_cursor>(0, 5), 1);
  // Answered (silently), not just sent: a submit still queued in the fake would get its PoR
  // once the silence ends below.
  ASSERT_TRUE(wait_until([&] { return tp.answered() == 5; }, patience, "5 are answered silently"));
  e->admit("c1", std::make_unique<range_cursor>(0, 5), 2);  // same cards, in flight
  ASSERT_TRUE(wait_until([&] { return admitted_count() == 2; }, patience,
                         "the duplicate's token is reported"));
  EXPECT_EQ(e->stats().skipped_active, 5u);
  tp.set_silent(false);
  // The silent first attempts time out and are retried; then every card is done.
  ASSERT_TRUE(
      wait_until([&] { return sink.terminal_count() == 5; }, patience, "the 5 are terminal"));
  ASSERT_TRUE(
      wait_until([&] { return e->stats().in_flight == 0; }, patience, "no job is in flight"));
  e->admit("c1", std::make_unique<range_cursor>(0, 5), 3);  // terminal now
  ASSERT_TRUE(
      wait_until([&] { return admitted_count() == 3; }, patience, "the third token is reported"));
  EXPECT_EQ(e->stats().skipped_terminal, 5u);
  EXPECT_EQ(e->stats().started, 5u);
  e->stop_service(1s);
  EXPECT_TRUE(sink.one_terminal_each());
  for (int i = 0; i < 5; ++i) EXPECT_GE(tp.submits_to(msisdn(i)), 2) << i;  // resent
}

TEST_F(service_test, TheWindowBoundsJobsInFlight) {
  tp.set_silent(true);
  auto ctx = make_campaign();
  ctx->def.policy.job.por_timeout = 60s;
  auto e = start(10);
  e->set_campaign(ctx, campaign_mode::running);
  admit_each(*e, 0, 25);
  ASSERT_TRUE(wait_until([&] { return tp.submits() == 10; }, patience, "the window's 10 are sent"));
  EXPECT_TRUE(expect_stays([&] { return tp.submits() == 10; }, 100ms, "no 11th submit"));
  const auto s = e->stats();
  EXPECT_EQ(s.in_flight, 10u);
  EXPECT_EQ(s.waiting, 15u);
  EXPECT_EQ(e->backlog(), 25u);
  ASSERT_TRUE(
      wait_until([&] { return admitted_count() == 10; }, patience, "the 10 started are reported"));
  // Only the started ones are durable.
  EXPECT_TRUE(expect_stays([&] { return admitted_count() == 10; }, 50ms, "no 11th token"));
  e->stop_service(10ms);
}

// State changes queued for a journal slower than the jobs are bounded
// (engine_options::journal_backlog_max): otherwise the engine ran ahead and the journal's
// mailbox (each entry pinning its ended subscriber) grew with every card: serve's RSS,
// issue 6. The store blocks here; the window alone would let every card start.
TEST_F(service_test, AJournalBehindHoldsBackNewJobs) {
  store.hold(true);
  auto e = start(10, 20);
  // Released before the engine goes, whatever fails below (its journal would block forever).
  struct release {
    fake_job_store& s;
    ~release() { s.hold(false); }
  } guard{store};
  e->set_campaign(make_campaign(), campaign_mode::running);
  admit_each(*e, 0, 100);
  // Each job started adds its queued record and a few changes; none is durable: once 20
  // wait, nothing more starts.
  ASSERT_TRUE(wait_until(
      [&] {
        const auto s = e->stats();
        return s.done >= 1 && s.in_flight == 0 && s.journal_backlog >= 20;
      },
      patience, "jobs ended and 20 changes wait for the journal"));
  const auto started = e->stats().started;
  EXPECT_TRUE(expect_stays(
      [&] {
        const auto s = e->stats();
        return s.started == started && s.in_flight == 0 && s.journal_backlog >= 20 &&
               static_cast<std::uint64_t>(tp.submits()) == started;
      },
      200ms, "no job starts while the journal is behind"));
  const auto s = e->stats();
  EXPECT_GE(s.started, 1u);
  EXPECT_LE(s.started, 20u);
  EXPECT_EQ(static_cast<std::uint64_t>(tp.submits()), s.started);
  EXPECT_EQ(s.in_flight, 0u);
  EXPECT_GE(s.journal_backlog, 20u);
  EXPECT_EQ(sink.terminal_count(), 0u);
  store.hold(false);
  ASSERT_TRUE(
      wait_until([&] { return sink.terminal_count() == 100; }, patience, "the 100 are terminal"));
  ASSERT_TRUE(
      wait_until([&] { return admitted_count() == 100; }, patience, "the 100 tokens are reported"));
  ASSERT_TRUE(wait_until([&] { return e->stats().journal_backlog == 0; }, patience,
                         "the journal caught up"));
  EXPECT_EQ(tp.submits(), 100);
  EXPECT_EQ(e->stats().started, 100u);
  e->stop_service(1s);
}

TEST_F(service_test, WithdrawDropsAdmissionsNotStartedAndReturnsTheirTokens) {
  tp.set_silent(true);
  auto ctx = make_campaign();
  ctx->def.policy.job.por_timeout = 60s;
  auto e = start(3);
  e->set_campaign(ctx, campaign_mode::running);
  admit_each(*e, 0, 8);
  ASSERT_TRUE(wait_until([&] { return tp.submits() == 3; }, patience, "the window's 3 are sent"));
  auto w = e->withdraw([](std::uint64_t t) { return t % 2 == 0; });  // "partition" of even tokens
  std::sort(w.begin(), w.end());
  EXPECT_EQ(w, (std::vector<std::uint64_t>{4, 6, 8}));  // token 2 had started
  EXPECT_EQ(e->stats().waiting, 2u);                    // tokens 5 and 7 stay queued
  {
    std::lock_guard lock(mu);
    std::set<std::uint64_t> got(admitted.begin(), admitted.end());
    EXPECT_EQ(got, (std::set<std::uint64_t>{1, 2, 3}));
  }
  e->stop_service(10ms);
}

TEST_F(service_test, PausedCampaignQueuesDurablyAndRunsOnResume) {
  auto e = start(32);
  e->set_campaign(make_campaign(), campaign_mode::paused);
  e->admit("c1", std::make_unique<range_cursor>(0, 20), 1);
  ASSERT_TRUE(wait_until([&] { return admitted_count() == 1; }, patience,
                         "the paused admission is durable"));
  EXPECT_EQ(tp.submits(), 0);
  EXPECT_EQ(e->stats().queued_paused, 20u);
  EXPECT_EQ(store.states()[job_state::queued], 20);
  ASSERT_TRUE(store.get("c1", iccid(19)).has_value());
  EXPECT_EQ(store.get("c1", iccid(19))->state, job_state::queued);
  // Resume: serve re-admits the campaign's non-terminal jobs from storage.
  e->set_mode("c1", campaign_mode::running);
  e->admit("c1", non_terminal_cards(store, "c1", 20), 0);
  ASSERT_TRUE(
      wait_until([&] { return sink.terminal_count() == 20; }, patience, "the 20 are terminal"));
  EXPECT_EQ(tp.submits(), 20);
  e->stop_service(1s);
}

TEST_F(service_test, PauseHoldsADueRetryUntilResume) {
  tp.absent_once(msisdn(0));
  auto ctx = make_campaign();
  ctx->def.policy.job.retry_base = 200ms;
  auto e = start(8);
  e->set_campaign(ctx, campaign_mode::running);
  e->admit("c1", std::make_unique<range_cursor>(0, 1), 1);
  // The first attempt is undeliverable: the job waits 200 ms for its retry.
  ASSERT_TRUE(wait_until(
      [&] {
        auto j = store.get("c1", iccid(0));
        return j && j->state == job_state::retry_wait;
      },
      patience, "the job waits for its retry"));
  e->set_mode("c1", campaign_mode::paused);
  ASSERT_TRUE(wait_until([&] { return e->stats().parked == 1; }, patience, "the job parks"));
  EXPECT_EQ(tp.submits(), 1);
  EXPECT_EQ(e->stats().in_flight, 0u);  // a parked job does not hold the window
  e->set_mode("c1", campaign_mode::running);
  ASSERT_TRUE(
      wait_until([&] { return sink.terminal_count() == 1; }, patience, "the job is terminal"));
  EXPECT_EQ(tp.submits(), 2);
  EXPECT_EQ(store.get("c1", iccid(0))->state, job_state::done);
  e->stop_service(1s);
}

TEST_F(service_test, CancelFailsJobsInFlightAndLaterTriggers) {
  tp.set_silent(true);
  auto ctx = make_campaign();
  ctx->def.policy.job.por_timeout = 60s;
  auto e = start(16);
  e->set_campaign(ctx, campaign_mode::running);
  e->admit("c1", std::make_unique<range_cursor>(0, 4), 1);
  ASSERT_TRUE(wait_until([&] { return tp.submits() == 4; }, patience, "4 are sent"));
  e->set_mode("c1", campaign_mode::cancelled);
  ASSERT_TRUE(
      wait_until([&] { return sink.terminal_count() == 4; }, patience, "the 4 in flight fail"));
  e->admit("c1", std::make_unique<range_cursor>(4, 6), 2);  // after the cancel
  ASSERT_TRUE(wait_until([&] { return sink.terminal_count() == 6; }, patience,
                         "the 2 admitted after the cancel fail"));
  e->set_mode("c1", campaign_mode::running);  // cancel is final
  e->admit("c1", std::make_unique<range_cursor>(6, 7), 3);
  ASSERT_TRUE(wait_until([&] { return sink.terminal_count() == 7; }, patience,
                         "the one admitted after the resume fails"));
  EXPECT_EQ(tp.submits(), 4);
  e->stop_service(1s);
  for (const auto& [id, evs] : sink.terminal()) {
    ASSERT_EQ(evs.size(), 1u);
    EXPECT_EQ(evs[0].state, job_state::failed) << id;
    EXPECT_EQ(evs[0].reason, "cancelled: campaign cancelled") << id;
  }
  EXPECT_EQ(e->stats().cancelled, 3u);
}

TEST_F(service_test, StopReturnsAfterTheGraceWithJobsStillRunning) {
  tp.set_silent(true);
  auto ctx = make_campaign();
  ctx->def.policy.job.por_timeout = 60s;
  auto e = start(4);
  e->set_campaign(ctx, campaign_mode::running);
  e->admit("c1", std::make_unique<range_cursor>(0, 2), 1);
  ASSERT_TRUE(wait_until([&] { return tp.submits() == 2; }, patience, "2 are sent"));
  const auto t0 = std::chrono::steady_clock::now();
  e->stop_service(200ms);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  // Their state is durable for the next start: accepted, waiting for a PoR.
  ASSERT_TRUE(store.get("c1", iccid(1)).has_value());
  EXPECT_EQ(store.get("c1", iccid(1))->state, job_state::accepted);
  e.reset();  // destroying the engine ends the running subscriber actors
}

}  // namespace
}  // namespace otaflow::actors
