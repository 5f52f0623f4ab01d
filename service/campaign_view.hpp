#pragma once
// Campaign views: the JSON `otaflow campaign list|status --json` print and the HTTP API serves
// (GET /api/v1/campaigns, /api/v1/campaigns/{id}, /api/v1/campaigns/{id}/cards/{iccid}),
// built from the state directory (docs/CAMPAIGNS.md "Campaign views"). No key material: the
// definition is summarised (SPI, KIc, KID, TAR, paths and sizes of what is written, counts of
// raw APDUs), never copied, and a card's view holds no key.
//
// Cost: counts come from one scan of the campaign's jobs that decodes every record (the store
// keeps no counts); campaign_list scans only the state octet of each job. Both read a
// consistent RocksDB snapshot and write nothing, so they run on a read-only handle
// (storage::db_options::read_only) while `campaign run` or `serve` holds the directory.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/error.hpp"
#include "model/job.hpp"
#include "storage/api.hpp"

namespace otaflow::service {

/// Counts of one campaign's jobs, gathered by one scan (count_jobs).
struct job_counts {
  std::uint64_t cards = 0;  ///< jobs stored (cards started or ended)
  std::map<model::job_state, std::uint64_t> by_state;
  std::map<std::string, std::map<model::job_state, std::uint64_t>> by_variant;  ///< "" none
  std::map<std::uint8_t, std::uint64_t> por_status;      ///< last PoR status of jobs that have one
  std::map<std::string, std::uint64_t> failure_reasons;  ///< failed jobs per reason
  std::int64_t first_started_ms = 0;                     ///< earliest started_ms (0: none)
  std::int64_t last_updated_ms = 0;                      ///< latest updated_ms (0: none)
  std::uint64_t terminal_last_minute = 0;                ///< jobs that ended in (now - 60 s, now]
};

/// Told each job a scan reads (its ICCID and record).
using job_visitor = std::function<void(std::string_view iccid, const model::job_record& job)>;

/// One scan of a campaign's jobs at `now_ms` (wall clock, ms since the epoch); `visit`, when
/// given, is told every job.
[[nodiscard]] result<job_counts> count_jobs(storage::state& state, std::string_view campaign_id,
                                            std::int64_t now_ms, const job_visitor& visit = {});

/// The campaign_detail JSON of counts already gathered (a scan, or campaign_tally's live
/// counts); `source` says which ("scan" or "live").
[[nodiscard]] nlohmann::json detail_json(const storage::campaign_record& campaign,
                                         const job_counts& counts, std::int64_t now_ms,
                                         std::string_view source);

/// Every campaign: id, status, created/updated times, cards and done/failed/skipped counts.
[[nodiscard]] result<nlohmann::json> campaign_list(storage::state& state);

class campaign_tally;

/// One campaign: its definition summary, counts per state, per variant and per PoR status,
/// failures per reason, started/updated times, the rate of the last minute and an ETA.
/// nullopt when there is no such campaign. With `live` counting the campaign
/// (service/campaign_tally.hpp) its counts are used instead of a scan of the jobs.
[[nodiscard]] result<std::optional<nlohmann::json>> campaign_detail(
    storage::state& state, std::string_view campaign_id, std::int64_t now_ms,
    const campaign_tally* live = nullptr);

/// One card's job of a campaign (state, attempts, counters, message id, PoR, reason, times).
/// nullopt when the campaign has no job for the card.
[[nodiscard]] result<std::optional<nlohmann::json>> card_detail(storage::state& state,
                                                                std::string_view campaign_id,
                                                                std::string_view iccid);

/// A job's history of state changes: [{"state","at_ms","attempt","por_status"?}], oldest
/// first (por_status as 2 hex digits, as elsewhere in the views).
[[nodiscard]] nlohmann::json history_json(const model::job_record& job);

/// A RAM job's GET STATUS listing (model::job_record::listing), one object per list step:
/// {"step", "pages", "entries": [{"aid", "life_cycle", "privileges"?, "load_file_aid"?,
/// "load_file_version"?, "modules"?, "associated_sd"?}]} (hex, upper case) decoded with
/// codec::gp::parse_get_status; a step whose data does not decode gives "hex" and "error"
/// instead of "entries". "truncated": true when a page was dropped (model::listing_max).
[[nodiscard]] nlohmann::json listing_json(const model::job_record& job);

/// The JSON of a job record (card_detail without the lookup), with its history (and its
/// listing, when it has one).
[[nodiscard]] nlohmann::json job_json(std::string_view campaign_id, std::string_view iccid,
                                      const model::job_record& job);

/// The definition's summary, without key material or update data (campaign_detail's
/// "definition"); `format` is "toml" or "json" as stored. An unreadable definition gives an
/// object with "error".
[[nodiscard]] nlohmann::json definition_summary(std::string_view format,
                                                std::string_view definition);

}  // namespace otaflow::service
