#include "actors/campaign_def.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>
#include <nlohmann/json.hpp>

#include "codec/ts102225_spi.hpp"
#include "secure/suci.hpp"

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

// A JSON number as text for an error: integers exactly, floats as %g (nan, inf, 1e+300).
std::string number_text(const json& v) {
  if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  std::ostringstream os;
  os << v.get<double>();
  return os.str();
}

// A number in [lo, hi]. NaN and infinities are refused first: they pass every comparison
// (NaN) or overflow the cast, which is undefined behaviour. Integers stored as integers are
// compared exactly (a double loses precision above 2^53).
template <class T>
result<T> number(const json& v, const std::string& field, T lo, T hi) {
  static_assert(std::is_floating_point_v<T> || sizeof(T) < sizeof(std::int64_t));
  if (!v.is_number()) return field_error(field, "expected a number");
  auto out_of_range = [&] {
    std::ostringstream os;
    os << "must be between " << +lo << " and " << +hi << ", got " << number_text(v);
    return field_error(field, os.str());
  };
  if constexpr (std::is_integral_v<T>) {
    if (v.is_number_unsigned()) {
      const auto u = v.get<std::uint64_t>();
      if (u < static_cast<std::uint64_t>(lo) || u > static_cast<std::uint64_t>(hi))
        return out_of_range();
      return static_cast<T>(u);
    }
    if (v.is_number_integer()) {
      const auto n = v.get<std::int64_t>();
      if (n < static_cast<std::int64_t>(lo) || n > static_cast<std::int64_t>(hi))
        return out_of_range();
      return static_cast<T>(n);
    }
  }
  const double d = v.get<double>();
  if (!std::isfinite(d)) return out_of_range();
  if (d < static_cast<double>(lo) || d > static_cast<double>(hi)) return out_of_range();
  if constexpr (std::is_integral_v<T>) {
    if (d != std::floor(d)) return field_error(field, "expected an integer, got " + number_text(v));
  }
  return static_cast<T>(d);
}

// A duration in [lo, hi]: a number of seconds or a string parse_duration reads.
result<std::chrono::milliseconds> duration_field(const json& v, const std::string& field,
                                                 std::chrono::milliseconds lo,
                                                 std::chrono::milliseconds hi) {
  std::chrono::milliseconds ms{};
  auto range = [&](const std::string& got) {
    return field_error(field, "must be between " + format_duration(lo) + " and " +
                                  format_duration(hi) + ", got " + got);
  };
  if (v.is_number()) {
    const double s = v.get<double>();
    if (!std::isfinite(s) || s < 0 || s * 1000 > static_cast<double>(hi.count())) {
      return range(number_text(v));
    }
    ms = std::chrono::milliseconds(std::llround(s * 1000));
  } else if (v.is_string()) {
    auto d = parse_duration(v.get<std::string>());
    if (!d) return field_error(field, d.error().message);
    ms = *d;
  } else {
    return field_error(field, "expected a duration like \"30s\"");
  }
  if (ms < lo || ms > hi)
    return range(v.is_string() ? "'" + v.get<std::string>() + "'" : number_text(v));
  return ms;
}

status parse_security(const json& s, security_def& out) {
  OTAFLOW_TRY(only_keys(
      s, "security", {"spi", "kic", "kid", "tar", "cc_length", "allow_insecure", "counter_skip"}));
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
  if (s.contains("allow_insecure")) {
    if (!s["allow_insecure"].is_boolean())
      return field_error("security.allow_insecure", "expected true or false");
    out.allow_insecure = s["allow_insecure"].get<bool>();
  }
  if (s.contains("counter_skip")) {
    auto n = number<std::uint32_t>(s["counter_skip"], "security.counter_skip", 1, 1'000'000);
    if (!n) return n.error();
    out.counter_skip = *n;
  }
  return {};
}

// ---- selection criteria shared by [target] and rule conditions ---------------------------

result<std::string> digits_field(const json& v, const std::string& field) {
  if (!v.is_string()) return field_error(field, "expected a string of digits");
  auto s = v.get<std::string>();
  if (s.empty() || s.size() > 20 || s.find_first_not_of("0123456789") != std::string::npos) {
    return field_error(field, "expected 1 to 20 digits, got '" + s + "'");
  }
  return s;
}

