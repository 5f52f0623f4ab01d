// Event schemas of the Kafka topics: parse tables (valid and malformed), exact serialisations,
// RFC 4648 base64 vectors, RFC 3629 UTF-8 validity, and round-trip properties.

#include "kafka/events.hpp"

#include "base/bytes.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace otaflow::kafka {
namespace {

using json = nlohmann::json;
using model::job_state;

TEST(TriggerEvent, ParsesCampaignKeepingTheObject) {
  const auto r = parse_trigger_event(
      R"({"type":"campaign","campaign":{"id":"c-2024.01","tar":"b00010","files":[1,2]}})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto* ev = std::get_if<campaign_event>(&*r);
  ASSERT_NE(ev, nullptr);
  EXPECT_EQ(ev->id, "c-2024.01");
  EXPECT_EQ(ev->campaign["tar"], "b00010");
  EXPECT_EQ(ev->campaign["files"], json::array({1, 2}));
}

TEST(TriggerEvent, ParsesTriggerByIccid) {
  const auto r = parse_trigger_event(
      R"({"type":"trigger","campaign":"c1","iccid":"8988211000000000001","extra":true})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto* ev = std::get_if<trigger_event>(&*r);
  ASSERT_NE(ev, nullptr);
  EXPECT_EQ(ev->campaign, "c1");
  EXPECT_EQ(ev->iccid, "8988211000000000001");
  EXPECT_FALSE(ev->target.has_value());
}

TEST(TriggerEvent, ParsesTriggerByTarget) {
  const auto r = parse_trigger_event(
      R"({"type":"trigger","campaign":"c1","target":{"imsi_prefix":"00101","limit":10}})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto* ev = std::get_if<trigger_event>(&*r);
  ASSERT_NE(ev, nullptr);
  EXPECT_TRUE(ev->iccid.empty());
  ASSERT_TRUE(ev->target.has_value());
  EXPECT_EQ((*ev->target)["imsi_prefix"], "00101");
  EXPECT_EQ((*ev->target)["limit"], 10);
}

TEST(TriggerEvent, ParsesControlEvents) {
  const std::pair<const char*, control_action> rows[] = {
      {"pause", control_action::pause},
      {"resume", control_action::resume},
      {"cancel", control_action::cancel},
      {"retry", control_action::retry},
  };
  for (const auto& [type, action] : rows) {
    const std::string text = std::string(R"({"type":")") + type + R"(","campaign":"c:7"})";
    const auto r = parse_trigger_event(text);
    ASSERT_TRUE(r.ok()) << type << ": " << r.error().message;
    const auto* ev = std::get_if<control_event>(&*r);
    ASSERT_NE(ev, nullptr) << type;
    EXPECT_EQ(ev->action, action);
    EXPECT_EQ(ev->campaign, "c:7");
  }
}

TEST(TriggerEvent, ParsesRetryWithItsFilter) {
  auto r = parse_trigger_event(
      R"({"type":"retry","campaign":"c1","reason":"PoR 01","iccids":["8988211000000000001"]})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto* ev = std::get_if<control_event>(&*r);
  ASSERT_NE(ev, nullptr);
  EXPECT_EQ(ev->action, control_action::retry);
  EXPECT_EQ(ev->reason, "PoR 01");
  EXPECT_EQ(ev->iccids, (std::vector<std::string>{"8988211000000000001"}));
  EXPECT_EQ(
      serialise(trigger_topic_event(*ev)),
      R"({"type":"retry","campaign":"c1","reason":"PoR 01","iccids":["8988211000000000001"]})");

  r = parse_trigger_event(R"({"type":"retry","campaign":"c1"})");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(std::get<control_event>(*r).iccids.empty());
  EXPECT_TRUE(std::get<control_event>(*r).reason.empty());

  r = parse_trigger_event(R"({"type":"retry","campaign":"c1","iccids":["12ab"]})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            R"(trigger event: field "iccids" holds "12ab", not 18 to 20 decimal digits)");
  r = parse_trigger_event(R"({"type":"retry","campaign":"c1","iccids":"8988211000000000001"})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("must be an array of ICCIDs"), std::string::npos)
      << r.error().message;
  r = parse_trigger_event(R"({"type":"retry","campaign":"c1","reason":5})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("\"reason\" must be a string"), std::string::npos)
      << r.error().message;
}

struct malformed_row {
  const char* name;
  std::string payload;
  otaflow::errc code;
  const char* message;  // the whole error message, or a prefix ending in "..."
};

TEST(TriggerEvent, MalformedEventsNameTheProblem) {
  const std::vector<malformed_row> rows = {
      {"empty", "", errc::truncated, "trigger event: empty payload"},
      {"truncated JSON", R"({"type":"pause")", errc::bad_value,
       "trigger event: invalid JSON: parse error at line 1, column 16: ..."},
      {"trailing garbage", R"({"type":"pause","campaign":"c"} x)", errc::bad_value,
       "trigger event: invalid JSON: parse error at line 1, column 33: ..."},
      {"binary", std::string("\x00\xff\x10", 3), errc::bad_value,
       "trigger event: invalid JSON: ..."},
      {"invalid UTF-8 in a string", "{\"type\":\"pause\",\"campaign\":\"\xff\"}", errc::bad_value,
       "trigger event: invalid JSON: ..."},
      {"array", "[1,2]", errc::bad_value, "trigger event: expected a JSON object, got array"},
      {"string", R"("trigger")", errc::bad_value,
       "trigger event: expected a JSON object, got string"},
      {"no type", R"({"campaign":"c1"})", errc::bad_value,
       R"(trigger event: missing field "type")"},
      {"type not a string", R"({"type":5})", errc::bad_value,
       R"(trigger event: field "type" must be a string, got number 5)"},
      {"unknown type", R"({"type":"explode","campaign":"c1"})", errc::bad_value,
       R"(trigger event: unknown type "explode" (expected campaign, trigger, pause, resume, cancel, retry))"},
      {"campaign missing", R"({"type":"campaign"})", errc::bad_value,
       R"(trigger event: missing field "campaign")"},
      {"campaign not an object", R"({"type":"campaign","campaign":"c1"})", errc::bad_value,
       R"(trigger event: field "campaign" must be an object, got string "c1")"},
      {"campaign without id", R"({"type":"campaign","campaign":{"tar":"b00010"}})", errc::bad_value,
       R"(trigger event campaign: missing field "id")"},
      {"campaign id not a string", R"({"type":"campaign","campaign":{"id":7}})", errc::bad_value,
       R"(trigger event campaign: field "id" must be a string, got number 7)"},
      {"trigger without card", R"({"type":"trigger","campaign":"c1"})", errc::bad_value,
       R"(trigger event: needs exactly one of "iccid" or "target", got neither)"},
      {"trigger with both",
       R"({"type":"trigger","campaign":"c1","iccid":"8988211000000000001","target":{"a":1}})",
       errc::bad_value, R"(trigger event: needs exactly one of "iccid" or "target", got both)"},
      {"iccid with letters", R"({"type":"trigger","campaign":"c1","iccid":"89882110000000000ab"})",
       errc::bad_value,
       R"(trigger event: field "iccid" "89882110000000000ab" is not 18 to 20 decimal digits)"},
      {"iccid too short", R"({"type":"trigger","campaign":"c1","iccid":"12345"})", errc::bad_value,
       R"(trigger event: field "iccid" "12345" is not 18 to 20 decimal digits)"},
      {"iccid as number", R"({"type":"trigger","campaign":"c1","iccid":8988211000000000001})",
       errc::bad_value,
       R"(trigger event: field "iccid" must be a string, got number 8988211000000000001)"},
      {"target not an object", R"({"type":"trigger","campaign":"c1","target":[1]})",
       errc::bad_value, R"(trigger event: field "target" must be an object, got array [1])"},
      {"target empty", R"({"type":"trigger","campaign":"c1","target":{}})", errc::bad_value,
       R"(trigger event: field "target" is an empty object)"},
      {"pause without campaign", R"({"type":"pause"})", errc::bad_value,
       R"(trigger event: missing field "campaign")"},
      {"empty campaign id", R"({"type":"resume","campaign":""})", errc::bad_value,
       R"(trigger event: field "campaign" is empty)"},
      {"campaign id with space", R"({"type":"cancel","campaign":"bad id"})", errc::bad_value,
       R"(trigger event: field "campaign" "bad id" is not a campaign id (1 to 128 of [A-Za-z0-9._:-]))"},
      {"campaign null", R"({"type":"cancel","campaign":null})", errc::bad_value,
       R"(trigger event: field "campaign" must be a string, got null null)"},
  };
  for (const auto& row : rows) {
    const auto r = parse_trigger_event(row.payload);
    ASSERT_FALSE(r.ok()) << row.name;
    EXPECT_EQ(r.error().code, make_error_code(row.code)) << row.name;
    EXPECT_FALSE(r.error().retriable()) << row.name;
    const std::string want = row.message;
    if (want.size() > 3 && want.ends_with("...")) {
      EXPECT_TRUE(r.error().message.starts_with(want.substr(0, want.size() - 3)))
          << row.name << ": " << r.error().message;
    } else {
      EXPECT_EQ(r.error().message, want) << row.name;
    }
  }
}

TEST(TriggerEvent, LongValuesAreShortenedInErrors) {
  const std::string id(300, 'x');
  const auto r = parse_trigger_event(R"({"type":"pause","campaign":")" + id + R"("})");
  ASSERT_FALSE(r.ok());
  EXPECT_LT(r.error().message.size(), 200u) << r.error().message;
  EXPECT_NE(r.error().message.find("x... is not a campaign id"), std::string::npos)
      << r.error().message;
}

TEST(TriggerEvent, SerialisesEachKind) {
  EXPECT_EQ(serialise(trigger_topic_event(trigger_event{"c1", "8988211000000000001", {}})),
            R"({"type":"trigger","campaign":"c1","iccid":"8988211000000000001"})");
  EXPECT_EQ(serialise(trigger_topic_event(trigger_event{"c1", "", json{{"imsi_prefix", "00101"}}})),
            R"({"type":"trigger","campaign":"c1","target":{"imsi_prefix":"00101"}})");
  EXPECT_EQ(serialise(trigger_topic_event(control_event{control_action::cancel, "c1", {}, {}, {}})),
            R"({"type":"cancel","campaign":"c1"})");
  EXPECT_EQ(serialise(trigger_topic_event(campaign_event{"c1", json{{"id", "c1"}, {"n", 2}}})),
            R"({"type":"campaign","campaign":{"id":"c1","n":2}})");
}

// "requested_by" (who asked, as serve's HTTP API states it) is checked like any field from
// the network: an object of short printable strings, "by" required.
TEST(TriggerEvent, RequestedByIsParsedAndCheckedField) {
  auto ok = parse_trigger_event(
      R"({"type":"cancel","campaign":"c1","requested_by":{"by":"http","who":"ops-bob","from":"::1"}})");
  ASSERT_TRUE(ok) << ok.error().message;
  const auto& c = std::get<control_event>(*ok);
  EXPECT_EQ(c.origin.by, "http");
  EXPECT_EQ(c.origin.who, "ops-bob");
  EXPECT_EQ(c.origin.from, "::1");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"type":"pause","campaign":"c1","requested_by":"alice"})", "must be an object"},
      {R"({"type":"pause","campaign":"c1","requested_by":{"who":"alice"}})", "needs \"by\""},
      {R"({"type":"pause","campaign":"c1","requested_by":{"by":"http","role":"x"}})",
       "unexpected field \"role\""},
      {R"({"type":"pause","campaign":"c1","requested_by":{"by":"http","who":"a\nb"}})",
       "printable characters"},
      {R"({"type":"pause","campaign":"c1","requested_by":{"by":"http","who":")" +
           std::string(129, 'a') + R"("}})",
       "at most 128"},
  };
  for (const auto& [text, says] : bad) {
    auto r = parse_trigger_event(text);
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().message.find(says), std::string::npos) << r.error().message;
  }
}

