#include "sim/smsc_config.hpp"

#include <charconv>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <sstream>

#include <toml++/toml.h>

namespace otaflow::sim {
namespace {

using setter = std::function<status(const toml::node&)>;

error config_error(const std::string& key, const std::string& what) {
  return make_error(errc::bad_value, "smsc config: " + key + ": " + what);
}

/// An integer setter with a range check.
template <class T>
setter int_field(const std::string& key, T& out, std::int64_t lo = 0,
                 std::int64_t hi = std::numeric_limits<T>::max()) {
  return [&out, key, lo, hi](const toml::node& n) -> status {
    auto v = n.value<std::int64_t>();
    if (!n.is_integer() || !v) return config_error(key, "expected an integer");
    if (*v < lo || *v > hi) {
      return config_error(key, std::to_string(*v) + " out of range [" + std::to_string(lo) + ", " +
                                   std::to_string(hi) + "]");
    }
    out = static_cast<T>(*v);
    return {};
  };
}

setter fraction_field(const std::string& key, double& out) {
  return [&out, key](const toml::node& n) -> status {
    auto v = n.value<double>();  // integers convert too (0 and 1 are fine fractions)
    if (!v) return config_error(key, "expected a number");
    if (!(*v >= 0.0 && *v <= 1.0)) return config_error(key, std::to_string(*v) + " not in [0, 1]");
    out = *v;
    return {};
  };
}

setter double_field(const std::string& key, double& out) {
  return [&out, key](const toml::node& n) -> status {
    auto v = n.value<double>();
    if (!v || *v < 0.0) return config_error(key, "expected a number >= 0");
    out = *v;
    return {};
  };
}

setter string_field(const std::string& key, std::string& out) {
  return [&out, key](const toml::node& n) -> status {
    auto v = n.value<std::string>();
    if (!n.is_string() || !v) return config_error(key, "expected a string");
    out = *v;
    return {};
  };
}

setter bool_field(const std::string& key, bool& out) {
  return [&out, key](const toml::node& n) -> status {
    auto v = n.value<bool>();
    if (!n.is_boolean() || !v) return config_error(key, "expected true or false");
    out = *v;
    return {};
  };
}

/// Applies every key of `table` through `fields`; an unknown key is an error.
status apply_table(const toml::table& table, const std::string& prefix,
                   const std::map<std::string, setter>& fields) {
  for (const auto& [k, node] : table) {
    const std::string key(k.str());
    auto it = fields.find(key);
    if (it == fields.end()) return config_error(prefix + key, "unknown key");
    OTAFLOW_TRY(it->second(node));
  }
  return {};
}

status apply_delay(const toml::node& n, smsc_delay_config& d) {
  const auto* t = n.as_table();
  if (!t) return config_error("faults.delivery_delay", "expected a table");
  const std::string p = "faults.delivery_delay.";
  std::map<std::string, setter> f{{"fixed_ms", int_field(p + "fixed_ms", d.fixed_ms)},
                                  {"mean_ms", int_field(p + "mean_ms", d.mean_ms)},
                                  {"min_ms", int_field(p + "min_ms", d.min_ms)},
                                  {"max_ms", int_field(p + "max_ms", d.max_ms)},
                                  {"distribution", [&d, p](const toml::node& v) -> status {
                                     auto s = v.value<std::string>();
                                     if (!s)
                                       return config_error(p + "distribution", "expected a string");
                                     if (*s == "none") {
                                       d.dist = smsc_delay_config::distribution::none;
                                     } else if (*s == "exponential") {
                                       d.dist = smsc_delay_config::distribution::exponential;
                                     } else if (*s == "uniform") {
                                       d.dist = smsc_delay_config::distribution::uniform;
                                     } else {
                                       return config_error(
                                           p + "distribution",
                                           "'" + *s + "' is not one of none, exponential, uniform");
                                     }
                                     return {};
                                   }}};
  return apply_table(*t, p, f);
}

status apply_faults(const toml::node& n, smsc_fault_config& c) {
  const auto* t = n.as_table();
  if (!t) return config_error("faults", "expected a table");
  const std::string p = "faults.";
  std::map<std::string, setter> f{
      {"seed", int_field(p + "seed", c.seed, 0, std::numeric_limits<std::int64_t>::max())},
      {"absent_fraction", fraction_field(p + "absent_fraction", c.absent_fraction)},
      {"absent_attempts", int_field(p + "absent_attempts", c.absent_attempts)},
      {"drop_fraction", fraction_field(p + "drop_fraction", c.drop_fraction)},
      {"drop_expires", bool_field(p + "drop_expires", c.drop_expires)},
      {"throttle_fraction", fraction_field(p + "throttle_fraction", c.throttle_fraction)},
      {"disconnect_fraction", fraction_field(p + "disconnect_fraction", c.disconnect_fraction)},
      {"sim_busy_fraction", fraction_field(p + "sim_busy_fraction", c.sim_busy_fraction)},
      {"por_drop_fraction", fraction_field(p + "por_drop_fraction", c.por_drop_fraction)},
      {"delivery_delay", [&c](const toml::node& v) { return apply_delay(v, c.delivery_delay); }},
  };
  return apply_table(*t, p, f);
}

status apply_accounts(const toml::node& n, std::vector<smsc_account>& out) {
  const auto* arr = n.as_array();
  if (!arr) return config_error("accounts", "expected an array of {system_id, password} tables");
  if (arr->empty()) return config_error("accounts", "an empty list: at least one account");
  std::vector<smsc_account> accounts;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const std::string p = "accounts[" + std::to_string(i) + "].";
    const auto* t = arr->get(i)->as_table();
    if (!t) return config_error(p, "expected a table");
    smsc_account a;
    std::map<std::string, setter> f{{"system_id", string_field(p + "system_id", a.system_id)},
                                    {"password", string_field(p + "password", a.password)}};
    OTAFLOW_TRY(apply_table(*t, p, f));
    accounts.push_back(std::move(a));
  }
  out = std::move(accounts);
  return {};
}

status apply_retry_schedule(const toml::node& n, std::vector<std::uint32_t>& out) {
  const auto* arr = n.as_array();
  if (!arr) return config_error("retry_schedule_ms", "expected an array of integers");
  std::vector<std::uint32_t> v;
  for (const auto& e : *arr) {
    auto x = e.value<std::int64_t>();
    if (!e.is_integer() || !x || *x < 0 || *x > std::numeric_limits<std::uint32_t>::max()) {
      return config_error("retry_schedule_ms", "entries must be integers in [0, 2^32)");
    }
    v.push_back(static_cast<std::uint32_t>(*x));
  }
  out = std::move(v);
  return {};
}

}  // namespace

