// The alert monitor: sliding windows, min_cards, thresholds, one alert per (scope, kind)
// until the rate falls below half the threshold, per-bind windows, and which events of a job
// count as outcomes (classify).

#include "actors/alert_monitor.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace otaflow::actors {
namespace {

alert_outcome por(std::uint8_t status) {
  return {alert_kind::por_error, status != 0, status};
}

TEST(AlertMonitor, WrongKeysetRaisesOneAlertAfterMinCards) {
  alert_policy p;  // min_cards 100, window 1000, PoR errors 5%
  p.pause_on_alert = true;
  alert_monitor m("c1", p);
  std::vector<alert> raised;
  for (int i = 0; i < 500; ++i) {
    for (auto& a : m.observe(por(0x01), "", 1000 + i)) raised.push_back(a);
  }
  ASSERT_EQ(raised.size(), 1u);  // the 100th PoR; then silence while it stays high
  const auto& a = raised[0];
  EXPECT_EQ(a.campaign, "c1");
  EXPECT_FALSE(a.bind);
  EXPECT_EQ(a.kind, alert_kind::por_error);
  EXPECT_EQ(a.sample, 100u);
  EXPECT_EQ(a.count, 100u);
  EXPECT_DOUBLE_EQ(a.rate, 1.0);
  EXPECT_DOUBLE_EQ(a.threshold, 0.05);
  EXPECT_TRUE(a.paused);
  EXPECT_FALSE(a.cleared);
  EXPECT_EQ(a.ts_ms, 1099);
  EXPECT_EQ(a.message,
            "PoR 01 on 100 of 100 PoRs (RC/CC/DS failed); PoR errors 100.0% >= threshold 5.0%");
  EXPECT_TRUE(m.active(alert_kind::por_error));
}

TEST(AlertMonitor, NothingIsJudgedBeforeMinCards) {
  alert_policy p;
  p.min_cards = 10;
  p.window = 20;
  alert_monitor m("c1", p);
  for (int i = 0; i < 9; ++i) EXPECT_TRUE(m.observe(por(0x09), "", 0).empty());
  auto a = m.observe(por(0x00), "", 0);  // 10th outcome: 9 of 10 bad
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].count, 9u);
  EXPECT_EQ(a[0].sample, 10u);
  EXPECT_EQ(a[0].message.substr(0, 27), "PoR 09 on 9 of 10 PoRs (TAR");
  EXPECT_FALSE(a[0].paused);  // pause_on_alert is off by default
}

TEST(AlertMonitor, HealthyCampaignRaisesNothing) {
  alert_monitor m("c1", alert_policy{});
  // 4% PoR errors, evenly spread: below 5%.
  for (int i = 0; i < 5000; ++i) {
    EXPECT_TRUE(m.observe(por(i % 25 == 0 ? 0x01 : 0x00), "", i).empty()) << i;
  }
}

TEST(AlertMonitor, HysteresisClearsBelowHalfTheThresholdThenRaisesAgain) {
  alert_policy p;
  p.min_cards = 10;
  p.window = 10;
  p.timeout_rate = 0.5;
  alert_monitor m("c1", p);
  const alert_outcome bad{alert_kind::timeout, true, 0}, good{alert_kind::timeout, false, 0};
  for (int i = 0; i < 5; ++i) (void)m.observe(good, "", 0);
  std::vector<alert> out;
  for (int i = 0; i < 5; ++i) {
    for (auto& a : m.observe(bad, "", 0)) out.push_back(a);
  }
  ASSERT_EQ(out.size(), 1u);  // 5 of 10 = 50% reaches 50%
  EXPECT_EQ(out[0].message,
            "no PoR within the timeout on 5 of 10 attempts; timeouts 50.0% >= threshold 50.0%");
  out.clear();
  // Good outcomes: the first 5 push the old good ones out (still 50%), then 40%, 30%, 20%
  // (below 25%, half the threshold: cleared).
  for (int i = 0; i < 8; ++i) {
    for (auto& a : m.observe(good, "", 0)) out.push_back(a);
  }
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].cleared);
  EXPECT_FALSE(m.active(alert_kind::timeout));
  out.clear();
  for (int i = 0; i < 10; ++i) {
    for (auto& a : m.observe(bad, "", 0)) out.push_back(a);
  }
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].cleared);
}

TEST(AlertMonitor, SlidingWindowForgetsOldOutcomes) {
  alert_policy p;
  p.min_cards = 100;
  p.window = 100;
  alert_monitor m("c1", p);
  // 4 bad in the first 100 (4%), then only good ones: never 5%.
  for (int i = 0; i < 100; ++i) (void)m.observe(por(i < 4 ? 0x01 : 0x00), "", 0);
  // 96 good + 4 new bad at the end: the old 4 have left the window by then: 4% again.
  for (int i = 0; i < 96; ++i) EXPECT_TRUE(m.observe(por(0), "", 0).empty());
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(m.observe(por(0x01), "", 0).empty()) << i;
  auto a = m.observe(por(0x01), "", 0);  // 5 of the last 100
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].count, 5u);
}

