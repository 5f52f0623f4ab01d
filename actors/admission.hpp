#pragma once
// Whether a card taken from a campaign's targets starts a job now, and what is written for
// it when it does not. One pure function that both owners of jobs call: the campaign actor
// (`campaign run`, the demo) for each card of its cursor, and the service actor (`serve`)
// for each card of an admission. No CAF, no I/O: tests/unit/actors/admission_test.cpp
// holds its table.
//
// Room in the window (jobs in flight, the journal's backlog) is not part of it: an owner
// takes no further card while it has no room, so every card decided here is decided for
// good.

#include <cstdint>
#include <optional>
#include <string_view>

#include "actors/engine_ports.hpp"
#include "actors/job_state.hpp"
#include "actors/service.hpp"
#include "actors/subscriber_fsm.hpp"
#include "actors/time_window.hpp"

namespace otaflow::actors {

/// What becomes of one card offered to a campaign.
enum class admission : std::uint8_t {
  already_terminal,  ///< its job is terminal: the card has its one terminal state; nothing
  already_active,    ///< a job of this (campaign, card) is in flight here: nothing
  skip,              ///< no variant applies: terminal `skipped` now, no SMS
  expire,            ///< past not_after: `failed` ("validity expired") now, no SMS
  cancel,            ///< the campaign is cancelled: `failed` now, no SMS
  hold_paused,       ///< the campaign is paused: a durable `queued` job, nothing sent
  hold_window,       ///< before not_before or outside the send window: as paused, until it opens
  start,             ///< a subscriber starts the job (from its stored state, if any)
};

/// "already_terminal", "skip", ...
[[nodiscard]] std::string_view to_string(admission a) noexcept;

/// What the decision looks at.
struct admission_input {
  const job_record* job = nullptr;  ///< the card's stored job in this campaign; null: none
  bool skip = false;                ///< no variant applies to the card (card_info::skip set)
  bool active = false;              ///< a job of the card is in flight in this engine
  campaign_mode mode = campaign_mode::running;
  time_gate gate{};  ///< check_time(campaign's time policy, now)
};

/// The decision. Order: a job in flight or terminal is left alone; a card no variant applies
/// to ends `skipped` whatever the campaign's mode; then cancel, validity, window and pause,
/// in that order (a cancelled campaign fails its jobs even outside its window).
[[nodiscard]] admission decide_admission(const admission_input& in) noexcept;

/// The job record to write for a decision that writes one at admission (skip, expire,
/// cancel, and hold_* for a card with no stored job yet); nullopt when nothing is written
/// (start writes through its subscriber). `job` is the stored job (null: none); `variant`
/// the name of the card's variant; `skip_reason` the card's.
[[nodiscard]] std::optional<job_record> admission_record(admission decision, const job_record* job,
                                                         std::string_view variant,
                                                         std::string_view skip_reason,
                                                         const job_policy& policy,
                                                         std::int64_t now_ms);

}  // namespace otaflow::actors
