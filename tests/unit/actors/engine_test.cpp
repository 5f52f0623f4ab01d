// The CAF engine against in-memory fakes of its ports: every card reaches exactly one
// terminal state, retries happen, resumed runs skip finished cards.

#include "actors/engine.hpp"

#include <thread>

#include <gtest/gtest.h>

#include "tests/unit/actors/engine_fakes.hpp"

namespace otaflow::actors {
namespace {

using namespace fakes;

struct engine_test : ::testing::Test, engine_ports {};

class engine_policy_test : public engine_test, public ::testing::WithParamInterface<const char*> {};

// Both CAF scheduler policies (engine_options::scheduler_policy) run the same campaign.
TEST_P(engine_policy_test, EveryCardReachesExactlyOneTerminalState) {
  tp.absent_once(msisdn(3));
  tp.absent_once(msisdn(7));
  tp.silence(msisdn(11));
  auto o = test_engine_options();
  o.scheduler_policy = GetParam();
  engine e(o, factory, tp, store, sink);
  auto s = e.run(test_campaign(50), first_cards(1000));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->cards, 1000u);
  EXPECT_EQ(s->done, 999u);
  EXPECT_EQ(s->failed, 1u);
  EXPECT_EQ(s->por_status[0x00], 999u);
  ASSERT_EQ(s->failure_reasons.size(), 1u);
  EXPECT_EQ(s->failure_reasons.begin()->first, "attempts exhausted (3): no PoR within 200 ms");
  // Two cards needed a second attempt, the silent one three.
  EXPECT_EQ(tp.submits(), 1000 + 2 + 2);
  EXPECT_EQ(tp.submits_to(msisdn(3)), 2);
  EXPECT_EQ(tp.submits_to(msisdn(7)), 2);
  EXPECT_EQ(tp.submits_to(msisdn(11)), 3);
  const auto terminal = sink.terminal();
  EXPECT_EQ(terminal.size(), 1000u);
  EXPECT_TRUE(sink.one_terminal_each());
  ASSERT_EQ(terminal.count(iccid(11)), 1u);
  EXPECT_EQ(terminal.at(iccid(11)).at(0).state, job_state::failed);
  // The journal wrote the final state of every card before run() returned.
  EXPECT_EQ(store.size(), 1000u);
  EXPECT_EQ(store.states()[job_state::done], 999);
  // Batching happened: far fewer crypto batches than cards.
  EXPECT_LT(factory.batches(), 1000);
}

INSTANTIATE_TEST_SUITE_P(Policies, engine_policy_test, ::testing::Values("sharing", "stealing"));

// A journal slower than the cards holds back new cards once journal_backlog_max state
// changes wait to be durable, instead of letting its mailbox grow with the campaign.
TEST_F(engine_test, SlowJournalHoldsBackNewCards) {
  store.set_save_delay(std::chrono::milliseconds(3));  // batches of 64: ~20k changes/s at most
  auto o = test_engine_options();
  o.journal_batch_max = 64;
  o.expand_chunk = 64;
  o.journal_backlog_max = 100;
  engine e(o, factory, tp, store, sink);
  // Samples the backlog while the campaign runs (a sampler, not a wait).
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> peak{0};
  std::thread sampler([&] {
    while (!stop.load()) {
      peak.store(std::max(peak.load(), e.journal_backlog()));
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  auto s = e.run(test_campaign(200), first_cards(3000));
  stop.store(true);
  sampler.join();
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->cards, 3000u);
  EXPECT_EQ(s->done, 3000u);
  EXPECT_EQ(e.journal_backlog(), 0u);
  // Past the bound only cards already in flight add changes (a few each).
  EXPECT_GT(peak.load(), 0u);
  EXPECT_LE(peak.load(), 100u + 5u * 200u);
  EXPECT_EQ(sink.terminal_count(), 3000u);
}

TEST_F(engine_test, ResumeSkipsTerminalCardsAndFinishesTheRest) {
  // Card 0 finished in an earlier run; card 1 was waiting for its PoR (counter 1).
  job_record done_job;
  done_job.state = job_state::done;
  done_job.attempt = 1;
  done_job.por_status = 0;
  store.put("c1", iccid(0), done_job);
  job_record waiting;
  waiting.state = job_state::accepted;
  waiting.attempt = 1;
  waiting.counters = {1};
  store.put("c1", iccid(1), waiting);
  engine e(test_engine_options(), factory, tp, store, sink);
  auto s = e.run(test_campaign(10), first_cards(20));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->cards, 20u);
  EXPECT_EQ(s->done, 20u);
  EXPECT_EQ(s->resumed_terminal, 1u);
  // The finished card was not sent again; the waiting one timed out and was resent.
  EXPECT_EQ(tp.submits(), 19);
  EXPECT_EQ(tp.submits_to(msisdn(0)), 0);
  EXPECT_EQ(tp.submits_to(msisdn(1)), 1);
  EXPECT_EQ(sink.terminal().count(iccid(0)), 0u);
  ASSERT_TRUE(store.get("c1", iccid(1)).has_value());
  EXPECT_EQ(store.get("c1", iccid(1))->attempt, 2);
}

// Cards whose counter is ahead of the engine's (a state directory restored from a backup)
// answer PoR 02: each job skips its counter ahead once and tries again at once. Far enough:
// every card done, two packets each, the second one's counter 1 + 1 + counter_skip.
TEST_F(engine_test, CounterLowSkipsAheadOnceAndEndsDone) {
  factory.set_card_counter(10);
  auto c = test_campaign(8);
  c->variants.at(0).def.security.counter_skip = 20;
  c->def.policy.job.max_attempts = 1;  // the skipped attempt comes on top
  engine e(test_engine_options(), factory, tp, store, sink);
  auto s = e.run(c, first_cards(20));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->done, 20u);
  EXPECT_EQ(s->failed, 0u);
  EXPECT_EQ(tp.submits(), 40);
  for (const auto& [iccid, card] : factory.cards()) EXPECT_EQ(card.counter, 22u) << iccid;
  EXPECT_TRUE(sink.one_terminal_each());
}

// Not far enough: the second PoR 02 fails every job for good, with the step in the reason.
TEST_F(engine_test, CounterStillLowAfterTheSkipFails) {
  factory.set_card_counter(10);
  auto c = test_campaign(8);
  c->variants.at(0).def.security.counter_skip = 5;
  engine e(test_engine_options(), factory, tp, store, sink);
  auto s = e.run(c, first_cards(12));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->done, 0u);
  EXPECT_EQ(s->failed, 12u);
  EXPECT_EQ(tp.submits(), 24);  // no retry after the second 02
  ASSERT_EQ(s->failure_reasons.size(), 1u);
  EXPECT_EQ(s->failure_reasons.begin()->first,
            "counter still low after skipping ahead by 5 (PoR 02 CNTR low)");
}

}  // namespace
}  // namespace otaflow::actors
