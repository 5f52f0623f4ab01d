// render_html (service/report.hpp): one self-contained HTML document, inline CSS and SVG.

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "base/bytes.hpp"
#include "codec/ts102225_packet.hpp"
#include "service/report.hpp"
#include "service/report_svg.hpp"

namespace otaflow::service {
namespace {

using model::job_state;
using svg::escape;

constexpr std::size_t max_reason_rows = 25;

// Colours of the state groups (report_groups order) and of the final states.
constexpr std::array<const char*, 7> group_colors = {"#b8c2cc", "#7fb3e6", "#3b6ea8", "#e0a526",
                                                     "#2e8540", "#c62828", "#8d99a6"};

constexpr std::string_view style = R"(
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f6f8; color: #1f2933;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 880px; margin: 0 auto; padding: 0 24px 48px; background: #fff;
  box-shadow: 0 0 0 1px #e3e7ec; }
header { padding: 28px 0 18px; border-bottom: 3px solid #1f3a5f; margin-bottom: 8px; }
header .kicker { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; color: #5f6b7a; }
header h1 { margin: 2px 0 10px; font-size: 26px; font-weight: 650; word-break: break-all; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 10px; font-size: 12px;
  font-weight: 600; vertical-align: middle; margin-left: 8px; background: #e3e7ec; }
.badge.done { background: #dcefe0; color: #1d5e2c; } .badge.running { background: #dde9f6; color: #1f3a5f; }
.badge.paused { background: #fbefd0; color: #7a5400; } .badge.cancelled { background: #f7dcdc; color: #8e1c1c; }
dl.dates { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: 2px 14px;
  margin: 0; font-size: 13px; }
dl.dates dt { color: #5f6b7a; } dl.dates dd { margin: 0; font-variant-numeric: tabular-nums; }
h2 { font-size: 17px; margin: 30px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #d5dbe1; }
p.note { color: #5f6b7a; font-size: 13px; margin: 4px 0 10px; }
.tiles { display: grid; grid-template-columns: repeat(5, 1fr); gap: 10px; margin: 18px 0 4px; }
.tile { border: 1px solid #e3e7ec; border-radius: 6px; padding: 10px 12px; }
.tile .v { font-size: 22px; font-weight: 650; font-variant-numeric: tabular-nums; }
.tile .l { font-size: 12px; color: #5f6b7a; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e3e7ec; vertical-align: top; }
th { font-weight: 600; color: #3e4c59; border-bottom: 1px solid #9aa5b1; background: #f8f9fa; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
.bar { display: inline-block; height: 8px; background: #3b6ea8; border-radius: 1px; vertical-align: middle; }
svg { display: block; width: 100%; height: auto; margin: 6px 0; }
td.t { white-space: nowrap; font-variant-numeric: tabular-nums; width: 12em; }
footer { margin-top: 36px; padding-top: 10px; border-top: 1px solid #d5dbe1; font-size: 12px; color: #5f6b7a; }
@media print { body { background: #fff; } main { box-shadow: none; } h2 { break-after: avoid; } }
)";

std::string pct(std::uint64_t n, std::uint64_t of) {
  if (of == 0) return "–";
  return fmt::format("{:.1f} %", 100.0 * static_cast<double>(n) / static_cast<double>(of));
}

std::string when(std::int64_t ms) {
  if (ms == 0) return "–";
  auto s = iso8601(ms);  // 2026-12-06T05:34:50.123Z -> 2026-12-06 05:34:50 UTC
  return s.substr(0, 10) + " " + s.substr(11, 8) + " UTC";
}

std::string duration_text(double ms) {
  if (ms < 1000) return fmt::format("{:.0f} ms", ms);
  if (ms < 60'000) return fmt::format("{:.1f} s", ms / 1000);
  if (ms < 3'600'000)
    return fmt::format("{:.0f} min {:.0f} s", std::floor(ms / 60'000), std::fmod(ms / 1000, 60));
  return fmt::format("{:.0f} h {:.0f} min", std::floor(ms / 3'600'000), std::fmod(ms / 60'000, 60));
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1;
  const auto i = std::min(k, v.size() - 1);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i];
}

std::string header(const campaign_report& r) {
  std::string s = "<header><div class=\"kicker\">otaflow · campaign report</div>\n";
  s += fmt::format("<h1>{}<span class=\"badge {}\">{}</span></h1>\n", escape(r.id),
                   escape(r.status), escape(r.status));
  s += "<dl class=\"dates\">";
  s += fmt::format("<dt>Created</dt><dd>{}</dd><dt>Report generated</dt><dd>{}</dd>",
                   when(r.created_ms), when(r.generated_ms));
  s += fmt::format("<dt>First activity</dt><dd>{}</dd><dt>Last activity</dt><dd>{}</dd>",
                   when(r.first_ms), when(r.last_ms));
  s += "</dl></header>\n";
  return s;
}

std::string tiles(const campaign_report& r) {
  const auto done = r.by_state[static_cast<std::size_t>(job_state::done)];
  const auto failed = r.by_state[static_cast<std::size_t>(job_state::failed)];
  const auto skipped = r.by_state[static_cast<std::size_t>(job_state::skipped)];
  const auto open = r.cards - done - failed - skipped;
  const auto tile = [](const std::string& v, const std::string& l) {
    return fmt::format(
        "<div class=\"tile\"><div class=\"v\">{}</div><div class=\"l\">{}</div></div>", escape(v),
        escape(l));
  };
  std::string s = "<div class=\"tiles\">";
  s += tile(std::to_string(r.cards), "cards");
  s += tile(std::to_string(done), "done · " + pct(done, r.cards));
  s += tile(std::to_string(failed), "failed · " + pct(failed, r.cards));
  s += tile(std::to_string(skipped), "skipped · " + pct(skipped, r.cards));
  s += open != 0 ? tile(std::to_string(open), "not finished")
                 : tile(r.latency_ms.empty() ? "–" : duration_text(quantile(r.latency_ms, 0.5)),
                        "median trigger to PoR");
  s += "</div>\n";
  return s;
}

std::string definition(const campaign_report& r) {
  std::string s = "<h2>Definition</h2>\n<table>";
  s += "<tr><th>Campaign</th><td class=\"mono\">" + escape(r.id) + "</td></tr>";
  for (const auto& [k, v] : r.facts) {
    s += "<tr><th>" + escape(k) + "</th><td>" + escape(v) + "</td></tr>";
  }
  s += "</table>\n<h2>Variants</h2>\n<table><tr><th>Variant</th><th>Security</th><th>Update</th>"
       "<th class=\"n\">Cards</th><th class=\"n\">Done</th><th class=\"n\">Failed</th>"
       "<th class=\"n\">Skipped</th></tr>\n";
  for (const auto& v : r.variants) {
    std::uint64_t cards = 0;
    for (auto n : v.by_state) cards += n;
    s += fmt::format(
        "<tr><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td>"
        "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
        escape(v.name), escape(v.security), escape(v.update), cards,
        v.by_state[static_cast<std::size_t>(job_state::done)],
        v.by_state[static_cast<std::size_t>(job_state::failed)],
        v.by_state[static_cast<std::size_t>(job_state::skipped)]);
  }
  s += "</table>\n";
  return s;
}

std::string final_states(const campaign_report& r) {
  std::string s =
      "<h2>Cards per state</h2>\n<table><tr><th>State</th><th class=\"n\">Cards</th>"
      "<th class=\"n\">Share</th><th style=\"width:45%\"></th></tr>\n";
  std::uint64_t most = 1;
  for (auto n : r.by_state) most = std::max(most, n);
  for (std::size_t i = 0; i < model::job_state_count; ++i) {
    const auto st = static_cast<job_state>(i);
    if (r.by_state[i] == 0 && !model::is_terminal(st)) continue;
    s += fmt::format(
        "<tr><td><span class=\"swatch\" style=\"background:{}\"></span>{}</td>"
        "<td class=\"n\">{}</td><td class=\"n\">{}</td><td><span class=\"bar\" "
        "style=\"width:{:.1f}%;background:{}\"></span></td></tr>\n",
        group_colors[report_group(st)], escape(model::to_string(st)), r.by_state[i],
        pct(r.by_state[i], r.cards), 100.0 * static_cast<double>(r.by_state[i]) / most,
        group_colors[report_group(st)]);
  }
  s += "</table>\n";
  return s;
}

std::string over_time(const campaign_report& r) {
  std::string s = "<h2>Cards per state over time</h2>\n";
  if (r.samples.empty()) return s + "<p class=\"note\">No card was started.</p>\n";
  s += fmt::format(
      "<p class=\"note\">Each card from its trigger on, by the state it was in ({} samples from "
      "{} to {}, taken from the jobs' state histories).</p>\n",
      r.sample_ms.size(), when(r.first_ms), when(r.last_ms));
  std::vector<svg::series> stack;
  for (std::size_t g = 0; g < report_groups().size(); ++g) {
    svg::series ser{report_groups()[g], group_colors[g], {}};
    bool any = false;
    for (const auto& smp : r.samples) {
      ser.values.push_back(static_cast<double>(smp[g]));
      any = any || smp[g] != 0;
    }
    if (any) stack.push_back(std::move(ser));
  }
  std::vector<svg::marker> marks;
  for (const auto& c : r.controls) marks.push_back({c.at_ms, c.what});
  return s + svg::stacked_area(r.sample_ms, stack, "cards", marks);
}

std::string latency(const campaign_report& r) {
  std::string s = "<h2>Trigger to PoR latency</h2>\n";
  if (r.latency_ms.empty()) return s + "<p class=\"note\">No card has completed.</p>\n";
  const double max = *std::max_element(r.latency_ms.begin(), r.latency_ms.end());
  const bool secs = max >= 10'000;
  std::vector<double> v = r.latency_ms;
  if (secs) {
    for (auto& x : v) x /= 1000;
  }
  s += fmt::format(
      "<p class=\"note\">{} done cards, from the trigger (the job's first state) to the PoR OK. "
      "Median {} · p90 {} · p99 {} · max {}.</p>\n",
      r.latency_ms.size(), duration_text(quantile(r.latency_ms, 0.5)),
      duration_text(quantile(r.latency_ms, 0.9)), duration_text(quantile(r.latency_ms, 0.99)),
      duration_text(max));
  return s +
         svg::histogram(svg::histogram_bins(v, 24), secs ? "latency (s)" : "latency (ms)", "cards");
}

std::string por_statuses(const campaign_report& r) {
  std::string s = "<h2>Proof-of-Receipt statuses</h2>\n";
  s += "<p class=\"note\">The last PoR status of each card (ETSI TS 102 225 §5.2.2).</p>\n";
  std::vector<std::pair<std::string, std::uint64_t>> bars;
  s += "<table><tr><th>Status</th><th>Meaning</th><th class=\"n\">Cards</th>"
       "<th class=\"n\">Share</th></tr>\n";
  for (const auto& [code, n] : r.por_status) {
    const auto hex = to_hex(code, 2, hex_case::upper);
    const std::string meaning = codec::describe(static_cast<codec::por_status>(code));
    s += fmt::format(
        "<tr><td class=\"mono\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
        "</tr>\n",
        hex, escape(meaning), n, pct(n, r.cards));
    bars.emplace_back(hex + " " + meaning, n);
  }
  if (r.no_por != 0) {
    s += fmt::format(
        "<tr><td>–</td><td>no PoR received</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
        "</tr>\n",
        r.no_por, pct(r.no_por, r.cards));
  }
  s += "</table>\n";
  if (!bars.empty()) s += svg::hbars(bars, "#3b6ea8");
  return s;
}

std::string reasons(const std::string& title, const std::map<std::string, std::uint64_t>& m,
                    std::uint64_t cards, const char* none) {
  std::string s = "<h2>" + escape(title) + "</h2>\n";
  if (m.empty()) return s + "<p class=\"note\">" + none + "</p>\n";
  std::vector<std::pair<std::string, std::uint64_t>> rows(m.begin(), m.end());
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  s += "<table><tr><th>Reason</th><th class=\"n\">Cards</th><th class=\"n\">Share</th></tr>\n";
  std::uint64_t rest = 0, rest_kinds = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i >= max_reason_rows) {
      rest += rows[i].second;
      ++rest_kinds;
      continue;
    }
    s += fmt::format("<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
                     escape(rows[i].first), rows[i].second, pct(rows[i].second, cards));
  }
  if (rest != 0) {
    s += fmt::format(
        "<tr><td><em>{} other reasons</em></td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
        "</tr>\n",
        rest_kinds, rest, pct(rest, cards));
  }
  return s + "</table>\n";
}

std::string events(const std::string& title, const std::vector<report_event>& ev,
                   const char* what_head, const char* none) {
  std::string s = "<h2>" + escape(title) + "</h2>\n";
  if (ev.empty()) return s + "<p class=\"note\">" + none + "</p>\n";
  s += fmt::format("<table><tr><th>Time</th><th>{}</th><th>Details</th></tr>\n", what_head);
  for (const auto& e : ev) {
    s += fmt::format("<tr><td class=\"t\">{}</td><td>{}</td><td>{}</td></tr>\n", when(e.at_ms),
                     escape(e.what), escape(e.detail));
  }
  return s + "</table>\n";
}

}  // namespace

std::string render_html(const campaign_report& r) {
  std::string s = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  s += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  s += "<title>Campaign report: " + escape(r.id) + "</title>\n<style>";
  s += style;
  s += "</style></head><body><main>\n";
  s += header(r);
  s += tiles(r);
  s += definition(r);
  s += final_states(r);
  s += over_time(r);
  s += latency(r);
  s += por_statuses(r);
  const auto failed = r.by_state[static_cast<std::size_t>(job_state::failed)];
  const auto skipped = r.by_state[static_cast<std::size_t>(job_state::skipped)];
  s += reasons("Failures by reason", r.failures, failed, "No card failed.");
  if (skipped != 0) s += reasons("Skipped cards by reason", r.skips, skipped, "");
  s += events("Alerts", r.alerts, "Alert", "No alert was raised.");
  s += events("Pause, resume and cancel", r.controls, "Action",
              "The campaign was never paused, resumed or cancelled.");
  s += "<footer>Generated by otaflow from the state directory's jobs and audit log at " +
       when(r.generated_ms) + ". Times are UTC. Key material is never part of a report.</footer>\n";
  s += "</main></body></html>\n";
  return s;
}

}  // namespace otaflow::service
