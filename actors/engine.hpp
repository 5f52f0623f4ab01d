#pragma once
// The campaign engine on the C++ Actor Framework: a campaign actor expands its
// targets lazily and keeps a bounded window of cards in flight; each card in flight
// has a subscriber actor running the job state machine (subscriber_fsm.hpp); a
// crypto stage batches packaging (counters + SCP80) and a journal batches durable
// state changes before their status events leave. docs/DESIGN.md has the picture.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actors/alert_monitor.hpp"
#include "actors/clock.hpp"
#include "actors/engine_ports.hpp"
#include "actors/service.hpp"

namespace otaflow::actors {

/// Engine tuning. Every field has a default that suits one 2-core machine.
struct engine_options {
  std::size_t scheduler_threads = 0;     ///< CAF worker threads; 0 = hardware concurrency
  std::size_t crypto_batch_max = 2048;   ///< packaging requests per crypto batch (>= 1)
  std::size_t journal_batch_max = 8192;  ///< job updates per durable batch (>= 1)
  std::size_t expand_chunk = 256;        ///< cards fetched from the cursor per refill step
  /// CAF scheduler: "sharing" (one queue, idle workers block) or "stealing" (CAF's default:
  /// idle workers poll and sleep 50 us at a time). Sharing costs 15% less CPU on 2 cores
  /// with the SMSC simulator in the same process (docs/library-notes.md).
  std::string scheduler_policy = "sharing";
  /// Default 65536: state changes sent to the journal and not yet durable past which no new
  /// card starts (0 = no bound). Subscribers do not wait for the journal, so without it a
  /// journal slower than the cards (RocksDB, or a Kafka producer whose queue is full) let
  /// its mailbox grow with the campaign: a 1M-card demo peaked at 1.8 GiB instead of 0.8.
  std::size_t journal_backlog_max = 65536;
  /// Default 5 (>= 1): saves of one journal batch (a retriable error waits 10 ms, doubled,
  /// at most 1 s, between them) before the batch is saved job by job and the jobs whose
  /// rows the store refuses fail alone (actors/journal.hpp).
  std::size_t journal_save_attempts = 5;
};

/// Terminal states of the cards of one update variant.
struct variant_counts {
  std::uint64_t cards = 0;
  std::uint64_t done = 0;
  std::uint64_t failed = 0;
  std::uint64_t skipped = 0;  ///< the variant was chosen but the card lacks its keyset
};

/// Counts of a finished (or interrupted) campaign run.
struct campaign_summary {
  std::string campaign;
  std::uint64_t cards = 0;
  std::uint64_t done = 0;
  std::uint64_t failed = 0;
  std::uint64_t skipped = 0;                       ///< no variant applies to the card; nothing sent
  std::uint64_t resumed_terminal = 0;              ///< cards already terminal before this run
  std::map<std::string, variant_counts> variants;  ///< by variant name
  std::map<std::string, std::uint64_t> skip_reasons;  ///< why cards were skipped
  double seconds = 0;
  std::map<std::uint8_t, std::uint64_t> por_status;  ///< last PoR status per card
  std::map<std::string, std::uint64_t> failure_reasons;
  double latency_p50_ms = 0;  ///< first attempt to terminal state, cards done in this run
  double latency_p99_ms = 0;
  double latency_max_ms = 0;
  bool paused = false;        ///< the run ended because the campaign was paused (alert, command)
  bool cancelled = false;     ///< the run ended because the campaign was cancelled
  std::vector<alert> alerts;  ///< alerts raised during the run, in order
  /// PoRs rejected for lacking the protection the SPI asks for, or failing it (forged or
  /// corrupted; packet_factory::por_rejected). Filled by run_campaign.
  std::uint64_t por_rejected = 0;
  bool allow_insecure = false;  ///< a variant sends below the minimum security level
};

/// Progress of a running campaign, reported every few hundred cards.
struct campaign_progress {
  std::uint64_t terminal = 0;
  std::uint64_t in_flight = 0;
  std::uint64_t done = 0;
  std::uint64_t failed = 0;
  std::uint64_t timers_armed = 0;  ///< engine::timers_armed() when reported
};
using progress_fn = std::function<void(const campaign_progress&)>;

class engine {
 public:
  /// The engine borrows the ports; they must outlive it.
  engine(engine_options options, packet_factory& factory, transport& transport, job_store& store,
         status_sink& sink);
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  /// The wall clock (ms since the Unix epoch) time windows and validity periods are judged by;
  /// timers keep running on the system's monotonic clock. Default: the system clock. Call
  /// before run() or start_service().
  void set_clock(std::function<std::int64_t()> clock);
  /// The whole clock, wall and timers (tests: a manual_clock, whose advance() fires the due
  /// PoR timeouts, retry back-offs and send-window wake-ups). Call before run() or
  /// start_service().
  void set_clock(std::shared_ptr<engine_clock> clock);
  /// Called from an engine thread for every alert raised, before the campaign pauses itself
  /// when the alert says so (make the pause durable and publish the alert here). Call before
  /// run() or start_service().
  void set_alert_handler(std::function<void(const alert&)> handler);
  /// Service mode: called from an engine thread when a campaign whose jobs were held back by
  /// its send window (or not_before) may send again, or has expired: admit its non-terminal
  /// jobs again (as for a resume). Call before start_service().
  void set_reopen_handler(std::function<void(const std::string&)> handler);

