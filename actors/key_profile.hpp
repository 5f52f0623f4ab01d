#pragma once
// Card vendor key profiles (issue 16, docs/key-profiles.md): how a card vendor's cards take a
// new Ki/OPc over the air. A profile names the keyset protection the vendor requires (TAR,
// least command integrity, which key of the keyset wraps the values, the wrap algorithm and
// padding) and the write method: a file (a path, transparent with offsets or linear fixed
// with record numbers, values wrapped or clear inside the ciphered packet) or a list of APDU
// templates (hex with placeholders such as {ki_wrapped} and {len}). otaflow's own key rotation
// file (docs/formats/key-rotation-file.md) is the built-in profile "otaflow-virtual", the
// default of [update.keys].
//
// A profile is read from TOML (one file per vendor; a campaign names it relative to itself)
// and travels as JSON in the canonical campaign form, so approvals sign what is sent.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "codec/iso7816_apdu.hpp"
#include "codec/ts102225_spi.hpp"
#include "secure/key_profile_wrap.hpp"

namespace otaflow::actors {

struct security_def;

/// Which key of the card's OTA keyset (the campaign's key version) wraps Ki and OPc.
enum class key_wrap_key : std::uint8_t { kik, kic, none };
enum class key_write_method : std::uint8_t { file, apdus };
enum class key_file_structure : std::uint8_t { transparent, linear_fixed };

/// One APDU template: literal octets and placeholders, checked when parsed.
struct key_apdu_template {
  struct part {
    bytes literal;     ///< octets, when `name` is empty
    std::string name;  ///< a placeholder ("ki_wrapped", "len", ...)
    friend bool operator==(const part&, const part&) = default;
  };
  std::string text;  ///< as written (the canonical JSON carries it)
  std::vector<part> parts;
  friend bool operator==(const key_apdu_template& a, const key_apdu_template& b) {
    return a.text == b.text;
  }
};

/// A card vendor key profile (docs/key-profiles.md documents every field).
struct key_profile {
  std::string name;  ///< 1-64 of [A-Za-z0-9._-]
  std::string description{};
  // [protection]
  std::optional<std::uint32_t> tar{};                 ///< the campaign's TAR must be this one
  codec::integrity integrity = codec::integrity::cc;  ///< least command integrity: cc or ds
  key_wrap_key wrap_key = key_wrap_key::kik;
  /// Unset: "aes-kw", the otaflow key rotation file's RFC 3394 wrap (otaflow_key_file only).
  std::optional<secure::key_wrap_alg> algorithm = secure::key_wrap_alg::aes_ecb;
  secure::key_wrap_padding padding = secure::key_wrap_padding::none;
  // [write]
  key_write_method method = key_write_method::file;
  std::vector<std::uint16_t> path{};  ///< file: from the MF
  key_file_structure structure = key_file_structure::transparent;
  bool otaflow_key_file = false;  ///< file layout "otaflow-key-file": the whole 64-octet image
  bool wrapped_values = true;     ///< file: Ki and OPc written wrapped (else clear)
  /// file fields: offsets (transparent) or record numbers (linear fixed); ki and opc required.
  std::optional<std::uint16_t> ki{}, opc{}, kcv_ki{}, sequence{};
  std::uint8_t record_length = 0;          ///< linear fixed: records written whole, FF padded
  std::vector<key_apdu_template> apdus{};  ///< apdus: in order
  friend bool operator==(const key_profile&, const key_profile&) = default;
};

/// [update.keys]: new random Ki and/or OPc per card, written through a card vendor key profile
/// (default: the otaflow key rotation file, docs/formats/key-rotation-file.md) under the
/// card's keyset of the campaign.
struct keys_update_def {
  bool ki = true;   ///< draw a new Ki (else the repository's current one is sent again)
  bool opc = true;  ///< draw a new OPc
  std::optional<key_profile> profile{};  ///< unset: the built-in "otaflow-virtual"
  friend bool operator==(const keys_update_def&, const keys_update_def&) = default;
};

/// The built-in profile "otaflow-virtual": MF/7F66/6F01, the otaflow key rotation file.
[[nodiscard]] const key_profile& otaflow_virtual_key_profile();
/// The profile an [update.keys] writes through.
[[nodiscard]] const key_profile& effective_key_profile(const keys_update_def& k);

/// Parses a profile from its JSON form (a TOML profile file through toml_to_json, or the
/// canonical JSON); errors name `where` and the field.
[[nodiscard]] result<key_profile> key_profile_from_json(const nlohmann::json& j,
                                                        const std::string& where);
/// Reads a TOML profile file.
[[nodiscard]] result<key_profile> load_key_profile(const std::filesystem::path& file);
/// The canonical JSON form (parses back to an equal profile).
[[nodiscard]] nlohmann::json to_json(const key_profile& p);

/// Parses one APDU template (docs/key-profiles.md "Templates"); `sizes` of the placeholders
/// follow from the profile's wrapping.
[[nodiscard]] result<key_apdu_template> parse_apdu_template(const std::string& text,
                                                            const key_profile& p,
                                                            const std::string& where);

/// Parses [update.keys] (the JSON of a campaign): rotate, profile (a table, or the name of the
/// built-in profile; a TOML campaign file's profile file name is replaced by its content when
/// the file is read: resolve_key_profile_files).
[[nodiscard]] status parse_keys_update(const nlohmann::json& v, keys_update_def& out);
/// The JSON of [update.keys] (profile only when not the built-in one).
[[nodiscard]] nlohmann::json to_json(const keys_update_def& k);
/// Replaces each `update.keys.profile` file name of a campaign's JSON (top-level and
/// variants) by the profile file's content; a relative name is read from `base`.
[[nodiscard]] status resolve_key_profile_files(nlohmann::json& campaign,
                                               const std::filesystem::path& base);

/// Whether a variant's security satisfies a profile: the TAR (when the profile names one) and
/// the command integrity; the error names `field`, the profile and what is missing.
[[nodiscard]] status check_key_profile(const key_profile& p, const security_def& s,
                                       const std::string& field);

/// A card's inputs of a profile's commands. Wiped by the owner.
struct key_values {
  byte_view ki;            ///< 16 octets
  byte_view opc;           ///< 16 octets
  std::uint32_t sequence;  ///< the card's key rotation sequence (1..)
  std::uint8_t kvn;        ///< the keyset (key version) of the campaign
  byte_view wrap_key;      ///< the keyset's KIK or KIc (the profile's wrap_key); empty: none
};

/// The commands that write one card's keys (after the SELECTs of the file path, which the
/// script builder adds): UPDATE BINARY / UPDATE RECORD for a file, the expanded templates for
/// apdus. `values == nullptr`: placeholders of the same sizes (FF octets), for the prepared
/// script.
[[nodiscard]] result<std::vector<codec::command_apdu>> key_commands(const key_profile& p,
                                                                    std::uint8_t cla,
                                                                    const key_values* values);

}  // namespace otaflow::actors
