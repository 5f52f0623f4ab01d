// The engine's service mode (otaflow serve) against in-memory fakes of its ports:
// admissions are idempotent, tokens are reported only once the jobs' first state is
// durable, the window bounds the jobs in flight, and pause / resume / cancel / withdraw
// do what actors/service.hpp promises.

#include <condition_variable>
#include <deque>
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
    if (!r.uint_be(8, p.counter) || !r.u8(p.status)) return make_error(errc::truncated, "short");
    p.verified = true;
    p.script_sw = 0x9000;
    p.executed = 1;
    return p;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::uint64_t> counters_;
};

// Answers each submit from its own thread with a receipt and a PoR, unless `silent` (then
// only submit_sm_resp). Cards in `absent_once` get UNDELIVERABLE on their first message.
class fake_transport final : public transport {
 public:
  std::atomic<bool> silent{false};
  std::atomic<int> submits{0};
  std::set<std::string> absent_once;  // set before use

  fake_transport() : worker_([this] { loop(); }) {}
  ~fake_transport() override {
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

 private:
  void loop() {
    std::unique_lock lock(mu_);
    std::uint64_t id = 0;
    while (true) {
      cv_.wait(lock, [&] { return stop_ || !q_.empty(); });
      if (stop_) return;
      auto r = std::move(q_.front());
      q_.pop_front();
      auto* l = listener_;
      if (!l) continue;
      const auto mid = std::to_string(++id);
      l->on_submitted(r.tag, {mid});
      if (silent) continue;
      if (absent_once.erase(r.dest_msisdn)) {
        l->on_receipt(mid, 5, "001");
        continue;
      }
      l->on_receipt(mid, 2, "");
      bytes por = r.segments.at(0);
      por.push_back(0x00);
      l->on_mo(r.dest_msisdn, por);
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<submit_request> q_;
  transport_listener* listener_ = nullptr;
  bool stop_ = false;
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
    std::unique_lock lock(mu);
    held_cv.wait(lock, [&] { return !hold; });
    for (const auto& u : ups) jobs[u.campaign + "/" + u.iccid] = u.job;
    return {};
  }
  // While held, save() blocks: a slow disk, the journal falls behind the jobs.
  void set_hold(bool h) {
    {
      std::lock_guard lock(mu);
      hold = h;
    }
    held_cv.notify_all();
  }
  std::optional<job_record> get(const std::string& key) {
    std::lock_guard lock(mu);
    auto it = jobs.find(key);
    if (it == jobs.end()) return std::nullopt;
    return it->second;
  }
  std::mutex mu;
  std::condition_variable held_cv;
  bool hold = false;
  std::map<std::string, job_record> jobs;
};

class fake_sink final : public status_sink {
 public:
  void emit(std::span<const status_event> evs) override {
    std::lock_guard lock(mu);
    for (const auto& e : evs) {
      events.push_back(e);
      if (is_terminal(e.state)) terminal[e.iccid].push_back(e);
    }
  }
  std::size_t terminal_count() {
    std::lock_guard lock(mu);
    return terminal.size();
  }
  std::mutex mu;
  std::vector<status_event> events;
  std::map<std::string, std::vector<status_event>> terminal;
};

std::string iccid(int i) {
  return "8900000000000" + std::to_string(100000 + i);
}
std::string msisdn(int i) {
  return "4670" + std::to_string(100000 + i);
}

card_info card(int i) {
  card_info c;
  c.iccid = iccid(i);
  c.msisdn = msisdn(i);
  return c;
}

// Cards [from, to).
class range_cursor final : public target_cursor {
 public:
  range_cursor(int from, int to) : i_(from), to_(to) {}
  result<std::vector<card_info>> next(std::size_t k) override {
    std::vector<card_info> out;
    while (out.size() < k && i_ < to_) out.push_back(card(i_++));
    return out;
  }

 private:
  int i_, to_;
};

// The non-terminal jobs of campaign c1 in the fake store (what serve resumes from storage).
class active_cursor final : public target_cursor {
 public:
  active_cursor(fake_store& s, int n) {
    for (int i = 0; i < n; ++i) {
      auto j = s.get("c1/" + iccid(i));
      if (j && !is_terminal(j->state)) cards_.push_back(card(i));
    }
  }
  result<std::vector<card_info>> next(std::size_t k) override {
    std::vector<card_info> out;
    while (out.size() < k && !cards_.empty()) {
      out.push_back(std::move(cards_.front()));
      cards_.pop_front();
    }
    return out;
  }

 private:
  std::deque<card_info> cards_;
};

std::shared_ptr<campaign_ctx> make_campaign() {
  auto c = std::make_shared<campaign_ctx>();
  c->def.id = "c1";
  c->def.policy.job.retry_base = 20ms;
  c->def.policy.job.por_timeout = 300ms;
  c->variants.resize(1);
  c->variants[0].def.name = "default";
  c->variants[0].commands = 1;
  return c;
}

template <class F>
bool eventually(F f, std::chrono::milliseconds limit = 10s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return f();
}

struct service_test : ::testing::Test {
  fake_factory factory;
  fake_transport tp;
  fake_store store;
  fake_sink sink;
  std::mutex mu;
  std::vector<std::uint64_t> admitted;
  std::vector<std::string> not_durable;  // tokens reported before their queued record was saved

  std::unique_ptr<engine> start(std::size_t window, std::size_t journal_backlog_max = 65536) {
    engine_options o{2, 64, 256, 16};
    o.journal_backlog_max = journal_backlog_max;
    auto e = std::make_unique<engine>(o, factory, tp, store, sink);
    auto s = e->start_service(service_options{window}, [this](std::uint64_t t) {
      // The token's card (t - 1 in these tests) must have a durable job by now.
      const auto key = "c1/" + iccid(static_cast<int>(t) - 1);
      if (t < 1'000'000 && !store.get(key)) {
        std::lock_guard lock(mu);
        not_durable.push_back(key);
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
};

TEST_F(service_test, EveryTriggeredCardReachesOneTerminalStateAndEveryTokenIsReportedOnce) {
  auto e = start(64);
  e->set_campaign(make_campaign(), campaign_mode::running);
  for (int i = 0; i < 300; ++i) {
    e->admit("c1", std::make_unique<range_cursor>(i, i + 1), static_cast<std::uint64_t>(i + 1));
  }
  ASSERT_TRUE(eventually([&] { return sink.terminal_count() == 300; }));
  ASSERT_TRUE(eventually([&] { return admitted_count() == 300; }));
  e->stop_service(1s);
  std::lock_guard lock(mu);
  std::set<std::uint64_t> unique(admitted.begin(), admitted.end());
  EXPECT_EQ(unique.size(), 300u);
  EXPECT_TRUE(not_durable.empty()) << not_durable.front();
  std::lock_guard lock2(sink.mu);
  for (const auto& [id, evs] : sink.terminal) {
    ASSERT_EQ(evs.size(), 1u) << id;
    EXPECT_EQ(evs[0].state, job_state::done);
  }
  // The first status of every card is `queued`, before anything is sent.
  std::map<std::string, job_state> first;
  for (const auto& ev : sink.events) first.try_emplace(ev.iccid, ev.state);
  for (const auto& [id, st] : first) EXPECT_EQ(st, job_state::queued) << id;
  EXPECT_EQ(tp.submits.load(), 300);
  const auto s = e->stats();
  EXPECT_EQ(s.started, 300u);
  EXPECT_EQ(s.done, 300u);
  EXPECT_EQ(s.in_flight, 0u);
}

TEST_F(service_test, DuplicateTriggersAreSkipped) {
  tp.silent = true;  // keep the first jobs in flight
  auto e = start(16);
  e->set_campaign(make_campaign(), campaign_mode::running);
  e->admit("c1", std::make_unique<range_cursor>(0, 5), 1);
  ASSERT_TRUE(eventually([&] { return tp.submits.load() == 5; }));
  e->admit("c1", std::make_unique<range_cursor>(0, 5), 2);  // same cards, in flight
  ASSERT_TRUE(eventually([&] { return admitted_count() == 2; }));
  EXPECT_EQ(e->stats().skipped_active, 5u);
  tp.silent = false;
  // The silent first attempts time out and are retried; then every card is done.
  ASSERT_TRUE(eventually([&] { return sink.terminal_count() == 5; }));
  ASSERT_TRUE(eventually([&] { return e->stats().in_flight == 0; }));
  e->admit("c1", std::make_unique<range_cursor>(0, 5), 3);  // terminal now
  ASSERT_TRUE(eventually([&] { return admitted_count() == 3; }));
  EXPECT_EQ(e->stats().skipped_terminal, 5u);
  EXPECT_EQ(e->stats().started, 5u);
  e->stop_service(1s);
  std::lock_guard lock(sink.mu);
  for (const auto& [id, evs] : sink.terminal) EXPECT_EQ(evs.size(), 1u) << id;
}

TEST_F(service_test, TheWindowBoundsJobsInFlight) {
  tp.silent = true;
  auto ctx = make_campaign();
  ctx->def.policy.job.por_timeout = 60s;
  auto e = start(10);
  e->set_campaign(ctx, campaign_mode::running);
  for (int i = 0; i < 25; ++i) {
    e->admit("c1", std::make_unique<range_cursor>(i, i + 1), static_cast<std::uint64_t>(i + 1));
  }
  ASSERT_TRUE(eventually([&] { return tp.submits.load() == 10; }));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(tp.submits.load(), 10);
  const auto s = e->stats();
  EXPECT_EQ(s.in_flight, 10u);
  EXPECT_EQ(s.waiting, 15u);
  EXPECT_EQ(e->backlog(), 25u);
  ASSERT_TRUE(eventually([&] { return admitted_count() == 10; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(admitted_count(), 10u);  // only the started ones are durable
  e->stop_service(10ms);
}

// State changes queued for a journal slower than the jobs are bounded
// (engine_options::journal_backlog_max): otherwise the engine ran ahead and the journal's
// mailbox (each entry pinning its ended subscriber) grew with every card: serve's RSS,
// issue 6. The store blocks here; the window alone would let every card start.
TEST_F(service_test, AJournalBehindHoldsBackNewJobs) {
  store.set_hold(true);
  auto e = start(10, 20);
  // Released before the engine goes, whatever fails below (its journal would block forever).
  struct release {
    fake_store& s;
    ~release() { s.set_hold(false); }
  } guard{store};
  e->set_campaign(make_campaign(), campaign_mode::running);
  for (int i = 0; i < 100; ++i) {
    e->admit("c1", std::make_unique<range_cursor>(i, i + 1), static_cast<std::uint64_t>(i + 1));
  }
  ASSERT_TRUE(eventually([&] { return e->stats().done >= 1 && e->stats().in_flight == 0; }));
  std::this_thread::sleep_for(200ms);
  // Each job started adds its queued record and a few changes; none is durable: once 20
  // wait, nothing more starts.
  const auto s = e->stats();
  EXPECT_GE(s.started, 1u);
  EXPECT_LE(s.started, 20u);
  EXPECT_EQ(static_cast<std::uint64_t>(tp.submits.load()), s.started);
  EXPECT_EQ(s.in_flight, 0u);
  EXPECT_GE(s.journal_backlog, 20u);
  EXPECT_EQ(sink.terminal_count(), 0u);
  store.set_hold(false);
  ASSERT_TRUE(eventually([&] { return sink.terminal_count() == 100; }));
  ASSERT_TRUE(eventually([&] { return admitted_count() == 100; }));
  ASSERT_TRUE(eventually([&] { return e->stats().journal_backlog == 0; }));
  EXPECT_EQ(tp.submits.load(), 100);
  EXPECT_EQ(e->stats().started, 100u);
  e->stop_service(1s);
}

TEST_F(service_test, WithdrawDropsAdmissionsNotStartedAndReturnsTheirTokens) {
  tp.silent = true;
  auto ctx = make_campaign();
  ctx->def.policy.job.por_timeout = 60s;
  auto e = start(3);
  e->set_campaign(ctx, campaign_mode::running);
  for (int i = 0; i < 8; ++i) {
    e->admit("c1", std::make_unique<range_cursor>(i, i + 1), static_cast<std::uint64_t>(i + 1));
  }
  ASSERT_TRUE(eventually([&] { return tp.submits.load() == 3; }));
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
  ASSERT_TRUE(eventually([&] { return admitted_count() == 1; }));
  EXPECT_EQ(tp.submits.load(), 0);
  EXPECT_EQ(e->stats().queued_paused, 20u);
  ASSERT_TRUE(store.get("c1/" + iccid(19)).has_value());
  EXPECT_EQ(store.get("c1/" + iccid(19))->state, job_state::queued);
  // Resume: serve re-admits the campaign's non-terminal jobs from storage.
  e->set_mode("c1", campaign_mode::running);
  e->admit("c1", std::make_unique<active_cursor>(store, 20), 0);
  ASSERT_TRUE(eventually([&] { return sink.terminal_count() == 20; }));
  EXPECT_EQ(tp.submits.load(), 20);
  e->stop_service(1s);
}

TEST_F(service_test, PauseHoldsADueRetryUntilResume) {
  tp.absent_once = {msisdn(0)};
  auto ctx = make_campaign();
  ctx->def.policy.job.retry_base = 200ms;
  auto e = start(8);
  e->set_campaign(ctx, campaign_mode::running);
  e->admit("c1", std::make_unique<range_cursor>(0, 1), 1);
  // The first attempt is undeliverable: the job waits 200 ms for its retry.
  ASSERT_TRUE(eventually([&] {
    auto j = store.get("c1/" + iccid(0));
    return j && j->state == job_state::retry_wait;
  }));
  e->set_mode("c1", campaign_mode::paused);
  ASSERT_TRUE(eventually([&] { return e->stats().parked == 1; }));
  EXPECT_EQ(tp.submits.load(), 1);
  EXPECT_EQ(e->stats().in_flight, 0u);  // a parked job does not hold the window
  e->set_mode("c1", campaign_mode::running);
  ASSERT_TRUE(eventually([&] { return sink.terminal_count() == 1; }));
  EXPECT_EQ(tp.submits.load(), 2);
  EXPECT_EQ(store.get("c1/" + iccid(0))->state, job_state::done);
  e->stop_service(1s);
}

TEST_F(service_test, CancelFailsJobsInFlightAndLaterTriggers) {
  tp.silent = true;
  auto ctx = make_campaign();
  ctx->def.policy.job.por_timeout = 60s;
  auto e = start(16);
  e->set_campaign(ctx, campaign_mode::running);
  e->admit("c1", std::make_unique<range_cursor>(0, 4), 1);
  ASSERT_TRUE(eventually([&] { return tp.submits.load() == 4; }));
  e->set_mode("c1", campaign_mode::cancelled);
  ASSERT_TRUE(eventually([&] { return sink.terminal_count() == 4; }));
  e->admit("c1", std::make_unique<range_cursor>(4, 6), 2);  // after the cancel
  ASSERT_TRUE(eventually([&] { return sink.terminal_count() == 6; }));
  e->set_mode("c1", campaign_mode::running);  // cancel is final
  e->admit("c1", std::make_unique<range_cursor>(6, 7), 3);
  ASSERT_TRUE(eventually([&] { return sink.terminal_count() == 7; }));
  EXPECT_EQ(tp.submits.load(), 4);
  e->stop_service(1s);
  std::lock_guard lock(sink.mu);
  for (const auto& [id, evs] : sink.terminal) {
    ASSERT_EQ(evs.size(), 1u);
    EXPECT_EQ(evs[0].state, job_state::failed) << id;
    EXPECT_EQ(evs[0].reason, "cancelled: campaign cancelled") << id;
  }
  EXPECT_EQ(e->stats().cancelled, 3u);
}

TEST_F(service_test, StopReturnsAfterTheGraceWithJobsStillRunning) {
  tp.silent = true;
  auto ctx = make_campaign();
  ctx->def.policy.job.por_timeout = 60s;
  auto e = start(4);
  e->set_campaign(ctx, campaign_mode::running);
  e->admit("c1", std::make_unique<range_cursor>(0, 2), 1);
  ASSERT_TRUE(eventually([&] { return tp.submits.load() == 2; }));
  const auto t0 = std::chrono::steady_clock::now();
  e->stop_service(200ms);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  // Their state is durable for the next start: accepted, waiting for a PoR.
  ASSERT_TRUE(store.get("c1/" + iccid(1)).has_value());
  EXPECT_EQ(store.get("c1/" + iccid(1))->state, job_state::accepted);
  e.reset();  // destroying the engine ends the running subscriber actors
}

}  // namespace
}  // namespace otaflow::actors
