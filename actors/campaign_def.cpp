#include "actors/campaign_def.hpp"

#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>
#include <nlohmann/json.hpp>

namespace otaflow::actors {
namespace {

using nlohmann::json;

error field_error(const std::string& field, const std::string& what) {
  return make_error(errc::bad_value, "campaign field '" + field + "': " + what);
}

// Rejects keys the schema does not know, so a typo is an error and not a silent default.
status only_keys(const json& obj, const std::string& where, std::set<std::string> allowed) {
  for (const auto& [k, v] : obj.items()) {
    if (!allowed.count(k)) {
      return make_error(errc::bad_value,
                        "campaign: unknown field '" + (where.empty() ? k : where + "." + k) + "'");
    }
  }
  return {};
}

result<std::uint64_t> hex_field(const json& obj, const std::string& key, const std::string& path,
                                std::size_t digits) {
  const auto& v = obj.at(key);
  if (!v.is_string())
    return field_error(path, "expected a string of " + std::to_string(digits) + " hex digits");
  const auto s = v.get<std::string>();
  if (s.size() != digits) {
    return field_error(path, "expected " + std::to_string(digits) + " hex digits, got '" + s + "'");
  }
  std::uint64_t out = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
  if (ec != std::errc{} || p != s.data() + s.size()) {
    return field_error(path, "expected hex digits, got '" + s + "'");
  }
  return out;
}

result<bytes> hex_bytes(const json& v, const std::string& path) {
  if (!v.is_string()) return field_error(path, "expected a hex string");
  auto b = from_hex(v.get<std::string>());
  if (!b) return field_error(path, b.error().message);
  return std::move(b).value();
}

result<std::vector<std::uint16_t>> parse_path(const json& v, const std::string& field) {
  if (!v.is_string()) return field_error(field, "expected a path like \"3F00/7FFF/6F7B\"");
  const auto s = v.get<std::string>();
  std::vector<std::uint16_t> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const auto end = std::min(s.find('/', start), s.size());
    const auto part = std::string_view(s).substr(start, end - start);
    std::uint16_t fid = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), fid, 16);
    if (part.size() != 4 || ec != std::errc{} || p != part.data() + part.size()) {
      return field_error(field, "'" + std::string(part) + "' in path '" + s +
                                    "' is not a 4-hex-digit file identifier");
    }
    out.push_back(fid);
    start = end + 1;
  }
  if (out.empty()) return field_error(field, "empty path");
  return out;
}

template <class T>
result<T> number(const json& v, const std::string& field, T lo, T hi) {
  if (!v.is_number()) return field_error(field, "expected a number");
  const double d = v.get<double>();
  if (d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
    std::ostringstream os;
    os << "must be between " << +lo << " and " << +hi << ", got " << d;
    return field_error(field, os.str());
  }
  if constexpr (std::is_integral_v<T>) {
    if (d != static_cast<double>(static_cast<T>(d)))
      return field_error(field, "expected an integer");
  }
  return static_cast<T>(d);
}

result<std::chrono::milliseconds> duration_field(const json& v, const std::string& field) {
  if (v.is_number()) {
    if (v.get<double>() < 0) return field_error(field, "must not be negative");
    return std::chrono::milliseconds(static_cast<std::int64_t>(v.get<double>() * 1000));
  }
  if (!v.is_string()) return field_error(field, "expected a duration like \"30s\"");
  auto d = parse_duration(v.get<std::string>());
  if (!d) return field_error(field, d.error().message);
  return *d;
}

status parse_security(const json& s, security_def& out) {
  OTAFLOW_TRY(only_keys(s, "security", {"spi", "kic", "kid", "tar", "cc_length"}));
  for (const char* k : {"spi", "kic", "kid", "tar"}) {
    if (!s.contains(k)) return field_error(std::string("security.") + k, "missing");
  }
  auto spi = hex_field(s, "spi", "security.spi", 4);
  if (!spi) return spi.error();
  auto kic = hex_field(s, "kic", "security.kic", 2);
  if (!kic) return kic.error();
  auto kid = hex_field(s, "kid", "security.kid", 2);
  if (!kid) return kid.error();
  auto tar = hex_field(s, "tar", "security.tar", 6);
  if (!tar) return tar.error();
  out.spi = static_cast<std::uint16_t>(*spi);
  out.kic = static_cast<std::uint8_t>(*kic);
  out.kid = static_cast<std::uint8_t>(*kid);
  out.tar = static_cast<std::uint32_t>(*tar);
  if (s.contains("cc_length")) {
    auto n = number<std::uint8_t>(s["cc_length"], "security.cc_length", 4, 16);
    if (!n) return n.error();
    out.cc_length = *n;
  }
  return {};
}

