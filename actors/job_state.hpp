#pragma once
// The state of one (campaign, card) job: what the subscriber state machine
// works on and what storage persists. Plain data, no CAF.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace otaflow::actors {

/// Where a (campaign, card) job stands. `done`, `failed` and `skipped` are terminal.
enum class job_state : std::uint8_t {
  queued,      ///< waiting for a packet (first attempt or a retry that is due)
  packaging,   ///< the crypto stage is securing its packet (counter reserved)
  submitting,  ///< submit_sm sent, waiting for submit_sm_resp
  accepted,    ///< the SMSC accepted the message; waiting for a receipt and the PoR
  delivered,   ///< the receipt says delivered to the handset; waiting for the PoR
  retry_wait,  ///< a retriable failure; the next attempt waits for its back-off
  done,        ///< the card answered with a PoR OK and the script succeeded
  failed,      ///< permanent failure or attempts exhausted; `reason` says why
  skipped,     ///< no variant applies to the card (no rule matched, keyset missing): no SMS
};

[[nodiscard]] std::string_view to_string(job_state s) noexcept;
[[nodiscard]] std::optional<job_state> job_state_from_string(std::string_view s) noexcept;
[[nodiscard]] constexpr bool is_terminal(job_state s) noexcept {
  return s == job_state::done || s == job_state::failed || s == job_state::skipped;
}

/// Everything the engine remembers about one (campaign, card).
struct job_record {
  job_state state = job_state::queued;
  std::uint16_t attempt = 0;               ///< delivery attempts started (1 = first)
  std::uint16_t resends = 0;               ///< submits lost with a connection and sent again
  std::vector<std::uint64_t> counters;     ///< CNTR of every packet sent for this job, oldest first
  std::string message_id;                  ///< SMSC message id of the current attempt
  std::optional<std::uint8_t> por_status;  ///< last PoR status code (TS 102 225 §5.2.2)
  std::optional<std::uint16_t> last_sw;    ///< last status word of the card's script response
  std::string reason;                      ///< why the job failed or is retrying (never a key)
  std::string variant;                     ///< update variant chosen for this card
  std::uint32_t timer_epoch = 0;           ///< invalidates timers armed before the last transition
  std::int64_t updated_ms = 0;             ///< wall clock of the last change (ms since epoch)
  std::int64_t started_ms = 0;             ///< wall clock when the first attempt started

  bool operator==(const job_record&) const = default;
};

}  // namespace otaflow::actors
