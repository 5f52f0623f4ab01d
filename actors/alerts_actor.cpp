#include "actors/alerts_actor.hpp"

#include <string>
#include <unordered_map>

#include "actors/messages.hpp"
#include "base/log.hpp"

namespace otaflow::actors {
namespace {

using namespace msg;

struct alerts_state {
  struct entry {
    alert_monitor monitor;
    caf::actor controller;
  };
  std::unordered_map<std::string, entry> campaigns;
  std::shared_ptr<spdlog::logger> log = log::get("alerts");
};

using alerts_actor_t = caf::stateful_actor<alerts_state>;

void observe(alerts_actor_t* self, alert_feed& f, transport* tp, const alert_fn* on_alert,
             const engine_clock* clock) {
  auto& st = self->state;
  auto it = st.campaigns.find(f.campaign);
  if (it == st.campaigns.end()) return;
  const auto bind = f.bind ? tp->bind_name(*f.bind) : std::string();
  const auto now = clock->wall_ms();
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
      self->send<caf::message_priority::high>(it->second.controller, alert_fired{std::move(a)});
    }
  }
}

// A job the journal could not save: an alert of its own (not a rate), and its controller
// releases the job.
void refused(alerts_actor_t* self, journal_refused& r, const alert_fn* on_alert,
             const engine_clock* clock) {
  auto& st = self->state;
  alert a;
  a.campaign = r.campaign;
  a.kind = alert_kind::journal;
  a.sample = 1;
  a.count = 1;
  a.message = r.reason;
  a.ts_ms = clock->wall_ms();
  st.log->warn("ALERT campaign '{}' {}: {} (action: none)", a.campaign, to_string(a.kind),
               a.message);
  if (*on_alert) (*on_alert)(a);
  auto it = st.campaigns.find(r.campaign);
  if (it != st.campaigns.end() && it->second.controller) {
    self->send<caf::message_priority::high>(it->second.controller, std::move(r));
  }
}

caf::behavior alerts_actor(alerts_actor_t* self, transport* tp, const alert_fn* on_alert,
                           const engine_clock* clock) {
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
      [=](alert_feed& f) { observe(self, f, tp, on_alert, clock); },
      [=](journal_refused& r) { refused(self, r, on_alert, clock); },
      // Answered after every journal_refused queued before it was passed on.
      [=](sync_atom) { return sync_atom::value; },
  };
}

}  // namespace

caf::actor spawn_alerts(caf::actor_system& sys, transport* tp, const alert_fn* on_alert,
                        const engine_clock* clock) {
  return sys.spawn(alerts_actor, tp, on_alert, clock);
}

}  // namespace otaflow::actors
