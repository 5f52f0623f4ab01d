#pragma once
// What `otaflow serve` adds to its HTTP endpoint (docs/OPERATIONS.md): the trigger loop's
// counters (copied on the loop's own thread at every tick, so the loop is never read from
// another thread), the status producer's queue and the brokers' reachability, and in
// partition-owned mode the changelog committer's counters. Thread-safe.

#include <mutex>
#include <optional>
#include <string>

#include "base/metrics.hpp"
#include "service/changelog_committer.hpp"
#include "service/serve_kafka.hpp"
#include "service/serve_loop.hpp"

namespace otaflow::service {

class serve_metrics {
 public:
  /// The trigger loop's counters now (from the loop's thread).
  void set_loop(const loop_stats& s);
  /// The status producer (borrowed) is read at scrape time until attached again with nullptr.
  void attach_producer(const serve_producer* p);
  /// The changelog committer (borrowed; partition-owned mode), the same way.
  void attach_committer(const changelog_committer* c);
  void collect(metrics::writer& w) const;
  /// Readiness: empty while the producer reaches its brokers, else why not.
  [[nodiscard]] std::optional<std::string> brokers_down() const;

 private:
  mutable std::mutex mu_;
  loop_stats loop_;
  const serve_producer* producer_ = nullptr;
  const changelog_committer* committer_ = nullptr;
};

}  // namespace otaflow::service
