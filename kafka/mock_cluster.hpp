#pragma once
// An in-process Kafka cluster (librdkafka's mock cluster, rdkafka_mock.h) for unit tests and
// `otaflow demo`: real Kafka protocol over loopback TCP, no JVM. It keeps only about 5 MB per
// partition, so spread large runs over several partitions.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace otaflow::kafka {

/// Kafka protocol requests whose errors a test can inject (Kafka's API keys).
enum class mock_request : std::int16_t {
  produce = 0,
  init_producer_id = 22,
  add_partitions_to_txn = 24,
  add_offsets_to_txn = 25,
  end_txn = 26,
  txn_offset_commit = 28,
};

/// A running mock cluster; destroyed (and its data lost) with the object.
class mock_cluster {
 public:
  /// Starts `brokers` (>= 1) mock brokers on ephemeral loopback ports.
  [[nodiscard]] static result<std::unique_ptr<mock_cluster>> create(int brokers = 1);
  ~mock_cluster();
  mock_cluster(const mock_cluster&) = delete;
  mock_cluster& operator=(const mock_cluster&) = delete;

  /// The bootstrap servers to put in kafka_options::brokers.
  [[nodiscard]] const std::string& bootstraps() const noexcept { return bootstraps_; }
  /// Creates `topic` with `partitions` partitions (auto-created topics get the mock's default).
  [[nodiscard]] status create_topic(std::string_view topic, int partitions,
                                    int replication_factor = 1);
  /// Takes broker `id` (1-based) down: its connections close and it refuses new ones.
  [[nodiscard]] status set_broker_down(std::int32_t id);
  /// Brings broker `id` back up.
  [[nodiscard]] status set_broker_up(std::int32_t id);
  /// The next requests of kind `r` (to any broker) fail with these librdkafka error codes
  /// (rd_kafka_resp_err_t), one per request, in order.
  void push_request_errors(mock_request r, const std::vector<int>& rd_kafka_resp_errs);

  struct impl;

 private:
  explicit mock_cluster(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
  std::string bootstraps_;
};

}  // namespace otaflow::kafka
