#pragma once
// The consuming side of `otaflow serve` (docs/EVENTS.md):
//  - campaign_registry: the campaigns this instance knows, kept in storage and registered
//    with the engine; pause/resume/cancel change their status.
//  - control_reader: reads every campaign and control event of the triggers topic in this
//    instance's own consumer group, so every instance of a group knows every campaign. A
//    record's offset is committed once it was applied, or, when applying it kept failing
//    for serve.unknown_campaign_grace (a pause for a campaign not defined, a storage error),
//    once its dead-letter record, with the reason, was delivered. The records behind it in
//    its partition wait meanwhile (they are applied in order).
//  - trigger_loop: the shared consumer group. Each record is handled in partition order;
//    triggers become engine admissions; a record's offset is committed once its effects are
//    durable (the contiguous prefix per partition); consumption pauses while the engine's
//    window is full; malformed records go to the dead-letter topic.

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>

#include "actors/engine.hpp"
#include "actors/service_offsets.hpp"
#include "kafka/consumer.hpp"
#include "service/changelog_committer.hpp"
#include "service/mo_forwarder.hpp"
#include "service/serve_config.hpp"
#include "service/serve_kafka.hpp"
#include "service/serve_partitions.hpp"
#include "storage/api.hpp"

namespace otaflow::service {

/// Campaigns known to this instance (thread-safe).
class campaign_registry {
 public:
  struct entry {
    std::shared_ptr<const actors::campaign_ctx> ctx;
    actors::campaign_mode mode = actors::campaign_mode::running;
  };

  /// `routes` (borrowed, may be null): the SMSC routes the cursors match cards to.
  campaign_registry(storage::state& state, actors::engine& engine,
                    const actors::route_table* routes = nullptr)
      : state_(state), engine_(engine), routes_(routes) {}
  /// Registers every stored campaign with the engine and resumes their non-terminal jobs;
  /// returns how many campaigns were loaded.
  [[nodiscard]] result<std::size_t> load();
  /// Stores and registers a definition (a campaign event); an unchanged one is a no-op.
  /// `approval` (may be null): the check it passed, audited before the definition when it
  /// needed or carried approvals; `by` names the record in the audit log.
  [[nodiscard]] status define(const actors::campaign_def& def,
                              const actors::approval_check* approval = nullptr,
                              std::string_view by = "kafka");
  /// Appends an audit record (a refused campaign definition) durably.
  [[nodiscard]] status audit(const storage::audit_event& e) {
    return state_.audit().append(e, true);
  }
  /// Pause, resume or cancel; errc::not_found for an unknown campaign.
  /// `by` names who asked in the audit record ("kafka": a control record; "alert"); a control
  /// record that states its origin (`origin.by` set: serve's HTTP API) is audited with it and
  /// "via": "kafka".
  [[nodiscard]] status control(const std::string& id, kafka::control_action action,
                               std::string_view by = "kafka",
                               const model::control_origin& origin = {});
  /// Queues the failed jobs of a retry event again (actors/campaign_retry.hpp) and, unless
  /// the campaign is paused, admits them; a cancelled campaign's retry is ignored (logged).
  /// errc::not_found for an unknown campaign.
  [[nodiscard]] status retry(const kafka::control_event& ev, std::string_view by = "kafka");
  /// The campaign, if known.
  [[nodiscard]] std::optional<entry> find(const std::string& id) const;
  /// Admits a campaign's non-terminal jobs again (its send window opened, or it expired).
  void reopen(const std::string& id);
  /// Partition-owned mode: only the cards `owned` selects are this instance's. load() then
  /// resumes nothing (resume_where does, as partitions arrive) and every resume and selection
  /// keeps to those cards. Set before load().
  void set_card_filter(std::function<bool(std::string_view)> owned) { owned_ = std::move(owned); }
  /// The card filter (empty: every card).
  [[nodiscard]] const std::function<bool(std::string_view)>& card_filter() const { return owned_; }
  /// The SMSC routes cards are matched to (null: none).
  [[nodiscard]] const actors::route_table* routes() const { return routes_; }
  /// Admits the non-terminal jobs of every campaign not paused whose cards `which` selects.
  void resume_where(const std::function<bool(std::string_view)>& which);

