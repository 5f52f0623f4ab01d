#include "tests/unit/actors/engine_fakes.hpp"

#include <algorithm>

namespace otaflow::actors::fakes {

using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

namespace {

// Often enough that a wait ends within a millisecond of its condition, rarely enough to
// leave the engine's threads the CPU.
constexpr auto poll_interval = std::chrono::microseconds(500);

long long ms_since(steady::time_point t0) {
  return std::chrono::duration_cast<milliseconds>(steady::now() - t0).count();
}

}  // namespace

// ---- waiting ------------------------------------------------------------------------------

::testing::AssertionResult wait_until(const std::function<bool()>& pred, milliseconds timeout,
                                      std::string_view what) {
  const auto t0 = steady::now();
  const auto deadline = t0 + timeout;
  while (!pred()) {
    if (steady::now() >= deadline) {
      return ::testing::AssertionFailure()
             << "gave up after " << ms_since(t0) << " ms waiting until " << what;
    }
    std::this_thread::sleep_for(poll_interval);
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult expect_stays(const std::function<bool()>& pred, milliseconds period,
                                        std::string_view what) {
  const auto t0 = steady::now();
  const auto until = t0 + period;
  while (true) {
    if (!pred()) {
      return ::testing::AssertionFailure() << "after " << ms_since(t0) << " of " << period.count()
                                           << " ms this no longer held: " << what;
    }
    if (steady::now() >= until) return ::testing::AssertionSuccess();
    std::this_thread::sleep_for(poll_interval);
  }
}

// ---- cards and campaigns ------------------------------------------------------------------

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

std::shared_ptr<campaign_ctx> test_campaign(std::uint32_t window, milliseconds retry_base,
                                            milliseconds por_timeout) {
  auto c = std::make_shared<campaign_ctx>();
  c->def.id = "c1";
  c->def.policy.window = window;
  c->def.policy.job.retry_base = retry_base;
  c->def.policy.job.por_timeout = por_timeout;
  c->variants.resize(1);
  c->variants[0].def.name = "default";
  c->variants[0].commands = 1;
  return c;
}

engine_options test_engine_options() {
  engine_options o;
  o.scheduler_threads = 2;
  o.crypto_batch_max = 64;
  o.journal_batch_max = 256;
  o.expand_chunk = 16;
  return o;
}

// ---- packet factory -----------------------------------------------------------------------

std::vector<result<packaged>> fake_factory::package(std::span<const package_request> requests) {
  std::vector<result<packaged>> out;
  out.reserve(requests.size());
  std::lock_guard lock(mu_);
  ++batches_;
  for (const auto& r : requests) {
    const auto counter = counters_[r.card->iccid] += 1 + r.skip;
    const auto& v = r.campaign->variant_of(*r.card);
    const auto kic = r.card->kic_key.view();
    cards_[r.card->iccid] = {v.def.name, v.def.security.keyset(), v.script,
                             bytes(kic.begin(), kic.end()), counter};
    auto& sent = steps_sent_[r.card->iccid];
    sent.emplace_back(r.step, r.page);
    by_counter_[{r.card->iccid, counter}] = {
        r.step, r.page, static_cast<int>(std::count(sent.begin(), sent.end(), sent.back()))};
    byte_writer w;
    w.uint_be(8, counter);
    out.emplace_back(packaged{counter, {w.take()}});
  }
  return out;
}

result<por_info> fake_factory::open_por(const card_info& card, const campaign_ctx&, byte_view ud) {
  byte_reader r(ud);
  por_info p;
  if (!r.uint_be(8, p.counter) || !r.u8(p.status)) {
    return make_error(errc::truncated, "short PoR");
  }
  p.verified = true;
  p.script_sw = 0x9000;
  std::lock_guard lock(mu_);
  p.executed = executed_;
  if (p.counter <= card_counter_) p.status = 0x02;
  if (step_rule_) {
    const auto it = by_counter_.find({card.iccid, p.counter});
    if (it != by_counter_.end()) {
      const auto a = step_rule_(card.iccid, it->second.step, it->second.page, it->second.send);
      if (a.lost) return make_error(errc::truncated, "PoR lost (test)");
      p.script_sw = a.sw;
      p.executed = a.executed;
    }
  }
  return p;
}

void fake_factory::set_step_rule(step_rule rule) {
  std::lock_guard lock(mu_);
  step_rule_ = std::move(rule);
}

std::vector<std::pair<std::uint16_t, std::uint16_t>> fake_factory::steps_sent(
    const std::string& iccid) const {
  std::lock_guard lock(mu_);
  const auto it = steps_sent_.find(iccid);
  return it == steps_sent_.end() ? std::vector<std::pair<std::uint16_t, std::uint16_t>>{}
                                 : it->second;
}

void fake_factory::set_card_counter(std::uint64_t c) {
  std::lock_guard lock(mu_);
  card_counter_ = c;
}

void fake_factory::set_executed(std::uint8_t n) {
  std::lock_guard lock(mu_);
  executed_ = n;
}

int fake_factory::batches() const {
  std::lock_guard lock(mu_);
  return batches_;
}

std::map<std::string, fake_factory::packaged_card> fake_factory::cards() const {
  std::lock_guard lock(mu_);
  return cards_;
}

// ---- SMPP transport -----------------------------------------------------------------------

fake_transport::fake_transport() : worker_([this] { loop(); }) {}

fake_transport::~fake_transport() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void fake_transport::set_listener(transport_listener* listener) {
  std::lock_guard lock(mu_);
  listener_ = listener;
}

void fake_transport::submit(submit_request request) {
  {
    std::lock_guard lock(mu_);
    ++per_card_[request.dest_msisdn];
    queue_.push_back(std::move(request));
  }
  ++submits_;
  cv_.notify_one();
}

void fake_transport::set_por_status(std::uint8_t status) {
  std::lock_guard lock(mu_);
  por_status_ = status;
}

void fake_transport::set_silent(bool all) {
  std::lock_guard lock(mu_);
  silent_all_ = all;
}

void fake_transport::silence(const std::string& msisdn) {
  std::lock_guard lock(mu_);
  silent_.insert(msisdn);
}

void fake_transport::absent_once(const std::string& msisdn) {
  std::lock_guard lock(mu_);
  absent_once_.insert(msisdn);
}

void fake_transport::throttle_every(int n) {
  std::lock_guard lock(mu_);
  throttle_every_ = n;
}

void fake_transport::hold(bool on) {
  {
    std::lock_guard lock(mu_);
    hold_ = on;
  }
  cv_.notify_all();
}

int fake_transport::submits() const {
  return submits_.load();
}

int fake_transport::submits_to(const std::string& msisdn) const {
  std::lock_guard lock(mu_);
  auto it = per_card_.find(msisdn);
  return it == per_card_.end() ? 0 : it->second;
}

int fake_transport::answered() const {
  return answered_.load();
}

void fake_transport::loop() {
  std::unique_lock lock(mu_);
  std::uint64_t id = 0;
  while (true) {
    cv_.wait(lock, [&] { return stop_ || (!hold_ && !queue_.empty()); });
    if (stop_) return;
    auto r = std::move(queue_.front());
    queue_.pop_front();
    auto* l = listener_;
    if (!l) continue;
    ++id;
    if (throttle_every_ > 0 && id % static_cast<std::uint64_t>(throttle_every_) == 0) {
      l->on_submit_outcome(r.tag, 0, submit_outcome::throttled);
    }
    l->on_submit_outcome(r.tag, 0, submit_outcome::accepted);
    const auto mid = std::to_string(id);
    l->on_submitted(r.tag, {mid});
    if (silent_all_ || silent_.count(r.dest_msisdn)) {
      ++answered_;
      continue;
    }
    if (absent_once_.erase(r.dest_msisdn)) {
      l->on_receipt(mid, 5, "001");  // UNDELIVERABLE
      ++answered_;
      continue;
    }
    l->on_receipt(mid, 2, "");  // DELIVERED
    bytes por = r.segments.at(0);
    por.push_back(por_status_);
    l->on_mo(r.dest_msisdn, std::move(por));
    ++answered_;
  }
}

// ---- job store ----------------------------------------------------------------------------

namespace {
std::string key_of(const std::string& campaign, const std::string& iccid) {
  return campaign + "/" + iccid;
}
}  // namespace

result<std::optional<job_record>> fake_job_store::load(const std::string& campaign,
                                                       const std::string& iccid) {
  return get(campaign, iccid);
}

status fake_job_store::save(std::span<const job_update> updates, bool) {
  milliseconds delay;
  {
    std::lock_guard lock(mu_);
    delay = save_delay_;
  }
  if (delay.count() > 0) std::this_thread::sleep_for(delay);  // the slow disk itself
  std::unique_lock lock(mu_);
  released_.wait(lock, [&] { return !hold_; });
  ++saves_;
  for (const auto& u : updates) {
    auto r = refused_.find(u.iccid);
    if (r != refused_.end() && (r->second || u.job.state != job_state::failed)) {
      return make_error(errc::io, "fake store: row of " + u.iccid + " refused");
    }
  }
  for (const auto& u : updates) jobs_[key_of(u.campaign, u.iccid)] = u.job;
  return {};
}

void fake_job_store::refuse(const std::string& iccid, bool failed_too) {
  std::lock_guard lock(mu_);
  refused_[iccid] = failed_too;
}

int fake_job_store::saves() const {
  std::lock_guard lock(mu_);
  return saves_;
}

void fake_job_store::set_save_delay(milliseconds delay) {
  std::lock_guard lock(mu_);
  save_delay_ = delay;
}

void fake_job_store::hold(bool on) {
  {
    std::lock_guard lock(mu_);
    hold_ = on;
  }
  released_.notify_all();
}

void fake_job_store::put(const std::string& campaign, const std::string& iccid, job_record job) {
  std::lock_guard lock(mu_);
  jobs_[key_of(campaign, iccid)] = std::move(job);
}

std::optional<job_record> fake_job_store::get(const std::string& campaign,
                                              const std::string& iccid) const {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(key_of(campaign, iccid));
  if (it == jobs_.end()) return std::nullopt;
  return it->second;
}

std::size_t fake_job_store::size() const {
  std::lock_guard lock(mu_);
  return jobs_.size();
}

std::map<job_state, int> fake_job_store::states() const {
  std::lock_guard lock(mu_);
  std::map<job_state, int> n;
  for (const auto& [k, j] : jobs_) ++n[j.state];
  return n;
}

std::map<std::string, job_record> fake_job_store::jobs() const {
  std::lock_guard lock(mu_);
  return jobs_;
}

// ---- status sink --------------------------------------------------------------------------

void fake_sink::emit(std::span<const status_event> events) {
  std::lock_guard lock(mu_);
  for (const auto& e : events) {
    events_.push_back(e);
    if (is_terminal(e.state)) terminal_[e.iccid].push_back(e);
  }
}

std::vector<status_event> fake_sink::events() const {
  std::lock_guard lock(mu_);
  return events_;
}

std::map<std::string, std::vector<status_event>> fake_sink::terminal() const {
  std::lock_guard lock(mu_);
  return terminal_;
}

std::size_t fake_sink::terminal_count() const {
  std::lock_guard lock(mu_);
  return terminal_.size();
}

::testing::AssertionResult fake_sink::one_terminal_each() const {
  std::lock_guard lock(mu_);
  std::string bad;
  for (const auto& [id, evs] : terminal_) {
    if (evs.size() != 1) bad += " " + id + " (" + std::to_string(evs.size()) + ")";
  }
  if (bad.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "cards with more than one terminal event:" << bad;
}

// ---- cursors ------------------------------------------------------------------------------

result<std::vector<card_info>> range_cursor::next(std::size_t n) {
  std::vector<card_info> out;
  while (out.size() < n && i_ < to_) out.push_back(card(i_++));
  return out;
}

namespace {
class list_cursor final : public target_cursor {
 public:
  explicit list_cursor(std::deque<card_info> cards) : cards_(std::move(cards)) {}
  result<std::vector<card_info>> next(std::size_t n) override {
    std::vector<card_info> out;
    while (out.size() < n && !cards_.empty()) {
      out.push_back(std::move(cards_.front()));
      cards_.pop_front();
    }
    return out;
  }

 private:
  std::deque<card_info> cards_;
};
}  // namespace

std::unique_ptr<target_cursor> first_cards(int n) {
  return std::make_unique<range_cursor>(0, n);
}

std::unique_ptr<target_cursor> non_terminal_cards(const fake_job_store& store,
                                                  const std::string& campaign, int n) {
  std::deque<card_info> cards;
  for (int i = 0; i < n; ++i) {
    auto j = store.get(campaign, iccid(i));
    if (j && !is_terminal(j->state)) cards.push_back(card(i));
  }
  return std::make_unique<list_cursor>(std::move(cards));
}

}  // namespace otaflow::actors::fakes