// ["001010000000000", "001010000004999"]: inclusive, the same number of digits.
result<imsi_range> parse_imsi_range(const json& v, const std::string& field) {
  if (!v.is_array() || v.size() != 2) {
    return field_error(field, "expected [\"first IMSI\", \"last IMSI\"]");
  }
  auto first = digits_field(v[0], field + "[0]");
  if (!first) return first.error();
  auto last = digits_field(v[1], field + "[1]");
  if (!last) return last.error();
  if (first->size() != last->size()) {
    return field_error(field, "'" + *first + "' and '" + *last + "' differ in length");
  }
  if (*last < *first) return field_error(field, "'" + *last + "' is below '" + *first + "'");
  return imsi_range{std::move(*first), std::move(*last)};
}

status parse_imsi_ranges(const json& v, const std::string& field, std::vector<imsi_range>& out) {
  if (!v.is_array() || v.empty()) return field_error(field, "expected a list of [first, last]");
  // One range alone may be given without the outer list.
  if (v[0].is_string()) {
    auto r = parse_imsi_range(v, field);
    if (!r) return r.error();
    out.push_back(std::move(*r));
    return {};
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    auto r = parse_imsi_range(v[i], field + "[" + std::to_string(i) + "]");
    if (!r) return r.error();
    out.push_back(std::move(*r));
  }
  return {};
}

// A key version (TS 102 225 §5.1.2: the high nibble of KIc/KID), or a list of them.
status parse_keysets(const json& v, const std::string& field, std::vector<std::uint8_t>& out) {
  auto one = [&](const json& n, const std::string& f) -> status {
    auto k = number<std::uint8_t>(n, f, 0, 15);
    if (!k) return k.error();
    out.push_back(*k);
    return {};
  };
  if (!v.is_array()) return one(v, field);
  if (v.empty()) return field_error(field, "expected at least one key version");
  for (std::size_t i = 0; i < v.size(); ++i) {
    OTAFLOW_TRY(one(v[i], field + "[" + std::to_string(i) + "]"));
  }
  return {};
}

status parse_attributes(const json& v, const std::string& field,
                        std::map<std::string, std::string>& out) {
  if (!v.is_object()) return field_error(field, "expected a table");
  for (const auto& [k, val] : v.items()) {
    if (!val.is_string()) return field_error(field + "." + k, "expected a string");
    out[k] = val.get<std::string>();
  }
  return {};
}

status parse_target(const json& t, target_def& out) {
  OTAFLOW_TRY(only_keys(
      t, "target",
      {"all", "iccids", "imsi_prefix", "iccid_prefix", "attributes", "imsi_ranges", "keysets"}));
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
    OTAFLOW_TRY(parse_attributes(t["attributes"], "target.attributes", out.attributes));
  }
  if (t.contains("iccid_prefix")) {
    auto p = digits_field(t["iccid_prefix"], "target.iccid_prefix");
    if (!p) return p.error();
    out.iccid_prefix = std::move(*p);
  }
  if (t.contains("imsi_ranges")) {
    OTAFLOW_TRY(parse_imsi_ranges(t["imsi_ranges"], "target.imsi_ranges", out.imsi_ranges));
  }
  if (t.contains("keysets")) {
    OTAFLOW_TRY(parse_keysets(t["keysets"], "target.keysets", out.keysets));
  }
  if (!out.all && out.iccids.empty() && out.imsi_prefix.empty() && out.attributes.empty() &&
      out.iccid_prefix.empty() && out.imsi_ranges.empty() && out.keysets.empty()) {
    return field_error("target",
                       "selects nothing: set all = true, iccids, imsi_prefix, iccid_prefix, "
                       "imsi_ranges, keysets or attributes");
  }
  return {};
}

