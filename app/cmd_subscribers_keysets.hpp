#pragma once
// Pending OTA keysets of PUT KEY campaigns (update.keyset) as operators see them: listed in
// `subscribers show` (never a key), settled by `otaflow subscribers keys
// resolve-keyset --state DIR --campaign ID --adopt|--discard|--prove-fleet FLEET_DIR ICCID`
// (--prove-fleet: a probe packet under the pending keyset to the virtual card; docs/storage.md
// "pending keysets", docs/CAMPAIGNS.md "Keyset rotation").

#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "storage/api.hpp"

namespace otaflow::app {

/// Adds `resolve-keyset` under `subscribers keys`; returns it (its parsed() tells the parent).
CLI::App* add_subscribers_keyset_resolve(CLI::App& keys);

/// The card's pending keysets: campaign, keyset, replaces, from, type, job_state, status
/// ("uncertain" once the job ended, "in_flight" before, "no_job").
[[nodiscard]] result<nlohmann::ordered_json> pending_keysets_json(storage::state& st,
                                                                  const std::string& iccid);

}  // namespace otaflow::app
