#include "service/serve_config.hpp"

#include "actors/submit_options.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "actors/campaign_def.hpp"
#include "base/bytes.hpp"
#include "base/secrets.hpp"
#include "service/http_server.hpp"

namespace otaflow::service {
namespace {

using nlohmann::json;

error bad(const std::string& key, const std::string& what) {
  return make_error(errc::bad_value, "config key '" + key + "': " + what);
}

// One handler per known key of a table; unknown keys are errors.
using handler = std::function<status(const json&)>;

status apply(const json& table, const std::string& prefix,
             const std::map<std::string, handler>& handlers) {
  if (!table.is_object()) return bad(prefix, "expected a table");
  for (const auto& [k, v] : table.items()) {
    const auto key = prefix.empty() ? k : prefix + "." + k;
    auto h = handlers.find(k);
    if (h == handlers.end())
      return make_error(errc::bad_value, "config: unknown key '" + key + "'");
    OTAFLOW_TRY(h->second(v));
  }
  return {};
}

handler str(std::string& out, std::string key, bool non_empty = true) {
  return [&out, key, non_empty](const json& v) -> status {
    if (!v.is_string()) return bad(key, "expected a string");
    out = v.get<std::string>();
    if (non_empty && out.empty()) return bad(key, "must not be empty");
    return {};
  };
}

handler flag(bool& out, std::string key) {
  return [&out, key](const json& v) -> status {
    if (!v.is_boolean()) return bad(key, "expected true or false");
    out = v.get<bool>();
    return {};
  };
}

template <class T>
handler num(T& out, std::string key, double lo, double hi) {
  return [&out, key, lo, hi](const json& v) -> status {
    if (!v.is_number()) return bad(key, "expected a number");
    const double d = v.get<double>();
    if (!std::isfinite(d) || d < lo || d > hi) {  // NaN fails every comparison
      std::ostringstream os;
      os << "must be between " << lo << " and " << hi << ", got " << d;
      return bad(key, os.str());
    }
    if constexpr (std::is_integral_v<T>) {
      if (d != static_cast<double>(static_cast<long long>(d)))
        return bad(key, "expected an integer");
    }
    out = static_cast<T>(d);
    return {};
  };
}

handler dur(std::chrono::milliseconds& out, std::string key) {
  return [&out, key](const json& v) -> status {
    if (v.is_number()) {
      // Seconds; bounded before the cast (a NaN or 1e300 cast to an integer is undefined).
      const double s = v.get<double>();
      if (!std::isfinite(s) || s < 0 || s > 366.0 * 86400) {
        std::ostringstream os;
        os << "must be a duration of 0 to 366 days, got " << s;
        return bad(key, os.str());
      }
      out = std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000));
      return {};
    }
    if (!v.is_string()) return bad(key, "expected a duration like \"30s\"");
    auto d = actors::parse_duration(v.get<std::string>());
    if (!d) return bad(key, d.error().message);
    out = *d;
    return {};
  };
}

// A table of librdkafka properties, passed through as strings.
handler props(std::map<std::string, std::string>& out, std::string key) {
  return [&out, key](const json& v) -> status {
    if (!v.is_object()) return bad(key, "expected a table of librdkafka properties");
    for (const auto& [k, p] : v.items()) {
      if (p.is_string()) {
        out[k] = p.get<std::string>();
      } else if (p.is_boolean()) {
        out[k] = p.get<bool>() ? "true" : "false";
      } else if (p.is_number_integer()) {
        out[k] = std::to_string(p.get<long long>());
      } else {
        return bad(key + "." + k, "expected a string, integer or boolean");
      }
    }
    return {};
  };
}

// A named client setting that maps onto one librdkafka property.
handler prop(kafka::kafka_options& k, std::string property, std::string key) {
  return [&k, property, key](const json& v) -> status {
    if (!v.is_string()) return bad(key, "expected a string");
    k.client_properties[property] = v.get<std::string>();
    return {};
  };
}

result<actors::smpp_options> parse_address(const std::string& hp, const std::string& key) {
  const auto colon = hp.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == hp.size()) {
    return bad(key, "expected HOST:PORT, got '" + hp + "'");
  }
  actors::smpp_options o;
  o.host = hp.substr(0, colon);
  const auto port_text = hp.substr(colon + 1);
  if (port_text.find_first_not_of("0123456789") != std::string::npos || port_text.size() > 5) {
    return bad(key, "bad port in '" + hp + "'");
  }
  const int port = std::stoi(port_text);
  if (port <= 0 || port > 65535) return bad(key, "bad port in '" + hp + "'");
  o.port = static_cast<std::uint16_t>(port);
  return o;
}