status parse_suci_key(const json& k, const std::string& where, suci_key_def& out) {
  if (!k.contains("scheme") || !k.contains("key_id") || !k.contains("public_key"))
    return field_error(where, "needs scheme, key_id and public_key");
  const auto sch = k["scheme"].is_string() ? k["scheme"].get<std::string>() : "";
  if (sch == "A" || sch == "a") {
    out.scheme_id = 1;
  } else if (sch == "B" || sch == "b") {
    out.scheme_id = 2;
  } else {
    return field_error(where + ".scheme", "expected \"A\" (X25519) or \"B\" (secp256r1)");
  }
  auto id = number<std::uint8_t>(k["key_id"], where + ".key_id", 1, 255);
  if (!id) return id.error();
  out.key_id = *id;
  auto pk = hex_bytes(k["public_key"], where + ".public_key");
  if (!pk) return pk.error();
  auto sid = secure::suci::scheme_from_id(out.scheme_id);
  if (auto st = secure::suci::check_public_key(*sid, *pk); !st)
    return field_error(where + ".public_key", st.error().message);
  out.public_key = std::move(*pk);
  return {};
}

status parse_suci_update(const json& v, suci_update_def& out) {
  if (!v.is_object()) return field_error("update.suci", "expected a table");
  OTAFLOW_TRY(only_keys(v, "update.suci",
                        {"scheme", "key_id", "public_key", "replace", "keep", "null_fallback",
                         "routing_indicator", "file_size"}));
  OTAFLOW_TRY(parse_suci_key(v, "update.suci", out.key));
  for (const char* flag : {"replace", "null_fallback"}) {
    if (!v.contains(flag)) continue;
    if (!v[flag].is_boolean())
      return field_error(std::string("update.suci.") + flag, "expected true or false");
    (std::string_view(flag) == "replace" ? out.replace : out.null_fallback) = v[flag].get<bool>();
  }
  if (v.contains("keep")) {
    if (!v["keep"].is_array()) return field_error("update.suci.keep", "expected a list of tables");
    std::size_t i = 0;
    for (const auto& k : v["keep"]) {
      const auto where = "update.suci.keep[" + std::to_string(i++) + "]";
      if (!k.is_object()) return field_error(where, "expected a table");
      OTAFLOW_TRY(only_keys(k, where, {"scheme", "key_id", "public_key"}));
      suci_key_def kd;
      OTAFLOW_TRY(parse_suci_key(k, where, kd));
      out.keep.push_back(std::move(kd));
    }
  }
  if (out.replace && !out.keep.empty())
    return field_error("update.suci.keep", "needs replace = false (replace keeps no other key)");
  std::set<std::uint8_t> ids{out.key.key_id};
  for (const auto& k : out.keep) {
    if (!ids.insert(k.key_id).second)
      return field_error("update.suci.keep",
                         "key_id " + std::to_string(k.key_id) + " is listed twice");
  }
  if (v.contains("routing_indicator")) {
    const auto ri = v["routing_indicator"].is_string() ? v["routing_indicator"].get<std::string>()
                                                       : std::string("?");
    if (ri.empty() || ri.size() > 4 || ri.find_first_not_of("0123456789") != std::string::npos)
      return field_error("update.suci.routing_indicator",
                         "expected 1 to 4 decimal digits, got '" + ri + "'");
    out.routing_indicator = ri;
  }
  if (v.contains("file_size")) {
    auto n = number<std::uint16_t>(v["file_size"], "update.suci.file_size", 4, 0x7FFF);
    if (!n) return n.error();
    out.file_size = *n;
  }
  return {};
}

status parse_update(const json& u, update_def& out) {
  OTAFLOW_TRY(only_keys(u, "update",
                        {"files", "records", "apdus", "format", "cla", "suci", "keys", "keyset",
                         "fplmn", "plmn_selector", "ehplmn", "spn", "smsp", "acc", "ram"}));
  OTAFLOW_TRY(parse_templates(u, out.templates));  // update_templates.cpp
  if (u.contains("suci")) {
    suci_update_def su;
    OTAFLOW_TRY(parse_suci_update(u["suci"], su));
    out.suci = std::move(su);
  }
  if (u.contains("keys")) {
    keys_update_def ku;
    OTAFLOW_TRY(parse_keys_update(u["keys"], ku));
    out.keys = ku;
  }
  if (u.contains("keyset")) OTAFLOW_TRY(parse_keyset_update(u["keyset"], out.keyset));
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
  // Templates write after the raw files and records; a value too large for its file is
  // refused here, before any card is touched.
  OTAFLOW_TRY(expand_templates(out));
  if (u.contains("ram")) {
    if (!out.files.empty() || !out.records.empty() || !out.apdus.empty() || out.suci || out.keys ||
        out.keyset)
      return field_error("update.ram", "goes alone: a RAM update's packets carry only its steps");
    auto ram = parse_ram_update(u["ram"], "update.ram");  // ram_update.cpp
    if (!ram) return ram.error();
    out.ram = std::move(*ram);
    return {};
  }
  if (out.keyset) return check_keyset_alone(out);
  if (out.files.empty() && out.records.empty() && out.apdus.empty() && !out.suci && !out.keys) {
    return field_error("update",
                       "has nothing to send: give files, records, apdus, suci, keys, ram or a "
                       "template (fplmn, plmn_selector, ehplmn, spn, smsp, acc)");
  }
  return {};
}

