#include "actors/keyset_def.hpp"

#include <nlohmann/json.hpp>

#include "actors/campaign_def.hpp"

namespace otaflow::actors {
namespace {

using nlohmann::json;

error field_error(const std::string& field, const std::string& what) {
  return make_error(errc::bad_value, "campaign field 'update.keyset" + field + "': " + what);
}

}  // namespace

std::string keyset_update_def::keys_text() const {
  std::string out;
  for (auto [on, name] : {std::pair{kic, "kic"}, std::pair{kid, "kid"}, std::pair{kik, "kik"}}) {
    if (!on) continue;
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

status parse_keyset_update(const json& v, std::optional<keyset_update_def>& result) {
  if (!v.is_object()) return field_error("", "expected a table");
  for (const auto& [k, _] : v.items()) {
    if (k != "version" && k != "type" && k != "keys")
      return make_error(errc::bad_value, "campaign: unknown field 'update.keyset." + k + "'");
  }
  keyset_update_def out;
  if (!v.contains("version") || !v["version"].is_number_integer())
    return field_error(".version", "expected the new key version number, 1..15");
  const auto kvn = v["version"].get<std::int64_t>();
  if (kvn < 1 || kvn > 15)
    return field_error(".version", "key version " + std::to_string(kvn) + " is not in 1..15");
  out.version = static_cast<std::uint8_t>(kvn);
  if (v.contains("type")) {
    const auto t = v["type"].is_string() ? v["type"].get<std::string>() : "";
    if (t == "aes") {
      out.aes = true;
    } else if (t == "des") {
      out.aes = false;
    } else {
      return field_error(
          ".type", "expected \"aes\" (AES-128) or \"des\" (3DES 2-key), got " + v["type"].dump());
    }
  }
  if (v.contains("keys")) {
    const auto& ks = v["keys"];
    if (!ks.is_array() || ks.empty())
      return field_error(".keys", "expected a list of \"kic\", \"kid\" and/or \"kik\"");
    out.kic = out.kid = out.kik = false;
    for (const auto& k : ks) {
      const auto name = k.is_string() ? k.get<std::string>() : "";
      bool* slot = name == "kic"   ? &out.kic
                   : name == "kid" ? &out.kid
                   : name == "kik" ? &out.kik
                                   : nullptr;
      if (!slot)
        return field_error(".keys", "expected \"kic\", \"kid\" or \"kik\", got " + k.dump());
      if (*slot) return field_error(".keys", "\"" + name + "\" is listed twice");
      *slot = true;
    }
    // PUT KEY replaces keys of consecutive identifiers from P2's first one (GP 2.3 §11.8.2.2).
    if (out.kic && out.kik && !out.kid)
      return field_error(".keys",
                         "kic and kik without kid: one PUT KEY carries consecutive key "
                         "identifiers (1 kic, 2 kid, 3 kik)");
  }
  result = out;
  return {};
}

status check_keyset_alone(const update_def& u) {
  if (!u.keyset) return {};
  if (u.files.empty() && u.records.empty() && u.apdus.empty() && !u.suci && !u.keys) return {};
  return field_error("",
                     "a PUT KEY campaign sends the PUT KEY alone: give files, records, "
                     "apdus, suci and keys in another campaign");
}

void check_keyset_security(const security_def& sec, std::vector<std::string>& missing) {
  if (sec.keyset() == 0 || (sec.kid >> 4) != sec.keyset())
    missing.push_back("KIc and KID must name one keyset 1..15 (its KIK wraps the new keys)");
}

json keyset_update_json(const keyset_update_def& k) {
  json keys = json::array();
  if (k.kic) keys.push_back("kic");
  if (k.kid) keys.push_back("kid");
  if (k.kik) keys.push_back("kik");
  return json{{"version", k.version}, {"type", k.aes ? "aes" : "des"}, {"keys", keys}};
}

}  // namespace otaflow::actors