TEST(TriggerEvent, SerialiseThenParseGivesTheSameEvent) {
  const std::vector<std::string> texts = {
      R"({"type":"campaign","campaign":{"id":"c1","n":2}})",
      R"({"type":"trigger","campaign":"c1","iccid":"89882110000000000012"})",
      R"({"type":"trigger","campaign":"c1","target":{"all":true}})",
      R"({"type":"pause","campaign":"c1"})",
      R"({"type":"resume","campaign":"c1"})",
      R"({"type":"pause","campaign":"c1","requested_by":{"by":"http","who":"ops-alice","from":"10.0.0.7"}})",
      R"({"type":"retry","campaign":"c1","requested_by":{"by":"http","who":"ci"}})",
  };
  for (const auto& t : texts) {
    const auto r = parse_trigger_event(t);
    ASSERT_TRUE(r.ok()) << t;
    EXPECT_EQ(serialise(*r), t);
  }
}

TEST(StatusEvent, SerialisesAllFieldsInOrder) {
  status_event ev{"c1", "8988211000000000001", job_state::done, 1, 0x00, "", "", 1700000000123};
  EXPECT_EQ(serialise(ev),
            R"({"campaign":"c1","iccid":"8988211000000000001","state":"done","attempt":1,)"
            R"("por_status":"00","reason":"","ts":1700000000123})");
  ev.state = job_state::failed;
  ev.attempt = 3;
  ev.por_status.reset();
  ev.reason = "no PoR after 3 attempts";
  ev.variant = "B";
  EXPECT_EQ(serialise(ev),
            R"({"campaign":"c1","iccid":"8988211000000000001","state":"failed","attempt":3,)"
            R"("por_status":null,"reason":"no PoR after 3 attempts","ts":1700000000123,)"
            R"("variant":"B"})");
}

