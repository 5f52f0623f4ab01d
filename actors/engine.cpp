#include "actors/engine.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include <caf/all.hpp>

#include "actors/alert_monitor.hpp"
#include "actors/time_window.hpp"
#include "base/log.hpp"

// ---- messages -------------------------------------------------------------------------
// CAF 0.17: local-only message types need no serialisation; allow them explicitly.

namespace otaflow::actors::msg {

/// Crypto stage input: package one card's packet and reply to `reply_to`.
struct package_req {
  std::uint64_t tag;
  caf::actor reply_to;
  const card_info* card;
  const campaign_ctx* campaign;
};
/// Crypto stage output.
struct package_rep {
  std::shared_ptr<result<packaged>> value;
};
/// One durable state change with its status event.
struct journal_entry {
  job_update update;
};
/// A subscriber reached its terminal state.
struct job_finished {
  std::uint64_t tag;
  job_state state;
  std::optional<std::uint8_t> por_status;
  std::string reason;
  std::int64_t latency_ms;
  std::string variant{};
};
struct submitted {
  std::uint64_t tag;
  std::vector<std::string> ids;
};
struct submit_failed {
  std::uint64_t tag;
  std::uint32_t status;
  std::string reason;
  bool retriable;
};
struct receipt {
  std::string id;
  std::uint8_t state;
  std::string error;
};
struct mo {
  std::string from;
  bytes ud;
};
struct route {
  std::uint64_t tag;
  std::string msisdn;
  caf::actor who;
};
/// A job timer (PoR timeout, retry back-off) kept by the router, which delivers it only
/// while the job's route exists: a finished subscriber leaves no timer holding it alive.
struct arm_timer {
  std::uint64_t tag;
  std::chrono::steady_clock::time_point due;
  job_event ev;
};
struct card_box {
  std::shared_ptr<card_info> card;
  std::optional<job_record> job;
};

using start_atom = caf::atom_constant<caf::atom("start")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using sync_atom = caf::atom_constant<caf::atom("sync")>;
using refill_atom = caf::atom_constant<caf::atom("refill")>;
using lost_atom = caf::atom_constant<caf::atom("lost")>;
using unroute_atom = caf::atom_constant<caf::atom("unroute")>;
using por_atom = caf::atom_constant<caf::atom("por")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
// Service mode (actors/service.hpp).
using pause_atom = caf::atom_constant<caf::atom("pause")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
using park_atom = caf::atom_constant<caf::atom("park")>;
using unpark_atom = caf::atom_constant<caf::atom("unpark")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;

/// Registers or updates a campaign (ctx set), or changes its mode (ctx null, id set).
struct svc_campaign {
  std::string id;
  std::shared_ptr<const campaign_ctx> ctx;
  campaign_mode mode;
};
/// Cards to admit as jobs of a campaign.
struct svc_admit {
  std::string campaign;
  std::shared_ptr<target_cursor> cursor;
  std::uint64_t token;
};
/// Drops queued admissions whose token the predicate selects.
struct svc_withdraw {
  std::shared_ptr<std::function<bool(std::uint64_t)>> which;
};

// Alerts, campaign control and time windows.
/// How a bind answered one submit_sm of a job (transport -> router -> subscriber).
struct bind_outcome {
  std::uint64_t tag;
  std::size_t bind;
  submit_outcome outcome;
};
/// Outcomes of one job for the alerts actor.
struct alert_feed {
  std::string campaign;
  std::optional<std::size_t> bind;
  std::vector<alert_outcome> outcomes;
};
/// Registers (or updates) a campaign's alert policy and the actor that pauses it.
struct alert_register {
  std::string campaign;
  alert_policy policy;
  caf::actor controller;
};
struct alert_unregister {
  std::string campaign;
};
/// An alert raised for a campaign, told to its controller.
struct alert_fired {
  alert a;
};
using gate_atom = caf::atom_constant<caf::atom("gate")>;  // look at the time gate again
using expire_atom = caf::atom_constant<caf::atom("expire")>;
using wake_atom = caf::atom_constant<caf::atom("wake")>;

}  // namespace otaflow::actors::msg

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::package_req)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::package_rep)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::journal_entry)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::job_finished)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::submitted)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::submit_failed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::receipt)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::mo)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::route)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::arm_timer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::card_box)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::job_event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::submit_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::campaign_summary)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::svc_campaign)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::svc_admit)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::svc_withdraw)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<std::uint64_t>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::bind_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::alert_feed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::alert_register)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::alert_unregister)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::alert_fired)

namespace otaflow::actors {
namespace {

using namespace msg;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The name of a card's variant as jobs and status events carry it ("" when none applies).
std::string variant_name(const campaign_ctx& ctx, const card_info& card) {
  return card.variant >= 0 ? ctx.variant_of(card).def.name : std::string();
}

// A card no variant applies to: its one terminal state, without a subscriber or an SMS.
job_record skipped_job(const campaign_ctx& ctx, const card_info& card,
                       std::optional<job_record> job, std::int64_t now) {
  job_record rec = job.value_or(job_record{});
  rec.variant = variant_name(ctx, card);
  (void)transition(rec, ev_skip{card.skip}, ctx.def.policy.job, now);
  return rec;
}

// ---- crypto stage: batches packaging requests ------------------------------------------
// The "flush" message is sent to self when the first request of a batch arrives; the
// mailbox is FIFO, so every request already queued is in the batch when it runs.

struct crypto_state {
  std::vector<package_req> pending;
  bool flush_scheduled = false;
};

caf::behavior crypto_stage(caf::stateful_actor<crypto_state>* self, packet_factory* factory,
                           std::size_t batch_max) {
  auto flush = [=] {
    auto& st = self->state;
    st.flush_scheduled = false;
    if (st.pending.empty()) return;
    std::vector<package_request> reqs;
    reqs.reserve(st.pending.size());
    for (const auto& p : st.pending) reqs.push_back({p.tag, p.card, p.campaign});
    auto results = factory->package(reqs);
    for (std::size_t i = 0; i < st.pending.size(); ++i) {
      auto r = i < results.size() ? std::make_shared<result<packaged>>(std::move(results[i]))
                                  : std::make_shared<result<packaged>>(make_error(
                                        errc::internal, "packet factory returned too few results"));
      self->send(st.pending[i].reply_to, package_rep{std::move(r)});
    }
    st.pending.clear();
  };
  return {
      [=](package_req& r) {
        auto& st = self->state;
        st.pending.push_back(std::move(r));
        if (st.pending.size() >= batch_max) {
          flush();
        } else if (!st.flush_scheduled) {
          st.flush_scheduled = true;
          self->send(self, flush_atom::value);
        }
      },
      [=](flush_atom) { flush(); },
  };
}

// ---- journal: durable state changes, then status events --------------------------------

struct journal_state {
  std::vector<job_update> pending;
  bool flush_scheduled = false;
  std::shared_ptr<spdlog::logger> log = log::get("engine");
};

caf::behavior journal(caf::stateful_actor<journal_state>* self, job_store* store, status_sink* sink,
                      std::size_t batch_max, std::atomic<std::uint64_t>* backlog) {
  auto flush = [=] {
    auto& st = self->state;
    st.flush_scheduled = false;
    if (st.pending.empty()) return;
    // A failed write is retried: the status events must not leave before the state is
    // durable, and losing the state would break exactly-one-terminal-state.
    for (int attempt = 0;; ++attempt) {
      auto s = store->save(st.pending, true);
      if (s.ok()) break;
      st.log->error("journal: saving {} job updates failed (attempt {}): {}", st.pending.size(),
                    attempt + 1, s.error().describe());
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::min(1000, 10 << std::min(attempt, 6))));
    }
    std::vector<status_event> events;
    events.reserve(st.pending.size());
    for (auto& u : st.pending) {
      events.push_back(status_event{u.campaign, u.iccid, u.job.state, u.job.attempt,
                                    u.job.por_status, u.job.reason, u.job.variant,
                                    u.job.updated_ms});
    }
    sink->emit(events);
    backlog->fetch_sub(st.pending.size(), std::memory_order_relaxed);
    st.pending.clear();
  };
  return {
      [=](journal_entry& e) {
        auto& st = self->state;
        st.pending.push_back(std::move(e.update));
        if (st.pending.size() >= batch_max) {
          flush();
        } else if (!st.flush_scheduled) {
          st.flush_scheduled = true;
          self->send(self, flush_atom::value);
        }
      },
      [=](flush_atom) { flush(); },
      // Everything sent before this request is durable when the answer arrives.
      [=](sync_atom) {
        flush();
        return sync_atom::value;
      },
  };
}

