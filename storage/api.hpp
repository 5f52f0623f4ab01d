#pragma once
// The storage facade: one object that opens the state directory and owns a
// repository of each kind. The engine and the CLI include this header.

#include <memory>
#include <string_view>

#include "base/error.hpp"
#include "storage/audit_log.hpp"
#include "storage/campaign_store.hpp"
#include "storage/card_file_store.hpp"
#include "storage/counter_store.hpp"
#include "storage/db.hpp"
#include "storage/job_store.hpp"
#include "storage/kek.hpp"
#include "storage/key_store.hpp"
#include "storage/subscriber_store.hpp"

namespace otaflow::storage {

/// An open state directory with its repositories.
class state {
 public:
  /// Loads the KEK from its source, then opens the directory.
  [[nodiscard]] static result<std::unique_ptr<state>> open(const db_options& options,
                                                           const kek_source& kek);
  /// Opens the directory with a KEK already loaded.
  [[nodiscard]] static result<std::unique_ptr<state>> open(const db_options& options, secret kek);
  /// Opens the directory with a KEK already opened (a direct key or a token key).
  [[nodiscard]] static result<std::unique_ptr<state>> open(const db_options& options, kek_key kek);

  [[nodiscard]] storage::db& database() noexcept { return *db_; }
  [[nodiscard]] subscriber_store& subscribers() noexcept { return subscribers_; }
  [[nodiscard]] key_store& keys() noexcept { return keys_; }
  [[nodiscard]] counter_store& counters() noexcept { return counters_; }
  [[nodiscard]] campaign_store& campaigns() noexcept { return campaigns_; }
  [[nodiscard]] job_store& jobs() noexcept { return jobs_; }
  [[nodiscard]] card_file_store& card_files() noexcept { return card_files_; }
  [[nodiscard]] audit_log& audit() noexcept { return *audit_; }

  /// Removes a card's subscriber record, index entries and keys in one synced
  /// write. Its counters stay: should the ICCID come back, its counters must
  /// not restart below values the card has already seen.
  [[nodiscard]] status erase_card(std::string_view iccid);

 private:
  explicit state(std::unique_ptr<storage::db> d);

  std::unique_ptr<storage::db> db_;
  subscriber_store subscribers_;
  key_store keys_;
  counter_store counters_;
  campaign_store campaigns_;
  job_store jobs_;
  card_file_store card_files_;
  std::unique_ptr<audit_log> audit_;
};

}  // namespace otaflow::storage