TEST(StatusEvent, EscapesControlCharactersAndReplacesInvalidUtf8) {
  status_event ev{"c1", "8988211000000000001", job_state::failed, 2, {}, "bad \"x\"\n\xff", "", 5};
  const auto text = serialise(ev);
  EXPECT_NE(text.find(R"("reason":"bad \"x\"\n)"
                      "\xef\xbf\xbd"
                      R"(")"),
            std::string::npos)
      << text;
  EXPECT_TRUE(valid_utf8(text));
}

TEST(StatusEvent, ParseErrorsNameTheField) {
  const std::pair<std::string, std::string> rows[] = {
      {R"({"iccid":"1","state":"done","attempt":1,"por_status":null,"reason":"","ts":1})",
       R"(status event: missing field "campaign")"},
      {R"({"campaign":"c","iccid":"1","state":"done","attempt":-1,"por_status":null,"reason":"","ts":1})",
       R"(status event: field "attempt" = -1 is out of range [0, 65535])"},
      {R"({"campaign":"c","iccid":"1","state":"done","attempt":65536,"por_status":null,"reason":"","ts":1})",
       R"(status event: field "attempt" = 65536 is out of range [0, 65535])"},
      {R"({"campaign":"c","iccid":"1","state":"counter_reserved","attempt":1,"por_status":null,"reason":"","ts":1})",
       R"(status event: field "state" "counter_reserved" is not a job state)"},
      {R"({"campaign":"c","iccid":"1","state":"done","attempt":1,"por_status":"0","reason":"","ts":1})",
       R"(status event: field "por_status" "0" is not 2 hex digits)"},
      {R"({"campaign":"c","iccid":"1","state":"done","attempt":1,"por_status":"0G","reason":"","ts":1})",
       R"(status event: field "por_status" "0G" is not 2 hex digits)"},
      {R"({"campaign":"c","iccid":"1","state":"done","attempt":"1","por_status":null,"reason":"","ts":1})",
       R"(status event: field "attempt" must be an integer, got string "1")"},
      {R"({"campaign":"c","iccid":"1","state":"done","attempt":1,"por_status":0,"reason":"","ts":1})",
       R"(status event: field "por_status" must be a string or null, got number 0)"},
      {R"({"campaign":"c","iccid":"1","state":"done","attempt":1,"por_status":null,"reason":"","ts":1.5})",
       R"(status event: field "ts" must be an integer, got number 1.5)"},
      {R"({"campaign":"c","iccid":"1","state":"done","attempt":1,"por_status":null,"ts":1})",
       R"(status event: missing field "reason")"},
  };
  for (const auto& [text, want] : rows) {
    const auto r = parse_status_event(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().message, want);
  }
}

