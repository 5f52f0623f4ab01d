#pragma once
// The campaign actor (`campaign run`, the demo): runs one campaign to a terminal state per
// card. It expands the targets lazily, a page at a time, and keeps at most policy.window
// subscribers alive; each card taken is decided by decide_admission (admission.hpp). It
// answers its start request with the campaign's summary once every card is terminal, or
// the campaign is paused (every job left holding) or cancelled.

#include <cstddef>
#include <memory>

#include <caf/all.hpp>

#include "actors/engine.hpp"
#include "actors/engine_context.hpp"

namespace otaflow::actors {

/// What a campaign actor starts from; handed over as a spawn argument so that nothing
/// touches the actor's state from outside (a no-argument spawn also trips UBSan inside
/// CAF 0.17's init_fun_factory, which dereferences an empty argument tuple).
struct campaign_setup {
  std::shared_ptr<const campaign_ctx> ctx;
  std::unique_ptr<target_cursor> cursor;
  job_store* store = nullptr;
  shared_actors shared;
  std::size_t chunk = 256;  ///< cards per cursor page at most
  progress_fn progress;
};

/// Spawns a campaign actor. Send it start_atom (a request) to run it: the answer is the
/// campaign_summary. svc_campaign messages change its mode (pause, resume, cancel).
[[nodiscard]] caf::actor spawn_campaign(caf::actor_system& sys,
                                        std::shared_ptr<campaign_setup> setup);

}  // namespace otaflow::actors
