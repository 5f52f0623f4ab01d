#pragma once
// One state change of one (campaign, card): what the engine's journal emits once the state is
// durable, and what kafka/events.hpp writes on the status topic (docs/EVENTS.md).

#include <cstdint>
#include <optional>
#include <string>

#include "model/job.hpp"

namespace otaflow::model {

/// Status event of one state change. The engine's journal builds it with brace-init in this
/// field order: keep it.
struct status_event {
  std::string campaign;
  std::string iccid;
  job_state state = job_state::queued;     ///< the state entered
  std::uint16_t attempt = 0;               ///< delivery attempts started (1 = the first)
  std::optional<std::uint8_t> por_status;  ///< last PoR status code; none without a PoR
  std::string reason;                      ///< why (failures, retries), else empty
  std::string variant;                     ///< update variant the card got; empty when none
  std::int64_t ts_ms = 0;                  ///< when the state was entered (ms since the epoch)
  std::string route{};  ///< `accepted`: the SMSC route the attempt went out on; else empty
  /// Multi-step jobs (RAM campaigns): the step the job is on (0-based) and how many the card's
  /// variant has; steps 0: a job of one step (the fields are left out of the JSON).
  std::uint16_t step = 0;
  std::uint16_t steps = 0;

  friend bool operator==(const status_event&, const status_event&) = default;
};

}  // namespace otaflow::model
