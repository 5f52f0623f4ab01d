// The engine's campaign control against in-memory fakes: a wrong keyset (every card answers
// PoR 01) pauses the campaign on its alert after a bounded number of cards; pause, resume and
// cancel from outside while a campaign runs; per-bind throttling alerts; send windows and
// validity periods judged by a fake clock.

#include <chrono>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "actors/engine.hpp"
#include "tests/unit/actors/engine_fakes.hpp"

namespace otaflow::actors {
namespace {

using namespace std::chrono_literals;
using namespace fakes;

struct engine_control : ::testing::Test, engine_ports {
  // Whether nothing was sent while `clock` said it was before `open`. The count is read
  // before the clock: a submit counted while the clock still reads before `open` was sent
  // before it (the engine judged the window with the same clock), so this never fails
  // because the test thread was slow.
  std::function<bool()> nothing_sent_before(std::int64_t open,
                                            std::function<std::int64_t()> clock) {
    return [this, open, clock] {
      const int sent = tp.submits();
      return sent == 0 || clock() >= open;
    };
  }
};

TEST_F(engine_control, WrongKeysetPausesItselfAfterABoundedNumberOfCards) {
  tp.set_por_status(0x01);  // RC/CC/DS failed: the cards do not have these keys
  auto c = test_campaign(50);
  c->def.alerts.pause_on_alert = true;  // min_cards 100, window 1000, PoR errors 5%
  std::vector<alert> seen;
  std::mutex mu;
  engine e(test_engine_options(), factory, tp, store, sink);
  e.set_alert_handler([&](const alert& a) {
    std::lock_guard lock(mu);
    seen.push_back(a);
  });
  auto s = e.run(c, first_cards(5000));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE(s->paused);
  EXPECT_FALSE(s->cancelled);
  ASSERT_EQ(s->alerts.size(), 1u);
  const auto& a = s->alerts[0];
  EXPECT_EQ(a.kind, alert_kind::por_error);
  EXPECT_TRUE(a.paused);
  EXPECT_EQ(a.sample, 100u);
  EXPECT_EQ(a.message.rfind("PoR 01 on 100 of 100 PoRs (RC/CC/DS failed)", 0), 0u) << a.message;
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].message, a.message);
  }
  // Bounded: the alert comes with the 100th PoR; at most the window more were under way.
  const int sent = tp.submits();
  EXPECT_GE(sent, 100);
  EXPECT_LE(sent, 100 + 3 * 50) << "cards sent before the pause took hold";
  EXPECT_EQ(s->cards, static_cast<std::uint64_t>(sent));  // each sent card failed with PoR 01
  EXPECT_EQ(s->failure_reasons["PoR 01 RC/CC/DS failed"], s->cards);
  EXPECT_EQ(s->por_status[0x01], s->cards);
  // The 4,800 and more cards never started have no job at all.
  EXPECT_EQ(store.size(), static_cast<std::size_t>(sent));
}

TEST_F(engine_control, PauseFromOutsideThenResumeInANewRun) {
  tp.hold(true);
  engine e(test_engine_options(), factory, tp, store, sink);
  result<campaign_summary> first = make_error(errc::internal, "not run");
  std::thread runner([&] { first = e.run(test_campaign(20), first_cards(200)); });
  ASSERT_TRUE(wait_until([&] { return tp.submits() >= 20; }, patience, "the window's 20 are sent"));
  // set_mode queues the pause in the campaign actor's mailbox before hold(false) lets any
  // card end, and CAF's mailbox is FIFO: the pause is handled before the first job_finished
  // could start a new card. No wait for it is needed.
  e.set_mode("c1", campaign_mode::paused);
  tp.hold(false);  // the 20 in flight finish their attempt; nothing new starts
  runner.join();
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->paused);
  EXPECT_EQ(first->done, 20u);
  EXPECT_EQ(tp.submits(), 20);
  // A new run (what `campaign run --resume` does) finishes the rest.
  auto second = e.run(test_campaign(20), first_cards(200));
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->paused);
  EXPECT_EQ(second->resumed_terminal, 20u);
  EXPECT_EQ(second->done, 200u);
  EXPECT_EQ(tp.submits(), 200);
  EXPECT_TRUE(sink.one_terminal_each());
}