// ---- router: between actors and the SMPP transport -------------------------------------

struct route_entry {
  caf::actor who;
  std::string msisdn;
  std::vector<std::string> ids;
};

struct orphan_receipt {
  receipt r;
  std::chrono::steady_clock::time_point at;
};

struct router_state {
  std::unordered_map<std::uint64_t, route_entry> by_tag;
  std::unordered_map<std::string, std::uint64_t> by_message_id;
  std::unordered_multimap<std::string, std::uint64_t> by_msisdn;
  // Receipts whose message id is not known yet: with several binds the SMSC may send a
  // receipt on another bind than the submit, and that bind's thread can overtake the
  // submit_sm_resp. Kept briefly until the id is registered.
  std::unordered_map<std::string, orphan_receipt> orphans;
  // Job timers by due time. CAF 0.17's delayed_send holds a strong reference to its
  // receiver until it fires, so a per-actor PoR timer kept every finished subscriber (and
  // its state) in memory for the whole PoR timeout: 1 KB+ per card, hundreds of MB at
  // 10k cards/s. The router holds only tags; one delayed tick to itself drives them.
  std::multimap<std::chrono::steady_clock::time_point, std::pair<std::uint64_t, job_event>> timers;
  std::chrono::steady_clock::time_point next_tick = std::chrono::steady_clock::time_point::max();
};

