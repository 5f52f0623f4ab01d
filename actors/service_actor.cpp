#include "actors/service_actor.hpp"

#include <algorithm>
#include <deque>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "actors/admission.hpp"
#include "actors/key_settlement.hpp"
#include "actors/subscriber_actor.hpp"
#include "actors/time_window.hpp"
#include "base/log.hpp"

namespace otaflow::actors {
namespace {

using namespace msg;

struct svc_campaign_entry {
  std::shared_ptr<const campaign_ctx> ctx;
  campaign_mode mode = campaign_mode::running;
};

struct svc_admission {
  std::string campaign;
  std::shared_ptr<target_cursor> cursor;
  std::uint64_t token = 0;
  std::size_t cards = 1;          // what it counts for in service_counters::open_admissions
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

struct service_state : service_setup {
  std::unordered_map<std::string, svc_campaign_entry> campaigns;
  std::deque<svc_admission> queue;
  std::unordered_map<std::uint64_t, svc_job> jobs;  // by tag
  std::unordered_set<std::string> active;           // keys of jobs
  // Jobs that ended and whose terminal state may not be durable yet (key -> that state):
  // admission answers them as terminal, since the store may still hold an earlier state.
  // They go once a journal sync sent after their end is answered.
  std::unordered_map<std::string, job_state> finishing;
  std::vector<std::string> finish_unsynced;  // ended since the last finishing sync was sent
  bool finish_sync_open = false;             // one finishing sync at a time
  // Jobs whose rows the store refused (msg::journal_refused): never started again here,
  // since the journal drops their entries and the store may hold a stale state.
  std::unordered_set<std::string> refused;
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

using service_actor_t = caf::stateful_actor<service_state>;

std::string job_key(const std::string& campaign, const std::string& iccid) {
  std::string k;
  k.reserve(campaign.size() + 1 + iccid.size());
  k += campaign;
  k += '\0';
  k += iccid;
  return k;
}

// Wakes the service when a campaign's send window opens (or not_before passes): its jobs
// queued meanwhile are admitted again through the reopen handler.
void arm_gate(service_actor_t* self, const std::string& campaign, std::int64_t until) {
  auto& st = self->state;
  if (!st.gate_armed.insert(campaign).second) return;
  const auto left = std::max<std::int64_t>(1, until - wall_now(st.shared));
  arm_after(self, st.shared, 0, std::chrono::milliseconds(left),
            caf::make_message(gate_atom::value, campaign), self);
}

void gauges(service_state& st) {
  st.counters->in_flight = st.running;
  st.counters->parked = st.jobs.size() - st.running;
  st.counters->waiting = st.queue.size();
}

void report_synced(service_state& st) {
  std::erase_if(st.awaiting, [&](const auto& a) {
    if (a.first > st.syncs_done) return false;
    if (st.on_admitted) st.on_admitted(a.second);
    return true;
  });
}

// Asks the journal to answer once everything sent to it so far is durable.
std::uint64_t request_sync(service_actor_t* self) {
  auto& st = self->state;
  const auto id = ++st.syncs_sent;
  self->request(st.shared.journal, caf::infinite, sync_atom::value).then([=](sync_atom) {
    auto& s = self->state;
    s.syncs_done = std::max(s.syncs_done, id);
    report_synced(s);
  });
  return id;
}

void maybe_stopped(service_state& st) {
  if (!st.stopping || st.running != 0) return;
  for (auto& p : st.stop_waiters) p.deliver(stop_atom::value);
  st.stop_waiters.clear();
}

// Counts a decision that starts no subscriber in the service's totals.
void count_decision(service_counters& c, admission d, bool new_job) {
  switch (d) {
    case admission::already_active:
      ++c.skipped_active;
      break;
    case admission::already_terminal:
      ++c.skipped_terminal;
      break;
    case admission::skip:
      ++c.skipped;
      break;
    case admission::expire:
      ++c.expired;
      break;
    case admission::cancel:
      ++c.cancelled;
      break;
    case admission::hold_paused:
      if (new_job) ++c.queued_paused;
      break;
    case admission::hold_window:
      ++c.queued_window;
      break;
    case admission::start:
      break;
  }
}

void start_job(service_actor_t* self, const svc_admission& a, const svc_campaign_entry& camp,
               card_info& card, std::optional<job_record> job, std::string key, bool& wrote) {
  auto& st = self->state;
  job_record rec;
  if (job) {
    rec = std::move(*job);
  } else {
    note_state_change(rec, wall_now(st.shared));
    to_journal(self, st.shared, job_update{a.campaign, card.iccid, rec});  // durable before
    wrote = true;                                                          // the token is
  }                                                                        // reported
  const auto tag = st.shared.tags->fetch_add(1, std::memory_order_relaxed);
  // Not linked: a link costs the service a scan of all its links when the job ends (CAF
  // keeps them in a list), O(window) per card. The exit handler ends the jobs instead.
  auto who = spawn_subscriber(self, tag, std::make_shared<card_info>(std::move(card)),
                              std::move(rec), camp.ctx, st.shared);
  st.active.insert(key);
  st.jobs.emplace(tag, svc_job{std::move(who), std::move(key), a.campaign, false});
  ++st.running;
  ++st.counters->started;
}

// Handles one card of an admission. Returns false when it must wait (window full, journal
// behind) or could not be decided (storage error); the card stays pending then.
bool take_card(service_actor_t* self, svc_admission& a, const svc_campaign_entry& camp,
               card_info& card, bool& wrote) {
  auto& st = self->state;
  auto key = job_key(a.campaign, card.iccid);
  if (st.finishing.count(key) > 0 || st.refused.count(key) > 0) {
    ++st.counters->skipped_terminal;  // terminal, maybe not durable yet: no second run
    return true;
  }
  const bool active = st.active.count(key) > 0;
  if (!active && camp.mode == campaign_mode::running &&
      (st.running >= st.window || journal_congested(st.shared))) {
    return false;  // no room: this card waits for the next pump
  }
  std::optional<job_record> job;
  if (!active) {
    auto stored = st.store->load(a.campaign, card.iccid);
    if (!stored) {
      st.log->error("service: reading the job of {} / {} failed: {}", a.campaign, card.iccid,
                    stored.error().describe());
      return false;
    }
    job = std::move(*stored);
  }
  const auto now = wall_now(st.shared);
  const auto gate = check_time(camp.ctx->def.policy.time, now);
  const auto* stored = job ? &*job : nullptr;
  const auto d = decide_admission({stored, !card.skip.empty(), active, camp.mode, gate});
  if (d == admission::start) {
    start_job(self, a, camp, card, std::move(job), std::move(key), wrote);
    return true;
  }
  count_decision(*st.counters, d, stored == nullptr);
  if (auto rec = admission_record(d, stored, variant_name(*camp.ctx, card), card.skip,
                                  camp.ctx->def.policy.job, now)) {
    // A resumed job that may have sent its keys and ends here (cancel, validity) keeps them.
    note_keys_uncertain(
        *rec, card.variant >= 0 && camp.ctx->variant_of(card).def.update.keys.has_value());
    to_journal(self, st.shared, job_update{a.campaign, card.iccid, std::move(*rec)});
    wrote = true;
  }
  if (d == admission::hold_window) arm_gate(self, a.campaign, gate.until_ms);
  return true;
}

// What one pump run found.
struct pump_outcome {
  struct finished_admission {
    std::uint64_t token;
    bool this_pump;              // its last entries were sent in this run
    std::uint64_t earlier_sync;  // else: the sync its entries wait for
  };
  bool wrote = false;
  bool stalled = false;    // storage trouble: look again later
  bool congested = false;  // the journal is behind: look again shortly
  std::vector<finished_admission> finished;
  std::size_t budget = 0;  // cards left to handle in this run
};

// Takes more cards from the front admission's cursor, as many as the window allows.
// False when expanding failed.
bool expand(service_actor_t* self, svc_admission& a, const svc_campaign_entry& camp,
            std::size_t budget) {
  auto& st = self->state;
  std::size_t want = budget;
  if (camp.mode == campaign_mode::running) {
    // One already taken is probed for its end even with a full window (a one-card trigger
    // is complete, and reported, once its cursor says so).
    want = std::min(want, st.running >= st.window ? std::size_t{1} : st.window - st.running);
  }
  auto cards = a.cursor->next(want);
  if (!cards) {
    st.log->error("service: expanding the cards of campaign '{}' failed: {}", a.campaign,
                  cards.error().describe());
    return false;
  }
  if (cards->empty()) a.exhausted = true;
  for (auto& c : *cards) a.pending.push_back(std::move(c));
  a.taken += cards->size();
  st.counters->cards += cards->size();
  return true;
}

// Works through the queue of admissions: the body of one pump run.
void take_admissions(service_actor_t* self, pump_outcome& out) {
  auto& st = self->state;
  while (!st.queue.empty() && out.budget > 0) {
    auto& a = st.queue.front();
    auto camp = st.campaigns.find(a.campaign);
    if (camp == st.campaigns.end() || !camp->second.ctx) {
      st.log->warn("service: admission for unknown campaign '{}' dropped", a.campaign);
      out.finished.push_back({a.token, false, 0});
      st.counters->open_admissions -= a.cards;
      st.queue.pop_front();
      continue;
    }
    if (a.pending.empty() && !a.exhausted) {
      // A full window takes no new admission.
      if (camp->second.mode == campaign_mode::running && st.running >= st.window && a.taken == 0)
        break;
      if (!expand(self, a, camp->second, out.budget)) {
        out.stalled = true;
        break;
      }
    }
    bool a_wrote = false;
    bool blocked = false;
    while (!a.pending.empty() && out.budget > 0) {
      if (!take_card(self, a, camp->second, a.pending.front(), a_wrote)) {
        blocked = true;
        out.congested = journal_congested(st.shared);
        // A storage error, not a full window or a journal behind.
        out.stalled = st.running < st.window && !out.congested;
        break;
      }
      a.pending.pop_front();
      --out.budget;
    }
    if (a_wrote) {
      out.wrote = true;
      a.wrote_in_pump = true;
    }
    if (a.pending.empty() && a.exhausted) {
      out.finished.push_back({a.token, a.wrote_in_pump, a.need_sync});
      st.counters->open_admissions -= a.cards;
      st.queue.pop_front();
      continue;
    }
    if (blocked) break;
  }
}

void pump(service_actor_t* self) {
  auto& st = self->state;
  st.pump_scheduled = false;
  if (st.stopping) return;
  pump_outcome out;
  out.budget = st.chunk;
  take_admissions(self, out);
  const std::uint64_t sync_id = out.wrote ? request_sync(self) : 0;
  // Only the front admission can be left half taken.
  if (!st.queue.empty() && st.queue.front().wrote_in_pump) {
    st.queue.front().need_sync = sync_id;
    st.queue.front().wrote_in_pump = false;
  }
  for (const auto& f : out.finished) {
    if (f.token == 0) continue;
    const auto sync = f.this_pump ? sync_id : f.earlier_sync;
    if (sync > st.syncs_done) {
      st.awaiting.emplace_back(sync, f.token);
    } else if (st.on_admitted) {
      st.on_admitted(f.token);
    }
  }
  gauges(st);
  if (out.stalled || out.congested) {
    // Storage trouble: try again a little later instead of spinning. The journal behind:
    // look again shortly (jobs ending meanwhile look too).
    st.pump_scheduled = true;
    self->delayed_send(self, out.stalled ? std::chrono::milliseconds(500) : congestion_retry,
                       refill_atom::value);
    return;
  }
  // Yield between chunks (see the campaign actor): the rest goes through the mailbox.
  if (!st.queue.empty() && out.budget == 0) {
    st.pump_scheduled = true;
    self->send(self, refill_atom::value);
  }
}

void schedule(service_actor_t* self) {
  auto& st = self->state;
  if (st.pump_scheduled) return;
  st.pump_scheduled = true;
  self->send(self, refill_atom::value);
}

template <class M>
void to_jobs_of(service_actor_t* self, const std::string& campaign, const M& m) {
  for (auto& [tag, j] : self->state.jobs) {
    if (j.campaign == campaign) self->send(j.who, m);
  }
}

void apply_mode(service_actor_t* self, const std::string& id, campaign_mode mode) {
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
      to_jobs_of(self, id, pause_atom::value);
      break;
    case campaign_mode::running:
      to_jobs_of(self, id, resume_atom::value);
      break;
    case campaign_mode::cancelled:
      to_jobs_of(self, id, job_event{ev_cancel{"campaign cancelled"}});
      break;
  }
  schedule(self);
}

void on_campaign(service_actor_t* self, svc_campaign& c) {
  auto& st = self->state;
  if (c.ctx) {
    if (st.shared.alerts) {
      self->send(st.shared.alerts, alert_register{c.id, c.ctx->def.alerts, self});
    }
    if (const auto& na = c.ctx->def.policy.time.not_after_ms) {
      const auto left = std::max<std::int64_t>(0, *na - wall_now(st.shared)) + 1;
      arm_after(self, st.shared, 0, std::chrono::milliseconds(left),
                caf::make_message(expire_atom::value, c.id), self);
    }
    auto& e = st.campaigns[c.id];
    const bool fresh = !e.ctx;
    e.ctx = std::move(c.ctx);
    if (fresh) {
      e.mode = c.mode;
      st.log->info("service: campaign '{}' registered ({})", c.id, to_string(c.mode));
      schedule(self);
      return;
    }
  }
  apply_mode(self, c.id, c.mode);
}

void on_admit(service_actor_t* self, svc_admit& a) {
  auto& st = self->state;
  ++st.counters->admissions;
  if (st.stopping) {
    st.counters->open_admissions -= a.cards;
    return;
  }
  svc_admission adm;
  adm.campaign = std::move(a.campaign);
  adm.cursor = std::move(a.cursor);
  adm.token = a.token;
  adm.cards = a.cards;
  st.queue.push_back(std::move(adm));
  gauges(st);
  schedule(self);
}

void on_withdraw(service_actor_t* self, svc_withdraw& w) {
  auto& st = self->state;
  std::vector<std::uint64_t> out;
  for (auto it = st.queue.begin(); it != st.queue.end();) {
    if (it->token != 0 && (*w.which)(it->token)) {
      out.push_back(it->token);
      st.counters->open_admissions -= it->cards;
      it = st.queue.erase(it);
    } else {
      ++it;
    }
  }
  gauges(st);
  // Answer after the journal: admissions finished before are reported by then.
  auto rp = self->make_response_promise();
  self->request(st.shared.journal, caf::infinite, sync_atom::value).then([=](sync_atom) mutable {
    rp.deliver(std::move(out));
  });
}

// The ICCID of a job_key (campaign NUL iccid).
std::string_view iccid_of_key(const std::string& key) {
  const auto nul = key.find('\0');
  return std::string_view(key).substr(nul == std::string::npos ? 0 : nul + 1);
}

// A partition moved away: its cards' jobs end here without writing anything (the new owner
// resumes them from their durable state); answers once what they sent the journal is durable.
void on_release(service_actor_t* self, svc_release& r) {
  auto& st = self->state;
  std::size_t n = 0;
  for (auto it = st.jobs.begin(); it != st.jobs.end();) {
    if (!(*r.which)(iccid_of_key(it->second.key))) {
      ++it;
      continue;
    }
    self->send(st.shared.router, unroute_atom::value, it->first);
    self->send_exit(it->second.who, caf::exit_reason::user_shutdown);
    if (!it->second.parked) --st.running;
    st.active.erase(it->second.key);
    it = st.jobs.erase(it);
    ++n;
  }
  std::erase_if(st.finishing, [&](const auto& kv) { return (*r.which)(iccid_of_key(kv.first)); });
  if (n > 0) st.log->info("service: {} jobs released (their partition moved away)", n);
  gauges(st);
  maybe_stopped(st);
  schedule(self);
  auto rp = self->make_response_promise();
  self->request(st.shared.journal, caf::infinite, sync_atom::value).then([=](sync_atom) mutable {
    rp.deliver(static_cast<std::uint64_t>(n));
  });
}

// A partition came (back): the refusals remembered for its cards are stale (its rows were
// just restored from the changelog), so its active jobs may be admitted again.
std::uint64_t on_reclaim(service_actor_t* self, const svc_reclaim& r) {
  auto& st = self->state;
  const auto n = std::erase_if(
      st.refused, [&](const std::string& key) { return (*r.which)(iccid_of_key(key)); });
  if (n > 0) st.log->info("service: {} refused jobs may run again (their partition is back)", n);
  return n;
}

// Asks the journal to confirm the terminal states of the jobs ended so far; once it
// answers, admission reads them from the store again.
void sync_finishing(service_actor_t* self) {
  auto& st = self->state;
  if (st.finish_sync_open || st.finish_unsynced.empty()) return;
  st.finish_sync_open = true;
  auto keys = std::make_shared<std::vector<std::string>>(std::move(st.finish_unsynced));
  st.finish_unsynced.clear();
  auto release = [=] {
    auto& s = self->state;
    s.finish_sync_open = false;
    for (const auto& k : *keys) s.finishing.erase(k);
    sync_finishing(self);
  };
  self->request(st.shared.journal, caf::infinite, sync_atom::value).then([=](sync_atom) {
    // A row refused in that sync is told through the alerts actor (journal_refused): pass
    // through it too, so the refusal arrives before the keys are released.
    if (!self->state.shared.alerts) return release();
    self->request(self->state.shared.alerts, caf::infinite, sync_atom::value).then([=](sync_atom) {
      release();
    });
  });
}

void on_finished(service_actor_t* self, job_finished& f) {
  auto& st = self->state;
  auto it = st.jobs.find(f.tag);
  if (it == st.jobs.end()) return;
  if (!it->second.parked) --st.running;
  st.active.erase(it->second.key);
  st.finishing.insert_or_assign(it->second.key, f.state);
  st.finish_unsynced.push_back(std::move(it->second.key));
  st.jobs.erase(it);
  sync_finishing(self);
  if (f.state == job_state::done) {
    ++st.counters->done;
  } else {
    ++st.counters->failed;
  }
  gauges(st);
  maybe_stopped(st);
  schedule(self);
}

// A campaign's send window may be open (gate) or its validity over (expire): queued jobs
// are admitted again through the reopen handler, and fail when admitted after not_after.
void on_gate(service_actor_t* self, const std::string& id, bool expire) {
  auto& st = self->state;
  if (!expire) st.gate_armed.erase(id);
  auto it = st.campaigns.find(id);
  if (it == st.campaigns.end() || !it->second.ctx) return;
  const auto gate = check_time(it->second.ctx->def.policy.time, wall_now(st.shared));
  if (expire) {
    if (gate.kind != time_gate::expired) return;  // a newer definition moved not_after
    st.log->warn("service: campaign '{}': validity expired; jobs not terminal fail", id);
    to_jobs_of(self, id, job_event{ev_expired{}});
  } else if (gate.kind == time_gate::wait) {
    arm_gate(self, id, gate.until_ms);
    return;
  } else {
    st.log->info("service: campaign '{}': send window open; queued jobs admitted", id);
  }
  if (*st.on_reopen) (*st.on_reopen)(id);
}

// The store refused a job's rows: the job failed (actors/journal.hpp). A running job is
// ended here without a terminal state of its own; an ended one counted done is recounted.
void on_refused(service_actor_t* self, const journal_refused& r) {
  auto& st = self->state;
  auto key = job_key(r.campaign, r.iccid);
  st.refused.insert(key);
  st.log->error("service: job {} / {} released: {}", r.campaign, r.iccid, r.reason);
  if (auto f = st.finishing.find(key); f != st.finishing.end()) {
    if (f->second == job_state::done) {
      --st.counters->done;
      ++st.counters->failed;
      f->second = job_state::failed;
    }
    return;
  }
  if (st.active.count(key) == 0) return;
  for (auto it = st.jobs.begin(); it != st.jobs.end(); ++it) {
    if (it->second.key != key) continue;
    self->send(st.shared.router, unroute_atom::value, it->first);
    self->send_exit(it->second.who, caf::exit_reason::user_shutdown);
    if (!it->second.parked) --st.running;
    st.active.erase(key);
    st.jobs.erase(it);
    ++st.counters->failed;
    gauges(st);
    maybe_stopped(st);
    schedule(self);
    return;
  }
}

void set_parked(service_actor_t* self, std::uint64_t tag, bool parked) {
  auto& st = self->state;
  auto it = st.jobs.find(tag);
  if (it == st.jobs.end() || it->second.parked == parked) return;
  it->second.parked = parked;
  if (parked) {
    --st.running;
  } else {
    ++st.running;
  }
  gauges(st);
  if (!parked) return;
  maybe_stopped(st);
  schedule(self);
}

caf::behavior service_actor(service_actor_t* self, service_setup setup) {
  static_cast<service_setup&>(self->state) = std::move(setup);
  self->state.window = std::max<std::size_t>(1, self->state.window);
  self->state.chunk = std::max<std::size_t>(1, self->state.chunk);
  // The engine ends the service with an exit message: its jobs go with it.
  self->set_exit_handler([=](caf::exit_msg& m) {
    for (auto& [tag, j] : self->state.jobs) self->send_exit(j.who, m.reason);
    self->state.jobs.clear();
    self->quit(m.reason);
  });
  return {
      [=](refill_atom) { pump(self); },
      [=](svc_campaign& c) { on_campaign(self, c); },
      [=](svc_admit& a) { on_admit(self, a); },
      [=](svc_withdraw& w) { on_withdraw(self, w); },
      [=](svc_release& r) { on_release(self, r); },
      [=](svc_reclaim& r) -> std::uint64_t { return on_reclaim(self, r); },
      [=](job_finished& f) { on_finished(self, f); },
      [=](alert_fired& f) {
        if (f.a.paused) apply_mode(self, f.a.campaign, campaign_mode::paused);
      },
      [=](journal_refused& r) { on_refused(self, r); },
      [=](gate_atom, const std::string& id) { on_gate(self, id, false); },
      [=](expire_atom, const std::string& id) { on_gate(self, id, true); },
      [=](park_atom, std::uint64_t tag) { set_parked(self, tag, true); },
      [=](unpark_atom, std::uint64_t tag) { set_parked(self, tag, false); },
      [=](stop_atom) {
        auto& st = self->state;
        st.stopping = true;
        for (const auto& a : st.queue) st.counters->open_admissions -= a.cards;
        st.queue.clear();
        gauges(st);
        st.stop_waiters.push_back(self->make_response_promise());
        maybe_stopped(st);
      },
  };
}

}  // namespace

caf::actor spawn_service(caf::actor_system& sys, service_setup setup) {
  return sys.spawn(service_actor, std::move(setup));
}

}  // namespace otaflow::actors
