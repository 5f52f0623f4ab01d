// The engine's campaign control against in-memory fakes: a wrong keyset (every card answers
// PoR 01) pauses the campaign on its alert after a bounded number of cards; pause, resume and
// cancel from outside while a campaign runs; per-bind throttling alerts; send windows and
// validity periods judged by a fake clock.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "actors/engine.hpp"

namespace otaflow::actors {
namespace {

using namespace std::chrono_literals;

// Packets are [counter (8 octets BE)]; PoRs are [counter (8), status (1)].
class fake_factory final : public packet_factory {
 public:
  std::vector<result<packaged>> package(std::span<const package_request> reqs) override {
    std::vector<result<packaged>> out;
    std::lock_guard lock(mu_);
    for (const auto& r : reqs) {
      const auto c = ++counters_[r.card->iccid];
      byte_writer w;
      w.uint_be(8, c);
      out.emplace_back(packaged{c, {w.take()}});
    }
    return out;
  }
  result<por_info> open_por(const card_info&, const campaign_ctx&, byte_view ud) override {
    byte_reader r(ud);
    por_info p;
    if (!r.uint_be(8, p.counter) || !r.u8(p.status))
      return make_error(errc::truncated, "short PoR");
    p.verified = true;
    p.script_sw = 0x9000;
    p.executed = 1;
    return p;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::uint64_t> counters_;
};

// Answers every submit from its own thread: per-bind outcome, submitted, a receipt, then a
// PoR with `por_status` (none when `silent`). While `hold` is set, submits wait unanswered.
// Every `throttle_every`-th submit is first answered ESME_RTHROTTLED (as the SMPP session
// reports it before resending).
class scripted_transport final : public transport {
 public:
  std::atomic<std::uint8_t> por_status{0};
  std::atomic<bool> silent{false};
  std::atomic<int> submits{0};
  int throttle_every = 0;

  scripted_transport() : worker_([this] { loop(); }) {}
  ~scripted_transport() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }
  void set_listener(transport_listener* l) override {
    std::lock_guard lock(mu_);
    listener_ = l;
  }
  void submit(submit_request r) override {
    ++submits;
    {
      std::lock_guard lock(mu_);
      q_.push_back(std::move(r));
    }
    cv_.notify_one();
  }
  void hold(bool on) {
    {
      std::lock_guard lock(mu_);
      hold_ = on;
    }
    cv_.notify_all();
  }

