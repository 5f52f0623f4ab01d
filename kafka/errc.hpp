#pragma once
// librdkafka error codes (rd_kafka_resp_err_t) as std::error_code, classed retriable or
// permanent the way Kafka's protocol classes them (RetriableException subclasses) plus
// librdkafka's local transient errors (queue full, timeouts, transport).

#include <optional>
#include <string>
#include <system_error>

#include "base/error.hpp"

namespace otaflow::kafka {

/// The category of error codes whose values are librdkafka's rd_kafka_resp_err_t.
const std::error_category& rdkafka_category() noexcept;

/// True when retrying the operation later may succeed (broker down, leader moving, queue full).
[[nodiscard]] bool rdkafka_retriable(int rd_kafka_resp_err) noexcept;

/// An otaflow::error for a librdkafka code: "<what>: <librdkafka text> (<code name>)".
[[nodiscard]] error rdkafka_error(int rd_kafka_resp_err, const std::string& what);

/// What the caller of a transactional producer must do after an error (kafka/txn_producer.hpp).
enum class txn_errc {
  retriable = 1,  ///< call the same function again (a timeout, a coordinator moving)
  abortable,      ///< abort(), then the transaction's work may be redone in a new one
  fenced,         ///< stop writing: another instance owns the transactional.id, or the
                  ///< consumer group generation moved on (the partitions are someone else's)
  fatal,          ///< the producer is unusable (broken protocol state): recreate it
};

/// The category of txn_errc ("kafka.txn").
const std::error_category& txn_category() noexcept;

inline std::error_code make_error_code(txn_errc e) noexcept {
  return {static_cast<int>(e), txn_category()};
}

/// The txn_errc of an error a txn_producer returned; nullopt for other errors (bad arguments,
/// calls in the wrong state: bugs of the caller, errc::bad_argument / errc::conflict).
[[nodiscard]] std::optional<txn_errc> txn_action(const error& e) noexcept;

}  // namespace otaflow::kafka

template <>
struct std::is_error_code_enum<otaflow::kafka::txn_errc> : std::true_type {};
