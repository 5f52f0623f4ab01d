#pragma once
// A campaign: which update, secured how, for which cards, under which policy.
// Read from a TOML campaign file or from the JSON of a Kafka "campaign" event;
// both go through one JSON schema (TOML is converted to JSON first), so the two
// front doors accept exactly the same fields. Documented in docs/CAMPAIGNS.md.
//
// Top level: id, [security], [target], [update], [policy], and optionally update variants
// with ordered rules:
//   [[variant]]  name, [variant.security] (else the top-level [security]), [variant.update]
//                (no top-level [update] then)
//   [[rule]]     variant = "name" | skip = "reason", when = { attributes, subscription_type,
//                vendor, card_profile, imsi_prefix, iccid_prefix, imsi_range(s), keyset(s),
//                file_is, file_not }; the first rule whose `when` holds decides; a card no
//                rule matches, or lacking its variant's keyset, ends `skipped`.
// Without [[variant]] the campaign is one implicit variant "default" (effective_variants()).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "actors/alert_monitor.hpp"
#include "actors/key_profile.hpp"
#include "actors/keyset_def.hpp"
#include "actors/ram_update.hpp"
#include "actors/submit_options.hpp"
#include "actors/subscriber_fsm.hpp"
#include "actors/time_window.hpp"
#include "actors/update_templates.hpp"
#include "base/bytes.hpp"
#include "base/error.hpp"

