#include "service/campaign_view.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "actors/campaign_def.hpp"
#include "base/bytes.hpp"
#include "codec/gp_commands.hpp"
#include "service/campaign_tally.hpp"

namespace otaflow::service {
namespace {

constexpr std::int64_t kRateWindowMs = 60'000;

std::string por_hex(std::uint8_t s) {
  return to_hex(s, 2, hex_case::upper);
}

// done / failed / skipped / in_progress of a per-state map.
nlohmann::json totals(const std::map<model::job_state, std::uint64_t>& per_state) {
  std::uint64_t cards = 0, done = 0, failed = 0, skipped = 0;
  nlohmann::json states = nlohmann::json::object();
  for (const auto& [s, n] : per_state) {
    states[std::string(model::to_string(s))] = n;
    cards += n;
    if (s == model::job_state::done) done += n;
    if (s == model::job_state::failed) failed += n;
    if (s == model::job_state::skipped) skipped += n;
  }
  return {{"cards", cards},
          {"done", done},
          {"failed", failed},
          {"skipped", skipped},
          {"in_progress", cards - done - failed - skipped},
          {"states", states}};
}

nlohmann::json security_json(const actors::security_def& s) {
  return {{"spi", to_hex(s.spi, 4, hex_case::upper)},
          {"kic", to_hex(s.kic, 2, hex_case::upper)},
          {"kid", to_hex(s.kid, 2, hex_case::upper)},
          {"tar", to_hex(s.tar, 6, hex_case::upper)},
          {"keyset", s.keyset()},
          {"cc_length", s.cc_length},
          {"allow_insecure", s.allow_insecure}};
}

// What a variant writes: paths and sizes only. Raw APDUs may carry keys (PUT KEY): counted.
nlohmann::json update_json(const actors::update_def& u) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : u.files) {
    files.push_back(
        {{"path", actors::path_text(f.path)}, {"offset", f.offset}, {"length", f.data.size()}});
  }
  nlohmann::json records = nlohmann::json::array();
  for (const auto& r : u.records) {
    records.push_back(
        {{"path", actors::path_text(r.path)}, {"record", r.record}, {"length", r.data.size()}});
  }
  nlohmann::json out = {
      {"files", files},
      {"records", records},
      {"apdus", u.apdus.size()},
      {"format", u.format == actors::script_format::compact ? "compact" : "expanded"}};
  if (u.suci) out["suci"] = {{"scheme_id", u.suci->key.scheme_id}, {"key_id", u.suci->key.key_id}};
  if (u.keys) out["keys"] = {{"ki", u.keys->ki}, {"opc", u.keys->opc}};
  return out;
}

nlohmann::json target_json(const actors::target_def& t) {
  nlohmann::json out = {{"all", t.all}};
  if (!t.iccids.empty()) out["iccids"] = t.iccids.size();
  if (!t.imsi_prefix.empty()) out["imsi_prefix"] = t.imsi_prefix;
  if (!t.iccid_prefix.empty()) out["iccid_prefix"] = t.iccid_prefix;
  if (!t.attributes.empty()) out["attributes"] = t.attributes;
  if (!t.imsi_ranges.empty()) out["imsi_ranges"] = t.imsi_ranges.size();
  if (!t.keysets.empty()) out["keysets"] = t.keysets;
  return out;
}

result<actors::campaign_def> parse_definition(std::string_view format,
                                              std::string_view definition) {
  if (format == "json") {
    auto j = nlohmann::json::parse(definition, nullptr, false);
    if (j.is_discarded()) return make_error(errc::bad_value, "stored definition is not JSON");
    return actors::campaign_from_json(j);
  }
  if (format == "toml") return actors::campaign_from_toml(definition, "stored definition");
  return make_error(errc::bad_value,
                    "stored definition has unknown format '" + std::string(format) + "'");
}

}  // namespace

nlohmann::json definition_summary(std::string_view format, std::string_view definition) {
  auto def = parse_definition(format, definition);
  if (!def) return {{"error", def.error().message}};
  const auto& d = *def;
  nlohmann::json variants = nlohmann::json::array();
  for (const auto& v : actors::effective_variants(d)) {
    variants.push_back({{"name", v.name},
                        {"security", security_json(v.security)},
                        {"update", update_json(v.update)}});
  }
  const auto& p = d.policy;
  return {{"security", security_json(d.security)},
          {"target", target_json(d.target)},
          {"variants", variants},
          {"rules", d.rules.size()},
          {"policy",
           {{"rate", p.rate},
            {"window", p.window},
            {"max_attempts", p.job.max_attempts},
            {"por_timeout_ms", p.job.por_timeout.count()},
            {"retry_base_ms", p.job.retry_base.count()},
            {"retry_max_ms", p.job.retry_max.count()}}}};
}