TEST_F(engine_control, PausedRetriesHoldAndTheRunEndsWithThemStored) {
  tp.set_silent(true);  // no PoR: every attempt times out (200 ms) and wants a retry
  engine e(test_engine_options(), factory, tp, store, sink);
  result<campaign_summary> s = make_error(errc::internal, "not run");
  std::thread runner([&] { s = e.run(test_campaign(10), first_cards(10)); });
  ASSERT_TRUE(wait_until([&] { return tp.submits() >= 10; }, patience, "the window's 10 are sent"));
  e.set_mode("c1", campaign_mode::paused);
  runner.join();  // ends once every job holds its retry
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->paused);
  EXPECT_EQ(s->cards, 0u);
  EXPECT_EQ(tp.submits(), 10);
  EXPECT_EQ(store.states()[job_state::retry_wait], 10);
  // Resumed, the held retries go out (attempt 2) and finish.
  tp.set_silent(false);
  auto again = e.run(test_campaign(10), first_cards(10));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->done, 10u);
  EXPECT_EQ(tp.submits(), 20);
  const auto jobs = store.jobs();
  EXPECT_EQ(jobs.size(), 10u);
  for (const auto& [k, j] : jobs) EXPECT_EQ(j.attempt, 2) << k;
}

TEST_F(engine_control, CancelFailsJobsInFlightOnce) {
  tp.hold(true);
  engine e(test_engine_options(), factory, tp, store, sink);
  result<campaign_summary> s = make_error(errc::internal, "not run");
  std::thread runner([&] { s = e.run(test_campaign(30), first_cards(100)); });
  ASSERT_TRUE(wait_until([&] { return tp.submits() >= 30; }, patience, "the window's 30 are sent"));
  e.set_mode("c1", campaign_mode::cancelled);
  runner.join();
  tp.hold(false);  // late answers find no job
  ASSERT_TRUE(wait_until([&] { return tp.answered() == 30; }, patience, "the 30 are answered"));
  EXPECT_TRUE(expect_stays(
      [&] {
        return store.size() == 30 && store.states()[job_state::failed] == 30 &&
               sink.terminal_count() == 30 && sink.one_terminal_each();
      },
      50ms, "30 jobs failed, one terminal event each, after the late answers"));
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->cancelled);
  EXPECT_EQ(s->failed, 30u);
  EXPECT_EQ(s->failure_reasons["cancelled: campaign cancelled"], 30u);
  EXPECT_EQ(store.states()[job_state::failed], 30);
  EXPECT_TRUE(sink.one_terminal_each());
}

TEST_F(engine_control, ThrottledBindRaisesABindAlertThatDoesNotPause) {
  tp.throttle_every(1);  // every submit_sm is throttled once, then accepted: 50%
  auto c = test_campaign(20);
  c->def.alerts.pause_on_alert = true;
  c->def.alerts.min_cards = 20;
  c->def.alerts.window = 40;
  engine e(test_engine_options(), factory, tp, store, sink);
  auto s = e.run(c, first_cards(100));
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->paused);
  EXPECT_EQ(s->done, 100u);
  ASSERT_EQ(s->alerts.size(), 1u);
  EXPECT_EQ(s->alerts[0].kind, alert_kind::throttle);
  EXPECT_EQ(s->alerts[0].bind, std::optional<std::string>("bind 0"));
  EXPECT_FALSE(s->alerts[0].paused);
}

TEST_F(engine_control, NothingIsSentOutsideTheSendWindow) {
  // A clock that runs like the real one from 300 ms before the window opens (08:00 UTC).
  const auto open = *parse_rfc3339("2026-12-01T08:00:00Z");
  const auto t0 = std::chrono::steady_clock::now();
  auto clock = [=] {
    return open - 300 +
           std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 t0)
               .count();
  };
  auto c = test_campaign(10);
  c->def.policy.time.window = send_window{8 * 60, 20 * 60};
  engine e(test_engine_options(), factory, tp, store, sink);
  e.set_clock(clock);
  result<campaign_summary> s = make_error(errc::internal, "not run");
  std::thread runner([&] { s = e.run(c, first_cards(50)); });
  EXPECT_TRUE(expect_stays(nothing_sent_before(open, clock),
                           std::chrono::milliseconds(open - clock()), "nothing sent before 08:00"));
  runner.join();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->done, 50u);
  EXPECT_GE(clock() - open, 0);
}

