#include "actors/ram_update.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "codec/gp_commands.hpp"
#include "codec/gp_constants.hpp"
#include "codec/javacard_cap.hpp"

// Assigns a result's value to `var` (converted to its type), or returns its error.
#define RAM_ASSIGN(var, expr)                                                  \
  do {                                                                         \
    auto ram_r_ = (expr);                                                      \
    if (!ram_r_) return ram_r_.error();                                        \
    var = static_cast<std::remove_cvref_t<decltype(var)>>(std::move(*ram_r_)); \
  } while (0)

namespace otaflow::actors {
namespace {

using nlohmann::json;
namespace gp = codec::gp;

error field_error(const std::string& field, const std::string& what) {
  return make_error(errc::bad_value, "campaign field '" + field + "': " + what);
}

status only_keys(const json& obj, const std::string& where, const std::set<std::string>& allowed) {
  for (const auto& [k, v] : obj.items()) {
    if (!allowed.count(k))
      return make_error(errc::bad_value, "campaign: unknown field '" + where + "." + k + "'");
  }
  return {};
}

result<bytes> hex_of(const json& v, const std::string& field) {
  if (!v.is_string()) return field_error(field, "expected a hex string");
  auto b = from_hex(v.get<std::string>());
  if (!b) return field_error(field, b.error().message);
  return std::move(b).value();
}

result<bytes> aid_of(const json& obj, const char* key, const std::string& where) {
  const auto field = where + "." + key;
  if (!obj.contains(key)) return field_error(field, "missing (an AID, 5 to 16 octets in hex)");
  auto b = hex_of(obj[key], field);
  if (!b) return b.error();
  if (auto st = gp::check_aid(*b, field); !st) return field_error(field, st.error().message);
  return b;
}

result<bool> flag_of(const json& obj, const char* key, const std::string& where, bool dflt) {
  if (!obj.contains(key)) return dflt;
  if (!obj[key].is_boolean()) return field_error(where + "." + key, "expected true or false");
  return obj[key].get<bool>();
}

result<unsigned> small_number(const json& obj, const char* key, const std::string& where,
                              unsigned lo, unsigned hi) {
  const auto field = where + "." + key;
  const auto& v = obj[key];
  if (!v.is_number_integer() || v.get<std::int64_t>() < static_cast<std::int64_t>(lo) ||
      v.get<std::int64_t>() > static_cast<std::int64_t>(hi)) {
    return field_error(field, "expected a whole number from " + std::to_string(lo) + " to " +
                                  std::to_string(hi) + ", got " + v.dump());
  }
  return static_cast<unsigned>(v.get<std::int64_t>());
}

struct scope_name {
  const char* name;
  std::uint8_t scope;
};
constexpr scope_name scopes[] = {{"isd", gp::status_scope::isd},
                                 {"apps", gp::status_scope::applications},
                                 {"packages", gp::status_scope::load_files},
                                 {"modules", gp::status_scope::load_files_modules}};

status parse_installs(const json& v, const std::string& where, ram_update_def& out) {
  if (!v.is_array()) return field_error(where, "expected a list of tables");
  std::size_t i = 0;
  for (const auto& e : v) {
    const auto at = where + "[" + std::to_string(i++) + "]";
    if (!e.is_object()) return field_error(at, "expected a table");
    OTAFLOW_TRY(
        only_keys(e, at, {"package", "module", "instance", "privileges", "params", "selectable"}));
    ram_install_def d;
    RAM_ASSIGN(d.package, aid_of(e, "package", at));
    RAM_ASSIGN(d.module, aid_of(e, "module", at));
    if (e.contains("instance")) {
      RAM_ASSIGN(d.instance, aid_of(e, "instance", at));
    } else {
      d.instance = d.module;  // GP: the instance AID defaults to the module's
    }
    d.privileges = {0x00};
    if (e.contains("privileges")) {
      RAM_ASSIGN(d.privileges, hex_of(e["privileges"], at + ".privileges"));
      if (d.privileges.size() != 1 && d.privileges.size() != 3)
        return field_error(at + ".privileges", "expected 1 or 3 octets");
    }
    if (e.contains("params")) {
      RAM_ASSIGN(d.params, hex_of(e["params"], at + ".params"));
      if (d.params.size() > 127) return field_error(at + ".params", "at most 127 octets");
    }
    RAM_ASSIGN(d.selectable, flag_of(e, "selectable", at, true));
    out.installs.push_back(std::move(d));
  }
  return {};
}

status parse_deletes(const json& v, const std::string& where, ram_update_def& out) {
  if (!v.is_array()) return field_error(where, "expected a list of tables");
  std::size_t i = 0;
  for (const auto& e : v) {
    const auto at = where + "[" + std::to_string(i++) + "]";
    if (!e.is_object()) return field_error(at, "expected a table");
    OTAFLOW_TRY(only_keys(e, at, {"aid", "related"}));
    ram_delete_def d;
    RAM_ASSIGN(d.aid, aid_of(e, "aid", at));
    RAM_ASSIGN(d.related, flag_of(e, "related", at, false));
    out.deletes.push_back(std::move(d));
  }
  return {};
}

status parse_list(const json& v, const std::string& where, ram_update_def& out) {
  if (!v.is_array()) return field_error(where, "expected a list of \"isd\", \"apps\", ...");
  for (const auto& e : v) {
    const auto name = e.is_string() ? e.get<std::string>() : e.dump();
    const scope_name* hit = nullptr;
    for (const auto& s : scopes)
      if (name == s.name) hit = &s;
    if (!hit)
      return field_error(where, "'" + name + "' is not one of isd, apps, packages, modules");
    out.list.push_back(hit->scope);
  }
  return {};
}

status parse_load(const json& v, const std::string& where, ram_update_def& out) {
  if (v.contains("load"))
    return field_error(where + ".load",
                       "a CAP file path is read only from a TOML campaign file; give load_file "
                       "(hex) and package instead");
  if (v.contains("load_file") != v.contains("package"))
    return field_error(where, "load_file and package go together");
  if (!v.contains("load_file")) return {};
  RAM_ASSIGN(out.load_file, hex_of(v["load_file"], where + ".load_file"));
  if (out.load_file.empty()) return field_error(where + ".load_file", "is empty");
  RAM_ASSIGN(out.package, aid_of(v, "package", where));
  if (v.contains("sd")) {
    RAM_ASSIGN(out.sd, hex_of(v["sd"], where + ".sd"));
    if (!out.sd.empty()) {
      if (auto st = gp::check_aid(out.sd, where + ".sd"); !st)
        return field_error(where + ".sd", st.error().message);
    }
  }
  if (v.contains("hash")) {
    const auto h = v["hash"].is_string() ? v["hash"].get<std::string>() : v["hash"].dump();
    if (h == "none") {
      out.hash = ram_hash::none;
    } else if (h == "sha1") {
      out.hash = ram_hash::sha1;
    } else if (h == "sha256") {
      out.hash = ram_hash::sha256;
    } else {
      return field_error(where + ".hash", "expected \"none\", \"sha1\" or \"sha256\"");
    }
  }
  if (v.contains("block_size")) {
    RAM_ASSIGN(out.block_size, small_number(v, "block_size", where, 1, 255));
  }
  return {};
}

bytes read_all(const std::filesystem::path& p, bool& ok) {
  std::ifstream in(p, std::ios::binary);
  ok = static_cast<bool>(in);
  if (!ok) return {};
  return bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

status resolve_one(json& ram, const std::string& where, const std::string& base_dir) {
  if (!ram.is_object() || !ram.contains("load")) return {};
  if (!ram["load"].is_string())
    return field_error(where + ".load", "expected the path of a CAP file");
  const std::string name = ram["load"].get<std::string>();
  std::filesystem::path p(name);
  if (p.is_relative()) p = std::filesystem::path(base_dir) / p;
  bool ok = false;
  const bytes zip = read_all(p, ok);
  if (!ok) return field_error(where + ".load", "cannot read CAP file '" + p.string() + "'");
  auto cap = codec::javacard::parse_cap(zip);
  if (!cap)
    return field_error(where + ".load", "CAP file '" + p.string() + "': " + cap.error().message);
  ram.erase("load");
  ram["load_file"] = to_hex(codec::javacard::cap_load_file(*cap));
  ram["package"] = to_hex(cap->package_aid);
  return {};
}

}  // namespace

result<ram_update_def> parse_ram_update(const json& v, const std::string& where) {
  if (!v.is_object()) return field_error(where, "expected a table");
  OTAFLOW_TRY(only_keys(v, where,
                        {"load", "load_file", "package", "sd", "hash", "block_size", "max_sms",
                         "install", "delete", "list"}));
  ram_update_def out;
  OTAFLOW_TRY(parse_load(v, where, out));
  if (v.contains("max_sms")) {
    RAM_ASSIGN(out.max_sms, small_number(v, "max_sms", where, 1, 32));
  }
  if (v.contains("delete")) OTAFLOW_TRY(parse_deletes(v["delete"], where + ".delete", out));
  if (v.contains("install")) OTAFLOW_TRY(parse_installs(v["install"], where + ".install", out));
  if (v.contains("list")) OTAFLOW_TRY(parse_list(v["list"], where + ".list", out));
  if (out.load_file.empty() && out.deletes.empty() && out.installs.empty() && out.list.empty())
    return field_error(where, "has nothing to send: give load, install, delete or list");
  return out;
}

json ram_update_json(const ram_update_def& r) {
  json j = json::object();
  if (!r.load_file.empty()) {
    j["load_file"] = to_hex(r.load_file);
    j["package"] = to_hex(r.package);
    if (!r.sd.empty()) j["sd"] = to_hex(r.sd);
    j["hash"] = r.hash == ram_hash::sha1 ? "sha1" : r.hash == ram_hash::sha256 ? "sha256" : "none";
    if (r.block_size != 0) j["block_size"] = r.block_size;
  }
  j["max_sms"] = r.max_sms;
  for (const auto& d : r.deletes)
    j["delete"].push_back({{"aid", to_hex(d.aid)}, {"related", d.related}});
  for (const auto& i : r.installs) {
    j["install"].push_back({{"package", to_hex(i.package)},
                            {"module", to_hex(i.module)},
                            {"instance", to_hex(i.instance)},
                            {"privileges", to_hex(i.privileges)},
                            {"params", to_hex(i.params)},
                            {"selectable", i.selectable}});
  }
  for (const auto s : r.list) j["list"].push_back(ram_scope_name(s));
  return j;
}

status resolve_ram_files(json& campaign, const std::string& base_dir) {
  if (!campaign.is_object()) return {};
  if (campaign.contains("update") && campaign["update"].is_object() &&
      campaign["update"].contains("ram")) {
    OTAFLOW_TRY(resolve_one(campaign["update"]["ram"], "update.ram", base_dir));
  }
  if (campaign.contains("variant") && campaign["variant"].is_array()) {
    std::size_t i = 0;
    for (auto& v : campaign["variant"]) {
      const auto where = "variant[" + std::to_string(i++) + "].update.ram";
      if (v.is_object() && v.contains("update") && v["update"].is_object() &&
          v["update"].contains("ram")) {
        OTAFLOW_TRY(resolve_one(v["update"]["ram"], where, base_dir));
      }
    }
  }
  return {};
}

std::string campaign_dir(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

std::string ram_scope_name(std::uint8_t scope) {
  for (const auto& s : scopes)
    if (s.scope == scope) return s.name;
  return to_hex(scope, 2, hex_case::upper);
}

}  // namespace otaflow::actors