result<job_counts> count_jobs(storage::state& state, std::string_view campaign_id,
                              std::int64_t now_ms, const job_visitor& visit) {
  job_counts c;
  const std::string prefix = storage::job_store::row_key(campaign_id, "");
  auto it = state.database().iterate(storage::column::jobs);
  for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid(); it->Next()) {
    const auto key = it->key().ToStringView();
    if (key.substr(0, prefix.size()) != prefix) break;
    const auto v = it->value().ToStringView();
    auto r = storage::job_store::decode(
        byte_view(reinterpret_cast<const std::uint8_t*>(v.data()), v.size()));
    if (!r) {
      return make_error(errc::internal, "job " + std::string(campaign_id) + "/" +
                                            std::string(key.substr(prefix.size())) + ": " +
                                            r.error().message);
    }
    const auto& j = *r;
    if (visit) visit(key.substr(prefix.size()), j);
    ++c.cards;
    ++c.by_state[j.state];
    ++c.by_variant[j.variant][j.state];
    if (j.por_status) ++c.por_status[*j.por_status];
    if (j.state == model::job_state::failed) ++c.failure_reasons[j.reason];
    if (j.started_ms > 0 && (c.first_started_ms == 0 || j.started_ms < c.first_started_ms)) {
      c.first_started_ms = j.started_ms;
    }
    c.last_updated_ms = std::max(c.last_updated_ms, j.updated_ms);
    if (model::is_terminal(j.state) && j.updated_ms > now_ms - kRateWindowMs &&
        j.updated_ms <= now_ms) {
      ++c.terminal_last_minute;
    }
  }
  if (!it->status().ok()) return storage::rocksdb_error(it->status(), "jobs: scan");
  return c;
}

result<nlohmann::json> campaign_list(storage::state& state) {
  auto list = state.campaigns().list();
  if (!list) return list.error();
  nlohmann::json out = nlohmann::json::array();
  for (const auto& rec : *list) {
    auto counts = state.jobs().count_by_state(rec.id);
    if (!counts) return counts.error();
    auto t = totals(*counts);
    out.push_back({{"id", rec.id},
                   {"status", std::string(storage::name(rec.status))},
                   {"created_ms", rec.created_ms},
                   {"updated_ms", rec.updated_ms},
                   {"cards", t["cards"]},
                   {"done", t["done"]},
                   {"failed", t["failed"]},
                   {"skipped", t["skipped"]},
                   {"in_progress", t["in_progress"]}});
  }
  return out;
}

nlohmann::json detail_json(const storage::campaign_record& camp, const job_counts& c,
                           std::int64_t now_ms, std::string_view source) {
  nlohmann::json out = {{"id", camp.id},
                        {"status", std::string(storage::name(camp.status))},
                        {"created_ms", camp.created_ms},
                        {"updated_ms", camp.updated_ms}};
  out.update(totals(c.by_state));
  nlohmann::json variants = nlohmann::json::object();
  for (const auto& [name, per_state] : c.by_variant) {
    variants[name.empty() ? "(none)" : name] = totals(per_state);
  }
  out["variants"] = variants;
  nlohmann::json por = nlohmann::json::object();
  for (const auto& [s, n] : c.por_status) por[por_hex(s)] = n;
  out["por_status"] = por;
  nlohmann::json reasons = nlohmann::json::object();
  for (const auto& [r, n] : c.failure_reasons) reasons[r.empty() ? "(none)" : r] = n;
  out["failure_reasons"] = reasons;
  out["started_ms"] = c.first_started_ms > 0 ? nlohmann::json(c.first_started_ms) : nullptr;
  out["jobs_updated_ms"] = c.last_updated_ms > 0 ? nlohmann::json(c.last_updated_ms) : nullptr;
  // Cards ended per second over the last minute; ETA: the jobs not terminal at that rate
  // (cards of the target not started yet have no job and are not counted: the target is
  // expanded as the campaign runs).
  const double rate = static_cast<double>(c.terminal_last_minute) / (kRateWindowMs / 1000.0);
  const auto in_progress = out["in_progress"].get<std::uint64_t>();
  out["rate_per_second"] = rate;
  out["eta_seconds"] = rate > 0 ? nlohmann::json(std::ceil(static_cast<double>(in_progress) / rate))
                                : nlohmann::json(nullptr);
  out["definition"] = definition_summary(camp.format, camp.definition);
  out["counts_source"] = source;
  out["as_of_ms"] = now_ms;
  return out;
}

