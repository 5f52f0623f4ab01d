#include "actors/submit_options.hpp"

#include <array>
#include <cmath>
#include <string_view>

#include <nlohmann/json.hpp>

#include "actors/campaign_def.hpp"
#include "codec/smpp34_constants.hpp"
#include "codec/smpp34_time.hpp"

namespace otaflow::actors {
namespace {

using nlohmann::json;
namespace ton = codec::smpp::ton;
namespace npi = codec::smpp::npi;
namespace rd = codec::smpp::registered_delivery;

struct named {
  std::string_view name;
  std::uint8_t value;
};

// SMPP 3.4 §5.2.5.
constexpr std::array<named, 7> ton_names{{{"unknown", ton::unknown},
                                          {"international", ton::international},
                                          {"national", ton::national},
                                          {"network_specific", ton::network_specific},
                                          {"subscriber_number", ton::subscriber_number},
                                          {"alphanumeric", ton::alphanumeric},
                                          {"abbreviated", ton::abbreviated}}};
// SMPP 3.4 §5.2.6: the only values defined.
constexpr std::array<named, 10> npi_names{{{"unknown", npi::unknown},
                                           {"isdn", npi::isdn},
                                           {"data", npi::data},
                                           {"telex", npi::telex},
                                           {"land_mobile", npi::land_mobile},
                                           {"national", npi::national},
                                           {"private", npi::private_plan},
                                           {"ermes", npi::ermes},
                                           {"internet", npi::internet},
                                           {"wap", npi::wap_client_id}}};
// SMPP 3.4 §5.2.17 bits 1..0 (11 is reserved in 3.4).
constexpr std::array<named, 3> receipt_names{
    {{"none", rd::receipt_none}, {"final", rd::receipt_final}, {"failure", rd::receipt_failure}}};

template <std::size_t N>
std::string names_of(const std::array<named, N>& table) {
  std::string out;
  for (const auto& n : table) out += (out.empty() ? "" : ", ") + std::string(n.name);
  return out;
}

class reader {
 public:
  reader(const json& j, const std::string& field) : j_(j), field_(field) {}

  error bad(const char* key, const std::string& what) const {
    return make_error(errc::bad_value, "field '" + field_ + "." + key + "': " + what);
  }

  // A number or a name from `table`.
  template <std::size_t N>
  result<std::uint8_t> code(const char* key, const std::array<named, N>& table) const {
    const auto& v = j_[key];
    if (v.is_string()) {
      for (const auto& n : table) {
        if (n.name == v.get_ref<const std::string&>()) return n.value;
      }
      return bad(key, "unknown name '" + v.get<std::string>() + "' (" + names_of(table) + ")");
    }
    if (v.is_number_integer() || v.is_number_unsigned()) {
      const auto n = v.get<std::int64_t>();
      for (const auto& e : table) {
        if (e.value == n) return e.value;
      }
      return bad(key, std::to_string(n) + " is not a defined value (" + names_of(table) + ")");
    }
    return bad(key, "expected a number or a name (" + names_of(table) + ")");
  }

  result<std::chrono::seconds> validity() const {
    const auto& v = j_["validity"];
    std::chrono::milliseconds ms{};
    if (v.is_number()) {
      const double s = v.get<double>();
      if (!std::isfinite(s) || s < 0 || s > static_cast<double>(max_validity.count())) {
        return range(v.dump());
      }
      ms = std::chrono::milliseconds(std::llround(s * 1000));
    } else if (v.is_string()) {
      const auto& text = v.get_ref<const std::string&>();
      if (!text.empty() && text.back() == 'd') {  // days: parse_duration stops at hours
        auto d = parse_duration(text.substr(0, text.size() - 1) + "h");
        if (!d || d->count() > max_validity.count() * 1000 / 24) return range("'" + text + "'");
        ms = *d * 24;
      } else {
        auto d = parse_duration(text);
        if (!d) return bad("validity", d.error().message + " (or days: 1d)");
        ms = *d;
      }
    } else {
      return bad("validity", "expected a duration like \"2h\" or \"1d\"");
    }
    if (ms.count() % 1000 != 0) {
      return bad("validity", "must be whole seconds (SMPP's relative time has no fraction)");
    }
    const std::chrono::seconds s(ms.count() / 1000);
    if (s.count() < 1 || s > max_validity)
      return range(v.is_string() ? "'" + v.get<std::string>() + "'" : v.dump());
    return s;
  }

