#include "service/kafka_status_sink.hpp"

#include <thread>

#include "base/log.hpp"

namespace otaflow::service {

kafka::alert_event to_kafka(const actors::alert& a) {
  kafka::alert_event k;
  k.campaign = a.campaign;
  k.bind = a.bind;
  k.kind = std::string(actors::to_string(a.kind));
  k.rate = a.rate;
  k.threshold = a.threshold;
  k.sample = a.sample;
  k.count = a.count;
  k.action = a.paused ? "paused" : "none";
  k.message = a.message;
  k.ts = a.ts_ms;
  return k;
}

void kafka_status_sink::emit(std::span<const actors::status_event> events) {
  for (const auto& e : events) {
    const auto payload = kafka::serialise(e);
    for (int attempt = 0;; ++attempt) {
      auto s = producer_.produce(topic_, e.iccid, payload);
      if (s.ok()) break;
      if (!s.error().retriable() || attempt > 1000) {
        log::get("kafka")->error("status event for {} not produced: {}", e.iccid,
                                 s.error().message);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  produced_ += events.size();
}

}  // namespace otaflow::service
