#pragma once
// Reads topic partitions from an offset to their current end without joining a group
// (rd_kafka_assign, no subscribe), as an instance restores the state of a partition it was
// given from the partition of a compacted changelog topic. Reads committed records only
// (isolation.level=read_committed): aborted transactions and transaction markers are skipped,
// and the end is the last stable offset (the first offset of a still-open transaction).

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "kafka/config.hpp"
#include "kafka/consumer.hpp"

namespace otaflow::kafka {

/// As a start offset: the partition's first offset.
inline constexpr std::int64_t from_beginning = -2;

/// Called for each record; `value` is nullopt for a tombstone. An error stops the read.
using record_fn = std::function<status(std::string_view key, std::optional<std::string_view> value,
                                       std::int64_t offset)>;
/// The same for read_partitions, with the record's partition.
using partition_record_fn =
    std::function<status(std::int32_t partition, std::string_view key,
                         std::optional<std::string_view> value, std::int64_t offset)>;

/// Reads `topic`[`partition`] from `from` (an offset or from_beginning) to its current end and
/// returns the next offset (the end reached: resume from there). Fails naming the partition
/// when `from` is outside the log, the partition does not exist, `fn` fails, or the end is
/// not reached within `timeout` (retriable).
[[nodiscard]] result<std::int64_t> read_partition(const kafka_options& opts, std::string_view topic,
                                                  std::int32_t partition, std::int64_t from,
                                                  const record_fn& fn,
                                                  std::chrono::milliseconds timeout);

/// Reads several partitions of one topic at once, each {topic, partition, offset} from its
/// offset (or from_beginning) to its end; returns each partition's next offset in the order
/// given. Records of one partition come in offset order; partitions interleave.
[[nodiscard]] result<std::vector<topic_partition>> read_partitions(
    const kafka_options& opts, const std::vector<topic_partition>& from,
    const partition_record_fn& fn, std::chrono::milliseconds timeout);

/// The number of partitions of `topic` (metadata request; never creates the topic).
[[nodiscard]] result<std::int32_t> partition_count(const kafka_options& opts,
                                                   std::string_view topic,
                                                   std::chrono::milliseconds timeout);

}  // namespace otaflow::kafka
