#pragma once
// Status events to Kafka: one JSON record per state change, keyed by ICCID, on the
// status topic (docs/kafka-events.md). Produce errors of a full queue are retried
// (the journal has already made the state durable, so blocking here is back-pressure).
// It lives in service/, not kafka/, because it turns the engine's events (actors/) into
// Kafka records and kafka/ does not depend on actors/; the demo uses it from here.

#include <atomic>
#include <memory>
#include <string>

#include "actors/alert_monitor.hpp"
#include "actors/engine_ports.hpp"
#include "kafka/events.hpp"
#include "kafka/producer.hpp"

namespace otaflow::service {

class kafka_status_sink final : public actors::status_sink {
 public:
  kafka_status_sink(kafka::producer& producer, std::string topic)
      : producer_(producer), topic_(std::move(topic)) {}
  void emit(std::span<const actors::status_event> events) override;
  [[nodiscard]] std::uint64_t produced() const noexcept { return produced_.load(); }

 private:
  kafka::producer& producer_;
  std::string topic_;
  std::atomic<std::uint64_t> produced_{0};
};

/// The Kafka form of an engine alert.
[[nodiscard]] kafka::alert_event to_kafka(const actors::alert& a);

}  // namespace otaflow::service