caf::behavior router(caf::stateful_actor<router_state>* self, transport* tp) {
  auto drop_ids = [=](route_entry& e) {
    for (const auto& id : e.ids) self->state.by_message_id.erase(id);
    e.ids.clear();
  };
  auto schedule_tick = [=](std::chrono::steady_clock::time_point due) {
    self->state.next_tick = due;
    const auto now = std::chrono::steady_clock::now();
    self->delayed_send(self, due > now ? due - now : std::chrono::steady_clock::duration::zero(),
                       tick_atom::value);
  };
  return {
      [=](arm_timer& t) {
        auto& st = self->state;
        st.timers.emplace(t.due, std::make_pair(t.tag, std::move(t.ev)));
        if (t.due < st.next_tick) schedule_tick(t.due);
      },
      [=](tick_atom) {
        auto& st = self->state;
        const auto now = std::chrono::steady_clock::now();
        while (!st.timers.empty() && st.timers.begin()->first <= now) {
          auto node = st.timers.extract(st.timers.begin());
          auto it = st.by_tag.find(node.mapped().first);
          if (it != st.by_tag.end()) self->send(it->second.who, std::move(node.mapped().second));
        }
        // Only the tick that was due at next_tick re-arms; earlier extra ticks (left over
        // when a sooner timer replaced them) just fall through.
        if (now < st.next_tick) return;
        st.next_tick = std::chrono::steady_clock::time_point::max();
        if (!st.timers.empty()) schedule_tick(st.timers.begin()->first);
      },
      [=](route& r) {
        self->state.by_msisdn.emplace(r.msisdn, r.tag);
        self->state.by_tag[r.tag] = route_entry{std::move(r.who), std::move(r.msisdn), {}};
      },
      [=](unroute_atom, std::uint64_t tag) {
        auto& st = self->state;
        auto it = st.by_tag.find(tag);
        if (it == st.by_tag.end()) return;
        drop_ids(it->second);
        auto range = st.by_msisdn.equal_range(it->second.msisdn);
        for (auto m = range.first; m != range.second; ++m) {
          if (m->second == tag) {
            st.by_msisdn.erase(m);
            break;
          }
        }
        st.by_tag.erase(it);
      },
      [=](submit_request& r) { tp->submit(std::move(r)); },
      [=](submitted& s) {
        auto& st = self->state;
        auto it = st.by_tag.find(s.tag);
        if (it == st.by_tag.end()) return;
        drop_ids(it->second);  // a new attempt's ids replace the old ones
        for (const auto& id : s.ids) st.by_message_id[id] = s.tag;
        it->second.ids = s.ids;
        self->send(it->second.who,
                   job_event{ev_submit_ok{s.ids.empty() ? std::string() : s.ids.back()}});
        for (const auto& id : s.ids) {
          auto o = st.orphans.find(id);
          if (o == st.orphans.end()) continue;
          self->send(it->second.who,
                     job_event{ev_receipt{o->second.r.state, std::move(o->second.r.error)}});
          st.orphans.erase(o);
        }
      },
      [=](submit_failed& f) {
        auto it = self->state.by_tag.find(f.tag);
        if (it == self->state.by_tag.end()) return;
        self->send(it->second.who,
                   job_event{ev_submit_failed{f.status, std::move(f.reason), f.retriable}});
      },
      [=](lost_atom, std::uint64_t tag) {
        auto it = self->state.by_tag.find(tag);
        if (it == self->state.by_tag.end()) return;
        self->send(it->second.who, job_event{ev_submit_lost{}});
      },
      [=](bind_outcome& b) {
        auto it = self->state.by_tag.find(b.tag);
        if (it != self->state.by_tag.end()) self->send(it->second.who, b);
      },
      [=](receipt& r) {
        auto& st = self->state;
        auto id = st.by_message_id.find(r.id);
        if (id == st.by_message_id.end()) {
          // A finished job's receipt, or one that overtook its submit_sm_resp.
          const auto now = std::chrono::steady_clock::now();
          if (st.orphans.size() >= 10'000) {
            std::erase_if(st.orphans, [&](const auto& kv) {
              return now - kv.second.at > std::chrono::seconds(30);
            });
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
      },
      [=](mo& m) {
        // A PoR names its card by MSISDN only; every job of that card checks the
        // counter (a card may be in several campaigns at once).
        auto range = self->state.by_msisdn.equal_range(m.from);
        for (auto it = range.first; it != range.second; ++it) {
          auto e = self->state.by_tag.find(it->second);
          if (e != self->state.by_tag.end()) self->send(e->second.who, por_atom::value, m.ud);
        }
      },
  };
}

// Forwards transport callbacks (from transport threads) into the router's mailbox.
class router_listener final : public transport_listener {
 public:
  explicit router_listener(caf::actor router) : router_(std::move(router)) {}
  void on_submitted(std::uint64_t tag, std::vector<std::string> ids) override {
    caf::anon_send(router_, submitted{tag, std::move(ids)});
  }
  void on_submit_failed(std::uint64_t tag, std::uint32_t status, std::string reason,
                        bool retriable) override {
    caf::anon_send(router_, submit_failed{tag, status, std::move(reason), retriable});
  }
  void on_submit_lost(std::uint64_t tag) override {
    caf::anon_send(router_, lost_atom::value, tag);
  }
  void on_receipt(std::string id, std::uint8_t state, std::string error) override {
    caf::anon_send(router_, receipt{std::move(id), state, std::move(error)});
  }
  void on_mo(std::string from, bytes ud) override {
    caf::anon_send(router_, mo{std::move(from), std::move(ud)});
  }
  void on_submit_outcome(std::uint64_t tag, std::size_t bind, submit_outcome o) override {
    caf::anon_send(router_, bind_outcome{tag, bind, o});
  }

 private:
  caf::actor router_;
};

// ---- alerts: failure-rate windows of every campaign (actors/alert_monitor.hpp) ---------------
// Subscribers send the outcomes of their events (and of their binds' submit_sm); an alert is
// logged, handed to the engine's alert handler (which makes a pause durable and publishes the
// event), then told to the campaign's controller, which pauses the campaign if it says so.

using alert_fn = std::function<void(const alert&)>;

struct alerts_state {
  struct entry {
    alert_monitor monitor;
    caf::actor controller;
  };
  std::unordered_map<std::string, entry> campaigns;
  std::shared_ptr<spdlog::logger> log = log::get("alerts");
};

caf::behavior alerts_actor(caf::stateful_actor<alerts_state>* self, transport* tp,
                           const alert_fn* on_alert, const std::function<std::int64_t()>* clock) {
  return {
      [=](alert_register& r) {
        auto& m = self->state.campaigns;
        auto it = m.find(r.campaign);
        if (it == m.end()) {
          m.emplace(r.campaign, alerts_state::entry{alert_monitor(r.campaign, r.policy),
                                                    std::move(r.controller)});
        } else {
          it->second.monitor.set_policy(r.policy);
          it->second.controller = std::move(r.controller);
        }
      },
      [=](alert_unregister& u) { self->state.campaigns.erase(u.campaign); },
      [=](alert_feed& f) {
        auto& st = self->state;
        auto it = st.campaigns.find(f.campaign);
        if (it == st.campaigns.end()) return;
        const auto bind = f.bind ? tp->bind_name(*f.bind) : std::string();
        const auto now = *clock ? (*clock)() : now_ms();
        for (const auto& o : f.outcomes) {
          for (auto& a : it->second.monitor.observe(o, bind, now)) {
            if (a.cleared) {
              st.log->info("campaign '{}': {}", a.campaign, a.message);
              continue;
            }
            st.log->warn("ALERT campaign '{}' {}: {} (action: {})", a.campaign, to_string(a.kind),
                         a.message, a.paused ? "paused" : "none");
            if (*on_alert) (*on_alert)(a);
            // Ahead of the job_finished messages queued there: fewer cards start meanwhile.
            self->send<caf::message_priority::high>(it->second.controller,
                                                    alert_fired{std::move(a)});
          }
        }
      },
  };
}

// ---- subscriber: one card in flight -----------------------------------------------------

struct subscriber_state {
  std::uint64_t tag = 0;
  std::shared_ptr<card_info> card;
  std::shared_ptr<const campaign_ctx> campaign;
  job_record job;
  std::vector<bytes> segments;
  bool paused = false;              // the campaign is paused: hold before a new attempt
  bool parked = false;              // holding a new attempt (paused, or outside the send window)
  std::optional<job_event> held;    // the event that starts the held attempt
  bool wake_armed = false;          // a wake-up at the send window's opening is pending
  std::optional<std::size_t> bind;  // the SMSC bind of the current attempt (alerts)
};

using clock_fn = std::function<std::int64_t()>;

struct shared_actors {
  caf::actor crypto;
  caf::actor journal;
  caf::actor router;
  packet_factory* factory;
  caf::actor alerts{};
  const clock_fn* clock = nullptr;  // wall clock of time windows (engine::set_clock)
  // Job tags, unique across every campaign and the service of one engine: the router
  // keys routes and timers by tag, and several campaigns may run at once.
  std::atomic<std::uint64_t>* tags = nullptr;
  // State changes sent to the journal and not yet durable (to_journal), and the bound past
  // which campaigns and the service start no new card (0: none).
  std::atomic<std::uint64_t>* journal_backlog = nullptr;
  std::uint64_t journal_backlog_max = 0;
};

// Sends a state change to the journal, counted in the backlog until it is durable.
void to_journal(caf::event_based_actor* self, const shared_actors& s, job_update u) {
  if (s.journal_backlog) s.journal_backlog->fetch_add(1, std::memory_order_relaxed);
  self->send(s.journal, journal_entry{std::move(u)});
}

// Whether the journal is so far behind that no new card should start.
bool journal_congested(const shared_actors& s) {
  return s.journal_backlog && s.journal_backlog_max > 0 &&
         s.journal_backlog->load(std::memory_order_relaxed) >= s.journal_backlog_max;
}

// How long a campaign or the service waits before looking at a congested journal again.
constexpr auto congestion_retry = std::chrono::milliseconds(2);

std::int64_t wall_now(const shared_actors& s) {
  return s.clock && *s.clock ? (*s.clock)() : now_ms();
}

// Whether the event would start a new delivery attempt (what pauses and send windows hold).
bool starts_attempt(const job_record& job, const job_event& ev) {
  if (std::holds_alternative<ev_start>(ev)) {
    return job.state == job_state::queued || job.state == job_state::retry_wait;
  }
  if (const auto* due = std::get_if<ev_retry_due>(&ev)) {
    return job.state == job_state::retry_wait && due->epoch == job.timer_epoch;
  }
  return false;
}

caf::behavior subscriber(caf::stateful_actor<subscriber_state>* self, std::uint64_t tag,
                         std::shared_ptr<card_info> card, std::optional<job_record> job,
                         std::shared_ptr<const campaign_ctx> campaign, shared_actors shared,
                         caf::actor owner) {
  auto& st = self->state;
  st.tag = tag;
  st.card = std::move(card);
  st.campaign = std::move(campaign);
  if (job) st.job = std::move(*job);
  st.job.variant = variant_name(*st.campaign, *st.card);
  self->send(shared.router, route{tag, st.card->msisdn, self});

  auto handle = [=](const job_event& event) {
    auto& s = self->state;
    const job_event* evp = &event;
    const job_event expired = ev_expired{};
    if (starts_attempt(s.job, event)) {
      // A paused campaign, or one outside its send window (or before not_before), starts no
      // new attempt: the job holds (parked for its owner) until resume or the window opens.
      // After not_after it fails instead.
      const auto now = wall_now(shared);
      const auto gate = check_time(s.campaign->def.policy.time, now);
      if (gate.kind == time_gate::expired) {
        evp = &expired;
      } else if (s.paused || gate.kind == time_gate::wait) {
        s.held = event;
        if (!s.parked) {
          s.parked = true;
          self->send(owner, park_atom::value, s.tag);
        }
        if (!s.paused && !s.wake_armed) {
          s.wake_armed = true;
          const auto wait = std::max<std::int64_t>(1, gate.until_ms - now);
          self->delayed_send(self, std::chrono::milliseconds(wait), wake_atom::value);
        }
        return;
      }
      if (s.parked) {  // the attempt goes ahead (or the job expires): running again
        s.parked = false;
        s.held.reset();
        self->send(owner, unpark_atom::value, s.tag);
      }
    }
    const job_event& ev = *evp;
    if (s.campaign->def.alerts.enabled && shared.alerts) {
      auto outcomes = classify(s.job, ev);
      if (!outcomes.empty()) {
        self->send(shared.alerts, alert_feed{s.campaign->def.id, s.bind, std::move(outcomes)});
      }
    }
    const auto actions = transition(s.job, ev, s.campaign->def.policy.job, now_ms());
    for (const auto& a : actions) {
      if (std::holds_alternative<act_package>(a)) {
        self->send(shared.crypto, package_req{s.tag, self, s.card.get(), s.campaign.get()});
      } else if (std::holds_alternative<act_submit>(a)) {
        self->send(shared.router, submit_request{s.tag, s.card->msisdn, s.segments});
      } else if (auto* t = std::get_if<act_arm_por_timer>(&a)) {
        self->send(shared.router, arm_timer{s.tag, std::chrono::steady_clock::now() + t->after,
                                            job_event{ev_por_timeout{t->epoch}}});
      } else if (auto* r = std::get_if<act_arm_retry_timer>(&a)) {
        self->send(shared.router, arm_timer{s.tag, std::chrono::steady_clock::now() + r->after,
                                            job_event{ev_retry_due{r->epoch}}});
      } else if (std::holds_alternative<act_persist>(a)) {
        job_update u{s.campaign->def.id, s.card->iccid, s.job};
        if (s.card->variant >= 0) {
          const auto& update = s.campaign->variant_of(*s.card).def.update;
          u.may_hold_keys = update.keys.has_value();
          // What the card now holds, for rules on known files (PoR OK: the script ran).
          if (s.job.state == job_state::done) u.written = update.files;
        }
        to_journal(self, shared, std::move(u));
      }
    }
    if (is_terminal(s.job.state)) {
      self->send(shared.router, unroute_atom::value, s.tag);
      self->send(owner, job_finished{s.tag, s.job.state, s.job.por_status, s.job.reason,
                                     s.job.updated_ms - s.job.started_ms, s.job.variant});
      self->quit();
    }
  };

  self->send(self, start_atom::value);
  return {
      [=](start_atom) { handle(ev_start{}); },
      [=](const job_event& ev) { handle(ev); },
      [=](pause_atom) { self->state.paused = true; },
      [=](resume_atom) {
        auto& s = self->state;
        s.paused = false;
        if (!s.held) return;
        const auto held = *s.held;
        handle(held);  // starts the attempt, or holds on for the send window
      },
      [=](wake_atom) {
        auto& s = self->state;
        s.wake_armed = false;
        if (s.paused || !s.held) return;
        const auto held = *s.held;
        handle(held);
      },
      [=](bind_outcome& b) {
        auto& s = self->state;
        s.bind = b.bind;
        if (!s.campaign->def.alerts.enabled || !shared.alerts) return;
        self->send(shared.alerts,
                   alert_feed{s.campaign->def.id,
                              b.bind,
                              {alert_outcome{alert_kind::throttle,
                                             b.outcome == submit_outcome::throttled, 0}}});
      },
      [=](package_rep& rep) {
        auto& r = *rep.value;
        if (r.ok()) {
          self->state.segments = std::move(r->segments);
          handle(ev_packaged{r->counter});
        } else {
          handle(ev_package_failed{r.error().message, r.error().retriable()});
        }
      },
      [=](por_atom, const bytes& ud) {
        auto& s = self->state;
        auto por = shared.factory->open_por(*s.card, *s.campaign, ud);
        if (!por) {
          log::get("engine")->debug("iccid {}: ignoring MO message: {}", s.card->iccid,
                                    por.error().message);
          return;
        }
        handle(ev_por{por->counter, por->status, por->verified, por->script_sw, por->executed,
                      s.campaign->variant_of(*s.card).commands});
      },
  };
}

// ---- campaign: lazy expansion with a bounded window -------------------------------------

// What the campaign actor starts from; handed over as a spawn argument so that nothing
// touches the actor's state from outside (a no-argument spawn also trips UBSan inside
// CAF 0.17's init_fun_factory, which dereferences an empty argument tuple).
struct campaign_setup {
  std::shared_ptr<const campaign_ctx> ctx;
  std::unique_ptr<target_cursor> cursor;
  job_store* store = nullptr;
  shared_actors shared;
  std::size_t chunk = 256;
  progress_fn progress;
};

struct campaign_state : campaign_setup {
  std::uint64_t in_flight = 0;
  bool exhausted = false;
  bool refill_scheduled = false;
  campaign_summary summary;
  std::vector<std::uint32_t> latencies;
  std::chrono::steady_clock::time_point started;
  caf::response_promise done_promise;
  std::optional<error> failure;
  // Control (pause / resume / cancel, alerts) and time windows.
  campaign_mode mode = campaign_mode::running;
  std::unordered_map<std::uint64_t, caf::actor> live;  // subscribers alive, by tag
  std::unordered_set<std::uint64_t> parked;            // of those, holding a new attempt
  bool expired = false;     // not_after passed: every job not terminal fails
  bool gate_armed = false;  // a gate_atom is pending (the send window opens later)
  bool finishing = false;
};

caf::behavior campaign_actor(caf::stateful_actor<campaign_state>* self,
                             std::shared_ptr<campaign_setup> setup) {
  static_cast<campaign_setup&>(self->state) = std::move(*setup);
  auto finish = [=] {
    auto& st = self->state;
    if (st.finishing) return;
    st.finishing = true;
    // Paused: jobs holding a new attempt stay as they are stored (retry_wait or queued) and
    // resume with the next run; their actors go now.
    for (auto& [tag, who] : st.live) {
      self->send(st.shared.router, unroute_atom::value, tag);
      self->send_exit(who, caf::exit_reason::user_shutdown);
    }
    st.live.clear();
    st.summary.paused = st.mode == campaign_mode::paused;
    st.summary.cancelled = st.mode == campaign_mode::cancelled;
    if (st.shared.alerts) self->send(st.shared.alerts, alert_unregister{st.ctx->def.id});
    // Every state change sent to the journal is durable before the summary is out.
    self->request(st.shared.journal, caf::infinite, sync_atom::value).then([=](sync_atom) {
      auto& s = self->state;
      s.summary.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - s.started).count();
      if (!s.latencies.empty()) {
        std::sort(s.latencies.begin(), s.latencies.end());
        auto pct = [&](double p) {
          const auto i = static_cast<std::size_t>(p * static_cast<double>(s.latencies.size() - 1));
          return static_cast<double>(s.latencies[i]);
        };
        s.summary.latency_p50_ms = pct(0.50);
        s.summary.latency_p99_ms = pct(0.99);
        s.summary.latency_max_ms = static_cast<double>(s.latencies.back());
      }
      s.done_promise.deliver(s.summary);
      self->quit();
    });
  };

  auto count_terminal = [=](job_state state, const std::optional<std::uint8_t>& por,
                            const std::string& reason, const std::string& variant) {
    auto& s = self->state.summary;
    ++s.cards;
    auto* v = variant.empty() ? nullptr : &s.variants[variant];
    if (v) ++v->cards;
    if (state == job_state::done) {
      ++s.done;
      if (v) ++v->done;
    } else if (state == job_state::skipped) {
      ++s.skipped;
      ++s.skip_reasons[reason];
      if (v) ++v->skipped;
    } else {
      ++s.failed;
      ++s.failure_reasons[reason];
      if (v) ++v->failed;
    }
    if (por) ++s.por_status[*por];
  };

  // Ends the run when nothing is left to do: every card terminal, or the campaign paused
  // and every job left holding, or cancelled and every job failed.
  auto maybe_finish = [=] {
    auto& st = self->state;
    if (st.finishing) return;
    if ((st.exhausted && st.in_flight == 0) ||
        (st.mode == campaign_mode::paused && st.in_flight == st.parked.size()) ||
        (st.mode == campaign_mode::cancelled && st.in_flight == 0)) {
      finish();
    }
  };

  auto expire = [=] {
    auto& st = self->state;
    if (st.expired) return;
    st.expired = true;
    log::get("engine")->warn(
        "campaign '{}': validity expired (not_after {}); jobs not terminal fail", st.ctx->def.id,
        format_rfc3339(*st.ctx->def.policy.time.not_after_ms));
    for (auto& [tag, who] : st.live) self->send(who, job_event{ev_expired{}});
  };

  auto set_mode = [=](campaign_mode mode, const std::string& why) {
    auto& st = self->state;
    if (st.mode == mode || st.mode == campaign_mode::cancelled) return;
    st.mode = mode;
    log::get("engine")->warn("campaign '{}' {}{}", st.ctx->def.id, to_string(mode), why);
    for (auto& [tag, who] : st.live) {
      switch (mode) {
        case campaign_mode::paused:
          self->send(who, pause_atom::value);
          break;
        case campaign_mode::running:
          self->send(who, resume_atom::value);
          break;
        case campaign_mode::cancelled:
          self->send(who, job_event{ev_cancel{"campaign cancelled"}});
          break;
      }
    }
    if (!st.refill_scheduled) {
      st.refill_scheduled = true;
      self->send(self, refill_atom::value);
    }
  };

  auto refill = [=] {
    auto& st = self->state;
    st.refill_scheduled = false;
    if (st.finishing) return;
    // Paused or cancelled: no new card starts. Before not_before or outside the send window:
    // none either, until it opens. After not_after: every card fails (below).
    if (st.mode != campaign_mode::running) return maybe_finish();
    const auto now = wall_now(st.shared);
    const auto gate = check_time(st.ctx->def.policy.time, now);
    if (gate.kind == time_gate::expired) {
      expire();
    } else if (gate.kind == time_gate::wait) {
      if (!st.gate_armed) {
        st.gate_armed = true;
        log::get("engine")->info("campaign '{}': outside its send window; sleeping until {}",
                                 st.ctx->def.id, format_rfc3339(gate.until_ms));
        const auto wait = std::max<std::int64_t>(1, gate.until_ms - now);
        self->delayed_send(self, std::chrono::milliseconds(wait), gate_atom::value);
      }
      return maybe_finish();
    }
    const auto window = st.ctx->def.policy.window;
    // Top up in pages of at least a quarter chunk: every page is a cursor read (an iterator,
    // a seek, a MultiGet of keys). Jobs end one at a time, so topping up at every end read
    // a page per card.
    const std::uint64_t min_page =
        std::max<std::uint64_t>(1, std::min<std::uint64_t>(st.chunk, window) / 4);
    const auto wants_more = [&] {
      return !st.exhausted && st.in_flight < window &&
             (st.in_flight == 0 || window - st.in_flight >= min_page) &&
             !journal_congested(st.shared);
    };
    while (wants_more()) {
      const auto want = std::min<std::size_t>(st.chunk, window - st.in_flight);
      auto cards = st.cursor->next(want);
      if (!cards) {
        st.failure = cards.error();
        st.exhausted = true;
        break;
      }
      if (cards->empty()) {
        st.exhausted = true;
        break;
      }
      std::vector<std::string_view> iccids;
      iccids.reserve(cards->size());
      for (const auto& c : *cards) iccids.push_back(c.iccid);
      auto jobs = st.store->load_many(st.ctx->def.id, iccids);
      if (!jobs) {
        st.failure = jobs.error();
        st.exhausted = true;
        break;
      }
      for (std::size_t k = 0; k < cards->size(); ++k) {
        auto& c = (*cards)[k];
        auto* job = &(*jobs)[k];
        if (job->has_value() && is_terminal((*job)->state)) {
          // Resumed run: this card already has its one terminal state.
          ++st.summary.resumed_terminal;
          count_terminal((*job)->state, (*job)->por_status, (*job)->reason, (*job)->variant);
          continue;
        }
        if (!c.skip.empty()) {
          auto rec = skipped_job(*st.ctx, c, std::move(*job), now_ms());
          to_journal(self, st.shared, job_update{st.ctx->def.id, c.iccid, rec});
          count_terminal(rec.state, rec.por_status, rec.reason, rec.variant);
          continue;
        }
        if (st.expired) {
          // Past not_after: the job fails without a subscriber or an SMS.
          job_record rec = job->value_or(job_record{});
          rec.variant = variant_name(*st.ctx, c);
          (void)transition(rec, ev_expired{}, st.ctx->def.policy.job, now_ms());
          to_journal(self, st.shared, job_update{st.ctx->def.id, c.iccid, rec});
          count_terminal(rec.state, rec.por_status, rec.reason, rec.variant);
          continue;
        }
        ++st.in_flight;
        const auto tag = st.shared.tags->fetch_add(1, std::memory_order_relaxed);
        auto who = self->spawn(subscriber, tag, std::make_shared<card_info>(std::move(c)),
                               std::move(*job), st.ctx, st.shared, caf::actor{self});
        st.live.emplace(tag, std::move(who));
      }
      // Yield between chunks: CAF 0.17's scheduler degrades when one handler sends
      // to very many actors at once (docs/DEPENDENCIES).
      if (wants_more()) {
        st.refill_scheduled = true;
        self->send(self, refill_atom::value);
        return;
      }
    }
    if (!st.exhausted && st.in_flight < window && journal_congested(st.shared)) {
      // Cards would start but the journal is behind: look again shortly (cards ending
      // meanwhile look too).
      st.refill_scheduled = true;
      self->delayed_send(self, congestion_retry, refill_atom::value);
      return;
    }
    maybe_finish();
  };

  return {
      [=](start_atom) -> caf::result<campaign_summary> {
        auto& st = self->state;
        st.done_promise = self->make_response_promise<campaign_summary>();
        st.started = std::chrono::steady_clock::now();
        st.summary.campaign = st.ctx->def.id;
        if (st.shared.alerts) {
          self->send(st.shared.alerts, alert_register{st.ctx->def.id, st.ctx->def.alerts, self});
        }
        if (const auto& na = st.ctx->def.policy.time.not_after_ms) {
          const auto left = *na - wall_now(st.shared);
          self->delayed_send(self, std::chrono::milliseconds(std::max<std::int64_t>(0, left) + 1),
                             expire_atom::value);
        }
        refill();
        return st.done_promise;
      },
      [=](refill_atom) { refill(); },
      [=](gate_atom) {
        self->state.gate_armed = false;
        if (!self->state.refill_scheduled) refill();
      },
      [=](expire_atom) {
        if (!self->state.refill_scheduled) refill();
      },
      [=](svc_campaign& c) { set_mode(c.mode, ""); },
      [=](alert_fired& f) {
        auto& st = self->state;
        const bool pause = f.a.paused && st.mode == campaign_mode::running;
        st.summary.alerts.push_back(std::move(f.a));
        if (pause) {
          set_mode(campaign_mode::paused, " by an alert: " + st.summary.alerts.back().message);
        }
      },
      [=](park_atom, std::uint64_t tag) {
        self->state.parked.insert(tag);
        maybe_finish();
      },
      [=](unpark_atom, std::uint64_t tag) { self->state.parked.erase(tag); },
      [=](job_finished& f) {
        auto& st = self->state;
        st.live.erase(f.tag);
        st.parked.erase(f.tag);
        --st.in_flight;
        count_terminal(f.state, f.por_status, f.reason, f.variant);
        if (f.state == job_state::done && f.latency_ms >= 0) {
          st.latencies.push_back(static_cast<std::uint32_t>(f.latency_ms));
        }
        if (st.progress && st.summary.cards % 500 == 0) {
          st.progress({st.summary.cards, st.in_flight, st.summary.done, st.summary.failed});
        }
        if (!st.refill_scheduled) refill();
      },
  };
}

// ---- service: continuous admission (otaflow serve) ---------------------------------------
// Admissions (a cursor of cards and a token) are taken in arrival order as the window
// allows. A card without a job gets a durable `queued` record through the journal before its
// subscriber starts; a request to the journal after those entries ("sync") answers once they
// are durable, and then the admission's token is reported. Cards with a terminal job, or
// with a job in flight here, are skipped: triggers are idempotent.

/// Gauges and totals shared with engine::stats() (written by the service actor only).
struct service_counters {
  std::atomic<std::uint64_t> admissions{0}, cards{0}, started{0}, queued_paused{0},
      skipped_terminal{0}, skipped_active{0}, cancelled{0}, done{0}, failed{0}, in_flight{0},
      parked{0}, waiting{0}, skipped{0}, expired{0}, queued_window{0};
  // Admissions sent by engine::admit and not out of the service's queue yet (counted by the
  // sender, so a consumer's back-pressure also sees those still in the mailbox).
  std::atomic<std::size_t> open_admissions{0};
};

struct svc_campaign_entry {
  std::shared_ptr<const campaign_ctx> ctx;
  campaign_mode mode = campaign_mode::running;
};

struct svc_admission {
  std::string campaign;
  std::shared_ptr<target_cursor> cursor;
  std::uint64_t token = 0;
  std::deque<card_info> pending;  // taken from the cursor, not handled yet
  std::uint64_t taken = 0;
  std::uint64_t need_sync = 0;  // the journal sync that makes its entries durable
  bool wrote_in_pump = false;   // sent journal entries in the current pump
  bool exhausted = false;
};

struct svc_job {
  caf::actor who;
  std::string key;  // campaign \0 ICCID
  std::string campaign;
  bool parked = false;
};

struct service_state {
  std::unordered_map<std::string, svc_campaign_entry> campaigns;
  std::deque<svc_admission> queue;
  std::unordered_map<std::uint64_t, svc_job> jobs;                // by tag
  std::unordered_set<std::string> active;                         // keys of jobs
  std::vector<std::pair<std::uint64_t, std::uint64_t>> awaiting;  // (sync id, token)
  std::uint64_t syncs_sent = 0;
  std::uint64_t syncs_done = 0;
  std::size_t running = 0;
  bool pump_scheduled = false;
  bool stopping = false;
  std::vector<caf::response_promise> stop_waiters;
  std::shared_ptr<spdlog::logger> log = log::get("engine");
  std::unordered_set<std::string> gate_armed;  // campaigns waiting for their send window
};

using reopen_fn = std::function<void(const std::string&)>;

std::string job_key(const std::string& campaign, const std::string& iccid) {
  std::string k;
  k.reserve(campaign.size() + 1 + iccid.size());
  k += campaign;
  k += '\0';
  k += iccid;
  return k;
}

caf::behavior service_actor(caf::stateful_actor<service_state>* self, shared_actors shared,
                            job_store* store, std::size_t window, std::size_t chunk,
                            std::shared_ptr<service_counters> counters, admitted_fn on_admitted,
                            const reopen_fn* on_reopen) {
  window = std::max<std::size_t>(1, window);
  chunk = std::max<std::size_t>(1, chunk);

  // The engine ends the service with an exit message: its jobs go with it.
  self->set_exit_handler([=](caf::exit_msg& m) {
    for (auto& [tag, j] : self->state.jobs) self->send_exit(j.who, m.reason);
    self->state.jobs.clear();
    self->quit(m.reason);
  });

  // Wakes the service when a campaign's send window opens (or not_before passes): its jobs
  // queued meanwhile are admitted again through the reopen handler.
  auto arm_gate = [=](const std::string& campaign, std::int64_t until) {
    if (!self->state.gate_armed.insert(campaign).second) return;
    const auto left = std::max<std::int64_t>(1, until - wall_now(shared));
    self->delayed_send(self, std::chrono::milliseconds(left), gate_atom::value, campaign);
  };

  auto gauges = [=] {
    auto& st = self->state;
    counters->in_flight = st.running;
    counters->parked = st.jobs.size() - st.running;
    counters->waiting = st.queue.size();
  };

  auto report_synced = [=] {
    auto& st = self->state;
    std::erase_if(st.awaiting, [&](const auto& a) {
      if (a.first > st.syncs_done) return false;
      if (on_admitted) on_admitted(a.second);
      return true;
    });
  };

  // Asks the journal to answer once everything sent to it so far is durable.
  auto request_sync = [=]() -> std::uint64_t {
    auto& st = self->state;
    const auto id = ++st.syncs_sent;
    self->request(shared.journal, caf::infinite, sync_atom::value).then([=](sync_atom) {
      auto& s = self->state;
      s.syncs_done = std::max(s.syncs_done, id);
      report_synced();
    });
    return id;
  };

  auto journal_job = [=](const std::string& campaign, const std::string& iccid,
                         const job_record& job) {
    to_journal(self, shared, job_update{campaign, iccid, job});
  };

  auto maybe_stopped = [=] {
    auto& st = self->state;
    if (!st.stopping || st.running != 0) return;
    for (auto& p : st.stop_waiters) p.deliver(stop_atom::value);
    st.stop_waiters.clear();
  };

  // Handles one card of an admission. Returns false when it must wait (window full) or
  // could not be decided (storage error); the card stays pending then.
  auto take_card = [=](svc_admission& a, const svc_campaign_entry& camp, card_info& card,
                       bool& wrote) -> bool {
    auto& st = self->state;
    auto key = job_key(a.campaign, card.iccid);
    if (st.active.count(key)) {
      ++counters->skipped_active;
      return true;
    }
    if (camp.mode == campaign_mode::running && (st.running >= window || journal_congested(shared)))
      return false;
    auto job = store->load(a.campaign, card.iccid);
    if (!job) {
      st.log->error("service: reading the job of {} / {} failed: {}", a.campaign, card.iccid,
                    job.error().describe());
      return false;
    }
    if (job->has_value() && is_terminal((*job)->state)) {
      ++counters->skipped_terminal;
      return true;
    }
    const auto now = now_ms();
    if (!card.skip.empty()) {
      // No variant applies: terminal at once, whatever the campaign's mode.
      journal_job(a.campaign, card.iccid, skipped_job(*camp.ctx, card, std::move(*job), now));
      wrote = true;
      ++counters->skipped;
      return true;
    }
    // Time windows: past not_after the job fails; outside the send window (or before
    // not_before) it is queued durably like a paused campaign's, and admitted again when the
    // window opens.
    if (camp.mode != campaign_mode::cancelled) {
      const auto gate = check_time(camp.ctx->def.policy.time, wall_now(shared));
      if (gate.kind == time_gate::expired) {
        job_record rec = job->value_or(job_record{});
        (void)transition(rec, ev_expired{}, camp.ctx->def.policy.job, now);
        journal_job(a.campaign, card.iccid, rec);
        wrote = true;
        ++counters->expired;
        return true;
      }
      if (gate.kind == time_gate::wait && camp.mode == campaign_mode::running) {
        if (!job->has_value()) {
          job_record rec;
          rec.updated_ms = now;
          journal_job(a.campaign, card.iccid, rec);
          wrote = true;
        }
        ++counters->queued_window;
        arm_gate(a.campaign, gate.until_ms);
        return true;
      }
    }
    switch (camp.mode) {
      case campaign_mode::cancelled: {
        job_record rec = job->value_or(job_record{});
        (void)transition(rec, ev_cancel{"campaign cancelled"}, camp.ctx->def.policy.job, now);
        journal_job(a.campaign, card.iccid, rec);
        wrote = true;
        ++counters->cancelled;
        return true;
      }
      case campaign_mode::paused:
        if (!job->has_value()) {
          job_record rec;
          rec.updated_ms = now;
          journal_job(a.campaign, card.iccid, rec);
          wrote = true;
          ++counters->queued_paused;
        }
        return true;
      case campaign_mode::running:
        break;
    }
    job_record rec;
    if (job->has_value()) {
      rec = std::move(**job);
    } else {
      rec.updated_ms = now;
      journal_job(a.campaign, card.iccid, rec);  // durable before the token is reported
      wrote = true;
    }
    const auto tag = shared.tags->fetch_add(1, std::memory_order_relaxed);
    // Not linked: a link costs the service a scan of all its links when the job ends (CAF
    // keeps them in a list), O(window) per card. The exit handler below ends the jobs instead.
    auto who =
        self->spawn(subscriber, tag, std::make_shared<card_info>(std::move(card)),
                    std::optional<job_record>(std::move(rec)), camp.ctx, shared, caf::actor{self});
    st.active.insert(key);
    st.jobs.emplace(tag, svc_job{std::move(who), std::move(key), a.campaign, false});
    ++st.running;
    ++counters->started;
    return true;
  };

  auto pump = [=] {
    auto& st = self->state;
    st.pump_scheduled = false;
    if (st.stopping) return;
    struct finished_admission {
      std::uint64_t token;
      bool this_pump;              // its last entries were sent in this run
      std::uint64_t earlier_sync;  // else: the sync its entries wait for
    };
    bool wrote = false;
    bool stalled = false;
    bool congested = false;
    std::vector<finished_admission> finished;
    std::size_t budget = chunk;
    while (!st.queue.empty() && budget > 0) {
      auto& a = st.queue.front();
      auto camp = st.campaigns.find(a.campaign);
      if (camp == st.campaigns.end() || !camp->second.ctx) {
        st.log->warn("service: admission for unknown campaign '{}' dropped", a.campaign);
        finished.push_back({a.token, false, 0});
        st.queue.pop_front();
        --counters->open_admissions;
        continue;
      }
      if (a.pending.empty() && !a.exhausted) {
        std::size_t want = budget;
        if (camp->second.mode == campaign_mode::running) {
          // A full window takes no new admission; one already taken is probed for its end
          // (a one-card trigger is complete, and reported, once its cursor says so).
          if (st.running >= window && a.taken == 0) break;
          want = std::min(want, st.running >= window ? std::size_t{1} : window - st.running);
        }
        auto cards = a.cursor->next(want);
        if (!cards) {
          st.log->error("service: expanding the cards of campaign '{}' failed: {}", a.campaign,
                        cards.error().describe());
          stalled = true;
          break;
        }
        if (cards->empty()) a.exhausted = true;
        for (auto& c : *cards) a.pending.push_back(std::move(c));
        a.taken += cards->size();
        counters->cards += cards->size();
      }
      bool a_wrote = false;
      bool blocked = false;
      while (!a.pending.empty() && budget > 0) {
        if (!take_card(a, camp->second, a.pending.front(), a_wrote)) {
          blocked = true;
          congested = journal_congested(shared);
          // A storage error, not a full window or a journal behind.
          stalled = st.running < window && !congested;
          break;
        }
        a.pending.pop_front();
        --budget;
      }
      if (a_wrote) {
        wrote = true;
        a.wrote_in_pump = true;
      }
      if (a.pending.empty() && a.exhausted) {
        finished.push_back({a.token, a.wrote_in_pump, a.need_sync});
        st.queue.pop_front();
        --counters->open_admissions;
        continue;
      }
      if (blocked) break;
    }
    const std::uint64_t sync_id = wrote ? request_sync() : 0;
    // Only the front admission can be left half taken.
    if (!st.queue.empty() && st.queue.front().wrote_in_pump) {
      st.queue.front().need_sync = sync_id;
      st.queue.front().wrote_in_pump = false;
    }
    for (const auto& f : finished) {
      if (f.token == 0) continue;
      const auto sync = f.this_pump ? sync_id : f.earlier_sync;
      if (sync > st.syncs_done) {
        st.awaiting.emplace_back(sync, f.token);
      } else if (on_admitted) {
        on_admitted(f.token);
      }
    }
    gauges();
    if (stalled) {
      // Storage trouble: try again a little later instead of spinning.
      st.pump_scheduled = true;
      self->delayed_send(self, std::chrono::milliseconds(500), refill_atom::value);
      return;
    }
    if (congested) {
      // The journal is behind: look again shortly (jobs ending meanwhile look too).
      st.pump_scheduled = true;
      self->delayed_send(self, congestion_retry, refill_atom::value);
      return;
    }
    // Yield between chunks (see the campaign actor): the rest goes through the mailbox.
    if (!st.queue.empty() && budget == 0) {
      st.pump_scheduled = true;
      self->send(self, refill_atom::value);
    }
  };

  auto schedule = [=] {
    auto& st = self->state;
    if (st.pump_scheduled) return;
    st.pump_scheduled = true;
    self->send(self, refill_atom::value);
  };

  auto to_jobs_of = [=](const std::string& campaign, const auto& m) {
    for (auto& [tag, j] : self->state.jobs) {
      if (j.campaign == campaign) self->send(j.who, m);
    }
  };

  auto apply_mode = [=](const std::string& id, campaign_mode mode) {
    auto& st = self->state;
    auto it = st.campaigns.find(id);
    if (it == st.campaigns.end()) return;
    auto& e = it->second;
    if (e.mode == campaign_mode::cancelled && mode != campaign_mode::cancelled) {
      st.log->warn("service: campaign '{}' is cancelled; '{}' ignored", id, to_string(mode));
      return;
    }
    const auto old = e.mode;
    e.mode = mode;
    if (old == mode) return;
    st.log->info("service: campaign '{}' {}", id, to_string(mode));
    switch (mode) {
      case campaign_mode::paused:
        to_jobs_of(id, pause_atom::value);
        break;
      case campaign_mode::running:
        to_jobs_of(id, resume_atom::value);
        break;
      case campaign_mode::cancelled:
        to_jobs_of(id, job_event{ev_cancel{"campaign cancelled"}});
        break;
    }
    schedule();
  };

  return {
      [=](refill_atom) { pump(); },
      [=](svc_campaign& c) {
        auto& st = self->state;
        if (c.ctx) {
          if (shared.alerts) {
            self->send(shared.alerts, alert_register{c.id, c.ctx->def.alerts, self});
          }
          if (const auto& na = c.ctx->def.policy.time.not_after_ms) {
            const auto left = std::max<std::int64_t>(0, *na - wall_now(shared)) + 1;
            self->delayed_send(self, std::chrono::milliseconds(left), expire_atom::value, c.id);
          }
          auto& e = st.campaigns[c.id];
          const bool fresh = !e.ctx;
          e.ctx = std::move(c.ctx);
          if (fresh) e.mode = c.mode;
          if (fresh) {
            st.log->info("service: campaign '{}' registered ({})", c.id, to_string(c.mode));
            schedule();
            return;
          }
        }
        apply_mode(c.id, c.mode);
      },
      [=](svc_admit& a) {
        auto& st = self->state;
        ++counters->admissions;
        if (st.stopping) {
          --counters->open_admissions;
          return;
        }
        svc_admission adm;
        adm.campaign = std::move(a.campaign);
        adm.cursor = std::move(a.cursor);
        adm.token = a.token;
        st.queue.push_back(std::move(adm));
        gauges();
        schedule();
      },
      [=](svc_withdraw& w) {
        auto& st = self->state;
        std::vector<std::uint64_t> out;
        for (auto it = st.queue.begin(); it != st.queue.end();) {
          if (it->token != 0 && (*w.which)(it->token)) {
            out.push_back(it->token);
            it = st.queue.erase(it);
            --counters->open_admissions;
          } else {
            ++it;
          }
        }
        gauges();
        // Answer after the journal: admissions finished before are reported by then.
        auto rp = self->make_response_promise();
        self->request(shared.journal, caf::infinite, sync_atom::value).then([=](sync_atom) mutable {
          rp.deliver(std::move(out));
        });
      },
      [=](job_finished& f) {
        auto& st = self->state;
        auto it = st.jobs.find(f.tag);
        if (it == st.jobs.end()) return;
        if (!it->second.parked) --st.running;
        st.active.erase(it->second.key);
        st.jobs.erase(it);
        if (f.state == job_state::done) {
          ++counters->done;
        } else {
          ++counters->failed;
        }
        gauges();
        maybe_stopped();
        schedule();
      },
      [=](alert_fired& f) {
        if (f.a.paused) apply_mode(f.a.campaign, campaign_mode::paused);
      },
      [=](gate_atom, const std::string& id) {
        auto& st = self->state;
        st.gate_armed.erase(id);
        auto it = st.campaigns.find(id);
        if (it == st.campaigns.end() || !it->second.ctx) return;
        const auto gate = check_time(it->second.ctx->def.policy.time, wall_now(shared));
        if (gate.kind == time_gate::wait) {
          arm_gate(id, gate.until_ms);
          return;
        }
        st.log->info("service: campaign '{}': send window open; queued jobs admitted", id);
        if (*on_reopen) (*on_reopen)(id);
      },
      [=](expire_atom, const std::string& id) {
        auto& st = self->state;
        auto it = st.campaigns.find(id);
        if (it == st.campaigns.end() || !it->second.ctx) return;
        const auto gate = check_time(it->second.ctx->def.policy.time, wall_now(shared));
        if (gate.kind != time_gate::expired) return;  // a newer definition moved not_after
        st.log->warn("service: campaign '{}': validity expired; jobs not terminal fail", id);
        to_jobs_of(id, job_event{ev_expired{}});
        if (*on_reopen) (*on_reopen)(id);  // jobs queued meanwhile fail when admitted
      },
      [=](park_atom, std::uint64_t tag) {
        auto& st = self->state;
        auto it = st.jobs.find(tag);
        if (it == st.jobs.end() || it->second.parked) return;
        it->second.parked = true;
        --st.running;
        gauges();
        maybe_stopped();
        schedule();
      },
      [=](unpark_atom, std::uint64_t tag) {
        auto& st = self->state;
        auto it = st.jobs.find(tag);
        if (it == st.jobs.end() || !it->second.parked) return;
        it->second.parked = false;
        ++st.running;
        gauges();
      },
      [=](stop_atom) {
        auto& st = self->state;
        st.stopping = true;
        counters->open_admissions -= st.queue.size();
        st.queue.clear();
        gauges();
        st.stop_waiters.push_back(self->make_response_promise());
        maybe_stopped();
      },
  };
}

}  // namespace

