#pragma once
// The approval policy of the commands that run or plan a campaign file
// (actors/campaign_approval.hpp, docs/SECURITY.md "Four eyes"): --approvals-config FILE (its
// [approvals] table; a serve configuration will do), else STATE/approvals.toml when the state
// directory has one, else the defaults of a fresh install (no approver keys: key rotations are
// refused).

#include <string>

#include "actors/campaign_approval.hpp"
#include "base/error.hpp"

namespace otaflow::app {

/// The policy from `config_file`, else from `state_dir`/approvals.toml, else the defaults.
[[nodiscard]] result<actors::approval_policy> approval_policy_for(const std::string& config_file,
                                                                  const std::string& state_dir);

/// The help text of --approvals-config.
inline constexpr const char* approvals_config_help =
    "TOML file whose [approvals] table lists the approver keys and rules (else "
    "STATE/approvals.toml, else the defaults: key rotations need 2 approvals)";

}  // namespace otaflow::app
