#include "kafka/events.hpp"

#include "base/bytes.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <sstream>
#include <utility>

namespace otaflow::kafka {
namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

// Values quoted in error messages are cut here: an error names the value, it does not echo
// a whole record (the DLQ record carries that).
constexpr std::size_t max_quoted = 48;

std::string dump(const ojson& j) {
  // Replace rather than throw on invalid UTF-8 in a caller's string.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// A JSON value as it appears in an error message, shortened.
std::string show(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > max_quoted) s = s.substr(0, max_quoted) + "...";
  return s;
}

result<json> parse_object(std::string_view payload, const std::string& what) {
  if (payload.empty()) return make_error(errc::truncated, what + ": empty payload");
  json doc;
  try {
    doc = json::parse(payload.begin(), payload.end());
  } catch (const json::exception& e) {
    std::string msg = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix: the rest says where.
    if (const auto p = msg.find("] "); p != std::string::npos && msg.front() == '[') {
      msg = msg.substr(p + 2);
    }
    return make_error(errc::bad_value, what + ": invalid JSON: " + msg);
  }
  if (!doc.is_object()) {
    return make_error(errc::bad_value,
                      what + ": expected a JSON object, got " + std::string(doc.type_name()));
  }
  return doc;
}

// Typed, checked access to the members of one JSON object; errors name the member.
class fields {
 public:
  fields(const json& obj, std::string what) : obj_(obj), what_(std::move(what)) {}

  [[nodiscard]] const json* find(const char* key) const {
    const auto it = obj_.find(key);
    return it == obj_.end() ? nullptr : &*it;
  }

  [[nodiscard]] error missing(const char* key) const {
    return make_error(errc::bad_value, what_ + ": missing field \"" + key + "\"");
  }

  [[nodiscard]] error wrong(const char* key, const char* expected, const json& got) const {
    return make_error(errc::bad_value, what_ + ": field \"" + key + "\" must be " + expected +
                                           ", got " + std::string(got.type_name()) + " " +
                                           show(got));
  }

  [[nodiscard]] result<std::string> string(const char* key, bool non_empty = true) const {
    const json* v = find(key);
    if (v == nullptr) return missing(key);
    if (!v->is_string()) return wrong(key, "a string", *v);
    if (non_empty && v->get_ref<const std::string&>().empty()) {
      return make_error(errc::bad_value, what_ + ": field \"" + key + "\" is empty");
    }
    return v->get<std::string>();
  }

  [[nodiscard]] result<std::optional<std::string>> optional_string(const char* key) const {
    const json* v = find(key);
    if (v == nullptr || v->is_null()) return std::optional<std::string>{};
    if (!v->is_string()) return wrong(key, "a string or null", *v);
    return std::optional<std::string>(v->get<std::string>());
  }

  [[nodiscard]] result<std::int64_t> integer(const char* key, std::int64_t min,
                                             std::int64_t max) const {
    const json* v = find(key);
    if (v == nullptr) return missing(key);
    std::int64_t n = 0;
    if (v->is_number_unsigned()) {
      const auto u = v->get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return out_of_range(key, show(*v), min, max);
      }
      n = static_cast<std::int64_t>(u);
    } else if (v->is_number_integer()) {
      n = v->get<std::int64_t>();
    } else {
      return wrong(key, "an integer", *v);
    }
    if (n < min || n > max) return out_of_range(key, std::to_string(n), min, max);
    return n;
  }

  // A finite number in [min, max]. JSON text has no NaN, but a number too large for a double
  // ("1e400") may parse as an infinity.
  [[nodiscard]] result<double> number(const char* key, double min, double max) const {
    const json* v = find(key);
    if (v == nullptr) return missing(key);
    if (!v->is_number()) return wrong(key, "a number", *v);
    const double d = v->get<double>();
    if (!std::isfinite(d) || d < min || d > max) {
      std::ostringstream got, lo, hi;
      got << d;
      lo << min;
      hi << max;
      return make_error(errc::bad_value, what_ + ": field \"" + key + "\" = " + got.str() +
                                             " is out of range [" + lo.str() + ", " + hi.str() +
                                             "]");
    }
    return d;
  }

