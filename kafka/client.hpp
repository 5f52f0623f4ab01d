#pragma once
// Internal to kafka/: what the producer, consumer, admin and mock clients share (configuration
// building, handle ownership, broker reachability tracking). Not part of the public API.

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>
#include <spdlog/logger.h>

#include "base/error.hpp"
#include "kafka/config.hpp"

namespace otaflow::kafka {

/// Owns librdkafka's group metadata (declared opaque in consumer.hpp).
struct group_metadata {
  rd_kafka_consumer_group_metadata_t* handle = nullptr;
};

}  // namespace otaflow::kafka

namespace otaflow::kafka::detail {

struct conf_deleter {
  void operator()(rd_kafka_conf_t* c) const noexcept { rd_kafka_conf_destroy(c); }
};
using conf_ptr = std::unique_ptr<rd_kafka_conf_t, conf_deleter>;

struct handle_deleter {
  void operator()(rd_kafka_t* rk) const noexcept { rd_kafka_destroy(rk); }
};
using handle_ptr = std::unique_ptr<rd_kafka_t, handle_deleter>;

struct tpl_deleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const noexcept {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using tpl_ptr = std::unique_ptr<rd_kafka_topic_partition_list_t, tpl_deleter>;

using property_list = std::vector<std::pair<std::string, std::string>>;

enum class role { producer, consumer, admin };

/// The "kafka" logger, shared by every client and librdkafka's own log lines.
const std::shared_ptr<spdlog::logger>& logger();

/// Tracks whether the brokers answer and logs each transition once (down, then back up).
/// It is the opaque of every librdkafka handle otaflow creates, so callbacks find it.
class client_base {
 public:
  client_base(std::string name, std::string brokers);
  client_base(const client_base&) = delete;
  client_base& operator=(const client_base&) = delete;
  virtual ~client_base() = default;

  /// False between an "all brokers down" report and the first sign of life after it.
  [[nodiscard]] bool reachable() const noexcept { return !down_.load(); }
  /// A fatal error (idempotence broken, fenced): the client can only be recreated.
  [[nodiscard]] bool fatal() const noexcept { return fatal_.load(); }

  /// librdkafka's error callback: logs unreachable brokers and fatal errors.
  void on_error(rd_kafka_t* rk, int err, const char* reason);
  /// librdkafka's statistics callback: notices brokers coming back while marked down.
  void on_stats(const char* json, std::size_t len);
  /// A delivery or a fetched message proves a broker answers again.
  void on_activity();

  const std::string& name() const noexcept { return name_; }

  /// The last authentication or TLS refusal the brokers gave this client ("Kafka
  /// authentication failed: ...", "Kafka TLS handshake failed: ..."); nullopt when none.
  /// Only the error callback sets it: call rd_kafka_poll before asking.
  [[nodiscard]] std::optional<error> refusal() const;

 private:
  void mark_up(const char* how);

  std::string name_;
  std::string brokers_;
  std::atomic<bool> down_{false};
  std::atomic<bool> fatal_{false};
  mutable std::mutex mu_;
  std::chrono::steady_clock::time_point down_since_{};
  std::chrono::steady_clock::time_point last_transport_log_{};
  unsigned suppressed_transport_ = 0;
  std::optional<error> refusal_;
};

/// A librdkafka configuration: otaflow's `defaults`, then opts.client_properties, then the
/// role's own properties, then `forced` (a user value that contradicts one is an error).
/// Installs the error, statistics and log callbacks with `owner` as opaque.
[[nodiscard]] result<conf_ptr> make_conf(const kafka_options& opts, role r,
                                         const property_list& defaults, const property_list& forced,
                                         client_base* owner);

/// Sends librdkafka's own log lines of `conf`'s handle to the "kafka" logger.
void route_logs(rd_kafka_conf_t* conf);

/// The error for a refusal reported to the error callback: "Kafka authentication failed: ..."
/// (__AUTHENTICATION) or "Kafka TLS handshake failed: ..." (__SSL), permanent, with a hint when
/// SCRAM meets a librdkafka older than 2.6.1 (which Kafka 4.x brokers refuse).
[[nodiscard]] error refusal_error(int rd_kafka_resp_err, const std::string& reason);

/// A new handle from `conf` (consumed even on failure).
[[nodiscard]] result<handle_ptr> make_handle(rd_kafka_type_t type, conf_ptr conf);

}  // namespace otaflow::kafka::detail
