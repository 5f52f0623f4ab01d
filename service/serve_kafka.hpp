#pragma once
// The Kafka side of `otaflow serve` that produces: status events (keyed by ICCID, through
// the status outbox, acknowledged when the broker has them) and dead-letter records. One
// idempotent producer; records wait in librdkafka's queue while the brokers are away
// (message.timeout.ms = 0 unless configured), so an outage delays statuses, never drops them.
// A record the brokers refuse (a delivery error) is produced again, at most `attempts`
// times in all (retry_failed, from the trigger loop's tick); then it is handed to the
// undeliverable handler (serve keeps it in the audit log and raises an alert) and counted
// as done: a status is acknowledged to the outbox, a DLQ record's token is reported, so
// neither pins the status watermark nor a partition's commits.

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "actors/service_outbox.hpp"
#include "kafka/config.hpp"
#include "kafka/events.hpp"
#include "kafka/producer.hpp"

namespace otaflow::service {

/// Thread-safe list of finished tokens (admissions made durable, DLQ records delivered),
/// filled by engine and producer threads, drained by the trigger loop.
class completion_queue {
 public:
  /// Adds a finished token.
  void push(std::uint64_t token) {
    std::lock_guard lock(mu_);
    tokens_.push_back(token);
  }
  /// Takes every token added so far.
  [[nodiscard]] std::vector<std::uint64_t> take() {
    std::lock_guard lock(mu_);
    return std::exchange(tokens_, {});
  }

 private:
  std::mutex mu_;
  std::vector<std::uint64_t> tokens_;
};

/// A record serve gave up producing.
struct undeliverable {
  std::string topic;
  std::string key;
  std::string payload;
  std::string reason;  ///< the last delivery error
  std::size_t attempts = 0;
};
using undeliverable_fn = std::function<void(const undeliverable&)>;

/// Status events and DLQ records to Kafka (see the file comment).
class serve_producer final : public actors::acked_sink {
 public:
  /// A producer for opts; DLQ deliveries are reported to `dlq_done` with their token;
  /// `attempts` (>= 1) bounds the produce attempts of one record.
  [[nodiscard]] static result<std::unique_ptr<serve_producer>> create(
      const kafka::kafka_options& opts, completion_queue& dlq_done, std::size_t attempts = 10);
  ~serve_producer() override;

  /// Where status acknowledgements go; set once, before the first send().
  void bind(actors::status_outbox* outbox) { outbox_ = outbox; }
  /// Produces one status event; waits while librdkafka's queue is full.
  void send(const actors::status_event& event, std::uint64_t seq) override;
  /// Produces a dead-letter record; `token` is reported once the broker has it (or serve
  /// gave up producing it), to `done` when given, else to the queue of create().
  [[nodiscard]] status send_dlq(const kafka::dlq_record& record, std::uint64_t token,
                                completion_queue* done = nullptr);
  /// Where records given up go (called from the thread of retry_failed); set once, before
  /// the first send().
  void on_undeliverable(undeliverable_fn f) { on_undeliverable_ = std::move(f); }
  /// Produces again the records the brokers refused whose back-off has passed, and gives
  /// up those out of attempts. Call periodically from one thread.
  void retry_failed();
  /// The topic of alert events.
  [[nodiscard]] const std::string& alerts_topic() const noexcept { return alerts_topic_; }
  /// Records given up so far.
  [[nodiscard]] std::uint64_t undelivered() const noexcept { return undelivered_.load(); }
  /// Records refused and waiting for another attempt.
  [[nodiscard]] std::size_t failed_waiting() const;
  /// Produces an alert event on the alerts topic, keyed by campaign.
  [[nodiscard]] status send_alert(const kafka::alert_event& alert);
  /// Waits for outstanding records, at most `timeout`.
  [[nodiscard]] status flush(std::chrono::milliseconds timeout);
  /// Records produced and not yet acknowledged by the broker.
  [[nodiscard]] std::size_t outstanding() const;
  /// False while librdkafka reports every broker down.
  [[nodiscard]] bool brokers_reachable() const noexcept;
  /// Status events the broker acknowledged.
  [[nodiscard]] std::uint64_t acknowledged() const noexcept { return acked_.load(); }

 private:
  serve_producer(std::string status_topic, std::string dlq_topic, completion_queue& dlq_done)
      : status_topic_(std::move(status_topic)),
        dlq_topic_(std::move(dlq_topic)),
        dlq_done_(dlq_done) {}
  void delivered(const kafka::delivery_report& r);
  status produce_waiting(const std::string& topic, std::string_view key, std::string_view payload,
                         std::uint64_t id);
  struct failed_record {
    std::string topic, key, payload, reason;
    std::uint64_t id = 0;
    std::size_t attempts = 0;  // made so far
    std::chrono::steady_clock::time_point due;
  };
  void failed(failed_record r);
  void give_up(const failed_record& r);
  void finished(std::uint64_t id);

  std::string status_topic_;
  std::string dlq_topic_;
  std::string alerts_topic_ = "ota.alerts";
  completion_queue& dlq_done_;
  actors::status_outbox* outbox_ = nullptr;
  std::unique_ptr<kafka::producer> producer_;
  std::atomic<std::uint64_t> acked_{0};
  std::atomic<std::int64_t> last_error_log_{0};
  std::size_t attempts_max_ = 10;
  undeliverable_fn on_undeliverable_;
  std::atomic<std::uint64_t> undelivered_{0};
  mutable std::mutex failed_mu_;
  std::deque<failed_record> failed_;                   // refused, waiting for their next attempt
  std::map<std::uint64_t, std::size_t> tries_;         // id -> attempts made, of records retried
  std::map<std::uint64_t, completion_queue*> dlq_to_;  // DLQ token -> where it is reported
};

}  // namespace otaflow::service
