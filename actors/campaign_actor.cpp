#include "actors/campaign_actor.hpp"

#include <algorithm>
#include <optional>
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

using campaign_actor_t = caf::stateful_actor<campaign_state>;

void count_terminal(campaign_summary& s, job_state state, const std::optional<std::uint8_t>& por,
                    const std::string& reason, const std::string& variant) {
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
}

void count_terminal(campaign_summary& s, const job_record& j) {
  count_terminal(s, j.state, j.por_status, j.reason, j.variant);
}

void fill_latencies(campaign_state& s) {
  if (s.latencies.empty()) return;
  std::sort(s.latencies.begin(), s.latencies.end());
  auto pct = [&](double p) {
    const auto i = static_cast<std::size_t>(p * static_cast<double>(s.latencies.size() - 1));
    return static_cast<double>(s.latencies[i]);
  };
  s.summary.latency_p50_ms = pct(0.50);
  s.summary.latency_p99_ms = pct(0.99);
  s.summary.latency_max_ms = static_cast<double>(s.latencies.back());
}

void finish(campaign_actor_t* self) {
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
    fill_latencies(s);
    s.done_promise.deliver(s.summary);
    self->quit();
  });
}

// Ends the run when nothing is left to do: every card terminal, or the campaign paused
// and every job left holding, or cancelled and every job failed.
void maybe_finish(campaign_actor_t* self) {
  auto& st = self->state;
  if (st.finishing) return;
  if ((st.exhausted && st.in_flight == 0) ||
      (st.mode == campaign_mode::paused && st.in_flight == st.parked.size()) ||
      (st.mode == campaign_mode::cancelled && st.in_flight == 0)) {
    finish(self);
  }
}

void schedule_refill(campaign_actor_t* self) {
  if (self->state.refill_scheduled) return;
  self->state.refill_scheduled = true;
  self->send(self, refill_atom::value);
}

void expire(campaign_actor_t* self) {
  auto& st = self->state;
  if (st.expired) return;
  st.expired = true;
  log::get("engine")->warn("campaign '{}': validity expired (not_after {}); jobs not terminal fail",
                           st.ctx->def.id, format_rfc3339(*st.ctx->def.policy.time.not_after_ms));
  for (auto& [tag, who] : st.live) self->send(who, job_event{ev_expired{}});
}

void set_mode(campaign_actor_t* self, campaign_mode mode, const std::string& why) {
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
  schedule_refill(self);
}

// One card of a page, with its stored job: decided by decide_admission. The campaign takes
// cards only while it runs and its time gate is open or expired (refill), so the decisions
// here are already_terminal, skip, expire and start.
void admit_card(campaign_actor_t* self, card_info& c, std::optional<job_record>& job,
                const time_gate& gate) {
  auto& st = self->state;
  const auto* stored = job ? &*job : nullptr;
  const auto d = decide_admission({stored, !c.skip.empty(), false, st.mode, gate});
  if (d == admission::already_terminal) {
    // Resumed run: this card already has its one terminal state.
    ++st.summary.resumed_terminal;
    count_terminal(st.summary, *job);
    return;
  }
  if (d == admission::start) {
    ++st.in_flight;
    const auto tag = st.shared.tags->fetch_add(1, std::memory_order_relaxed);
    st.live.emplace(tag, spawn_subscriber(self, tag, std::make_shared<card_info>(std::move(c)),
                                          std::move(job), st.ctx, st.shared));
    return;
  }
  auto rec = admission_record(d, stored, variant_name(*st.ctx, c), c.skip, st.ctx->def.policy.job,
                              wall_now(st.shared));
  if (!rec) return;
  // A resumed job that may have sent its keys and ends here (cancel, validity) keeps them.
  note_keys_uncertain(*rec, c.variant >= 0 && st.ctx->variant_of(c).def.update.keys.has_value());
  count_terminal(st.summary, *rec);
  to_journal(self, st.shared, job_update{st.ctx->def.id, c.iccid, std::move(*rec)});
}

// Reads one page of cards and their jobs and admits them. False: the cursor is done (or
// failed).
bool take_page(campaign_actor_t* self, std::size_t want, const time_gate& gate) {
  auto& st = self->state;
  auto cards = st.cursor->next(want);
  if (!cards) st.failure = cards.error();
  if (!cards || cards->empty()) return false;
  std::vector<std::string_view> iccids;
  iccids.reserve(cards->size());
  for (const auto& c : *cards) iccids.push_back(c.iccid);
  auto jobs = st.store->load_many(st.ctx->def.id, iccids);
  if (!jobs) {
    st.failure = jobs.error();
    return false;
  }
  for (std::size_t k = 0; k < cards->size(); ++k) admit_card(self, (*cards)[k], (*jobs)[k], gate);
  return true;
}

