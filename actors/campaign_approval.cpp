#include "actors/campaign_approval.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "codec/ts102225_spi.hpp"

namespace otaflow::actors {
namespace {

using nlohmann::json;

constexpr std::string_view approval_domain = "otaflow-campaign-approval-v1";

error policy_error(std::string_view where, const std::string& key, const std::string& what) {
  return make_error(errc::bad_value,
                    "config key '" + std::string(where) + "." + key + "': " + what);
}

std::optional<approval_rule> rule_from(std::string_view n) {
  for (auto r : all_approval_rules) {
    if (name(r) == n) return r;
  }
  return std::nullopt;
}

bool is_hex(const std::string& s, std::size_t digits) {
  return s.size() == digits && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) != 0;
         });
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

status parse_policy_keys(const json& v, std::string_view where, approval_policy& out) {
  if (!v.is_array()) {
    return policy_error(where, "keys", "expected a list of { name, public_key } tables");
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto at = "keys[" + std::to_string(i) + "]";
    const auto& e = v[i];
    if (!e.is_object()) return policy_error(where, at, "expected a table { name, public_key }");
    for (const auto& [k, x] : e.items()) {
      if (k != "name" && k != "public_key" && k != "public_key_file") {
        return policy_error(where, at + "." + k, "unknown key (name, public_key, public_key_file)");
      }
    }
    if (!e.contains("name") || !e["name"].is_string() || e["name"].get<std::string>().empty()) {
      return policy_error(where, at + ".name", "missing or not a non-empty string");
    }
    const bool has_key = e.contains("public_key"), has_file = e.contains("public_key_file");
    if (has_key == has_file) {
      return policy_error(where, at,
                          "needs public_key (64 hex digits) or public_key_file (a PEM file)");
    }
    const auto& src = e[has_key ? "public_key" : "public_key_file"];
    if (!src.is_string()) return policy_error(where, at, "the public key must be a string");
    auto pub = secure::read_ed25519_public(src.get<std::string>());
    if (!pub) return policy_error(where, at, pub.error().message);
    approver_key k{e["name"].get<std::string>(), *pub, approval_key_id(*pub)};
    if (!names.insert(k.name).second) {
      return policy_error(where, at + ".name", "duplicate approver name '" + k.name + "'");
    }
    for (const auto& other : out.keys) {
      if (other.key_id == k.key_id) {
        return policy_error(where, at,
                            "the key of '" + k.name + "' is listed already as '" + other.name +
                                "': one key is one approver");
      }
    }
    out.keys.push_back(std::move(k));
  }
  return {};
}

status parse_policy_rules(const json& v, std::string_view where, approval_policy& out) {
  if (!v.is_object()) return policy_error(where, "rules", "expected a table");
  for (const auto& [k, n] : v.items()) {
    auto r = rule_from(k);
    if (!r) {
      return policy_error(where, "rules." + k,
                          "unknown rule (key_rotation, raw_apdu, ram, target_all, insecure)");
    }
    if (!n.is_number_integer() || n.get<std::int64_t>() < 0 || n.get<std::int64_t>() > 16) {
      return policy_error(where, "rules." + k, "expected a number of approvals from 0 to 16");
    }
    out.required[*r] = static_cast<std::uint32_t>(n.get<std::int64_t>());
  }
  return {};
}

status parse_policy_minimum(const json& v, std::string_view where, approval_policy& out) {
  if (!v.is_object()) return policy_error(where, "minimum_security", "expected a table");
  const std::pair<const char*, bool*> flags[] = {
      {"ciphering", &out.min_ciphering}, {"por", &out.min_por}, {"por_cc", &out.min_por_cc}};
  for (const auto& [k, x] : v.items()) {
    auto f = std::find_if(std::begin(flags), std::end(flags),
                          [&](const auto& p) { return k == p.first; });
    if (f == std::end(flags)) {
      return policy_error(where, "minimum_security." + k, "unknown key (ciphering, por, por_cc)");
    }
    if (!x.is_boolean()) {
      return policy_error(where, "minimum_security." + k, "expected true or false");
    }
    *f->second = x.get<bool>();
  }
  return {};
}