// [[smsc]] password_file: the password of a mode-600 file (never the configuration's text).
status read_password_file(const std::string& file, const std::string& key, std::string& out) {
  auto text = read_private_file(file, key);
  if (!text) return text.error();
  out = std::move(*text);
  return {};
}

// One [[smsc]] table (serve's, or a route's [[route.smsc]]): `binds` copies of its options.
// `holds_password` is set when the table holds a password itself (not a password_file).
status parse_smsc_entry(const json& e, const std::string& where,
                        std::vector<actors::smpp_options>& out, bool& holds_password) {
  {
    if (!e.is_object()) return bad(where, "expected a table");
    std::string address, password_file;
    actors::smpp_options o;
    int binds = 1;
    OTAFLOW_TRY(apply(
        e, where,
        {{"address", str(address, where + ".address")},
         {"system_id", str(o.system_id, where + ".system_id")},
         {"password", str(o.password, where + ".password", false)},
         {"system_type", str(o.system_type, where + ".system_type", false)},
         {"source_addr", str(o.source_addr, where + ".source_addr")},
         {"binds", num(binds, where + ".binds", 1, 64)},
         {"rate", num(o.rate, where + ".rate", 0, 1e6)},
         {"window", num(o.window, where + ".window", 1, 65535)},
         {"enquire_link_interval", dur(o.enquire_link_interval, where + ".enquire_link_interval")},
         {"response_timeout", dur(o.response_timeout, where + ".response_timeout")},
         {"reconnect_max", dur(o.reconnect_max, where + ".reconnect_max")},
         {"password_file", str(password_file, where + ".password_file")},
         {"tls", flag(o.tls, where + ".tls")},
         {"tls_ca_file", str(o.tls_options.ca_file, where + ".tls_ca_file")},
         {"tls_cert_file", str(o.tls_options.cert_file, where + ".tls_cert_file")},
         {"tls_key_file", str(o.tls_options.key_file, where + ".tls_key_file")},
         {"tls_server_name", str(o.tls_options.server_name, where + ".tls_server_name")}}));
    if (!o.password.empty()) holds_password = true;
    if (!password_file.empty()) {
      if (!o.password.empty()) {
        return bad(where + ".password_file", "give password or password_file, not both");
      }
      OTAFLOW_TRY(read_password_file(password_file, where + ".password_file", o.password));
    }
    if (address.empty()) return bad(where + ".address", "missing");
    if (o.system_id.empty()) return bad(where + ".system_id", "missing");
    if (o.system_id.size() > 15)
      return bad(where + ".system_id", "at most 15 characters (SMPP 3.4)");
    if (o.password.size() > 8) return bad(where + ".password", "at most 8 characters (SMPP 3.4)");
    const auto& t = o.tls_options;
    if (!o.tls && !(t.ca_file.empty() && t.cert_file.empty() && t.key_file.empty() &&
                    t.server_name.empty())) {
      return bad(where + ".tls", "tls_* keys are set but tls is not true");
    }
    auto ep = parse_address(address, where + ".address");
    if (!ep) return ep.error();
    o.host = ep->host;
    o.port = ep->port;
    for (int b = 0; b < binds; ++b) out.push_back(o);
  }
  return {};
}

status parse_smsc(const json& list, const std::string& key, std::vector<actors::smpp_options>& out,
                  bool& holds_password) {
  if (!list.is_array() || list.empty()) {
    return bad(key, "expected one or more [[" + key + "]] tables");
  }
  std::size_t i = 0;
  for (const auto& e : list) {
    OTAFLOW_TRY(parse_smsc_entry(e, key + "[" + std::to_string(i++) + "]", out, holds_password));
  }
  return {};
}

