#pragma once
// Serve's partition-owned mode (docs/SCALING.md): every write to the rows of a card goes to
// Kafka first. The committer is the state directory's commit hook (storage::db::commit): it
// turns the partitioned rows of each batch into changelog records (storage/changelog.hpp) on
// the card's partition of the state topic, adds the status events the journal attached to the
// batch and the trigger consumer's offsets, commits them in ONE Kafka transaction, and only
// then applies the batch to RocksDB and returns. So a counter is reserved in the replicated
// changelog before its packet leaves, a status is visible to read_committed consumers exactly
// when the state it reports is, and a trigger's offset is committed with (or after) the state
// it caused.
//
// Concurrent commits (the crypto stage, the journal, the trigger loop) wait together: the
// committer's thread takes every batch waiting and commits them in one transaction (group
// commit), so a transaction's cost is shared by the cards of many batches.
//
// Fencing (KIP-447): every transaction carries the offsets of every partition this instance
// owns, with the consumer's group metadata. Once a rebalance has given a partition to another
// member, the group coordinator refuses this member's offsets and the whole transaction
// aborts: a zombie can commit neither a counter nor a status. A write to a partition this
// instance does not own (anymore) is refused before it is sent.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/error.hpp"
#include "kafka/consumer.hpp"
#include "model/status_event.hpp"
#include "storage/changelog.hpp"
#include "storage/db.hpp"

namespace otaflow::service {

/// The transactional side of Kafka as the committer uses it (an adapter over
/// kafka::txn_producer and the trigger consumer; tests plug in a fake). Called from the
/// committer's thread only.
class txn_port {
 public:
  virtual ~txn_port() = default;
  [[nodiscard]] virtual status begin() = 0;
  /// One record on an explicit partition; a value of nullopt is a tombstone.
  [[nodiscard]] virtual status produce(std::string_view topic, std::int32_t partition,
                                       std::string_view key,
                                       std::optional<std::string_view> value) = 0;
  /// The consumer's offsets, with its group metadata (fencing).
  [[nodiscard]] virtual status send_offsets(const std::vector<kafka::topic_partition>& offsets) = 0;
  [[nodiscard]] virtual status commit() = 0;
  [[nodiscard]] virtual status abort() = 0;
  /// True when `e` means the producer may never write again: its transactional id was taken
  /// over (a newer epoch), or it failed fatally.
  [[nodiscard]] virtual bool fatal(const error& e) const = 0;
  /// After fatal(): a new producer takes the transactional id over (fencing the old one and
  /// aborting its open transaction). The broker bumps the epoch itself when it aborts a
  /// transaction that outlived its timeout (a coordinator or leader lost for that long), and
  /// the old producer then sees the same "fenced" answer as a zombie would: on the wire the
  /// two cannot be told apart, so the committer recovers a bounded number of times.
  [[nodiscard]] virtual status recover() = 0;
};

struct committer_config {
  std::string state_topic = "ota.state";
  std::string status_topic = "ota.status";
  std::int32_t partitions = 1;         ///< of the triggers and state topics (co-partitioned)
  std::int32_t status_partitions = 1;  ///< of the status topic
  /// The partition of a key among n (Java's murmur2: kafka/partitioner.hpp).
  std::function<std::int32_t(std::string_view key, std::int32_t n)> partition_for;
  /// Offsets alone (no rows waiting) are committed at most this often.
  std::chrono::milliseconds offsets_interval{500};
  std::size_t attempts = 5;  ///< transactions tried for one group of batches (>= 1)
  /// Producers replaced after a fatal error (txn_port::recover) within `recovery_window`;
  /// one more fatal error stops this instance. Two instances configured with the same
  /// instance id fence each other in turn: the budget ends that with one of them stopped.
  std::size_t recoveries = 3;
  std::chrono::milliseconds recovery_window = std::chrono::minutes(10);
};

/// Counters of the committer (thread-safe snapshot).
struct committer_stats {
  std::uint64_t transactions = 0;  ///< committed
  std::uint64_t aborted = 0;       ///< aborted (and retried or failed)
  std::uint64_t batches = 0;       ///< storage batches committed
  std::uint64_t rows = 0;          ///< row writes of the committed batches
  /// changelog records produced in committed transactions: the rows less those written again
  /// later in the same transaction (only a row's last write travels)
  std::uint64_t records = 0;
  std::uint64_t statuses = 0;    ///< status events produced in committed transactions
  std::uint64_t bytes = 0;       ///< key + value octets of the changelog records produced
  std::uint64_t recoveries = 0;  ///< producers replaced after a fatal error
  bool fenced = false;           ///< a fatal error beyond recovery: this instance must stop
  std::uint64_t produce_us = 0;  ///< time spent queueing records (committed transactions)
  std::uint64_t offsets_us = 0;  ///< time spent sending the consumer's offsets
  std::uint64_t commit_us = 0;   ///< time spent committing (flush + end of transaction)
};

/// A record of another topic that goes in a transaction (e.g. a selection trigger's copies).
struct extra_record {
  std::string topic;
  std::int32_t partition = 0;
  std::string key;
  std::string value;
};

class changelog_committer {
 public:
  changelog_committer(storage::db& db, txn_port& port, committer_config config);
  ~changelog_committer();
  changelog_committer(const changelog_committer&) = delete;
  changelog_committer& operator=(const changelog_committer&) = delete;