status parse_policy_tars(const json& v, std::string_view where, approval_policy& out) {
  if (!v.is_array()) return policy_error(where, "ram_tars", "expected a list of 6 hex digits");
  out.ram_tars.clear();
  for (const auto& t : v) {
    if (!t.is_string() || !is_hex(t.get<std::string>(), 6)) {
      return policy_error(where, "ram_tars", "expected TARs of 6 hex digits, got " + t.dump());
    }
    out.ram_tars.push_back(
        static_cast<std::uint32_t>(std::stoul(t.get<std::string>(), nullptr, 16)));
  }
  return {};
}

// ---- approvals carried by a campaign -----------------------------------------------------

error approval_error(const std::string& field, const std::string& what) {
  return make_error(errc::bad_value, "campaign field '" + field + "': " + what);
}

status parse_approvals(const json& v, const std::string& key, std::vector<campaign_approval>& out) {
  if (!v.is_array()) return approval_error(key, "expected a list of approval tables");
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto at = key + "[" + std::to_string(i) + "]";
    const auto& e = v[i];
    if (!e.is_object()) return approval_error(at, "expected a table");
    campaign_approval a;
    const std::pair<const char*, std::string*> fields[] = {{"key_id", &a.key_id},
                                                           {"name", &a.name},
                                                           {"campaign_sha256", &a.campaign_sha256},
                                                           {"signed_at", &a.signed_at},
                                                           {"signature", &a.signature}};
    for (const auto& [k, x] : e.items()) {
      auto f = std::find_if(std::begin(fields), std::end(fields),
                            [&](const auto& p) { return k == p.first; });
      if (f == std::end(fields)) return approval_error(at + "." + k, "unknown field");
      if (!x.is_string()) return approval_error(at + "." + k, "expected a string");
      *f->second = x.get<std::string>();
    }
    if (!is_hex(a.key_id, 16)) {
      return approval_error(at + ".key_id", "expected 16 hex digits (otaflow campaign sign)");
    }
    a.key_id = lower(a.key_id);
    if (a.signature.empty()) return approval_error(at + ".signature", "missing");
    out.push_back(std::move(a));
  }
  return {};
}

std::string variant_prefix(const campaign_def& def, const variant_def& v) {
  return def.variants.empty() ? std::string() : "variant " + v.name + ": ";
}

bool gp_content_command(const bytes& apdu) {
  if (apdu.size() < 2 || (apdu[0] & 0xF0) != 0x80) return false;
  // GP Card Spec 2.3 §11: INSTALL, LOAD, DELETE, SET STATUS, STORE DATA, PUT KEY.
  constexpr std::uint8_t ins[] = {0xE6, 0xE8, 0xE4, 0xF0, 0xE2, 0xD8};
  return std::find(std::begin(ins), std::end(ins), apdu[1]) != std::end(ins);
}