struct engine::impl {
  engine_options options;
  packet_factory& factory;
  transport& tp;
  job_store& store;
  status_sink& sink;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> system;
  caf::actor crypto, journal_actor, router_actor;
  std::unique_ptr<router_listener> listener;
  caf::actor service;  // service mode only
  std::shared_ptr<service_counters> counters = std::make_shared<service_counters>();
  // Alerts, clock and campaign control (set before run() / start_service()).
  caf::actor alerts;
  alert_fn on_alert;
  clock_fn clock;
  reopen_fn on_reopen;
  std::mutex runs_mu;
  std::map<std::string, caf::actor> runs;  // campaign actors of run(), by campaign id
  std::atomic<std::uint64_t> tags{1};
  std::atomic<std::uint64_t> journal_backlog{0};

  shared_actors shared() {
    return shared_actors{crypto,   journal_actor,    router_actor,
                         &factory, alerts,           &clock,
                         &tags,    &journal_backlog, options.journal_backlog_max};
  }

  impl(engine_options o, packet_factory& f, transport& t, job_store& s, status_sink& k)
      : options(o), factory(f), tp(t), store(s), sink(k) {
    if (options.scheduler_threads > 0) {
      cfg.set("scheduler.max-threads", options.scheduler_threads);
    }
    cfg.set("logger.verbosity", caf::atom("quiet"));
    // An unknown name falls back to sharing (serve's configuration validates it first).
    cfg.set("scheduler.policy",
            caf::atom_from_string(options.scheduler_policy == "stealing" ? "stealing" : "sharing"));
    system = std::make_unique<caf::actor_system>(cfg);
    crypto = system->spawn<caf::detached>(crypto_stage, &factory,
                                          std::max<std::size_t>(1, options.crypto_batch_max));
    journal_actor = system->spawn<caf::detached>(
        journal, &store, &sink, std::max<std::size_t>(1, options.journal_batch_max),
        &journal_backlog);
    router_actor = system->spawn(router, &tp);
    alerts = system->spawn(alerts_actor, &tp, &on_alert, &clock);
    listener = std::make_unique<router_listener>(router_actor);
    tp.set_listener(listener.get());
  }