 private:
  void loop() {
    std::unique_lock lock(mu_);
    std::uint64_t id = 0;
    while (true) {
      cv_.wait(lock, [&] { return stop_ || (!hold_ && !q_.empty()); });
      if (stop_) return;
      auto r = std::move(q_.front());
      q_.pop_front();
      auto* l = listener_;
      if (!l) continue;
      ++id;
      if (throttle_every > 0 && id % static_cast<std::uint64_t>(throttle_every) == 0) {
        l->on_submit_outcome(r.tag, 0, submit_outcome::throttled);
      }
      l->on_submit_outcome(r.tag, 0, submit_outcome::accepted);
      const auto mid = std::to_string(id);
      l->on_submitted(r.tag, {mid});
      if (silent) continue;
      l->on_receipt(mid, 2, "");
      bytes por = r.segments.at(0);
      por.push_back(por_status.load());
      l->on_mo(r.dest_msisdn, por);
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<submit_request> q_;
  transport_listener* listener_ = nullptr;
  bool stop_ = false;
  bool hold_ = false;
  std::thread worker_;
};

class fake_store final : public job_store {
 public:
  result<std::optional<job_record>> load(const std::string& c, const std::string& i) override {
    std::lock_guard lock(mu);
    auto it = jobs.find(c + "/" + i);
    if (it == jobs.end()) return std::optional<job_record>{};
    return std::optional<job_record>{it->second};
  }
  status save(std::span<const job_update> ups, bool) override {
    std::lock_guard lock(mu);
    for (const auto& u : ups) jobs[u.campaign + "/" + u.iccid] = u.job;
    return {};
  }
  std::mutex mu;
  std::map<std::string, job_record> jobs;
};

class fake_sink final : public status_sink {
 public:
  void emit(std::span<const status_event> evs) override {
    std::lock_guard lock(mu);
    for (const auto& e : evs) {
      if (is_terminal(e.state)) ++terminal[e.iccid];
    }
  }
  std::mutex mu;
  std::map<std::string, int> terminal;
};

class fake_cursor final : public target_cursor {
 public:
  explicit fake_cursor(int n) : n_(n) {}
  result<std::vector<card_info>> next(std::size_t k) override {
    std::vector<card_info> out;
    while (out.size() < k && i_ < n_) {
      card_info c;
      c.iccid = "8900000000000" + std::to_string(100000 + i_);
      c.msisdn = "4670" + std::to_string(100000 + i_);
      out.push_back(std::move(c));
      ++i_;
    }
    return out;
  }

 private:
  int n_;
  int i_ = 0;
};

std::shared_ptr<campaign_ctx> make_campaign(std::uint32_t window) {
  auto c = std::make_shared<campaign_ctx>();
  c->def.id = "c1";
  c->def.policy.window = window;
  c->def.policy.job.retry_base = std::chrono::milliseconds(5);
  c->def.policy.job.por_timeout = std::chrono::milliseconds(200);
  c->variants.resize(1);
  c->variants[0].def.name = "default";
  c->variants[0].commands = 1;
  return c;
}

engine_options small() {
  engine_options o;
  o.scheduler_threads = 2;
  o.crypto_batch_max = 64;
  o.journal_batch_max = 256;
  o.expand_chunk = 16;
  return o;
}

struct engine_control : ::testing::Test {
  fake_factory factory;
  scripted_transport tp;
  fake_store store;
  fake_sink sink;

  std::map<job_state, int> states() {
    std::lock_guard lock(store.mu);
    std::map<job_state, int> n;
    for (const auto& [k, j] : store.jobs) ++n[j.state];
    return n;
  }
  void exactly_one_terminal_each() {
    std::lock_guard lock(sink.mu);
    for (const auto& [iccid, n] : sink.terminal) EXPECT_EQ(n, 1) << iccid;
  }
};

TEST_F(engine_control, WrongKeysetPausesItselfAfterABoundedNumberOfCards) {
  tp.por_status = 0x01;  // RC/CC/DS failed: the cards do not have these keys
  auto c = make_campaign(50);
  c->def.alerts.pause_on_alert = true;  // min_cards 100, window 1000, PoR errors 5%
  std::vector<alert> seen;
  std::mutex mu;
  engine e(small(), factory, tp, store, sink);
  e.set_alert_handler([&](const alert& a) {
    std::lock_guard lock(mu);
    seen.push_back(a);
  });
  auto s = e.run(c, std::make_unique<fake_cursor>(5000));
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
  const int sent = tp.submits.load();
  EXPECT_GE(sent, 100);
  EXPECT_LE(sent, 100 + 3 * 50) << "cards sent before the pause took hold";
  EXPECT_EQ(s->cards, static_cast<std::uint64_t>(sent));  // each sent card failed with PoR 01
  EXPECT_EQ(s->failure_reasons["PoR 01 RC/CC/DS failed"], s->cards);
  EXPECT_EQ(s->por_status[0x01], s->cards);
  // The 4,800 and more cards never started have no job at all.
  std::lock_guard lock(store.mu);
  EXPECT_EQ(store.jobs.size(), static_cast<std::size_t>(sent));
}

TEST_F(engine_control, PauseFromOutsideThenResumeInANewRun) {
  tp.hold(true);
  engine e(small(), factory, tp, store, sink);
  result<campaign_summary> first = make_error(errc::internal, "not run");
  std::thread runner([&] { first = e.run(make_campaign(20), std::make_unique<fake_cursor>(200)); });
  while (tp.submits.load() < 20) std::this_thread::sleep_for(1ms);
  e.set_mode("c1", campaign_mode::paused);
  std::this_thread::sleep_for(50ms);
  tp.hold(false);  // the 20 in flight finish their attempt; nothing new starts
  runner.join();
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->paused);
  EXPECT_EQ(first->done, 20u);
  EXPECT_EQ(tp.submits.load(), 20);
  // A new run (what `campaign run --resume` does) finishes the rest.
  auto second = e.run(make_campaign(20), std::make_unique<fake_cursor>(200));
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->paused);
  EXPECT_EQ(second->resumed_terminal, 20u);
  EXPECT_EQ(second->done, 200u);
  EXPECT_EQ(tp.submits.load(), 200);
  exactly_one_terminal_each();
}

TEST_F(engine_control, PausedRetriesHoldAndTheRunEndsWithThemStored) {
  tp.silent = true;  // no PoR: every attempt times out (200 ms) and wants a retry
  engine e(small(), factory, tp, store, sink);
  result<campaign_summary> s = make_error(errc::internal, "not run");
  std::thread runner([&] { s = e.run(make_campaign(10), std::make_unique<fake_cursor>(10)); });
  while (tp.submits.load() < 10) std::this_thread::sleep_for(1ms);
  e.set_mode("c1", campaign_mode::paused);
  runner.join();  // ends once every job holds its retry
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->paused);
  EXPECT_EQ(s->cards, 0u);
  EXPECT_EQ(tp.submits.load(), 10);
  EXPECT_EQ(states()[job_state::retry_wait], 10);
  // Resumed, the held retries go out (attempt 2) and finish.
  tp.silent = false;
  auto again = e.run(make_campaign(10), std::make_unique<fake_cursor>(10));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->done, 10u);
  EXPECT_EQ(tp.submits.load(), 20);
  std::lock_guard lock(store.mu);
  for (const auto& [k, j] : store.jobs) EXPECT_EQ(j.attempt, 2) << k;
}

