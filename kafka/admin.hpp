#pragma once
// Topic administration through the Kafka Admin API (CreateTopics), e.g. to make sure the
// topics otaflow uses exist with enough partitions before a campaign starts.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "kafka/config.hpp"

namespace otaflow::kafka {

/// A topic to create.
struct topic_spec {
  std::string name;
  int partitions = 1;
  int replication_factor = 1;
  /// Topic configuration set at creation, e.g. {"cleanup.policy", "compact"}. Default none.
  std::map<std::string, std::string> configs = {};
};

/// What the cluster's metadata says of an existing topic.
struct topic_description {
  std::string name;
  int partitions = 0;
  int replication_factor = 0;  ///< replicas of partition 0
};

/// Connects and asks a broker for metadata: ok once one answered. A refusal is a permanent
/// error, "Kafka authentication failed: ..." (SASL) or "Kafka TLS handshake failed: ..."
/// (e.g. the CA did not sign the broker's certificate); no answer within `timeout` a retriable
/// one. serve calls it before it starts, so wrong credentials fail the start at once.
[[nodiscard]] status check_access(const kafka_options& opts, std::chrono::milliseconds timeout);

/// Creates the topics that do not exist yet; an existing topic is left as it is.
[[nodiscard]] status ensure_topics(const kafka_options& opts, const std::vector<topic_spec>& topics,
                                   std::chrono::milliseconds timeout);

/// The topic's partition count and replication from the cluster metadata; nullopt when the
/// topic does not exist. Asks for every topic's metadata, so asking never auto-creates it.
[[nodiscard]] result<std::optional<topic_description>> describe_topic(
    const kafka_options& opts, std::string_view topic, std::chrono::milliseconds timeout);

}  // namespace otaflow::kafka