void variant_findings(const campaign_def& def, const variant_def& v, const approval_policy& p,
                      std::map<approval_rule, std::vector<std::string>>& why) {
  const auto pre = variant_prefix(def, v);
  const auto& u = v.update;
  if (u.keys) {
    std::string what = u.keys->ki && u.keys->opc ? "ki, opc" : u.keys->ki ? "ki" : "opc";
    why[approval_rule::key_rotation].push_back(pre + "update.keys rotates " + what);
  }
  if (u.keyset) {
    why[approval_rule::key_rotation].push_back(pre + "update.keyset replaces the OTA keyset (" +
                                               u.keyset->keys_text() + ") with key version " +
                                               std::to_string(u.keyset->version) + " by PUT KEY");
  }
  if (u.suci) {
    why[approval_rule::key_rotation].push_back(pre +
                                               "update.suci rotates the home network public key");
  }
  for (std::size_t i = 0; i < u.apdus.size(); ++i) {
    const auto& a = u.apdus[i];
    const auto at = pre + "update.apdus[" + std::to_string(i) + "]";
    if (a.size() >= 2 && a[1] == 0xD8) {
      why[approval_rule::key_rotation].push_back(at + " is a PUT KEY");
    }
    if (gp_content_command(a)) {
      why[approval_rule::ram].push_back(at + " is a GlobalPlatform card content command (INS " +
                                        to_hex(a[1], 2, hex_case::upper) + ")");
    }
  }
  if (u.ram) {
    std::string what;
    if (!u.ram->load_file.empty())
      what += "loads package " + to_hex(u.ram->package, hex_case::upper) + " (" +
              std::to_string(u.ram->load_file.size()) + " octets)";
    if (!u.ram->installs.empty())
      what += (what.empty() ? "" : ", ") + std::string("installs ") +
              std::to_string(u.ram->installs.size()) + " instance(s)";
    if (!u.ram->deletes.empty())
      what += (what.empty() ? "" : ", ") + std::string("deletes ") +
              std::to_string(u.ram->deletes.size()) + " object(s)";
    if (!u.ram->list.empty()) what += (what.empty() ? "" : ", ") + std::string("lists");
    why[approval_rule::ram].push_back(pre + "update.ram " + what);
  }
  if (!u.apdus.empty()) {
    why[approval_rule::raw_apdu].push_back(pre + "update.apdus sends " +
                                           std::to_string(u.apdus.size()) + " raw C-APDU(s)");
  }
  const auto& s = v.security;
  if (std::find(p.ram_tars.begin(), p.ram_tars.end(), s.tar) != p.ram_tars.end()) {
    why[approval_rule::ram].push_back(pre + "TAR " + to_hex(s.tar, 6, hex_case::upper) +
                                      " is a RAM application");
  }
  const auto spi_text = "SPI " + to_hex(s.spi, 4, hex_case::upper);
  if (s.allow_insecure) why[approval_rule::insecure].push_back(pre + "allow_insecure = true");
  if (auto spi = codec::decode_spi(s.spi); spi) {
    if (p.min_ciphering && !spi->ciphered) {
      why[approval_rule::insecure].push_back(pre + spi_text + ": commands not ciphered");
    }
    if (p.min_por && spi->por != codec::por_mode::always) {
      why[approval_rule::insecure].push_back(pre + spi_text + ": no PoR on success");
    }
    if (p.min_por_cc && spi->por_integrity != codec::integrity::cc &&
        spi->por_integrity != codec::integrity::ds) {
      why[approval_rule::insecure].push_back(pre + spi_text + ": PoR without CC or DS");
    }
  }
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : std::string(sep)) + p;
  return out;
}

// Why an approval does not count; empty when it does. `key`: the configured key of its key id.
std::string approval_problem(const campaign_approval& a, const approver_key* key,
                             const std::set<std::string>& counted, byte_view message,
                             const std::string& sha256) {
  if (key == nullptr) return "key " + a.key_id + " is not an approver key of the configuration";
  if (counted.count(key->key_id) != 0) {
    return "key " + a.key_id + " (" + key->name + ") approved already: the same key counts once";
  }
  auto sig = from_hex(a.signature);
  if (!sig || sig->size() != 64) return "signature is not 128 hex digits";
  if (secure::ed25519_verify(key->key, message, *sig)) return {};
  // The signature covers the digest, so a stale approval and a corrupted one look alike; the
  // digest the approval says it signed tells them apart for the operator.
  if (!a.campaign_sha256.empty() && lower(a.campaign_sha256) != sha256) {
    return "signed a different version of the campaign (sha256 " + a.campaign_sha256.substr(0, 16) +
           "..., this version " + sha256.substr(0, 16) + "...): it was changed after signing";
  }
  return "signature does not verify: corrupted, or made for a different version of the campaign";
}

