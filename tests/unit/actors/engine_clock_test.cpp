// The engine on a manual clock (actors/clock.hpp): PoR timeouts, retry back-offs and
// validity periods (send windows: engine_control_test) fire when the test advances the clock, not
// after real sleeps, so each is tested at its real length (30 s, an hour) in milliseconds. The
// router keeps those timers by job, and a finished job's timers go with it.

#include <gtest/gtest.h>

#include <thread>

#include "actors/clock.hpp"
#include "actors/engine.hpp"
#include "tests/unit/actors/engine_fakes.hpp"

namespace otaflow::actors {
namespace {

using namespace std::chrono_literals;
using namespace fakes;

class engine_clock_test : public ::testing::Test, protected engine_ports {
 protected:
  std::shared_ptr<manual_clock> clock = std::make_shared<manual_clock>();
};

// A campaign run on its own thread; the summary once it returns.
struct background_run {
  result<campaign_summary> summary = make_error(errc::internal, "not run");
  std::atomic<bool> finished{false};
  std::thread thread;
  background_run(engine& e, std::shared_ptr<campaign_ctx> c, int cards) {
    thread = std::thread([this, &e, c, cards] {
      summary = e.run(c, first_cards(cards));
      finished = true;
    });
  }
  ~background_run() {
    if (thread.joinable()) thread.join();
  }
};

TEST_F(engine_clock_test, APorTimeoutRetriesOnlyWhenTheClockGetsThere) {
  tp.silence(msisdn(0));  // the card never answers
  auto c = test_campaign(10, 10s, 30s);
  c->def.policy.job.max_attempts = 2;
  engine e(test_engine_options(), factory, tp, store, sink);
  e.set_clock(clock);
  background_run run(e, c, 1);

  ASSERT_TRUE(wait_until([&] { return tp.answered() == 1 && e.timers_armed() == 1; }, patience,
                         "the first submit answered and its PoR timer armed"));
  ASSERT_TRUE(expect_stays([&] { return tp.submits() == 1; }, 50ms, "no retry before 30 s"));
  clock->advance(29'999ms);
  ASSERT_TRUE(expect_stays([&] { return tp.submits() == 1; }, 50ms, "no retry at 29.999 s"));
  clock->advance(1ms);  // the PoR timeout: retry_wait, with a 10 s back-off armed
  ASSERT_TRUE(wait_until(
      [&] {
        const auto j = store.get("c1", iccid(0));
        return j && j->state == job_state::retry_wait && e.timers_armed() == 1;
      },
      patience, "retry_wait with its back-off timer"));
  EXPECT_EQ(tp.submits(), 1);
  clock->advance(10s);  // the back-off: attempt 2
  ASSERT_TRUE(wait_until([&] { return tp.answered() == 2 && e.timers_armed() == 1; }, patience,
                         "attempt 2 submitted, its PoR timer armed"));
  clock->advance(30s);  // attempts exhausted
  ASSERT_TRUE(wait_until([&] { return run.finished.load(); }, patience, "the run ends"));
  run.thread.join();
  ASSERT_TRUE(run.summary.ok());
  EXPECT_EQ(run.summary->failed, 1u);
  EXPECT_EQ(run.summary->failure_reasons.begin()->first,
            "attempts exhausted (2): no PoR within 30000 ms");
  const auto j = store.get("c1", iccid(0));
  ASSERT_TRUE(j);
  EXPECT_EQ(j->attempt, 2);
  EXPECT_EQ(j->counters.size(), 2u);
  EXPECT_EQ(e.timers_armed(), 0u);
}

TEST_F(engine_clock_test, AFinishedJobsTimersGoWithIt) {
  // PoRs arrive at once; each job leaves a 1 h PoR timer behind unless the router drops a
  // job's timers when it ends. Timers then follow the window, not throughput x timeout.
  auto c = test_campaign(20, 10s, 1h);
  engine e(test_engine_options(), factory, tp, store, sink);
  e.set_clock(clock);
  std::uint64_t peak = 0;
  std::atomic<bool> done{false};
  std::thread sampler([&] {
    while (!done) {
      peak = std::max(peak, e.timers_armed());
      std::this_thread::yield();
    }
  });
  auto s = e.run(c, first_cards(500));
  done = true;
  sampler.join();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->done, 500u);
  EXPECT_EQ(e.timers_armed(), 0u);
  EXPECT_LE(peak, 20u);  // at most one PoR timer per job in flight
}

TEST_F(engine_clock_test, ServiceJobsFailWhenTheirValidityEnds) {
  tp.set_silent(true);  // cards never answer: jobs wait for their PoR (2 h)
  auto c = test_campaign(100, 10s, 2h);
  c->def.policy.time.not_after_ms = clock->wall_ms() + 3'600'000;
  engine e(test_engine_options(), factory, tp, store, sink);
  e.set_clock(clock);
  ASSERT_TRUE(e.start_service(service_options{100}, {}).ok());
  e.set_campaign(c, campaign_mode::running);
  e.admit("c1", first_cards(5), 1);
  ASSERT_TRUE(wait_until([&] { return tp.answered() == 5 && e.timers_armed() == 6; }, patience,
                         "5 PoR timers and the campaign's not_after"));
  clock->advance(59min);
  ASSERT_TRUE(expect_stays([&] { return e.stats().failed == 0; }, 50ms, "valid for 1 h"));
  clock->advance(1min + 1ms);
  // The service counts a job's end before the journal has made it durable: wait for both.
  ASSERT_TRUE(
      wait_until([&] { return e.stats().failed == 5 && store.states()[job_state::failed] == 5; },
                 patience, "5 jobs expired, durably"));
  for (int i = 0; i < 5; ++i) {
    const auto j = store.get("c1", iccid(i));
    ASSERT_TRUE(j);
    EXPECT_EQ(j->state, job_state::failed);
    EXPECT_EQ(j->reason, "validity expired");
  }
  ASSERT_TRUE(wait_until([&] { return e.timers_armed() == 0; }, patience, "no timer left"));
  e.stop_service(1s);
  EXPECT_TRUE(sink.one_terminal_each());
}

}  // namespace
}  // namespace otaflow::actors
