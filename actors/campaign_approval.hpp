#pragma once
// Approved campaigns, "four eyes" (docs/SECURITY.md "Four eyes"): a campaign that rotates keys,
// sends raw APDUs or RAM commands, targets every card or lowers the security level is sent only
// when enough distinct operator keys of the configuration signed it.
//
// An approval is an Ed25519 signature (secure/signing.hpp) over
//   "otaflow-campaign-approval-v1" 0x00 || SHA-256(canonical JSON of the definition)
// where the canonical JSON is to_json(def).dump(), the form serve stores and audits: it holds
// no approvals, so they can be added to a campaign file ([[approval]] tables, appended by
// `otaflow campaign sign`) or to a Kafka campaign event (an "approvals" array) without
// changing what they sign. Any change to what the campaign does changes the digest; a change
// of the file's layout or comments does not.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "actors/campaign_def.hpp"
#include "base/error.hpp"
#include "secure/signing.hpp"
#include "storage/audit_log.hpp"

namespace otaflow::actors {

/// What a campaign does that may need approvals.
enum class approval_rule : std::uint8_t {
  key_rotation,  ///< update.keys (Ki/OPc), update.suci (home network key), a PUT KEY APDU
  raw_apdu,      ///< update.apdus: C-APDUs written by hand
  ram,           ///< RAM: a security domain's TAR, or GlobalPlatform card content commands
  target_all,    ///< [target] selects every card
  insecure,      ///< an SPI below the configured minimum, or allow_insecure
};
inline constexpr approval_rule all_approval_rules[] = {
    approval_rule::key_rotation, approval_rule::raw_apdu, approval_rule::ram,
    approval_rule::target_all, approval_rule::insecure};

/// "key_rotation", "raw_apdu", "ram", "target_all", "insecure".
[[nodiscard]] std::string_view name(approval_rule r) noexcept;

/// One operator key allowed to approve.
struct approver_key {
  std::string name;  ///< from the configuration (the approval's own name is informative only)
  secure::ed25519_public key{};
  std::string key_id;  ///< approval_key_id(key)
};

/// [approvals] of the serve configuration or of `campaign run --approvals-config`.
struct approval_policy {
  std::vector<approver_key> keys;
  /// Approvals each rule needs (0: none). Defaults of a fresh install: key_rotation 2
  /// (the four eyes), raw_apdu 1, ram 1, insecure 1, target_all 0 (most campaigns
  /// target every card; a carrier that wants it sets it).
  std::map<approval_rule, std::uint32_t> required = {{approval_rule::key_rotation, 2},
                                                     {approval_rule::raw_apdu, 1},
                                                     {approval_rule::ram, 1},
                                                     {approval_rule::target_all, 0},
                                                     {approval_rule::insecure, 1}};
  /// [approvals.minimum_security]: below it a variant's SPI counts as `insecure` (besides
  /// allow_insecure, which lifts the engine's own minimum: counter checked, CC on commands).
  bool min_ciphering = true;  ///< commands ciphered (SPI octet 1 b3)
  bool min_por = true;        ///< PoR asked on success (octet 2 b2-b1 = 01)
  bool min_por_cc = false;    ///< the PoR protected by a CC or DS (octet 2 b4-b3)
  /// TARs of RAM applications (TS 101 220 Annex D: 000000 the ISD; B20100 an MNO-SD).
  std::vector<std::uint32_t> ram_tars = {0x000000, 0xB20100};
  bool configured = false;  ///< an [approvals] table was given

