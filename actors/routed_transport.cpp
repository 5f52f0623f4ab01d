#include "actors/routed_transport.hpp"

#include "base/log.hpp"

namespace otaflow::actors {

using steady = std::chrono::steady_clock;

namespace {
std::atomic<std::uint64_t>& bump(std::atomic<std::uint64_t>& c) {
  c.fetch_add(1, std::memory_order_relaxed);
  return c;
}
std::uint64_t get(const std::atomic<std::uint64_t>& c) {
  return c.load(std::memory_order_relaxed);
}
}  // namespace

// One route: its sessions, its counters, and a listener that forwards to the engine's with
// global bind numbers.
struct routed_transport::route_state final : transport_listener {
  // `qualify`: several routes: message ids are only unique per SMSC, so the engine sees them
  // as "ROUTE/ID" (receipts match the same way).
  route_state(const route_def& def, std::size_t first_bind, bool qualify)
      : first_bind_(first_bind),
        binds_(def.binds.size()),
        prefix_(qualify ? def.name + "/" : std::string()),
        tp(def.binds) {}

  std::string qualified(std::string id) const { return prefix_.empty() ? id : prefix_ + id; }

  void on_submitted(std::uint64_t tag, std::vector<std::string> ids) override {
    bump(accepted);
    for (auto& id : ids) id = qualified(std::move(id));
    if (auto* l = inner.load()) l->on_submitted(tag, std::move(ids));
  }
  void on_submit_failed(std::uint64_t tag, std::uint32_t status, std::string reason,
                        bool retriable) override {
    bump(failed);
    if (auto* l = inner.load()) l->on_submit_failed(tag, status, std::move(reason), retriable);
  }
  void on_submit_lost(std::uint64_t tag) override {
    bump(lost);
    if (auto* l = inner.load()) l->on_submit_lost(tag);
  }
  void on_receipt(std::string id, std::uint8_t state, std::string error) override {
    bump(receipts);
    if (auto* l = inner.load()) l->on_receipt(qualified(std::move(id)), state, std::move(error));
  }
  void on_receipt_from(std::string msisdn, std::string id, std::uint8_t state,
                       std::string error) override {
    bump(receipts);
    if (auto* l = inner.load())
      l->on_receipt_from(std::move(msisdn), qualified(std::move(id)), state, std::move(error));
  }
  void on_mo(std::string from, bytes ud) override {
    bump(mo);
    if (auto* l = inner.load()) l->on_mo(std::move(from), std::move(ud));
  }
  void on_submit_outcome(std::uint64_t tag, std::size_t bind, submit_outcome o) override {
    if (auto* l = inner.load()) l->on_submit_outcome(tag, first_bind_ + bind, o);
  }

  std::size_t first_bind_;
  std::size_t binds_;
  std::string prefix_;
  smpp_transport tp;
  std::atomic<transport_listener*> inner{nullptr};
  std::atomic<std::uint64_t> submitted{0}, accepted{0}, failed{0}, lost{0}, receipts{0}, mo{0},
      fallback_out{0}, fallback_in{0}, reclaimed{0};
  std::atomic<bool> was_up{true};  // for the log line of a change
};

routed_transport::routed_transport(route_table routes) : table_(std::move(routes)) {
  std::size_t first = 0;
  for (const auto& r : table_.routes()) {
    routes_.push_back(std::make_unique<route_state>(r, first, table_.size() > 1));
    first += r.binds.size();
  }
  // Submits without a preferred route take the first catch-all route (else the first route).
  for (std::size_t i = 0; i < table_.size(); ++i) {
    if (table_.routes()[i].match.empty()) {
      default_route_ = i;
      break;
    }
  }
  for (auto& r : routes_) r->tp.set_listener(r.get());
  if (routes_.size() > 1) watcher_ = std::thread([this] { watch(); });
}

routed_transport::~routed_transport() {
  stop();
}

void routed_transport::set_listener(transport_listener* listener) {
  for (auto& r : routes_) r->inner.store(listener);
}

bool routed_transport::up(std::size_t route, steady::time_point now) const {
  const auto l = routes_[route]->tp.link();
  return l.bound || now - l.unbound_since < table_.routes()[route].down_after;
}

std::size_t routed_transport::pick(std::size_t preferred, steady::time_point now) const {
  if (up(preferred, now)) return preferred;
  // Fall-backs in order, each followed by its own (the table has no cycles).
  std::vector<std::size_t> todo(table_.fallbacks(preferred).rbegin(),
                                table_.fallbacks(preferred).rend());
  while (!todo.empty()) {
    const auto r = todo.back();
    todo.pop_back();
    if (up(r, now)) return r;
    const auto& next = table_.fallbacks(r);
    todo.insert(todo.end(), next.rbegin(), next.rend());
  }
  return preferred;  // nothing up: wait in the preferred route's queue
}

void routed_transport::submit(submit_request request) {
  if (routes_.empty()) return;
  const auto preferred =
      request.route >= 0 && static_cast<std::size_t>(request.route) < routes_.size()
          ? static_cast<std::size_t>(request.route)
          : default_route_;
  const auto via = routes_.size() == 1 ? preferred : pick(preferred, steady::now());
  if (via != preferred) {
    bump(routes_[preferred]->fallback_out);
    bump(routes_[via]->fallback_in);
  }
  bump(routes_[via]->submitted);
  routes_[via]->tp.submit(std::move(request));
}

void routed_transport::watch() {
  auto log = log::get("smpp");
  while (!stop_.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto now = steady::now();
    for (std::size_t i = 0; i < routes_.size(); ++i) {
      const bool is_up = up(i, now);
      auto& r = *routes_[i];
      if (r.was_up.exchange(is_up) != is_up) {
        if (is_up) {
          log->info("route '{}' is up again: its cards go out on it", table_.routes()[i].name);
        } else {
          log->warn(
              "route '{}' is down (every bind unbound for {} ms): its cards take a "
              "fall-back",
              table_.routes()[i].name, table_.routes()[i].down_after.count());
        }
      }
      if (is_up || pick(i, now) == i) continue;
      // Down with somewhere else to go: what waits in its sessions goes there. A submit keeps
      // its preferred route, so it is counted as a fall-back where it lands.
      r.tp.reclaim_unsent([this, from = i](submit_request req) {
        std::shared_lock lock(gate_);
        if (stop_.load()) return;
        if (req.route < 0) req.route = static_cast<int>(from);
        bump(routes_[from]->reclaimed);
        submit(std::move(req));
      });
    }
  }
}

std::string routed_transport::bind_name(std::size_t bind) const {
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const auto& r = *routes_[i];
    if (bind < r.first_bind_ + r.binds_) {
      const auto n = r.tp.bind_name(bind - r.first_bind_);
      return routes_.size() == 1 ? n : table_.routes()[i].name + ":" + n;
    }
  }
  return transport::bind_name(bind);
}

