#include "kafka/client.hpp"

#include <cstring>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/log.hpp"
#include "kafka/errc.hpp"

namespace otaflow::kafka::detail {
namespace {

using clock = std::chrono::steady_clock;

// Transport errors repeat on every reconnect attempt; one line per minute is enough.
constexpr auto transport_log_interval = std::chrono::seconds(60);

client_base* owner_of(const rd_kafka_t* rk) {
  return static_cast<client_base*>(rd_kafka_opaque(rk));
}

void error_cb(rd_kafka_t* rk, int err, const char* reason, void* /*opaque*/) {
  if (auto* c = owner_of(rk)) c->on_error(rk, err, reason);
}

int stats_cb(rd_kafka_t* rk, char* json, size_t len, void* /*opaque*/) {
  if (auto* c = owner_of(rk)) c->on_stats(json, len);
  return 0;  // librdkafka frees the buffer
}

void log_cb(const rd_kafka_t* /*rk*/, int level, const char* fac, const char* buf) {
  // Broker connection failures ("FAIL") also reach the error callback, which logs them once
  // per outage; here they are only debug lines.
  const bool fail = std::strcmp(fac, "FAIL") == 0;
  spdlog::level::level_enum lvl = spdlog::level::debug;
  if (level <= 3 && !fail) {
    lvl = spdlog::level::err;
  } else if (level == 4 && !fail) {
    lvl = spdlog::level::warn;
  } else if (level <= 6 && !fail) {
    lvl = spdlog::level::info;
  }
  logger()->log(lvl, "librdkafka {}: {}", fac, buf);
}

// A TLS alert the broker sent after the handshake (TLS 1.3 checks the client's certificate
// then): librdkafka reports it as a transport error ("Receive failed: ... SSL routines::sslv3
// alert bad certificate"), yet it is a refusal, not an outage. A broker going away gives no
// alert (an EOF at most), so only alerts count.
bool tls_alert(rd_kafka_resp_err_t code, const char* reason) {
  if (code != RD_KAFKA_RESP_ERR__TRANSPORT || reason == nullptr) return false;
  const std::string_view r(reason);
  return r.find("SSL routines") != std::string_view::npos &&
         r.find(" alert ") != std::string_view::npos;
}

result<void> set_property(rd_kafka_conf_t* conf, const std::string& key, const std::string& value,
                          const char* origin) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) !=
      RD_KAFKA_CONF_OK) {
    // The value may be a secret (sasl.password): name the key only.
    return make_error(errc::bad_argument,
                      std::string("kafka property ") + key + " (" + origin + "): " + errstr);
  }
  return {};
}

}  // namespace

const std::shared_ptr<spdlog::logger>& logger() {
  static const std::shared_ptr<spdlog::logger> l = otaflow::log::get("kafka");
  return l;
}

client_base::client_base(std::string name, std::string brokers)
    : name_(std::move(name)), brokers_(std::move(brokers)) {}

void client_base::on_error(rd_kafka_t* rk, int err, const char* reason) {
  const auto code = static_cast<rd_kafka_resp_err_t>(err);
  switch (code) {
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN: {
      std::lock_guard lock(mu_);
      if (!down_.exchange(true)) {
        down_since_ = clock::now();
        logger()->warn("kafka {}: brokers unreachable ({}): {}", name_, brokers_, reason);
      }
      return;
    }
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR__SSL: {
      std::lock_guard lock(mu_);
      // The brokers answered and refused otaflow's credentials or certificate: no retry fixes
      // that. Kept for whoever asks (kafka::check_access fails a start with it).
      const bool refused = code == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
                           code == RD_KAFKA_RESP_ERR__SSL || tls_alert(code, reason);
      if (refused) {
        refusal_ = refusal_error(
            code == RD_KAFKA_RESP_ERR__AUTHENTICATION ? code : RD_KAFKA_RESP_ERR__SSL, reason);
      }
      const auto now = clock::now();
      if (last_transport_log_ == clock::time_point{} ||
          now - last_transport_log_ >= transport_log_interval) {
        if (refused && suppressed_transport_ > 0) {
          logger()->error("kafka {}: {} ({} similar suppressed)", name_, refusal_->message,
                          suppressed_transport_);
        } else if (refused) {
          logger()->error("kafka {}: {}", name_, refusal_->message);
        } else if (suppressed_transport_ > 0) {
          logger()->warn("kafka {}: broker connection failed: {} ({} similar suppressed)", name_,
                         reason, suppressed_transport_);
        } else {
          logger()->warn("kafka {}: broker connection failed: {}", name_, reason);
        }
        last_transport_log_ = now;
        suppressed_transport_ = 0;
      } else {
        ++suppressed_transport_;
      }
      return;
    }
    case RD_KAFKA_RESP_ERR__FATAL: {
      char buf[512];
      const auto orig = rd_kafka_fatal_error(rk, buf, sizeof buf);
      fatal_ = true;
      logger()->error("kafka {}: fatal error {}: {}", name_, rd_kafka_err2name(orig), buf);
      return;
    }
    default:
      logger()->warn("kafka {}: {} ({})", name_, reason, rd_kafka_err2name(code));
  }
}