TEST_F(engine_control, ValidityExpiredFailsEveryJobNotTerminal) {
  tp.set_silent(true);  // cards never answer: jobs stay in flight until not_after
  const auto start = *parse_rfc3339("2026-12-01T12:00:00Z");
  const auto t0 = std::chrono::steady_clock::now();
  auto clock = [=] {
    return start + std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - t0)
                       .count();
  };
  auto c = test_campaign(10);
  c->def.policy.job.por_timeout = 10s;
  c->def.policy.time.not_after_ms = start + 300;
  engine e(test_engine_options(), factory, tp, store, sink);
  e.set_clock(clock);
  auto s = e.run(c, first_cards(100));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->cards, 100u);
  EXPECT_EQ(s->failed, 100u);
  EXPECT_EQ(s->failure_reasons["validity expired"], 100u);
  EXPECT_EQ(tp.submits(), 10);  // the first window only; the rest never left
  EXPECT_EQ(store.states()[job_state::failed], 100);
  EXPECT_TRUE(sink.one_terminal_each());
}

// ---- service mode (otaflow serve) ----------------------------------------------------------

TEST_F(engine_control, ServiceModePausesTheCampaignOnItsAlertLikeAPauseCommand) {
  tp.set_por_status(0x01);
  auto c = test_campaign(0);
  c->def.alerts.pause_on_alert = true;
  c->def.alerts.min_cards = 20;
  c->def.alerts.window = 100;
  engine e(test_engine_options(), factory, tp, store, sink);
  std::atomic<int> alerts{0};
  e.set_alert_handler([&](const alert& a) {
    if (a.paused) ++alerts;
  });
  ASSERT_TRUE(e.start_service(service_options{10}, {}).ok());
  e.set_campaign(c, campaign_mode::running);
  e.admit("c1", first_cards(300), 1);
  ASSERT_TRUE(wait_until([&] { return alerts.load() == 1 && e.backlog() == 0; }, patience,
                         "the alert paused the campaign and every admission is taken"));
  const auto st = e.stats();
  EXPECT_GE(st.failed, 20u);
  EXPECT_LE(st.started, 20u + 3 * 10u);            // min_cards + the window in flight
  EXPECT_EQ(st.queued_paused + st.started, 300u);  // the rest queued durably, not sent
  // Jobs started just before the pause hold before their first packet (parked, `queued`).
  const int sent = tp.submits();
  EXPECT_LE(sent, static_cast<int>(st.started));
  EXPECT_EQ(st.failed, static_cast<std::uint64_t>(sent));
  e.stop_service(1s);
  EXPECT_EQ(store.states()[job_state::failed], sent);
  EXPECT_EQ(store.states()[job_state::queued], 300 - sent);
}

TEST_F(engine_control, ServiceModeHoldsAdmissionsUntilTheSendWindowOpens) {
  const auto open = *parse_rfc3339("2026-12-01T08:00:00Z");
  const auto t0 = std::chrono::steady_clock::now();
  auto clock = [=] {
    return open - 300 +
           std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 t0)
               .count();
  };
  auto c = test_campaign(0);
  c->def.policy.time.window = send_window{8 * 60, 20 * 60};
  engine e(test_engine_options(), factory, tp, store, sink);
  e.set_clock(clock);
  std::atomic<int> reopened{0};
  // What serve's registry does: admit the campaign's non-terminal jobs again.
  e.set_reopen_handler([&](const std::string& id) {
    ++reopened;
    e.admit(id, first_cards(40), 0);
  });
  ASSERT_TRUE(e.start_service(service_options{100}, {}).ok());
  e.set_campaign(c, campaign_mode::running);
  e.admit("c1", first_cards(40), 1);
  ASSERT_TRUE(wait_until([&] { return e.stats().queued_window == 40; }, patience,
                         "the 40 wait for the window"));
  EXPECT_TRUE(expect_stays(nothing_sent_before(open, clock),
                           std::chrono::milliseconds(open - clock()), "nothing sent before 08:00"));
  ASSERT_TRUE(wait_until([&] { return e.stats().done == 40; }, patience, "the 40 are done"));
  EXPECT_EQ(reopened.load(), 1);
  EXPECT_EQ(tp.submits(), 40);
  e.stop_service(1s);
  EXPECT_TRUE(sink.one_terminal_each());
}

}  // namespace
}  // namespace otaflow::actors