 private:
  void resume_jobs(const std::string& id, const actors::campaign_ctx& ctx);

  storage::state& state_;
  actors::engine& engine_;
  const actors::route_table* routes_;
  mutable std::mutex mu_;
  std::map<std::string, entry> campaigns_;
  std::map<std::string, std::string> definitions_;  // canonical JSON of each
  std::function<bool(std::string_view)> owned_;
};

/// The control reader's consumer group, kept in the state directory's meta: the one named
/// there; else <group_id>.control.<instance_id> for a directory that holds campaigns (as
/// before the name was kept); else, for a new or wiped directory, that name with a random
/// suffix, so that the reader starts from the beginning of the triggers topic and learns
/// every campaign again instead of resuming at the offsets an earlier directory committed.
[[nodiscard]] result<std::string> control_group(const serve_config& config, storage::state& state);

/// Applies campaign and control events from this instance's own consumer group (a thread).
class control_reader {
 public:
  /// Subscribes as `group` (control_group()) and starts reading; records it cannot apply go
  /// to the dead-letter topic through `producer`.
  [[nodiscard]] static result<std::unique_ptr<control_reader>> start(const serve_config& config,
                                                                     campaign_registry& registry,
                                                                     serve_producer& producer,
                                                                     const std::string& group);
  ~control_reader();
  /// Stops reading and leaves the group.
  void stop();
  /// Records dead-lettered so far (thread-safe).
  [[nodiscard]] std::uint64_t dead_lettered() const noexcept { return dead_lettered_.load(); }

 private:
  struct pending {
    kafka::message msg;
    std::chrono::steady_clock::time_point since;
    std::uint64_t dlq_token = 0;  // dead-lettered: waiting for its delivery
    bool logged = false;
  };
  using partition_key = std::pair<std::string, std::int32_t>;

  control_reader(const serve_config& config, campaign_registry& registry, serve_producer& producer,
                 std::unique_ptr<kafka::consumer> consumer);
  void loop();
  [[nodiscard]] status apply(const kafka::message& m);
  // Works through one partition's records in order; returns the position to commit, if
  // it moved.
  std::optional<std::int64_t> advance(std::deque<pending>& q,
                                      const std::set<std::uint64_t>& delivered);

  const serve_config& config_;
  campaign_registry& registry_;
  serve_producer& producer_;
  std::unique_ptr<kafka::consumer> consumer_;
  std::map<partition_key, std::deque<pending>> queue_;
  completion_queue dlq_done_;
  std::uint64_t next_token_ = 1;
  std::atomic<std::uint64_t> dead_lettered_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

/// Counters of the trigger loop: monotonic totals, and gauges marked "now".
struct loop_stats {
  std::uint64_t records = 0;        ///< trigger-topic records received
  std::uint64_t dead_lettered = 0;  ///< records sent to the dead-letter topic
  std::uint64_t commits = 0;        ///< offset commits the group coordinator accepted
  std::uint64_t pauses = 0;         ///< times consumption paused (back-pressure)
  std::uint64_t resumes = 0;        ///< times it resumed
  bool paused = false;              ///< now: consumption is paused
  std::size_t held = 0;             ///< now: records held back (campaign not defined yet)
  /// now: trigger records behind the ends of the assigned partitions (kafka::consumer::lag);
  /// -1 when unknown (no partition assigned or fetched yet, or the consumer is closed).
  std::int64_t lag = -1;
  /// Partition-owned mode: subscriber-topic records applied to the state, and (now) those
  /// behind the ends of the assigned subscriber partitions (-1 when unknown).
  std::uint64_t subscribers = 0;
  std::int64_t subscribers_lag = -1;
};

/// The shared consumer group of the triggers topic (see the file comment).
class trigger_loop {
 public:
  trigger_loop(const serve_config& config, storage::state& state, actors::engine& engine,
               campaign_registry& registry, serve_producer& producer, completion_queue& done)
      : config_(config),
        state_(state),
        engine_(engine),
        registry_(registry),
        producer_(producer),
        completions_(done) {}