std::string now_rfc3339() {
  return format_rfc3339(storage::now_ms());
}

}  // namespace

std::string_view name(approval_rule r) noexcept {
  switch (r) {
    case approval_rule::key_rotation:
      return "key_rotation";
    case approval_rule::raw_apdu:
      return "raw_apdu";
    case approval_rule::ram:
      return "ram";
    case approval_rule::target_all:
      return "target_all";
    case approval_rule::insecure:
      return "insecure";
  }
  return "?";
}

std::uint32_t approval_policy::needs(approval_rule r) const {
  auto it = required.find(r);
  return it == required.end() ? 0 : it->second;
}

result<approval_policy> parse_approval_policy(const json& table, std::string_view where) {
  if (!table.is_object()) {
    return make_error(errc::bad_value, "config key '" + std::string(where) + "': expected a table");
  }
  approval_policy p;
  p.configured = true;
  for (const auto& [k, v] : table.items()) {
    if (k == "keys") {
      OTAFLOW_TRY(parse_policy_keys(v, where, p));
    } else if (k == "rules") {
      OTAFLOW_TRY(parse_policy_rules(v, where, p));
    } else if (k == "minimum_security") {
      OTAFLOW_TRY(parse_policy_minimum(v, where, p));
    } else if (k == "ram_tars") {
      OTAFLOW_TRY(parse_policy_tars(v, where, p));
    } else {
      return make_error(errc::bad_value, "config: unknown key '" + std::string(where) + "." + k +
                                             "' (keys, rules, minimum_security, ram_tars)");
    }
  }
  if (!p.keys.empty()) {
    for (const auto& [r, n] : p.required) {
      if (n > p.keys.size()) {
        return policy_error(where, "rules." + std::string(name(r)),
                            std::to_string(n) + " approvals needed but only " +
                                std::to_string(p.keys.size()) +
                                " approver keys listed: no such campaign could ever run");
      }
    }
  }
  return p;
}

result<approval_policy> load_approval_policy(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in)
    return make_error(errc::io, "cannot read approvals configuration '" + file.string() + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = toml_to_json(ss.str(), file.string());
  if (!j) return j.error();
  if (!j->contains("approvals")) {
    return make_error(errc::bad_value, file.string() + ": no [approvals] table");
  }
  auto p = parse_approval_policy((*j)["approvals"]);
  if (!p) return make_error(p.error().code, file.string() + ": " + p.error().message);
  return p;
}

result<signed_campaign> signed_campaign_from_json(const json& j) {
  if (!j.is_object()) return make_error(errc::bad_value, "campaign: expected an object");
  json rest = j;
  signed_campaign out;
  for (const char* key : {"approval", "approvals"}) {
    if (!rest.contains(key)) continue;
    OTAFLOW_TRY(parse_approvals(rest[key], key, out.approvals));
    rest.erase(key);
  }
  auto def = campaign_from_json(rest);
  if (!def) return def.error();
  out.def = std::move(*def);
  return out;
}

result<signed_campaign> load_signed_campaign_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(errc::io, "cannot read campaign file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = toml_to_json(ss.str(), path);
  if (!j) return j.error();
  // [update.keys] profile = "FILE.toml": its content signed and sent (key_profile.hpp).
  OTAFLOW_TRY(resolve_key_profile_files(*j, std::filesystem::path(path).parent_path()));
  if (auto st = resolve_ram_files(*j, campaign_dir(path)); !st)
    return make_error(errc::bad_value, path + ": " + st.error().message);
  auto c = signed_campaign_from_json(*j);
  if (!c) return make_error(errc::bad_value, path + ": " + c.error().message);
  return c;
}

