#pragma once
// `otaflow campaign report`: what happened in one campaign, for the people who answer for it.
// collect_report() reads a state directory (two scans of the campaign's jobs and one of the
// audit log; memory: one double per done card for the latency distribution, the rest is
// counts); render_html() turns it into one self-contained HTML file (inline SVG, no scripts,
// no external assets); write_cards_csv() streams one RFC 4180 row per card. The definition
// shown is security parameters, targets and variants: never key material (a campaign
// definition holds none; key updates carry only which keys rotate).

#include <array>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "model/job.hpp"
#include "storage/api.hpp"

namespace otaflow::service {

/// One update variant as the report shows it.
struct report_variant {
  std::string name;
  std::string security;  ///< "SPI 1621 KIc 15 KID 15 TAR B00010 (keyset 1): ..."
  std::string update;    ///< "UPDATE BINARY 3F00/7FFF/6F7B (12 octets)", ...
  std::array<std::uint64_t, model::job_state_count> by_state{};
};

/// A pause, resume or cancel (audit type `control`), or an alert (type `alert`).
struct report_event {
  std::int64_t at_ms = 0;
  std::string what;    ///< "pause", "resume", "cancel", or the alert kind
  std::string detail;  ///< "running -> paused (cli)", or the alert's message
};

/// Everything a report shows, gathered from the state directory.
struct campaign_report {
  std::string id;
  std::string status;             ///< running, paused, cancelled, done
  std::int64_t created_ms = 0;    ///< the campaign record's
  std::int64_t first_ms = 0;      ///< first state change of any job (0: no jobs)
  std::int64_t last_ms = 0;       ///< last state change of any job
  std::int64_t generated_ms = 0;  ///< when the report was made
  std::vector<std::pair<std::string, std::string>> facts;  ///< target, policy, ...
  std::vector<report_variant> variants;
  std::array<std::uint64_t, model::job_state_count> by_state{};
  std::uint64_t cards = 0;
  std::map<std::uint8_t, std::uint64_t> por_status;  ///< last PoR status per card
  std::uint64_t no_por = 0;                          ///< cards without any PoR
  std::map<std::string, std::uint64_t> failures;     ///< reason -> failed cards
  std::map<std::string, std::uint64_t> skips;        ///< reason -> skipped cards
  std::vector<double> latency_ms;  ///< done cards: first history entry to done (trigger to PoR)
  /// Cards per state group (report_groups order) at each sample time.
  std::vector<std::int64_t> sample_ms;
  std::vector<std::array<std::uint64_t, 7>> samples;
  std::vector<report_event> controls;
  std::vector<report_event> alerts;
};

/// The state groups of the "cards per state over time" plot: queued, sending (packaging,
/// submitting), awaiting PoR (accepted, delivered), retry wait, done, failed, skipped.
[[nodiscard]] std::size_t report_group(model::job_state s) noexcept;
/// The names of the groups, in order.
[[nodiscard]] const std::array<const char*, 7>& report_groups() noexcept;

/// Adds one card's job to the counts and reasons (not the plot: see add_to_samples).
void add_job(campaign_report& r, const model::job_record& job);
/// Adds one card's history to the plot samples (r.sample_ms set, r.samples sized).
void add_to_samples(campaign_report& r, const model::job_record& job);
/// Sets r.sample_ms to `n` times evenly from r.first_ms to r.last_ms and zeroes r.samples.
void make_samples(campaign_report& r, std::size_t n);

/// Reads a campaign's definition, jobs and audit records. errc::not_found: no such campaign.
[[nodiscard]] result<campaign_report> collect_report(storage::state& st, const std::string& id);

/// The report as one HTML document.
[[nodiscard]] std::string render_html(const campaign_report& r);

/// "2026-12-06T05:34:50.123Z"; empty for 0.
[[nodiscard]] std::string iso8601(std::int64_t ms);
/// One field of a CSV row (RFC 4180: quoted when it holds , " CR or LF; quotes doubled).
[[nodiscard]] std::string csv_field(std::string_view v);
/// The header line of the cards CSV (with CRLF).
[[nodiscard]] std::string cards_csv_header();
/// One card's CSV line (with CRLF): ICCID, variant, final state, attempts, counters used
/// (space separated), PoR status (2 hex digits or empty), reason, first and last timestamps.
[[nodiscard]] std::string cards_csv_row(std::string_view iccid, const model::job_record& job);
/// Streams the campaign's cards as CSV; returns the number of rows.
[[nodiscard]] result<std::uint64_t> write_cards_csv(storage::state& st, const std::string& id,
                                                    std::ostream& out);

}  // namespace otaflow::service
