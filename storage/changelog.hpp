#pragma once
// The state directory as a materialised view of Kafka changelogs (serve's partition-owned
// mode, docs/SCALING.md). The rows of the families that belong to one card (subscriber
// record and its indexes, sealed keys, counters, jobs, card files) are partitioned by ICCID
// like the triggers topic; each write to them travels as a changelog record before it is
// applied here, and a partition's rows are rebuilt from its changelog partition when the
// partition comes to this instance. Campaigns, the audit log and meta stay local.
//
// A changelog record: key = one octet naming the column family + the row's RocksDB key;
// value = the row's value, or none (a tombstone) for a delete. The record's partition is the
// partition of the row's ICCID (for the indexes: the ICCID they point to).

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/write_batch.h>

#include "base/error.hpp"
#include "storage/db.hpp"

namespace otaflow::storage::changelog {

/// True for the families partitioned by card (mirrored to the changelog).
[[nodiscard]] bool partitioned(column c) noexcept;

/// One row written or deleted (value nullopt).
struct row_op {
  column col = column::subscribers;
  std::string key;
  std::optional<std::string> value;
  std::string iccid;  ///< the card the row belongs to
};

/// The changelog record key of a row.
[[nodiscard]] std::string record_key(column c, std::string_view row_key);
/// The family and row key of a changelog record key; an error for a key this build cannot
/// place (an unknown or local family, an empty key).
[[nodiscard]] result<std::pair<column, std::string_view>> parse_record_key(std::string_view key);

/// The ICCID a row belongs to: the row key's first part, the second for jobs
/// (campaign \0 ICCID), the value for the MSISDN and IMSI indexes. Empty when it cannot tell.
[[nodiscard]] std::string_view iccid_of(column c, std::string_view key,
                                        std::optional<std::string_view> value) noexcept;

/// The writes of a batch to partitioned families, in batch order, each with its ICCID (an
/// index row deleted is looked up in `d` to find the card it pointed to). Writes to local
/// families are left out. An error for an operation the changelog cannot carry (a range
/// delete, a merge) or a partitioned row whose card cannot be told.
[[nodiscard]] result<std::vector<row_op>> partitioned_ops(const db& d,
                                                          const rocksdb::WriteBatch& batch);

/// A changelog record read back: the record key and value (nullopt: tombstone).
struct record {
  std::string_view key;
  std::optional<std::string_view> value;
};
/// Puts (or deletes) the rows of records into `batch`; an error names a record whose key
/// cannot be placed.
[[nodiscard]] status apply_records(const db& d, std::span<const record> records,
                                   rocksdb::WriteBatch& batch);

/// Deletes every row of the partitioned families whose card `belongs` selects (a partition
/// restored from the beginning), in unsynced batches; returns how many rows went.
[[nodiscard]] result<std::uint64_t> wipe(
    db& d, const std::function<bool(std::string_view iccid)>& belongs);

/// The offset up to which the local rows of (topic, partition) are the changelog's, stored
/// when this instance gave the partition up cleanly; nullopt when there is none (the rows
/// must be rebuilt from the beginning).
[[nodiscard]] result<std::optional<std::int64_t>> checkpoint(const db& d, std::string_view topic,
                                                             std::int32_t partition);
/// Stores (offset >= 0) or removes (offset < 0) the checkpoint of (topic, partition), synced.
[[nodiscard]] status set_checkpoint(db& d, std::string_view topic, std::int32_t partition,
                                    std::int64_t offset);

}  // namespace otaflow::storage::changelog