std::string approval_key_id(const secure::ed25519_public& key) {
  const auto h = secure::sha256({byte_view(key.data(), key.size())});
  return to_hex(byte_view(h.data(), 8));
}

secure::sha256_digest campaign_digest(const campaign_def& def) {
  const auto canonical = to_json(def).dump();
  return secure::sha256(
      {byte_view(reinterpret_cast<const std::uint8_t*>(canonical.data()), canonical.size())});
}

bytes approval_message(const campaign_def& def) {
  bytes m(approval_domain.begin(), approval_domain.end());
  m.push_back(0x00);
  const auto d = campaign_digest(def);
  m.insert(m.end(), d.begin(), d.end());
  return m;
}

campaign_approval sign_campaign(const campaign_def& def, const secure::ed25519_signer& key,
                                const std::string& name) {
  const auto msg = approval_message(def);
  const auto sig = key.sign(msg);
  const auto d = campaign_digest(def);
  return {approval_key_id(key.public_key()), name, to_hex(byte_view(d.data(), d.size())),
          now_rfc3339(), to_hex(byte_view(sig.data(), sig.size()))};
}

std::string approval_toml(const campaign_approval& a) {
  // A JSON string is a valid TOML basic string (the same escapes).
  std::string out = "\n[[approval]]\n";
  auto line = [&](const char* k, const std::string& v) {
    if (!v.empty()) out += std::string(k) + " = " + json(v).dump() + "\n";
  };
  line("key_id", a.key_id);
  line("name", a.name);
  line("campaign_sha256", a.campaign_sha256);
  line("signed_at", a.signed_at);
  line("signature", a.signature);
  return out;
}

json approval_json(const campaign_approval& a) {
  json j = {{"key_id", a.key_id}, {"signature", a.signature}};
  if (!a.name.empty()) j["name"] = a.name;
  if (!a.campaign_sha256.empty()) j["campaign_sha256"] = a.campaign_sha256;
  if (!a.signed_at.empty()) j["signed_at"] = a.signed_at;
  return j;
}

bool selects_everything(const target_def& t) {
  const bool others = !t.iccids.empty() || !t.attributes.empty() || !t.keysets.empty();
  const bool prefixes = !t.imsi_prefix.empty() || !t.iccid_prefix.empty();
  if (others) return false;
  if (t.all && !prefixes && t.imsi_ranges.empty()) return true;
  if (t.imsi_ranges.empty() && t.imsi_prefix.empty() &&
      (t.iccid_prefix == "8" || t.iccid_prefix == "89")) {
    return true;
  }
  if (!prefixes) {
    return std::any_of(t.imsi_ranges.begin(), t.imsi_ranges.end(), [](const imsi_range& r) {
      return r.first.find_first_not_of('0') == std::string::npos &&
             r.last.find_first_not_of('9') == std::string::npos;
    });
  }
  return false;
}

std::vector<approval_finding> approval_findings(const campaign_def& def,
                                                const approval_policy& policy) {
  std::map<approval_rule, std::vector<std::string>> why;
  for (const auto& v : effective_variants(def)) variant_findings(def, v, policy, why);
  if (selects_everything(def.target))
    why[approval_rule::target_all].push_back("target selects every card");
  std::vector<approval_finding> out;
  for (auto r : all_approval_rules) {
    auto it = why.find(r);
    if (it == why.end()) continue;
    out.push_back({r, policy.needs(r), join(it->second, "; ")});
  }
  return out;
}