  [[nodiscard]] result<const json*> object(const char* key) const {
    const json* v = find(key);
    if (v == nullptr) return missing(key);
    if (!v->is_object()) return wrong(key, "an object", *v);
    return v;
  }

  [[nodiscard]] result<std::string> campaign_id(const char* key) const {
    auto s = string(key);
    if (!s) return s;
    if (!valid_campaign_id(*s)) {
      return make_error(errc::bad_value, what_ + ": field \"" + key + "\" " + show(json(*s)) +
                                             " is not a campaign id (1 to 128 of "
                                             "[A-Za-z0-9._:-])");
    }
    return s;
  }

 private:
  [[nodiscard]] error out_of_range(const char* key, const std::string& got, std::int64_t min,
                                   std::int64_t max) const {
    return make_error(errc::bad_value, what_ + ": field \"" + key + "\" = " + got +
                                           " is out of range [" + std::to_string(min) + ", " +
                                           std::to_string(max) + "]");
  }

  const json& obj_;
  std::string what_;
};

#define OTAFLOW_ASSIGN(lhs, expr)                    \
  do {                                               \
    auto otaflow_r_ = (expr);                        \
    if (!otaflow_r_.ok()) return otaflow_r_.error(); \
    lhs = std::move(*otaflow_r_);                    \
  } while (0)

constexpr char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// A retry's optional "reason" (a string) and "iccids" (an array of ICCIDs).
status parse_retry_fields(const fields& f, const std::string& what, control_event& ev) {
  std::optional<std::string> reason;
  OTAFLOW_ASSIGN(reason, f.optional_string("reason"));
  if (reason) ev.reason = *reason;
  const json* list = f.find("iccids");
  if (list == nullptr || list->is_null()) return {};
  if (!list->is_array()) return f.wrong("iccids", "an array of ICCIDs", *list);
  for (const auto& v : *list) {
    if (!v.is_string() || !valid_iccid(v.get_ref<const std::string&>())) {
      return make_error(errc::bad_value, what + ": field \"iccids\" holds " + show(v) +
                                             ", not 18 to 20 decimal digits");
    }
    ev.iccids.push_back(v.get<std::string>());
  }
  return {};
}

