#pragma once
// `otaflow subscribers keys ...` (app/cmd_subscribers_keys.cpp): a card's pending key rotations
// and their resolution; added under the `subscribers` command by app/cmd_subscribers.cpp.

#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "storage/api.hpp"

namespace otaflow::app {

/// Adds `keys` (and `keys resolve`) to the `subscribers` command.
void add_subscribers_keys(CLI::App& subscribers);

/// The card's pending key rotations as JSON, one object per campaign: campaign, sequence, the
/// job's state and "in_flight" or "uncertain" (never a key).
[[nodiscard]] result<nlohmann::ordered_json> pending_rotations_json(storage::state& st,
                                                                    const std::string& iccid);

}  // namespace otaflow::app
