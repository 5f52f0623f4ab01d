#pragma once
// The HTTP endpoint of one engine run (`otaflow campaign run --http`, `otaflow demo --http`):
// a metrics registry holding the run's metrics (actors/engine_metrics.hpp), the HTTP server
// on it, readiness from the run's SMPP binds, and the linger after the run that lets a
// scraper read the final values. Also the collectors of serve's Kafka pieces.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "actors/engine_metrics.hpp"
#include "base/metrics.hpp"
#include "kafka/producer.hpp"
#include "service/http_api.hpp"
#include "service/http_server.hpp"

namespace otaflow::service {

class run_endpoint {
 public:
  run_endpoint();
  ~run_endpoint();
  run_endpoint(const run_endpoint&) = delete;
  run_endpoint& operator=(const run_endpoint&) = delete;

  /// Serves on `listen` ("HOST:PORT"); the error names the address.
  [[nodiscard]] status start(std::string_view listen);
  /// The bound "HOST:PORT".
  [[nodiscard]] std::string address() const { return server_.address(); }
  [[nodiscard]] actors::run_metrics& metrics() noexcept { return run_; }
  [[nodiscard]] metrics::registry& registry() noexcept { return registry_; }
  [[nodiscard]] http_server& server() noexcept { return server_; }
  /// Keeps serving for `time` (0: returns at once), saying so in the log.
  void linger(std::chrono::seconds time);
  /// Adds the API and the dashboard (service/http_api.hpp) over this run's metrics: `api`
  /// says what the views read and how control goes (its snapshot and history are set here),
  /// `source` names the run (its metrics are set here). Once, before or after start().
  void enable_api(api_context api, dashboard_source source);

 private:
  metrics::registry registry_;
  actors::run_metrics run_{nullptr};
  http_server server_{registry_};
  // After the server: destroyed first, so the sampler stops before what it reads goes.
  std::unique_ptr<dashboard_history> history_;
  std::unique_ptr<dashboard_sampler> sampler_;
};

/// A Kafka producer's queue (records not yet acknowledged) and broker reachability, labelled
/// with the producer's role ("status", "alerts", ...).
void collect_producer(metrics::writer& w, const kafka::producer& p, std::string_view role);

}  // namespace otaflow::service
