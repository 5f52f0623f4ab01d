#pragma once
// Serve's partition-owned mode (docs/SCALING.md), the parts around the changelog committer:
//  - kafka_txn_port: the committer's Kafka side (the instance's transactional producer and
//    the trigger consumer's group metadata);
//  - txn_job_store: the engine's job store and status sink; a batch of job states carries its
//    status events into the same transaction;
//  - owned_cursor: only the cards of partitions this instance owns (the state directory also
//    holds rows of partitions it had before);
//  - partition_owner: what a partition's arrival and departure do. On arrival: wait for the
//    group's stable offsets (a fenced owner's open transaction ends first), rebuild the
//    partition's rows from the changelog (from a clean hand-over's checkpoint, else from the
//    beginning after wiping them), take ownership, resume the partition's unfinished jobs. On
//    departure: release its jobs (their state is durable; the next owner resumes them), commit,
//    write the checkpoint, give ownership up.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string_view>
#include <vector>

#include "actors/engine.hpp"
#include "actors/storage_ports.hpp"
#include "kafka/consumer.hpp"
#include "kafka/txn_producer.hpp"
#include "service/changelog_committer.hpp"
#include "service/serve_config.hpp"
#include "storage/api.hpp"

namespace otaflow::service {

class kafka_txn_port final : public txn_port {
 public:
  /// Creates a producer with the instance's transactional id and initialises it.
  using producer_factory = std::function<result<std::unique_ptr<kafka::txn_producer>>()>;
  /// `p` initialised; `make` gives its successors (recover()).
  kafka_txn_port(std::unique_ptr<kafka::txn_producer> p, producer_factory make)
      : p_(std::move(p)), make_(std::move(make)) {}
  /// The trigger consumer whose group metadata fences the transactions (set once it exists).
  void set_consumer(const kafka::consumer* c) { consumer_ = c; }

  [[nodiscard]] status begin() override {
    if (!p_) return make_error(errc::conflict, "changelog: no transactional producer");
    return p_->begin();
  }
  [[nodiscard]] status produce(std::string_view topic, std::int32_t partition, std::string_view key,
                               std::optional<std::string_view> value) override {
    return p_->produce(topic, partition, key, value);
  }
  [[nodiscard]] status send_offsets(const std::vector<kafka::topic_partition>& offsets) override;
  [[nodiscard]] status commit() override;
  [[nodiscard]] status abort() override;
  [[nodiscard]] bool fatal(const error& e) const override;
  [[nodiscard]] status recover() override;

 private:
  std::unique_ptr<kafka::txn_producer> p_;
  producer_factory make_;
  std::atomic<const kafka::consumer*> consumer_{nullptr};
};

/// Job states and their status events in one changelog transaction.
class txn_job_store final : public actors::job_store, public actors::status_sink {
 public:
  explicit txn_job_store(storage::state& state) : inner_(state) {}
  [[nodiscard]] result<std::optional<actors::job_record>> load(const std::string& campaign,
                                                               const std::string& iccid) override {
    return inner_.load(campaign, iccid);
  }
  [[nodiscard]] result<std::vector<std::optional<actors::job_record>>> load_many(
      const std::string& campaign, std::span<const std::string_view> iccids) override {
    return inner_.load_many(campaign, iccids);
  }
  [[nodiscard]] status save(std::span<const actors::job_update> updates, bool sync) override;
  /// Nothing to do: save() committed the events with their states.
  void emit(std::span<const actors::status_event> /*events*/) override {}

 private:
  actors::storage_job_store inner_;
};

/// The cards of `inner` that `keep` selects.
class owned_cursor final : public actors::target_cursor {
 public:
  owned_cursor(std::unique_ptr<actors::target_cursor> inner,
               std::function<bool(std::string_view)> keep)
      : inner_(std::move(inner)), keep_(std::move(keep)) {}
  [[nodiscard]] result<std::vector<actors::card_info>> next(std::size_t n) override;

 private:
  std::unique_ptr<actors::target_cursor> inner_;
  std::function<bool(std::string_view)> keep_;
};

class campaign_registry;

/// Restore, ownership and release of partitions (see the file comment). Called from the
/// trigger loop's thread (its rebalance callback); owns_card() from any thread.
class partition_owner {
 public:
  partition_owner(const serve_config& cfg, storage::state& state, actors::engine& engine,
                  changelog_committer& committer, std::int32_t partitions)
      : cfg_(cfg), state_(state), engine_(engine), committer_(committer), partitions_(partitions) {}

  /// The registry whose campaigns' jobs resume when a partition arrives.
  void set_registry(campaign_registry* r) { registry_ = r; }
  [[nodiscard]] std::int32_t partition_of(std::string_view iccid) const;
  [[nodiscard]] bool owns_card(std::string_view iccid) const;
  [[nodiscard]] std::int32_t partitions() const noexcept { return partitions_; }
  /// Partitions of the triggers topic given to this instance: restore, own, resume.
  [[nodiscard]] status assigned(kafka::consumer& consumer, const std::vector<std::int32_t>& parts);
  /// Partitions going away; `clean` (a revoke, not a loss): commit and checkpoint them.
  void released(const std::vector<std::int32_t>& parts, bool clean);
  /// Changelog records applied by restores so far (tests, benchmarks).
  [[nodiscard]] std::uint64_t restored_records() const noexcept { return restored_.load(); }

 private:
  [[nodiscard]] status restore(const std::vector<std::int32_t>& parts);

  const serve_config& cfg_;
  storage::state& state_;
  actors::engine& engine_;
  changelog_committer& committer_;
  std::int32_t partitions_;
  campaign_registry* registry_ = nullptr;
  mutable std::mutex mu_;
  std::set<std::int32_t> owned_;
  std::map<std::int32_t, std::int64_t> restore_end_;  // the changelog's end its restore reached
  std::atomic<std::uint64_t> restored_{0};
};

}  // namespace otaflow::service