const char* to_string(smsc_mo_delivery m) noexcept {
  return m == smsc_mo_delivery::origin ? "origin" : "round_robin";
}

result<smsc_mo_delivery> parse_mo_delivery(std::string_view text) {
  if (text == "round_robin") return smsc_mo_delivery::round_robin;
  if (text == "origin") return smsc_mo_delivery::origin;
  return make_error(errc::bad_value,
                    "mo_delivery '" + std::string(text) + "': expected round_robin or origin");
}

status parse_listen_address(std::string_view host_port, smsc_config& config) {
  const auto colon = host_port.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return make_error(errc::bad_argument,
                      "listen address '" + std::string(host_port) + "': expected HOST:PORT");
  }
  const auto port_text = host_port.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return make_error(errc::bad_argument,
                      "listen address '" + std::string(host_port) + "': bad port");
  }
  config.listen_host = std::string(host_port.substr(0, colon));
  config.listen_port = static_cast<std::uint16_t>(port);
  return {};
}

status validate(const smsc_config& c, bool need_account) {
  if (need_account && c.accounts.empty()) {
    return config_error("accounts", "at least one account is needed (there is no default)");
  }
  for (const auto& a : c.accounts) {
    if (a.system_id.empty() || a.system_id.size() > 15) {
      return config_error("accounts.system_id", "'" + a.system_id + "' must be 1..15 characters");
    }
    if (a.password.size() > 8) {
      return config_error("accounts.password", "for '" + a.system_id + "' longer than 8");
    }
  }
  if (c.smsc_system_id.size() > 15) return config_error("system_id", "longer than 15 characters");
  if (c.deliver_window == 0) return config_error("deliver_window", "must be >= 1");
  if (c.workers == 0 || c.workers > 256) return config_error("workers", "must be in [1, 256]");
  if (c.worker_batch == 0 || c.worker_batch > 4096) {
    return config_error("worker_batch", "must be in [1, 4096]");
  }
  if (c.max_binds == 0) return config_error("max_binds", "must be >= 1");
  if (c.max_pdu_length < 16) return config_error("max_pdu_length", "must be >= 16");
  if (c.faults.delivery_delay.max_ms < c.faults.delivery_delay.min_ms) {
    return config_error("faults.delivery_delay.max_ms", "smaller than min_ms");
  }
  if (c.tls_cert_file.empty() != c.tls_key_file.empty()) {
    return config_error(c.tls_cert_file.empty() ? "tls_cert" : "tls_key",
                        "tls_cert and tls_key go together");
  }
  if (c.scts_timezone_quarters < -48 || c.scts_timezone_quarters > 56) {
    return config_error("scts_timezone_quarters", "must be in [-48, 56]");
  }
  return {};
}

