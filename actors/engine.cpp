#include "actors/engine.hpp"

#include <algorithm>
#include <atomic>
#include <unordered_map>
#include <unordered_set>

#include <caf/all.hpp>

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
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::card_box)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::job_event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::submit_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::campaign_summary)

namespace otaflow::actors {
namespace {

using namespace msg;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
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
      auto r = i < results.size()
                   ? std::make_shared<result<packaged>>(std::move(results[i]))
                   : std::make_shared<result<packaged>>(
                         make_error(errc::internal, "packet factory returned too few results"));
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

caf::behavior journal(caf::stateful_actor<journal_state>* self, job_store* store,
                      status_sink* sink, std::size_t batch_max) {
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
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1000, 10 << std::min(attempt, 6))));
    }
    std::vector<status_event> events;
    events.reserve(st.pending.size());
    for (auto& u : st.pending) {
      events.push_back(status_event{u.campaign, u.iccid, u.job.state, u.job.attempt,
                                    u.job.por_status, u.job.reason, u.job.variant,
                                    u.job.updated_ms});
    }
    sink->emit(events);
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
};

caf::behavior router(caf::stateful_actor<router_state>* self, transport* tp) {
  auto drop_ids = [=](route_entry& e) {
    for (const auto& id : e.ids) self->state.by_message_id.erase(id);
    e.ids.clear();
  };
  return {
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
  void on_submit_lost(std::uint64_t tag) override { caf::anon_send(router_, lost_atom::value, tag); }
  void on_receipt(std::string id, std::uint8_t state, std::string error) override {
    caf::anon_send(router_, receipt{std::move(id), state, std::move(error)});
  }
  void on_mo(std::string from, bytes ud) override {
    caf::anon_send(router_, mo{std::move(from), std::move(ud)});
  }

 private:
  caf::actor router_;
};

// ---- subscriber: one card in flight -----------------------------------------------------

struct subscriber_state {
  std::uint64_t tag = 0;
  std::shared_ptr<card_info> card;
  std::shared_ptr<const campaign_ctx> campaign;
  job_record job;
  std::vector<bytes> segments;
};

struct shared_actors {
  caf::actor crypto;
  caf::actor journal;
  caf::actor router;
  packet_factory* factory;
};

caf::behavior subscriber(caf::stateful_actor<subscriber_state>* self, std::uint64_t tag,
                         std::shared_ptr<card_info> card, std::optional<job_record> job,
                         std::shared_ptr<const campaign_ctx> campaign, shared_actors shared,
                         caf::actor owner) {
  auto& st = self->state;
  st.tag = tag;
  st.card = std::move(card);
  st.campaign = std::move(campaign);
  if (job) st.job = std::move(*job);
  self->send(shared.router, route{tag, st.card->msisdn, self});

  auto handle = [=](const job_event& ev) {
    auto& s = self->state;
    const auto actions = transition(s.job, ev, s.campaign->def.policy.job, now_ms());
    for (const auto& a : actions) {
      if (std::holds_alternative<act_package>(a)) {
        self->send(shared.crypto, package_req{s.tag, self, s.card.get(), s.campaign.get()});
      } else if (std::holds_alternative<act_submit>(a)) {
        self->send(shared.router, submit_request{s.tag, s.card->msisdn, s.segments});
      } else if (auto* t = std::get_if<act_arm_por_timer>(&a)) {
        self->delayed_send(self, t->after, job_event{ev_por_timeout{t->epoch}});
      } else if (auto* r = std::get_if<act_arm_retry_timer>(&a)) {
        self->delayed_send(self, r->after, job_event{ev_retry_due{r->epoch}});
      } else if (std::holds_alternative<act_persist>(a)) {
        self->send(shared.journal,
                   journal_entry{job_update{s.campaign->def.id, s.card->iccid, s.job}});
      }
    }
    if (is_terminal(s.job.state)) {
      self->send(shared.router, unroute_atom::value, s.tag);
      self->send(owner, job_finished{s.tag, s.job.state, s.job.por_status, s.job.reason,
                                     s.job.updated_ms - s.job.started_ms});
      self->quit();
    }
  };

  self->send(self, start_atom::value);
  return {
      [=](start_atom) { handle(ev_start{}); },
      [=](const job_event& ev) { handle(ev); },
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
                      s.campaign->commands});
      },
  };
}

// ---- campaign: lazy expansion with a bounded window -------------------------------------

struct campaign_state {
  std::shared_ptr<const campaign_ctx> ctx;
  std::unique_ptr<target_cursor> cursor;
  job_store* store = nullptr;
  shared_actors shared;
  std::size_t chunk = 256;
  std::uint64_t next_tag = 1;
  std::uint64_t in_flight = 0;
  bool exhausted = false;
  bool refill_scheduled = false;
  campaign_summary summary;
  std::vector<std::uint32_t> latencies;
  std::chrono::steady_clock::time_point started;
  progress_fn progress;
  caf::response_promise done_promise;
  std::optional<error> failure;
};

