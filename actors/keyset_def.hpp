#pragma once
// [update.keyset] of a campaign: replace the card's OTA keyset (KIc, KID, KIK of TS 102 225
// §5.1.2/§5.1.3) with a GlobalPlatform PUT KEY (GP Card Specification 2.3 §11.8) on the ISD.
// New keys are drawn per card, kept pending in the key store until the card's PoR proves them
// (actors/keyset_update.hpp, docs/CAMPAIGNS.md "Keyset rotation").
//
//   [update.keyset]
//   version = 2                      # the new key version (KVN) 1..15
//   type = "aes"                     # "aes": AES-128 keys; "des": 2-key 3DES keys (16 octets)
//   keys = ["kic", "kid", "kik"]     # the default; any run of consecutive key ids 1..3

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/error.hpp"

namespace otaflow::actors {

/// [update.keyset]: what a PUT KEY campaign installs on each card.
struct keyset_update_def {
  /// The new key version number (1..15). Equal to the campaign's keyset (security.kic's high
  /// nibble): the keyset is replaced in place; another version: added (or, when the repository
  /// already holds that version for the card, replaced), the campaign's keyset stays.
  std::uint8_t version = 0;
  bool aes = true;  ///< "aes": AES-128 (16 octets, key type 88); "des": 3DES 2-key (16, type 80)
  bool kic = true;  ///< key id 1
  bool kid = true;  ///< key id 2
  bool kik = true;  ///< key id 3

  /// The first key id the PUT KEY carries (1..3) and how many keys (1..3, consecutive).
  [[nodiscard]] std::uint8_t first_key_id() const noexcept { return kic ? 1 : kid ? 2 : 3; }
  [[nodiscard]] std::uint8_t key_count() const noexcept {
    return static_cast<std::uint8_t>(int{kic} + int{kid} + int{kik});
  }
  /// "kic, kid, kik" (the keys it replaces, for approvals and messages).
  [[nodiscard]] std::string keys_text() const;
  friend bool operator==(const keyset_update_def&, const keyset_update_def&) = default;
};

/// The octets of every key a keyset update draws (AES-128 and 2-key 3DES both).
inline constexpr std::size_t keyset_key_length = 16;

/// Parses the [update.keyset] table into `out`; errors name the field ("update.keyset.version").
[[nodiscard]] status parse_keyset_update(const nlohmann::json& v,
                                         std::optional<keyset_update_def>& out);
struct update_def;
/// A keyset update goes alone: no files, records, apdus, suci or keys beside it (their PoR
/// would mix with the PUT KEY's, whose response data the engine checks).
[[nodiscard]] status check_keyset_alone(const update_def& u);
struct security_def;
/// Adds to `missing` what a keyset update's security lacks beyond check_security's key update
/// rules: KIc and KID of one keyset 1..15 (its KIK wraps the new keys).
void check_keyset_security(const security_def& sec, std::vector<std::string>& missing);
/// The canonical JSON form of the table.
[[nodiscard]] nlohmann::json keyset_update_json(const keyset_update_def& k);

}  // namespace otaflow::actors