// ---- time windows and validity ([policy] not_before, not_after, send_window, timezone) ----

status parse_time_policy(const json& p, time_policy& out) {
  for (const char* k : {"not_before", "not_after"}) {
    if (!p.contains(k)) continue;
    const auto field = std::string("policy.") + k;
    if (!p[k].is_string()) return field_error(field, "expected an RFC 3339 date-time string");
    auto t = parse_rfc3339(p[k].get<std::string>());
    if (!t) return field_error(field, t.error().message);
    (std::string_view(k) == "not_before" ? out.not_before_ms : out.not_after_ms) = *t;
  }
  if (out.not_before_ms && out.not_after_ms && *out.not_after_ms <= *out.not_before_ms) {
    return field_error("policy.not_after", "must be later than policy.not_before");
  }
  if (p.contains("send_window")) {
    if (!p["send_window"].is_string()) {
      return field_error("policy.send_window", "expected a string like \"08:00-20:00\"");
    }
    auto w = parse_send_window(p["send_window"].get<std::string>());
    if (!w) return field_error("policy.send_window", w.error().message);
    out.window = *w;
  }
  if (p.contains("timezone")) {
    if (!p["timezone"].is_string()) {
      return field_error("policy.timezone", "expected a UTC offset string like \"+01:00\"");
    }
    auto o = parse_utc_offset(p["timezone"].get<std::string>());
    if (!o) return field_error("policy.timezone", o.error().message);
    out.utc_offset_min = *o;
  }
  return {};
}

status parse_policy(const json& p, policy_def& out) {
  OTAFLOW_TRY(
      only_keys(p, "policy",
                {"rate", "window", "max_attempts", "por_timeout", "retry_backoff", "retry_max",
                 "max_resends", "not_before", "not_after", "send_window", "timezone", "submit"}));
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
    auto d = duration_field(p["por_timeout"], "policy.por_timeout", std::chrono::milliseconds(1),
                            max_policy_duration);
    if (!d) return d.error();
    out.job.por_timeout = *d;
  }
  if (p.contains("retry_backoff")) {
    auto d = duration_field(p["retry_backoff"], "policy.retry_backoff",
                            std::chrono::milliseconds(0), max_policy_duration);
    if (!d) return d.error();
    out.job.retry_base = *d;
  }
  if (p.contains("retry_max")) {
    auto d = duration_field(p["retry_max"], "policy.retry_max", std::chrono::milliseconds(0),
                            max_policy_duration);
    if (!d) return d.error();
    out.job.retry_max = *d;
  }
  OTAFLOW_TRY(parse_time_policy(p, out.time));
  if (p.contains("submit")) {
    auto o = parse_submit_options(p["submit"], "policy.submit");
    if (!o) return make_error(errc::bad_value, "campaign " + o.error().message);
    out.submit = std::move(*o);
  }
  return {};
}

// ---- alerts ([alerts]) --------------------------------------------------------------------