// One [[route.match]] table: every key given must hold.
status parse_route_match(const json& e, const std::string& where, actors::route_match& m) {
  std::string mcc_mnc;
  OTAFLOW_TRY(apply(e, where,
                    {{"imsi_prefix", str(m.imsi_prefix, where + ".imsi_prefix")},
                     {"mcc_mnc", str(mcc_mnc, where + ".mcc_mnc")},
                     {"msisdn_prefix", str(m.msisdn_prefix, where + ".msisdn_prefix")},
                     {"attributes", [&](const json& v) -> status {
                        if (!v.is_object()) return bad(where + ".attributes", "expected a table");
                        for (const auto& [k, a] : v.items()) {
                          if (!a.is_string())
                            return bad(where + ".attributes." + k, "expected a string");
                          m.attributes[k] = a.get<std::string>();
                        }
                        return {};
                      }}}));
  if (!mcc_mnc.empty()) {
    if (!m.imsi_prefix.empty()) {
      return bad(where, "give imsi_prefix or mcc_mnc, not both");
    }
    auto p = actors::mcc_mnc_prefix(mcc_mnc);
    if (!p) return bad(where + ".mcc_mnc", p.error().message);
    m.imsi_prefix = *p;
  }
  return {};
}

// [[route]] tables: each with its [[route.smsc]] binds, [[route.match]] rules and fall-backs.
result<actors::route_table> parse_routes(const json& list, bool& holds_password) {
  if (!list.is_array() || list.empty())
    return bad("route", "expected one or more [[route]] tables");
  std::vector<actors::route_def> routes;
  std::size_t i = 0;
  for (const auto& e : list) {
    const auto where = "route[" + std::to_string(i++) + "]";
    actors::route_def r;
    actors::submit_options submit;
    OTAFLOW_TRY(apply(
        e, where,
        {{"name", str(r.name, where + ".name")},
         {"down_after", dur(r.down_after, where + ".down_after")},
         {"fallback",
          [&](const json& v) -> status {
            if (!v.is_array()) return bad(where + ".fallback", "expected a list of route names");
            for (const auto& f : v) {
              if (!f.is_string()) return bad(where + ".fallback", "expected route names");
              r.fallback.push_back(f.get<std::string>());
            }
            return {};
          }},
         {"smsc",
          [&](const json& v) { return parse_smsc(v, where + ".smsc", r.binds, holds_password); }},
         {"submit",
          [&](const json& v) -> status {
            auto o = actors::parse_submit_options(v, where + ".submit");
            if (!o) return o.error();
            submit = std::move(*o);
            return {};
          }},
         {"match", [&](const json& v) -> status {
            if (!v.is_array()) return bad(where + ".match", "expected [[route.match]] tables");
            std::size_t m = 0;
            for (const auto& me : v) {
              OTAFLOW_TRY(parse_route_match(me, where + ".match[" + std::to_string(m++) + "]",
                                            r.match.emplace_back()));
            }
            return {};
          }}}));
    if (r.name.empty()) return bad(where + ".name", "missing");
    if (r.binds.empty()) return bad(where + ".smsc", "missing: at least one [[route.smsc]] table");
    for (auto& b : r.binds) b.submit = submit;  // [route.submit]: the route's defaults
    routes.push_back(std::move(r));
  }
  return actors::route_table::make(std::move(routes));
}

// The Kafka SASL password from [kafka] sasl_password_file (mode 600) or, when the file gives
// neither sasl_password nor sasl_password_file, from OTAFLOW_KAFKA_SASL_PASSWORD (removed from
// the environment once read, whether used or not).
status kafka_sasl_password(kafka::kafka_options& k, const std::string& file) {
  auto env = take_env(kafka_sasl_password_env);
  const bool in_text = k.client_properties.count("sasl.password") > 0;
  if (!file.empty()) {
    if (in_text) {
      return bad("kafka.sasl_password_file", "give sasl_password or sasl_password_file, not both");
    }
    auto text = read_private_file(file, "kafka.sasl_password_file");
    if (!text) return text.error();
    if (text->empty()) return bad("kafka.sasl_password_file", "the file " + file + " is empty");
    k.client_properties["sasl.password"] = std::move(*text);
  } else if (!in_text && env && !env->empty()) {
    k.client_properties["sasl.password"] = std::move(*env);
  }
  return {};
}

