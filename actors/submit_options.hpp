#pragma once
// How a campaign's short messages are submitted: `[policy.submit]` of a campaign file (and the
// same object in a Kafka campaign event), or the same keys in a route table, as defaults:
//
//   [policy.submit]
//   validity = "2h"              # relative validity period (SMPP 3.4 §5.2.15, §7.1.1.2)
//   priority = 1                 # priority_flag 0..3 (§5.2.14)
//   source_addr = "8500"         # the OTA server's address (§5.2.8), at most 20 characters
//   source_ton = "national"      # number or name (§5.2.5)
//   source_npi = "isdn"          # number or name (§5.2.6)
//   registered_delivery = "final"  # "final" | "failure" | "none" (§5.2.17)
//
// Each key is optional; a key given overrides the SMSC bind's setting (actors/smpp_client.hpp),
// one absent leaves it.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "base/error.hpp"
#include "codec/smpp34_pdu.hpp"

namespace otaflow::actors {

/// The options of one campaign (or route); unset fields leave the bind's.
struct submit_options {
  std::optional<std::chrono::seconds> validity;  ///< relative validity period
  std::string validity_period;             ///< its SMPP text "YYMMDDhhmmss000R" (set with validity)
  std::optional<std::uint8_t> priority;    ///< priority_flag 0..3
  std::optional<std::string> source_addr;  ///< 1..20 characters
  std::optional<std::uint8_t> source_ton;  ///< §5.2.5
  std::optional<std::uint8_t> source_npi;  ///< §5.2.6
  std::optional<std::uint8_t> registered_delivery;  ///< receipt bits of §5.2.17

  [[nodiscard]] bool empty() const noexcept {
    return !validity && !priority && !source_addr && !source_ton && !source_npi &&
           !registered_delivery;
  }
  bool operator==(const submit_options&) const = default;
};

/// The longest validity a campaign may ask for: 366 days (SMSCs cap it lower; SMPP's
/// relative format itself holds 99 years).
inline constexpr std::chrono::seconds max_validity{366LL * 86400};

/// Reads the object `j` (`field` names it in errors, e.g. "policy.submit"): the keys above,
/// nothing else. validity: "90s", "30m", "2h", "1d" or a number of seconds, whole seconds,
/// 1 s to 366 days; priority 0..3; TON 0..6 or international, national, network_specific,
/// subscriber_number, alphanumeric, abbreviated, unknown; NPI 0..18 (the values of §5.2.6) or
/// unknown, isdn, data, telex, land_mobile, national, private, ermes, internet, wap.
[[nodiscard]] result<submit_options> parse_submit_options(const nlohmann::json& j,
                                                          const std::string& field);
/// The canonical JSON of the options (what parse_submit_options reads back): validity in
/// seconds, TON and NPI as numbers, registered_delivery as its name.
[[nodiscard]] nlohmann::json submit_options_json(const submit_options& o);

/// Overrides the fields of a submit_sm that `o` sets.
void apply_submit_options(const submit_options& o, codec::smpp::submit_sm& sm);

}  // namespace otaflow::actors
