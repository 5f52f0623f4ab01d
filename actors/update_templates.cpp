#include "actors/update_templates.hpp"

// Template tables of [update] (docs/CAMPAIGNS.md "Templates"): reading, writing back, and
// expansion into file and record writes. Codings are codec/ts31102_ef.hpp's; the clauses the
// bytes follow are in docs/standards/ts31102-files.md §3 and update-templates.md.

#include <algorithm>
#include <charconv>
#include <set>

#include <nlohmann/json.hpp>

#include "actors/campaign_def.hpp"
#include "codec/ts31102_files.hpp"

namespace otaflow::actors {

namespace ts = codec::ts31102;
using nlohmann::json;

namespace {

error field_error(const std::string& field, const std::string& what) {
  return make_error(errc::bad_value, "campaign field '" + field + "': " + what);
}

status only_keys(const json& obj, const std::string& where, std::set<std::string> allowed) {
  for (const auto& [k, v] : obj.items()) {
    if (!allowed.count(k))
      return make_error(errc::bad_value, "campaign: unknown field '" + where + "." + k + "'");
  }
  return {};
}

// An integer in [lo, hi] (TOML and JSON integers; a float is refused).
result<std::int64_t> integer(const json& v, const std::string& field, std::int64_t lo,
                             std::int64_t hi) {
  if (!v.is_number_integer())
    return field_error(
        field, "expected an integer between " + std::to_string(lo) + " and " + std::to_string(hi));
  const auto n = v.is_number_unsigned() && v.get<std::uint64_t>() > 0x7FFFFFFFFFFFFFFFull
                     ? hi + 1
                     : v.get<std::int64_t>();
  if (n < lo || n > hi) {
    return field_error(field, "must be between " + std::to_string(lo) + " and " +
                                  std::to_string(hi) + ", got " + v.dump());
  }
  return n;
}

result<bool> boolean(const json& v, const std::string& field) {
  if (!v.is_boolean()) return field_error(field, "expected true or false");
  return v.get<bool>();
}

result<std::string> text(const json& v, const std::string& field) {
  if (!v.is_string()) return field_error(field, "expected a string");
  return v.get<std::string>();
}

// file_size of a transparent-file template: 1..255 (one UPDATE BINARY writes it all).
status optional_size(const json& t, const std::string& where, std::optional<std::uint16_t>& out) {
  if (!t.contains("file_size")) return {};
  auto n = integer(t["file_size"], where + ".file_size", 1, 255);
  if (!n) return n.error();
  out = static_cast<std::uint16_t>(*n);
  return {};
}

result<std::vector<ts::plmn>> plmn_list(const json& v, const std::string& field) {
  if (!v.is_array()) return field_error(field, "expected a list of \"MCC-MNC\" strings");
  std::vector<ts::plmn> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto f = field + "[" + std::to_string(i) + "]";
    auto s = text(v[i], f);
    if (!s) return s.error();
    auto p = parse_plmn_text(*s);
    if (!p) return field_error(f, p.error().message);
    out.push_back(std::move(*p));
  }
  return out;
}

status parse_plmn_list(const json& t, const std::string& where, plmn_list_template& out) {
  if (!t.is_object()) return field_error(where, "expected a table");
  OTAFLOW_TRY(only_keys(t, where, {"plmns", "file_size"}));
  if (!t.contains("plmns")) return field_error(where + ".plmns", "missing (a list, [] clears)");
  auto l = plmn_list(t["plmns"], where + ".plmns");
  if (!l) return l.error();
  out.plmns = std::move(*l);
  return optional_size(t, where, out.file_size);
}

// Access technology names of TS 31.102 §4.2.5 (codec/ts31102_ef.hpp act::).
struct act_name {
  const char* name;
  std::uint16_t bit;
};
constexpr act_name act_names[] = {
    {"utran", ts::act::utran},
    {"eutran", ts::act::eutran},
    {"eutran_wb_s1", ts::act::eutran_wb_s1},
    {"eutran_nb_s1", ts::act::eutran_nb_s1},
    {"ngran", ts::act::ngran},
    {"sat_ngran", ts::act::sat_ngran},
    {"gsm", ts::act::gsm},
    {"gsm_compact", ts::act::gsm_compact},
    {"cdma2000_hrpd", ts::act::cdma2000_hrpd},
    {"cdma2000_1xrtt", ts::act::cdma2000_1xrtt},
};

std::string act_choices() {
  std::string s;
  for (const auto& a : act_names) s += (s.empty() ? "" : ", ") + std::string(a.name);
  return s;
}

status parse_plmn_selector(const json& t, plmn_selector_template& out) {
  const std::string where = "update.plmn_selector";
  if (!t.is_object()) return field_error(where, "expected a table");
  OTAFLOW_TRY(only_keys(t, where, {"file", "entries", "file_size"}));
  if (t.contains("file")) {
    auto f = text(t["file"], where + ".file");
    if (!f) return f.error();
    if (*f != "oplmn" && *f != "plmn")
      return field_error(where + ".file", "expected \"oplmn\" (6F61) or \"plmn\" (6F60)");
    out.operator_list = *f == "oplmn";
  }
  if (!t.contains("entries") || !t["entries"].is_array())
    return field_error(where + ".entries", "expected a list of { plmn, act } tables");
  for (std::size_t i = 0; i < t["entries"].size(); ++i) {
    const auto& e = t["entries"][i];
    const auto f = where + ".entries[" + std::to_string(i) + "]";
    if (!e.is_object()) return field_error(f, "expected a table { plmn, act }");
    OTAFLOW_TRY(only_keys(e, f, {"plmn", "act"}));
    if (!e.contains("plmn")) return field_error(f + ".plmn", "missing");
    auto s = text(e["plmn"], f + ".plmn");
    if (!s) return s.error();
    auto p = parse_plmn_text(*s);
    if (!p) return field_error(f + ".plmn", p.error().message);
    ts::plmn_act entry{std::move(*p), 0};
    if (!e.contains("act") || !e["act"].is_array() || e["act"].empty())
      return field_error(f + ".act", "expected a non-empty list of " + act_choices());
    for (const auto& a : e["act"]) {
      const auto* hit =
          a.is_string()
              ? std::find_if(std::begin(act_names), std::end(act_names),
                             [&](const act_name& n) { return a.get<std::string>() == n.name; })
              : std::end(act_names);
      if (hit == std::end(act_names))
        return field_error(f + ".act", "unknown access technology " + a.dump() + " (expected " +
                                           act_choices() + ")");
      entry.act |= hit->bit;
    }
    out.entries.push_back(std::move(entry));
  }
  return optional_size(t, where, out.file_size);
}

status parse_spn(const json& t, spn_template& out) {
  const std::string where = "update.spn";
  if (!t.is_object()) return field_error(where, "expected a table");
  OTAFLOW_TRY(only_keys(t, where, {"name", "coding", "display_condition"}));
  if (!t.contains("name")) return field_error(where + ".name", "missing");
  auto n = text(t["name"], where + ".name");
  if (!n) return n.error();
  out.spn.name.utf8 = *n;
  if (t.contains("coding")) {
    auto c = text(t["coding"], where + ".coding");
    if (!c) return c.error();
    if (*c == "gsm7") {
      out.spn.name.coding = ts::alpha_coding::gsm7;
    } else if (*c == "ucs2") {
      out.spn.name.coding = ts::alpha_coding::ucs2_80;
    } else {
      return field_error(where + ".coding", "expected \"gsm7\" or \"ucs2\", got \"" + *c + "\"");
    }
  }
  if (t.contains("display_condition")) {
    const auto& d = t["display_condition"];
    const auto f = where + ".display_condition";
    if (!d.is_object())
      return field_error(f, "expected { plmn_name_required, spn_not_required_outside }");
    OTAFLOW_TRY(only_keys(d, f, {"plmn_name_required", "spn_not_required_outside"}));
    if (d.contains("plmn_name_required")) {
      auto b = boolean(d["plmn_name_required"], f + ".plmn_name_required");
      if (!b) return b.error();
      out.spn.plmn_name_required = *b;
    }
    if (d.contains("spn_not_required_outside")) {
      auto b = boolean(d["spn_not_required_outside"], f + ".spn_not_required_outside");
      if (!b) return b.error();
      out.spn.spn_not_required_outside = *b;
    }
  }
  return {};
}

// "+491720000000": international (TON/NPI 91); digits alone: unknown type (81).
result<ts::sms_address> address(const json& v, const std::string& field) {
  auto s = text(v, field);
  if (!s) return s.error();
  ts::sms_address a;
  std::string_view d = *s;
  a.ton_npi = 0x81;
  if (!d.empty() && d.front() == '+') {
    a.ton_npi = 0x91;
    d.remove_prefix(1);
  }
  if (d.empty() || d.size() > 20 ||
      !std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return field_error(field, "expected 1 to 20 digits, optionally after '+', got \"" + *s + "\"");
  }
  a.digits = std::string(d);
  return a;
}

// TP-VP relative format (TS 23.040 §9.2.3.12.1): the value that codes exactly `d`.
result<std::uint8_t> relative_vp(std::chrono::milliseconds d, const std::string& field) {
  const auto ms = d.count();
  const std::int64_t min = 60'000;
  if (ms % min == 0) {
    const auto m = ms / min;
    if (m >= 5 && m <= 720 && m % 5 == 0) return static_cast<std::uint8_t>(m / 5 - 1);
    if (m > 720 && m <= 1440 && (m - 720) % 30 == 0)
      return static_cast<std::uint8_t>(143 + (m - 720) / 30);
    if (m % 1440 == 0 && m / 1440 >= 2 && m / 1440 <= 30)
      return static_cast<std::uint8_t>(166 + m / 1440);
    if (m % 10080 == 0 && m / 10080 >= 5 && m / 10080 <= 63)
      return static_cast<std::uint8_t>(192 + m / 10080);
  }
  return field_error(field, format_duration(d) +
                                " has no relative TP-VP (5 min steps to 12h, 30 min steps to "
                                "24h, days 2-30, weeks 5-63)");
}

std::chrono::milliseconds vp_duration(std::uint8_t v) {
  using std::chrono::minutes;
  if (v <= 143) return minutes((v + 1) * 5);
  if (v <= 167) return minutes(720 + (v - 143) * 30);
  if (v <= 196) return minutes((v - 166) * 1440);
  return minutes((v - 192) * 10080);
}

status parse_smsp(const json& t, smsp_template& out) {
  const std::string where = "update.smsp";
  if (!t.is_object()) return field_error(where, "expected a table");
  OTAFLOW_TRY(only_keys(t, where,
                        {"record", "service_centre", "destination", "name", "pid", "dcs",
                         "validity", "record_size"}));
  if (t.contains("record")) {
    auto r = integer(t["record"], where + ".record", 1, 254);
    if (!r) return r.error();
    out.record = static_cast<std::uint8_t>(*r);
  }
  if (!t.contains("service_centre"))
    return field_error(where + ".service_centre", "missing (e.g. \"+491720000000\")");
  auto sc = address(t["service_centre"], where + ".service_centre");
  if (!sc) return sc.error();
  out.smsp.service_centre = std::move(*sc);
  if (t.contains("destination")) {
    auto da = address(t["destination"], where + ".destination");
    if (!da) return da.error();
    out.smsp.destination = std::move(*da);
  }
  if (t.contains("name")) {
    auto n = text(t["name"], where + ".name");
    if (!n) return n.error();
    out.smsp.alpha.utf8 = *n;
  }
  for (const char* k : {"pid", "dcs"}) {
    if (!t.contains(k)) continue;
    auto n = integer(t[k], where + "." + k, 0, 255);
    if (!n) return n.error();
    (std::string_view(k) == "pid" ? out.smsp.pid : out.smsp.dcs) = static_cast<std::uint8_t>(*n);
  }
  if (t.contains("validity")) {
    const auto f = where + ".validity";
    auto s = text(t["validity"], f);
    if (!s) return s.error();
    auto d = parse_duration(*s);
    if (!d) return field_error(f, d.error().message);
    auto vp = relative_vp(*d, f);
    if (!vp) return vp.error();
    out.smsp.vp = *vp;
  }
  if (t.contains("record_size")) {
    auto n = integer(t["record_size"], where + ".record_size", ts::smsp_fixed_size, 255);
    if (!n) return n.error();
    out.record_size = static_cast<std::uint8_t>(*n);
  }
  return {};
}

status parse_acc(const json& t, acc_template& out) {
  const std::string where = "update.acc";
  if (!t.is_object()) return field_error(where, "expected a table");
  OTAFLOW_TRY(only_keys(t, where, {"classes", "from_imsi"}));
  if (t.contains("from_imsi")) {
    auto b = boolean(t["from_imsi"], where + ".from_imsi");
    if (!b) return b.error();
    out.from_imsi = *b;
  }
  if (t.contains("classes") == out.from_imsi)
    return field_error(where, "give either classes = [0..15] or from_imsi = true");
  if (out.from_imsi) return {};
  if (!t["classes"].is_array() || t["classes"].empty())
    return field_error(where + ".classes", "expected a non-empty list of access classes 0..15");
  for (std::size_t i = 0; i < t["classes"].size(); ++i) {
    const auto f = where + ".classes[" + std::to_string(i) + "]";
    auto n = integer(t["classes"][i], f, 0, 15);
    if (!n) return n.error();
    if (*n == 10) return field_error(f, "access class 10 is signalled by the network, not stored");
    out.classes |= static_cast<std::uint16_t>(1u << *n);
  }
  return {};
}

// ---- expansion ----------------------------------------------------------------------------

std::vector<std::uint16_t> usim_path(std::uint16_t ef) {
  return {ts::fid::mf, ts::fid::adf_usim, ef};
}

const ts::ef_spec& spec_of(std::uint16_t ef) {
  return *ts::find_ef(ts::fid::adf_usim, ef);  // every template's EF is in the table
}

// The size a template writes and where it came from, for the error that says it is too small.
struct sized {
  std::size_t size;
  std::string origin;
};
sized file_size(std::uint16_t ef, const std::optional<std::uint16_t>& given) {
  if (given) return {*given, "file_size"};
  return {spec_of(ef).size, "the card profile"};
}

error too_small(const std::string& name, std::uint16_t ef, const sized& s, std::size_t need,
                const std::string& what) {
  const auto& spec = spec_of(ef);
  return field_error(name, what + " need " + std::to_string(need) + " octets; " + spec.name + " " +
                               path_text(usim_path(ef)) + " holds " + std::to_string(s.size) +
                               " (" + s.origin + ")");
}

void add_file(update_def& u, const std::string& name, std::uint16_t ef, bytes data,
              per_card_data per_card = per_card_data::none) {
  file_update f;
  f.path = usim_path(ef);
  f.data = std::move(data);
  f.from_template = name;
  f.per_card = per_card;
  u.files.push_back(std::move(f));
}

status expand_plmn_list(update_def& u, const std::string& name, std::uint16_t ef,
                        const plmn_list_template& t) {
  const auto s = file_size(ef, t.file_size);
  const auto need = 3 * t.plmns.size();
  if (s.size % 3 != 0)
    return field_error(name + ".file_size",
                       "must be a multiple of 3, got " + std::to_string(s.size));
  if (need > s.size) return too_small(name, ef, s, need, std::to_string(t.plmns.size()) + " PLMNs");
  ts::fplmn_list l(t.plmns.begin(), t.plmns.end());
  byte_writer w;
  if (auto st = ts::encode_fplmn(l, s.size, w); !st) return field_error(name, st.error().message);
  add_file(u, name, ef, w.take());
  return {};
}

status expand_plmn_selector(update_def& u, const plmn_selector_template& t) {
  const std::string name = "update.plmn_selector";
  const auto ef = t.operator_list ? ts::fid::ef_oplmn_wact : ts::fid::ef_plmn_wact;
  const auto s = file_size(ef, t.file_size);
  if (s.size % 5 != 0)
    return field_error(name + ".file_size",
                       "must be a multiple of 5, got " + std::to_string(s.size));
  const auto need = 5 * t.entries.size();
  if (need > s.size)
    return too_small(name, ef, s, need, std::to_string(t.entries.size()) + " entries");
  byte_writer w;
  if (auto st = ts::encode_plmn_act_list(t.entries, s.size, w); !st)
    return field_error(name, st.error().message);
  add_file(u, name, ef, w.take());
  return {};
}

// Octets an alpha text takes (its encoding into a field of 255, 'FF' padding dropped).
std::size_t alpha_length(const ts::alpha_text& a) {
  byte_writer w;
  if (!ts::encode_alpha(a, 255, w)) return 256;
  auto b = w.take();
  while (!b.empty() && b.back() == 0xFF) b.pop_back();
  return b.size();
}

status expand_spn(update_def& u, const spn_template& t) {
  const std::string name = "update.spn";
  const auto len = alpha_length(t.spn.name);
  if (len > ts::spn_size - 1) {
    byte_writer probe;  // the codec's own complaint (a character the coding cannot carry)
    if (auto st = ts::encode_alpha(t.spn.name, 255, probe); !st)
      return field_error(name + ".name", st.error().message);
    return field_error(name + ".name", "\"" + t.spn.name.utf8 + "\" needs " + std::to_string(len) +
                                           " octets; EF.SPN " +
                                           path_text(usim_path(ts::fid::ef_spn)) +
                                           " holds a name of 16 (TS 31.102 §4.2.12)");
  }
  byte_writer w;
  if (auto st = ts::encode_spn(t.spn, w); !st) return field_error(name, st.error().message);
  add_file(u, name, ts::fid::ef_spn, w.take());
  return {};
}

status expand_smsp(update_def& u, const smsp_template& t) {
  const std::string name = "update.smsp";
  const auto& spec = spec_of(ts::fid::ef_smsp);
  const std::size_t rec = t.record_size ? *t.record_size : spec.record_len;
  const std::string origin = t.record_size ? "record_size" : "the card profile";
  const auto alpha = t.smsp.alpha.utf8.empty() ? 0 : alpha_length(t.smsp.alpha);
  if (ts::smsp_fixed_size + alpha > rec) {
    return field_error(name + ".name",
                       "\"" + t.smsp.alpha.utf8 + "\" needs " +
                           std::to_string(ts::smsp_fixed_size + alpha) +
                           " octets of record; EF.SMSP " + path_text(usim_path(ts::fid::ef_smsp)) +
                           " records hold " + std::to_string(rec) + " (" + origin + ")");
  }
  if (!t.record_size && t.record > record_count(spec)) {
    return field_error(name + ".record", "EF.SMSP " + path_text(usim_path(ts::fid::ef_smsp)) +
                                             " has " + std::to_string(record_count(spec)) +
                                             " records (the card profile); give record_size to "
                                             "write record " +
                                             std::to_string(t.record) + " of another card");
  }
  byte_writer w;
  if (auto st = ts::encode_smsp(t.smsp, rec, w); !st) return field_error(name, st.error().message);
  record_update r;
  r.path = usim_path(ts::fid::ef_smsp);
  r.record = t.record;
  r.data = w.take();
  r.from_template = name;
  u.records.push_back(std::move(r));
  return {};
}

status expand_acc(update_def& u, const acc_template& t) {
  const std::string name = "update.acc";
  byte_writer w;
  // from_imsi: a placeholder of the right size; card_data() gives each card its bytes.
  if (auto st = ts::encode_acc(t.from_imsi ? 0 : t.classes, w); !st)
    return field_error(name, st.error().message);
  add_file(u, name, ts::fid::ef_acc, w.take(),
           t.from_imsi ? per_card_data::acc_from_imsi : per_card_data::none);
  return {};
}

json plmns_json(const std::vector<ts::plmn>& ps) {
  json a = json::array();
  for (const auto& p : ps) a.push_back(plmn_text(p));
  return a;
}

}  // namespace

