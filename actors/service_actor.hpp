#pragma once
// The service actor (`otaflow serve`): continuous admission. Admissions (a cursor of cards
// and a token) are taken in arrival order as the window allows; each card is decided by
// decide_admission (admission.hpp). A card without a job gets a durable `queued` record
// through the journal before its subscriber starts; a `sync` request to the journal after
// those entries answers once they are durable, and then the admission's token is reported.
// Cards with a terminal job, or with a job in flight here, are skipped: triggers are
// idempotent.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <caf/all.hpp>

#include "actors/engine_context.hpp"
#include "actors/service.hpp"

namespace otaflow::actors {

/// Gauges and totals shared with engine::stats() (written by the service actor only).
struct service_counters {
  std::atomic<std::uint64_t> admissions{0}, cards{0}, started{0}, queued_paused{0},
      skipped_terminal{0}, skipped_active{0}, cancelled{0}, done{0}, failed{0}, in_flight{0},
      parked{0}, waiting{0}, skipped{0}, expired{0}, queued_window{0};
  // Cards of the admissions sent by engine::admit and not out of the service's queue yet
  // (each counts its `cards`; counted by the sender, so a consumer's back-pressure also sees
  // those still in the mailbox).
  std::atomic<std::size_t> open_admissions{0};
};

using reopen_fn = std::function<void(const std::string&)>;

/// What the service actor starts from.
struct service_setup {
  shared_actors shared;
  job_store* store = nullptr;
  std::size_t window = 4000;  ///< jobs running at once (>= 1)
  std::size_t chunk = 256;    ///< cards handled per handler run (>= 1)
  std::shared_ptr<service_counters> counters;
  admitted_fn on_admitted;
  const reopen_fn* on_reopen = nullptr;  ///< borrowed; may hold an empty function
};

/// Spawns the service actor. Messages: svc_campaign, svc_admit, svc_withdraw (a request
/// answered with the withdrawn tokens), stop_atom (a request answered once no job runs).
[[nodiscard]] caf::actor spawn_service(caf::actor_system& sys, service_setup setup);

}  // namespace otaflow::actors
