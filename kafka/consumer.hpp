#pragma once
// Consumer-group subscriber with manual offset commits: nothing is committed unless the caller
// says so (enable.auto.commit=false, enable.auto.offset.store=false), so offsets advance only
// past records whose effects are durable. Uncommitted records are redelivered after a
// rebalance or restart: processing must be idempotent.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "kafka/config.hpp"

namespace otaflow::kafka {

/// A partition of a topic, with an offset where one is meaningful.
struct topic_partition {
  std::string topic;
  std::int32_t partition = 0;
  /// For commits: the next offset to read (last processed + 1). -1001 means "none".
  std::int64_t offset = -1001;

  friend bool operator==(const topic_partition&, const topic_partition&) = default;
};

/// One consumed record, or an error the consumer reported in its place.
struct message {
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::string key;      ///< empty for a null key
  std::string payload;  ///< the raw bytes
  std::int64_t timestamp_ms = -1;
  std::optional<error> err;  ///< set when this is an error, not a record

  /// What to commit once this record's effects are durable: {topic, partition, offset + 1}.
  [[nodiscard]] topic_partition commit_position() const { return {topic, partition, offset + 1}; }
};

enum class rebalance_event {
  assigned,  ///< these partitions are now ours; reading resumes at their committed offsets
  revoked,   ///< these partitions go away after the callback: commit what is durable now
  lost,      ///< taken away already (session expired): commits for them will fail
};

/// A snapshot of a consumer's group membership (group id, generation id, member id), which a
/// transaction sends with its offsets so the coordinator refuses them from a member whose
/// generation is stale (KIP-447). Opaque; see txn_producer::send_offsets.
struct group_metadata;
struct group_metadata_deleter {
  void operator()(group_metadata* m) const noexcept;
};
using group_metadata_ptr = std::unique_ptr<group_metadata, group_metadata_deleter>;

/// Told about assignment changes. Runs inside poll() (or close()), on the caller's thread.
using rebalance_callback =
    std::function<void(rebalance_event, const std::vector<topic_partition>&)>;

/// A consumer-group member subscribed to a list of topics. Use it from one thread.
class consumer {
 public:
  /// Joins opts.group_id and subscribes to `topics` (the join completes inside poll()).
  [[nodiscard]] static result<std::unique_ptr<consumer>> create(
      const kafka_options& opts, std::vector<std::string> topics,
      rebalance_callback on_rebalance = {});
  ~consumer();
  consumer(const consumer&) = delete;
  consumer& operator=(const consumer&) = delete;

  /// Up to `max_messages` records; waits at most `timeout` for the first, then takes only
  /// what is already fetched. Keep calling it while paused (max.poll.interval.ms, 5 min).
  [[nodiscard]] std::vector<message> poll(std::size_t max_messages,
                                          std::chrono::milliseconds timeout);
  /// Synchronously commits exactly these offsets (each the next offset to read).
  [[nodiscard]] status commit(const std::vector<topic_partition>& offsets);
  /// The group's committed offsets for these partitions (-1001 where none). Under
  /// isolation.level=read_committed (librdkafka's default) it asks for stable offsets only
  /// (KIP-447 RequireStable): while another producer's transaction holds pending offsets for a
  /// partition, librdkafka retries, then this returns a retriable UNSTABLE_OFFSET_COMMIT error.
  [[nodiscard]] result<std::vector<topic_partition>> committed(
      const std::vector<topic_partition>& partitions, std::chrono::milliseconds timeout);
  /// Stops fetching from every assigned partition (and from partitions assigned later) until
  /// resume(): back-pressure without leaving the group.
  [[nodiscard]] status pause();
  /// Resumes fetching from every assigned partition.
  [[nodiscard]] status resume();
  /// Whether pause() is in effect.
  [[nodiscard]] bool paused() const noexcept;
  /// This member's group metadata (generation, member id) as of now. Take it when the records
  /// are polled and send it with their offsets: the transaction then commits only if the group
  /// is still in the generation those records were read under.
  [[nodiscard]] result<group_metadata_ptr> membership() const;
  /// The partitions currently assigned to this member.
  [[nodiscard]] std::vector<topic_partition> assignment() const;
  /// Records of `topic` behind the ends of this member's assigned partitions: each one's
  /// high watermark (librdkafka's cached value from the last fetch) less the consumer's
  /// position, summed. No network call. None when no assigned partition of `topic` has both.
  [[nodiscard]] std::optional<std::int64_t> lag(std::string_view topic) const;
  /// Leaves the group (the revoke callback runs first). Idempotent; the destructor calls it.
  [[nodiscard]] status close();
  /// False while librdkafka reports all brokers down.
  [[nodiscard]] bool brokers_reachable() const noexcept;

  struct impl;

 private:
  explicit consumer(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace otaflow::kafka