std::optional<error> client_base::refusal() const {
  std::lock_guard lock(mu_);
  return refusal_;
}

void client_base::on_stats(const char* json, std::size_t len) {
  if (!down_.load()) return;  // parsing is only needed to notice a recovery
  const auto doc = nlohmann::json::parse(json, json + len, nullptr, false);
  if (doc.is_discarded()) return;
  const auto brokers = doc.find("brokers");
  if (brokers == doc.end() || !brokers->is_object()) return;
  for (const auto& [name, b] : brokers->items()) {
    // nodeid -1 is the bootstrap placeholder; a real broker in state UP answers requests.
    const auto node = b.find("nodeid");
    const auto state = b.find("state");
    if (node != b.end() && state != b.end() && node->is_number_integer() && node->get<int>() >= 0 &&
        state->is_string() && state->get<std::string>() == "UP") {
      mark_up("connected");
      return;
    }
  }
}

void client_base::on_activity() {
  if (down_.load()) mark_up("answering");
}

void client_base::mark_up(const char* how) {
  std::lock_guard lock(mu_);
  if (!down_.exchange(false)) return;
  const auto secs =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - down_since_).count() /
      1000.0;
  logger()->info("kafka {}: brokers reachable again ({}, {}) after {:.1f} s", name_, brokers_, how,
                 secs);
  last_transport_log_ = {};
  suppressed_transport_ = 0;
}

result<conf_ptr> make_conf(const kafka_options& opts, role r, const property_list& defaults,
                           const property_list& forced, client_base* owner) {
  if (opts.brokers.empty()) {
    return make_error(errc::bad_argument, "kafka.brokers is empty: give host:port[,host:port]");
  }
  conf_ptr conf(rd_kafka_conf_new());
  OTAFLOW_TRY(set_property(conf.get(), "bootstrap.servers", opts.brokers, "kafka.brokers"));
  for (const auto& [k, v] : defaults) OTAFLOW_TRY(set_property(conf.get(), k, v, "default"));
  for (const auto& [k, v] : opts.client_properties) {
    OTAFLOW_TRY(set_property(conf.get(), k, v, "client_properties"));
  }
  const auto& own = r == role::producer   ? opts.producer_properties
                    : r == role::consumer ? opts.consumer_properties
                                          : std::map<std::string, std::string>{};
  for (const auto& [k, v] : own) {
    OTAFLOW_TRY(set_property(conf.get(), k, v,
                             r == role::producer ? "producer_properties" : "consumer_properties"));
  }
  for (const auto& kv : forced) {
    const auto& k = kv.first;  // not a structured binding: clang 14 cannot capture one
    const auto& v = kv.second;
    auto check = [&](const std::map<std::string, std::string>& m, const char* origin) -> status {
      const auto it = m.find(k);
      if (it != m.end() && it->second != v) {
        return make_error(errc::bad_argument,
                          std::string("kafka property ") + k + "=" + it->second + " (" + origin +
                              ") conflicts with otaflow, which needs " + k + "=" + v);
      }
      return {};
    };
    OTAFLOW_TRY(check(opts.client_properties, "client_properties"));
    OTAFLOW_TRY(check(own, r == role::producer ? "producer_properties" : "consumer_properties"));
    OTAFLOW_TRY(set_property(conf.get(), k, v, "required"));
  }
  rd_kafka_conf_set_opaque(conf.get(), owner);
  rd_kafka_conf_set_error_cb(conf.get(), &error_cb);
  rd_kafka_conf_set_stats_cb(conf.get(), &stats_cb);
  route_logs(conf.get());
  return conf;
}

void route_logs(rd_kafka_conf_t* conf) {
  rd_kafka_conf_set_log_cb(conf, &log_cb);
}

error refusal_error(int code, const std::string& reason) {
  const bool auth = code == RD_KAFKA_RESP_ERR__AUTHENTICATION;
  std::string message =
      std::string(auth ? "Kafka authentication failed: " : "Kafka TLS handshake failed: ") + reason;
  // librdkafka before 2.6.1 sends a SCRAM nonce that Kafka 4.x brokers reject (RFC 5802's
  // strict comparison, librdkafka PR 4895): with the right password the login still fails.
  if (auth && rd_kafka_version() < 0x02060100 && reason.find("SCRAM") != std::string::npos) {
    message += std::string(" (librdkafka ") + rd_kafka_version_str() +
               " cannot log in with SCRAM to Kafka 4.x brokers; 2.6.1 or later can)";
  }
  return error{std::error_code(code, rdkafka_category()), std::move(message),
               error_class::permanent};
}

result<handle_ptr> make_handle(rd_kafka_type_t type, conf_ptr conf) {
  char errstr[512];
  // rd_kafka_new takes ownership of conf only on success.
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), errstr, sizeof errstr);
  if (rk == nullptr) {
    return make_error(errc::bad_argument,
                      std::string("cannot create the Kafka ") +
                          (type == RD_KAFKA_PRODUCER ? "producer" : "consumer") + ": " + errstr);
  }
  (void)conf.release();
  return handle_ptr(rk);
}

}  // namespace otaflow::kafka::detail
