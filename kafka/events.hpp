#pragma once
// JSON schemas of otaflow's Kafka records (docs/kafka-events.md):
//   trigger topic (consumed): campaign definitions, triggers, pause/resume/cancel commands;
//   status topic: one status event per subscriber state change;
//   DLQ topic: trigger-topic records that could not be used, with the reason;
//   alerts topic: campaign thresholds crossed.
// Parsers never throw; their errors name the field and value that was wrong, and the DLQ
// record carries that text as its reason. Unknown fields are ignored (forward compatible).
// Timestamps ("ts") are milliseconds since the Unix epoch, UTC.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "model/control_action.hpp"
#include "model/status_event.hpp"

namespace otaflow::kafka {

/// The largest "ts" a parser accepts: 9999-12-31T23:59:59.999Z in milliseconds since the epoch
/// (the RFC 3339 range). Ranges of every number: docs/EVENTS.md.
inline constexpr std::int64_t max_ts_ms = 253'402'300'799'999;

/// {"type":"campaign","campaign":{"id":"...",...}}: a campaign definition. The object is kept
/// as JSON for the engine, which validates the rest.
struct campaign_event {
  std::string id;           ///< campaign.id, checked like every campaign id
  nlohmann::json campaign;  ///< the whole "campaign" object
};

/// {"type":"trigger","campaign":"id","iccid":"..."} or {..., "target":{...}}: start the
/// campaign for one card, or for the cards a target selector (kept as JSON) names.
struct trigger_event {
  std::string campaign;
  std::string iccid;                     ///< 18 to 20 decimal digits; empty when target is set
  std::optional<nlohmann::json> target;  ///< a selector object; set when iccid is empty
  /// Partition-owned serve: a selection trigger copied to one partition, expanded there over
  /// that partition's cards only (docs/SCALING.md). Absent on a carrier's trigger.
  std::optional<std::int32_t> partition{};
};

using model::control_action;

/// {"type":"pause"|"resume"|"cancel"|"retry","campaign":"id"}; a retry may add
/// "reason" (a text its failures must contain) and "iccids" (the cards to retry).
struct control_event {
  control_action action = control_action::pause;
  std::string campaign;
  std::string reason;               ///< retry only: "" = every failure reason
  std::vector<std::string> iccids;  ///< retry only: empty = every failed card
  /// Who asked, as the producer states it ("requested_by": {"by", "who", "from"}; absent:
  /// by empty). Set by serve's HTTP API; a Kafka record carries no verified principal, so the
  /// audit keeps it as stated (docs/AUDIT.md).
  model::control_origin origin;
};

/// Any record of the trigger topic.
using trigger_topic_event = std::variant<campaign_event, trigger_event, control_event>;

/// Parses a trigger-topic record; the error says what is wrong (for the DLQ record).
[[nodiscard]] result<trigger_topic_event> parse_trigger_event(std::string_view payload);
/// The JSON text of a trigger-topic record (what parse_trigger_event reads back).
[[nodiscard]] std::string serialise(const trigger_topic_event& ev);

/// The engine's status event (model/status_event.hpp) is what the status topic carries:
/// {"campaign","iccid","state","attempt","por_status","reason","ts","variant"?} with the state's
/// name ("done"), por_status as 2 upper-case hex digits or null without a PoR, ts = ts_ms, and
/// variant absent when empty.
using model::status_event;

/// The JSON text of a status event.
[[nodiscard]] std::string serialise(const status_event& ev);
/// The same text built through nlohmann::json (the reference the fast form is tested against).
[[nodiscard]] std::string serialise_reference(const status_event& ev);
/// Reads a status event back (tests, analytics tools); an unknown state name, a por_status that
/// is not 2 hex digits, an attempt outside 0..65535 or a ts outside 0..max_ts_ms is an error.
[[nodiscard]] result<status_event> parse_status_event(std::string_view payload);

/// {"reason","topic","partition","offset","payload","payload_encoding"}: a record that could
/// not be used. The payload is the original bytes: as a string when they are valid UTF-8
/// ("payload_encoding":"utf-8"), else base64 of RFC 4648 ("payload_encoding":"base64").
struct dlq_record {
  std::string reason;
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::string payload;  ///< raw bytes

  friend bool operator==(const dlq_record&, const dlq_record&) = default;
};

/// The JSON text of a DLQ record.
[[nodiscard]] std::string serialise(const dlq_record& rec);
/// Reads a DLQ record back, decoding a base64 payload.
[[nodiscard]] result<dlq_record> parse_dlq_record(std::string_view payload);

/// {"type":"alert","campaign","bind"?,"kind","rate","threshold","sample","count","action",
///  "message","ts"}: a failure rate of a campaign (or of one SMSC bind in it) crossed its
/// threshold (actors/alert_monitor.hpp).
struct alert_event {
  std::string campaign;
  std::optional<std::string> bind;  ///< the SMSC bind concerned, when the window is per bind
  std::string kind;  ///< "por_error", "undeliverable", "timeout", "throttle", "journal", "produce"
  double rate = 0;   ///< bad outcomes / sample
  double threshold = 0;
  std::uint64_t sample = 0;  ///< outcomes in the sliding window
  std::uint64_t count = 0;   ///< bad outcomes in it
  std::string action;        ///< what otaflow did: "paused" or "none"
  std::string message;       ///< e.g. "PoR 01 on 100 of 100 PoRs (RC/CC/DS failed); ..."
  std::int64_t ts = 0;

  friend bool operator==(const alert_event&, const alert_event&) = default;
};

/// The JSON text of an alert event.
[[nodiscard]] std::string serialise(const alert_event& ev);
/// Reads an alert event back: rate and threshold finite in 0..1, count <= sample <= 2^63-1,
/// ts in 0..max_ts_ms.
[[nodiscard]] result<alert_event> parse_alert_event(std::string_view payload);

/// True when `s` is well-formed UTF-8 (RFC 3629: no overlongs, surrogates or > U+10FFFF).
[[nodiscard]] bool valid_utf8(std::string_view s) noexcept;
/// RFC 4648 §4 base64 with padding.
[[nodiscard]] std::string base64_encode(std::string_view data);
/// Decodes RFC 4648 §4 base64 (padding required); the error names the bad position.
[[nodiscard]] result<std::string> base64_decode(std::string_view text);
/// True when `id` is a legal campaign id: 1 to 128 of [A-Za-z0-9._:-].
[[nodiscard]] bool valid_campaign_id(std::string_view id) noexcept;
/// True when `iccid` is 18 to 20 decimal digits (ITU-T E.118).
[[nodiscard]] bool valid_iccid(std::string_view iccid) noexcept;

}  // namespace otaflow::kafka
