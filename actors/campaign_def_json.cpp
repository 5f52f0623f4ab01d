#include "actors/campaign_def.hpp"

// The writing half of campaign definitions: to_json, whose output campaign_from_json reads
// back (serve stores definitions this way, and `campaign status` shows them). The reading
// half and validation are in campaign_def.cpp.

#include <nlohmann/json.hpp>

#include "base/bytes.hpp"

namespace otaflow::actors {

using json = nlohmann::json;

namespace {

json alerts_json(const alert_policy& a) {
  return {{"enabled", a.enabled},
          {"min_cards", a.min_cards},
          {"window", a.window},
          {"por_error_rate", a.por_error_rate},
          {"undeliverable_rate", a.undeliverable_rate},
          {"timeout_rate", a.timeout_rate},
          {"throttle_rate", a.throttle_rate},
          {"por_rejected_rate", a.por_rejected_rate},
          {"pause_on_alert", a.pause_on_alert}};
}

json security_json(const security_def& s) {
  json j = {{"spi", to_hex(s.spi, 4, hex_case::upper)},
            {"kic", to_hex(s.kic, 2, hex_case::upper)},
            {"kid", to_hex(s.kid, 2, hex_case::upper)},
            {"tar", to_hex(s.tar, 6, hex_case::upper)},
            {"cc_length", s.cc_length},
            {"counter_skip", s.counter_skip}};
  if (s.allow_insecure) j["allow_insecure"] = true;
  return j;
}

json ranges_json(const std::vector<imsi_range>& rs) {
  json out = json::array();
  for (const auto& r : rs) out.push_back({r.first, r.last});
  return out;
}

json files_json(const std::vector<file_condition>& fs) {
  json out = json::array();
  for (const auto& f : fs) {
    json fj = {{"path", path_text(f.path)}, {"data", to_hex(f.data)}};
    if (f.offset) fj["offset"] = f.offset;
    out.push_back(fj);
  }
  return out;
}

json condition_json(const condition_def& w) {
  json o = json::object();
  if (!w.attributes.empty()) o["attributes"] = w.attributes;
  if (!w.imsi_prefix.empty()) o["imsi_prefix"] = w.imsi_prefix;
  if (!w.iccid_prefix.empty()) o["iccid_prefix"] = w.iccid_prefix;
  if (!w.imsi_ranges.empty()) o["imsi_ranges"] = ranges_json(w.imsi_ranges);
  if (!w.keysets.empty()) o["keysets"] = w.keysets;
  if (!w.file_is.empty()) o["file_is"] = files_json(w.file_is);
  if (!w.file_not.empty()) o["file_not"] = files_json(w.file_not);
  return o;
}

json update_json(const update_def& up) {
  json u = json::object();
  for (const auto& f : up.files) {
    if (!f.from_template.empty()) continue;  // written back as its template below
    json fj = {{"path", path_text(f.path)}, {"data", to_hex(f.data)}};
    if (f.offset) fj["offset"] = f.offset;
    u["files"].push_back(fj);
  }
  for (const auto& r : up.records) {
    if (!r.from_template.empty()) continue;
    u["records"].push_back(
        {{"path", path_text(r.path)}, {"record", r.record}, {"data", to_hex(r.data)}});
  }
  templates_to_json(up.templates, u);
  for (const auto& a : up.apdus) u["apdus"].push_back(to_hex(a));
  u["format"] = up.format == script_format::compact ? "compact" : "expanded";
  u["cla"] = to_hex(up.cla, 2, hex_case::upper);
  if (up.suci) {
    auto key_json = [](const suci_key_def& k) {
      return json{{"scheme", k.scheme_id == 1 ? "A" : "B"},
                  {"key_id", k.key_id},
                  {"public_key", to_hex(k.public_key)}};
    };
    json s = key_json(up.suci->key);
    s["replace"] = up.suci->replace;
    for (const auto& k : up.suci->keep) s["keep"].push_back(key_json(k));
    s["null_fallback"] = up.suci->null_fallback;
    if (up.suci->routing_indicator) s["routing_indicator"] = *up.suci->routing_indicator;
    s["file_size"] = up.suci->file_size;
    u["suci"] = s;
  }
  if (up.keys) u["keys"] = to_json(*up.keys);
  if (up.keyset) u["keyset"] = keyset_update_json(*up.keyset);
  if (up.ram) u["ram"] = ram_update_json(*up.ram);
  return u;
}

}  // namespace

json to_json(const campaign_def& c) {
  json j;
  j["id"] = c.id;
  j["security"] = security_json(c.security);
  json t = json::object();
  if (c.target.all) t["all"] = true;
  if (!c.target.iccids.empty()) t["iccids"] = c.target.iccids;
  if (!c.target.imsi_prefix.empty()) t["imsi_prefix"] = c.target.imsi_prefix;
  if (!c.target.attributes.empty()) t["attributes"] = c.target.attributes;
  if (!c.target.iccid_prefix.empty()) t["iccid_prefix"] = c.target.iccid_prefix;
  if (!c.target.imsi_ranges.empty()) t["imsi_ranges"] = ranges_json(c.target.imsi_ranges);
  if (!c.target.keysets.empty()) t["keysets"] = c.target.keysets;
  j["target"] = t;
  if (c.variants.empty()) {
    j["update"] = update_json(c.update);
  } else {
    for (const auto& v : c.variants) {
      j["variant"].push_back({{"name", v.name},
                              {"security", security_json(v.security)},
                              {"update", update_json(v.update)}});
    }
  }
  for (const auto& r : c.rules) {
    json rj = json::object();
    if (r.skip.empty()) {
      rj["variant"] = r.variant;
    } else {
      rj["skip"] = r.skip;
    }
    auto w = condition_json(r.when);
    if (!w.empty()) rj["when"] = std::move(w);
    j["rule"].push_back(std::move(rj));
  }
  j["policy"] = {{"rate", c.policy.rate},
                 {"window", c.policy.window},
                 {"max_attempts", c.policy.job.max_attempts},
                 {"max_resends", c.policy.job.max_resends},
                 {"por_timeout", std::to_string(c.policy.job.por_timeout.count()) + "ms"},
                 {"retry_backoff", std::to_string(c.policy.job.retry_base.count()) + "ms"},
                 {"retry_max", std::to_string(c.policy.job.retry_max.count()) + "ms"}};
  const auto& tp = c.policy.time;
  if (tp.not_before_ms) j["policy"]["not_before"] = format_rfc3339(*tp.not_before_ms);
  if (tp.not_after_ms) j["policy"]["not_after"] = format_rfc3339(*tp.not_after_ms);
  if (tp.window) j["policy"]["send_window"] = format_send_window(*tp.window);
  if (tp.utc_offset_min != 0) j["policy"]["timezone"] = format_utc_offset(tp.utc_offset_min);
  if (!c.policy.submit.empty()) j["policy"]["submit"] = submit_options_json(c.policy.submit);
  j["alerts"] = alerts_json(c.alerts);
  return j;
}

}  // namespace otaflow::actors
