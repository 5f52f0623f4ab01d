#pragma once
// `otaflow serve` as a library: the Kafka-native service. It consumes campaign definitions,
// triggers and pause/resume/cancel commands from the triggers topic, runs the jobs through
// the engine, and produces every state change of every (campaign, card) to the status topic
// (docs/EVENTS.md, docs/CONFIGURATION.md). It runs until `stop` is set, then leaves the
// consumer group, lets running jobs finish for [serve] shutdown_grace and returns; after a
// crash it resumes from storage.
//
// run() is what the command does: it opens the state directory, binds to the configured
// SMSCs and packages with OpenSSL. serve() is the same service on ports it is given, so
// tests run it against librdkafka's mock cluster with fakes for the SMSC and packaging.

#include <atomic>
#include <cstdint>
#include <functional>

#include "actors/engine.hpp"
#include "actors/engine_metrics.hpp"
#include "base/error.hpp"
#include "service/serve_config.hpp"
#include "service/serve_loop.hpp"
#include "service/serve_metrics.hpp"
#include "storage/api.hpp"

namespace otaflow::service {

/// How a run of the service ended.
struct run_summary {
  std::uint64_t replayed = 0;          ///< status events not acknowledged before, sent again
  std::size_t campaigns_loaded = 0;    ///< campaigns found in storage at the start
  actors::service_stats engine;        ///< the engine's counters at the stop
  loop_stats triggers;                 ///< the trigger consumer's counters at the stop
  std::uint64_t status_watermark = 0;  ///< every status event up to this audit sequence is acked
};

/// Optional hooks into serve(), for tests and embedders.
struct serve_hooks {
  /// Puts a job store in front of the status outbox (the engine's job store in service mode)
  /// and returns the store the engine is to use; tests hold saves with it. Default: none.
  std::function<actors::job_store&(actors::job_store& outbox)> wrap_store;
  /// Called on the trigger loop's thread every [serve] commit_interval with its counters.
  std::function<void(const loop_stats&)> on_tick;
  /// Metrics of the engine (borrowed; run() sets them with [http] listen): its status counts
  /// wrap the engine's status sink, its packaging counts the packet factory, and it reads the
  /// engine while it runs. Null: none.
  actors::run_metrics* metrics = nullptr;
  /// serve's own metrics (trigger loop, status producer, changelog committer); null: none.
  serve_metrics* serve = nullptr;
};

/// Runs the service on the configured state directory and SMSC binds until `stop` is set
/// (it waits for the binds and for Kafka, and says so in the log). An error means it could
/// not start, or its trigger consumer failed (the service was then stopped cleanly).
[[nodiscard]] result<run_summary> run(const serve_config& config, const std::atomic<bool>& stop);

/// The service on an open state and the engine's SMSC side and packaging (see the file
/// comment): status producer and outbox, topics, engine, campaign registry, control reader
/// and trigger loop, until `stop` is set.
[[nodiscard]] result<run_summary> serve(const serve_config& config, storage::state& state,
                                        actors::packet_factory& factory,
                                        actors::transport& transport, const std::atomic<bool>& stop,
                                        const serve_hooks& hooks = {});

}  // namespace otaflow::service