status parse_alerts(const json& a, alert_policy& out) {
  OTAFLOW_TRY(only_keys(a, "alerts",
                        {"enabled", "min_cards", "window", "por_error_rate", "undeliverable_rate",
                         "timeout_rate", "throttle_rate", "por_rejected_rate", "pause_on_alert"}));
  for (const char* k : {"enabled", "pause_on_alert"}) {
    if (a.contains(k) && !a[k].is_boolean()) {
      return field_error(std::string("alerts.") + k, "expected true or false");
    }
  }
  if (a.contains("enabled")) out.enabled = a["enabled"].get<bool>();
  if (a.contains("pause_on_alert")) out.pause_on_alert = a["pause_on_alert"].get<bool>();
  if (a.contains("window")) {
    auto w = number<std::uint32_t>(a["window"], "alerts.window", 1, 1'000'000);
    if (!w) return w.error();
    out.window = *w;
  }
  if (a.contains("min_cards")) {
    auto m = number<std::uint32_t>(a["min_cards"], "alerts.min_cards", 1, 1'000'000);
    if (!m) return m.error();
    out.min_cards = *m;
  }
  if (out.min_cards > out.window) {
    return field_error("alerts.min_cards", "must not exceed alerts.window (" +
                                               std::to_string(out.window) + "), got " +
                                               std::to_string(out.min_cards));
  }
  const std::pair<const char*, double*> rates[] = {{"por_error_rate", &out.por_error_rate},
                                                   {"undeliverable_rate", &out.undeliverable_rate},
                                                   {"timeout_rate", &out.timeout_rate},
                                                   {"throttle_rate", &out.throttle_rate},
                                                   {"por_rejected_rate", &out.por_rejected_rate}};
  for (const auto& [k, dst] : rates) {
    if (!a.contains(k)) continue;
    auto r = number<double>(a[k], std::string("alerts.") + k, 0.0, 1.0);
    if (!r) return r.error();
    *dst = *r;
  }
  return {};
}

// ---- variants and rules ([[variant]], [[rule]]) -------------------------------------------

// Re-labels an error of a section parser (which names "update.files[0]" etc.) with the
// variant it belongs to.
error in_variant(const error& e, const std::string& where) {
  static constexpr std::string_view prefix = "campaign field '";
  auto msg = e.message;
  if (msg.rfind(prefix, 0) == 0) {
    msg.insert(prefix.size(), where + ".");
  } else if (msg.rfind("campaign: unknown field '", 0) == 0) {
    msg.insert(std::string_view("campaign: unknown field '").size(), where + ".");
  } else {
    msg = where + ": " + msg;
  }
  return make_error(e.code, msg, e.cls);
}

bool valid_variant_name(const std::string& n) {
  if (n.empty() || n.size() > 32) return false;
  return std::all_of(n.begin(), n.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-';
  });
}

status parse_variants(const json& v, const json* top_security, std::vector<variant_def>& out) {
  if (!v.is_array() || v.empty()) return field_error("variant", "expected a list of tables");
  if (v.size() > 64) return field_error("variant", "at most 64 variants");
  std::set<std::string> names;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto where = "variant[" + std::to_string(i) + "]";
    const auto& e = v[i];
    if (!e.is_object()) return field_error(where, "expected a table");
    OTAFLOW_TRY(only_keys(e, where, {"name", "security", "update"}));
    variant_def d;
    if (!e.contains("name") || !e["name"].is_string() ||
        !valid_variant_name(e["name"].get<std::string>())) {
      return field_error(where + ".name", "missing or not 1-32 of A-Z a-z 0-9 . _ -");
    }
    d.name = e["name"].get<std::string>();
    if (!names.insert(d.name).second) {
      return field_error(where + ".name", "duplicate variant name '" + d.name + "'");
    }
    const json* sec = e.contains("security") ? &e["security"] : top_security;
    if (!sec) {
      return field_error(where + ".security", "missing (and no top-level [security] to inherit)");
    }
    if (!sec->is_object()) return field_error(where + ".security", "expected a table");
    if (auto st = parse_security(*sec, d.security); !st) {
      return e.contains("security") ? in_variant(st.error(), where) : st.error();
    }
    if (!e.contains("update")) return field_error(where + ".update", "missing table");
    if (!e["update"].is_object()) return field_error(where + ".update", "expected a table");
    if (auto st = parse_update(e["update"], d.update); !st) return in_variant(st.error(), where);
    out.push_back(std::move(d));
  }
  return {};
}