// [kafka]'s secrets: whether the text itself holds a password (before one is read from a file
// or the environment), the SASL password, and the client key's mode.
status kafka_secrets(serve_config& c, const std::string& sasl_password_file) {
  auto& k = c.kafka;
  for (const auto* m : {&k.client_properties, &k.producer_properties, &k.consumer_properties}) {
    if (m->count("sasl.password") || m->count("ssl.key.password")) c.holds_password = true;
  }
  OTAFLOW_TRY(kafka_sasl_password(k, sasl_password_file));
  // The client's private key (mutual TLS): only its owner may read it.
  if (auto key = k.client_properties.find("ssl.key.location"); key != k.client_properties.end()) {
    OTAFLOW_TRY(check_private_file(key->second, "kafka.ssl_key_location"));
  }
  return {};
}

std::string default_instance_id(const std::filesystem::path& state_dir) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
    std::snprintf(host, sizeof host, "host");
  std::error_code ec;
  auto abs = std::filesystem::absolute(state_dir, ec);
  const auto h = std::hash<std::string>{}((ec ? state_dir : abs).lexically_normal().string());
  std::string id = std::string(host) + "-" + to_hex(h & 0xFFFFFFFFu, 8);
  // Keep it a legal part of a group id and readable.
  for (auto& ch : id) {
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.'))
      ch = '_';
  }
  return id;
}

}  // namespace

// The KEK source of `c`: kek_file, or [kek] pkcs11_* (complete; not with kek_file, and not
// in partitioned mode, whose instances share sealed rows and so need one data key).
// The routes of `c`: its [[route]] tables, or one catch-all route of its [[smsc]] binds.
static status set_routes(serve_config& c) {
  if (!c.routes.empty()) {
    if (!c.binds.empty()) return bad("smsc", "give [[route]] tables or [[smsc]], not both");
    c.binds = c.routes.all_binds();
    return {};
  }
  if (c.binds.empty()) {
    return bad("smsc", "missing: at least one [[smsc]] table (or [[route]] tables)");
  }
  c.routes = actors::route_table::single(c.binds);
  return {};
}

static status set_kek(serve_config& c, const std::string& kek_file,
                      const storage::pkcs11_config& p11) {
  if (!kek_file.empty()) c.kek.file = kek_file;
  if (p11 != storage::pkcs11_config{}) {
    if (!kek_file.empty()) return bad("kek", "give kek_file or [kek] pkcs11_*, not both");
    for (auto [name, v] :
         {std::pair{"kek.pkcs11_module", &p11.module}, std::pair{"kek.pkcs11_token", &p11.token},
          std::pair{"kek.pkcs11_key_label", &p11.key_label}}) {
      if (v->empty()) return bad(name, "missing (a PKCS#11 KEK needs module, token and key label)");
    }
    // Partition-owned instances share sealed rows (the subscribers topic, the changelog), so
    // they need one data key; a token KEK gives each state directory its own.
    if (c.serve.partitioned) {
      return bad("kek",
                 "[serve] partitioned needs the KEK itself (kek_file or OTAFLOW_KEK), "
                 "shared by every instance; a PKCS#11 KEK gives each state directory "
                 "its own data key");
    }
    c.kek.pkcs11 = p11;
  }
  if (c.serve.partitioned && kek_file.empty()) {
    if (const char* e = std::getenv(storage::pkcs11_env_var); e && *e) {
      return bad("kek", std::string("[serve] partitioned needs the KEK itself (kek_file or "
                                    "OTAFLOW_KEK), not the PKCS#11 key ") +
                            storage::pkcs11_env_var + " names");
    }
  }
  return {};
}