// The time gate before a page: false when no card may start now (outside the send window,
// before not_before; a wake-up is armed).
bool gate_allows(campaign_actor_t* self, time_gate& gate) {
  auto& st = self->state;
  const auto now = wall_now(st.shared);
  gate = check_time(st.ctx->def.policy.time, now);
  if (gate.kind == time_gate::expired) expire(self);
  if (gate.kind != time_gate::wait) return true;
  if (!st.gate_armed) {
    st.gate_armed = true;
    log::get("engine")->info("campaign '{}': outside its send window; sleeping until {}",
                             st.ctx->def.id, format_rfc3339(gate.until_ms));
    const auto wait = std::max<std::int64_t>(1, gate.until_ms - now);
    arm_after(self, st.shared, 0, std::chrono::milliseconds(wait),
              caf::make_message(gate_atom::value), self);
  }
  return false;
}

void refill(campaign_actor_t* self) {
  auto& st = self->state;
  st.refill_scheduled = false;
  if (st.finishing) return;
  // Paused or cancelled: no new card starts. Before not_before or outside the send window:
  // none either, until it opens. After not_after: every card fails (admit_card).
  time_gate gate;
  if (st.mode != campaign_mode::running || !gate_allows(self, gate)) return maybe_finish(self);
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
  if (wants_more()) {
    if (!take_page(self, std::min<std::size_t>(st.chunk, window - st.in_flight), gate)) {
      st.exhausted = true;
    } else if (wants_more()) {
      // Yield between pages: CAF 0.17's scheduler degrades when one handler sends to very
      // many actors at once (docs/library-notes.md).
      return schedule_refill(self);
    }
  }
  if (!st.exhausted && st.in_flight < window && journal_congested(st.shared)) {
    // Cards would start but the journal is behind: look again shortly (cards ending
    // meanwhile look too).
    st.refill_scheduled = true;
    self->delayed_send(self, congestion_retry, refill_atom::value);
    return;
  }
  maybe_finish(self);
}

caf::result<campaign_summary> start(campaign_actor_t* self) {
  auto& st = self->state;
  st.done_promise = self->make_response_promise<campaign_summary>();
  st.started = std::chrono::steady_clock::now();
  st.summary.campaign = st.ctx->def.id;
  if (st.shared.alerts) {
    self->send(st.shared.alerts, alert_register{st.ctx->def.id, st.ctx->def.alerts, self});
  }
  if (const auto& na = st.ctx->def.policy.time.not_after_ms) {
    const auto left = *na - wall_now(st.shared);
    arm_after(self, st.shared, 0, std::chrono::milliseconds(std::max<std::int64_t>(0, left) + 1),
              caf::make_message(expire_atom::value), self);
  }
  refill(self);
  return st.done_promise;
}

void on_finished(campaign_actor_t* self, job_finished& f) {
  auto& st = self->state;
  st.live.erase(f.tag);
  st.parked.erase(f.tag);
  --st.in_flight;
  count_terminal(st.summary, f.state, f.por_status, f.reason, f.variant);
  if (f.state == job_state::done && f.latency_ms >= 0) {
    st.latencies.push_back(static_cast<std::uint32_t>(f.latency_ms));
  }
  if (st.progress && st.summary.cards % 500 == 0) {
    st.progress({st.summary.cards, st.in_flight, st.summary.done, st.summary.failed});
  }
  if (!st.refill_scheduled) refill(self);
}

caf::behavior campaign_actor(campaign_actor_t* self, std::shared_ptr<campaign_setup> setup) {
  static_cast<campaign_setup&>(self->state) = std::move(*setup);
  return {
      [=](start_atom) { return start(self); },
      [=](refill_atom) { refill(self); },
      [=](gate_atom) {
        self->state.gate_armed = false;
        if (!self->state.refill_scheduled) refill(self);
      },
      [=](expire_atom) {
        if (!self->state.refill_scheduled) refill(self);
      },
      [=](svc_campaign& c) { set_mode(self, c.mode, ""); },
      [=](alert_fired& f) {
        auto& st = self->state;
        const bool pause = f.a.paused && st.mode == campaign_mode::running;
        st.summary.alerts.push_back(std::move(f.a));
        if (pause) {
          set_mode(self, campaign_mode::paused,
                   " by an alert: " + st.summary.alerts.back().message);
        }
      },
      [=](park_atom, std::uint64_t tag) {
        self->state.parked.insert(tag);
        maybe_finish(self);
      },
      [=](unpark_atom, std::uint64_t tag) { self->state.parked.erase(tag); },
      [=](job_finished& f) { on_finished(self, f); },
      // The store refused a job's rows: the journal failed it and drops its later entries;
      // the job itself runs to its end here (its summary state is what it reached).
      [=](journal_refused& r) {
        log::get("engine")->error("campaign '{}': {}", r.campaign, r.reason);
        alert a;
        a.campaign = r.campaign;
        a.kind = alert_kind::journal;
        a.message = r.reason;
        a.ts_ms = wall_now(self->state.shared);
        self->state.summary.alerts.push_back(std::move(a));
      },
  };
}

}  // namespace

caf::actor spawn_campaign(caf::actor_system& sys, std::shared_ptr<campaign_setup> setup) {
  return sys.spawn(campaign_actor, std::move(setup));
}

}  // namespace otaflow::actors
