#pragma once
// The Java client's default partitioner for a non-null key, so otaflow and Java (Kafka
// Streams, the Java producer) agree on which partition holds a key: state partitioned like the
// triggers topic must be looked up on the partition the triggers producer chose.

#include <cstdint>
#include <string_view>

namespace otaflow::kafka {

/// The partition Java's default partitioner picks for the non-null `key` among `partitions`:
/// (murmur2(key) & 0x7fffffff) % partitions (Kafka's Utils.murmur2/toPositive). An empty key
/// hashes as empty bytes (otaflow's producer sends an empty key as null, spread at random).
/// Returns -1 when `partitions` < 1.
[[nodiscard]] std::int32_t partition_for_key(std::string_view key,
                                             std::int32_t partitions) noexcept;

}  // namespace otaflow::kafka