  /// Runs a campaign until every target is terminal; resumes jobs found in the store.
  /// Ends early when the campaign is paused (set_mode or an alert; every job left holds its
  /// durable state) or cancelled (jobs in flight fail); the summary says which.
  [[nodiscard]] result<campaign_summary> run(std::shared_ptr<const campaign_ctx> campaign,
                                             std::unique_ptr<target_cursor> targets,
                                             progress_fn progress = {});

  /// State changes sent to the journal and not yet durable (engine_options::journal_backlog_max).
  [[nodiscard]] std::uint64_t journal_backlog() const;
  /// Timers the router keeps (PoR timeouts, retry back-offs, wake-ups): jobs' timers go when
  /// their job ends, so this follows the jobs in flight.
  [[nodiscard]] std::uint64_t timers_armed() const;

  // ---- service mode (otaflow serve, actors/service.hpp) ----------------------------------

  /// Starts the service actor; `on_admitted` reports admissions whose jobs are durable.
  [[nodiscard]] status start_service(service_options options, admitted_fn on_admitted);
  /// Registers a campaign or replaces its definition (jobs in flight keep the old one) and
  /// sets its mode. A cancelled campaign stays cancelled.
  void set_campaign(std::shared_ptr<const campaign_ctx> campaign, campaign_mode mode);
  /// Changes the mode of a registered campaign, or of the campaign run() is running: pause,
  /// resume (running) or cancel.
  void set_mode(const std::string& campaign, campaign_mode mode);
  /// Queues the cards of `cards` as jobs of a registered campaign; `token` (0: none) is
  /// reported to on_admitted once all of them have a durable state. Admissions are taken in
  /// the order they arrive, each as the window allows. `count`: how many cards it counts for
  /// in waiting() (the cards of an explicit list; a selection counts 1).
  void admit(const std::string& campaign, std::unique_ptr<target_cursor> cards, std::uint64_t token,
             std::size_t count = 1);
  /// Drops queued admissions whose token `which` selects (a partition was revoked): those not
  /// started at all and the rest of one partly taken. Returns their tokens once every job
  /// already started is durable.
  [[nodiscard]] std::vector<std::uint64_t> withdraw(std::function<bool(std::uint64_t)> which);
  /// Ends the jobs of the cards `which` selects without a state of their own (serve's
  /// partition-owned mode: their partition moved to another instance) and returns how many,
  /// once what they had sent to the journal is durable.
  std::size_t release(std::function<bool(std::string_view iccid)> which);
  /// The cards `which` selects are this instance's again (serve's partition-owned mode: their
  /// partition was assigned and restored): jobs refused by the store before are admitted
  /// again. Returns once the service actor has applied it.
  void reclaim(std::function<bool(std::string_view iccid)> which);
  /// Jobs running plus admissions waiting: what a trigger consumer's back-pressure watches.
  [[nodiscard]] std::size_t backlog() const noexcept;
  /// Cards of the admissions not taken in full yet (waiting for a place in the window), each
  /// admission counted as admit()'s `count`; thread-safe.
  [[nodiscard]] std::size_t waiting() const noexcept;
  /// Service-mode counters.
  [[nodiscard]] service_stats stats() const;
  /// Stops admitting, waits up to `grace` for running jobs to finish, then makes every
  /// state change durable. Jobs still running keep their durable state for the next start.
  void stop_service(std::chrono::milliseconds grace);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace otaflow::actors