result<ts::plmn> parse_plmn_text(std::string_view t) {
  const auto dash = t.find('-');
  auto digits = [](std::string_view d) {
    return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (dash == std::string_view::npos || dash != 3 || !digits(t.substr(0, 3)) ||
      (t.size() - 4 != 2 && t.size() - 4 != 3) || !digits(t.substr(4))) {
    return make_error(errc::bad_value,
                      "expected \"MCC-MNC\" (3 digits, '-', 2 or 3 digits) such "
                      "as \"262-01\", got \"" +
                          std::string(t) + "\"");
  }
  ts::plmn p{std::string(t.substr(0, 3)), std::string(t.substr(4))};
  if (auto st = ts::check_plmn(p); !st) return st.error();
  return p;
}

std::string plmn_text(const ts::plmn& p) {
  return p.mcc + "-" + p.mnc;
}

status parse_templates(const json& u, update_templates& out) {
  if (u.contains("fplmn")) {
    plmn_list_template t;
    OTAFLOW_TRY(parse_plmn_list(u["fplmn"], "update.fplmn", t));
    out.fplmn = std::move(t);
  }
  if (u.contains("ehplmn")) {
    plmn_list_template t;
    OTAFLOW_TRY(parse_plmn_list(u["ehplmn"], "update.ehplmn", t));
    out.ehplmn = std::move(t);
  }
  if (u.contains("plmn_selector")) {
    plmn_selector_template t;
    OTAFLOW_TRY(parse_plmn_selector(u["plmn_selector"], t));
    out.plmn_selector = std::move(t);
  }
  if (u.contains("spn")) {
    spn_template t;
    OTAFLOW_TRY(parse_spn(u["spn"], t));
    out.spn = std::move(t);
  }
  if (u.contains("smsp")) {
    smsp_template t;
    OTAFLOW_TRY(parse_smsp(u["smsp"], t));
    out.smsp = std::move(t);
  }
  if (u.contains("acc")) {
    acc_template t;
    OTAFLOW_TRY(parse_acc(u["acc"], t));
    out.acc = t;
  }
  return {};
}

void templates_to_json(const update_templates& t, json& u) {
  auto plmn_list_json = [](const plmn_list_template& l) {
    json j = {{"plmns", plmns_json(l.plmns)}};
    if (l.file_size) j["file_size"] = *l.file_size;
    return j;
  };
  if (t.fplmn) u["fplmn"] = plmn_list_json(*t.fplmn);
  if (t.ehplmn) u["ehplmn"] = plmn_list_json(*t.ehplmn);
  if (t.plmn_selector) {
    json e = json::array();
    for (const auto& x : t.plmn_selector->entries) {
      json act = json::array();
      for (const auto& a : act_names)
        if (x.act & a.bit) act.push_back(a.name);
      e.push_back({{"plmn", x.id ? plmn_text(*x.id) : ""}, {"act", act}});
    }
    json j = {{"file", t.plmn_selector->operator_list ? "oplmn" : "plmn"}, {"entries", e}};
    if (t.plmn_selector->file_size) j["file_size"] = *t.plmn_selector->file_size;
    u["plmn_selector"] = std::move(j);
  }
  if (t.spn) {
    const auto& s = t.spn->spn;
    u["spn"] = {{"name", s.name.utf8},
                {"coding", s.name.coding == ts::alpha_coding::gsm7 ? "gsm7" : "ucs2"},
                {"display_condition",
                 {{"plmn_name_required", s.plmn_name_required},
                  {"spn_not_required_outside", s.spn_not_required_outside}}}};
  }
  if (t.smsp) {
    const auto& s = t.smsp->smsp;
    auto addr = [](const ts::sms_address& a) { return (a.ton_npi == 0x91 ? "+" : "") + a.digits; };
    json j = {{"record", t.smsp->record}};
    if (s.service_centre) j["service_centre"] = addr(*s.service_centre);
    if (s.destination) j["destination"] = addr(*s.destination);
    if (!s.alpha.utf8.empty()) j["name"] = s.alpha.utf8;
    if (s.pid) j["pid"] = *s.pid;
    if (s.dcs) j["dcs"] = *s.dcs;
    if (s.vp) j["validity"] = format_duration(vp_duration(*s.vp));
    if (t.smsp->record_size) j["record_size"] = *t.smsp->record_size;
    u["smsp"] = std::move(j);
  }
  if (t.acc) {
    if (t.acc->from_imsi) {
      u["acc"] = {{"from_imsi", true}};
    } else {
      json c = json::array();
      for (unsigned n = 0; n < 16; ++n)
        if (t.acc->classes & (1u << n)) c.push_back(n);
      u["acc"] = {{"classes", c}};
    }
  }
}

status expand_templates(update_def& u) {
  const auto& t = u.templates;
  if (t.fplmn) OTAFLOW_TRY(expand_plmn_list(u, "update.fplmn", ts::fid::ef_fplmn, *t.fplmn));
  if (t.plmn_selector) OTAFLOW_TRY(expand_plmn_selector(u, *t.plmn_selector));
  if (t.ehplmn) OTAFLOW_TRY(expand_plmn_list(u, "update.ehplmn", ts::fid::ef_ehplmn, *t.ehplmn));
  if (t.spn) OTAFLOW_TRY(expand_spn(u, *t.spn));
  if (t.smsp) OTAFLOW_TRY(expand_smsp(u, *t.smsp));
  if (t.acc) OTAFLOW_TRY(expand_acc(u, *t.acc));
  return {};
}

bytes card_data(const file_update& f, std::string_view imsi) {
  switch (f.per_card) {
    case per_card_data::acc_from_imsi: {
      byte_writer w;
      // acc_for_imsi never names class 10 (it maps one digit 0..9 to classes 0..9).
      if (!ts::encode_acc(ts::acc_for_imsi(imsi), w)) return f.data;
      return w.take();
    }
    case per_card_data::none:
      break;
  }
  return f.data;
}

std::vector<file_update> files_for_card(const update_def& u, std::string_view imsi) {
  std::vector<file_update> out = u.files;
  for (auto& f : out) {
    if (f.per_card != per_card_data::none) f.data = card_data(f, imsi);
  }
  return out;
}

std::vector<templated_write> templated_writes(const update_def& u, std::string_view imsi) {
  std::vector<templated_write> out;
  for (const auto& f : u.files) {
    if (!f.from_template.empty())
      out.push_back({f.from_template, path_text(f.path), card_data(f, imsi)});
  }
  for (const auto& r : u.records) {
    if (!r.from_template.empty())
      out.push_back({r.from_template, path_text(r.path) + "#" + std::to_string(r.record), r.data});
  }
  return out;
}

}  // namespace otaflow::actors