caf::behavior campaign_actor(caf::stateful_actor<campaign_state>* self) {
  auto finish = [=] {
    auto& st = self->state;
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
                            const std::string& reason) {
    auto& s = self->state.summary;
    ++s.cards;
    if (state == job_state::done) {
      ++s.done;
    } else {
      ++s.failed;
      ++s.failure_reasons[reason];
    }
    if (por) ++s.por_status[*por];
  };

  auto refill = [=] {
    auto& st = self->state;
    st.refill_scheduled = false;
    const auto window = st.ctx->def.policy.window;
    while (!st.exhausted && st.in_flight < window) {
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
      for (auto& c : *cards) {
        auto job = st.store->load(st.ctx->def.id, c.iccid);
        if (!job) {
          st.failure = job.error();
          st.exhausted = true;
          break;
        }
        if (job->has_value() && is_terminal((*job)->state)) {
          // Resumed run: this card already has its one terminal state.
          ++st.summary.resumed_terminal;
          count_terminal((*job)->state, (*job)->por_status, (*job)->reason);
          continue;
        }
        ++st.in_flight;
        self->spawn(subscriber, st.next_tag++, std::make_shared<card_info>(std::move(c)),
                    std::move(*job), st.ctx, st.shared, caf::actor{self});
      }
      // Yield between chunks: CAF 0.17's scheduler degrades when one handler sends
      // to very many actors at once (docs/DEPENDENCIES).
      if (!st.exhausted && st.in_flight < window) {
        st.refill_scheduled = true;
        self->send(self, refill_atom::value);
        return;
      }
    }
    if (st.exhausted && st.in_flight == 0) finish();
  };

  return {
      [=](start_atom) -> caf::result<campaign_summary> {
        self->state.done_promise = self->make_response_promise<campaign_summary>();
        self->state.started = std::chrono::steady_clock::now();
        self->state.summary.campaign = self->state.ctx->def.id;
        refill();
        return self->state.done_promise;
      },
      [=](refill_atom) { refill(); },
      [=](job_finished& f) {
        auto& st = self->state;
        --st.in_flight;
        count_terminal(f.state, f.por_status, f.reason);
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

  impl(engine_options o, packet_factory& f, transport& t, job_store& s, status_sink& k)
      : options(o), factory(f), tp(t), store(s), sink(k) {
    if (options.scheduler_threads > 0) {
      cfg.set("scheduler.max-threads", options.scheduler_threads);
    }
    cfg.set("logger.verbosity", caf::atom("quiet"));
    system = std::make_unique<caf::actor_system>(cfg);
    crypto = system->spawn<caf::detached>(crypto_stage, &factory,
                                          std::max<std::size_t>(1, options.crypto_batch_max));
    journal_actor = system->spawn<caf::detached>(journal, &store, &sink,
                                                 std::max<std::size_t>(1, options.journal_batch_max));
    router_actor = system->spawn(router, &tp);
    listener = std::make_unique<router_listener>(router_actor);
    tp.set_listener(listener.get());
  }

  ~impl() {
    tp.set_listener(nullptr);
    for (auto* a : {&crypto, &journal_actor, &router_actor}) {
      caf::anon_send_exit(*a, caf::exit_reason::user_shutdown);
    }
    system->await_all_actors_done();
  }
};

engine::engine(engine_options options, packet_factory& factory, transport& transport,
               job_store& store, status_sink& sink)
    : impl_(std::make_unique<impl>(options, factory, transport, store, sink)) {}

engine::~engine() = default;

result<campaign_summary> engine::run(std::shared_ptr<const campaign_ctx> campaign,
                                     std::unique_ptr<target_cursor> targets, progress_fn progress) {
  auto& sys = *impl_->system;
  auto actor = sys.spawn(campaign_actor);
  // Initialise the campaign actor's state before it runs anything: it has not been
  // scheduled yet (its only messages come from us below).
  {
    auto* ptr = caf::actor_cast<caf::stateful_actor<campaign_state>*>(actor);
    auto& st = ptr->state;
    st.ctx = std::move(campaign);
    st.cursor = std::move(targets);
    st.store = &impl_->store;
    st.shared = shared_actors{impl_->crypto, impl_->journal_actor, impl_->router_actor,
                              &impl_->factory};
    st.chunk = std::max<std::size_t>(1, impl_->options.expand_chunk);
    st.progress = std::move(progress);
  }
  caf::scoped_actor self{sys};
  result<campaign_summary> out = make_error(errc::internal, "campaign ended without a summary");
  std::optional<error> failure;
  self->request(actor, caf::infinite, start_atom::value)
      .receive([&](campaign_summary& s) { out = std::move(s); },
               [&](caf::error& e) {
                 out = make_error(errc::internal, "campaign actor failed: " + sys.render(e));
               });
  return out;
}

}  // namespace otaflow::actors