namespace otaflow::actors {

/// SCP80 parameters of the command packets (TS 102 225 §5.1).
struct security_def {
  std::uint16_t spi = 0x1621;
  std::uint8_t kic = 0x15;
  std::uint8_t kid = 0x15;
  std::uint32_t tar = 0xB00010;
  std::uint8_t cc_length = 8;  ///< octets of CC (4..8; AES-CMAC up to 16)
  /// Sends an SPI below the minimum security level (counter checked, CC on commands):
  /// validation refuses one otherwise (check_security). Never lifts the key update rules.
  bool allow_insecure = false;
  /// Counter values skipped after a card answers PoR 02 "counter low" (once per job, then
  /// retried at once): 1..1,000,000, default 100.
  std::uint32_t counter_skip = 100;
  /// Key version (keyset) the packets use: the high nibble of KIc (TS 102 225 §5.1.2).
  [[nodiscard]] std::uint8_t keyset() const noexcept { return kic >> 4; }
};

/// An inclusive range of IMSIs of one length (digits compared as numbers).
struct imsi_range {
  std::string first;
  std::string last;  ///< same number of digits as `first`, not below it
  friend bool operator==(const imsi_range&, const imsi_range&) = default;
};

/// Which cards of the profile repository the campaign targets. Every criterion given must
/// hold; `all` alone takes every card.
struct target_def {
  bool all = false;
  std::vector<std::string> iccids;  ///< an explicit list (unknown ones end `failed`)
  std::string imsi_prefix;
  std::string iccid_prefix;
  std::map<std::string, std::string> attributes;  ///< all must match
  std::vector<imsi_range> imsi_ranges;            ///< the IMSI is in one of them
  std::vector<std::uint8_t> keysets;              ///< the card holds one of these keysets
};

/// Write a transparent EF by path (UPDATE BINARY).
struct file_update {
  std::vector<std::uint16_t> path;  ///< FIDs from the MF, e.g. 3F00 7FFF 6F7B
  bytes data;
  std::uint16_t offset = 0;
  std::string from_template{};  ///< "update.fplmn" when a template made it (to_json omits it)
  per_card_data per_card = per_card_data::none;  ///< not none: `data` is a placeholder
};

/// Write one record of a linear fixed EF by path (UPDATE RECORD, absolute mode).
struct record_update {
  std::vector<std::uint16_t> path;
  std::uint8_t record = 1;
  bytes data;
  std::string from_template{};  ///< "update.smsp" when a template made it
};

enum class script_format : std::uint8_t { compact, expanded };

/// One home network public key of EF.SUCI_Calc_Info (TS 31.102 §4.4.11.8).
struct suci_key_def {
  std::uint8_t scheme_id = 1;  ///< 1 profile A (X25519), 2 profile B (secp256r1)
  std::uint8_t key_id = 1;     ///< Home Network Public Key Identifier, 1..255
  bytes public_key;            ///< A: 32 octets; B: 33 (compressed) or 65 octets
  friend bool operator==(const suci_key_def&, const suci_key_def&) = default;
};

/// [update.suci]: rotate the 5G home network public key (docs/formats/suci.md). The engine
/// rewrites the whole EF.SUCI_Calc_Info (3F00/7FFF/5FC0/4F07): it cannot read the cards'
/// current content, so the file lists exactly `key`, then (replace = false) `keep`.
struct suci_update_def {
  suci_key_def key;                ///< the new key, highest priority
  bool replace = true;             ///< true: `key` is the only key; false: `keep` follows it
  std::vector<suci_key_def> keep;  ///< replace = false: keys kept at lower priority, in order
  bool null_fallback = false;      ///< list the null scheme last (MEs without A/B send IMSI)
  std::optional<std::string> routing_indicator;  ///< 1-4 digits: also rewrite 4F0A
  std::uint16_t file_size = 256;  ///< EF.SUCI_Calc_Info size on the cards (all of it written)
  friend bool operator==(const suci_update_def&, const suci_update_def&) = default;
};

/// What the command packets carry (TS 102 226 RFM script).
struct update_def {
  std::vector<file_update> files;
  std::vector<record_update> records;
  std::vector<bytes> apdus;  ///< raw C-APDUs appended after the file updates
  script_format format = script_format::compact;
  std::uint8_t cla = 0x00;              ///< 00 for UICC (TS 102 221), A0 for SIM (TS 51.011)
  std::optional<suci_update_def> suci;  ///< [update.suci], after files and records
  std::optional<keys_update_def> keys;  ///< [update.keys]: the script becomes per card
  /// [update.keyset]: a PUT KEY of a new OTA keyset, per card (alone in its update)
  std::optional<keyset_update_def> keyset;
  /// [update.ram] (ram_update.hpp): a job of several steps; nothing else in the update then.
  std::optional<ram_update_def> ram;
  /// [update.fplmn] etc. (update_templates.hpp), already expanded into files and records.
  update_templates templates{};
};

/// One update variant of a campaign: how its packets are secured and what they carry.
/// A campaign without [[variant]] tables is one implicit variant named "default" made of
/// its top-level [security] and [update].
struct variant_def {
  std::string name;  ///< 1-32 of [A-Za-z0-9._-], unique in the campaign
  security_def security;
  update_def update;
};

/// The name of a campaign's implicit variant.
inline constexpr std::string_view default_variant_name = "default";

/// A condition on the content of a transparent EF as the engine knows it: a campaign of
/// this state directory wrote `data` at `offset` and the card answered PoR OK
/// (storage/card_file_store.hpp). The engine never reads files from cards to decide.
struct file_condition {
  std::vector<std::uint16_t> path;
  bytes data;
  std::uint16_t offset = 0;
};

/// When a rule applies: every field given must hold; an empty condition always holds.
struct condition_def {
  std::map<std::string, std::string> attributes{};  ///< subscription_type, vendor, card_profile...
  std::string imsi_prefix{};
  std::string iccid_prefix{};
  std::vector<imsi_range> imsi_ranges{};   ///< the IMSI is in one of them
  std::vector<std::uint8_t> keysets{};     ///< the card holds every one of these
  std::vector<file_condition> file_is{};   ///< the engine knows the file holds data
  std::vector<file_condition> file_not{};  ///< the engine does not know it holds data
};

/// One rule: cards the condition selects get `variant`, or are skipped with `skip` as the
/// reason. Rules are tried in order; the first that holds decides.
struct rule_def {
  std::string variant;  ///< a variant's name; empty when `skip` is set
  std::string skip;     ///< set: the matching cards end `skipped` with this reason
  condition_def when;
};

/// How fast and how persistently.
struct policy_def {
  double rate = 200;            ///< SMS segments per second per SMPP bind
  std::uint32_t window = 1000;  ///< cards in flight at once
  job_policy job;               ///< attempts, PoR timeout, back-off
  /// not_before / not_after (RFC 3339), send_window ("08:00-20:00") and timezone ("+01:00").
  time_policy time;
  /// [policy.submit]: validity, priority, source address, receipts (actors/submit_options.hpp);
  /// empty: the SMSC bind's settings.
  submit_options submit;
};

struct campaign_def {
  std::string id;
  security_def security;  ///< the implicit variant's, or the default of [[variant]] tables
  target_def target;
  update_def update;  ///< the implicit variant's; empty when `variants` is set
  policy_def policy;
  std::vector<variant_def> variants;  ///< [[variant]]; empty: one implicit "default" variant
  std::vector<rule_def> rules;        ///< [[rule]], in order; empty: every card gets variant 0
  alert_policy alerts;                ///< [alerts]: failure-rate thresholds, self-pause
};

/// Whether a variant's security may carry its update (TS 102 225 §5.1.1 SPI bits;
/// docs/CAMPAIGNS.md "Security level"): the SPI decodes; unless allow_insecure, the counter
/// must be checked (higher or one higher) and commands carry a CC (or DS); a key update
/// (update.keys, update.suci, update.keyset) needs ciphered commands and a PoR, always, protected
/// by a CC or DS. The error names the SPI and what is missing; `field` prefixes it.
[[nodiscard]] status check_security(const variant_def& v, const std::string& field);
/// Whether any variant of the campaign sets allow_insecure.
[[nodiscard]] bool allows_insecure(const campaign_def& c);

/// The variants a card may get: `variants`, or the implicit "default" one.
[[nodiscard]] std::vector<variant_def> effective_variants(const campaign_def& c);
/// "3F00/7FFF/6F7B": the path form of campaign files and of the engine's known files.
[[nodiscard]] std::string path_text(const std::vector<std::uint16_t>& path);

/// Parses the JSON form (a Kafka "campaign" event's object). Errors name the field.
[[nodiscard]] result<campaign_def> campaign_from_json(const nlohmann::json& j);
/// Parses a TOML campaign file's text (`source` names it in errors).
/// A TOML document as JSON (toml++'s own JSON form), so one set of JSON readers serves TOML
/// files and Kafka events; a syntax error names `source`, line and column.
[[nodiscard]] result<nlohmann::json> toml_to_json(std::string_view text, std::string_view source);
[[nodiscard]] result<campaign_def> campaign_from_toml(std::string_view text,
                                                      std::string_view source = "campaign");
/// Reads and parses a TOML campaign file.
[[nodiscard]] result<campaign_def> load_campaign_file(const std::string& path);
/// The canonical JSON form (what storage keeps and events carry).
[[nodiscard]] nlohmann::json to_json(const campaign_def& c);

/// The longest duration parse_duration reads: 366 days.
inline constexpr std::chrono::milliseconds max_duration{366LL * 24 * 3600 * 1000};
/// The longest policy.por_timeout, retry_backoff and retry_max: 24 hours.
inline constexpr std::chrono::milliseconds max_policy_duration{24LL * 3600 * 1000};

/// Parses "30s", "500ms", "5m", "1h" or a bare number of seconds: finite, 0 to max_duration,
/// rounded to the millisecond; "nan", "inf" and negative values are errors.
[[nodiscard]] result<std::chrono::milliseconds> parse_duration(std::string_view text);
/// A duration in the largest unit that divides it: "500ms", "30s", "5m", "24h".
[[nodiscard]] std::string format_duration(std::chrono::milliseconds d);

}  // namespace otaflow::actors
