#pragma once
// The journal: a detached actor that makes state changes durable in batches (one synced
// job_store::save per batch) and only then lets their status events go to the sink. A
// `sync` request is answered once everything sent to the journal before it is durable:
// owners use it to report admissions and to end runs.
//
// A failed save is retried with a doubling back-off, at most `save_attempts` times
// (a permanent error: once). Then the batch is saved job by job: the jobs whose rows the
// store still refuses fail alone ("journal: cannot save <campaign> / <ICCID>: ..."), their
// failed state is saved if the store takes that, the alerts actor raises a `journal` alert
// and tells the campaign's controller (msg::journal_refused), later entries of those jobs
// are dropped, and every other job goes on.

#include <atomic>
#include <cstddef>
#include <cstdint>

#include <caf/all.hpp>

#include "actors/engine_ports.hpp"

namespace otaflow::actors {

/// What the journal is built with.
struct journal_setup {
  job_store* store = nullptr;
  status_sink* sink = nullptr;
  std::size_t batch_max = 8192;                   ///< updates per durable batch (>= 1)
  std::atomic<std::uint64_t>* backlog = nullptr;  ///< to_journal adds, the journal subtracts
  caf::actor alerts;                              ///< told of jobs whose rows are refused
  std::size_t save_attempts = 5;                  ///< saves of one batch before job by job
  std::chrono::milliseconds retry_base{10};       ///< first back-off, doubled, at most 1 s
};

/// Spawns the journal: msg::journal_entry in; sync_atom answered when durable.
[[nodiscard]] caf::actor spawn_journal(caf::actor_system& sys, journal_setup setup);

}  // namespace otaflow::actors
