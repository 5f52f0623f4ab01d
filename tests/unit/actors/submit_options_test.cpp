// [policy.submit] (actors/submit_options.hpp): parsing, refusals naming the field, the canonical
// JSON round trip, the campaign file's table, and the submit_sm bytes the options give
// (SMPP 3.4 §4.4.1 field order, built by hand below).

#include "actors/submit_options.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "actors/campaign_def.hpp"
#include "base/bytes.hpp"
#include "codec/smpp34_pdu.hpp"

namespace otaflow::actors {
namespace {

using nlohmann::json;
namespace smpp = codec::smpp;

result<submit_options> parse(const char* text) {
  return parse_submit_options(json::parse(text), "policy.submit");
}

TEST(SubmitOptions, ParsesEveryKey) {
  auto o = parse(R"({"validity":"2h","priority":3,"source_addr":"8500","source_ton":"national",
                     "source_npi":"isdn","registered_delivery":"failure"})");
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->validity, std::chrono::seconds(7200));
  EXPECT_EQ(o->validity_period, "000000020000000R");
  EXPECT_EQ(o->priority, 3);
  EXPECT_EQ(o->source_addr, "8500");
  EXPECT_EQ(o->source_ton, 2);
  EXPECT_EQ(o->source_npi, 1);
  EXPECT_EQ(o->registered_delivery, 0x02);
  EXPECT_FALSE(o->empty());
  // Numbers for TON and NPI; days and plain seconds for validity.
  o = parse(R"({"validity":"1d","source_ton":5,"source_npi":0,"registered_delivery":"none"})");
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->validity_period, "000001000000000R");
  EXPECT_EQ(o->source_ton, 5);
  EXPECT_EQ(o->source_npi, 0);
  EXPECT_EQ(o->registered_delivery, 0x00);
  o = parse(R"({"validity":90})");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->validity_period, "000000000130000R");
  o = parse(R"({"validity":"90s"})");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->validity_period, "000000000130000R");
  o = parse(R"({"validity":"366d"})");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->validity_period, "010001000000000R");
  o = parse("{}");
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->empty());
}

TEST(SubmitOptions, RefusalsNameTheField) {
  const std::pair<const char*, const char*> rows[] = {
      {R"({"priority":4})", "field 'policy.submit.priority': must be an integer 0 to 3"},
      {R"({"priority":-1})", "field 'policy.submit.priority': must be an integer 0 to 3"},
      {R"({"priority":"1"})", "field 'policy.submit.priority': must be an integer 0 to 3"},
      {R"({"validity":0})", "field 'policy.submit.validity': must be between 1s and 366d, got 0"},
      {R"({"validity":"0s"})", "field 'policy.submit.validity': must be between 1s and 366d"},
      {R"({"validity":"367d"})", "field 'policy.submit.validity': must be between 1s and 366d"},
      {R"({"validity":"1500ms"})", "field 'policy.submit.validity': must be whole seconds"},
      {R"({"validity":"soon"})", "field 'policy.submit.validity': 'soon' is not a duration"},
      {R"({"validity":true})", "field 'policy.submit.validity': expected a duration"},
      {R"({"source_ton":7})", "field 'policy.submit.source_ton': 7 is not a defined value"},
      {R"({"source_ton":"martian"})", "field 'policy.submit.source_ton': unknown name 'martian'"},
      {R"({"source_npi":2})", "field 'policy.submit.source_npi': 2 is not a defined value"},
      {R"({"registered_delivery":"always"})",
       "field 'policy.submit.registered_delivery': unknown name 'always'"},
      {R"({"registered_delivery":1})",
       "field 'policy.submit.registered_delivery': expected \"final\""},
      {R"({"source_addr":""})", "field 'policy.submit.source_addr': expected a string of 1 to 20"},
      {R"({"source_addr":"123456789012345678901"})",
       "field 'policy.submit.source_addr': expected a string of 1 to 20"},
      {R"({"source_addr":"OperatorOTA1","source_ton":"alphanumeric"})",
       "field 'policy.submit.source_addr': an alphanumeric address has at most 11"},
      {R"({"valdity":"2h"})", "field 'policy.submit': unknown key 'valdity'"},
  };
  for (const auto& [text, want] : rows) {
    auto o = parse(text);
    ASSERT_FALSE(o.ok()) << text;
    EXPECT_EQ(o.error().message.rfind(want, 0), 0u) << text << " -> " << o.error().message;
  }
  auto o = parse_submit_options(json::array(), "routes.a.submit");
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().message, "field 'routes.a.submit': expected a table");
}