// An arbitrary event (the engine's types: any state, attempt, PoR status).
status_event arbitrary_event(const rc::Gen<std::string>& text, const rc::Gen<std::string>& reason) {
  status_event ev;
  ev.campaign = *text;
  ev.iccid = *text;
  ev.state = static_cast<job_state>(*rc::gen::inRange<int>(0, model::job_state_count));
  ev.attempt = *rc::gen::arbitrary<std::uint16_t>();
  if (*rc::gen::arbitrary<bool>()) ev.por_status = *rc::gen::arbitrary<std::uint8_t>();
  ev.reason = *reason;
  ev.variant = *text;
  ev.ts_ms = *rc::gen::inRange<std::int64_t>(0, max_ts_ms + 1);  // the parser's range
  return ev;
}

// What the wire held before the engine and Kafka shared one status_event: the state's name,
// PoR status as 2 upper-case hex digits, variant only when set.
nlohmann::ordered_json reference_json(const status_event& ev) {
  nlohmann::ordered_json j;
  j["campaign"] = ev.campaign;
  j["iccid"] = ev.iccid;
  j["state"] = std::string(model::to_string(ev.state));
  j["attempt"] = ev.attempt;
  if (ev.por_status) {
    j["por_status"] = to_hex(*ev.por_status, 2, hex_case::upper);
  } else {
    j["por_status"] = nullptr;
  }
  j["reason"] = ev.reason;
  j["ts"] = ev.ts_ms;
  if (!ev.variant.empty()) j["variant"] = ev.variant;
  return j;
}