  /// Partition-owned mode (set before run()): offsets go through the committer's
  /// transactions, partitions arriving and leaving go through `owner`, the subscribers topic
  /// is consumed too, and `on_consumer` learns the consumer (the transactions' group metadata).
  void set_partitioned(changelog_committer* committer, partition_owner* owner,
                       forwarding_transport* forwarder,
                       std::function<void(const kafka::consumer*)> on_consumer) {
    committer_ = committer;
    owner_ = owner;
    forwarder_ = forwarder;
    on_consumer_ = std::move(on_consumer);
  }
  /// Consumes until `stop` is set, then commits what is durable and leaves the group.
  /// `tick` runs every commit interval (status watermark, statistics).
  [[nodiscard]] status run(const std::atomic<bool>& stop, const std::function<void()>& tick);
  /// The loop's counters; call from the loop's thread (e.g. in `tick`).
  [[nodiscard]] loop_stats stats() const;

 private:
  using partition_key = std::pair<std::string, std::int32_t>;
  struct record_ref {
    partition_key tp;
    std::vector<std::int64_t> offsets;  // one record's, or an admission group's
  };
  // One-card triggers of one campaign read in a row from one partition, admitted together:
  // one cursor, one token and one durability wait for up to group_max cards instead of one
  // of each per card.
  struct trigger_group {
    std::shared_ptr<const actors::campaign_ctx> ctx;  // the campaign (its definition then)
    partition_key tp;
    std::vector<std::string> iccids;
    std::vector<std::int64_t> offsets;
  };
  static constexpr std::size_t group_max = 256;
  struct held_record {
    kafka::message msg;
    std::chrono::steady_clock::time_point since;
  };

  void handle(kafka::message&& m);
  bool try_subscriber(const kafka::message& m);
  void flush_subscribers();
  bool try_selection(const kafka::message& m, const kafka::trigger_event& t,
                     const campaign_registry::entry& camp);
  bool try_process(const kafka::message& m, std::chrono::steady_clock::time_point since);
  bool unknown_campaign(const kafka::message& m, const std::string& campaign,
                        std::chrono::steady_clock::time_point since);
  void dead_letter(const kafka::message& m, const std::string& reason);
  /// Adds a one-card trigger to the group (admitting the group first when it is for another
  /// campaign or partition, or full).
  void group_trigger(const kafka::message& m, const campaign_registry::entry& camp,
                     const std::string& iccid);
  /// Admits the group's cards as one admission (nothing when empty).
  void flush_group();
  std::uint64_t token_for(const kafka::message& m);
  void done(const kafka::message& m);
  void drain();
  void retry_held();
  void commit(bool force);
  void back_pressure();
  void on_rebalance(kafka::rebalance_event ev, const std::vector<kafka::topic_partition>& parts);
  [[nodiscard]] std::vector<std::int32_t> triggers_partitions(
      const std::vector<kafka::topic_partition>& parts) const;

  const serve_config& config_;
  storage::state& state_;
  actors::engine& engine_;
  campaign_registry& registry_;
  serve_producer& producer_;
  completion_queue& completions_;
  std::unique_ptr<kafka::consumer> consumer_;
  actors::commit_tracker tracker_;
  std::map<partition_key, std::deque<held_record>> held_;
  std::size_t held_count_ = 0;
  std::unordered_map<std::uint64_t, record_ref> tokens_;
  trigger_group group_;
  std::uint64_t next_token_ = 1;
  std::map<partition_key, std::int64_t> to_commit_;
  std::chrono::steady_clock::time_point last_commit_{};
  bool paused_ = false;
  changelog_committer* committer_ = nullptr;
  partition_owner* owner_ = nullptr;
  forwarding_transport* forwarder_ = nullptr;
  std::vector<kafka::message> subscribers_;  // subscriber records waiting for flush_subscribers
  std::function<void(const kafka::consumer*)> on_consumer_;
  std::optional<error> fatal_;  // partition-owned mode: a restore failed, the loop stops
  loop_stats stats_;
};

}  // namespace otaflow::service