std::string routed_transport::route_of_bind(std::size_t bind) const {
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const auto& r = *routes_[i];
    if (bind < r.first_bind_ + r.binds_) return table_.routes()[i].name;
  }
  return {};
}

status routed_transport::wait_bound(std::chrono::milliseconds timeout) {
  // Every route gets the same deadline (their sessions bind in parallel meanwhile).
  const auto deadline = steady::now() + timeout;
  std::vector<std::optional<error>> failed(routes_.size());
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const auto left =
        std::max(std::chrono::milliseconds(0),
                 std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now()));
    if (auto s = routes_[i]->tp.wait_bound(left); !s) failed[i] = s.error();
  }
  // A route that did not bind is no reason to wait while a fall-back of it (or of those) is
  // bound: its cards go there until it binds (submit() picks the route per message).
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    if (!failed[i]) continue;
    const auto& name = table_.routes()[i].name;
    std::vector<std::size_t> todo(table_.fallbacks(i).begin(), table_.fallbacks(i).end());
    std::optional<std::size_t> covering;
    for (std::size_t k = 0; k < todo.size() && !covering; ++k) {
      if (!failed[todo[k]]) covering = todo[k];
      for (auto n : table_.fallbacks(todo[k])) todo.push_back(n);
    }
    if (!covering) {
      return make_error(failed[i]->code, "route '" + name + "': " + failed[i]->message,
                        error_class::retriable);
    }
    log::get("smpp")->warn("route '{}' is not bound ({}): its cards go to route '{}' until it is",
                           name, failed[i]->message, table_.routes()[*covering].name);
  }
  return {};
}

smpp_stats routed_transport::stats() const {
  smpp_stats t;
  t.bound = !routes_.empty();
  for (const auto& r : routes_) {
    const auto x = r->tp.stats();
    t += x;
    t.bound = t.bound && x.bound;
  }
  return t;
}

std::vector<smpp_stats> routed_transport::bind_stats() const {
  std::vector<smpp_stats> out;
  for (const auto& r : routes_) {
    auto b = r->tp.bind_stats();
    out.insert(out.end(), b.begin(), b.end());
  }
  return out;
}

std::vector<route_stats> routed_transport::routes_stats() const {
  std::vector<route_stats> out;
  const auto now = steady::now();
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const auto& r = *routes_[i];
    route_stats s;
    s.name = table_.routes()[i].name;
    s.up = up(i, now);
    s.bound = r.tp.link().bound;
    s.binds = r.binds_;
    s.submitted = get(r.submitted);
    s.accepted = get(r.accepted);
    s.failed = get(r.failed);
    s.lost = get(r.lost);
    s.receipts = get(r.receipts);
    s.mo = get(r.mo);
    s.fallback_out = get(r.fallback_out);
    s.fallback_in = get(r.fallback_in);
    s.reclaimed = get(r.reclaimed);
    out.push_back(std::move(s));
  }
  return out;
}

void routed_transport::stop() {
  {
    std::unique_lock lock(gate_);
    stop_.store(true);
  }
  if (watcher_.joinable()) watcher_.join();
  for (auto& r : routes_) r->tp.stop();
}

}  // namespace otaflow::actors
