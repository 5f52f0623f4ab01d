#include "kafka/admin.hpp"

#include <memory>

#include "kafka/client.hpp"
#include "kafka/errc.hpp"

namespace otaflow::kafka {
namespace {

struct new_topic_deleter {
  void operator()(rd_kafka_NewTopic_t* t) const noexcept { rd_kafka_NewTopic_destroy(t); }
};
struct queue_deleter {
  void operator()(rd_kafka_queue_t* q) const noexcept { rd_kafka_queue_destroy(q); }
};
struct event_deleter {
  void operator()(rd_kafka_event_t* e) const noexcept { rd_kafka_event_destroy(e); }
};

struct admin_client final : detail::client_base {
  explicit admin_client(const kafka_options& opts) : client_base("admin", opts.brokers) {}
  ~admin_client() override { rk.reset(); }
  detail::handle_ptr rk;
};

// A failed request's error, or the brokers' refusal behind it (the error callback, served by
// rd_kafka_poll, knows why the connection failed: wrong password, untrusted certificate).
error refused_or(admin_client& client, error e) {
  rd_kafka_poll(client.rk.get(), 0);
  if (auto r = client.refusal()) return *r;
  return e;
}

}  // namespace

status check_access(const kafka_options& opts, std::chrono::milliseconds timeout) {
  admin_client client(opts);
  auto conf = detail::make_conf(opts, detail::role::admin, {{"log.connection.close", "false"}}, {},
                                &client);
  if (!conf) return std::move(conf).error();
  auto rk = detail::make_handle(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!rk) return std::move(rk).error();
  client.rk = std::move(*rk);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    // Short requests: a refusal is noticed within about half a second.
    const rd_kafka_metadata_t* md = nullptr;
    const auto err = rd_kafka_metadata(client.rk.get(), 0, nullptr, &md, 500);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_metadata_destroy(md);
      return {};
    }
    rd_kafka_poll(client.rk.get(), 0);
    if (auto r = client.refusal()) return *r;
    if (std::chrono::steady_clock::now() >= deadline) {
      auto e = rdkafka_error(err, "no Kafka broker at " + opts.brokers + " answered");
      e.cls = error_class::retriable;  // down or slow: worth waiting for
      return e;
    }
  }
}

status ensure_topics(const kafka_options& opts, const std::vector<topic_spec>& topics,
                     std::chrono::milliseconds timeout) {
  if (topics.empty()) return {};
  for (const auto& t : topics) {
    if (!valid_topic_name(t.name)) {
      return make_error(errc::bad_argument, "topic \"" + t.name + "\" is not a legal topic name");
    }
  }
  admin_client client(opts);
  auto conf = detail::make_conf(opts, detail::role::admin, {{"log.connection.close", "false"}}, {},
                                &client);
  if (!conf) return std::move(conf).error();
  auto rk = detail::make_handle(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!rk) return std::move(rk).error();
  client.rk = std::move(*rk);

  std::vector<std::unique_ptr<rd_kafka_NewTopic_t, new_topic_deleter>> owned;
  std::vector<rd_kafka_NewTopic_t*> raw;
  char errstr[512];
  for (const auto& t : topics) {
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(t.name.c_str(), t.partitions,
                                                    t.replication_factor, errstr, sizeof errstr);
    if (nt == nullptr) {
      return make_error(errc::bad_argument, "topic " + t.name + ": " + errstr);
    }
    owned.emplace_back(nt);
    raw.push_back(nt);
    for (const auto& [k, v] : t.configs) {
      if (const auto err = rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str()); err) {
        return rdkafka_error(err, "topic " + t.name + ": config " + k);
      }
    }
  }
  std::unique_ptr<rd_kafka_queue_t, queue_deleter> queue(rd_kafka_queue_new(client.rk.get()));
  rd_kafka_AdminOptions_t* options =
      rd_kafka_AdminOptions_new(client.rk.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(options, static_cast<int>(timeout.count()), errstr,
                                              sizeof errstr);
  rd_kafka_AdminOptions_set_request_timeout(options, static_cast<int>(timeout.count()), errstr,
                                            sizeof errstr);
  rd_kafka_CreateTopics(client.rk.get(), raw.data(), raw.size(), options, queue.get());
  rd_kafka_AdminOptions_destroy(options);

  // Give the request its own timeout plus a margin before giving up on the reply.
  std::unique_ptr<rd_kafka_event_t, event_deleter> ev(
      rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count()) + 1000));
  if (!ev) return refused_or(client, rdkafka_error(RD_KAFKA_RESP_ERR__TIMED_OUT, "create topics"));
  if (const auto err = rd_kafka_event_error(ev.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return rdkafka_error(err,
                         std::string("create topics: ") + rd_kafka_event_error_string(ev.get()));
  }
  const auto* res = rd_kafka_event_CreateTopics_result(ev.get());
  size_t n = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
  for (size_t i = 0; i < n; ++i) {
    const auto err = rd_kafka_topic_result_error(results[i]);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      continue;
    }
    const char* msg = rd_kafka_topic_result_error_string(results[i]);
    return rdkafka_error(err, std::string("create topic ") +
                                  rd_kafka_topic_result_name(results[i]) +
                                  (msg ? std::string(": ") + msg : std::string()));
  }
  return {};
}

result<std::optional<topic_description>> describe_topic(const kafka_options& opts,
                                                        std::string_view topic,
                                                        std::chrono::milliseconds timeout) {
  admin_client client(opts);
  auto conf = detail::make_conf(opts, detail::role::admin, {{"log.connection.close", "false"}}, {},
                                &client);
  if (!conf) return std::move(conf).error();
  auto rk = detail::make_handle(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!rk) return std::move(rk).error();
  client.rk = std::move(*rk);
  const rd_kafka_metadata_t* md = nullptr;
  // all_topics = 1: a request naming the topic could make the broker auto-create it.
  const auto err =
      rd_kafka_metadata(client.rk.get(), 1, nullptr, &md, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return refused_or(client, rdkafka_error(err, "metadata of topic " + std::string(topic)));
  }
  std::unique_ptr<const rd_kafka_metadata_t, void (*)(const rd_kafka_metadata_t*)> owned(
      md, &rd_kafka_metadata_destroy);
  for (int i = 0; i < md->topic_cnt; ++i) {
    const auto& t = md->topics[i];
    if (topic != t.topic) continue;
    if (t.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) break;
    if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return rdkafka_error(t.err, "metadata of topic " + std::string(topic));
    }
    topic_description d;
    d.name = t.topic;
    d.partitions = t.partition_cnt;
    d.replication_factor = t.partition_cnt > 0 ? t.partitions[0].replica_cnt : 0;
    return std::optional<topic_description>(std::move(d));
  }
  return std::optional<topic_description>();
}

}  // namespace otaflow::kafka