status parse_target(const json& t, target_def& out) {
  OTAFLOW_TRY(only_keys(t, "target", {"all", "iccids", "imsi_prefix", "attributes"}));
  if (t.contains("all")) {
    if (!t["all"].is_boolean()) return field_error("target.all", "expected true or false");
    out.all = t["all"].get<bool>();
  }
  if (t.contains("iccids")) {
    if (!t["iccids"].is_array()) return field_error("target.iccids", "expected a list of ICCIDs");
    for (const auto& i : t["iccids"]) {
      if (!i.is_string() || i.get<std::string>().empty()) {
        return field_error("target.iccids", "every entry must be a non-empty string");
      }
      out.iccids.push_back(i.get<std::string>());
    }
  }
  if (t.contains("imsi_prefix")) {
    if (!t["imsi_prefix"].is_string()) return field_error("target.imsi_prefix", "expected digits");
    out.imsi_prefix = t["imsi_prefix"].get<std::string>();
    if (out.imsi_prefix.find_first_not_of("0123456789") != std::string::npos) {
      return field_error("target.imsi_prefix", "expected digits, got '" + out.imsi_prefix + "'");
    }
  }
  if (t.contains("attributes")) {
    if (!t["attributes"].is_object()) return field_error("target.attributes", "expected a table");
    for (const auto& [k, v] : t["attributes"].items()) {
      if (!v.is_string()) return field_error("target.attributes." + k, "expected a string");
      out.attributes[k] = v.get<std::string>();
    }
  }
  if (!out.all && out.iccids.empty() && out.imsi_prefix.empty() && out.attributes.empty()) {
    return field_error("target",
                       "selects nothing: set all = true, iccids, imsi_prefix or attributes");
  }
  return {};
}

status parse_update(const json& u, update_def& out) {
  OTAFLOW_TRY(only_keys(u, "update", {"files", "records", "apdus", "format", "cla"}));
  if (u.contains("files")) {
    if (!u["files"].is_array()) return field_error("update.files", "expected a list of tables");
    std::size_t i = 0;
    for (const auto& f : u["files"]) {
      const auto where = "update.files[" + std::to_string(i++) + "]";
      if (!f.is_object()) return field_error(where, "expected a table");
      OTAFLOW_TRY(only_keys(f, where, {"path", "data", "offset"}));
      if (!f.contains("path") || !f.contains("data"))
        return field_error(where, "needs path and data");
      file_update fu;
      auto p = parse_path(f["path"], where + ".path");
      if (!p) return p.error();
      fu.path = std::move(p).value();
      auto d = hex_bytes(f["data"], where + ".data");
      if (!d) return d.error();
      fu.data = std::move(d).value();
      if (fu.data.empty() || fu.data.size() > 255)
        return field_error(where + ".data", "must hold 1 to 255 octets");
      if (f.contains("offset")) {
        auto o = number<std::uint16_t>(f["offset"], where + ".offset", 0, 0x7FFF);
        if (!o) return o.error();
        fu.offset = *o;
      }
      out.files.push_back(std::move(fu));
    }
  }
  if (u.contains("records")) {
    if (!u["records"].is_array()) return field_error("update.records", "expected a list of tables");
    std::size_t i = 0;
    for (const auto& r : u["records"]) {
      const auto where = "update.records[" + std::to_string(i++) + "]";
      if (!r.is_object()) return field_error(where, "expected a table");
      OTAFLOW_TRY(only_keys(r, where, {"path", "record", "data"}));
      if (!r.contains("path") || !r.contains("data") || !r.contains("record")) {
        return field_error(where, "needs path, record and data");
      }
      record_update ru;
      auto p = parse_path(r["path"], where + ".path");
      if (!p) return p.error();
      ru.path = std::move(p).value();
      auto n = number<std::uint8_t>(r["record"], where + ".record", 1, 254);
      if (!n) return n.error();
      ru.record = *n;
      auto d = hex_bytes(r["data"], where + ".data");
      if (!d) return d.error();
      ru.data = std::move(d).value();
      if (ru.data.empty() || ru.data.size() > 255)
        return field_error(where + ".data", "must hold 1 to 255 octets");
      out.records.push_back(std::move(ru));
    }
  }
  if (u.contains("apdus")) {
    if (!u["apdus"].is_array())
      return field_error("update.apdus", "expected a list of hex strings");
    std::size_t i = 0;
    for (const auto& a : u["apdus"]) {
      auto d = hex_bytes(a, "update.apdus[" + std::to_string(i++) + "]");
      if (!d) return d.error();
      if (d->size() < 4)
        return field_error("update.apdus[" + std::to_string(i - 1) + "]",
                           "a C-APDU has at least 4 octets");
      out.apdus.push_back(std::move(d).value());
    }
  }
  if (u.contains("format")) {
    const auto f = u["format"].is_string() ? u["format"].get<std::string>() : "";
    if (f == "compact") {
      out.format = script_format::compact;
    } else if (f == "expanded") {
      out.format = script_format::expanded;
    } else {
      return field_error("update.format", "expected \"compact\" or \"expanded\"");
    }
  }
  if (u.contains("cla")) {
    auto c = hex_field(u, "cla", "update.cla", 2);
    if (!c) return c.error();
    out.cla = static_cast<std::uint8_t>(*c);
  }
  if (out.files.empty() && out.records.empty() && out.apdus.empty()) {
    return field_error("update", "has nothing to send: give files, records or apdus");
  }
  return {};
}

