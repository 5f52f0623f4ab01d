#pragma once
// A campaign: which update, secured how, for which cards, under which policy.
// Read from a TOML campaign file or from the JSON of a Kafka "campaign" event;
// both go through one JSON schema (TOML is converted to JSON first), so the two
// front doors accept exactly the same fields. Documented in docs/CAMPAIGNS.md.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "actors/subscriber_fsm.hpp"
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
  /// Key version (keyset) the packets use: the high nibble of KIc (TS 102 225 §5.1.2).
  [[nodiscard]] std::uint8_t keyset() const noexcept { return kic >> 4; }
};

/// Which cards of the profile repository the campaign targets.
struct target_def {
  bool all = false;
  std::vector<std::string> iccids;
  std::string imsi_prefix;
  std::map<std::string, std::string> attributes;  ///< all must match
};

/// Write a transparent EF by path (UPDATE BINARY).
struct file_update {
  std::vector<std::uint16_t> path;  ///< FIDs from the MF, e.g. 3F00 7FFF 6F7B
  bytes data;
  std::uint16_t offset = 0;
};

/// Write one record of a linear fixed EF by path (UPDATE RECORD, absolute mode).
struct record_update {
  std::vector<std::uint16_t> path;
  std::uint8_t record = 1;
  bytes data;
};

enum class script_format : std::uint8_t { compact, expanded };

/// What the command packets carry (TS 102 226 RFM script).
struct update_def {
  std::vector<file_update> files;
  std::vector<record_update> records;
  std::vector<bytes> apdus;  ///< raw C-APDUs appended after the file updates
  script_format format = script_format::compact;
  std::uint8_t cla = 0x00;  ///< 00 for UICC (TS 102 221), A0 for SIM (TS 51.011)
};

/// How fast and how persistently.
struct policy_def {
  double rate = 200;            ///< SMS segments per second per SMPP bind
  std::uint32_t window = 1000;  ///< cards in flight at once
  job_policy job;               ///< attempts, PoR timeout, back-off
};

struct campaign_def {
  std::string id;
  security_def security;
  target_def target;
  update_def update;
  policy_def policy;
};

/// Parses the JSON form (a Kafka "campaign" event's object). Errors name the field.
[[nodiscard]] result<campaign_def> campaign_from_json(const nlohmann::json& j);
/// Parses a TOML campaign file's text (`source` names it in errors).
[[nodiscard]] result<campaign_def> campaign_from_toml(std::string_view text,
                                                      std::string_view source = "campaign");
/// Reads and parses a TOML campaign file.
[[nodiscard]] result<campaign_def> load_campaign_file(const std::string& path);
/// The canonical JSON form (what storage keeps and events carry).
[[nodiscard]] nlohmann::json to_json(const campaign_def& c);

/// Parses "30s", "500ms", "5m", "1h" or a bare number of seconds.
[[nodiscard]] result<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace otaflow::actors
