#pragma once
// The subscriber actor: one card in flight. A thin shell around the job state machine
// (subscriber_fsm.hpp): it feeds the machine the events that reach it (packaged packets,
// submit results, receipts, PoRs, timers) and carries out the actions the machine returns
// (package through the crypto stage, submit through the router, arm timers at the router,
// persist through the journal). It holds a new attempt while its campaign is paused or
// outside its send window, telling its owner (park / unpark), and ends when the job is
// terminal, telling its owner (msg::job_finished).

#include <cstdint>
#include <memory>
#include <optional>

#include <caf/all.hpp>

#include "actors/engine_context.hpp"

namespace otaflow::actors {

/// Spawns the subscriber of job `tag` for `card`, starting from its stored job (if any).
/// `owner` (the spawning campaign or service actor) is told of parks and the job's end.
[[nodiscard]] caf::actor spawn_subscriber(caf::event_based_actor* owner, std::uint64_t tag,
                                          std::shared_ptr<card_info> card,
                                          std::optional<job_record> job,
                                          std::shared_ptr<const campaign_ctx> campaign,
                                          const shared_actors& shared);

}  // namespace otaflow::actors
