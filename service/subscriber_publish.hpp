#pragma once
// `otaflow subscribers import --brokers ...`: a vendor file published to the subscribers topic
// (issue 14, partition-owned state on Kafka). The file is imported with the normal local import
// into a private temporary state directory (so every check and every rejection is the local
// import's), then each imported card goes out as one card record (storage/card_record.hpp,
// key = ICCID, keys sealed under the KEK) to the subscribers topic, co-partitioned with the
// triggers topic: the producer's murmur2 partitioner puts a card's record on the partition of
// its triggers, so every serve instance receives exactly its partitions' cards. Re-publishing
// a file is idempotent on the receivers (apply_card answers `unchanged`).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "kafka/config.hpp"
#include "storage/csv_import.hpp"
#include "storage/secret.hpp"

namespace otaflow::service {

/// The default subscribers topic.
inline constexpr std::string_view default_subscribers_topic = "ota.subscribers";

/// What a publication did.
struct publish_summary {
  storage::import_summary import;  ///< the local import's summary (rejected rows, errors)
  std::uint64_t published = 0;     ///< card records the brokers acknowledged
  int partitions = 0;              ///< of the subscribers topic (= the triggers topic's)
  bool topic_created = false;      ///< the subscribers topic did not exist and was created
};

/// Tuning of a publication.
struct publish_options {
  /// Default 30 s: how long creating the topic, the metadata requests and the final flush
  /// (every delivery acknowledged) may take each.
  std::chrono::milliseconds timeout{30000};
  /// Replication of the subscribers topic when it is created. Default 0: as the triggers
  /// topic's partition 0 has it.
  int replication_factor = 0;
  /// Parent of the private temporary state directory. Default empty: the system's (TMPDIR).
  std::filesystem::path temp_parent;
};

/// Imports `csv` into a temporary state sealed under `kek` (the KEK of the serve instances),
/// checks (or creates, compacted) `topic` with the triggers topic's partition count
/// (opts.triggers_topic), produces one card record per imported card and waits until every
/// one is acknowledged. Rows the import rejects are not published; they are reported in the
/// summary as the local import reports them. The temporary directory is removed on every path.
[[nodiscard]] result<publish_summary> publish_subscribers(
    const kafka::kafka_options& opts, std::string_view topic, const std::filesystem::path& csv,
    const storage::secret& kek, const storage::import_options& import = {},
    const publish_options& options = {});

}  // namespace otaflow::service
