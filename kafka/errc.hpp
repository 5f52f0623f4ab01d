#pragma once
// librdkafka error codes (rd_kafka_resp_err_t) as std::error_code, classed retriable or
// permanent the way Kafka's protocol classes them (RetriableException subclasses) plus
// librdkafka's local transient errors (queue full, timeouts, transport).

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

}  // namespace otaflow::kafka