  [[nodiscard]] std::uint32_t needs(approval_rule r) const;
};

/// Parses an [approvals] table (as JSON: actors::toml_to_json); `where` prefixes errors.
[[nodiscard]] result<approval_policy> parse_approval_policy(const nlohmann::json& table,
                                                            std::string_view where = "approvals");
/// Reads the [approvals] table of a TOML file (a serve configuration or a file of its own).
[[nodiscard]] result<approval_policy> load_approval_policy(const std::filesystem::path& file);

/// One approval as a campaign file or event carries it.
struct campaign_approval {
  std::string key_id;           ///< approval_key_id of the signer's public key
  std::string name;             ///< optional: who signed, as they said
  std::string campaign_sha256;  ///< optional: the digest signed (hex), to name a stale one
  std::string signed_at;        ///< optional: RFC 3339
  std::string signature;        ///< 128 hex digits
};

/// A campaign with the approvals it carries.
struct signed_campaign {
  campaign_def def;
  std::vector<campaign_approval> approvals;
};

/// campaign_from_json of an object that may hold "approval" (TOML [[approval]]) or
/// "approvals" (an event) arrays: both are taken out and parsed, the rest is the campaign.
[[nodiscard]] result<signed_campaign> signed_campaign_from_json(const nlohmann::json& j);
/// Reads a TOML campaign file with its [[approval]] tables; errors name the file.
[[nodiscard]] result<signed_campaign> load_signed_campaign_file(const std::string& path);

/// The first 8 octets of SHA-256(public key), 16 lower-case hex digits.
[[nodiscard]] std::string approval_key_id(const secure::ed25519_public& key);
/// SHA-256 of the canonical JSON of the definition (approvals are never part of it).
[[nodiscard]] secure::sha256_digest campaign_digest(const campaign_def& def);
/// What an approval signs: "otaflow-campaign-approval-v1" 0x00 || campaign_digest(def).
[[nodiscard]] bytes approval_message(const campaign_def& def);
/// Signs the campaign: the approval record (signed_at = now, RFC 3339).
[[nodiscard]] campaign_approval sign_campaign(const campaign_def& def,
                                              const secure::ed25519_signer& key,
                                              const std::string& name);

/// The approval as a TOML [[approval]] table (what `campaign sign` appends to the file).
[[nodiscard]] std::string approval_toml(const campaign_approval& a);
/// The approval as an element of a campaign event's "approvals" array.
[[nodiscard]] nlohmann::json approval_json(const campaign_approval& a);

/// A rule a campaign falls under, with why.
struct approval_finding {
  approval_rule rule;
  std::uint32_t required = 0;
  std::string why;  ///< "variant default: update.keys rotates ki, opc"
};
/// What the policy says of each approval.
struct approval_verdict {
  std::size_t index = 0;  ///< position among the campaign's approvals
  std::string key_id;
  std::string name;  ///< the configured name of a known key, else the approval's own
  bool counted = false;
  std::string problem;  ///< empty when counted
};
/// The outcome of check_approvals.
struct approval_check {
  std::string campaign;
  std::string sha256;                      ///< campaign_digest, hex
  std::vector<approval_finding> findings;  ///< every rule that applies (required 0 too)
  std::uint32_t required = 0;              ///< the largest `required` of the findings
  std::uint32_t valid = 0;                 ///< distinct configured keys whose signature verifies
  std::vector<approval_verdict> verdicts;
  bool keys_configured = false;
  [[nodiscard]] bool ok() const noexcept { return valid >= required; }
  /// The refusal: the campaign, the rules, valid of required, and why each bad approval is bad.
  [[nodiscard]] std::string error_text() const;
};

/// The rules the campaign falls under (pure; no signature is looked at).
[[nodiscard]] std::vector<approval_finding> approval_findings(const campaign_def& def,
                                                              const approval_policy& policy);
/// Counts the distinct configured keys whose signature over this version verifies.
[[nodiscard]] approval_check check_approvals(const campaign_def& def,
                                             const std::vector<campaign_approval>& approvals,
                                             const approval_policy& policy);
/// Whether a target selects every card: `all` alone, an ICCID prefix of "8" or "89" alone
/// (E.118: every ICCID starts 89), or an IMSI range from 0...0 to 9...9 alone.
[[nodiscard]] bool selects_everything(const target_def& t);

/// The check as JSON (`campaign approvals`, `campaign plan --json`).
[[nodiscard]] nlohmann::json approval_check_json(const approval_check& c);
/// The audit record of a check (type `campaign`, action "approved" or "refused"): the digest,
/// rules, counts, approver key ids and names, the problems, `by` (the front door: "campaign
/// run", "kafka ota.triggers[0]@12") and `who` (base/principal.hpp; empty for a Kafka record,
/// which carries no verified principal).
[[nodiscard]] storage::audit_event approval_audit_event(const approval_check& c,
                                                        std::string_view by,
                                                        std::string_view who = {});

}  // namespace otaflow::actors
