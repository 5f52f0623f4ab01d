#pragma once
// The state of one (campaign, card) job: what the subscriber state machine works on, what
// storage persists (storage/job_store.hpp, record version 4, or 5 for a job of several steps) and
// what status events report. One record from the engine to RocksDB and back: plain data, no CAF, no
// RocksDB.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"

namespace otaflow::model {

/// Where a (campaign, card) job stands. `done`, `failed` and `skipped` are terminal: every
/// (campaign, card) ends in exactly one of them. The numeric values are stored (the state
/// octet of a job record): never renumber.
enum class job_state : std::uint8_t {
  queued = 0,      ///< waiting for a packet (first attempt or a retry that is due)
  packaging = 1,   ///< the crypto stage is securing its packet (counter reserved)
  submitting = 2,  ///< submit_sm sent, waiting for submit_sm_resp
  accepted = 3,    ///< the SMSC accepted the message; waiting for a receipt and the PoR
  delivered = 4,   ///< the receipt says delivered to the handset; waiting for the PoR
  retry_wait = 5,  ///< a retriable failure; the next attempt waits until retry_at_ms
  done = 6,        ///< the card answered with a PoR OK and the script succeeded
  failed = 7,      ///< permanent failure or attempts exhausted; `reason` says why
  skipped = 8,     ///< no variant applies to the card (no rule matched, keyset missing): no SMS
};
/// Number of job states (valid numeric values are 0 .. job_state_count - 1).
inline constexpr std::size_t job_state_count = 9;

/// "queued", "packaging", ... (the names status events and the CLI show).
[[nodiscard]] std::string_view to_string(job_state s) noexcept;
/// Parses a state name; nullopt when unknown.
[[nodiscard]] std::optional<job_state> job_state_from_string(std::string_view s) noexcept;
/// Whether a state is terminal (done, failed, skipped).
[[nodiscard]] constexpr bool is_terminal(job_state s) noexcept {
  return s == job_state::done || s == job_state::failed || s == job_state::skipped;
}

/// One state change of a job: the state entered, when (wall ms), in which attempt, and the
/// PoR status known at that moment.
struct job_history_entry {
  job_state state = job_state::queued;
  std::int64_t at_ms = 0;
  std::uint16_t attempt = 0;
  std::optional<std::uint8_t> por_status;

  bool operator==(const job_history_entry&) const = default;
};

/// At most this many history entries per job: the first and the last (job_history_max - 1).
/// Every job write carries the history (RocksDB and, partitioned, the Kafka changelog).
inline constexpr std::size_t job_history_max = 32;

/// One page of a GET STATUS listing a list step of a RAM job got back: the response data of
/// the page's last GET STATUS (E3 entries, GP 2.3 Table 11-36), as the card sent it.
struct listing_page {
  std::uint16_t step = 0;  ///< the list step (job_record::step when it was stored)
  std::uint16_t page = 0;  ///< the page (job_record::page: 0, then one per 6310)
  bytes data;

  bool operator==(const listing_page&) const = default;
};

/// At most this many octets of listing data per job (all pages): every job write carries the
/// listing. A page that does not fit is dropped whole and step_flag::listing_truncated is set.
inline constexpr std::size_t listing_max = 8192;

/// Everything the engine remembers about one (campaign, card), all of it stored.
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
  std::int64_t retry_at_ms = 0;            ///< retry_wait: no attempt before this (else 0)
  /// 0: the job never skipped its counter ahead. Else the card answered PoR 02 "counter low"
  /// once and the job skipped ahead from its counters[counter_skip_at - 1] on: the skip is
  /// still to be made while counters.size() < counter_skip_at (record version 3).
  std::uint32_t counter_skip_at = 0;
  /// The state changes, oldest first, bounded by job_history_max (record version 4).
  std::vector<job_history_entry> history;
  /// Multi-step jobs (a RAM campaign: one command packet per step; record version 5). A job
  /// of one step keeps all four at 0 and is stored as version 4.
  std::uint16_t step = 0;       ///< the step the job is on (0-based); `attempt` counts its attempts
  std::uint32_t step_at = 0;    ///< index in `counters` of the current step's first packet
  std::uint16_t page = 0;       ///< GET STATUS step: the "next" pages asked for so far (6310)
  std::uint8_t step_flags = 0;  ///< step_flag bits
  /// The GET STATUS listing of the list steps, ordered by (step, page); at most listing_max
  /// octets of data (record version 5, after step_flags).
  std::vector<listing_page> listing;

  bool operator==(const job_record&) const = default;
};

/// Bits of job_record::step_flags.
namespace step_flag {
/// The step before the current one was counted done on 6A86 (the card already had its blocks).
inline constexpr std::uint8_t assumed_done = 0x01;
/// The load was started again from its INSTALL [for load] step once (the card was behind).
inline constexpr std::uint8_t load_restarted = 0x02;
/// A listing page was dropped: the listing would have exceeded listing_max octets. (Bit 2,
/// 0x04, is the state machine's own "resumed" flag, actors/subscriber_fsm.cpp.)
inline constexpr std::uint8_t listing_truncated = 0x08;
}  // namespace step_flag

/// Stamps a state change: updated_ms = now_ms and a history entry for the job's current
/// state, attempt and PoR status. Beyond job_history_max entries the second oldest goes (the
/// first one, when the job was created, stays).
void note_state_change(job_record& job, std::int64_t now_ms);

/// Stores `data` as page `page` of list step `step`: it replaces that page if stored before (a
/// page answered again never duplicates entries) and drops the step's later pages (left by an
/// earlier run of the step). False (and step_flag::listing_truncated set, nothing stored) when
/// the listing would exceed listing_max octets.
bool put_listing_page(job_record& job, std::uint16_t step, std::uint16_t page, byte_view data);

/// True when the job has listing pages, or dropped one (step_flag::listing_truncated): its views
/// show a "listing".
[[nodiscard]] bool has_listing(const job_record& job) noexcept;

/// Total octets of listing data of a job (all pages).
[[nodiscard]] std::size_t listing_size(const job_record& job) noexcept;

/// The data of a job's listing pages of `step` concatenated, in page order.
[[nodiscard]] bytes listing_of_step(const job_record& job, std::uint16_t step);

}  // namespace otaflow::model
