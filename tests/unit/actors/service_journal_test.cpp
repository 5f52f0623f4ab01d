// The service actor and the journal when the store is late or refuses rows: a job that
// ended is not started again before its terminal state is durable (one terminal status and
// one packet per job), and a row the store refuses fails that job alone.

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

struct service_journal_test : ::testing::Test, engine_ports {
  std::mutex mu;
  std::vector<std::uint64_t> admitted;
  std::vector<alert> alerts;

  std::unique_ptr<engine> start(std::size_t window) {
    auto e = std::make_unique<engine>(test_engine_options(), factory, tp, store, sink);
    e->set_alert_handler([this](const alert& a) {
      std::lock_guard lock(mu);
      alerts.push_back(a);
    });
    auto s = e->start_service(service_options{window}, [this](std::uint64_t t) {
      std::lock_guard lock(mu);
      admitted.push_back(t);
    });
    EXPECT_TRUE(s.ok());
    e->set_campaign(test_campaign(policy_def{}.window, 20ms, 300ms), campaign_mode::running);
    return e;
  }
  std::size_t admitted_count() {
    std::lock_guard lock(mu);
    return admitted.size();
  }
  std::vector<alert> alerts_now() {
    std::lock_guard lock(mu);
    return alerts;
  }
};

// Released before the engine goes, whatever fails (its journal would block forever).
struct release_store {
  fake_job_store& s;
  ~release_store() { s.hold(false); }
};

TEST_F(service_journal_test, AnEndedJobIsNotStartedAgainBeforeItsTerminalStateIsDurable) {
  tp.hold(true);  // the jobs wait for their submits while their first states become durable
  auto e = start(16);
  release_store guard{store};  // before the engine goes
  for (int i = 0; i < 5; ++i) {
    e->admit("c1", std::make_unique<range_cursor>(i, i + 1), static_cast<std::uint64_t>(i + 1));
  }
  ASSERT_TRUE(wait_until([&] { return admitted_count() == 5; }, patience, "5 queued, durable"));
  // From here nothing becomes durable: every job ends while the store holds a state before
  // its submit was answered.
  store.hold(true);
  tp.hold(false);
  ASSERT_TRUE(wait_until([&] { return e->stats().done == 5; }, patience, "the 5 jobs end"));
  for (int i = 0; i < 5; ++i) {
    ASSERT_FALSE(is_terminal(store.get("c1", iccid(i))->state)) << i;
  }
  // A duplicate trigger, a resume and a send window reopening admit the cards again; a
  // resume and a reopen admit what the store says is not terminal (serve's resume_jobs).
  e->admit("c1", std::make_unique<range_cursor>(0, 5), 100);
  e->set_mode("c1", campaign_mode::paused);
  e->set_mode("c1", campaign_mode::running);
  e->admit("c1", non_terminal_cards(store, "c1", 5), 101);
  e->admit("c1", non_terminal_cards(store, "c1", 5), 102);
  ASSERT_TRUE(wait_until([&] { return e->stats().skipped_terminal == 15; }, patience,
                         "15 admissions answered as terminal"));
  EXPECT_EQ(e->stats().started, 5u);
  store.hold(false);
  ASSERT_TRUE(wait_until([&] { return admitted_count() == 8; }, patience, "8 tokens reported"));
  ASSERT_TRUE(wait_until([&] { return sink.terminal_count() == 5; }, patience, "5 terminal"));
  // Durable now: a later trigger reads the terminal state from the store.
  e->admit("c1", std::make_unique<range_cursor>(0, 5), 103);
  ASSERT_TRUE(wait_until([&] { return admitted_count() == 9; }, patience, "9 tokens reported"));
  e->stop_service(1s);
  EXPECT_EQ(e->stats().skipped_terminal, 20u);
  EXPECT_EQ(e->stats().started, 5u);
  EXPECT_EQ(e->stats().done, 5u);
  EXPECT_TRUE(sink.one_terminal_each());
  EXPECT_EQ(tp.submits(), 5);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(tp.submits_to(msisdn(i)), 1) << i;
    EXPECT_EQ(store.get("c1", iccid(i))->state, job_state::done) << i;
    EXPECT_EQ(sink.terminal()[iccid(i)].at(0).state, job_state::done) << i;
  }
}