TEST(SubmitOptions, CanonicalJsonReadsBack) {
  auto o = parse(R"({"validity":"1d","priority":1,"source_addr":"OTA","source_ton":"alphanumeric",
                     "source_npi":"unknown","registered_delivery":"final"})");
  ASSERT_TRUE(o.ok());
  const auto j = submit_options_json(*o);
  EXPECT_EQ(j, json::parse(R"({"validity":86400,"priority":1,"source_addr":"OTA","source_ton":5,
                               "source_npi":0,"registered_delivery":"final"})"));
  auto back = parse_submit_options(j, "x");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, *o);
}

TEST(SubmitOptions, CampaignTableBothFrontDoors) {
  const char* toml = R"(id = "c-submit"
[security]
spi = "1621"
kic = "15"
kid = "15"
tar = "B00010"
[target]
all = true
[[update.files]]
path = "3F00/7FFF/6F7B"
data = "00F120FFFFFFFFFFFFFFFFFF"
[policy.submit]
validity = "2h"
priority = 2
registered_delivery = "failure"
)";
  auto c = campaign_from_toml(toml, "t.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->policy.submit.validity_period, "000000020000000R");
  EXPECT_EQ(c->policy.submit.priority, 2);
  EXPECT_FALSE(c->policy.submit.source_addr.has_value());
  auto again = campaign_from_json(to_json(*c));  // the Kafka form and what storage keeps
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->policy.submit, c->policy.submit);

  auto j = to_json(*c);
  j["policy"]["submit"]["priority"] = 4;
  auto bad = campaign_from_json(j);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.rfind("campaign field 'policy.submit.priority'", 0), 0u)
      << bad.error().message;
  // Without the table: nothing in the canonical form, the bind's settings stand.
  j["policy"].erase("submit");
  auto plain = campaign_from_json(j);
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->policy.submit.empty());
  EXPECT_FALSE(to_json(*plain)["policy"].contains("submit"));
}

// A submit_sm as the session builds it from a bind (source 8500 unknown/ISDN, receipt on final
// outcome), with the campaign's options applied: the bytes, field by field (§4.4.1).
std::string submit_hex(const submit_options& o) {
  smpp::submit_sm sm;
  sm.source_addr_ton = smpp::ton::unknown;
  sm.source_addr_npi = smpp::npi::isdn;
  sm.source_addr = "8500";
  sm.dest_addr_ton = smpp::ton::international;
  sm.dest_addr_npi = smpp::npi::isdn;
  sm.destination_addr = "31600000001";
  sm.esm_class = 0x40;
  sm.protocol_id = 0x7F;
  sm.registered_delivery = smpp::registered_delivery::receipt_final |
                           smpp::registered_delivery::intermediate_notification;
  sm.data_coding = 0xF6;
  sm.short_message = {0x02, 0x70, 0x00};
  apply_submit_options(o, sm);
  smpp::pdu p;
  p.sequence_number = 7;
  p.body = sm;
  auto b = smpp::encode(p);
  EXPECT_TRUE(b.ok());
  return b.ok() ? to_hex(*b) : "";
}

std::string hex_of(std::string_view text) {  // a C-octet string: the text, then NUL
  return to_hex(bytes(text.begin(), text.end())) + "00";
}

std::string expected(const char* ton_npi_src, const char* priority, const char* validity,
                     const char* registered) {
  std::string body = std::string("00") + ton_npi_src +      // service_type "", source
                     "0101" + hex_of("31600000001") +       // destination
                     "40" + "7f" + priority + "00" +        // esm_class, pid, priority, schedule
                     validity + registered + "00" + "f6" +  // replace_if_present, data_coding
                     "00" + "03" + "027000";                // sm_default_msg_id, sm_length, sm
  const auto len = 16 + body.size() / 2;
  char head[48];
  std::snprintf(head, sizeof head, "%08zx0000000400000000%08x", len, 7u);
  return head + body;
}

TEST(SubmitOptions, SubmitSmBytes) {
  // No options: the bind's settings, no validity (one NUL), priority 0.
  EXPECT_EQ(submit_hex({}), expected(("0001" + hex_of("8500")).c_str(), "00", "00", "11"));
  auto o = parse(R"({"validity":"2h","priority":3})");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(submit_hex(*o), expected(("0001" + hex_of("8500")).c_str(), "03",
                                     hex_of("000000020000000R").c_str(), "11"));
  o = parse(R"({"validity":"1d","source_addr":"OTA","source_ton":"alphanumeric",
                "source_npi":"unknown","registered_delivery":"failure"})");
  ASSERT_TRUE(o.ok());
  // The receipt bits change; the intermediate-notification bit stays the bind's.
  EXPECT_EQ(submit_hex(*o), expected(("0500" + hex_of("OTA")).c_str(), "00",
                                     hex_of("000001000000000R").c_str(), "12"));
  o = parse(R"({"validity":90,"registered_delivery":"none"})");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(submit_hex(*o), expected(("0001" + hex_of("8500")).c_str(), "00",
                                     hex_of("000000000130000R").c_str(), "10"));
}

}  // namespace
}  // namespace otaflow::actors
