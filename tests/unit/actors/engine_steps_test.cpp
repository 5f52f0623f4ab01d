// Multi-step jobs (RAM campaigns) through the CAF engine and its fakes: every step packaged in
// turn, status events carrying step and steps, lost PoRs of LOAD steps (6A86), and a job
// resumed at its stored step.

#include <gtest/gtest.h>

#include "actors/engine.hpp"
#include "tests/unit/actors/engine_fakes.hpp"

namespace otaflow::actors {
namespace {

using namespace fakes;
using steps_list = std::vector<std::pair<std::uint16_t, std::uint16_t>>;

struct engine_steps_test : ::testing::Test, engine_ports {
  // INSTALL [for load], LOAD, LOAD, INSTALL [for install].
  std::shared_ptr<campaign_ctx> campaign() {
    auto c = test_campaign(50);
    auto& v = c->variants[0];
    for (auto kind :
         {step_kind::install_for_load, step_kind::load, step_kind::load, step_kind::script}) {
      prepared_step s;
      s.kind = kind;
      s.commands = 1;
      s.script = {0x80, 0xE8, 0x00, 0x00, 0x00};
      v.steps.push_back(s);
      v.step_kinds.push_back(kind);
    }
    return c;
  }
};

TEST_F(engine_steps_test, EveryStepInTurnWithStepEvents) {
  engine e(test_engine_options(), factory, tp, store, sink);
  auto s = e.run(campaign(), first_cards(20));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->done, 20u);
  EXPECT_EQ(tp.submits(), 20 * 4);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(factory.steps_sent(iccid(i)), (steps_list{{0, 0}, {1, 0}, {2, 0}, {3, 0}})) << i;
    auto job = store.get("c1", iccid(i));
    ASSERT_TRUE(job);
    EXPECT_EQ(job->state, job_state::done);
    EXPECT_EQ(job->step, 3);
    EXPECT_EQ(job->counters.size(), 4u);
  }
  // Each step goes packaging -> submitting -> accepted (-> delivered); the events say which.
  int packaging_of_step2 = 0;
  for (const auto& ev : sink.events()) {
    EXPECT_EQ(ev.steps, 4) << model::to_string(ev.state);
    if (ev.state == job_state::packaging && ev.step == 2) ++packaging_of_step2;
    if (ev.state == job_state::done) {
      EXPECT_EQ(ev.step, 3);
    }
  }
  EXPECT_EQ(packaging_of_step2, 20);
  EXPECT_TRUE(sink.one_terminal_each());
}

TEST_F(engine_steps_test, LostPorOfLoadAnd6A86OnResend) {
  // Card 3: step 1's PoR is lost; sent again, the card answers 6A86 (it has the block): the
  // step counts done. Card 5: the same, but step 2's first send also gets 6A86: the card is
  // behind, the job starts again from INSTALL [for load] (step 0), once.
  factory.set_step_rule([](const std::string& card, std::uint16_t step, std::uint16_t,
                           int send) -> fake_factory::step_answer {
    const bool c3 = card == iccid(3), c5 = card == iccid(5);
    if ((c3 || c5) && step == 1 && send == 1) return {0x9000, 1, true};
    if ((c3 || c5) && step == 1 && send == 2) return {0x6A86, 1, false};
    if (c5 && step == 2 && send == 1) return {0x6A86, 1, false};
    return {};
  });
  engine e(test_engine_options(), factory, tp, store, sink);
  auto s = e.run(campaign(), first_cards(8));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->done, 8u);
  EXPECT_EQ(factory.steps_sent(iccid(3)), (steps_list{{0, 0}, {1, 0}, {1, 0}, {2, 0}, {3, 0}}));
  EXPECT_EQ(factory.steps_sent(iccid(5)),
            (steps_list{{0, 0}, {1, 0}, {1, 0}, {2, 0}, {0, 0}, {1, 0}, {2, 0}, {3, 0}}));
  auto job5 = store.get("c1", iccid(5));
  ASSERT_TRUE(job5);
  EXPECT_EQ(job5->step_flags, model::step_flag::load_restarted);
}

TEST_F(engine_steps_test, ResumeContinuesAtTheStoredStep) {
  // An earlier run stopped with card 0 waiting for the PoR of step 2 (its packet lost).
  job_record j;
  j.state = job_state::accepted;
  j.attempt = 1;
  j.counters = {101, 102, 103};
  j.step = 2;
  j.step_at = 2;
  j.variant = "default";
  j.started_ms = 1;
  store.put("c1", iccid(0), j);
  engine e(test_engine_options(), factory, tp, store, sink);
  auto s = e.run(campaign(), first_cards(1));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->done, 1u);
  // No PoR comes for counter 3: step 2 is sent again after the timeout, then step 3.
  EXPECT_EQ(factory.steps_sent(iccid(0)), (steps_list{{2, 0}, {3, 0}}));
  EXPECT_EQ(store.get("c1", iccid(0))->step, 3);
}

}  // namespace
}  // namespace otaflow::actors