  ~impl() {
    tp.set_listener(nullptr);
    // The service first: it ends its subscribers (its exit handler).
    if (service) caf::anon_send_exit(service, caf::exit_reason::user_shutdown);
    for (auto* a : {&crypto, &journal_actor, &router_actor, &alerts}) {
      caf::anon_send_exit(*a, caf::exit_reason::user_shutdown);
    }
    system->await_all_actors_done();
  }
};

engine::engine(engine_options options, packet_factory& factory, transport& transport,
               job_store& store, status_sink& sink)
    : impl_(std::make_unique<impl>(options, factory, transport, store, sink)) {}

std::uint64_t engine::journal_backlog() const {
  return impl_->journal_backlog.load(std::memory_order_relaxed);
}

engine::~engine() = default;

result<campaign_summary> engine::run(std::shared_ptr<const campaign_ctx> campaign,
                                     std::unique_ptr<target_cursor> targets, progress_fn progress) {
  auto& sys = *impl_->system;
  auto setup = std::make_shared<campaign_setup>();
  setup->ctx = std::move(campaign);
  setup->cursor = std::move(targets);
  setup->store = &impl_->store;
  setup->shared = impl_->shared();
  setup->chunk = std::max<std::size_t>(1, impl_->options.expand_chunk);
  setup->progress = std::move(progress);
  const auto id = setup->ctx->def.id;
  auto actor = sys.spawn(campaign_actor, std::move(setup));
  {
    std::lock_guard lock(impl_->runs_mu);
    impl_->runs[id] = actor;
  }
  caf::scoped_actor self{sys};
  result<campaign_summary> out = make_error(errc::internal, "campaign ended without a summary");
  std::optional<error> failure;
  self->request(actor, caf::infinite, start_atom::value)
      .receive([&](campaign_summary& s) { out = std::move(s); },
               [&](caf::error& e) {
                 out = make_error(errc::internal, "campaign actor failed: " + sys.render(e));
               });
  {
    std::lock_guard lock(impl_->runs_mu);
    impl_->runs.erase(id);
  }
  return out;
}

