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
#include "model/job.hpp"
#include "storage/audit_log.hpp"
#include "storage/db.hpp"

namespace otaflow::storage {

// The record is the engine's own (model/job.hpp), stored whole: record version 2 holds every
// field; version-1 records (before the engine and storage shared one record) still decode.
using model::job_record;
using model::job_state;

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
  /// A record as stored (always the newest version, 2).
  [[nodiscard]] static bytes encode(const job_record& r);
  /// A stored record of version 1 or 2; the error says what is wrong.
  [[nodiscard]] static result<job_record> decode(byte_view value);

 private:
  db& db_;
};

}  // namespace otaflow::storage
