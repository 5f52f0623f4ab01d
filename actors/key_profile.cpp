#include "actors/key_profile.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "actors/campaign_def.hpp"
#include "codec/otaflow_keyfile.hpp"
#include "codec/ts31102_files.hpp"
#include "secure/key_rotation.hpp"

namespace otaflow::actors {
namespace {

using json = nlohmann::json;

error bad(const std::string& where, const std::string& what) {
  return make_error(errc::bad_value, where + ": " + what);
}

status only(const json& obj, const std::string& where, const std::set<std::string>& allowed) {
  if (!obj.is_object()) return bad(where, "expected a table");
  for (const auto& [k, v] : obj.items()) {
    (void)v;
    if (!allowed.count(k)) return bad(where + "." + k, "unknown field");
  }
  return {};
}

result<std::string> text(const json& obj, const std::string& key, const std::string& where,
                         const std::string& fallback = {}, bool required = false) {
  if (!obj.contains(key)) {
    if (required) return bad(where + "." + key, "is required");
    return fallback;
  }
  if (!obj[key].is_string()) return bad(where + "." + key, "expected a string");
  return obj[key].get<std::string>();
}

result<unsigned> whole(const json& v, const std::string& where, unsigned lo, unsigned hi) {
  if (!v.is_number_integer() || v.get<std::int64_t>() < lo || v.get<std::int64_t>() > hi)
    return bad(where, "expected an integer " + std::to_string(lo) + ".." + std::to_string(hi) +
                          ", got " + v.dump());
  return static_cast<unsigned>(v.get<std::int64_t>());
}

bool is_hex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

result<std::vector<std::uint16_t>> parse_fid_path(const std::string& s, const std::string& where) {
  std::vector<std::uint16_t> out;
  std::size_t at = 0;
  while (at <= s.size()) {
    const auto slash = std::min(s.find('/', at), s.size());
    const auto part = s.substr(at, slash - at);
    if (part.size() != 4 || !std::all_of(part.begin(), part.end(), is_hex))
      return bad(where, "'" + s + "' is not a path of 4-hex-digit FIDs like 3F00/7F4F/6F20");
    out.push_back(static_cast<std::uint16_t>(std::stoul(part, nullptr, 16)));
    at = slash + 1;
  }
  if (out.size() < 2 || out.front() != 0x3F00)
    return bad(where, "'" + s + "' must start at the MF (3F00) and name a file under it");
  return out;
}

std::string path_string(const std::vector<std::uint16_t>& p) {
  std::string out;
  for (auto f : p) out += (out.empty() ? "" : "/") + to_hex(f, 4, hex_case::upper);
  return out;
}

std::size_t value_size(const key_profile& p) {
  return p.algorithm ? secure::wrapped_size(*p.algorithm, p.padding, 16) : 0;
}

// Sizes of the placeholders for a profile (wrapped ones only when it wraps).
std::map<std::string, std::size_t> placeholder_sizes(const key_profile& p) {
  std::map<std::string, std::size_t> m{{"ki", 16}, {"opc", 16}, {"kcv_ki", 3},
                                       {"seq", 4}, {"kvn", 1},  {"len", 1}};
  if (p.wrap_key != key_wrap_key::none && p.algorithm) {
    m["ki_wrapped"] = value_size(p);
    m["opc_wrapped"] = value_size(p);
  }
  return m;
}

std::string known_list(const std::map<std::string, std::size_t>& m) {
  std::string out;
  for (const auto& [k, n] : m) out += (out.empty() ? "{" : ", {") + k + "}";
  return out;
}

result<bytes> expand(const key_apdu_template& t, const std::map<std::string, bytes>& values,
                     const std::string& where) {
  bytes out;
  std::optional<std::size_t> len_at;
  for (const auto& part : t.parts) {
    if (part.name.empty()) {
      out.insert(out.end(), part.literal.begin(), part.literal.end());
    } else if (part.name == "len") {
      len_at = out.size();
      out.push_back(0);
    } else {
      const auto& v = values.at(part.name);
      out.insert(out.end(), v.begin(), v.end());
    }
  }
  if (len_at) {
    const std::size_t n = out.size() - *len_at - 1;
    if (n == 0 || n > 255)
      return bad(where, "{len} counts " + std::to_string(n) +
                            " octets after it; a short APDU's Lc is 1..255");
    out[*len_at] = static_cast<std::uint8_t>(n);
  }
  return out;
}

// Placeholder values: the card's, or FF octets of the same sizes.
std::map<std::string, bytes> template_values(const key_profile& p, const key_values* v,
                                             const bytes& ki_w, const bytes& opc_w) {
  std::map<std::string, bytes> m;
  for (const auto& [name, n] : placeholder_sizes(p)) m[name] = bytes(n, 0xFF);
  if (!v) return m;
  m["ki"].assign(v->ki.begin(), v->ki.end());
  m["opc"].assign(v->opc.begin(), v->opc.end());
  // Ki is 16 octets (the key store's pending keys), so the KCV cannot fail; if it ever did,
  // key_commands refuses the card rather than send FF octets (see there).
  if (auto kcv = secure::key_check_value(v->ki)) {
    m["kcv_ki"].assign(kcv->begin(), kcv->end());
  } else {
    m.erase("kcv_ki");
  }
  m["seq"] = {static_cast<std::uint8_t>(v->sequence >> 24),
              static_cast<std::uint8_t>(v->sequence >> 16),
              static_cast<std::uint8_t>(v->sequence >> 8), static_cast<std::uint8_t>(v->sequence)};
  m["kvn"] = {v->kvn};
  if (m.count("ki_wrapped")) {
    m["ki_wrapped"] = ki_w;
    m["opc_wrapped"] = opc_w;
  }
  return m;
}

}  // namespace

result<key_apdu_template> parse_apdu_template(const std::string& s, const key_profile& p,
                                              const std::string& where) {
  const auto sizes = placeholder_sizes(p);
  key_apdu_template t;
  t.text = s;
  std::size_t octets = 0;
  std::size_t i = 0;
  auto literal = [&]() -> bytes& {
    if (t.parts.empty() || !t.parts.back().name.empty()) t.parts.push_back({});
    return t.parts.back().literal;
  };
  while (i < s.size()) {
    const char c = s[i];
    if (c == ' ' || c == '\t') {
      ++i;
    } else if (c == '{') {
      const auto end = s.find('}', i);
      if (end == std::string::npos)
        return bad(where, "'{' at column " + std::to_string(i + 1) + " is not closed");
      const std::string name = s.substr(i + 1, end - i - 1);
      if (!sizes.count(name)) {
        if (name == "ki_wrapped" || name == "opc_wrapped")
          return bad(where, "{" + name + "} needs a wrapping key (protection.wrap_key is none)");
        return bad(where, "unknown placeholder {" + name + "}; known: " + known_list(sizes));
      }
      if (name == "len") {
        if (octets != 4) return bad(where, "{len} is Lc: it must follow CLA INS P1 P2 (octet 5)");
        if (std::any_of(t.parts.begin(), t.parts.end(),
                        [](const auto& x) { return x.name == "len"; }))
          return bad(where, "{len} appears twice");
      }
      t.parts.push_back({{}, name});
      octets += sizes.at(name);
      i = end + 1;
    } else if (is_hex(c)) {
      std::size_t j = i;
      while (j < s.size() && is_hex(s[j])) ++j;
      if ((j - i) % 2 != 0)
        return bad(where, "odd number of hex digits in '" + s.substr(i, j - i) + "' at column " +
                              std::to_string(i + 1));
      auto b = from_hex(s.substr(i, j - i));
      if (!b) return bad(where, "bad hex at column " + std::to_string(i + 1));
      auto& lit = literal();
      lit.insert(lit.end(), b->begin(), b->end());
      octets += b->size();
      i = j;
    } else {
      return bad(where, std::string("unexpected '") + c + "' at column " + std::to_string(i + 1) +
                            " (hex octets and {placeholders} only)");
    }
  }
  if (octets < 4) return bad(where, "an APDU needs at least CLA INS P1 P2");
  // The expanded template must be one well-formed command APDU.
  auto probe = expand(t, template_values(p, nullptr, {}, {}), where);
  if (!probe) return probe.error();
  auto apdu = codec::decode_command_apdu(*probe);
  if (!apdu) return bad(where, "not a command APDU once expanded: " + apdu.error().message);
  return t;
}

const key_profile& otaflow_virtual_key_profile() {
  static const key_profile p = [] {
    key_profile k;
    k.name = "otaflow-virtual";
    k.description = "otaflow's key rotation file MF/7F66/6F01 (docs/formats/key-rotation-file.md)";
    k.algorithm.reset();  // aes-kw
    k.path = {0x3F00, codec::ts31102::fid::df_otaflow, codec::ts31102::fid::ef_otaflow_keys};
    k.otaflow_key_file = true;
    return k;
  }();
  return p;
}

const key_profile& effective_key_profile(const keys_update_def& k) {
  return k.profile ? *k.profile : otaflow_virtual_key_profile();
}

namespace {

status parse_protection(const json& j, const std::string& where, key_profile& p) {
  OTAFLOW_TRY(only(j, where, {"tar", "integrity", "wrap_key", "algorithm", "padding"}));
  if (j.contains("tar")) {
    auto s = text(j, "tar", where);
    if (!s) return s.error();
    if (s->size() != 6 || !std::all_of(s->begin(), s->end(), is_hex))
      return bad(where + ".tar", "expected 6 hex digits like B00010, got '" + *s + "'");
    p.tar = static_cast<std::uint32_t>(std::stoul(*s, nullptr, 16));
  }
  auto integ = text(j, "integrity", where, "cc");
  if (!integ) return integ.error();
  if (*integ == "cc") {
    p.integrity = codec::integrity::cc;
  } else if (*integ == "ds") {
    p.integrity = codec::integrity::ds;
  } else {
    return bad(
        where + ".integrity",
        "'" + *integ + "' is not cc or ds (a key update is always ciphered and checksummed)");
  }
  auto wk = text(j, "wrap_key", where, "kik");
  if (!wk) return wk.error();
  if (*wk == "kik") {
    p.wrap_key = key_wrap_key::kik;
  } else if (*wk == "kic") {
    p.wrap_key = key_wrap_key::kic;
  } else if (*wk == "none") {
    p.wrap_key = key_wrap_key::none;
  } else {
    return bad(where + ".wrap_key", "'" + *wk + "' is not kik, kic or none");
  }
  auto alg = text(j, "algorithm", where, p.wrap_key == key_wrap_key::none ? "" : "aes-ecb");
  if (!alg) return alg.error();
  if (p.wrap_key == key_wrap_key::none) {
    if (!alg->empty()) return bad(where + ".algorithm", "needs a wrap_key (wrap_key is none)");
    p.algorithm.reset();
  } else if (*alg == "aes-kw") {
    p.algorithm.reset();  // checked against the write layout by the caller
  } else {
    auto a = secure::key_wrap_alg_from(*alg);
    if (!a) return bad(where + ".algorithm", a.error().message + " (or aes-kw)");
    p.algorithm = *a;
  }
  auto pad = text(j, "padding", where, "none");
  if (!pad) return pad.error();
  auto pd = secure::key_wrap_padding_from(*pad);
  if (!pd) return bad(where + ".padding", pd.error().message);
  p.padding = *pd;
  return {};
}

status parse_fields(const json& j, const std::string& where, key_profile& p) {
  OTAFLOW_TRY(only(j, where, {"ki", "opc", "kcv_ki", "sequence"}));
  const bool rec = p.structure == key_file_structure::linear_fixed;
  for (auto [key, field] : {std::pair{"ki", &p.ki}, std::pair{"opc", &p.opc},
                            std::pair{"kcv_ki", &p.kcv_ki}, std::pair{"sequence", &p.sequence}}) {
    if (!j.contains(key)) continue;
    auto n = whole(j[key], where + "." + key, rec ? 1 : 0, rec ? 254 : 0x7FFF);
    if (!n) return n.error();
    *field = static_cast<std::uint16_t>(*n);
  }
  if (!p.ki || !p.opc) return bad(where, "needs ki and opc");
  return {};
}

// The written fields of a file profile: (position, length) in order ki, opc, kcv_ki, sequence.
std::vector<std::pair<std::uint16_t, std::size_t>> file_fields(const key_profile& p) {
  const std::size_t v = p.wrapped_values ? value_size(p) : 16;
  std::vector<std::pair<std::uint16_t, std::size_t>> out{{*p.ki, v}, {*p.opc, v}};
  if (p.kcv_ki) out.emplace_back(*p.kcv_ki, 3);
  if (p.sequence) out.emplace_back(*p.sequence, 4);
  return out;
}

status check_file_layout(const key_profile& p, const std::string& where) {
  if (p.otaflow_key_file) {
    if (p.algorithm || p.wrap_key != key_wrap_key::kik ||
        p.padding != secure::key_wrap_padding::none)
      return bad(where,
                 "layout otaflow-key-file needs protection wrap_key = \"kik\", algorithm "
                 "= \"aes-kw\", padding = \"none\"");
    if (p.structure != key_file_structure::transparent)
      return bad(where + ".structure", "layout otaflow-key-file is a transparent file");
    return {};
  }
  if (p.wrap_key != key_wrap_key::none && !p.algorithm)
    return bad(where, "protection.algorithm aes-kw is only the otaflow-key-file layout's");
  if (p.wrapped_values && p.wrap_key == key_wrap_key::none)
    return bad(where + ".values", "wrapped values need protection.wrap_key kik or kic");
  if (p.wrapped_values && value_size(p) == 0)
    return bad(where, "16-octet values do not fill whole blocks of the algorithm without padding");
  auto fields = file_fields(p);
  if (p.structure == key_file_structure::linear_fixed) {
    std::set<std::uint16_t> seen;
    for (const auto& [rec, n] : fields) {
      if (!seen.insert(rec).second)
        return bad(where + ".fields", "record " + std::to_string(rec) + " is used twice");
      if (n > p.record_length)
        return bad(where + ".record_length", std::to_string(p.record_length) +
                                                 " octets cannot hold a " + std::to_string(n) +
                                                 "-octet value");
    }
    return {};
  }
  std::sort(fields.begin(), fields.end());
  for (std::size_t i = 1; i < fields.size(); ++i)
    if (fields[i - 1].first + fields[i - 1].second > fields[i].first)
      return bad(where + ".fields", "the fields at offsets " + std::to_string(fields[i - 1].first) +
                                        " and " + std::to_string(fields[i].first) + " overlap");
  if (fields.back().first + fields.back().second > 0x7FFF)
    return bad(where + ".fields", "a field ends beyond offset 32767");
  return {};
}

status parse_write(const json& j, const std::string& where, key_profile& p) {
  if (!j.is_object()) return bad(where, "expected a table");
  auto method = text(j, "method", where, "", true);
  if (!method) return method.error();
  if (*method == "apdus") {
    p.method = key_write_method::apdus;
    OTAFLOW_TRY(only(j, where, {"method", "apdus"}));
    if (!p.algorithm && p.wrap_key != key_wrap_key::none)
      return bad(where, "protection.algorithm aes-kw is only the otaflow-key-file layout's");
    if (!j.contains("apdus") || !j["apdus"].is_array() || j["apdus"].empty() ||
        j["apdus"].size() > 16)
      return bad(where + ".apdus", "expected a list of 1 to 16 APDU templates");
    for (std::size_t i = 0; i < j["apdus"].size(); ++i) {
      const auto w = where + ".apdus[" + std::to_string(i) + "]";
      if (!j["apdus"][i].is_string()) return bad(w, "expected a string");
      auto t = parse_apdu_template(j["apdus"][i].get<std::string>(), p, w);
      if (!t) return t.error();
      p.apdus.push_back(std::move(*t));
    }
    return {};
  }
  if (*method != "file") return bad(where + ".method", "'" + *method + "' is not file or apdus");
  p.method = key_write_method::file;
  OTAFLOW_TRY(only(j, where,
                   {"method", "path", "structure", "layout", "values", "fields", "record_length"}));
  auto path = text(j, "path", where, "", true);
  if (!path) return path.error();
  auto fids = parse_fid_path(*path, where + ".path");
  if (!fids) return fids.error();
  p.path = std::move(*fids);
  auto st = text(j, "structure", where, "transparent");
  if (!st) return st.error();
  if (*st == "transparent") {
    p.structure = key_file_structure::transparent;
  } else if (*st == "linear_fixed") {
    p.structure = key_file_structure::linear_fixed;
  } else {
    return bad(where + ".structure", "'" + *st + "' is not transparent or linear_fixed");
  }
  auto layout = text(j, "layout", where, "fields");
  if (!layout) return layout.error();
  if (*layout != "fields" && *layout != "otaflow-key-file")
    return bad(where + ".layout", "'" + *layout + "' is not fields or otaflow-key-file");
  p.otaflow_key_file = *layout == "otaflow-key-file";
  if (p.otaflow_key_file) {
    for (const char* k : {"values", "fields", "record_length"})
      if (j.contains(k))
        return bad(where + "." + k, "the otaflow-key-file layout has no " + std::string(k));
    return check_file_layout(p, where);
  }
  auto values = text(j, "values", where, "wrapped");
  if (!values) return values.error();
  if (*values != "wrapped" && *values != "clear")
    return bad(where + ".values", "'" + *values + "' is not wrapped or clear");
  p.wrapped_values = *values == "wrapped";
  if (!j.contains("fields")) return bad(where + ".fields", "is required (ki and opc)");
  OTAFLOW_TRY(parse_fields(j["fields"], where + ".fields", p));
  if (p.structure == key_file_structure::linear_fixed) {
    if (!j.contains("record_length"))
      return bad(where + ".record_length", "is required for linear_fixed");
    auto n = whole(j["record_length"], where + ".record_length", 1, 255);
    if (!n) return n.error();
    p.record_length = static_cast<std::uint8_t>(*n);
  } else if (j.contains("record_length")) {
    return bad(where + ".record_length", "is for linear_fixed files only");
  }
  return check_file_layout(p, where);
}

}  // namespace

result<key_profile> key_profile_from_json(const json& j, const std::string& where) {
  OTAFLOW_TRY(only(j, where, {"name", "description", "protection", "write"}));
  key_profile p;
  auto name = text(j, "name", where, "", true);
  if (!name) return name.error();
  if (name->empty() || name->size() > 64 ||
      name->find_first_not_of(
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != std::string::npos)
    return bad(where + ".name", "'" + *name + "' is not 1-64 of [A-Za-z0-9._-]");
  p.name = *name;
  auto desc = text(j, "description", where);
  if (!desc) return desc.error();
  p.description = *desc;
  OTAFLOW_TRY(parse_protection(j.contains("protection") ? j["protection"] : json::object(),
                               where + ".protection", p));
  if (!j.contains("write")) return bad(where + ".write", "is required (method file or apdus)");
  OTAFLOW_TRY(parse_write(j["write"], where + ".write", p));
  return p;
}

json to_json(const key_profile& p) {
  json prot = {{"integrity", codec::name(p.integrity)}};
  if (p.tar) prot["tar"] = to_hex(*p.tar, 6, hex_case::upper);
  prot["wrap_key"] = p.wrap_key == key_wrap_key::kik   ? "kik"
                     : p.wrap_key == key_wrap_key::kic ? "kic"
                                                       : "none";
  if (p.wrap_key != key_wrap_key::none)
    prot["algorithm"] = p.algorithm ? std::string(secure::name(*p.algorithm)) : "aes-kw";
  prot["padding"] = std::string(secure::name(p.padding));
  json w;
  if (p.method == key_write_method::apdus) {
    w["method"] = "apdus";
    w["apdus"] = json::array();
    for (const auto& t : p.apdus) w["apdus"].push_back(t.text);
  } else {
    w["method"] = "file";
    w["path"] = path_string(p.path);
    w["structure"] =
        p.structure == key_file_structure::transparent ? "transparent" : "linear_fixed";
    w["layout"] = p.otaflow_key_file ? "otaflow-key-file" : "fields";
    if (!p.otaflow_key_file) {
      w["values"] = p.wrapped_values ? "wrapped" : "clear";
      json f = {{"ki", *p.ki}, {"opc", *p.opc}};
      if (p.kcv_ki) f["kcv_ki"] = *p.kcv_ki;
      if (p.sequence) f["sequence"] = *p.sequence;
      w["fields"] = f;
      if (p.structure == key_file_structure::linear_fixed) w["record_length"] = p.record_length;
    }
  }
  json out = {{"name", p.name}, {"protection", prot}, {"write", w}};
  if (!p.description.empty()) out["description"] = p.description;
  return out;
}

result<key_profile> load_key_profile(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return make_error(errc::io, "cannot read key profile '" + file.string() + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = toml_to_json(ss.str(), file.string());
  if (!j) return j.error();
  return key_profile_from_json(*j, file.string());
}

status parse_keys_update(const json& v, keys_update_def& out) {
  if (!v.is_object()) return bad("update.keys", "expected a table");
  OTAFLOW_TRY(only(v, "update.keys", {"rotate", "profile"}));
  if (!v.contains("rotate") || !v["rotate"].is_array() || v["rotate"].empty())
    return bad("update.keys.rotate", "expected a list of \"ki\" and/or \"opc\"");
  out.ki = out.opc = false;
  for (const auto& k : v["rotate"]) {
    const auto name = k.is_string() ? k.get<std::string>() : "";
    if (name == "ki") {
      out.ki = true;
    } else if (name == "opc") {
      out.opc = true;
    } else {
      return bad("update.keys.rotate", "expected \"ki\" or \"opc\", got " + k.dump());
    }
  }
  out.profile.reset();
  if (!v.contains("profile")) return {};
  const auto& p = v["profile"];
  if (p.is_string()) {
    if (p.get<std::string>() == otaflow_virtual_key_profile().name) return {};
    return bad("update.keys.profile",
               "'" + p.get<std::string>() +
                   "' is not the built-in \"otaflow-virtual\"; a profile file is read when the "
                   "campaign file is (a campaign event carries the profile's table)");
  }
  auto kp = key_profile_from_json(p, "update.keys.profile");
  if (!kp) return kp.error();
  if (*kp != otaflow_virtual_key_profile()) out.profile = std::move(*kp);
  return {};
}

json to_json(const keys_update_def& k) {
  json rotate = json::array();
  if (k.ki) rotate.push_back("ki");
  if (k.opc) rotate.push_back("opc");
  json out = {{"rotate", rotate}};
  if (k.profile) out["profile"] = to_json(*k.profile);
  return out;
}

status resolve_key_profile_files(json& campaign, const std::filesystem::path& base) {
  auto resolve = [&](json& update, const std::string& where) -> status {
    if (!update.is_object() || !update.contains("keys") || !update["keys"].is_object()) return {};
    auto& keys = update["keys"];
    if (!keys.contains("profile") || !keys["profile"].is_string()) return {};
    const auto name = keys["profile"].get<std::string>();
    if (name == otaflow_virtual_key_profile().name) return {};
    std::filesystem::path file(name);
    if (file.is_relative()) file = base / file;
    std::ifstream in(file);
    if (!in)
      return make_error(errc::io,
                        where + ".keys.profile: cannot read key profile '" + file.string() + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    auto j = toml_to_json(ss.str(), file.string());
    if (!j) return j.error();
    // Errors in the file name the file: parse it here, keep its JSON for the campaign.
    auto p = key_profile_from_json(*j, file.string());
    if (!p) return p.error();
    keys["profile"] = to_json(*p);
    return {};
  };
  if (!campaign.is_object()) return {};
  if (campaign.contains("update")) OTAFLOW_TRY(resolve(campaign["update"], "update"));
  if (campaign.contains("variant") && campaign["variant"].is_array()) {
    for (std::size_t i = 0; i < campaign["variant"].size(); ++i) {
      auto& v = campaign["variant"][i];
      if (v.is_object() && v.contains("update"))
        OTAFLOW_TRY(resolve(v["update"], "variant[" + std::to_string(i) + "].update"));
    }
  }
  return {};
}

status check_key_profile(const key_profile& p, const security_def& s, const std::string& field) {
  const std::string who = "key profile '" + p.name + "'";
  if (p.tar && *p.tar != s.tar)
    return bad(field, who + " is reached on TAR " + to_hex(*p.tar, 6, hex_case::upper) +
                          ", the campaign sends to " + to_hex(s.tar, 6, hex_case::upper));
  auto spi = codec::decode_spi(s.spi);
  if (!spi)
    return bad(field, "SPI " + to_hex(s.spi, 4, hex_case::upper) + ": " + spi.error().message);
  if (!spi->ciphered)
    return bad(field, who + " needs ciphered commands, SPI " + to_hex(s.spi, 4, hex_case::upper) +
                          " has none");
  if (static_cast<int>(spi->command_integrity) < static_cast<int>(p.integrity))
    return bad(field, who + " needs commands with a " +
                          (p.integrity == codec::integrity::ds ? std::string("DS")
                                                               : std::string("CC or DS")) +
                          ", SPI " + to_hex(s.spi, 4, hex_case::upper) + " has " +
                          codec::name(spi->command_integrity));
  return {};
}

result<std::vector<codec::command_apdu>> key_commands(const key_profile& p, std::uint8_t cla,
                                                      const key_values* v) {
  std::vector<codec::command_apdu> out;
  if (v && (v->ki.size() != 16 || v->opc.size() != 16))
    return make_error(errc::bad_length, "Ki and OPc must have 16 octets");
  if (p.otaflow_key_file) {
    codec::command_apdu u{cla, codec::ins::update_binary, 0, 0, {}, {}};
    if (!v) {
      u.data = bytes(codec::keyfile::file_size, 0xFF);
    } else {
      secure::subscriber_keys keys;
      std::copy(v->ki.begin(), v->ki.end(), keys.ki.begin());
      std::copy(v->opc.begin(), v->opc.end(), keys.opc.begin());
      codec::keyfile::header hdr;
      hdr.kik_index = v->kvn;
      hdr.sequence = v->sequence;
      auto image = secure::seal_key_file(v->wrap_key, hdr, keys);
      if (!image) return image.error();
      u.data = std::move(*image);
    }
    out.push_back(std::move(u));
    return out;
  }
  bytes ki_w, opc_w;
  const bool wraps = p.wrap_key != key_wrap_key::none && p.algorithm;
  if (v && wraps) {
    auto a = secure::wrap_value(*p.algorithm, p.padding, v->wrap_key, v->ki);
    if (!a) return make_error(a.error().code, "wrapping Ki: " + a.error().message);
    auto b = secure::wrap_value(*p.algorithm, p.padding, v->wrap_key, v->opc);
    if (!b) {
      secure_wipe(*a);
      return make_error(b.error().code, "wrapping OPc: " + b.error().message);
    }
    ki_w = std::move(*a);
    opc_w = std::move(*b);
  }
  auto values = template_values(p, v, ki_w, opc_w);
  secure_wipe(ki_w);
  secure_wipe(opc_w);
  if (!values.count("kcv_ki")) return make_error(errc::internal, "the KCV of Ki failed");
  auto wipe_all = [&] {
    for (auto& [k, b] : values) secure_wipe(b);
  };
  if (p.method == key_write_method::apdus) {
    for (std::size_t i = 0; i < p.apdus.size(); ++i) {
      auto raw = expand(p.apdus[i], values, "apdus[" + std::to_string(i) + "]");
      if (!raw) {
        wipe_all();
        return raw.error();
      }
      auto a = codec::decode_command_apdu(*raw);
      secure_wipe(*raw);
      if (!a) {
        wipe_all();
        return make_error(errc::bad_value,
                          "apdus[" + std::to_string(i) + "]: " + a.error().message);
      }
      out.push_back(std::move(*a));
    }
    wipe_all();
    return out;
  }
  // A file: the fields with their data, in order ki, opc, kcv_ki, sequence.
  const auto& ki = p.wrapped_values ? values["ki_wrapped"] : values["ki"];
  const auto& opc = p.wrapped_values ? values["opc_wrapped"] : values["opc"];
  std::vector<std::pair<std::uint16_t, const bytes*>> fields{{*p.ki, &ki}, {*p.opc, &opc}};
  if (p.kcv_ki) fields.emplace_back(*p.kcv_ki, &values["kcv_ki"]);
  if (p.sequence) fields.emplace_back(*p.sequence, &values["seq"]);
  if (p.structure == key_file_structure::linear_fixed) {
    // ISO 7816-4 §7.3.5 UPDATE RECORD, P2 04 = absolute record number in P1; whole records.
    for (const auto& [rec, data] : fields) {
      bytes d = *data;
      d.resize(p.record_length, 0xFF);
      out.push_back(
          {cla, codec::ins::update_record, static_cast<std::uint8_t>(rec), 0x04, std::move(d), {}});
    }
  } else {
    // UPDATE BINARY per run of adjacent fields (ISO 7816-4 §7.2.5), in offset order.
    std::sort(fields.begin(), fields.end());
    for (std::size_t i = 0; i < fields.size();) {
      const std::uint16_t start = fields[i].first;
      bytes d;
      while (i < fields.size() && fields[i].first == start + d.size() &&
             d.size() + fields[i].second->size() <= 255) {
        d.insert(d.end(), fields[i].second->begin(), fields[i].second->end());
        ++i;
      }
      out.push_back({cla,
                     codec::ins::update_binary,
                     static_cast<std::uint8_t>(start >> 8),
                     static_cast<std::uint8_t>(start),
                     std::move(d),
                     {}});
    }
  }
  wipe_all();
  return out;
}

}  // namespace otaflow::actors