TEST_F(engine_control, CancelFailsJobsInFlightOnce) {
  tp.hold(true);
  engine e(small(), factory, tp, store, sink);
  result<campaign_summary> s = make_error(errc::internal, "not run");
  std::thread runner([&] { s = e.run(make_campaign(30), std::make_unique<fake_cursor>(100)); });
  while (tp.submits.load() < 30) std::this_thread::sleep_for(1ms);
  e.set_mode("c1", campaign_mode::cancelled);
  runner.join();
  tp.hold(false);  // late answers find no job
  std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->cancelled);
  EXPECT_EQ(s->failed, 30u);
  EXPECT_EQ(s->failure_reasons["cancelled: campaign cancelled"], 30u);
  EXPECT_EQ(states()[job_state::failed], 30);
  exactly_one_terminal_each();
}

TEST_F(engine_control, ThrottledBindRaisesABindAlertThatDoesNotPause) {
  tp.throttle_every = 1;  // every submit_sm is throttled once, then accepted: 50%
  auto c = make_campaign(20);
  c->def.alerts.pause_on_alert = true;
  c->def.alerts.min_cards = 20;
  c->def.alerts.window = 40;
  engine e(small(), factory, tp, store, sink);
  auto s = e.run(c, std::make_unique<fake_cursor>(100));
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
  auto c = make_campaign(10);
  c->def.policy.time.window = send_window{8 * 60, 20 * 60};
  engine e(small(), factory, tp, store, sink);
  e.set_clock(clock);
  result<campaign_summary> s = make_error(errc::internal, "not run");
  std::thread runner([&] { s = e.run(c, std::make_unique<fake_cursor>(50)); });
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(tp.submits.load(), 0);  // asleep until 08:00
  runner.join();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->done, 50u);
  EXPECT_GE(clock() - open, 0);
}