// The alerts raised of kind journal, and that they name the card.
::testing::AssertionResult one_journal_alert(const std::vector<alert>& alerts,
                                             const std::string& iccid) {
  std::vector<alert> j;
  std::copy_if(alerts.begin(), alerts.end(), std::back_inserter(j),
               [](const alert& a) { return a.kind == alert_kind::journal; });
  if (j.size() != 1) return ::testing::AssertionFailure() << j.size() << " journal alerts";
  if (j[0].campaign != "c1" || j[0].message.find(iccid) == std::string::npos ||
      j[0].message.rfind("journal: cannot save c1 / ", 0) != 0) {
    return ::testing::AssertionFailure() << "alert: " << j[0].campaign << ": " << j[0].message;
  }
  return ::testing::AssertionSuccess();
}

TEST_F(service_journal_test, ARowTheStoreRefusesFailsThatJobAloneAndItsFailedStateIsSaved) {
  store.refuse(iccid(3), /*failed_too=*/false);
  auto e = start(16);
  for (int i = 0; i < 10; ++i) {
    e->admit("c1", std::make_unique<range_cursor>(i, i + 1), static_cast<std::uint64_t>(i + 1));
  }
  ASSERT_TRUE(wait_until([&] { return sink.terminal_count() == 10; }, patience, "10 terminal"));
  ASSERT_TRUE(wait_until([&] { return admitted_count() == 10; }, patience, "10 tokens"));
  ASSERT_TRUE(wait_until([&] { return e->stats().in_flight == 0; }, patience, "none in flight"));
  // Admitted again: the refused job is not started a second time.
  e->admit("c1", std::make_unique<range_cursor>(3, 4), 50);
  ASSERT_TRUE(wait_until([&] { return admitted_count() == 11; }, patience, "11 tokens"));
  e->stop_service(1s);
  EXPECT_TRUE(sink.one_terminal_each());
  for (int i = 0; i < 10; ++i) {
    const auto terminal = sink.terminal()[iccid(i)].at(0);
    const auto stored = store.get("c1", iccid(i));
    ASSERT_TRUE(stored) << i;
    if (i == 3) {
      EXPECT_EQ(terminal.state, job_state::failed);
      EXPECT_EQ(terminal.reason.rfind("journal: cannot save c1 / " + iccid(3) + ": ", 0), 0u)
          << terminal.reason;
      EXPECT_NE(terminal.reason.find("fake store: row of " + iccid(3) + " refused"),
                std::string::npos)
          << terminal.reason;
      EXPECT_EQ(stored->state, job_state::failed);
      EXPECT_EQ(stored->reason, terminal.reason);
    } else {
      EXPECT_EQ(terminal.state, job_state::done) << i;
      EXPECT_EQ(stored->state, job_state::done) << i;
      EXPECT_EQ(tp.submits_to(msisdn(i)), 1) << i;
    }
  }
  EXPECT_LE(tp.submits_to(msisdn(3)), 1);
  EXPECT_EQ(e->stats().done, 9u);
  EXPECT_EQ(e->stats().failed, 1u);
  EXPECT_TRUE(one_journal_alert(alerts_now(), iccid(3)));
}

TEST_F(service_journal_test, AJobWhoseFailedStateCannotBeSavedEitherIsReleasedWithoutAStatus) {
  store.refuse(iccid(3));
  auto e = start(16);
  for (int i = 0; i < 10; ++i) {
    e->admit("c1", std::make_unique<range_cursor>(i, i + 1), static_cast<std::uint64_t>(i + 1));
  }
  ASSERT_TRUE(wait_until([&] { return sink.terminal_count() == 9; }, patience, "9 terminal"));
  ASSERT_TRUE(wait_until([&] { return admitted_count() == 10; }, patience, "10 tokens"));
  ASSERT_TRUE(wait_until([&] { return e->stats().in_flight == 0; }, patience, "none in flight"));
  ASSERT_TRUE(wait_until([&] { return e->stats().failed == 1; }, patience, "one failed"));
  e->stop_service(1s);
  EXPECT_TRUE(sink.one_terminal_each());
  EXPECT_EQ(sink.terminal().count(iccid(3)), 0u);
  for (const auto& ev : sink.events()) EXPECT_NE(ev.iccid, iccid(3));  // nothing of it left
  EXPECT_FALSE(store.get("c1", iccid(3)));
  for (int i = 0; i < 10; ++i) {
    if (i == 3) continue;
    EXPECT_EQ(store.get("c1", iccid(i))->state, job_state::done) << i;
  }
  EXPECT_EQ(e->stats().done, 9u);
  EXPECT_TRUE(one_journal_alert(alerts_now(), iccid(3)));
}

}  // namespace
}  // namespace otaflow::actors
