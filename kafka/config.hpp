#pragma once
// Options shared by every Kafka client of otaflow (producer, consumer, admin).

#include <map>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace otaflow::kafka {

/// Where the Kafka cluster is and which topics otaflow uses.
struct kafka_options {
  /// Bootstrap servers, "host:port[,host:port...]". Required (no default).
  std::string brokers;
  /// Consumer group of the trigger consumer. Default "otaflow".
  std::string group_id = "otaflow";
  /// Campaign definitions, triggers and pause/resume/cancel commands (consumed).
  std::string triggers_topic = "ota.triggers";
  /// One status event per subscriber state change (produced).
  std::string status_topic = "ota.status";
  /// Trigger-topic records that could not be parsed or processed (produced).
  std::string dlq_topic = "ota.dlq";
  /// Campaign alerts: thresholds crossed, automatic pauses (produced).
  std::string alerts_topic = "ota.alerts";
  /// Partition-owned mode ([serve] partitioned): the compacted changelog of the cards' state,
  /// partitioned like the triggers topic (produced in transactions, read on restore).
  std::string state_topic = "ota.state";
  /// Partition-owned mode: cards published by `otaflow subscribers import --brokers`, keyed by
  /// ICCID, partitioned like the triggers topic (consumed).
  std::string subscribers_topic = "ota.subscribers";
  /// Partition-owned mode: PoRs and delivery receipts an instance received for a card another
  /// instance owns, keyed by ICCID, partitioned like the triggers topic (produced and consumed).
  std::string mo_topic = "ota.mo";
  /// librdkafka properties passed through to every client: security.protocol, sasl.*,
  /// ssl.*, client.id, ... (see librdkafka's CONFIGURATION.md). They override otaflow's
  /// defaults but not the settings manual commits and idempotence depend on.
  std::map<std::string, std::string> client_properties;
  /// Properties for producers only, applied after client_properties (e.g. linger.ms).
  std::map<std::string, std::string> producer_properties;
  /// Properties for consumers only, applied after client_properties (e.g. session.timeout.ms).
  std::map<std::string, std::string> consumer_properties;
};

/// Checks what librdkafka cannot: brokers and topic names are set and are legal Kafka names.
[[nodiscard]] status validate(const kafka_options& opts);

/// True when `name` is a legal Kafka topic name (1..249 of [A-Za-z0-9._-], not "." or "..").
[[nodiscard]] bool valid_topic_name(std::string_view name) noexcept;

}  // namespace otaflow::kafka