TEST_F(engine_control, ValidityExpiredFailsEveryJobNotTerminal) {
  tp.silent = true;  // cards never answer: jobs stay in flight until not_after
  const auto start = *parse_rfc3339("2026-12-01T12:00:00Z");
  const auto t0 = std::chrono::steady_clock::now();
  auto clock = [=] {
    return start + std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - t0)
                       .count();
  };
  auto c = make_campaign(10);
  c->def.policy.job.por_timeout = 10s;
  c->def.policy.time.not_after_ms = start + 300;
  engine e(small(), factory, tp, store, sink);
  e.set_clock(clock);
  auto s = e.run(c, std::make_unique<fake_cursor>(100));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->cards, 100u);
  EXPECT_EQ(s->failed, 100u);
  EXPECT_EQ(s->failure_reasons["validity expired"], 100u);
  EXPECT_EQ(tp.submits.load(), 10);  // the first window only; the rest never left
  EXPECT_EQ(states()[job_state::failed], 100);
  exactly_one_terminal_each();
}

// ---- service mode (otaflow serve) ----------------------------------------------------------

bool eventually(const std::function<bool()>& f, std::chrono::milliseconds limit = 10s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (f()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return f();
}

TEST_F(engine_control, ServiceModePausesTheCampaignOnItsAlertLikeAPauseCommand) {
  tp.por_status = 0x01;
  auto c = make_campaign(0);
  c->def.alerts.pause_on_alert = true;
  c->def.alerts.min_cards = 20;
  c->def.alerts.window = 100;
  engine e(small(), factory, tp, store, sink);
  std::atomic<int> alerts{0};
  e.set_alert_handler([&](const alert& a) {
    if (a.paused) ++alerts;
  });
  ASSERT_TRUE(e.start_service(service_options{10}, {}).ok());
  e.set_campaign(c, campaign_mode::running);
  e.admit("c1", std::make_unique<fake_cursor>(300), 1);
  ASSERT_TRUE(eventually([&] { return alerts.load() == 1 && e.backlog() == 0; }));
  const auto st = e.stats();
  EXPECT_GE(st.failed, 20u);
  EXPECT_LE(st.started, 20u + 3 * 10u);            // min_cards + the window in flight
  EXPECT_EQ(st.queued_paused + st.started, 300u);  // the rest queued durably, not sent
  // Jobs started just before the pause hold before their first packet (parked, `queued`).
  const int sent = tp.submits.load();
  EXPECT_LE(sent, static_cast<int>(st.started));
  EXPECT_EQ(st.failed, static_cast<std::uint64_t>(sent));
  e.stop_service(1s);
  EXPECT_EQ(states()[job_state::failed], sent);
  EXPECT_EQ(states()[job_state::queued], 300 - sent);
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
  auto c = make_campaign(0);
  c->def.policy.time.window = send_window{8 * 60, 20 * 60};
  engine e(small(), factory, tp, store, sink);
  e.set_clock(clock);
  std::atomic<int> reopened{0};
  // What serve's registry does: admit the campaign's non-terminal jobs again.
  e.set_reopen_handler([&](const std::string& id) {
    ++reopened;
    e.admit(id, std::make_unique<fake_cursor>(40), 0);
  });
  ASSERT_TRUE(e.start_service(service_options{100}, {}).ok());
  e.set_campaign(c, campaign_mode::running);
  e.admit("c1", std::make_unique<fake_cursor>(40), 1);
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(tp.submits.load(), 0);
  EXPECT_EQ(e.stats().queued_window, 40u);
  ASSERT_TRUE(eventually([&] { return e.stats().done == 40; }));
  EXPECT_EQ(reopened.load(), 1);
  EXPECT_EQ(tp.submits.load(), 40);
  e.stop_service(1s);
  exactly_one_terminal_each();
}

}  // namespace
}  // namespace otaflow::actors
