#pragma once
// The engine's durable-state port over the RocksDB profile repository: job records (the
// engine's own, model/job.hpp, stored whole) and, in the same atomic batch, one audit record
// per state change.

#include "actors/engine_ports.hpp"
#include "storage/api.hpp"

namespace otaflow::actors {

/// The audit details of a job state change (JSON; never a key).
[[nodiscard]] std::string audit_details(const job_record& job);

/// Stages what a job update settles besides its own row and audit record, in the same batch:
/// a terminal job commits (`done`), drops (nothing ever sent) or keeps (a packet may have
/// left: the card's keys are uncertain) the Ki/OPc drawn for an update.keys job
/// (actors/key_settlement.hpp), and a `done` job records the files it wrote
/// (storage/card_file_store.hpp). When pending keys were there, `details` (the audit record's
/// JSON object) gains "key_rotation": "committed", "dropped" or "uncertain"; it never holds
/// the keys. Returns the record to store instead of `u.job` when kept keys need the note in
/// its reason and `u.job` lacks it (its owner could not tell the variant); `details` then
/// describes that record. Both `campaign run`'s store and serve's outbox use it.
[[nodiscard]] result<std::optional<job_record>> stage_job_effects(storage::state& st,
                                                                  rocksdb::WriteBatch& b,
                                                                  const job_update& u,
                                                                  std::string& details);

class storage_job_store final : public job_store {
 public:
  explicit storage_job_store(storage::state& state) : state_(state) {}
  [[nodiscard]] result<std::optional<job_record>> load(const std::string& campaign,
                                                       const std::string& iccid) override;
  [[nodiscard]] status save(std::span<const job_update> updates, bool sync) override;
  [[nodiscard]] result<std::vector<std::optional<job_record>>> load_many(
      const std::string& campaign, std::span<const std::string_view> iccids) override;

 private:
  storage::state& state_;
};

}  // namespace otaflow::actors
