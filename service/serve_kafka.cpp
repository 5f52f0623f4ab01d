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
                                                               completion_queue& dlq_done,
                                                               std::size_t attempts) {
  std::unique_ptr<serve_producer> p(
      new serve_producer(opts.status_topic, opts.dlq_topic, dlq_done));
  p->attempts_max_ = std::max<std::size_t>(1, attempts);
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
    // Produced again later (retry_failed), a bounded number of times; until then a status
    // stays unacknowledged in the outbox and a DLQ record's offset is not committed.
    const auto now = steady_s();
    if (now - last_error_log_.load() >= 10) {
      last_error_log_ = now;
      log::get("serve")->error("{} record not delivered: {}", dlq ? "dead-letter" : "status",
                               r.err->message);
    }
    failed({std::string(r.topic),
            std::string(r.key),
            std::string(r.payload),
            r.err->message,
            r.id,
            0,
            {}});
    return;
  }
  if (!dlq) ++acked_;
  finished(r.id);
}

// The record is delivered, or given up: whoever waits for it goes on.
void serve_producer::finished(std::uint64_t id) {
  completion_queue* to = &dlq_done_;
  {
    std::lock_guard lock(failed_mu_);
    tries_.erase(id);
    if (auto it = dlq_to_.find(id); it != dlq_to_.end()) {
      to = it->second;
      dlq_to_.erase(it);
    }
  }
  if ((id & dlq_bit) != 0) {
    to->push(id & ~dlq_bit);
  } else if (outbox_ != nullptr && id != 0) {
    outbox_->acknowledge(id);
  }
}

void serve_producer::failed(failed_record r) {
  std::lock_guard lock(failed_mu_);
  r.attempts = ++tries_[r.id];
  // 100 ms, doubled, at most 10 s.
  const auto wait =
      std::chrono::milliseconds(100) * (1 << std::min<std::size_t>(r.attempts - 1, 7));
  r.due = std::chrono::steady_clock::now() +
          std::min<std::chrono::milliseconds>(wait, std::chrono::seconds(10));
  failed_.push_back(std::move(r));
}

void serve_producer::give_up(const failed_record& r) {
  ++undelivered_;
  log::get("serve")->error(
      "{} record to {} (key '{}') given up after {} attempts: {}; kept in the audit log",
      (r.id & dlq_bit) != 0 ? "dead-letter" : "status", r.topic, r.key, r.attempts, r.reason);
  if (on_undeliverable_) on_undeliverable_({r.topic, r.key, r.payload, r.reason, r.attempts});
  finished(r.id);
}

void serve_producer::retry_failed() {
  std::vector<failed_record> due;
  {
    std::lock_guard lock(failed_mu_);
    const auto now = std::chrono::steady_clock::now();
    for (auto it = failed_.begin(); it != failed_.end();) {
      if (it->due <= now) {
        due.push_back(std::move(*it));
        it = failed_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& r : due) {
    if (r.attempts >= attempts_max_) {
      give_up(r);
      continue;
    }
    auto s = producer_->produce(r.topic, r.key, r.payload, r.id);
    if (!s) {
      r.reason = s.error().message;
      failed(std::move(r));  // counted as an attempt
    }
  }
}

std::size_t serve_producer::failed_waiting() const {
  std::lock_guard lock(failed_mu_);
  return failed_.size();
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
    failed({status_topic_, event.iccid, payload, s.error().message, seq, 0, {}});
  }
}

status serve_producer::send_dlq(const kafka::dlq_record& record, std::uint64_t token,
                                completion_queue* done) {
  const auto payload = kafka::serialise(record);
  const auto id = token | dlq_bit;
  if (done != nullptr) {
    std::lock_guard lock(failed_mu_);
    dlq_to_[id] = done;
  }
  auto s = produce_waiting(dlq_topic_, {}, payload, id);
  if (!s) failed({dlq_topic_, {}, payload, s.error().message, id, 0, {}});
  return {};  // delivered or given up later: its token is reported either way
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

bool serve_producer::brokers_reachable() const noexcept {
  return producer_->brokers_reachable();
}

}  // namespace otaflow::service