RC_GTEST_PROP(StatusEvent, RoundTrips, ()) {
  const auto text = rc::gen::container<std::string>(rc::gen::inRange<char>(1, 127));
  auto ev = arbitrary_event(rc::gen::nonEmpty(text), text);
  if (*rc::gen::arbitrary<bool>()) ev.variant.clear();
  const auto back = parse_status_event(serialise(ev));
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == ev);
}

// serialise(status_event) is built by hand for speed: it must give what the generic
// ordered_json dump gives (any bytes, including invalid UTF-8, which both replace).
RC_GTEST_PROP(StatusEvent, SameTextAsOrderedJsonDump, ()) {
  const auto text = rc::gen::container<std::string>(rc::gen::arbitrary<char>());
  auto ev = arbitrary_event(text, text);
  ev.ts_ms = *rc::gen::arbitrary<std::int64_t>();
  RC_ASSERT(serialise(ev) ==
            reference_json(ev).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

TEST(StatusEvent, StateNamesAndPorStatusOnTheWire) {
  status_event ev{"c", "8988211000000000001", job_state::packaging, 1, 0x0B, "", "", 1};
  for (std::size_t i = 0; i < model::job_state_count; ++i) {
    ev.state = static_cast<job_state>(i);
    const auto j = nlohmann::json::parse(serialise(ev));
    EXPECT_EQ(j["state"], std::string(model::to_string(ev.state)));
  }
  EXPECT_EQ(nlohmann::json::parse(serialise(ev))["por_status"], "0B");
  // Lower-case hex is read too (and written back upper-case).
  auto back = parse_status_event(
      R"({"campaign":"c","iccid":"1","state":"submitting","attempt":1,"por_status":"0a","reason":"","ts":1})");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->state, job_state::submitting);
  EXPECT_EQ(back->por_status, std::optional<std::uint8_t>(0x0A));
  EXPECT_NE(serialise(*back).find(R"("por_status":"0A")"), std::string::npos);
}

TEST(DlqRecord, KeepsUtf8PayloadAsText) {
  const dlq_record rec{R"(trigger event: missing field "type")", "ota.triggers", 3, 42,
                       R"({"campaign":"c1"})"};
  EXPECT_EQ(serialise(rec),
            R"({"reason":"trigger event: missing field \"type\"","topic":"ota.triggers",)"
            R"("partition":3,"offset":42,"payload":"{\"campaign\":\"c1\"}",)"
            R"("payload_encoding":"utf-8"})");
}

TEST(DlqRecord, EncodesBinaryPayloadAsBase64) {
  const dlq_record rec{"trigger event: invalid JSON: ...", "ota.triggers", 0, 7,
                       std::string("\xff\x00\x01", 3)};
  EXPECT_EQ(serialise(rec),
            R"({"reason":"trigger event: invalid JSON: ...","topic":"ota.triggers",)"
            R"("partition":0,"offset":7,"payload":"/wAB","payload_encoding":"base64"})");
  const auto back = parse_dlq_record(serialise(rec));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, rec);
}

