#include "service/serve_metrics.hpp"

namespace otaflow::service {

void serve_metrics::set_loop(const loop_stats& s) {
  std::lock_guard lock(mu_);
  loop_ = s;
}

void serve_metrics::attach_producer(const serve_producer* p) {
  std::lock_guard lock(mu_);
  producer_ = p;
}

void serve_metrics::attach_committer(const changelog_committer* c) {
  std::lock_guard lock(mu_);
  committer_ = c;
}

void serve_metrics::collect(metrics::writer& w) const {
  std::lock_guard lock(mu_);
  const auto d = [](auto v) { return static_cast<double>(v); };
  w.counter("otaflow_trigger_records_total", "Trigger-topic records received", {},
            d(loop_.records));
  w.counter("otaflow_trigger_dead_letters_total", "Records sent to the dead-letter topic", {},
            d(loop_.dead_lettered));
  w.counter("otaflow_trigger_commits_total", "Offset commits the group coordinator accepted", {},
            d(loop_.commits));
  w.counter("otaflow_trigger_pauses_total", "Times consumption paused (back-pressure)", {},
            d(loop_.pauses));
  w.gauge("otaflow_trigger_paused", "1 while consumption is paused (back-pressure)", {},
          loop_.paused ? 1 : 0);
  w.gauge("otaflow_trigger_held", "Records held back: their campaign is not defined yet", {},
          d(loop_.held));
  if (loop_.subscribers_lag >= 0) {
    w.counter("otaflow_subscriber_records_total",
              "Subscriber-topic records applied to the state (partition-owned mode)", {},
              d(loop_.subscribers));
    w.gauge("otaflow_subscriber_records_lag",
            "Subscriber-topic records behind the ends of this instance's partitions", {},
            d(loop_.subscribers_lag));
  }
  if (loop_.lag >= 0) {
    w.gauge("otaflow_kafka_consumer_lag",
            "Trigger records behind the ends of this instance's assigned partitions", {},
            d(loop_.lag));
  }
  if (producer_ != nullptr) {
    const metrics::labels l = {{"producer", "status"}};
    w.gauge("otaflow_kafka_producer_queue",
            "Records queued or in flight without a delivery report (librdkafka's queue)", l,
            d(producer_->outstanding()));
    w.gauge("otaflow_kafka_brokers_reachable", "1 unless librdkafka reports every broker down", l,
            producer_->brokers_reachable() ? 1 : 0);
    w.counter("otaflow_kafka_undelivered_total",
              "Records Kafka refused past [serve] produce_attempts (kept in the audit log)", l,
              d(producer_->undelivered()));
  }
  if (committer_ != nullptr) {
    const auto c = committer_->stats();
    w.counter("otaflow_changelog_transactions_total", "Changelog transactions, by outcome",
              {{"outcome", "committed"}}, d(c.transactions));
    w.counter("otaflow_changelog_transactions_total", "Changelog transactions, by outcome",
              {{"outcome", "aborted"}}, d(c.aborted));
    w.counter("otaflow_changelog_records_total", "Changelog records in committed transactions", {},
              d(c.records));
    w.counter("otaflow_changelog_bytes_total",
              "Key and value octets of the changelog records produced", {}, d(c.bytes));
    w.counter("otaflow_changelog_producer_recoveries_total",
              "Transactional producers replaced after a fatal error (e.g. a transaction the "
              "broker timed out)",
              {}, d(c.recoveries));
    w.gauge("otaflow_changelog_fenced", "1 once this instance was fenced (it must stop)", {},
            c.fenced ? 1 : 0);
  }
}

std::optional<std::string> serve_metrics::brokers_down() const {
  std::lock_guard lock(mu_);
  if (producer_ == nullptr) return "Kafka producer not started";
  if (!producer_->brokers_reachable()) return "no Kafka broker reachable";
  return std::nullopt;
}

}  // namespace otaflow::service
