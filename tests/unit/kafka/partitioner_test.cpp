// partition_for_key against the Java client: Kafka's own murmur2 test vectors, and the
// partitions librdkafka's producer (otaflow's kafka::producer) actually chose.

#include "kafka/partitioner.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "kafka/mock_cluster.hpp"
#include "kafka/producer.hpp"

namespace otaflow::kafka {
namespace {

using namespace std::chrono_literals;

struct java_vector {
  std::string key;
  std::int32_t murmur2;  // org.apache.kafka.common.utils.Utils.murmur2(key.getBytes())
};

// apache/kafka clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java, testMurmur2,
// and librdkafka's src/rdmurmur2.c unittest_murmur2 ("java_murmur2_results").
const std::vector<java_vector> java_vectors = {
    {"21", -973932308},
    {"foobar", -790332482},
    {"a-little-bit-long-string", -985981536},
    {"a-little-bit-longer-string", -1486304829},
    {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
    {"abc", 479470107},
    {"kafka", static_cast<std::int32_t>(0xd067cf64u)},
    {"giberish123456789", static_cast<std::int32_t>(0x8f552b0cu)},
    {"1234", static_cast<std::int32_t>(0x9fc97b14u)},
    {"234", static_cast<std::int32_t>(0xe7c009cau)},
    {"PreAmbleWillBeRemoved,ThePrePartThatIs", static_cast<std::int32_t>(0x78424f1cu)},
    {"", static_cast<std::int32_t>(0x106e08d9u)},
};

// Java's DefaultPartitioner / BuiltInPartitioner: Utils.toPositive(murmur2) % numPartitions.
std::int32_t java_partition(std::int32_t murmur2, std::int32_t n) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(murmur2) & 0x7fffffffu) % n;
}

TEST(Partitioner, MatchesJavaMurmur2Vectors) {
  // INT32_MAX partitions keep all 31 bits of the positive hash (the only value that would wrap
  // is INT32_MAX itself), so this compares the hash, not only a residue.
  for (const std::int32_t n :
       {std::numeric_limits<std::int32_t>::max(), 1, 2, 3, 7, 12, 64, 100, 1000}) {
    for (const auto& v : java_vectors) {
      EXPECT_EQ(partition_for_key(v.key, n), java_partition(v.murmur2, n))
          << "key \"" << v.key << "\", " << n << " partitions";
    }
  }
  // Spelled out for one vector: "21" hashes to -973932308 = 0xc5f2f8ec; positive 0x45f2f8ec.
  EXPECT_EQ(partition_for_key("21", std::numeric_limits<std::int32_t>::max()), 0x45f2f8ec);
  EXPECT_EQ(partition_for_key("21", 12), 0x45f2f8ec % 12);
}

TEST(Partitioner, RejectsPartitionCountsBelowOne) {
  EXPECT_EQ(partition_for_key("21", 0), -1);
  EXPECT_EQ(partition_for_key("21", -4), -1);
}

TEST(Partitioner, AgreesWithTheProducersChoice) {
  auto cluster = mock_cluster::create(1);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  constexpr std::int32_t partitions = 7;
  ASSERT_TRUE((*cluster)->create_topic("t.partitioner", partitions).ok());
  kafka_options opts;
  opts.brokers = (*cluster)->bootstraps();
  std::mutex mu;
  std::map<std::string, std::int32_t> chosen;
  auto p = producer::create(opts, [&](const delivery_report& r) {
    std::lock_guard lock(mu);
    if (!r.err) chosen[std::string(r.key)] = r.partition;
  });
  ASSERT_TRUE(p.ok()) << p.error().message;
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) keys.push_back("89882110000000" + std::to_string(10000 + i));
  for (const auto& v : java_vectors) {
    if (!v.key.empty()) keys.push_back(v.key);  // an empty key is produced as a null key
  }
  for (const auto& k : keys) ASSERT_TRUE((*p)->produce("t.partitioner", k, "x").ok());
  ASSERT_TRUE((*p)->flush(10s).ok());
  std::lock_guard lock(mu);
  ASSERT_EQ(chosen.size(), keys.size());
  std::map<std::int32_t, int> per_partition;
  for (const auto& k : keys) {
    EXPECT_EQ(chosen[k], partition_for_key(k, partitions)) << k;
    ++per_partition[chosen[k]];
  }
  EXPECT_EQ(per_partition.size(), static_cast<std::size_t>(partitions));
}

}  // namespace
}  // namespace otaflow::kafka