void engine::set_clock(std::function<std::int64_t()> clock) {
  impl_->clock = std::move(clock);
}

void engine::set_alert_handler(std::function<void(const alert&)> handler) {
  impl_->on_alert = std::move(handler);
}

void engine::set_reopen_handler(std::function<void(const std::string&)> handler) {
  impl_->on_reopen = std::move(handler);
}

std::string_view to_string(campaign_mode m) noexcept {
  switch (m) {
    case campaign_mode::running:
      return "running";
    case campaign_mode::paused:
      return "paused";
    case campaign_mode::cancelled:
      return "cancelled";
  }
  return "unknown";
}

status engine::start_service(service_options options, admitted_fn on_admitted) {
  auto& i = *impl_;
  if (i.service) return make_error(errc::conflict, "engine: the service is already started");
  i.service =
      i.system->spawn(service_actor, i.shared(), &i.store, options.window, i.options.expand_chunk,
                      i.counters, std::move(on_admitted), &i.on_reopen);
  return {};
}

void engine::set_campaign(std::shared_ptr<const campaign_ctx> campaign, campaign_mode mode) {
  if (!impl_->service || !campaign) return;
  auto id = campaign->def.id;
  caf::anon_send(impl_->service, svc_campaign{std::move(id), std::move(campaign), mode});
}

