#pragma once
// Idempotent Kafka producer (enable.idempotence=true, acks=all): asynchronous produce with
// a delivery-report callback, served by an internal poll thread or by explicit poll() calls.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "base/error.hpp"
#include "kafka/config.hpp"

namespace otaflow::kafka {

/// Whether a record reached the broker's log (librdkafka's rd_kafka_msg_status_t).
enum class persistence { not_persisted, possibly_persisted, persisted };

/// The outcome of one produce() call. The views are valid only during the callback.
struct delivery_report {
  std::uint64_t id = 0;  ///< the id the caller passed to produce()
  std::string_view topic;
  std::string_view key;
  std::string_view payload;
  std::int32_t partition = -1;
  std::int64_t offset = -1;  ///< -1 when not delivered
  std::optional<error> err;  ///< set when the record was not delivered
  persistence status = persistence::not_persisted;
};

/// Called once per produced record. Calls are serialised (never two at once).
using delivery_callback = std::function<void(const delivery_report&)>;

/// How the producer serves its delivery reports.
struct producer_settings {
  /// true: a background thread polls and runs the callback; false: call poll() yourself.
  bool poll_thread = true;
  /// How long the destructor waits for outstanding records before dropping them.
  std::chrono::milliseconds close_timeout{10000};
};

/// An idempotent producer. Thread-safe: produce() may be called from any thread.
class producer {
 public:
  /// A producer for opts.brokers; `on_delivery` may be empty (reports are then dropped).
  [[nodiscard]] static result<std::unique_ptr<producer>> create(const kafka_options& opts,
                                                                delivery_callback on_delivery,
                                                                producer_settings settings = {});
  ~producer();
  producer(const producer&) = delete;
  producer& operator=(const producer&) = delete;

  /// Queues one record (key and payload are copied); partition chosen by the murmur2 hash of
  /// the key like the Java client, so the same key always lands on the same partition; an
  /// empty key is sent as a null key (random partition).
  /// Errors: queue full (retriable), record too large, unknown topic, fatal producer error.
  [[nodiscard]] status produce(std::string_view topic, std::string_view key,
                               std::string_view payload, std::uint64_t id = 0);
  /// Waits until every queued record has its delivery report, at most `timeout`.
  [[nodiscard]] status flush(std::chrono::milliseconds timeout);
  /// Serves queued delivery reports (needed only with poll_thread = false); returns how many.
  int poll(std::chrono::milliseconds timeout);
  /// Records queued or in flight whose delivery report has not yet run.
  [[nodiscard]] std::size_t outstanding() const;
  /// False while librdkafka reports all brokers down.
  [[nodiscard]] bool brokers_reachable() const noexcept;

  struct impl;

 private:
  explicit producer(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace otaflow::kafka