status parse_file_conditions(const json& v, const std::string& field,
                             std::vector<file_condition>& out) {
  auto one = [&](const json& f, const std::string& where) -> status {
    if (!f.is_object()) return field_error(where, "expected a table {path, data}");
    OTAFLOW_TRY(only_keys(f, where, {"path", "data", "offset"}));
    if (!f.contains("path") || !f.contains("data")) {
      return field_error(where, "needs path and data");
    }
    file_condition c;
    auto p = parse_path(f["path"], where + ".path");
    if (!p) return p.error();
    c.path = std::move(*p);
    auto d = hex_bytes(f["data"], where + ".data");
    if (!d) return d.error();
    if (d->empty() || d->size() > 255) {
      return field_error(where + ".data", "must hold 1 to 255 octets");
    }
    c.data = std::move(*d);
    if (f.contains("offset")) {
      auto o = number<std::uint16_t>(f["offset"], where + ".offset", 0, 0x7FFF);
      if (!o) return o.error();
      c.offset = *o;
    }
    out.push_back(std::move(c));
    return {};
  };
  if (!v.is_array()) return one(v, field);
  for (std::size_t i = 0; i < v.size(); ++i) {
    OTAFLOW_TRY(one(v[i], field + "[" + std::to_string(i) + "]"));
  }
  return {};
}

status parse_condition(const json& w, const std::string& where, condition_def& out) {
  if (!w.is_object()) return field_error(where, "expected a table");
  OTAFLOW_TRY(only_keys(
      w, where,
      {"attributes", "subscription_type", "vendor", "card_profile", "imsi_prefix", "iccid_prefix",
       "imsi_range", "imsi_ranges", "keyset", "keysets", "file_is", "file_not"}));
  if (w.contains("attributes")) {
    OTAFLOW_TRY(parse_attributes(w["attributes"], where + ".attributes", out.attributes));
  }
  // Shortcuts for the attributes a vendor file usually carries.
  for (const char* k : {"subscription_type", "vendor", "card_profile"}) {
    if (!w.contains(k)) continue;
    if (!w[k].is_string()) return field_error(where + "." + k, "expected a string");
    out.attributes[k] = w[k].get<std::string>();
  }
  for (const char* k : {"imsi_prefix", "iccid_prefix"}) {
    if (!w.contains(k)) continue;
    auto p = digits_field(w[k], where + "." + k);
    if (!p) return p.error();
    (std::string_view(k) == "imsi_prefix" ? out.imsi_prefix : out.iccid_prefix) = std::move(*p);
  }
  for (const char* k : {"imsi_range", "imsi_ranges"}) {
    if (w.contains(k)) OTAFLOW_TRY(parse_imsi_ranges(w[k], where + "." + k, out.imsi_ranges));
  }
  for (const char* k : {"keyset", "keysets"}) {
    if (w.contains(k)) OTAFLOW_TRY(parse_keysets(w[k], where + "." + k, out.keysets));
  }
  if (w.contains("file_is")) {
    OTAFLOW_TRY(parse_file_conditions(w["file_is"], where + ".file_is", out.file_is));
  }
  if (w.contains("file_not")) {
    OTAFLOW_TRY(parse_file_conditions(w["file_not"], where + ".file_not", out.file_not));
  }
  return {};
}

status parse_rules(const json& v, const std::vector<variant_def>& variants,
                   std::vector<rule_def>& out) {
  if (!v.is_array() || v.empty()) return field_error("rule", "expected a list of tables");
  if (v.size() > 1000) return field_error("rule", "at most 1000 rules");
  std::string known;
  for (const auto& d : variants) known += (known.empty() ? "" : ", ") + d.name;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto where = "rule[" + std::to_string(i) + "]";
    const auto& e = v[i];
    if (!e.is_object()) return field_error(where, "expected a table");
    OTAFLOW_TRY(only_keys(e, where, {"variant", "skip", "when"}));
    rule_def r;
    if (e.contains("variant") == e.contains("skip")) {
      return field_error(where, "needs either variant = \"name\" or skip = \"reason\"");
    }
    if (e.contains("variant")) {
      if (!e["variant"].is_string()) return field_error(where + ".variant", "expected a name");
      r.variant = e["variant"].get<std::string>();
      const bool found = std::any_of(variants.begin(), variants.end(),
                                     [&](const variant_def& d) { return d.name == r.variant; });
      if (!found) {
        return field_error(where + ".variant",
                           "unknown variant '" + r.variant + "' (variants: " + known + ")");
      }
    } else {
      if (!e["skip"].is_string() || e["skip"].get<std::string>().empty()) {
        return field_error(where + ".skip", "expected the reason as a non-empty string");
      }
      r.skip = e["skip"].get<std::string>();
    }
    if (e.contains("when")) OTAFLOW_TRY(parse_condition(e["when"], where + ".when", r.when));
    out.push_back(std::move(r));
  }
  return {};
}