TEST(DlqRecord, ParseErrors) {
  auto r = parse_dlq_record(
      R"({"reason":"","topic":"t","partition":0,"offset":1,"payload":"x","payload_encoding":"hex"})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            R"(dlq record: field "payload_encoding" "hex" is not utf-8 or base64)");
  r = parse_dlq_record(
      R"({"reason":"","topic":"t","partition":0,"offset":1,"payload":"a$==","payload_encoding":"base64"})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            R"(dlq record: field "payload": base64: invalid character 0x24 at offset 1)");
}

RC_GTEST_PROP(DlqRecord, RoundTripsAnyPayload, (const std::string& payload)) {
  const dlq_record rec{"reason", "ota.triggers", *rc::gen::inRange(0, 1000),
                       *rc::gen::inRange<std::int64_t>(0, 1'000'000'000), payload};
  const auto back = parse_dlq_record(serialise(rec));
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == rec);
}

TEST(AlertEvent, SerialisesAndParses) {
  alert_event ev{"c1",     std::string("smsc-a"), "por_error",  0.25, 0.1, 100, 25,
                 "paused", "PoR 01 on 25",        1700000000000};
  const auto text = serialise(ev);
  EXPECT_EQ(text, R"({"type":"alert","campaign":"c1","bind":"smsc-a","kind":"por_error",)"
                  R"("rate":0.25,"threshold":0.1,"sample":100,"count":25,"action":"paused",)"
                  R"("message":"PoR 01 on 25","ts":1700000000000})");
  auto back = parse_alert_event(text);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, ev);
  ev.bind.reset();
  EXPECT_EQ(serialise(ev).find("bind"), std::string::npos);
  back = parse_alert_event(serialise(ev));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, ev);
}

TEST(AlertEvent, ParseErrors) {
  auto r = parse_alert_event(R"({"type":"status","campaign":"c1"})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, R"(alert event: field "type" "status" is not "alert")");
  r = parse_alert_event(
      R"({"type":"alert","campaign":"c1","kind":"timeout","rate":"high","threshold":1,"sample":1,"count":1,"action":"none","message":"","ts":1})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, R"(alert event: field "rate" must be a number, got string "high")");
}

// Every number of every event: a table of bad values per field, each refused with the field's
// name and the value (docs/EVENTS.md gives the ranges).
TEST(Events, EveryNumberFiniteAndInRange) {
  const std::string status_head =
      R"({"campaign":"c","iccid":"8946990000000000008","state":"done","por_status":null,"reason":"",)";
  const std::string alert_head =
      R"({"type":"alert","campaign":"c1","kind":"timeout","action":"none","message":"",)";
  const std::string dlq_head =
      R"({"reason":"","topic":"t","payload":"x","payload_encoding":"utf-8",)";
  struct row {
    const char* kind;  // status, alert, dlq
    std::string numbers;
    std::string want;  // the whole error message
  };
  const std::vector<row> rows = {
      // status: attempt 0..65535, ts 0..max_ts_ms
      {"status", R"("attempt":-1,"ts":1})", R"(field "attempt" = -1 is out of range [0, 65535])"},
      {"status", R"("attempt":65536,"ts":1})",
       R"(field "attempt" = 65536 is out of range [0, 65535])"},
      {"status", R"("attempt":1e300,"ts":1})",
       R"(field "attempt" must be an integer, got number 1e+300)"},
      {"status", R"("attempt":18446744073709551615,"ts":1})",
       R"(field "attempt" = 18446744073709551615 is out of range [0, 65535])"},
      {"status", R"("attempt":1,"ts":-1})",
       R"(field "ts" = -1 is out of range [0, 253402300799999])"},
      {"status", R"("attempt":1,"ts":253402300800000})",
       R"(field "ts" = 253402300800000 is out of range [0, 253402300799999])"},
      {"status", R"("attempt":1,"ts":9223372036854775807})",
       R"(field "ts" = 9223372036854775807 is out of range [0, 253402300799999])"},
      {"status", R"("attempt":1,"ts":1e400})", R"(invalid JSON: number overflow parsing '1e400')"},
      // alert: rate and threshold 0..1, sample 0..2^63-1, count 0..sample, ts 0..max_ts_ms
      {"alert", R"("rate":1e400,"threshold":0.1,"sample":1,"count":1,"ts":1})",
       R"(invalid JSON: number overflow parsing '1e400')"},
      {"alert", R"("rate":-1e400,"threshold":0.1,"sample":1,"count":1,"ts":1})",
       R"(invalid JSON: number overflow parsing '-1e400')"},
      {"alert", R"("rate":-0.5,"threshold":0.1,"sample":1,"count":1,"ts":1})",
       R"(field "rate" = -0.5 is out of range [0, 1])"},
      {"alert", R"("rate":1.5,"threshold":0.1,"sample":1,"count":1,"ts":1})",
       R"(field "rate" = 1.5 is out of range [0, 1])"},
      {"alert", R"("rate":0.5,"threshold":1e300,"sample":1,"count":1,"ts":1})",
       R"(field "threshold" = 1e+300 is out of range [0, 1])"},
      {"alert", R"("rate":0.5,"threshold":0.1,"sample":-1,"count":1,"ts":1})",
       R"(field "sample" = -1 is out of range [0, 9223372036854775807])"},
      {"alert", R"("rate":0.5,"threshold":0.1,"sample":18446744073709551615,"count":1,"ts":1})",
       R"(field "sample" = 18446744073709551615 is out of range [0, 9223372036854775807])"},
      {"alert", R"("rate":0.5,"threshold":0.1,"sample":2,"count":3,"ts":1})",
       R"(field "count" = 3 is out of range [0, 2])"},
      {"alert", R"("rate":0.5,"threshold":0.1,"sample":2,"count":1,"ts":1e300})",
       R"(field "ts" must be an integer, got number 1e+300)"},
      {"alert", R"("rate":0.5,"threshold":0.1,"sample":2,"count":1,"ts":-5})",
       R"(field "ts" = -5 is out of range [0, 253402300799999])"},
      // dlq: partition -1..2^31-1, offset -1..2^63-1
      {"dlq", R"("partition":-2,"offset":1})",
       R"(field "partition" = -2 is out of range [-1, 2147483647])"},
      {"dlq", R"("partition":2147483648,"offset":1})",
       R"(field "partition" = 2147483648 is out of range [-1, 2147483647])"},
      {"dlq", R"("partition":0.5,"offset":1})",
       R"(field "partition" must be an integer, got number 0.5)"},
      {"dlq", R"("partition":0,"offset":-2})",
       R"(field "offset" = -2 is out of range [-1, 9223372036854775807])"},
      {"dlq", R"("partition":0,"offset":9223372036854775808})",
       R"(field "offset" = 9223372036854775808 is out of range [-1, 9223372036854775807])"},
      {"dlq", R"("partition":0,"offset":1e300})",
       R"(field "offset" must be an integer, got number 1e+300)"},
  };
  for (const auto& r : rows) {
    const std::string kind = r.kind;
    std::string message;
    if (kind == "status") {
      auto e = parse_status_event(status_head + r.numbers);
      ASSERT_FALSE(e.ok()) << r.numbers;
      message = e.error().message;
      EXPECT_EQ(message, "status event: " + r.want);
    } else if (kind == "alert") {
      auto e = parse_alert_event(alert_head + r.numbers);
      ASSERT_FALSE(e.ok()) << r.numbers;
      EXPECT_EQ(e.error().message, "alert event: " + r.want);
    } else {
      auto e = parse_dlq_record(dlq_head + r.numbers);
      ASSERT_FALSE(e.ok()) << r.numbers;
      EXPECT_EQ(e.error().message, "dlq record: " + r.want);
    }
  }
  // The edges themselves are accepted.
  EXPECT_TRUE(parse_status_event(status_head + R"("attempt":65535,"ts":253402300799999})").ok());
  EXPECT_TRUE(
      parse_alert_event(alert_head + R"("rate":1,"threshold":0,"sample":0,"count":0,"ts":0})")
          .ok());
  EXPECT_TRUE(parse_dlq_record(dlq_head + R"("partition":-1,"offset":-1})").ok());
}

// RFC 4648 §10 test vectors.
TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> rows[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : rows) {
    EXPECT_EQ(base64_encode(plain), encoded);
    const auto d = base64_decode(encoded);
    ASSERT_TRUE(d.ok()) << encoded;
    EXPECT_EQ(*d, plain);
  }
}

TEST(Base64, RejectsMalformedText) {
  const std::pair<const char*, const char*> rows[] = {
      {"Zg=", "base64: length 3 is not a multiple of 4"},
      {"Z===", "base64: invalid character 0x3d at offset 1"},
      {"Zg==Zg==", "base64: invalid character 0x3d at offset 2"},
      {"Zm9v!A==", "base64: invalid character 0x21 at offset 4"},
      {"Zm 9", "base64: invalid character 0x20 at offset 2"},
  };
  for (const auto& [text, want] : rows) {
    const auto d = base64_decode(text);
    ASSERT_FALSE(d.ok()) << text;
    EXPECT_EQ(d.error().message, want);
  }
}

RC_GTEST_PROP(Base64, RoundTrips, (const std::string& data)) {
  const auto d = base64_decode(base64_encode(data));
  RC_ASSERT(d.ok());
  RC_ASSERT(*d == data);
}

// RFC 3629 §4 syntax, with the malformed sequences of its §10 (overlongs, surrogates).
TEST(Utf8, Rfc3629Table) {
  const std::pair<std::string, bool> rows[] = {
      {"", true},
      {"plain ascii", true},
      {"\xc3\xa9", true},              // U+00E9
      {"\xe2\x82\xac", true},          // U+20AC
      {"\xf0\x9d\x84\x9e", true},      // U+1D11E
      {"\xf4\x8f\xbf\xbf", true},      // U+10FFFF
      {std::string("\x00", 1), true},  // NUL is a character
      {"\x80", false},                 // lone continuation byte
      {"\xc0\x80", false},             // overlong NUL
      {"\xc1\xbf", false},             // overlong
      {"\xe0\x80\x80", false},         // overlong
      {"\xed\xa0\x80", false},         // surrogate U+D800
      {"\xf0\x80\x80\x80", false},     // overlong
      {"\xf4\x90\x80\x80", false},     // above U+10FFFF
      {"\xf5\x80\x80\x80", false},     // never valid
      {"\xe2\x82", false},             // truncated
      {"a\xff", false},
  };
  for (const auto& [text, ok] : rows) {
    const byte_view raw(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
    EXPECT_EQ(valid_utf8(text), ok) << to_hex(raw);
  }
}

TEST(Ids, CampaignAndIccid) {
  EXPECT_TRUE(valid_campaign_id("c-2024.01:wave_1"));
  EXPECT_FALSE(valid_campaign_id(""));
  EXPECT_FALSE(valid_campaign_id(std::string(129, 'a')));
  EXPECT_FALSE(valid_campaign_id("a/b"));
  EXPECT_TRUE(valid_iccid("898821100000000000"));    // 18
  EXPECT_TRUE(valid_iccid("89882110000000000012"));  // 20
  EXPECT_FALSE(valid_iccid("89882110000000000"));    // 17
  EXPECT_FALSE(valid_iccid("898821100000000000123"));
  EXPECT_FALSE(valid_iccid("8988211000000000001F"));
}

}  // namespace
}  // namespace otaflow::kafka

namespace otaflow::kafka {
namespace {

// Text made of the characters JSON escaping cares about: quotes, backslashes, every control
// character, ASCII, and 2-, 3- and 4-octet UTF-8 sequences.
rc::Gen<std::string> tricky_text() {
  const std::vector<std::string> pieces = {"\"",
                                           "\\",
                                           "\b",
                                           "\f",
                                           "\n",
                                           "\r",
                                           "\t",
                                           std::string(1, '\0'),
                                           "\x01",
                                           "\x1f",
                                           "\x7f",
                                           "a",
                                           "Z",
                                           "0",
                                           " ",
                                           "/",
                                           "\xc3\xa9",
                                           "\xe2\x82\xac",
                                           "\xf0\x9f\x93\xb1"};
  return rc::gen::map(
      rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(0, pieces.size())),
      [pieces](const std::vector<std::size_t>& idx) {
        std::string s;
        for (auto i : idx) s += pieces[i];
        return s;
      });
}

RC_GTEST_PROP(StatusEventText, HandBuiltEqualsNlohmann, ()) {
  auto ev = arbitrary_event(tricky_text(),
                            rc::gen::oneOf(tricky_text(), rc::gen::arbitrary<std::string>()));
  RC_ASSERT(serialise(ev) == serialise_reference(ev));
}

TEST(StatusEventText, KnownBytes) {
  status_event ev{"c1", "8900000000000000001", job_state::done, 2, 0x00, "", "A", 1700000000123};
  EXPECT_EQ(serialise(ev),
            R"({"campaign":"c1","iccid":"8900000000000000001","state":"done","attempt":2,)"
            R"("por_status":"00","reason":"","ts":1700000000123,"variant":"A"})");
  ev.por_status.reset();
  ev.variant.clear();
  ev.reason = "tab\there \"q\" \x01";
  EXPECT_EQ(serialise(ev),
            R"({"campaign":"c1","iccid":"8900000000000000001","state":"done","attempt":2,)"
            R"("por_status":null,"reason":"tab\there \"q\" \u0001","ts":1700000000123})");
}

}  // namespace
}  // namespace otaflow::kafka