result<smsc_config> parse_smsc_config(std::string_view toml_text, smsc_config base) {
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << "smsc config: TOML syntax error at line " << e.source().begin.line << ": "
       << e.description();
    return make_error(errc::bad_value, os.str());
  }
  const toml::table* t = &root;
  if (const auto* smsc = root.get("smsc")) {
    t = smsc->as_table();
    if (!t) return config_error("smsc", "expected a table");
  }
  smsc_config& c = base;
  std::map<std::string, setter> f{
      {"listen",
       [&c](const toml::node& n) -> status {
         auto s = n.value<std::string>();
         if (!s) return config_error("listen", "expected \"HOST:PORT\"");
         return parse_listen_address(*s, c);
       }},
      {"system_id", string_field("system_id", c.smsc_system_id)},
      {"accounts", [&c](const toml::node& n) { return apply_accounts(n, c.accounts); }},
      {"max_binds", int_field("max_binds", c.max_binds)},
      {"deliver_window", int_field("deliver_window", c.deliver_window, 1)},
      {"mo_delivery",
       [&c](const toml::node& n) -> status {
         auto s = n.value<std::string>();
         if (!n.is_string() || !s) return config_error("mo_delivery", "expected a string");
         auto m = parse_mo_delivery(*s);
         if (!m)
           return config_error("mo_delivery", "'" + *s + "' is not one of round_robin, origin");
         c.mo_delivery = *m;
         return {};
       }},
      {"submit_queue_limit", int_field("submit_queue_limit", c.submit_queue_limit)},
      {"tps_per_bind", double_field("tps_per_bind", c.tps_per_bind)},
      {"tps_burst", int_field("tps_burst", c.tps_burst)},
      {"workers", int_field("workers", c.workers, 1, 256)},
      {"worker_batch", int_field("worker_batch", c.worker_batch, 1, 4096)},
      {"retry_schedule_ms",
       [&c](const toml::node& n) { return apply_retry_schedule(n, c.retry_schedule_ms); }},
      {"default_validity_s", int_field("default_validity_s", c.default_validity_s)},
      {"response_timeout_ms", int_field("response_timeout_ms", c.response_timeout_ms)},
      {"idle_timeout_ms", int_field("idle_timeout_ms", c.idle_timeout_ms)},
      {"bind_timeout_ms", int_field("bind_timeout_ms", c.bind_timeout_ms)},
      {"max_pdu_length", int_field("max_pdu_length", c.max_pdu_length, 16)},
      {"esme_queue_limit", int_field("esme_queue_limit", c.esme_queue_limit)},
      {"output_buffer_limit", int_field("output_buffer_limit", c.output_buffer_limit, 4096)},
      {"scts_timezone_quarters",
       int_field("scts_timezone_quarters", c.scts_timezone_quarters, -48, 56)},
      {"faults", [&c](const toml::node& n) { return apply_faults(n, c.faults); }},
      {"tls_cert", string_field("tls_cert", c.tls_cert_file)},
      {"tls_key", string_field("tls_key", c.tls_key_file)},
  };
  OTAFLOW_TRY(apply_table(*t, "", f));
  OTAFLOW_TRY(validate(c, false));
  return base;
}

result<smsc_config> load_smsc_config(const std::string& path, smsc_config base) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(errc::io, "smsc config: cannot open '" + path + "'");
  std::ostringstream os;
  os << in.rdbuf();
  return parse_smsc_config(os.str(), std::move(base));
}

}  // namespace otaflow::sim
