#pragma once
// A transactional Kafka producer (exactly-once, KIP-98/KIP-447): ONE per otaflow instance with a
// transactional.id fixed per instance. Each transaction carries the records it wrote and the
// trigger consumer's offsets (send_offsets with the consumer's group metadata), so either all
// of them become visible to read_committed readers and the group, or none does; a zombie
// instance (older producer with the same id, or a consumer whose group generation is stale)
// is fenced when it tries to commit.
//
// Errors are txn_errc codes (kafka/errc.hpp) that tell the caller what to do: retriable (call
// again), abortable (abort(), redo the work), fenced or fatal (stop writing; destroy it).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "kafka/config.hpp"
#include "kafka/consumer.hpp"

namespace otaflow::kafka {

/// What a txn_producer wrote, for cost figures (bytes = key + value, no protocol overhead).
struct txn_counters {
  std::uint64_t records_produced = 0;  ///< records produce() queued, in any transaction
  std::uint64_t bytes_produced = 0;
  std::uint64_t records_committed = 0;  ///< records of transactions that committed
  std::uint64_t bytes_committed = 0;
  std::uint64_t transactions_committed = 0;
  std::uint64_t transactions_aborted = 0;
};

/// A transactional producer. Thread-compatible: one caller thread at a time, no own thread.
class txn_producer {
 public:
  /// A producer with `transactional_id` (non-empty, fixed per instance); the broker aborts a
  /// transaction left open longer than `txn_timeout` (transaction.timeout.ms, 1 s..15 min on a
  /// default broker). Call init() next.
  [[nodiscard]] static result<std::unique_ptr<txn_producer>> create(
      const kafka_options& opts, std::string transactional_id,
      std::chrono::milliseconds txn_timeout);
  /// Aborts an open transaction (best effort, a few seconds at most), then closes.
  ~txn_producer();
  txn_producer(const txn_producer&) = delete;
  txn_producer& operator=(const txn_producer&) = delete;

  /// init_transactions: registers the id, fences older producers with the same id and aborts
  /// the transaction they left open. Once per producer; retriable errors: call it again.
  [[nodiscard]] status init(std::chrono::milliseconds timeout);
  /// Starts a transaction (local: the broker hears of it with the first record or offsets).
  [[nodiscard]] status begin();
  /// Queues one record in the open transaction; `partition` -1 picks it by the key's murmur2
  /// hash (partition_for_key); `value` nullopt writes a tombstone (null value). Copies both.
  [[nodiscard]] status produce(std::string_view topic, std::int32_t partition, std::string_view key,
                               std::optional<std::string_view> value);
  /// Adds the consumer's offsets (each the next offset to read) to the transaction, with the
  /// group membership `group` taken when those records were polled (consumer::membership).
  [[nodiscard]] status send_offsets(const group_metadata& group,
                                    const std::vector<topic_partition>& offsets,
                                    std::chrono::milliseconds timeout);
  /// The same with the consumer's membership as of now.
  [[nodiscard]] status send_offsets(const consumer& c, const std::vector<topic_partition>& offsets,
                                    std::chrono::milliseconds timeout);
  /// Waits until the records queued so far reached the broker (still invisible to
  /// read_committed readers until commit); commit() flushes by itself.
  [[nodiscard]] status flush(std::chrono::milliseconds timeout);
  /// Flushes the records and commits the transaction. Retriable (e.g. timed out): call commit
  /// again; abortable: abort() and redo.
  [[nodiscard]] status commit(std::chrono::milliseconds timeout);
  /// Aborts the transaction (its records stay in the log, skipped by read_committed readers).
  /// Sends queued records first: see librdkafka #4849 in docs/library-notes.md.
  [[nodiscard]] status abort(std::chrono::milliseconds timeout);

  /// True between a successful begin() and a successful commit() or abort().
  [[nodiscard]] bool in_transaction() const noexcept;
  /// False once another producer took the transactional id or a fatal error was returned: the
  /// producer can only be destroyed. A fenced error for a stale group generation leaves it
  /// usable (abort(), then carry on with the partitions the consumer still has).
  [[nodiscard]] bool usable() const noexcept;
  /// Records and bytes written so far.
  [[nodiscard]] const txn_counters& counters() const noexcept;
  [[nodiscard]] const std::string& transactional_id() const noexcept;

  struct impl;

 private:
  explicit txn_producer(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace otaflow::kafka
