#pragma once
// One card of a virtual UICC fleet opened from the fleet's state directory (sim/fleet_store.hpp),
// the way `otaflow sim` and `otaflow subscribers keys resolve --prove-fleet` reach it: the
// directory records which fleet it belongs to (seed or CSV), so nothing else is needed.

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "sim/fleet.hpp"
#include "sim/fleet_store.hpp"
#include "sim/ota_card.hpp"

namespace otaflow::app {

/// A live virtual card with the store it came from: opened for writing when no simulator
/// holds the directory (so AUTHENTICATE's SQN_MS is kept), else read-only.
struct fleet_card {
  std::unique_ptr<sim::fleet_store> store;
  bool writable = false;
  sim::card_profile profile = sim::default_card_profile();
  std::unique_ptr<sim::virtual_card> card;  // uses `profile`
};

/// The card source a fleet record (the store's meta JSON) names; nullptr when its CSV is gone.
[[nodiscard]] result<std::unique_ptr<sim::card_source>> recorded_source(const nlohmann::json& meta);

/// Opens card `iccid` of the fleet recorded in `state_dir`; errors name the directory or card.
[[nodiscard]] result<std::unique_ptr<fleet_card>> open_fleet_card(const std::string& state_dir,
                                                                  const std::string& iccid);

/// Writes back what commands changed on the card; false when nothing was written (unchanged,
/// or the store is read-only).
[[nodiscard]] result<bool> persist_fleet_card(fleet_card& c, const std::string& iccid);

}  // namespace otaflow::app