status parse_policy(const json& p, policy_def& out) {
  OTAFLOW_TRY(only_keys(p, "policy",
                        {"rate", "window", "max_attempts", "por_timeout", "retry_backoff",
                         "retry_max", "max_resends"}));
  if (p.contains("rate")) {
    auto r = number<double>(p["rate"], "policy.rate", 0.01, 1e6);
    if (!r) return r.error();
    out.rate = *r;
  }
  if (p.contains("window")) {
    auto w = number<std::uint32_t>(p["window"], "policy.window", 1, 1'000'000);
    if (!w) return w.error();
    out.window = *w;
  }
  if (p.contains("max_attempts")) {
    auto m = number<std::uint16_t>(p["max_attempts"], "policy.max_attempts", 1, 100);
    if (!m) return m.error();
    out.job.max_attempts = *m;
  }
  if (p.contains("max_resends")) {
    auto m = number<std::uint16_t>(p["max_resends"], "policy.max_resends", 0, 1000);
    if (!m) return m.error();
    out.job.max_resends = *m;
  }
  if (p.contains("por_timeout")) {
    auto d = duration_field(p["por_timeout"], "policy.por_timeout");
    if (!d) return d.error();
    out.job.por_timeout = *d;
  }
  if (p.contains("retry_backoff")) {
    auto d = duration_field(p["retry_backoff"], "policy.retry_backoff");
    if (!d) return d.error();
    out.job.retry_base = *d;
  }
  if (p.contains("retry_max")) {
    auto d = duration_field(p["retry_max"], "policy.retry_max");
    if (!d) return d.error();
    out.job.retry_max = *d;
  }
  return {};
}

std::string hex_n(std::uint64_t v, int digits) {
  static constexpr char d[] = "0123456789ABCDEF";
  std::string s(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, v >>= 4) s[static_cast<std::size_t>(i)] = d[v & 0xF];
  return s;
}

std::string path_string(const std::vector<std::uint16_t>& path) {
  std::string s;
  for (auto fid : path) {
    if (!s.empty()) s += '/';
    s += hex_n(fid, 4);
  }
  return s;
}

}  // namespace