TEST(AlertMonitor, ThrottlingIsJudgedPerBindOnly) {
  alert_policy p;
  p.min_cards = 4;
  p.window = 4;
  p.pause_on_alert = true;
  alert_monitor m("c1", p);
  const alert_outcome thr{alert_kind::throttle, true, 0}, ok{alert_kind::throttle, false, 0};
  // Bind a: half throttled (reaches 50%); bind b: never.
  std::vector<alert> out;
  for (int i = 0; i < 4; ++i) {
    for (auto& a : m.observe(i % 2 ? thr : ok, "smsc:2775/0", 7)) out.push_back(a);
    for (auto& a : m.observe(ok, "smsc:2775/1", 7)) out.push_back(a);
  }
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].bind, std::optional<std::string>("smsc:2775/0"));
  EXPECT_EQ(out[0].kind, alert_kind::throttle);
  EXPECT_FALSE(out[0].paused);  // a bind's alert never pauses the campaign
  EXPECT_EQ(out[0].message,
            "bind smsc:2775/0: ESME_RTHROTTLED on 2 of 4 submit_sm; throttled 50.0% >= threshold "
            "50.0%");
  EXPECT_FALSE(m.active(alert_kind::throttle));  // no campaign-wide throttle window
  EXPECT_TRUE(m.active(alert_kind::throttle, "smsc:2775/0"));
}

TEST(AlertMonitor, RejectedPorsAreJudgedForTheCampaignAndPerBind) {
  alert_policy p;
  p.min_cards = 4;
  p.window = 4;
  alert_monitor m("c1", p);
  const alert_outcome bad{alert_kind::por_rejected, true, 0};
  const alert_outcome good{alert_kind::por_rejected, false, 0};
  // Bind 0 carries one forged PoR in four (25% >= the default 1%); bind 1 only genuine ones.
  std::vector<alert> out;
  for (int i = 0; i < 4; ++i) {
    for (auto& a : m.observe(i == 3 ? bad : good, "smsc:2775/0", 7)) out.push_back(a);
    for (auto& a : m.observe(good, "smsc:2775/1", 7)) out.push_back(a);
  }
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].bind, std::nullopt);  // the campaign window is fed before the bind one
  EXPECT_EQ(out[1].bind, std::optional<std::string>("smsc:2775/0"));
  EXPECT_EQ(out[1].kind, alert_kind::por_rejected);
  EXPECT_EQ(out[1].message,
            "bind smsc:2775/0: 1 of 4 PoRs rejected (RC/CC/DS missing or wrong: forged or "
            "corrupted); rejected 25.0% >= threshold 1.0%");
  EXPECT_TRUE(m.active(alert_kind::por_rejected));
  EXPECT_TRUE(m.active(alert_kind::por_rejected, "smsc:2775/0"));
  EXPECT_FALSE(m.active(alert_kind::por_rejected, "smsc:2775/1"));
  EXPECT_EQ(to_string(alert_kind::por_rejected), "por_rejected");
}

TEST(AlertMonitor, UndeliverableIsJudgedForTheCampaignAndItsBind) {
  alert_policy p;
  p.min_cards = 10;
  p.window = 10;
  alert_monitor m("c1", p);
  std::vector<alert> out;
  for (int i = 0; i < 10; ++i) {
    const alert_outcome o{alert_kind::undeliverable, i < 2, std::uint8_t(i < 2 ? 5 : 2)};
    for (auto& a : m.observe(o, "b/0", 0)) out.push_back(a);
  }
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FALSE(out[0].bind);
  EXPECT_EQ(out[0].message,
            "receipt UNDELIVERABLE on 2 of 10 final receipts; failed receipts 20.0% >= threshold "
            "10.0%");
  EXPECT_EQ(out[1].bind, std::optional<std::string>("b/0"));
}

TEST(AlertMonitor, DisabledOrZeroThresholdRaisesNothing) {
  alert_policy off;
  off.enabled = false;
  off.min_cards = 1;
  alert_monitor m1("c1", off);
  alert_policy zero;
  zero.min_cards = 1;
  zero.por_error_rate = 0;
  alert_monitor m2("c1", zero);
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE(m1.observe(por(1), "", 0).empty());
    EXPECT_TRUE(m2.observe(por(1), "", 0).empty());
  }
}