std::string path_string(const std::vector<std::uint16_t>& path) {
  std::string s;
  for (auto fid : path) {
    if (!s.empty()) s += '/';
    s += to_hex(fid, 4, hex_case::upper);
  }
  return s;
}

}  // namespace

result<campaign_def> campaign_from_json(const json& j) {
  if (!j.is_object()) return make_error(errc::bad_value, "campaign: expected an object");
  OTAFLOW_TRY(only_keys(
      j, "", {"id", "security", "target", "update", "policy", "variant", "rule", "alerts"}));
  campaign_def c;
  if (!j.contains("id") || !j["id"].is_string() || j["id"].get<std::string>().empty()) {
    return field_error("id", "missing or not a non-empty string");
  }
  c.id = j["id"].get<std::string>();
  if (c.id.size() > 64 || c.id.find_first_of(std::string("\0/ \t\n", 5)) != std::string::npos) {
    return field_error("id", "at most 64 characters, without spaces, '/' or NUL");
  }
  // With [[variant]] tables each variant has its update (and may inherit [security]);
  // without, the top-level [security] and [update] are the one implicit variant.
  const bool variants = j.contains("variant");
  for (const char* k : {"security", "target", "update"}) {
    if (variants && std::string_view(k) != "target") continue;
    if (!j.contains(k) || !j[k].is_object()) return field_error(k, "missing table");
  }
  if (variants && j.contains("update")) {
    return field_error("update",
                       "not allowed with [[variant]] tables: give each variant its update");
  }
  if (j.contains("security")) {
    if (!j["security"].is_object()) return field_error("security", "expected a table");
    OTAFLOW_TRY(parse_security(j["security"], c.security));
  }
  OTAFLOW_TRY(parse_target(j["target"], c.target));
  if (variants) {
    OTAFLOW_TRY(parse_variants(j["variant"], j.contains("security") ? &j["security"] : nullptr,
                               c.variants));
  } else {
    OTAFLOW_TRY(parse_update(j["update"], c.update));
  }
  if (j.contains("rule")) {
    OTAFLOW_TRY(parse_rules(j["rule"], effective_variants(c), c.rules));
  } else if (c.variants.size() > 1) {
    return field_error("rule", "a campaign with " + std::to_string(c.variants.size()) +
                                   " variants needs [[rule]] tables to choose between them");
  }
  {
    const auto vs = effective_variants(c);
    for (std::size_t i = 0; i < vs.size(); ++i) {
      OTAFLOW_TRY(check_security(vs[i], c.variants.empty()
                                            ? std::string("security.spi")
                                            : "variant[" + std::to_string(i) + "].security.spi"));
    }
  }
  if (j.contains("policy")) {
    if (!j["policy"].is_object()) return field_error("policy", "expected a table");
    OTAFLOW_TRY(parse_policy(j["policy"], c.policy));
  }
  if (j.contains("alerts")) {
    if (!j["alerts"].is_object()) return field_error("alerts", "expected a table");
    OTAFLOW_TRY(parse_alerts(j["alerts"], c.alerts));
  }
  return c;
}

result<json> toml_to_json(std::string_view text, std::string_view source) {
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
  if (j.is_discarded()) {
    return make_error(errc::internal, std::string(source) + ": TOML to JSON conversion failed");
  }
  return j;
}

