#pragma once
// Topic administration through the Kafka Admin API (CreateTopics), e.g. to make sure the
// topics otaflow uses exist with enough partitions before a campaign starts.

#include <chrono>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "kafka/config.hpp"

namespace otaflow::kafka {

/// A topic to create.
struct topic_spec {
  std::string name;
  int partitions = 1;
  int replication_factor = 1;
};

/// Creates the topics that do not exist yet; an existing topic is left as it is.
[[nodiscard]] status ensure_topics(const kafka_options& opts, const std::vector<topic_spec>& topics,
                                   std::chrono::milliseconds timeout);

}  // namespace otaflow::kafka
