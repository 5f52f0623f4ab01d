// The CAF engine against in-memory fakes of its ports: every card reaches exactly one
// terminal state, retries happen, resumed runs skip finished cards.

#include "actors/engine.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

namespace otaflow::actors {
namespace {

// Packets are [counter (8 octets BE)]; PoRs are [counter (8), status (1)].
class fake_factory final : public packet_factory {
 public:
  std::vector<result<packaged>> package(std::span<const package_request> reqs) override {
    std::vector<result<packaged>> out;
    std::lock_guard lock(mu_);
    ++batches;
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
  int batches = 0;

 private:
  std::mutex mu_;
  std::map<std::string, std::uint64_t> counters_;
};

// Answers every submit from its own thread: submitted, a receipt, then a PoR. Cards
// listed in `absent_once` get an UNDELIVERABLE receipt on their first message; cards in
// `silent` never answer.
class fake_transport final : public transport {
 public:
  std::set<std::string> absent_once, silent;
  std::atomic<int> submits{0};

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
      if (silent.count(r.dest_msisdn)) continue;
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
    if (save_delay.count() > 0) std::this_thread::sleep_for(save_delay);
    std::lock_guard lock(mu);
    for (const auto& u : ups) jobs[u.campaign + "/" + u.iccid] = u.job;
    return {};
  }
  std::mutex mu;
  std::map<std::string, job_record> jobs;
  std::chrono::milliseconds save_delay{0};  ///< a slow journal
};

class fake_sink final : public status_sink {
 public:
  void emit(std::span<const status_event> evs) override {
    std::lock_guard lock(mu);
    for (const auto& e : evs) {
      events.push_back(e);
      if (is_terminal(e.state)) ++terminal[e.iccid];
    }
  }
  std::mutex mu;
  std::vector<status_event> events;
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

struct engine_test : ::testing::Test {
  fake_factory factory;
  fake_transport tp;
  fake_store store;
  fake_sink sink;
};

class engine_policy_test : public engine_test, public ::testing::WithParamInterface<const char*> {};

// Both CAF scheduler policies (engine_options::scheduler_policy) run the same campaign.
TEST_P(engine_policy_test, EveryCardReachesExactlyOneTerminalState) {
  tp.absent_once = {"4670100003", "4670100007"};
  tp.silent = {"4670100011"};
  engine e({2, 64, 256, 16, GetParam()}, factory, tp, store, sink);
  auto s = e.run(make_campaign(50), std::make_unique<fake_cursor>(1000));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->cards, 1000u);
  EXPECT_EQ(s->done, 999u);
  EXPECT_EQ(s->failed, 1u);
  EXPECT_EQ(s->por_status[0x00], 999u);
  ASSERT_EQ(s->failure_reasons.size(), 1u);
  EXPECT_EQ(s->failure_reasons.begin()->first, "attempts exhausted (3): no PoR within 200 ms");
  // Two cards needed a second attempt, the silent one three.
  EXPECT_EQ(tp.submits.load(), 1000 + 2 + 2);
  std::lock_guard lock(sink.mu);
  EXPECT_EQ(sink.terminal.size(), 1000u);
  for (const auto& [iccid, n] : sink.terminal) EXPECT_EQ(n, 1) << iccid;
  // The journal wrote the final state of every card before run() returned.
  std::lock_guard lock2(store.mu);
  EXPECT_EQ(store.jobs.size(), 1000u);
  int done = 0;
  for (const auto& [k, j] : store.jobs) done += j.state == job_state::done ? 1 : 0;
  EXPECT_EQ(done, 999);
  // Batching happened: far fewer crypto batches than cards.
  EXPECT_LT(factory.batches, 1000);
}

INSTANTIATE_TEST_SUITE_P(Policies, engine_policy_test, ::testing::Values("sharing", "stealing"));

// A journal slower than the cards holds back new cards once journal_backlog_max state
// changes wait to be durable, instead of letting its mailbox grow with the campaign.
TEST_F(engine_test, SlowJournalHoldsBackNewCards) {
  store.save_delay = std::chrono::milliseconds(3);  // batches of 64: ~20k changes/s at most
  engine_options o{2, 64, 64, 64};
  o.journal_backlog_max = 100;
  engine e(o, factory, tp, store, sink);
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> peak{0};
  std::thread sampler([&] {
    while (!stop.load()) {
      peak.store(std::max(peak.load(), e.journal_backlog()));
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  auto s = e.run(make_campaign(200), std::make_unique<fake_cursor>(3000));
  stop.store(true);
  sampler.join();
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->cards, 3000u);
  EXPECT_EQ(s->done, 3000u);
  EXPECT_EQ(e.journal_backlog(), 0u);
  // Past the bound only cards already in flight add changes (a few each).
  EXPECT_GT(peak.load(), 0u);
  EXPECT_LE(peak.load(), 100u + 5u * 200u);
  std::lock_guard lock(sink.mu);
  EXPECT_EQ(sink.terminal.size(), 3000u);
}

TEST_F(engine_test, ResumeSkipsTerminalCardsAndFinishesTheRest) {
  // Card 0 finished in an earlier run; card 1 was waiting for its PoR (counter 1).
  job_record done_job;
  done_job.state = job_state::done;
  done_job.attempt = 1;
  done_job.por_status = 0;
  store.jobs["c1/8900000000000100000"] = done_job;
  job_record waiting;
  waiting.state = job_state::accepted;
  waiting.attempt = 1;
  waiting.counters = {1};
  store.jobs["c1/8900000000000100001"] = waiting;
  engine e({2, 64, 256, 16}, factory, tp, store, sink);
  auto s = e.run(make_campaign(10), std::make_unique<fake_cursor>(20));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->cards, 20u);
  EXPECT_EQ(s->done, 20u);
  EXPECT_EQ(s->resumed_terminal, 1u);
  // The finished card was not sent again; the waiting one timed out and was resent.
  EXPECT_EQ(tp.submits.load(), 19);
  std::lock_guard lock(sink.mu);
  EXPECT_EQ(sink.terminal.count("8900000000000100000"), 0u);
  EXPECT_EQ(store.jobs["c1/8900000000000100001"].attempt, 2);
}

}  // namespace
}  // namespace otaflow::actors