void engine::set_mode(const std::string& campaign, campaign_mode mode) {
  {
    // A campaign run by run() (campaign run): its campaign actor changes mode.
    std::lock_guard lock(impl_->runs_mu);
    if (auto it = impl_->runs.find(campaign); it != impl_->runs.end()) {
      caf::anon_send(it->second, svc_campaign{campaign, nullptr, mode});
    }
  }
  if (!impl_->service) return;
  caf::anon_send(impl_->service, svc_campaign{campaign, nullptr, mode});
}

void engine::admit(const std::string& campaign, std::unique_ptr<target_cursor> cards,
                   std::uint64_t token) {
  if (!impl_->service) return;
  ++impl_->counters->open_admissions;
  caf::anon_send(impl_->service,
                 svc_admit{campaign, std::shared_ptr<target_cursor>(std::move(cards)), token});
}

std::vector<std::uint64_t> engine::withdraw(std::function<bool(std::uint64_t)> which) {
  std::vector<std::uint64_t> out;
  if (!impl_->service) return out;
  caf::scoped_actor self{*impl_->system};
  self->request(
          impl_->service, caf::infinite,
          svc_withdraw{std::make_shared<std::function<bool(std::uint64_t)>>(std::move(which))})
      .receive([&](std::vector<std::uint64_t>& tokens) { out = std::move(tokens); },
               [&](caf::error&) {});
  return out;
}

