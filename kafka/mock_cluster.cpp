#include "kafka/mock_cluster.hpp"

#include <utility>

// rdkafka_mock.h needs rdkafka.h first (its own #error says so); separate blocks keep the order.
#include <librdkafka/rdkafka.h>

#include <librdkafka/rdkafka_mock.h>

#include "kafka/client.hpp"
#include "kafka/errc.hpp"

namespace otaflow::kafka {

struct mock_cluster::impl {
  ~impl() {
    if (cluster != nullptr) rd_kafka_mock_cluster_destroy(cluster);
    host.reset();  // the cluster runs on the host handle's threads: destroy it last
  }
  detail::handle_ptr host;
  rd_kafka_mock_cluster_t* cluster = nullptr;
};

mock_cluster::mock_cluster(std::unique_ptr<impl> p) : impl_(std::move(p)) {
  bootstraps_ = rd_kafka_mock_cluster_bootstraps(impl_->cluster);
}

mock_cluster::~mock_cluster() = default;

result<std::unique_ptr<mock_cluster>> mock_cluster::create(int brokers) {
  if (brokers < 1) {
    return make_error(errc::bad_argument,
                      "mock cluster: broker count " + std::to_string(brokers) + " is below 1");
  }
  auto p = std::make_unique<impl>();
  // The host handle only lends its threads to the mock brokers; it talks to no broker.
  detail::conf_ptr conf(rd_kafka_conf_new());
  char errstr[512];
  // log_level 4: the host's notice "no bootstrap.servers configured" is expected here.
  for (const auto& [k, v] : {std::pair{"log.connection.close", "false"}, {"log_level", "4"}}) {
    if (rd_kafka_conf_set(conf.get(), k, v, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      return make_error(errc::internal, std::string("mock cluster: ") + errstr);
    }
  }
  detail::route_logs(conf.get());
  auto host = detail::make_handle(RD_KAFKA_PRODUCER, std::move(conf));
  if (!host) return std::move(host).error();
  p->host = std::move(*host);
  p->cluster = rd_kafka_mock_cluster_new(p->host.get(), brokers);
  if (p->cluster == nullptr) {
    return make_error(errc::io, "mock cluster: could not start " + std::to_string(brokers) +
                                    " mock brokers (no free loopback port?)");
  }
  return std::unique_ptr<mock_cluster>(new mock_cluster(std::move(p)));
}

status mock_cluster::create_topic(std::string_view topic, int partitions, int replication_factor) {
  if (partitions < 1 || replication_factor < 1) {
    return make_error(errc::bad_argument, "mock topic " + std::string(topic) + ": " +
                                              std::to_string(partitions) + " partitions, RF " +
                                              std::to_string(replication_factor) +
                                              " (both must be >= 1)");
  }
  const std::string t(topic);
  const auto err =
      rd_kafka_mock_topic_create(impl_->cluster, t.c_str(), partitions, replication_factor);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return rdkafka_error(err, "mock topic " + t);
  return {};
}

status mock_cluster::set_broker_down(std::int32_t id) {
  const auto err = rd_kafka_mock_broker_set_down(impl_->cluster, id);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return rdkafka_error(err, "mock broker " + std::to_string(id) + " down");
  }
  return {};
}

status mock_cluster::set_broker_up(std::int32_t id) {
  const auto err = rd_kafka_mock_broker_set_up(impl_->cluster, id);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return rdkafka_error(err, "mock broker " + std::to_string(id) + " up");
  }
  return {};
}

void mock_cluster::push_request_errors(mock_request r, const std::vector<int>& errs) {
  std::vector<rd_kafka_resp_err_t> codes;
  codes.reserve(errs.size());
  for (const int e : errs) codes.push_back(static_cast<rd_kafka_resp_err_t>(e));
  rd_kafka_mock_push_request_errors_array(impl_->cluster, static_cast<std::int16_t>(r),
                                          codes.size(), codes.data());
}

}  // namespace otaflow::kafka
