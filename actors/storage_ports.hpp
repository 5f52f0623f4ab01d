#pragma once
// The engine's durable-state port over the RocksDB profile repository: job records
// and, in the same atomic batch, one audit record per state change.

#include "actors/engine_ports.hpp"
#include "storage/api.hpp"

namespace otaflow::actors {

/// Converts between the engine's job record and the stored one.
[[nodiscard]] storage::job_record to_stored(const job_record& j);
[[nodiscard]] job_record from_stored(const storage::job_record& s);

class storage_job_store final : public job_store {
 public:
  explicit storage_job_store(storage::state& state) : state_(state) {}
  [[nodiscard]] result<std::optional<job_record>> load(const std::string& campaign,
                                                       const std::string& iccid) override;
  [[nodiscard]] status save(std::span<const job_update> updates, bool sync) override;

 private:
  storage::state& state_;
};

}  // namespace otaflow::actors
