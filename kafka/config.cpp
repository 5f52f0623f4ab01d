#include "kafka/config.hpp"

#include <utility>

namespace otaflow::kafka {

bool valid_topic_name(std::string_view name) noexcept {
  // Kafka's Topic.validate: at most 249 characters of [a-zA-Z0-9._-], not "." or "..".
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

status validate(const kafka_options& opts) {
  if (opts.brokers.empty()) {
    return make_error(errc::bad_argument, "kafka.brokers is empty: give host:port[,host:port]");
  }
  if (opts.group_id.empty()) return make_error(errc::bad_argument, "kafka.group_id is empty");
  const std::pair<const char*, const std::string*> topics[] = {
      {"triggers_topic", &opts.triggers_topic},
      {"status_topic", &opts.status_topic},
      {"dlq_topic", &opts.dlq_topic},
      {"alerts_topic", &opts.alerts_topic},
      {"state_topic", &opts.state_topic},
      {"subscribers_topic", &opts.subscribers_topic},
      {"mo_topic", &opts.mo_topic},
  };
  for (const auto& [field, value] : topics) {
    if (!valid_topic_name(*value)) {
      return make_error(errc::bad_argument, std::string("kafka.") + field + " \"" + *value +
                                                "\" is not a legal topic name "
                                                "(1..249 of [A-Za-z0-9._-])");
    }
  }
  return {};
}

}  // namespace otaflow::kafka
