#pragma once
// The journal: a detached actor that makes state changes durable in batches (one synced
// job_store::save per batch) and only then lets their status events go to the sink. A
// `sync` request is answered once everything sent to the journal before it is durable:
// owners use it to report admissions and to end runs.

#include <atomic>
#include <cstddef>
#include <cstdint>

#include <caf/all.hpp>

#include "actors/engine_ports.hpp"

namespace otaflow::actors {

/// Spawns the journal: msg::journal_entry in; sync_atom answered when durable. `backlog`
/// counts entries sent (to_journal adds) and not yet durable (the journal subtracts).
[[nodiscard]] caf::actor spawn_journal(caf::actor_system& sys, job_store* store, status_sink* sink,
                                       std::size_t batch_max, std::atomic<std::uint64_t>* backlog);

}  // namespace otaflow::actors
