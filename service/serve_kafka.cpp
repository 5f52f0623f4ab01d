#include "service/serve_kafka.hpp"

#include <thread>

#include "base/log.hpp"
#include "service/kafka_status_sink.hpp"

namespace otaflow::service {
namespace {

// DLQ records carry their token with this bit set; status events carry their audit sequence.
constexpr std::uint64_t dlq_bit = std::uint64_t{1} << 63;
// Alert events carry this id (nothing waits for their acknowledgement).
constexpr std::uint64_t alert_bit = std::uint64_t{1} << 62;

std::int64_t steady_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

result<std::unique_ptr<serve_producer>> serve_producer::create(const kafka::kafka_options& opts,
                                                               completion_queue& dlq_done) {
  std::unique_ptr<serve_producer> p(
      new serve_producer(opts.status_topic, opts.dlq_topic, dlq_done));
  auto o = opts;
  // Wait for the brokers as long as it takes (0 = no timeout), and queue enough to ride out
  // an outage; both can be overridden in [kafka.producer_properties].
  o.producer_properties.try_emplace("message.timeout.ms", "0");
  o.producer_properties.try_emplace("queue.buffering.max.messages", "1000000");
  auto* raw = p.get();
  auto prod =
      kafka::producer::create(o, [raw](const kafka::delivery_report& r) { raw->delivered(r); });
  if (!prod) return prod.error();
  p->producer_ = std::move(*prod);
  p->alerts_topic_ = opts.alerts_topic;
  return p;
}

serve_producer::~serve_producer() {
  // The producer's destructor flushes and runs callbacks: they use this object.
  producer_.reset();
}

void serve_producer::delivered(const kafka::delivery_report& r) {
  if (r.id == alert_bit) {
    if (r.err) log::get("serve")->error("alert event not delivered: {}", r.err->message);
    return;
  }
  const bool dlq = (r.id & dlq_bit) != 0;
  if (r.err) {
    // Not acknowledged: a status stays in the outbox (sent again at the next start), a DLQ
    // record's offset is not committed (the record comes again).
    const auto now = steady_s();
    if (now - last_error_log_.load() >= 10) {
      last_error_log_ = now;
      log::get("serve")->error("{} record not delivered: {}", dlq ? "dead-letter" : "status",
                               r.err->message);
    }
    return;
  }
  if (dlq) {
    dlq_done_.push(r.id & ~dlq_bit);
    return;
  }
  ++acked_;
  if (outbox_ != nullptr && r.id != 0) outbox_->acknowledge(r.id);
}

status serve_producer::produce_waiting(const std::string& topic, std::string_view key,
                                       std::string_view payload, std::uint64_t id) {
  std::int64_t logged = 0;
  for (;;) {
    auto s = producer_->produce(topic, key, payload, id);
    if (s.ok() || !s.error().retriable()) return s;
    // The local queue is full: the brokers are away or slow. Waiting here holds the journal,
    // which holds the engine: back-pressure instead of an unbounded buffer.
    const auto now = steady_s();
    if (now - logged >= 10) {
      logged = now;
      log::get("serve")->warn("{} records waiting for Kafka; holding new status events",
                              producer_->outstanding());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void serve_producer::send(const actors::status_event& event, std::uint64_t seq) {
  const auto payload = kafka::serialise(event);
  auto s = produce_waiting(status_topic_, event.iccid, payload, seq);
  if (!s) {
    log::get("serve")->error("status of {} / {} not produced: {}", event.campaign, event.iccid,
                             s.error().message);
  }
}

status serve_producer::send_dlq(const kafka::dlq_record& record, std::uint64_t token) {
  const auto payload = kafka::serialise(record);
  return produce_waiting(dlq_topic_, {}, payload, token | dlq_bit);
}

status serve_producer::send_alert(const kafka::alert_event& alert) {
  return produce_waiting(alerts_topic_, alert.campaign, kafka::serialise(alert), alert_bit);
}

status serve_producer::flush(std::chrono::milliseconds timeout) {
  return producer_->flush(timeout);
}

std::size_t serve_producer::outstanding() const {
  return producer_->outstanding();
}

}  // namespace otaflow::service