// A property: however outcomes arrive, no (scope, kind) raises twice without a clear between.
RC_GTEST_PROP(AlertMonitor, RaisesAndClearsAlternate, (const std::vector<bool>& bads)) {
  alert_policy p;
  p.min_cards = 5;
  p.window = 20;
  p.por_error_rate = 0.3;
  alert_monitor m("c", p);
  bool active = false;
  for (bool b : bads) {
    for (const auto& a : m.observe(por(b ? 0x01 : 0x00), "", 0)) {
      RC_ASSERT(a.cleared == active);
      RC_ASSERT(a.sample >= 5u);
      RC_ASSERT((a.cleared ? a.rate < 0.15 : a.rate >= 0.3));
      active = !a.cleared;
    }
  }
  RC_ASSERT(m.active(alert_kind::por_error) == active);
}

// ---- classify ------------------------------------------------------------------------------

job_record waiting(job_state s) {
  job_record j;
  j.state = s;
  j.attempt = 1;
  j.counters = {41, 42};
  j.timer_epoch = 3;
  return j;
}

TEST(AlertClassify, PorOfOwnPacketCountsForPorErrorsAndTimeouts) {
  const auto j = waiting(job_state::accepted);
  EXPECT_EQ(classify(j, ev_por{42, 0x01, true, {}, 0, 1}),
            (std::vector<alert_outcome>{{alert_kind::por_error, true, 0x01},
                                        {alert_kind::timeout, false, 0}}));
  EXPECT_EQ(classify(j, ev_por{41, 0x00, true, {}, 0, 1}),
            (std::vector<alert_outcome>{{alert_kind::por_error, false, 0x00},
                                        {alert_kind::timeout, false, 0}}));
  EXPECT_TRUE(classify(j, ev_por{7, 0x01, true, {}, 0, 1}).empty());   // not its packet
  EXPECT_TRUE(classify(j, ev_por{42, 0x08, true, {}, 0, 1}).empty());  // more time
  EXPECT_TRUE(classify(waiting(job_state::done), ev_por{42, 0x01, true, {}, 0, 1}).empty());
  // A late PoR while packaging the next attempt: a PoR error outcome, but not "in time".
  EXPECT_EQ(classify(waiting(job_state::packaging), ev_por{41, 0x01, true, {}, 0, 1}),
            (std::vector<alert_outcome>{{alert_kind::por_error, true, 0x01}}));
}

TEST(AlertClassify, UnsecuredErrorPorOfTheAttemptInFlightCountsWhateverItsCounter) {
  // A card that could not decipher the command answers 09 unsecured with counter 0.
  EXPECT_EQ(classify(waiting(job_state::accepted), ev_por{0, 0x09, false, {}, 0, 1}),
            (std::vector<alert_outcome>{{alert_kind::por_error, true, 0x09},
                                        {alert_kind::timeout, false, 0}}));
  EXPECT_EQ(classify(waiting(job_state::delivered), ev_por{0, 0x01, false, {}, 0, 1}),
            (std::vector<alert_outcome>{{alert_kind::por_error, true, 0x01},
                                        {alert_kind::timeout, false, 0}}));
  // Not waiting for a PoR, or a status a card never sends unsecured: nothing.
  EXPECT_TRUE(classify(waiting(job_state::packaging), ev_por{0, 0x09, false, {}, 0, 1}).empty());
  EXPECT_TRUE(classify(waiting(job_state::accepted), ev_por{0, 0x00, false, {}, 0, 1}).empty());
  EXPECT_TRUE(classify(waiting(job_state::accepted), ev_por{0, 0x0B, false, {}, 0, 1}).empty());
}

TEST(AlertClassify, FinalReceiptsOnly) {
  EXPECT_EQ(classify(waiting(job_state::accepted), ev_receipt{2, ""}),
            (std::vector<alert_outcome>{{alert_kind::undeliverable, false, 2}}));
  // The receipt of a second segment: already delivered.
  EXPECT_TRUE(classify(waiting(job_state::delivered), ev_receipt{2, ""}).empty());
  for (std::uint8_t s : {3, 5, 8}) {
    EXPECT_EQ(classify(waiting(job_state::delivered), ev_receipt{s, "001"}),
              (std::vector<alert_outcome>{{alert_kind::undeliverable, true, s}}));
  }
  EXPECT_TRUE(classify(waiting(job_state::accepted), ev_receipt{1, ""}).empty());  // ENROUTE
  EXPECT_TRUE(classify(waiting(job_state::retry_wait), ev_receipt{5, ""}).empty());
}

TEST(AlertClassify, CurrentPorTimerOnly) {
  EXPECT_EQ(classify(waiting(job_state::delivered), ev_por_timeout{3}),
            (std::vector<alert_outcome>{{alert_kind::timeout, true, 0}}));
  EXPECT_TRUE(classify(waiting(job_state::delivered), ev_por_timeout{2}).empty());  // stale
  EXPECT_TRUE(classify(waiting(job_state::retry_wait), ev_por_timeout{3}).empty());
  EXPECT_TRUE(classify(waiting(job_state::accepted), ev_start{}).empty());
}

}  // namespace
}  // namespace otaflow::actors
