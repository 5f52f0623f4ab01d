#include "service/metrics_endpoint.hpp"

#include <thread>

#include "base/log.hpp"

namespace otaflow::service {

run_endpoint::run_endpoint() {
  registry_.add([this](metrics::writer& w) { run_.collect(w); });
  server_.add_readiness("smpp", [this] { return run_.binds_down(); });
}

run_endpoint::~run_endpoint() {
  server_.stop();
}

status run_endpoint::start(std::string_view listen) {
  return server_.start(listen);
}

void run_endpoint::linger(std::chrono::seconds time) {
  if (time.count() <= 0) return;
  log::get("http")->info("run over: the endpoint on http://{} stays up {} s", address(),
                         time.count());
  std::this_thread::sleep_for(time);
}

void run_endpoint::enable_api(api_context api, dashboard_source source) {
  source.metrics = &run_;
  history_ = std::make_unique<dashboard_history>();
  auto snapshot = [source = std::move(source)] { return take_snapshot(source, wall_now_ms()); };
  api.snapshot = snapshot;
  api.history = history_.get();
  add_api_routes(server_, std::move(api));
  sampler_ = std::make_unique<dashboard_sampler>(*history_, std::move(snapshot));
}

void collect_producer(metrics::writer& w, const kafka::producer& p, std::string_view role) {
  const metrics::labels l = {{"producer", std::string(role)}};
  w.gauge("otaflow_kafka_producer_queue",
          "Records queued or in flight without a delivery report (librdkafka's queue)", l,
          static_cast<double>(p.outstanding()));
  w.gauge("otaflow_kafka_brokers_reachable", "1 unless librdkafka reports every broker down", l,
          p.brokers_reachable() ? 1 : 0);
}

}  // namespace otaflow::service