approval_check check_approvals(const campaign_def& def,
                               const std::vector<campaign_approval>& approvals,
                               const approval_policy& policy) {
  approval_check c;
  c.campaign = def.id;
  const auto digest = campaign_digest(def);
  c.sha256 = to_hex(byte_view(digest.data(), digest.size()));
  c.findings = approval_findings(def, policy);
  c.keys_configured = !policy.keys.empty();
  for (const auto& f : c.findings) c.required = std::max(c.required, f.required);
  const auto msg = approval_message(def);
  std::set<std::string> counted;
  for (std::size_t i = 0; i < approvals.size(); ++i) {
    const auto& a = approvals[i];
    approval_verdict v{i, a.key_id, a.name, false, {}};
    auto key = std::find_if(policy.keys.begin(), policy.keys.end(),
                            [&](const approver_key& k) { return k.key_id == a.key_id; });
    if (key != policy.keys.end()) v.name = key->name;  // the configuration's name counts
    v.problem =
        approval_problem(a, key == policy.keys.end() ? nullptr : &*key, counted, msg, c.sha256);
    if (v.problem.empty()) {
      v.counted = true;
      counted.insert(key->key_id);
      ++c.valid;
    }
    c.verdicts.push_back(std::move(v));
  }
  return c;
}

std::string approval_check::error_text() const {
  std::vector<std::string> rules;
  for (const auto& f : findings) {
    if (f.required == 0) continue;
    rules.push_back(std::string(name(f.rule)) + " needs " + std::to_string(f.required) + ": " +
                    f.why);
  }
  std::string out = "campaign '" + campaign + "' refused: " + std::to_string(valid) +
                    " valid approval(s) of " + std::to_string(required) + " required (" +
                    join(rules, "; ") + ")";
  for (const auto& v : verdicts) {
    if (v.counted) continue;
    out += "; approval " + std::to_string(v.index + 1) + " (key " + v.key_id +
           (v.name.empty() ? "" : ", " + v.name) + "): " + v.problem;
  }
  if (verdicts.empty()) {
    out += "; it carries no approvals: sign it with `otaflow campaign sign --key FILE CAMPAIGN`";
  }
  if (!keys_configured) {
    out +=
        "; no approver keys are configured: list their public keys in [approvals] keys of the "
        "serve configuration or of the file given to --approvals-config (docs/SECURITY.md "
        "\"Four eyes\")";
  }
  return out;
}

json approval_check_json(const approval_check& c) {
  json rules = json::array();
  for (const auto& f : c.findings) {
    rules.push_back({{"rule", name(f.rule)}, {"required", f.required}, {"why", f.why}});
  }
  json approvals = json::array();
  for (const auto& v : c.verdicts) {
    json a = {{"index", v.index}, {"key_id", v.key_id}, {"counted", v.counted}};
    if (!v.name.empty()) a["name"] = v.name;
    if (!v.counted) a["problem"] = v.problem;
    approvals.push_back(std::move(a));
  }
  return {{"campaign", c.campaign},    {"sha256", c.sha256},
          {"required", c.required},    {"valid", c.valid},
          {"approved", c.ok()},        {"keys_configured", c.keys_configured},
          {"rules", std::move(rules)}, {"approvals", std::move(approvals)}};
}

storage::audit_event approval_audit_event(const approval_check& c, std::string_view by,
                                          std::string_view who) {
  json rules = json::array(), approvers = json::array(), problems = json::array();
  for (const auto& f : c.findings) {
    if (f.required > 0) rules.push_back(name(f.rule));
  }
  for (const auto& v : c.verdicts) {
    if (v.counted) {
      approvers.push_back({{"key_id", v.key_id}, {"name", v.name}});
    } else {
      problems.push_back({{"key_id", v.key_id}, {"problem", v.problem}});
    }
  }
  json d = {{"action", c.ok() ? "approved" : "refused"},
            {"sha256", c.sha256},
            {"rules", std::move(rules)},
            {"required", c.required},
            {"valid", c.valid},
            {"approvers", std::move(approvers)},
            {"by", std::string(by)}};
  if (!problems.empty()) d["problems"] = std::move(problems);
  if (!who.empty()) d["who"] = std::string(who);
  storage::audit_event e;
  e.campaign = c.campaign;
  e.type = storage::audit_type::campaign;
  e.details = d.dump();
  return e;
}

}  // namespace otaflow::actors
