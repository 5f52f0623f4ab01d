#include "actors/router.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "actors/messages.hpp"
#include "actors/mo_reassembly.hpp"

namespace otaflow::actors {
namespace {

using namespace msg;
using time_point = engine_clock::time_point;

// Timers by due time: (tag, what, who). Tag 0 goes to `who`.
struct timer {
  std::uint64_t tag;
  caf::message what;
  caf::actor who;
};
using timer_map = std::multimap<time_point, timer>;

struct route_entry {
  caf::actor who;
  std::string msisdn;
  std::vector<std::string> ids;             // the current attempt's SMSC message ids
  std::vector<timer_map::iterator> timers;  // this job's timers, dropped with the route
};

struct orphan_receipt {
  receipt r;
  time_point at;
};

struct router_state {
  std::unordered_map<std::uint64_t, route_entry> by_tag;
  std::unordered_map<std::string, std::uint64_t> by_message_id;
  std::unordered_multimap<std::string, std::uint64_t> by_msisdn;
  // Receipts whose message id is not known yet: with several binds the SMSC may send a
  // receipt on another bind than the submit, and that bind's thread can overtake the
  // submit_sm_resp. Kept briefly until the id is registered.
  std::unordered_map<std::string, orphan_receipt> orphans;
  // CAF 0.17's delayed_send holds a strong reference to its receiver until it fires, so a
  // per-actor PoR timer kept every finished subscriber (and its state) in memory for the
  // whole PoR timeout: 1 KB+ per card, hundreds of MB at 10k cards/s. The router holds
  // only tags; one delayed tick to itself drives them (with a manual clock: tick_router).
  timer_map timers;
  time_point next_tick = time_point::max();
  const engine_clock* clock = nullptr;
  std::atomic<std::uint64_t>* armed = nullptr;
  // PoRs that come as several concatenated SMs, put together before the subscribers see them.
  mo_reassembly concatenated;
  std::int64_t next_expire_ms = 0;
};

using router_actor = caf::stateful_actor<router_state>;

void count_timers(router_state& st) {
  if (st.armed) st.armed->store(st.timers.size(), std::memory_order_relaxed);
}

void schedule_tick(router_actor* self, time_point due) {
  auto& st = self->state;
  if (st.clock->manual()) return;  // the test's advance() ticks
  st.next_tick = due;
  const auto now = st.clock->now();
  self->delayed_send(self, due > now ? due - now : time_point::duration::zero(), tick_atom::value);
}

void arm(router_actor* self, arm_timer& t) {
  auto& st = self->state;
  route_entry* route = nullptr;
  if (t.tag != 0) {
    auto r = st.by_tag.find(t.tag);
    if (r == st.by_tag.end()) return;  // the job ended already
    route = &r->second;
  }
  auto it = st.timers.emplace(t.due, timer{t.tag, std::move(t.what), std::move(t.who)});
  if (route) route->timers.push_back(it);
  count_timers(st);
  if (t.due < st.next_tick) schedule_tick(self, t.due);
}

void fire_due(router_actor* self) {
  auto& st = self->state;
  const auto now = st.clock->now();
  while (!st.timers.empty() && st.timers.begin()->first <= now) {
    const auto first = st.timers.begin();
    if (first->second.tag == 0) {
      self->send(first->second.who, std::move(first->second.what));
    } else if (auto r = st.by_tag.find(first->second.tag); r != st.by_tag.end()) {
      auto& mine = r->second.timers;
      mine.erase(std::find(mine.begin(), mine.end(), first));
      self->send(r->second.who, std::move(first->second.what));
    }
    st.timers.erase(first);
  }
  count_timers(st);
  if (st.clock->manual()) return;
  // Only the tick that was due at next_tick re-arms; earlier extra ticks (left over when a
  // sooner timer replaced them) just fall through.
  if (now < st.next_tick) return;
  st.next_tick = time_point::max();
  if (!st.timers.empty()) schedule_tick(self, st.timers.begin()->first);
}

void unroute(router_actor* self, std::uint64_t tag) {
  auto& st = self->state;
  auto it = st.by_tag.find(tag);
  if (it == st.by_tag.end()) return;
  for (const auto& id : it->second.ids) st.by_message_id.erase(id);
  // A finished job's timers go with it: memory follows the jobs in flight, not
  // throughput x por_timeout.
  for (auto t : it->second.timers) st.timers.erase(t);
  count_timers(st);
  auto range = st.by_msisdn.equal_range(it->second.msisdn);
  for (auto m = range.first; m != range.second; ++m) {
    if (m->second == tag) {
      st.by_msisdn.erase(m);
      break;
    }
  }
  st.by_tag.erase(it);
}

void on_submitted(router_actor* self, submitted& s) {
  auto& st = self->state;
  auto it = st.by_tag.find(s.tag);
  if (it == st.by_tag.end()) return;
  for (const auto& id : it->second.ids) st.by_message_id.erase(id);  // a new attempt's ids
  for (const auto& id : s.ids) st.by_message_id[id] = s.tag;         // replace the old ones
  it->second.ids = s.ids;
  self->send(it->second.who, job_event{ev_submit_ok{s.ids.empty() ? std::string() : s.ids.back()}});
  for (const auto& id : s.ids) {
    auto o = st.orphans.find(id);
    if (o == st.orphans.end()) continue;
    self->send(it->second.who,
               job_event{ev_receipt{o->second.r.state, std::move(o->second.r.error)}});
    st.orphans.erase(o);
  }
}

void on_receipt(router_actor* self, receipt& r) {
  auto& st = self->state;
  auto id = st.by_message_id.find(r.id);
  if (id == st.by_message_id.end()) {
    // A finished job's receipt, or one that overtook its submit_sm_resp.
    const auto now = st.clock->now();
    if (st.orphans.size() >= 10'000) {
      std::erase_if(st.orphans,
                    [&](const auto& kv) { return now - kv.second.at > std::chrono::seconds(30); });
    }
    if (st.orphans.size() < 100'000) {
      auto key = r.id;
      st.orphans.insert_or_assign(std::move(key), orphan_receipt{std::move(r), now});
    }
    return;
  }
  auto it = st.by_tag.find(id->second);
  if (it == st.by_tag.end()) return;
  self->send(it->second.who, job_event{ev_receipt{r.state, std::move(r.error)}});
}

// Sends `m` to job `tag`'s subscriber, if it is still routed.
template <class... Ts>
void to_job(router_actor* self, std::uint64_t tag, Ts&&... xs) {
  auto it = self->state.by_tag.find(tag);
  if (it != self->state.by_tag.end()) self->send(it->second.who, std::forward<Ts>(xs)...);
}

void on_mo(router_actor* self, mo& m) {
  auto& st = self->state;
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(st.clock->now().time_since_epoch())
          .count();
  if (st.concatenated.pending() > 0 && now_ms >= st.next_expire_ms) {
    st.concatenated.expire(now_ms);
    st.next_expire_ms = now_ms + 1000;
  }
  auto ud = st.concatenated.add(m.from, std::move(m.ud), now_ms);
  if (!ud) return;  // a part of a PoR still incomplete, or a rejected part
  // A PoR names its card by MSISDN only; every job of that card checks the
  // counter (a card may be in several campaigns at once).
  auto range = st.by_msisdn.equal_range(m.from);
  for (auto it = range.first; it != range.second; ++it)
    to_job(self, it->second, por_atom::value, *ud);
}

caf::behavior router(router_actor* self, transport* tp, const engine_clock* clock,
                     std::atomic<std::uint64_t>* armed) {
  self->state.clock = clock;
  self->state.armed = armed;
  return {
      [=](arm_timer& t) { arm(self, t); },
      [=](tick_atom) { fire_due(self); },
      [=](route& r) {
        self->state.by_msisdn.emplace(r.msisdn, r.tag);
        self->state.by_tag[r.tag] = route_entry{std::move(r.who), std::move(r.msisdn), {}, {}};
      },
      [=](unroute_atom, std::uint64_t tag) { unroute(self, tag); },
      [=](submit_request& r) { tp->submit(std::move(r)); },
      [=](submitted& s) { on_submitted(self, s); },
      [=](submit_failed& f) {
        to_job(self, f.tag,
               job_event{ev_submit_failed{f.status, std::move(f.reason), f.retriable}});
      },
      [=](lost_atom, std::uint64_t tag) { to_job(self, tag, job_event{ev_submit_lost{}}); },
      [=](bind_outcome& b) {
        b.route = tp->route_of_bind(b.bind);
        to_job(self, b.tag, b);
      },
      [=](receipt& r) { on_receipt(self, r); },
      [=](mo& m) { on_mo(self, m); },
  };
}

}  // namespace

caf::actor spawn_router(caf::actor_system& sys, transport* tp, const engine_clock* clock,
                        std::atomic<std::uint64_t>* armed) {
  return sys.spawn(router, tp, clock, armed);
}

void tick_router(const caf::actor& router) {
  caf::anon_send(router, tick_atom::value);
}

void router_listener::on_submitted(std::uint64_t tag, std::vector<std::string> ids) {
  caf::anon_send(router_, submitted{tag, std::move(ids)});
}
void router_listener::on_submit_failed(std::uint64_t tag, std::uint32_t status, std::string reason,
                                       bool retriable) {
  caf::anon_send(router_, submit_failed{tag, status, std::move(reason), retriable});
}
void router_listener::on_submit_lost(std::uint64_t tag) {
  caf::anon_send(router_, lost_atom::value, tag);
}
void router_listener::on_receipt(std::string id, std::uint8_t state, std::string error) {
  caf::anon_send(router_, receipt{std::move(id), state, std::move(error)});
}
void router_listener::on_mo(std::string from, bytes ud) {
  caf::anon_send(router_, mo{std::move(from), std::move(ud)});
}
void router_listener::on_submit_outcome(std::uint64_t tag, std::size_t bind, submit_outcome o) {
  caf::anon_send(router_, bind_outcome{tag, bind, o});
}

}  // namespace otaflow::actors