result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  double value = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || value < 0) {
    return make_error(errc::bad_value,
                      "'" + std::string(text) + "' is not a duration (e.g. 30s, 500ms, 5m)");
  }
  const std::string_view unit(p, static_cast<std::size_t>(text.data() + text.size() - p));
  double ms = 0;
  if (unit.empty() || unit == "s") {
    ms = value * 1000;
  } else if (unit == "ms") {
    ms = value;
  } else if (unit == "m") {
    ms = value * 60'000;
  } else if (unit == "h") {
    ms = value * 3'600'000;
  } else {
    return make_error(errc::bad_value,
                      "'" + std::string(text) + "' has an unknown unit (ms, s, m, h)");
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

result<campaign_def> campaign_from_json(const json& j) {
  if (!j.is_object()) return make_error(errc::bad_value, "campaign: expected an object");
  OTAFLOW_TRY(only_keys(j, "", {"id", "security", "target", "update", "policy"}));
  campaign_def c;
  if (!j.contains("id") || !j["id"].is_string() || j["id"].get<std::string>().empty()) {
    return field_error("id", "missing or not a non-empty string");
  }
  c.id = j["id"].get<std::string>();
  if (c.id.size() > 64 || c.id.find_first_of(std::string("\0/ \t\n", 5)) != std::string::npos) {
    return field_error("id", "at most 64 characters, without spaces, '/' or NUL");
  }
  for (const char* k : {"security", "target", "update"}) {
    if (!j.contains(k) || !j[k].is_object()) return field_error(k, "missing table");
  }
  OTAFLOW_TRY(parse_security(j["security"], c.security));
  OTAFLOW_TRY(parse_target(j["target"], c.target));
  OTAFLOW_TRY(parse_update(j["update"], c.update));
  if (j.contains("policy")) {
    if (!j["policy"].is_object()) return field_error("policy", "expected a table");
    OTAFLOW_TRY(parse_policy(j["policy"], c.policy));
  }
  return c;
}

result<campaign_def> campaign_from_toml(std::string_view text, std::string_view source) {
  toml::table tbl;
  try {
    tbl = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << source << ":" << e.source().begin.line << ":" << e.source().begin.column << ": "
       << e.description();
    return make_error(errc::bad_value, os.str());
  }
  std::ostringstream os;
  os << toml::json_formatter{tbl};
  json j = json::parse(os.str(), nullptr, false);
  if (j.is_discarded())
    return make_error(errc::internal, "campaign: TOML to JSON conversion failed");
  auto c = campaign_from_json(j);
  if (!c) return make_error(errc::bad_value, std::string(source) + ": " + c.error().message);
  return c;
}

result<campaign_def> load_campaign_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(errc::io, "cannot read campaign file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return campaign_from_toml(ss.str(), path);
}

json to_json(const campaign_def& c) {
  json j;
  j["id"] = c.id;
  j["security"] = {{"spi", hex_n(c.security.spi, 4)},
                   {"kic", hex_n(c.security.kic, 2)},
                   {"kid", hex_n(c.security.kid, 2)},
                   {"tar", hex_n(c.security.tar, 6)},
                   {"cc_length", c.security.cc_length}};
  json t = json::object();
  if (c.target.all) t["all"] = true;
  if (!c.target.iccids.empty()) t["iccids"] = c.target.iccids;
  if (!c.target.imsi_prefix.empty()) t["imsi_prefix"] = c.target.imsi_prefix;
  if (!c.target.attributes.empty()) t["attributes"] = c.target.attributes;
  j["target"] = t;
  json u = json::object();
  for (const auto& f : c.update.files) {
    json fj = {{"path", path_string(f.path)}, {"data", to_hex(f.data)}};
    if (f.offset) fj["offset"] = f.offset;
    u["files"].push_back(fj);
  }
  for (const auto& r : c.update.records) {
    u["records"].push_back(
        {{"path", path_string(r.path)}, {"record", r.record}, {"data", to_hex(r.data)}});
  }
  for (const auto& a : c.update.apdus) u["apdus"].push_back(to_hex(a));
  u["format"] = c.update.format == script_format::compact ? "compact" : "expanded";
  u["cla"] = hex_n(c.update.cla, 2);
  j["update"] = u;
  j["policy"] = {{"rate", c.policy.rate},
                 {"window", c.policy.window},
                 {"max_attempts", c.policy.job.max_attempts},
                 {"max_resends", c.policy.job.max_resends},
                 {"por_timeout", std::to_string(c.policy.job.por_timeout.count()) + "ms"},
                 {"retry_backoff", std::to_string(c.policy.job.retry_base.count()) + "ms"},
                 {"retry_max", std::to_string(c.policy.job.retry_max.count()) + "ms"}};
  return j;
}

}  // namespace otaflow::actors
