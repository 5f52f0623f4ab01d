#include "kafka/errc.hpp"

#include <librdkafka/rdkafka.h>

namespace otaflow::kafka {
namespace {

class rdkafka_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "rdkafka"; }
  std::string message(int code) const override {
    const auto err = static_cast<rd_kafka_resp_err_t>(code);
    return std::string(rd_kafka_err2name(err)) + ": " + rd_kafka_err2str(err);
  }
};

class txn_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "kafka.txn"; }
  std::string message(int code) const override {
    switch (static_cast<txn_errc>(code)) {
      case txn_errc::retriable:
        return "retriable: call again";
      case txn_errc::abortable:
        return "abortable: abort the transaction, then redo its work";
      case txn_errc::fenced:
        return "fenced: another instance owns the transactional id or the group generation";
      case txn_errc::fatal:
        return "fatal: the transactional producer must be recreated";
    }
    return "unknown";
  }
};

}  // namespace

const std::error_category& txn_category() noexcept {
  static const txn_category_impl cat;
  return cat;
}

std::optional<txn_errc> txn_action(const error& e) noexcept {
  if (e.code.category() != txn_category()) return std::nullopt;
  return static_cast<txn_errc>(e.code.value());
}

const std::error_category& rdkafka_category() noexcept {
  static const rdkafka_category_impl cat;
  return cat;
}

bool rdkafka_retriable(int code) noexcept {
  switch (static_cast<rd_kafka_resp_err_t>(code)) {
    // Local, transient: the client could not reach a broker or had no room yet.
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR__IN_PROGRESS:
    case RD_KAFKA_RESP_ERR__PREV_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR__RETRY:
    case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR__ISR_INSUFF:
    case RD_KAFKA_RESP_ERR__NODE_UPDATE:
    // Broker-side errors Kafka declares retriable.
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_REPLICA_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR:
    case RD_KAFKA_RESP_ERR_FETCH_SESSION_ID_NOT_FOUND:
    case RD_KAFKA_RESP_ERR_INVALID_FETCH_SESSION_EPOCH:
    case RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_PREFERRED_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED:
    case RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS:
    // Committed offsets held by another producer's open transaction (KIP-447).
    case RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT:
      return true;
    default:
      return false;
  }
}

error rdkafka_error(int code, const std::string& what) {
  const auto err = static_cast<rd_kafka_resp_err_t>(code);
  return error{std::error_code(code, rdkafka_category()),
               what + ": " + rd_kafka_err2str(err) + " (" + rd_kafka_err2name(err) + ")",
               rdkafka_retriable(code) ? error_class::retriable : error_class::permanent};
}

}  // namespace otaflow::kafka