std::size_t engine::backlog() const noexcept {
  return impl_->counters->in_flight.load() + impl_->counters->waiting.load();
}

std::size_t engine::waiting() const noexcept {
  return impl_->counters->open_admissions.load();
}

service_stats engine::stats() const {
  const auto& c = *impl_->counters;
  service_stats s;
  s.admissions = c.admissions;
  s.cards = c.cards;
  s.started = c.started;
  s.queued_paused = c.queued_paused;
  s.skipped_terminal = c.skipped_terminal;
  s.skipped_active = c.skipped_active;
  s.skipped = c.skipped;
  s.expired = c.expired;
  s.queued_window = c.queued_window;
  s.cancelled = c.cancelled;
  s.done = c.done;
  s.failed = c.failed;
  s.in_flight = c.in_flight;
  s.parked = c.parked;
  s.waiting = c.waiting;
  s.journal_backlog = impl_->journal_backlog.load(std::memory_order_relaxed);
  return s;
}

void engine::stop_service(std::chrono::milliseconds grace) {
  auto& i = *impl_;
  if (!i.service) return;
  caf::scoped_actor self{*i.system};
  self->request(i.service, grace, stop_atom::value)
      .receive([](stop_atom) {},
               [&](caf::error&) {
                 log::get("engine")->warn(
                     "service: {} jobs still running after {} ms; their "
                     "state is durable and resumes at the next start",
                     i.counters->in_flight.load(), grace.count());
               });
  self->request(i.journal_actor, caf::infinite, sync_atom::value)
      .receive([](sync_atom) {}, [](caf::error&) {});
}

}  // namespace otaflow::actors
