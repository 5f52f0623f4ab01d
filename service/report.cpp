#include "service/report.hpp"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "actors/campaign_def.hpp"
#include "base/bytes.hpp"
#include "codec/ts102225_spi.hpp"
#include "storage/audit_log.hpp"

namespace otaflow::service {
namespace {

using model::job_state;

constexpr std::size_t plot_samples = 160;
constexpr std::size_t page_size = 4096;

std::string hex16(std::uint32_t v, int digits) {
  return to_hex(v, digits, hex_case::upper);
}

const char* integrity_text(codec::integrity i) {
  switch (i) {
    case codec::integrity::none:
      return "no RC/CC/DS";
    case codec::integrity::rc:
      return "RC";
    case codec::integrity::cc:
      return "CC";
    case codec::integrity::ds:
      return "DS";
  }
  return "?";
}

// The SPI in words (TS 102 225 §5.1.1).
std::string spi_text(const codec::spi& spi) {
  static constexpr const char* counters[] = {"no counter", "counter not checked", "counter higher",
                                             "counter one higher"};
  std::string out = counters[static_cast<std::size_t>(spi.counter) & 3];
  out += spi.ciphered ? ", ciphered, " : ", not ciphered, ";
  out += integrity_text(spi.command_integrity);
  if (spi.por == codec::por_mode::none) return out + "; no PoR";
  out += spi.por == codec::por_mode::always ? "; PoR always, " : "; PoR on error, ";
  out += integrity_text(spi.por_integrity);
  out += spi.por_ciphered ? ", ciphered" : "";
  out += spi.por_via_submit ? ", by SMS-SUBMIT" : ", in the delivery report";
  return out;
}

std::string security_text(const actors::security_def& s) {
  std::string out = "SPI " + hex16(s.spi, 4);
  if (auto spi = codec::decode_spi(s.spi)) out += " (" + spi_text(*spi) + ")";
  out += " · KIc " + hex16(s.kic, 2) + " · KID " + hex16(s.kid, 2) + " · TAR " + hex16(s.tar, 6) +
         " · keyset " + std::to_string(s.keyset());
  if (s.allow_insecure) out += " · below the minimum security level (allow_insecure)";
  return out;
}

// What a variant's packets carry: the operations, never their key material.
std::string update_text(const actors::update_def& u) {
  std::vector<std::string> parts;
  for (const auto& f : u.files) {
    parts.push_back(fmt::format("UPDATE BINARY {} ({} octets at {})", actors::path_text(f.path),
                                f.data.size(), f.offset));
  }
  for (const auto& r : u.records) {
    parts.push_back(fmt::format("UPDATE RECORD {} #{} ({} octets)", actors::path_text(r.path),
                                r.record, r.data.size()));
  }
  if (!u.apdus.empty()) parts.push_back(fmt::format("{} raw APDU(s)", u.apdus.size()));
  if (u.suci) {
    parts.push_back(fmt::format("SUCI home network key (scheme {}, key id {})",
                                u.suci->key.scheme_id, u.suci->key.key_id));
  }
  if (u.keys) {
    parts.push_back(std::string("key rotation (") + (u.keys->ki ? "Ki" : "") +
                    (u.keys->ki && u.keys->opc ? ", " : "") + (u.keys->opc ? "OPc" : "") + ")");
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out.empty() ? "nothing" : out;
}

std::string target_text(const actors::target_def& t) {
  std::vector<std::string> parts;
  if (t.all) parts.emplace_back("all cards");
  if (!t.iccids.empty()) parts.push_back(fmt::format("{} listed ICCIDs", t.iccids.size()));
  if (!t.imsi_prefix.empty()) parts.push_back("IMSI prefix " + t.imsi_prefix);
  if (!t.iccid_prefix.empty()) parts.push_back("ICCID prefix " + t.iccid_prefix);
  for (const auto& [k, v] : t.attributes) parts.push_back(k + " = " + v);
  for (const auto& r : t.imsi_ranges) parts.push_back("IMSI " + r.first + " - " + r.last);
  if (!t.keysets.empty()) {
    std::string ks;
    for (auto k : t.keysets) ks += (ks.empty() ? "" : ", ") + std::to_string(k);
    parts.push_back("holding keyset " + ks);
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out.empty() ? "none" : out;
}

void add_definition(campaign_report& r, const storage::campaign_record& rec) {
  result<actors::campaign_def> def = make_error(errc::unsupported, "format " + rec.format);
  if (rec.format == "json") {
    auto j = nlohmann::json::parse(rec.definition, nullptr, false);
    if (!j.is_discarded()) def = actors::campaign_from_json(j);
  } else if (rec.format == "toml") {
    def = actors::campaign_from_toml(rec.definition, "campaign " + rec.id);
  }
  if (!def) {
    r.facts.emplace_back("Definition", "unreadable: " + def.error().message);
    return;
  }
  r.facts.emplace_back("Targets", target_text(def->target));
  const auto& p = def->policy;
  r.facts.emplace_back(
      "Policy",
      fmt::format("{:g} SMS/s per bind · window {} · {} attempts · PoR timeout {} · "
                  "back-off {} to {}",
                  p.rate, p.window, p.job.max_attempts, actors::format_duration(p.job.por_timeout),
                  actors::format_duration(p.job.retry_base),
                  actors::format_duration(p.job.retry_max)));
  if (!p.time.unrestricted()) {
    std::string t;
    if (p.time.not_before_ms) t += "not before " + iso8601(*p.time.not_before_ms) + " ";
    if (p.time.not_after_ms) t += "not after " + iso8601(*p.time.not_after_ms) + " ";
    if (p.time.window) t += "daily send window";
    r.facts.emplace_back("Time", t);
  }
  r.facts.emplace_back(
      "Alerts",
      def->alerts.enabled
          ? fmt::format("PoR errors above {:g} %{}", def->alerts.por_error_rate * 100,
                        def->alerts.pause_on_alert ? "; the campaign pauses on an alert" : "")
          : "off");
  for (const auto& v : actors::effective_variants(*def)) {
    r.variants.push_back({v.name, security_text(v.security), update_text(v.update), {}});
  }
  for (const auto& rule : def->rules) {
    if (!rule.skip.empty()) r.facts.emplace_back("Skip rule", rule.skip);
  }
}

report_variant& variant_of(campaign_report& r, const std::string& name) {
  for (auto& v : r.variants) {
    if (v.name == name) return v;
  }
  r.variants.push_back({name, "(not in the definition)", "", {}});
  return r.variants.back();
}

// The times a job's history covers: its first and last entry (old records: their stamps).
std::pair<std::int64_t, std::int64_t> job_span(const model::job_record& j) {
  if (!j.history.empty()) return {j.history.front().at_ms, j.history.back().at_ms};
  const auto first = j.started_ms != 0 ? j.started_ms : j.updated_ms;
  return {first, j.updated_ms};
}

// Reads the campaign's jobs page by page.
template <class Fn>
status for_each_job(storage::state& st, const std::string& id, Fn&& fn) {
  std::string after;
  for (;;) {
    auto page = st.jobs().list(id, after, page_size, false, page_size);
    if (!page) return page.error();
    for (const auto& item : page->items) fn(item.iccid, item.record);
    if (page->end) return {};
    after = page->resume_after;
  }
}

void add_audit(campaign_report& r, const storage::audit_entry& en) {
  const auto& e = en.event;
  auto j = nlohmann::json::parse(e.details, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return;
  if (e.type == storage::audit_type::control) {
    r.controls.push_back({e.time_ms, j.value("action", "?"),
                          j.value("before", "?") + " → " + j.value("after", "?") + " (by " +
                              j.value("by", "?") + ")"});
    if (j.contains("jobs_failed")) {
      r.controls.back().detail +=
          fmt::format("; {} open jobs failed", j["jobs_failed"].get<std::uint64_t>());
    }
  } else if (e.type == storage::audit_type::alert) {
    std::string what = j.value("kind", "alert");
    if (j.value("cleared", false)) what += " (cleared)";
    std::string detail = j.value("message", "");
    if (j.value("action", "") == "paused") detail += " — the campaign paused";
    r.alerts.push_back({e.time_ms, what, detail});
  }
}

}  // namespace

const std::array<const char*, 7>& report_groups() noexcept {
  static const std::array<const char*, 7> names = {
      "queued", "sending", "awaiting PoR", "retry wait", "done", "failed", "skipped"};
  return names;
}

std::size_t report_group(job_state s) noexcept {
  switch (s) {
    case job_state::queued:
      return 0;
    case job_state::packaging:
    case job_state::submitting:
      return 1;
    case job_state::accepted:
    case job_state::delivered:
      return 2;
    case job_state::retry_wait:
      return 3;
    case job_state::done:
      return 4;
    case job_state::failed:
      return 5;
    case job_state::skipped:
      return 6;
  }
  return 0;
}

void add_job(campaign_report& r, const model::job_record& j) {
  const auto st = static_cast<std::size_t>(j.state);
  ++r.cards;
  ++r.by_state[st];
  ++variant_of(r, j.variant.empty() ? "(none)" : j.variant).by_state[st];
  if (j.por_status) {
    ++r.por_status[*j.por_status];
  } else {
    ++r.no_por;
  }
  if (j.state == job_state::failed) ++r.failures[j.reason.empty() ? "(no reason)" : j.reason];
  if (j.state == job_state::skipped) ++r.skips[j.reason.empty() ? "(no reason)" : j.reason];
  const auto [first, last] = job_span(j);
  if (j.state == job_state::done && last >= first) {
    r.latency_ms.push_back(static_cast<double>(last - first));
  }
  if (first != 0 && (r.first_ms == 0 || first < r.first_ms)) r.first_ms = first;
  r.last_ms = std::max(r.last_ms, last);
}

void make_samples(campaign_report& r, std::size_t n) {
  r.sample_ms.clear();
  r.samples.assign(n, {});
  const auto span = std::max<std::int64_t>(r.last_ms - r.first_ms, 0);
  for (std::size_t i = 0; i < n; ++i) {
    r.sample_ms.push_back(
        n == 1 ? r.first_ms
               : r.first_ms + static_cast<std::int64_t>(static_cast<double>(span) * i / (n - 1)));
  }
}

void add_to_samples(campaign_report& r, const model::job_record& j) {
  if (r.sample_ms.empty()) return;
  std::vector<model::job_history_entry> h = j.history;
  if (h.empty()) h.push_back({j.state, job_span(j).second, j.attempt, j.por_status});
  // Entry i holds from its time to the next entry's; the last one to the end of the plot.
  const auto index_at = [&](std::int64_t t) {
    return static_cast<std::size_t>(std::lower_bound(r.sample_ms.begin(), r.sample_ms.end(), t) -
                                    r.sample_ms.begin());
  };
  for (std::size_t i = 0; i < h.size(); ++i) {
    const auto from = index_at(h[i].at_ms);
    const auto to = i + 1 < h.size() ? index_at(h[i + 1].at_ms) : r.sample_ms.size();
    const auto g = report_group(h[i].state);
    for (auto k = from; k < to; ++k) ++r.samples[k][g];
  }
}

result<campaign_report> collect_report(storage::state& st, const std::string& id) {
  auto rec = st.campaigns().get(id);
  if (!rec) return rec.error();
  if (!*rec) return make_error(errc::not_found, "no campaign '" + id + "'");
  campaign_report r;
  r.id = id;
  r.status = std::string(storage::name((*rec)->status));
  r.created_ms = (*rec)->created_ms;
  r.generated_ms = storage::now_ms();
  add_definition(r, **rec);
  OTAFLOW_TRY(for_each_job(st, id, [&](const std::string&, const auto& j) { add_job(r, j); }));
  if (r.cards != 0) {
    make_samples(r, plot_samples);
    OTAFLOW_TRY(
        for_each_job(st, id, [&](const std::string&, const auto& j) { add_to_samples(r, j); }));
  }
  OTAFLOW_TRY(st.audit().scan(1, [&](const storage::audit_entry& en) {
    if (en.event.campaign == id) add_audit(r, en);
    return true;
  }));
  return r;
}

std::string iso8601(std::int64_t ms) {
  if (ms == 0) return {};
  const auto secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     static_cast<int>(ms - static_cast<std::int64_t>(secs) * 1000));
}

std::string csv_field(std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(v);
  std::string out = "\"";
  for (const char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string cards_csv_header() {
  return "iccid,variant,state,attempts,counters,por_status,reason,first_at,last_at\r\n";
}

std::string cards_csv_row(std::string_view iccid, const model::job_record& j) {
  std::string counters;
  for (const auto c : j.counters) counters += (counters.empty() ? "" : " ") + std::to_string(c);
  const auto [first, last] = job_span(j);
  std::string row = csv_field(iccid);
  for (const auto& f :
       {std::string(j.variant), std::string(model::to_string(j.state)), std::to_string(j.attempt),
        counters, j.por_status ? to_hex(*j.por_status, 2, hex_case::upper) : std::string(),
        j.reason, iso8601(first), iso8601(last)}) {
    row += ',';
    row += csv_field(f);
  }
  row += "\r\n";
  return row;
}

result<std::uint64_t> write_cards_csv(storage::state& st, const std::string& id,
                                      std::ostream& out) {
  std::uint64_t n = 0;
  out << cards_csv_header();
  OTAFLOW_TRY(for_each_job(st, id, [&](const std::string& iccid, const auto& j) {
    out << cards_csv_row(iccid, j);
    ++n;
  }));
  if (!out) return make_error(errc::io, "cards CSV: write failed");
  return n;
}

}  // namespace otaflow::service
