#pragma once
// Which trigger offsets may be acknowledged (committed): a record counts only when it and
// every record before it in its partition are done, i.e. their effects are durable. A later
// record done early waits for the ones before it; a restart or a rebalance then redelivers
// at most the records after the committed position, which admission handles idempotently.
// Plain bookkeeping, no Kafka types: the serve loop maps its records onto it.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace otaflow::actors {

/// A partition's next position to read (last done offset + 1).
struct offset_position {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;

  friend bool operator==(const offset_position&, const offset_position&) = default;
};

/// Offsets received and done per partition; yields the contiguous prefix to commit.
class commit_tracker {
 public:
  /// A record was received; offsets of one partition must arrive in increasing order.
  void received(const std::string& topic, std::int32_t partition, std::int64_t offset);
  /// A received record's effects are durable. Unknown offsets are ignored.
  void done(const std::string& topic, std::int32_t partition, std::int64_t offset);
  /// Positions that advanced since the last call (one per partition), in partition order.
  [[nodiscard]] std::vector<offset_position> take_commits();
  /// The position of every partition that has one (for a last commit before revocation).
  [[nodiscard]] std::vector<offset_position> positions() const;
  /// Forgets a partition (revoked or lost): its records will come again from the commit.
  void forget(const std::string& topic, std::int32_t partition);
  /// Records received and not yet covered by a position.
  [[nodiscard]] std::size_t outstanding() const noexcept;

 private:
  struct partition_state {
    std::map<std::int64_t, bool> records;  // offset -> done, from the first not committed
    std::int64_t position = -1;            // next offset to read; -1: none yet
    bool advanced = false;
  };
  using key = std::pair<std::string, std::int32_t>;
  std::map<key, partition_state> partitions_;
  std::size_t outstanding_ = 0;
};

}  // namespace otaflow::actors