namespace {

// A TOML campaign's `update.ram.load` paths are relative to `base_dir`.
// `from_file`: a campaign file's text, whose key profile files are read beside it; a text
// given alone keeps kiprof's rule (a profile file name is refused: its content must travel).
result<campaign_def> campaign_from_toml_in(std::string_view text, std::string_view source,
                                           const std::string& base_dir, bool from_file) {
  auto j = toml_to_json(text, source);
  if (!j) return j.error();
  if (auto st = resolve_ram_files(*j, base_dir); !st)
    return make_error(errc::bad_value, std::string(source) + ": " + st.error().message);
  // [update.keys] profile = "FILE.toml": read relative to the campaign file (key_profile.hpp).
  if (from_file) OTAFLOW_TRY(resolve_key_profile_files(*j, std::filesystem::path(base_dir)));
  auto c = campaign_from_json(*j);
  if (!c) return make_error(errc::bad_value, std::string(source) + ": " + c.error().message);
  return c;
}

}  // namespace

result<campaign_def> campaign_from_toml(std::string_view text, std::string_view source) {
  return campaign_from_toml_in(text, source, ".", false);
}

result<campaign_def> load_campaign_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(errc::io, "cannot read campaign file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return campaign_from_toml_in(ss.str(), path, campaign_dir(path), true);
}

status check_security(const variant_def& v, const std::string& field) {
  const auto& sec = v.security;
  const std::string spi_text = "SPI " + to_hex(sec.spi, 4, hex_case::upper);
  auto spi = codec::decode_spi(sec.spi);
  if (!spi) return field_error(field, spi_text + ": " + spi.error().message);
  std::vector<std::string> missing;
  auto join = [&]() {
    std::string out;
    for (const auto& m : missing) out += (out.empty() ? "" : "; ") + m;
    return out;
  };
  // Key material must stay secret on the way and be confirmed by the card itself: a PoR
  // anyone could send from the MSISDN would commit keys the card never received. A raw
  // GlobalPlatform PUT KEY (INS D8, GP Card Spec 2.3 §11.8) carries keys too.
  const bool put_key = std::any_of(v.update.apdus.begin(), v.update.apdus.end(),
                                   [](const bytes& a) { return a.size() >= 2 && a[1] == 0xD8; });
  const char* update = v.update.keys     ? "update.keys"
                       : v.update.keyset ? "update.keyset"
                       : v.update.suci   ? "update.suci"
                       : put_key         ? "update.apdus: PUT KEY"
                                         : nullptr;
  if (update) {
    if (!spi->ciphered) missing.push_back("commands not ciphered (octet 1 b3 must be 1)");
    if (spi->por != codec::por_mode::always)
      missing.push_back("no PoR on success (octet 2 b2-b1 must be 01)");
    if (spi->por_integrity != codec::integrity::cc && spi->por_integrity != codec::integrity::ds)
      missing.push_back("PoR without CC or DS (octet 2 b4-b3 must be 10 or 11)");
    if (v.update.keyset) check_keyset_security(sec, missing);
    if (!missing.empty())
      return field_error(field, spi_text + " cannot carry a key update (" + update +
                                    "): " + join() + "; allow_insecure does not lift this");
    // A vendor's profile may ask for more; the built-in one keeps the rules above alone.
    if (v.update.keys && v.update.keys->profile)
      OTAFLOW_TRY(check_key_profile(*v.update.keys->profile, sec, field));
  }
  if (sec.allow_insecure) return {};
  if (spi->counter != codec::counter_mode::higher &&
      spi->counter != codec::counter_mode::one_higher)
    missing.push_back("counter not checked (octet 1 b5-b4 must be 10 or 11)");
  if (spi->command_integrity != codec::integrity::cc &&
      spi->command_integrity != codec::integrity::ds)
    missing.push_back("no CC on commands (octet 1 b2-b1 must be 10)");
  if (!missing.empty())
    return field_error(field, spi_text + " is below the minimum security level: " + join() +
                                  "; set allow_insecure = true in its security table to send "
                                  "it anyway");
  return {};
}

bool allows_insecure(const campaign_def& c) {
  if (c.security.allow_insecure) return true;
  for (const auto& v : c.variants)
    if (v.security.allow_insecure) return true;
  return false;
}

std::vector<variant_def> effective_variants(const campaign_def& c) {
  if (!c.variants.empty()) return c.variants;
  return {variant_def{std::string(default_variant_name), c.security, c.update}};
}

std::string path_text(const std::vector<std::uint16_t>& path) {
  return path_string(path);
}

}  // namespace otaflow::actors
