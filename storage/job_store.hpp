#pragma once
// Jobs: one record per (campaign, card), keyed campaign_id \0 ICCID so the
// jobs of a campaign are contiguous and in ICCID order. A batch of job
// updates and the audit records describing them commit in one WriteBatch, so
// the audit log never disagrees with the state after a crash.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "storage/audit_log.hpp"
#include "storage/db.hpp"

namespace otaflow::storage {

/// Where a card stands in a campaign. done, failed and skipped are terminal:
/// every (campaign, card) ends in exactly one of them.
enum class job_state : std::uint8_t {
  queued = 0,            ///< selected, nothing sent
  counter_reserved = 1,  ///< a counter is persisted for the packet, not yet submitted
  submitted = 2,         ///< submit_sm sent, no response yet
  accepted = 3,          ///< submit_sm_resp OK (message id known)
  delivered = 4,         ///< delivery receipt: delivered to the handset, PoR awaited
  retry_wait = 5,        ///< a retriable failure; waits until retry_at_ms
  done = 6,              ///< PoR OK (terminal)
  failed = 7,            ///< given up, with a reason (terminal)
  skipped = 8,           ///< no campaign variant applies to the card; nothing sent (terminal)
};
inline constexpr std::size_t job_state_count = 9;

/// Whether a state is terminal (done, failed, skipped).
[[nodiscard]] constexpr bool is_terminal(job_state s) noexcept {
  return s == job_state::done || s == job_state::failed || s == job_state::skipped;
}
/// "queued", "counter_reserved", ...
[[nodiscard]] std::string_view name(job_state s) noexcept;
/// Parses a state name.
[[nodiscard]] result<job_state> parse_job_state(std::string_view s);

/// The state record of one card in one campaign.
struct job_record {
  job_state state = job_state::queued;
  std::uint16_t attempt = 0;               ///< submissions so far
  std::optional<std::uint8_t> por_status;  ///< last PoR status (TS 102 225 §5.2)
  std::string reason;                      ///< why failed / why retrying
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::int64_t retry_at_ms = 0;          ///< for retry_wait: not before this time
  std::uint64_t counter = 0;             ///< CNTR of the last packet (matches the PoR)
  std::vector<std::string> message_ids;  ///< SMSC message ids of the last submission
  std::string variant;                   ///< which campaign variant the card got

  friend bool operator==(const job_record&, const job_record&) = default;
};

/// A job to write.
struct job_update {
  std::string campaign_id;
  std::string iccid;
  job_record record;
};

/// A job read back.
struct job_entry {
  std::string iccid;
  job_record record;
};

/// One page of a campaign's jobs.
struct job_page {
  std::vector<job_entry> items;  ///< in ICCID order
  std::string resume_after;      ///< last ICCID examined: pass as `after` to continue
  bool end = false;              ///< no job left after resume_after
};

/// The jobs family. Thread-safe.
class job_store {
 public:
  explicit job_store(db& d) : db_(d) {}

  /// Stages one job write.
  [[nodiscard]] status stage(rocksdb::WriteBatch& b, const job_update& u) const;
  /// Writes job updates and audit records atomically in one WriteBatch.
  [[nodiscard]] status commit(std::span<const job_update> updates,
                              std::span<const audit_event> events, audit_log& audit, bool sync);
  /// One job, or nullopt (for idempotent handling of duplicate triggers).
  [[nodiscard]] result<std::optional<job_record>> get(std::string_view campaign_id,
                                                      std::string_view iccid) const;
  /// get() of many cards of one campaign, read together (one MultiGet), in their order.
  [[nodiscard]] result<std::vector<std::optional<job_record>>> get_many(
      std::string_view campaign_id, std::span<const std::string_view> iccids) const;
  /// Up to max_items jobs of a campaign with ICCID > after (empty: from the
  /// first); active_only skips terminal ones (resume after a crash). At most
  /// max_examined records are read per call.
  [[nodiscard]] result<job_page> list(std::string_view campaign_id, std::string_view after,
                                      std::size_t max_items, bool active_only = false,
                                      std::size_t max_examined = 100000) const;
  /// Number of jobs of a campaign in each state (a scan of the campaign).
  [[nodiscard]] result<std::map<job_state, std::uint64_t>> count_by_state(
      std::string_view campaign_id) const;
  /// Number of jobs of a campaign per variant name ("" for jobs without one) and state (a
  /// scan of the campaign that decodes every record).
  [[nodiscard]] result<std::map<std::string, std::map<job_state, std::uint64_t>>> count_by_variant(
      std::string_view campaign_id) const;

  /// Row key: campaign_id \0 ICCID.
  [[nodiscard]] static std::string row_key(std::string_view campaign_id, std::string_view iccid);
  [[nodiscard]] static bytes encode(const job_record& r);
  [[nodiscard]] static result<job_record> decode(byte_view value);

 private:
  db& db_;
};

}  // namespace otaflow::storage