  /// The commit hook: mirrors, commits, applies (see the file comment). Blocks the caller.
  [[nodiscard]] status commit(rocksdb::WriteBatch& batch, bool sync);
  /// Status events that go in the same transaction as the next commit() of this thread.
  static void attach_statuses(std::vector<model::status_event> events);
  /// Commits `records` in one transaction (with the offsets known) and waits for it.
  [[nodiscard]] status publish(std::vector<extra_record> records);

  /// Partitions this instance owns now; writes to others are refused.
  void own(std::int32_t partition);
  void disown(std::int32_t partition);
  [[nodiscard]] bool owns(std::int32_t partition) const;
  /// The consumer offsets to carry (the next offset to read), merged into those known.
  void set_offsets(const std::vector<kafka::topic_partition>& offsets);
  /// Forgets the offsets of a partition of any input topic (it was revoked).
  void forget_offsets(std::int32_t partition);
  /// Commits a transaction now with the offsets known, even without rows; waits for it.
  [[nodiscard]] status flush();
  [[nodiscard]] committer_stats stats() const;

 private:
  struct request {
    std::vector<storage::changelog::row_op> ops;
    std::vector<model::status_event> statuses;
    std::vector<extra_record> records;
    rocksdb::WriteBatch* batch = nullptr;
    std::optional<status> result;
  };
  void loop();
  void run_group(std::vector<request*>& group);
  status transact(const std::vector<request*>& group,
                  const std::vector<kafka::topic_partition>& offsets, committer_stats& times);
  std::optional<std::int32_t> unowned(const request& r) const;  // under mu_
  status enqueue(request& r);
  /// After a fatal error: a new producer, if the budget allows (committer thread, not under mu_).
  bool try_recover(const error& cause);

  storage::db& db_;
  txn_port& port_;
  committer_config cfg_;
  mutable std::mutex mu_;
  std::condition_variable wake_;  // the committer's thread: work to do
  std::condition_variable done_;  // callers: a group ended
  std::deque<request*> waiting_;
  std::set<std::int32_t> owned_;
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> offsets_;
  bool offsets_dirty_ = false;
  std::uint64_t flush_asked_ = 0, flush_done_ = 0;
  std::optional<error> flush_error_;
  bool stop_ = false;
  committer_stats stats_;
  std::chrono::steady_clock::time_point last_offsets_{};
  std::deque<std::chrono::steady_clock::time_point> recovered_at_;  // committer thread only
  std::thread thread_;
};

}  // namespace otaflow::service