result<std::optional<nlohmann::json>> campaign_detail(storage::state& state,
                                                      std::string_view campaign_id,
                                                      std::int64_t now_ms,
                                                      const campaign_tally* live) {
  auto rec = state.campaigns().get(campaign_id);
  if (!rec) return rec.error();
  if (!rec->has_value()) return std::optional<nlohmann::json>();
  if (live != nullptr) {
    if (auto counts = live->counts(campaign_id, now_ms)) {
      return std::optional<nlohmann::json>(detail_json(**rec, *counts, now_ms, "live"));
    }
  }
  auto c = count_jobs(state, campaign_id, now_ms);
  if (!c) return c.error();
  return std::optional<nlohmann::json>(detail_json(**rec, *c, now_ms, "scan"));
}

nlohmann::json history_json(const model::job_record& job) {
  auto out = nlohmann::json::array();
  for (const auto& h : job.history) {
    nlohmann::json e = {{"state", std::string(model::to_string(h.state))},
                        {"at_ms", h.at_ms},
                        {"attempt", h.attempt}};
    if (h.por_status) e["por_status"] = por_hex(*h.por_status);
    out.push_back(std::move(e));
  }
  return out;
}

namespace {

std::string hex_up(byte_view b) {
  std::string s;
  append_hex(s, b, hex_case::upper);
  return s;
}

nlohmann::json registry_entry_json(const codec::gp::registry_entry& e) {
  nlohmann::json out = {{"aid", hex_up(e.aid)},
                        {"life_cycle", to_hex(e.life_cycle, 2, hex_case::upper)}};
  if (e.privileges) out["privileges"] = hex_up(*e.privileges);
  if (e.load_file_aid) out["load_file_aid"] = hex_up(*e.load_file_aid);
  if (e.load_file_version) out["load_file_version"] = hex_up(*e.load_file_version);
  if (!e.module_aids.empty()) {
    auto m = nlohmann::json::array();
    for (const auto& a : e.module_aids) m.push_back(hex_up(a));
    out["modules"] = std::move(m);
  }
  if (e.associated_sd) out["associated_sd"] = hex_up(*e.associated_sd);
  return out;
}

}  // namespace

nlohmann::json listing_json(const model::job_record& job) {
  auto steps = nlohmann::json::array();
  for (std::size_t i = 0; i < job.listing.size();) {
    const auto step = job.listing[i].step;
    std::size_t pages = 0;
    while (i + pages < job.listing.size() && job.listing[i + pages].step == step) ++pages;
    i += pages;
    const auto data = model::listing_of_step(job, step);
    nlohmann::json s = {{"step", step}, {"pages", pages}};
    auto entries = codec::gp::parse_get_status(data);
    if (entries) {
      auto list = nlohmann::json::array();
      for (const auto& e : *entries) list.push_back(registry_entry_json(e));
      s["entries"] = std::move(list);
    } else {
      s["hex"] = hex_up(data);
      s["error"] = entries.error().message;
    }
    steps.push_back(std::move(s));
  }
  return {{"steps", std::move(steps)},
          {"truncated", (job.step_flags & model::step_flag::listing_truncated) != 0}};
}

nlohmann::json job_json(std::string_view campaign_id, std::string_view iccid,
                        const model::job_record& j) {
  nlohmann::json out = {
      {"campaign", campaign_id},
      {"iccid", iccid},
      {"state", std::string(model::to_string(j.state))},
      {"terminal", model::is_terminal(j.state)},
      {"attempts", j.attempt},
      {"resends", j.resends},
      {"counters", j.counters},
      {"message_id", j.message_id},
      {"por_status",
       j.por_status ? nlohmann::json(por_hex(*j.por_status)) : nlohmann::json(nullptr)},
      {"last_sw", j.last_sw ? nlohmann::json(to_hex(*j.last_sw, 4, hex_case::upper))
                            : nlohmann::json(nullptr)},
      {"reason", j.reason},
      {"variant", j.variant},
      {"started_ms", j.started_ms},
      {"updated_ms", j.updated_ms}};
  if (j.retry_at_ms > 0) out["retry_at_ms"] = j.retry_at_ms;
  if (j.step != 0 || j.step_at != 0) out["step"] = j.step;  // a multi-step job past step 0
  out["history"] = history_json(j);
  if (model::has_listing(j)) out["listing"] = listing_json(j);
  return out;
}

result<std::optional<nlohmann::json>> card_detail(storage::state& state,
                                                  std::string_view campaign_id,
                                                  std::string_view iccid) {
  auto job = state.jobs().get(campaign_id, iccid);
  if (!job) return job.error();
  if (!job->has_value()) return std::optional<nlohmann::json>();
  return std::optional<nlohmann::json>(job_json(campaign_id, iccid, **job));
}

}  // namespace otaflow::service
