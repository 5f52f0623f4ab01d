#include "actors/subscriber_actor.hpp"

#include <algorithm>
#include <vector>

#include "actors/alert_monitor.hpp"
#include "actors/key_settlement.hpp"
#include "actors/keyset_update.hpp"
#include "actors/time_window.hpp"
#include "base/log.hpp"

namespace otaflow::actors {
namespace {

using namespace msg;

struct subscriber_state {
  std::uint64_t tag = 0;
  std::shared_ptr<card_info> card;
  std::shared_ptr<const campaign_ctx> campaign;
  job_record job;
  std::vector<bytes> segments;
  shared_actors shared;
  caf::actor owner;
  bool paused = false;              // the campaign is paused: hold before a new attempt
  bool parked = false;              // holding a new attempt (paused, or outside the send window)
  std::optional<job_event> held;    // the event that starts the held attempt
  bool wake_armed = false;          // a wake-up at the send window's opening is pending
  std::optional<std::size_t> bind;  // the SMSC bind of the current attempt (alerts)
  std::string route;                // the SMSC route of that bind (the accepted status event)
  job_policy policy;                // the campaign's, with the card's variant's counter_skip
};

using subscriber_actor = caf::stateful_actor<subscriber_state>;

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

// The time gate in front of a new attempt. A paused campaign, or one outside its send window
// (or before not_before), starts no new attempt: the job holds (parked for its owner) until
// resume or the window opens. Returns the event to apply (the event itself, or ev_expired
// after not_after), or nullopt while the attempt is held.
std::optional<job_event> gate_attempt(subscriber_actor* self, const job_event& event) {
  auto& s = self->state;
  const auto now = wall_now(s.shared);
  const auto gate = check_time(s.campaign->def.policy.time, now);
  if (gate.kind == time_gate::expired) return job_event{ev_expired{}};
  if (s.paused || gate.kind == time_gate::wait) {
    s.held = event;
    if (!s.parked) {
      s.parked = true;
      self->send(s.owner, park_atom::value, s.tag);
    }
    if (!s.paused && !s.wake_armed) {
      s.wake_armed = true;
      const auto wait = std::max<std::int64_t>(1, gate.until_ms - now);
      arm_after(self, s.shared, s.tag, std::chrono::milliseconds(wait),
                caf::make_message(wake_atom::value));
    }
    return std::nullopt;
  }
  return event;
}

void run_actions(subscriber_actor* self, const std::vector<job_action>& actions) {
  auto& s = self->state;
  for (const auto& a : actions) {
    if (auto* p = std::get_if<act_package>(&a)) {
      self->send(s.shared.crypto,
                 package_req{s.tag, self, s.card, s.campaign, p->skip, p->step, p->page});
    } else if (std::holds_alternative<act_submit>(a)) {
      self->send(s.shared.router, submit_request{s.tag, s.card->msisdn, s.segments, s.card->route,
                                                 s.campaign->def.policy.submit});
    } else if (auto* t = std::get_if<act_arm_por_timer>(&a)) {
      arm_after(self, s.shared, s.tag,
                std::chrono::duration_cast<std::chrono::milliseconds>(t->after),
                caf::make_message(job_event{ev_por_timeout{t->epoch}}));
    } else if (auto* r = std::get_if<act_arm_retry_timer>(&a)) {
      arm_after(self, s.shared, s.tag,
                std::chrono::duration_cast<std::chrono::milliseconds>(r->after),
                caf::make_message(job_event{ev_retry_due{r->epoch}}));
    } else if (std::holds_alternative<act_persist>(a)) {
      const auto* update =
          s.card->variant >= 0 ? &s.campaign->variant_of(*s.card).def.update : nullptr;
      const bool may_hold_keys =
          !update || update->keys.has_value() || update->keyset.has_value();  // unknown: look
      // A key update that ends other than done after a packet may have left keeps its keys:
      // the reason says so in the record, the status event and the owner's summary alike.
      note_keys_uncertain(s.job, update && update->keys.has_value());
      if (update && update->keyset && settle_keys(s.job, true) == key_settlement::keep)
        note_keyset_uncertain(s.job.reason);
      job_update u{s.campaign->def.id, s.card->iccid, s.job};
      u.may_hold_keys = may_hold_keys;
      u.steps = static_cast<std::uint16_t>(s.policy.step_count());
      if (s.job.state == job_state::accepted) u.route = s.route;
      // What the card now holds, for rules on known files (PoR OK: the script ran).
      if (update && s.job.state == job_state::done)
        u.written = files_for_card(*update, s.card->imsi);
      to_journal(self, s.shared, std::move(u));
    }
  }
}

// `extra`: an alert outcome the event carries besides what classify() finds (an opened PoR's
// por_rejected outcome), sent in the same alert_feed.
void handle(subscriber_actor* self, const job_event& event,
            std::optional<alert_outcome> extra = std::nullopt) {
  auto& s = self->state;
  std::optional<job_event> gated;
  const job_event* ev = &event;
  if (starts_attempt(s.job, event)) {
    gated = gate_attempt(self, event);
    if (!gated) return;
    ev = &*gated;
    if (s.parked) {  // the attempt goes ahead (or the job expires): running again
      s.parked = false;
      s.held.reset();
      self->send(s.owner, unpark_atom::value, s.tag);
    }
  }
  if (s.campaign->def.alerts.enabled && s.shared.alerts) {
    auto outcomes = classify(s.job, *ev);
    if (extra) outcomes.push_back(*extra);
    if (!outcomes.empty()) {
      self->send(s.shared.alerts, alert_feed{s.campaign->def.id, s.bind, std::move(outcomes)});
    }
  }
  run_actions(self, transition(s.job, *ev, s.policy, wall_now(s.shared)));
  if (is_terminal(s.job.state)) {
    self->send(s.shared.router, unroute_atom::value, s.tag);
    self->send(s.owner, job_finished{s.tag, s.job.state, s.job.por_status, s.job.reason,
                                     s.job.updated_ms - s.job.started_ms, s.job.variant});
    self->quit();
  }
}

// Starts the held attempt, or holds on (still paused, or the send window not open yet).
void retry_held(subscriber_actor* self) {
  auto& s = self->state;
  if (s.paused || !s.held) return;
  const auto held = *s.held;
  handle(self, held);
}

caf::behavior subscriber(subscriber_actor* self, std::uint64_t tag, std::shared_ptr<card_info> card,
                         std::optional<job_record> job,
                         std::shared_ptr<const campaign_ctx> campaign, shared_actors shared,
                         caf::actor owner) {
  auto& st = self->state;
  st.tag = tag;
  st.card = std::move(card);
  st.campaign = std::move(campaign);
  st.shared = std::move(shared);
  st.owner = std::move(owner);
  if (job) st.job = std::move(*job);
  st.job.variant = variant_name(*st.campaign, *st.card);
  st.policy = st.campaign->def.policy.job;
  st.policy.counter_skip = st.card->variant >= 0
                               ? st.campaign->variant_of(*st.card).def.security.counter_skip
                               : st.campaign->def.security.counter_skip;
  if (st.card->variant >= 0) st.policy.steps = st.campaign->variant_of(*st.card).step_kinds;
  self->send(st.shared.router, route{tag, st.card->msisdn, self});
  self->send(self, start_atom::value);
  return {
      [=](start_atom) { handle(self, ev_start{}); },
      [=](const job_event& ev) { handle(self, ev); },
      [=](pause_atom) { self->state.paused = true; },
      [=](resume_atom) {
        self->state.paused = false;
        retry_held(self);
      },
      [=](wake_atom) {
        self->state.wake_armed = false;
        retry_held(self);
      },
      [=](bind_outcome& b) {
        auto& s = self->state;
        s.bind = b.bind;
        s.route = std::move(b.route);
        if (!s.campaign->def.alerts.enabled || !s.shared.alerts) return;
        self->send(s.shared.alerts,
                   alert_feed{s.campaign->def.id,
                              b.bind,
                              {alert_outcome{alert_kind::throttle,
                                             b.outcome == submit_outcome::throttled, 0}}});
      },
      [=](package_rep& rep) {
        auto& r = *rep.value;
        if (r.ok()) {
          self->state.segments = std::move(r->segments);
          handle(self, ev_packaged{r->counter});
        } else {
          handle(self, ev_package_failed{r.error().message, r.error().retriable()});
        }
      },
      [=](por_atom, const bytes& ud) {
        auto& s = self->state;
        auto por = s.shared.factory->open_por(*s.card, *s.campaign, ud);
        // Every PoR that claims to answer this campaign's packets is a por_rejected outcome of
        // the bind that carried the job: rejected ones (errc::verification) are the bad ones,
        // an opened one a good one (sent with the PoR's other outcomes, by handle()).
        if (!por && por.error().code == errc::verification && s.campaign->def.alerts.enabled &&
            s.shared.alerts) {
          self->send(
              s.shared.alerts,
              alert_feed{
                  s.campaign->def.id, s.bind, {alert_outcome{alert_kind::por_rejected, true, 0}}});
        }
        if (!por) {
          log::get("engine")->debug("iccid {}: ignoring MO message: {}", s.card->iccid,
                                    por.error().message);
          return;
        }
        handle(self,
               ev_por{por->counter, por->status, por->verified, por->script_sw, por->executed,
                      s.campaign->variant_of(*s.card).commands_of(s.job.step, s.job.page),
                      std::move(por->failure), std::move(por->script_data)},
               alert_outcome{alert_kind::por_rejected, false, 0});
      },
  };
}

}  // namespace

caf::actor spawn_subscriber(caf::event_based_actor* owner, std::uint64_t tag,
                            std::shared_ptr<card_info> card, std::optional<job_record> job,
                            std::shared_ptr<const campaign_ctx> campaign,
                            const shared_actors& shared) {
  return owner->spawn(subscriber, tag, std::move(card), std::move(job), std::move(campaign), shared,
                      caf::actor{owner});
}

}  // namespace otaflow::actors
