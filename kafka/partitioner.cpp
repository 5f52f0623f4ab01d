#include "kafka/partitioner.hpp"

#include <librdkafka/rdkafka.h>

namespace otaflow::kafka {

std::int32_t partition_for_key(std::string_view key, std::int32_t partitions) noexcept {
  if (partitions < 1) return -1;
  // librdkafka's murmur2 partitioner is the same function its producer uses ("partitioner" =
  // murmur2_random for a non-null key); in 2.0.2 it reads neither the topic nor the opaques
  // (src/rdkafka_msg.c: `(rd_murmur2(key, keylen) & 0x7fffffff) % partition_cnt`), so it can
  // be called without a topic handle.
  return rd_kafka_msg_partitioner_murmur2(nullptr, key.data(), key.size(), partitions, nullptr,
                                          nullptr);
}

}  // namespace otaflow::kafka