// A control record's optional "requested_by": {"by", "who", "from"}, each a short printable
// string (model::valid_origin_field).
status parse_origin(const fields& f, const std::string& what, control_event& ev) {
  const json* v = f.find("requested_by");
  if (v == nullptr || v->is_null()) return {};
  if (!v->is_object()) return f.wrong("requested_by", "an object", *v);
  const fields o(*v, what + " requested_by");
  for (const auto& [k, val] : v->items()) {
    if (k != "by" && k != "who" && k != "from") {
      return make_error(errc::bad_value, what + ": requested_by: unexpected field " +
                                             show(json(k)) + " (by, who, from)");
    }
    if (!val.is_string() || !model::valid_origin_field(val.get_ref<const std::string&>())) {
      return make_error(errc::bad_value, what + ": requested_by: field \"" + k +
                                             "\" must be at most " +
                                             std::to_string(model::control_origin_field_max) +
                                             " printable characters without quotes or backslashes");
    }
  }
  std::optional<std::string> by;
  OTAFLOW_ASSIGN(by, o.optional_string("by"));
  if (!by || by->empty()) return make_error(errc::bad_value, what + ": requested_by needs \"by\"");
  ev.origin.by = *by;
  std::optional<std::string> who;
  OTAFLOW_ASSIGN(who, o.optional_string("who"));
  if (who) ev.origin.who = *who;
  std::optional<std::string> from;
  OTAFLOW_ASSIGN(from, o.optional_string("from"));
  if (from) ev.origin.from = *from;
  return {};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Trigger topic

result<trigger_topic_event> parse_trigger_event(std::string_view payload) {
  const std::string what = "trigger event";
  json doc;
  OTAFLOW_ASSIGN(doc, parse_object(payload, what));
  const fields f(doc, what);
  std::string type;
  OTAFLOW_ASSIGN(type, f.string("type"));

  if (type == "campaign") {
    const json* obj = nullptr;
    OTAFLOW_ASSIGN(obj, f.object("campaign"));
    const fields c(*obj, what + " campaign");
    campaign_event ev;
    OTAFLOW_ASSIGN(ev.id, c.campaign_id("id"));
    ev.campaign = *obj;
    return trigger_topic_event(std::move(ev));
  }
  if (type == "trigger") {
    trigger_event ev;
    OTAFLOW_ASSIGN(ev.campaign, f.campaign_id("campaign"));
    const json* iccid = f.find("iccid");
    const json* target = f.find("target");
    if ((iccid == nullptr) == (target == nullptr)) {
      return make_error(errc::bad_value, what + ": needs exactly one of \"iccid\" or \"target\"" +
                                             (iccid ? ", got both" : ", got neither"));
    }
    if (iccid != nullptr) {
      OTAFLOW_ASSIGN(ev.iccid, f.string("iccid"));
      if (!valid_iccid(ev.iccid)) {
        return make_error(errc::bad_value, what + ": field \"iccid\" " + show(*iccid) +
                                               " is not 18 to 20 decimal digits");
      }
    } else {
      const json* obj = nullptr;
      OTAFLOW_ASSIGN(obj, f.object("target"));
      if (obj->empty()) {
        return make_error(errc::bad_value, what + ": field \"target\" is an empty object");
      }
      ev.target = *obj;
      if (f.find("partition") != nullptr) {
        std::int64_t p = 0;
        OTAFLOW_ASSIGN(p, f.integer("partition", 0, std::numeric_limits<std::int32_t>::max()));
        ev.partition = static_cast<std::int32_t>(p);
      }
    }
    return trigger_topic_event(std::move(ev));
  }
  control_event ev;
  if (const auto action = model::parse_control_action(type)) {
    ev.action = *action;
  } else {
    return make_error(errc::bad_value,
                      what + ": unknown type " + show(json(type)) +
                          " (expected campaign, trigger, pause, resume, cancel, retry)");
  }
  OTAFLOW_ASSIGN(ev.campaign, f.campaign_id("campaign"));
  if (ev.action == control_action::retry) OTAFLOW_TRY(parse_retry_fields(f, what, ev));
  OTAFLOW_TRY(parse_origin(f, what, ev));
  return trigger_topic_event(std::move(ev));
}

std::string serialise(const trigger_topic_event& ev) {
  ojson j;
  if (const auto* c = std::get_if<campaign_event>(&ev)) {
    j["type"] = "campaign";
    j["campaign"] = ojson(c->campaign);
  } else if (const auto* t = std::get_if<trigger_event>(&ev)) {
    j["type"] = "trigger";
    j["campaign"] = t->campaign;
    if (t->target) {
      j["target"] = ojson(*t->target);
      if (t->partition) j["partition"] = *t->partition;
    } else {
      j["iccid"] = t->iccid;
    }
  } else {
    const auto& k = std::get<control_event>(ev);
    j["type"] = std::string(model::to_string(k.action));
    j["campaign"] = k.campaign;
    if (!k.reason.empty()) j["reason"] = k.reason;
    if (!k.iccids.empty()) j["iccids"] = k.iccids;
    if (!k.origin.by.empty()) {
      ojson o;
      o["by"] = k.origin.by;
      if (!k.origin.who.empty()) o["who"] = k.origin.who;
      if (!k.origin.from.empty()) o["from"] = k.origin.from;
      j["requested_by"] = std::move(o);
    }
  }
  return dump(j);
}

// ---------------------------------------------------------------------------------------------
// Status topic

namespace {

// Appends `s` as a JSON string exactly as nlohmann's dump() (ensure_ascii off) writes valid
// UTF-8: short escapes for " \\ \b \f \n \r \t, \u00xx for the other controls.
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += to_hex(c, 2);
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

// A PoR status code as on the wire: 2 upper-case hex digits.
std::string por_hex(std::uint8_t status) {
  return to_hex(status, 2, hex_case::upper);
}

// 2 hex digits of either case as one octet (what por_hex writes, read back).
std::optional<std::uint8_t> from_hex_octet(std::string_view s) {
  if (s.size() != 2) return std::nullopt;
  auto b = from_hex(s);
  if (!b) return std::nullopt;
  return (*b)[0];
}

std::string serialise_with_nlohmann(const status_event& ev) {
  ojson j;
  j["campaign"] = ev.campaign;
  j["iccid"] = ev.iccid;
  j["state"] = std::string(model::to_string(ev.state));
  j["attempt"] = ev.attempt;
  j["por_status"] = ev.por_status ? ojson(por_hex(*ev.por_status)) : ojson(nullptr);
  j["reason"] = ev.reason;
  j["ts"] = ev.ts_ms;
  if (!ev.variant.empty()) j["variant"] = ev.variant;
  if (!ev.route.empty()) j["route"] = ev.route;
  if (ev.steps > 1) {
    j["step"] = ev.step;
    j["steps"] = ev.steps;
  }
  return dump(j);
}

}  // namespace

std::string serialise(const status_event& ev) {
  // One event per state change (4 to 5 per card): the hottest serialisation of a campaign,
  // built by hand. The same text as the nlohmann form (a property test holds them equal);
  // strings that are not valid UTF-8 take that form, which replaces bad bytes. The state name
  // and the PoR status are ASCII by construction.
  if (!valid_utf8(ev.campaign) || !valid_utf8(ev.iccid) || !valid_utf8(ev.reason) ||
      !valid_utf8(ev.variant) || !valid_utf8(ev.route)) {
    return serialise_with_nlohmann(ev);
  }
  std::string out;
  out.reserve(128 + ev.campaign.size() + ev.iccid.size() + ev.reason.size());
  out += "{\"campaign\":";
  append_json_string(out, ev.campaign);
  out += ",\"iccid\":";
  append_json_string(out, ev.iccid);
  out += ",\"state\":";
  append_json_string(out, model::to_string(ev.state));
  out += ",\"attempt\":";
  out += std::to_string(ev.attempt);
  out += ",\"por_status\":";
  if (ev.por_status) {
    out += '"';
    out += por_hex(*ev.por_status);
    out += '"';
  } else {
    out += "null";
  }
  out += ",\"reason\":";
  append_json_string(out, ev.reason);
  out += ",\"ts\":";
  out += std::to_string(ev.ts_ms);
  if (!ev.variant.empty()) {
    out += ",\"variant\":";
    append_json_string(out, ev.variant);
  }
  if (!ev.route.empty()) {
    out += ",\"route\":";
    append_json_string(out, ev.route);
  }
  if (ev.steps > 1) {
    out += ",\"step\":";
    out += std::to_string(ev.step);
    out += ",\"steps\":";
    out += std::to_string(ev.steps);
  }
  out += '}';
  return out;
}

std::string serialise_reference(const status_event& ev) {
  return serialise_with_nlohmann(ev);
}

result<status_event> parse_status_event(std::string_view payload) {
  const std::string what = "status event";
  json doc;
  OTAFLOW_ASSIGN(doc, parse_object(payload, what));
  const fields f(doc, what);
  status_event ev;
  OTAFLOW_ASSIGN(ev.campaign, f.string("campaign"));
  OTAFLOW_ASSIGN(ev.iccid, f.string("iccid"));
  std::string state;
  OTAFLOW_ASSIGN(state, f.string("state"));
  const auto st = model::job_state_from_string(state);
  if (!st) {
    return make_error(errc::bad_value,
                      what + ": field \"state\" " + show(json(state)) + " is not a job state");
  }
  ev.state = *st;
  std::int64_t attempt = 0;
  OTAFLOW_ASSIGN(attempt, f.integer("attempt", 0, std::numeric_limits<std::uint16_t>::max()));
  ev.attempt = static_cast<std::uint16_t>(attempt);
  std::optional<std::string> por;
  OTAFLOW_ASSIGN(por, f.optional_string("por_status"));
  if (por) {
    auto code = from_hex_octet(*por);
    if (!code) {
      return make_error(errc::bad_value, what + ": field \"por_status\" " + show(json(*por)) +
                                             " is not 2 hex digits");
    }
    ev.por_status = *code;
  }
  OTAFLOW_ASSIGN(ev.reason, f.string("reason", false));
  OTAFLOW_ASSIGN(ev.ts_ms, f.integer("ts", 0, max_ts_ms));
  std::optional<std::string> variant;
  OTAFLOW_ASSIGN(variant, f.optional_string("variant"));
  ev.variant = variant.value_or(std::string());
  std::optional<std::string> route;
  OTAFLOW_ASSIGN(route, f.optional_string("route"));
  ev.route = route.value_or(std::string());
  if (doc.contains("steps")) {
    std::int64_t steps = 0, step = 0;
    OTAFLOW_ASSIGN(steps, f.integer("steps", 2, std::numeric_limits<std::uint16_t>::max()));
    OTAFLOW_ASSIGN(step, f.integer("step", 0, steps - 1));
    ev.steps = static_cast<std::uint16_t>(steps);
    ev.step = static_cast<std::uint16_t>(step);
  }
  return ev;
}

// ---------------------------------------------------------------------------------------------
// DLQ topic

std::string serialise(const dlq_record& rec) {
  ojson j;
  j["reason"] = rec.reason;
  j["topic"] = rec.topic;
  j["partition"] = rec.partition;
  j["offset"] = rec.offset;
  if (valid_utf8(rec.payload)) {
    j["payload"] = rec.payload;
    j["payload_encoding"] = "utf-8";
  } else {
    j["payload"] = base64_encode(rec.payload);
    j["payload_encoding"] = "base64";
  }
  return dump(j);
}

result<dlq_record> parse_dlq_record(std::string_view payload) {
  const std::string what = "dlq record";
  json doc;
  OTAFLOW_ASSIGN(doc, parse_object(payload, what));
  const fields f(doc, what);
  dlq_record rec;
  OTAFLOW_ASSIGN(rec.reason, f.string("reason", false));
  OTAFLOW_ASSIGN(rec.topic, f.string("topic"));
  std::int64_t partition = 0;
  OTAFLOW_ASSIGN(partition, f.integer("partition", -1, std::numeric_limits<std::int32_t>::max()));
  rec.partition = static_cast<std::int32_t>(partition);
  OTAFLOW_ASSIGN(rec.offset, f.integer("offset", -1, std::numeric_limits<std::int64_t>::max()));
  std::string encoding;
  OTAFLOW_ASSIGN(encoding, f.string("payload_encoding"));
  std::string body;
  OTAFLOW_ASSIGN(body, f.string("payload", false));
  if (encoding == "utf-8") {
    rec.payload = std::move(body);
  } else if (encoding == "base64") {
    auto raw = base64_decode(body);
    if (!raw) {
      return make_error(errc::bad_value, what + ": field \"payload\": " + raw.error().message);
    }
    rec.payload = std::move(*raw);
  } else {
    return make_error(errc::bad_value, what + ": field \"payload_encoding\" " +
                                           show(json(encoding)) + " is not utf-8 or base64");
  }
  return rec;
}

// ---------------------------------------------------------------------------------------------
// Alerts topic

std::string serialise(const alert_event& ev) {
  ojson j;
  j["type"] = "alert";
  j["campaign"] = ev.campaign;
  if (ev.bind) j["bind"] = *ev.bind;
  j["kind"] = ev.kind;
  j["rate"] = ev.rate;
  j["threshold"] = ev.threshold;
  j["sample"] = ev.sample;
  j["count"] = ev.count;
  j["action"] = ev.action;
  j["message"] = ev.message;
  j["ts"] = ev.ts;
  return dump(j);
}

result<alert_event> parse_alert_event(std::string_view payload) {
  const std::string what = "alert event";
  json doc;
  OTAFLOW_ASSIGN(doc, parse_object(payload, what));
  const fields f(doc, what);
  std::string type;
  OTAFLOW_ASSIGN(type, f.string("type"));
  if (type != "alert") {
    return make_error(errc::bad_value,
                      what + ": field \"type\" " + show(json(type)) + " is not \"alert\"");
  }
  alert_event ev;
  OTAFLOW_ASSIGN(ev.campaign, f.string("campaign"));
  OTAFLOW_ASSIGN(ev.bind, f.optional_string("bind"));
  OTAFLOW_ASSIGN(ev.kind, f.string("kind"));
  OTAFLOW_ASSIGN(ev.rate, f.number("rate", 0, 1));
  OTAFLOW_ASSIGN(ev.threshold, f.number("threshold", 0, 1));
  std::int64_t n = 0;
  OTAFLOW_ASSIGN(n, f.integer("sample", 0, std::numeric_limits<std::int64_t>::max()));
  ev.sample = static_cast<std::uint64_t>(n);
  OTAFLOW_ASSIGN(n, f.integer("count", 0, static_cast<std::int64_t>(ev.sample)));
  ev.count = static_cast<std::uint64_t>(n);
  OTAFLOW_ASSIGN(ev.action, f.string("action"));
  OTAFLOW_ASSIGN(ev.message, f.string("message", false));
  OTAFLOW_ASSIGN(ev.ts, f.integer("ts", 0, max_ts_ms));
  return ev;
}

// ---------------------------------------------------------------------------------------------
// Helpers

bool valid_utf8(std::string_view s) noexcept {
  // RFC 3629 §4 syntax: the second byte's range depends on the first.
  std::size_t i = 0;
  const std::size_t n = s.size();
  auto in = [&](std::size_t k, unsigned lo, unsigned hi) {
    if (k >= n) return false;
    const auto c = static_cast<unsigned char>(s[k]);
    return c >= lo && c <= hi;
  };
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    if (c < 0x80) {
      len = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      if (!in(i + 1, 0x80, 0xBF)) return false;
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      const unsigned lo = c == 0xE0 ? 0xA0 : 0x80;  // no overlongs
      const unsigned hi = c == 0xED ? 0x9F : 0xBF;  // no surrogates
      if (!in(i + 1, lo, hi) || !in(i + 2, 0x80, 0xBF)) return false;
      len = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      const unsigned lo = c == 0xF0 ? 0x90 : 0x80;  // no overlongs
      const unsigned hi = c == 0xF4 ? 0x8F : 0xBF;  // nothing above U+10FFFF
      if (!in(i + 1, lo, hi) || !in(i + 2, 0x80, 0xBF) || !in(i + 3, 0x80, 0xBF)) return false;
      len = 4;
    } else {
      return false;
    }
    i += len;
  }
  return true;
}