 private:
  error range(const std::string& got) const {
    return bad("validity", "must be between 1s and 366d, got " + got);
  }

  const json& j_;
  const std::string& field_;
};

}  // namespace

result<submit_options> parse_submit_options(const json& j, const std::string& field) {
  if (!j.is_object()) {
    return make_error(errc::bad_value, "field '" + field + "': expected a table");
  }
  static constexpr std::array<std::string_view, 6> keys{
      "validity", "priority", "source_addr", "source_ton", "source_npi", "registered_delivery"};
  for (const auto& [k, v] : j.items()) {
    bool known = false;
    for (auto key : keys) known = known || key == k;
    if (!known) {
      return make_error(errc::bad_value, "field '" + field + "': unknown key '" + k +
                                             "' (validity, priority, source_addr, source_ton, "
                                             "source_npi, registered_delivery)");
    }
  }
  const reader r(j, field);
  submit_options o;
  if (j.contains("validity")) {
    auto s = r.validity();
    if (!s) return s.error();
    auto text = codec::smpp::encode_relative_time(*s);
    if (!text) return r.bad("validity", text.error().message);
    o.validity = *s;
    o.validity_period = *text;
  }
  if (j.contains("priority")) {
    const auto& v = j["priority"];
    if (!v.is_number_integer() || v.get<std::int64_t>() < 0 || v.get<std::int64_t>() > 3) {
      return r.bad("priority", "must be an integer 0 to 3 (SMPP 3.4 §5.2.14), got " + v.dump());
    }
    o.priority = static_cast<std::uint8_t>(v.get<std::int64_t>());
  }
  if (j.contains("source_addr")) {
    const auto& v = j["source_addr"];
    // 21 octets with the NUL (§5.2.8); 65 only in data_sm.
    if (!v.is_string() || v.get_ref<const std::string&>().empty() ||
        v.get_ref<const std::string&>().size() > 20) {
      return r.bad("source_addr", "expected a string of 1 to 20 characters, got " + v.dump());
    }
    o.source_addr = v.get<std::string>();
  }
  if (j.contains("source_ton")) {
    auto c = r.code("source_ton", ton_names);
    if (!c) return c.error();
    o.source_ton = *c;
  }
  if (j.contains("source_npi")) {
    auto c = r.code("source_npi", npi_names);
    if (!c) return c.error();
    o.source_npi = *c;
  }
  if (j.contains("registered_delivery")) {
    if (!j["registered_delivery"].is_string()) {
      return r.bad("registered_delivery", "expected \"final\", \"failure\" or \"none\"");
    }
    auto c = r.code("registered_delivery", receipt_names);
    if (!c) return c.error();
    o.registered_delivery = *c;
  }
  if (o.source_ton == ton::alphanumeric && o.source_addr) {
    // An alphanumeric sender is at most 11 characters (TS 23.040 §9.1.2.5: 7-bit, 10 octets).
    if (o.source_addr->size() > 11) {
      return r.bad("source_addr", "an alphanumeric address has at most 11 characters, got '" +
                                      *o.source_addr + "'");
    }
  }
  return o;
}

json submit_options_json(const submit_options& o) {
  json j = json::object();
  if (o.validity) j["validity"] = o.validity->count();
  if (o.priority) j["priority"] = *o.priority;
  if (o.source_addr) j["source_addr"] = *o.source_addr;
  if (o.source_ton) j["source_ton"] = *o.source_ton;
  if (o.source_npi) j["source_npi"] = *o.source_npi;
  if (o.registered_delivery) {
    for (const auto& n : receipt_names) {
      if (n.value == *o.registered_delivery) j["registered_delivery"] = std::string(n.name);
    }
  }
  return j;
}

void apply_submit_options(const submit_options& o, codec::smpp::submit_sm& sm) {
  if (o.validity) sm.validity_period = o.validity_period;
  if (o.priority) sm.priority_flag = *o.priority;
  if (o.source_addr) sm.source_addr = *o.source_addr;
  if (o.source_ton) sm.source_addr_ton = *o.source_ton;
  if (o.source_npi) sm.source_addr_npi = *o.source_npi;
  if (o.registered_delivery) {
    // The receipt bits only: the SME acknowledgement and intermediate bits stay the bind's.
    sm.registered_delivery = static_cast<std::uint8_t>(
        (sm.registered_delivery & ~rd::receipt_mask) | *o.registered_delivery);
  }
}

}  // namespace otaflow::actors
