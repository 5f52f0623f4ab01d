#pragma once
// The alerts actor: the failure-rate windows of every campaign (actors/alert_monitor.hpp).
// Subscribers send the outcomes of their events (and of their binds' submit_sm); an alert is
// logged, handed to the engine's alert handler (which makes a pause durable and publishes the
// event), then told to the campaign's controller, which pauses the campaign if it says so.

#include <functional>

#include <caf/all.hpp>

#include "actors/alert_monitor.hpp"
#include "actors/clock.hpp"
#include "actors/engine_ports.hpp"

namespace otaflow::actors {

using alert_fn = std::function<void(const alert&)>;

/// Spawns the alerts actor. `on_alert` (an empty function: none) and `clock` are borrowed.
[[nodiscard]] caf::actor spawn_alerts(caf::actor_system& sys, transport* tp,
                                      const alert_fn* on_alert, const engine_clock* clock);

}  // namespace otaflow::actors