std::string base64_encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{static_cast<unsigned char>(data[i])} << 16) |
                            (std::uint32_t{static_cast<unsigned char>(data[i + 1])} << 8) |
                            static_cast<unsigned char>(data[i + 2]);
    out += b64_alphabet[(v >> 18) & 63];
    out += b64_alphabet[(v >> 12) & 63];
    out += b64_alphabet[(v >> 6) & 63];
    out += b64_alphabet[v & 63];
  }
  const std::size_t rest = data.size() - i;
  if (rest > 0) {
    std::uint32_t v = std::uint32_t{static_cast<unsigned char>(data[i])} << 16;
    if (rest == 2) v |= std::uint32_t{static_cast<unsigned char>(data[i + 1])} << 8;
    out += b64_alphabet[(v >> 18) & 63];
    out += b64_alphabet[(v >> 12) & 63];
    out += rest == 2 ? b64_alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

result<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return make_error(errc::bad_length,
                      "base64: length " + std::to_string(text.size()) + " is not a multiple of 4");
  }
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    // '=' pads only the last quantum, at most twice, at its end (RFC 4648 §4).
    int pad = 0;
    if (i + 4 == text.size() && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
    std::array<int, 4> v{};
    for (std::size_t k = 0; k < 4; ++k) {
      if (static_cast<int>(k) >= 4 - pad) continue;
      const auto c = static_cast<unsigned char>(text[i + k]);
      v[k] = b64_value(c);
      if (v[k] < 0) {
        return make_error(errc::bad_value, "base64: invalid character 0x" + to_hex(c, 2) +
                                               " at offset " + std::to_string(i + k));
      }
    }
    const std::uint32_t q =
        (static_cast<std::uint32_t>(v[0]) << 18) | (static_cast<std::uint32_t>(v[1]) << 12) |
        (static_cast<std::uint32_t>(v[2]) << 6) | static_cast<std::uint32_t>(v[3]);
    out += static_cast<char>((q >> 16) & 0xFF);
    if (pad < 2) out += static_cast<char>((q >> 8) & 0xFF);
    if (pad < 1) out += static_cast<char>(q & 0xFF);
  }
  return out;
}

bool valid_campaign_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 128) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool valid_iccid(std::string_view iccid) noexcept {
  if (iccid.size() < 18 || iccid.size() > 20) return false;
  for (const char c : iccid) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace otaflow::kafka
