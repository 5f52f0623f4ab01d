#pragma once
// `otaflow campaign plan`: what a campaign would do, without sending anything. The same
// cursor as a run (storage_cursor.hpp, keys left sealed) walks the selection and the rules,
// so the counts are the ones a run would report: per variant the cards it would get, those
// skipped (and why) and those that cannot be served. Streams: memory holds counts and a few
// example ICCIDs, whatever the number of subscribers.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "actors/campaign_def.hpp"
#include "actors/routes.hpp"
#include "storage/api.hpp"

namespace otaflow::actors {

/// What one variant would get.
struct plan_variant {
  std::string name;
  std::uint64_t cards = 0;              ///< cards the rules give this variant (what a run counts)
  std::uint64_t send = 0;               ///< of which would get an SMS
  std::uint64_t skipped = 0;            ///< of which lack the variant's keyset
  std::uint64_t failed = 0;             ///< of which cannot be served (no MSISDN, keys unreadable)
  std::vector<std::string> examples{};  ///< ICCIDs of cards that would get an SMS
  /// Per example (same order): the bytes its templated files and records would get
  /// (update_templates.hpp); empty lists when the variant has no template.
  std::vector<std::vector<templated_write>> example_writes{};
  /// [update.ram]: each step's kind and SMS per card, from the packet builder (ram_steps.hpp);
  /// empty for a variant of one packet.
  std::vector<std::pair<step_kind, std::size_t>> ram_steps{};
};

/// The plan of a campaign over the profile repository.
struct campaign_plan {
  std::string campaign;
  std::uint64_t cards = 0;             ///< cards the target selects
  std::uint64_t send = 0;              ///< cards that would get an SMS
  std::uint64_t skipped = 0;           ///< no variant applies (no rule, keyset missing, skip rule)
  std::uint64_t failed = 0;            ///< cannot be served (unknown ICCID, no MSISDN)
  std::vector<plan_variant> variants;  ///< every variant, in campaign order
  std::map<std::string, std::uint64_t> skip_reasons;
  std::map<std::string, std::uint64_t> failure_reasons;
  std::map<std::string, std::vector<std::string>> skip_examples;  ///< by reason
  /// Variants whose security sets allow_insecure: "name (SPI 0000)".
  std::vector<std::string> insecure{};
  /// With SMSC routes: each route's name and the cards that would be sent on it, table order.
  std::vector<std::pair<std::string, std::uint64_t>> routes{};
};

/// Runs the selection and the rules over the repository; `examples` ICCIDs per variant.
/// `routes` (may be null): count the cards each SMSC route would carry (cards no route
/// matches cannot be served).
[[nodiscard]] result<campaign_plan> plan_campaign(storage::state& state, const campaign_def& def,
                                                  std::size_t examples = 3,
                                                  const route_table* routes = nullptr);
/// The plan as one JSON object (`campaign plan --json`).
[[nodiscard]] nlohmann::json plan_json(const campaign_plan& p);
/// The plan as a text table (`campaign plan`).
[[nodiscard]] std::string plan_table(const campaign_plan& p);

}  // namespace otaflow::actors
