#include "kafka/producer.hpp"

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

#include "kafka/client.hpp"
#include "kafka/errc.hpp"

namespace otaflow::kafka {

struct producer::impl final : detail::client_base {
  impl(const kafka_options& opts, delivery_callback cb, producer_settings s)
      : client_base("producer", opts.brokers), on_delivery(std::move(cb)), settings(s) {}

  ~impl() override {
    stop = true;
    if (poller.joinable()) poller.join();
    if (rk) {
      const auto err = rd_kafka_flush(rk.get(), static_cast<int>(settings.close_timeout.count()));
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        detail::logger()->warn("kafka producer: closing with {} records undelivered",
                               rd_kafka_outq_len(rk.get()));
      }
    }
    rk.reset();  // before the members the callbacks use
  }

  void deliver(const rd_kafka_message_t* m) {
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) on_activity();
    if (!on_delivery) return;
    delivery_report r;
    r.id = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(m->_private));
    r.topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
    r.key = std::string_view(static_cast<const char*>(m->key), m->key ? m->key_len : 0);
    r.payload = std::string_view(static_cast<const char*>(m->payload), m->payload ? m->len : 0);
    r.partition = m->partition;
    switch (rd_kafka_message_status(m)) {
      case RD_KAFKA_MSG_STATUS_PERSISTED:
        r.status = persistence::persisted;
        break;
      case RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED:
        r.status = persistence::possibly_persisted;
        break;
      default:
        r.status = persistence::not_persisted;
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      r.err = rdkafka_error(
          m->err, "delivery of record " + std::to_string(r.id) + " to " + std::string(r.topic));
    } else {
      r.offset = m->offset;
    }
    std::lock_guard lock(callback_mu);
    on_delivery(r);
  }

  delivery_callback on_delivery;
  producer_settings settings;
  std::mutex callback_mu;  // serialises callbacks between the poll thread and flush()
  detail::handle_ptr rk;
  std::atomic<bool> stop{false};
  std::thread poller;
};

namespace {

void dr_msg_cb(rd_kafka_t* rk, const rd_kafka_message_t* m, void* /*opaque*/) {
  static_cast<producer::impl*>(static_cast<detail::client_base*>(rd_kafka_opaque(rk)))->deliver(m);
}

}  // namespace

producer::producer(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
producer::~producer() = default;

result<std::unique_ptr<producer>> producer::create(const kafka_options& opts,
                                                   delivery_callback on_delivery,
                                                   producer_settings settings) {
  auto p = std::make_unique<impl>(opts, std::move(on_delivery), settings);
  const detail::property_list defaults = {
      // Java's partitioner, so keys map to the same partitions from either client.
      {"partitioner", "murmur2_random"},
      {"linger.ms", "5"},
      // Status events are small JSON objects that compress several times over in a batch;
      // lz4 costs little CPU and cuts broker disk, network and the mock cluster's memory.
      {"compression.type", "lz4"},
      {"statistics.interval.ms", "2000"},
      {"log.connection.close", "false"},
  };
  // Idempotence gives exactly-once, in-order delivery per partition despite retries.
  const detail::property_list forced = {
      {"enable.idempotence", "true"},
      {"acks", "all"},
  };
  auto conf = detail::make_conf(opts, detail::role::producer, defaults, forced, p.get());
  if (!conf) return std::move(conf).error();
  rd_kafka_conf_set_dr_msg_cb(conf->get(), &dr_msg_cb);
  auto rk = detail::make_handle(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!rk) return std::move(rk).error();
  p->rk = std::move(*rk);
  if (settings.poll_thread) {
    auto* raw = p.get();
    p->poller = std::thread([raw] {
      while (!raw->stop.load()) rd_kafka_poll(raw->rk.get(), 100);
    });
  }
  return std::unique_ptr<producer>(new producer(std::move(p)));
}

status producer::produce(std::string_view topic, std::string_view key, std::string_view payload,
                         std::uint64_t id) {
  if (impl_->fatal()) {
    return make_error(errc::conflict, "kafka producer: a fatal error stopped it; recreate it");
  }
  const std::string t(topic);
  const auto err = rd_kafka_producev(
      impl_->rk.get(), RD_KAFKA_V_TOPIC(t.c_str()),
      // An empty key is sent as a null key, which the partitioner spreads at random.
      RD_KAFKA_V_KEY(key.empty() ? nullptr : const_cast<char*>(key.data()), key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::uintptr_t>(id))), RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return rdkafka_error(err, "produce to " + t + " (" + std::to_string(payload.size()) +
                                  " bytes, key \"" + std::string(key.substr(0, 64)) + "\")");
  }
  return {};
}

status producer::flush(std::chrono::milliseconds timeout) {
  const auto err = rd_kafka_flush(impl_->rk.get(), static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return rdkafka_error(err, "flush: " + std::to_string(rd_kafka_outq_len(impl_->rk.get())) +
                                  " records still outstanding after " +
                                  std::to_string(timeout.count()) + " ms");
  }
  return {};
}

int producer::poll(std::chrono::milliseconds timeout) {
  return rd_kafka_poll(impl_->rk.get(), static_cast<int>(timeout.count()));
}

std::size_t producer::outstanding() const {
  const int n = rd_kafka_outq_len(impl_->rk.get());
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

bool producer::brokers_reachable() const noexcept {
  return impl_->reachable();
}

}  // namespace otaflow::kafka