result<serve_config> parse_serve_config(std::string_view text, std::string_view source) {
  auto parsed = actors::toml_to_json(text, source);
  if (!parsed) return parsed.error();
  const json& j = *parsed;

  serve_config c;
  std::string state_dir, kek_file, sasl_password_file;
  storage::pkcs11_config p11;
  auto& k = c.kafka;
  auto with_source = [&](status s) -> status {
    if (s) return s;
    return make_error(s.error().code, std::string(source) + ": " + s.error().message);
  };
  auto fail = [&](const error& e) -> error {
    return make_error(e.code, std::string(source) + ": " + e.message);
  };
  const auto st = apply(
      j, "",
      {{"state_dir", str(state_dir, "state_dir")},
       {"kek_file", str(kek_file, "kek_file")},
       {"kek",
        [&](const json& v) {
          return apply(v, "kek",
                       {{"pkcs11_module", str(p11.module, "kek.pkcs11_module")},
                        {"pkcs11_token", str(p11.token, "kek.pkcs11_token")},
                        {"pkcs11_key_label", str(p11.key_label, "kek.pkcs11_key_label")},
                        {"pkcs11_pin_file", str(p11.pin_file, "kek.pkcs11_pin_file")}});
        }},
       {"instance_id", str(c.instance_id, "instance_id")},
       {"kafka",
        [&](const json& v) {
          return apply(
              v, "kafka",
              {{"brokers", str(k.brokers, "kafka.brokers")},
               {"group_id", str(k.group_id, "kafka.group_id")},
               {"triggers_topic", str(k.triggers_topic, "kafka.triggers_topic")},
               {"status_topic", str(k.status_topic, "kafka.status_topic")},
               {"dlq_topic", str(k.dlq_topic, "kafka.dlq_topic")},
               {"alerts_topic", str(k.alerts_topic, "kafka.alerts_topic")},
               {"state_topic", str(k.state_topic, "kafka.state_topic")},
               {"subscribers_topic", str(k.subscribers_topic, "kafka.subscribers_topic")},
               {"mo_topic", str(k.mo_topic, "kafka.mo_topic")},
               {"client_id", prop(k, "client.id", "kafka.client_id")},
               {"security_protocol", prop(k, "security.protocol", "kafka.security_protocol")},
               {"sasl_mechanism", prop(k, "sasl.mechanisms", "kafka.sasl_mechanism")},
               {"sasl_username", prop(k, "sasl.username", "kafka.sasl_username")},
               {"sasl_password", prop(k, "sasl.password", "kafka.sasl_password")},
               {"sasl_password_file", str(sasl_password_file, "kafka.sasl_password_file")},
               {"ssl_ca_location", prop(k, "ssl.ca.location", "kafka.ssl_ca_location")},
               {"ssl_certificate_location",
                prop(k, "ssl.certificate.location", "kafka.ssl_certificate_location")},
               {"ssl_key_location", prop(k, "ssl.key.location", "kafka.ssl_key_location")},
               {"ssl_key_password", prop(k, "ssl.key.password", "kafka.ssl_key_password")},
               {"properties", props(k.client_properties, "kafka.properties")},
               {"producer_properties", props(k.producer_properties, "kafka.producer_properties")},
               {"consumer_properties", props(k.consumer_properties, "kafka.consumer_properties")}});
        }},
       {"smsc", [&](const json& v) { return parse_smsc(v, "smsc", c.binds, c.holds_password); }},
       {"route",
        [&](const json& v) -> status {
          auto r = parse_routes(v, c.holds_password);
          if (!r) return r.error();
          c.routes = std::move(*r);
          return {};
        }},
       {"engine",
        [&](const json& v) {
          return apply(
              v, "engine",
              {{"window", num(c.service.window, "engine.window", 1, 1'000'000)},
               {"scheduler_threads",
                num(c.engine.scheduler_threads, "engine.scheduler_threads", 0, 256)},
               {"scheduler_policy", str(c.engine.scheduler_policy, "engine.scheduler_policy")},
               {"crypto_batch_max",
                num(c.engine.crypto_batch_max, "engine.crypto_batch_max", 1, 65536)},
               {"journal_batch_max",
                num(c.engine.journal_batch_max, "engine.journal_batch_max", 1, 65536)},
               {"expand_chunk", num(c.engine.expand_chunk, "engine.expand_chunk", 1, 65536)},
               {"journal_backlog_max",
                num(c.engine.journal_backlog_max, "engine.journal_backlog_max", 0, 100'000'000)},
               {"journal_save_attempts",
                num(c.engine.journal_save_attempts, "engine.journal_save_attempts", 1, 100)}});
        }},
       {"serve",
        [&](const json& v) {
          auto& s = c.serve;
          return apply(
              v, "serve",
              {{"poll_batch", num(s.poll_batch, "serve.poll_batch", 1, 100'000)},
               {"max_waiting", num(s.max_waiting, "serve.max_waiting", 1, 1'000'000)},
               {"resume_below", num(s.resume_below, "serve.resume_below", 0.1, 1)},
               {"unknown_campaign_grace",
                dur(s.unknown_campaign_grace, "serve.unknown_campaign_grace")},
               {"shutdown_grace", dur(s.shutdown_grace, "serve.shutdown_grace")},
               {"commit_interval", dur(s.commit_interval, "serve.commit_interval")},
               {"create_topics_partitions",
                num(s.create_topics_partitions, "serve.create_topics_partitions", 0, 10'000)},
               {"create_topics_replication",
                num(s.create_topics_replication, "serve.create_topics_replication", 1, 32)},
               {"produce_attempts", num(s.produce_attempts, "serve.produce_attempts", 1, 100)},
               {"partitioned", flag(s.partitioned, "serve.partitioned")}});
        }},
       {"http",
        [&](const json& v) {
          return apply(v, "http",
                       {{"listen", str(c.http_listen, "http.listen")},
                        {"token_file", str(c.http_token_file, "http.token_file")}});
        }},
       {"approvals",
        [&](const json& v) -> status {
          auto p = actors::parse_approval_policy(v);
          if (!p) return p.error();
          c.approvals = std::move(*p);
          return {};
        }},
       {"audit", [&](const json& v) {
          return apply(v, "audit",
                       {{"signing_key", str(c.audit_key_file, "audit.signing_key")},
                        {"checkpoint_every",
                         num(c.audit_checkpoint_every, "audit.checkpoint_every", 1, 100'000'000)}});
        }}});
  OTAFLOW_TRY(with_source(st));

  // Environment overrides (a container sets these rather than editing the file).
  if (const char* e = std::getenv("OTAFLOW_STATE_DIR"); e && *e) state_dir = e;
  if (const char* e = std::getenv("OTAFLOW_KAFKA_BROKERS"); e && *e) k.brokers = e;
  if (const char* e = std::getenv("OTAFLOW_AUDIT_KEY_FILE"); e && *e) c.audit_key_file = e;
  OTAFLOW_TRY(with_source(kafka_secrets(c, sasl_password_file)));

  if (state_dir.empty()) return fail(bad("state_dir", "missing"));
  c.state_dir = state_dir;
  if (auto e = set_kek(c, kek_file, p11); !e) return fail(e.error());
  if (k.brokers.empty()) {
    return fail(bad("kafka.brokers", "missing (or set OTAFLOW_KAFKA_BROKERS)"));
  }
  OTAFLOW_TRY(with_source(kafka::validate(k)));
  if (auto e = set_routes(c); !e) return fail(e.error());
  if (c.engine.scheduler_policy != "sharing" && c.engine.scheduler_policy != "stealing") {
    return fail(bad("engine.scheduler_policy",
                    "'" + c.engine.scheduler_policy + "' is neither 'sharing' nor 'stealing'"));
  }
  if (!c.http_listen.empty()) {
    if (auto l = parse_listen(c.http_listen); !l)
      return fail(bad("http.listen", l.error().message));
  }
  if (c.instance_id.empty()) c.instance_id = default_instance_id(c.state_dir);
  return c;
}

result<actors::route_table> parse_routes_file(std::string_view text, std::string_view source) {
  auto parsed = actors::toml_to_json(text, source);
  if (!parsed) return parsed.error();
  actors::route_table routes;
  bool holds_password = false;  // the file's own mode is checked by load_routes_file
  const auto st = apply(*parsed, "", {{"route", [&](const json& v) -> status {
                                         auto r = parse_routes(v, holds_password);
                                         if (!r) return r.error();
                                         routes = std::move(*r);
                                         return {};
                                       }}});
  if (!st) return make_error(st.error().code, std::string(source) + ": " + st.error().message);
  if (routes.empty()) {
    return make_error(errc::bad_value, std::string(source) + ": no [[route]] table");
  }
  return routes;
}

result<actors::route_table> load_routes_file(const std::filesystem::path& path) {
  // The file holds SMSC passwords: only its owner may read it (base/secrets.hpp).
  auto text = read_private_file(path.string(), "routes file");
  if (!text) return text.error();
  return parse_routes_file(*text, path.string());
}

result<serve_config> load_serve_config(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return make_error(errc::io, "cannot read configuration file '" + path.string() + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  auto c = parse_serve_config(ss.str(), path.string());
  if (c && c->holds_password) {
    OTAFLOW_TRY(check_private_file(path.string(), "configuration file (it holds a password)"));
  }
  return c;
}

}  // namespace otaflow::service
