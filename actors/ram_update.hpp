#pragma once
// [update.ram]: a RAM campaign (ETSI TS 102 226 §8, GlobalPlatform card content management):
// load a Java Card CAP file, install instances, delete objects and list the registry, as a job
// of several steps, one command packet each (actors/ram_steps.hpp builds them). The schema is
// in docs/CAMPAIGNS.md "RAM". The canonical JSON carries the load file's bytes and its package
// AID, so serve and approvals see exactly what is loaded; a TOML file names a CAP file instead
// (`load`), read when the campaign file is read (resolve_ram_files).

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace otaflow::actors {

/// Load File Data Block hash of INSTALL [for load] (GP 2.3 §11.5.2.3.1).
enum class ram_hash : std::uint8_t { none, sha1, sha256 };

/// [[update.ram.install]]: INSTALL [for install (and make selectable)].
struct ram_install_def {
  bytes package;     ///< Executable Load File AID
  bytes module;      ///< Executable Module (applet class) AID
  bytes instance;    ///< the new application's AID
  bytes privileges;  ///< 1 or 3 octets (default 00)
  bytes params;      ///< install parameters C9 value (what the applet's install() sees)
  bool selectable = true;
  friend bool operator==(const ram_install_def&, const ram_install_def&) = default;
};

/// [[update.ram.delete]]: DELETE of an object by AID, with its related objects.
struct ram_delete_def {
  bytes aid;
  bool related = false;
  friend bool operator==(const ram_delete_def&, const ram_delete_def&) = default;
};

/// [update.ram].
struct ram_update_def {
  bytes load_file;  ///< the Load File (CAP components in load order); empty: nothing to load
  bytes package;    ///< the load file's package AID (INSTALL [for load]); set with load_file
  bytes sd;         ///< security domain AID for INSTALL [for load]; empty: the ISD
  ram_hash hash = ram_hash::none;
  /// LOAD data per block, 1..255; 0: the largest that fills max_sms (ram_steps.cpp).
  std::uint8_t block_size = 0;
  std::uint8_t max_sms = 3;  ///< concatenated SMS per command packet, 1..32
  std::vector<ram_delete_def> deletes;
  std::vector<ram_install_def> installs;
  std::vector<std::uint8_t> list;  ///< GET STATUS scopes (codec::gp::status_scope), in order
  friend bool operator==(const ram_update_def&, const ram_update_def&) = default;
};

/// Parses the JSON of [update.ram] (`field` names it in errors, e.g. "update.ram"). A `load`
/// that is still a path is refused: only a campaign file's reader resolves paths.
[[nodiscard]] result<ram_update_def> parse_ram_update(const nlohmann::json& v,
                                                      const std::string& field);
/// The canonical JSON of [update.ram] (load_file hex, package, ...).
[[nodiscard]] nlohmann::json ram_update_json(const ram_update_def& r);

/// Replaces every `load = "FILE.cap"` of [update.ram] (top level and [[variant]]s) in a
/// campaign file's JSON with the CAP's load file (hex) and package AID; relative paths are
/// relative to `base_dir`. Errors name the file and what is wrong with it.
[[nodiscard]] status resolve_ram_files(nlohmann::json& campaign, const std::string& base_dir);

/// The directory of a campaign file's path ("." when it has none).
[[nodiscard]] std::string campaign_dir(const std::string& path);

/// Name of a GET STATUS scope as the schema writes it ("apps", ...).
[[nodiscard]] std::string ram_scope_name(std::uint8_t scope);

}  // namespace otaflow::actors
