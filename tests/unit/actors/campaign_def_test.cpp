#include "actors/campaign_def.hpp"

#include <cctype>
#include <cmath>
#include <limits>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace otaflow::actors {
namespace {

// The example of the engine issue, verbatim.
constexpr const char* kIssueExample = R"(
id = "fplmn-2026q4"
[security]            # SCP80 parameters of the command packets
spi = "1621"
kic = "15"
kid = "15"
tar = "B00010"
[target]
all = true
[[update.files]]
path = "3F00/7FFF/6F7B"
data = "00F110FFFFFF"
[policy]
rate = 200
max_attempts = 3
por_timeout = "30s"
)";

TEST(CampaignDef, ParsesTheIssueExample) {
  auto c = campaign_from_toml(kIssueExample);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->id, "fplmn-2026q4");
  EXPECT_EQ(c->security.spi, 0x1621);
  EXPECT_EQ(c->security.kic, 0x15);
  EXPECT_EQ(c->security.kid, 0x15);
  EXPECT_EQ(c->security.tar, 0xB00010u);
  EXPECT_EQ(c->security.keyset(), 1);
  EXPECT_EQ(c->security.counter_skip, 100u);  // the default
  EXPECT_TRUE(c->target.all);
  ASSERT_EQ(c->update.files.size(), 1u);
  EXPECT_EQ(c->update.files[0].path, (std::vector<std::uint16_t>{0x3F00, 0x7FFF, 0x6F7B}));
  EXPECT_EQ(to_hex(c->update.files[0].data), "00f110ffffff");
  EXPECT_EQ(c->policy.rate, 200);
  EXPECT_EQ(c->policy.job.max_attempts, 3);
  EXPECT_EQ(c->policy.job.por_timeout, std::chrono::seconds(30));
}

TEST(CampaignDef, JsonRoundTrip) {
  auto c = campaign_from_toml(kIssueExample);
  ASSERT_TRUE(c.ok());
  auto again = campaign_from_json(to_json(*c));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(to_json(*again).dump(), to_json(*c).dump());
}

TEST(CampaignDef, CounterSkipParsedAndWritten) {
  std::string text = kIssueExample;
  text.replace(text.find("tar = \"B00010\""), 14, "tar = \"B00010\"\ncounter_skip = 5000");
  auto c = campaign_from_toml(text);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->security.counter_skip, 5000u);
  EXPECT_EQ(to_json(*c)["security"]["counter_skip"], 5000);
  auto again = campaign_from_json(to_json(*c));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->security.counter_skip, 5000u);
}

struct bad_case {
  const char* name;
  std::string toml;
  const char* message_part;
};

TEST(CampaignDef, ErrorsNameTheField) {
  const std::string base =
      "[target]\nall = true\n[[update.files]]\npath = \"3F00/6F7B\"\ndata = \"00\"\n";
  const std::string sec =
      "id = \"x\"\n[security]\nspi = \"1621\"\nkic = \"15\"\nkid = \"15\"\ntar = \"B00010\"\n";
  const bad_case cases[] = {
      {"bad spi",
       "id = \"x\"\n[security]\nspi = \"16G1\"\nkic = \"15\"\nkid = \"15\"\ntar = "
       "\"B00010\"\n[target]\nall = true\n[[update.files]]\npath = \"3F00\"\ndata = \"00\"\n",
       "security.spi"},
      {"short tar",
       "id = \"x\"\n[security]\nspi = \"1621\"\nkic = \"15\"\nkid = \"15\"\ntar = "
       "\"B0001\"\n[target]\nall = true\n[[update.files]]\npath = \"3F00\"\ndata = \"00\"\n",
       "security.tar"},
      {"missing security", "id = \"x\"\n" + base, "'security'"},
      {"typo", (sec + base + "[policy]\nmax_attempt = 3\n"), "unknown field 'policy.max_attempt'"},
      {"bad path",
       (sec + "[target]\nall = true\n[[update.files]]\npath = \"3F00/7FF\"\ndata = \"00\"\n"),
       "update.files[0].path"},
      {"odd data",
       (sec + "[target]\nall = true\n[[update.files]]\npath = \"3F00\"\ndata = \"0\"\n"),
       "update.files[0].data"},
      {"empty target", (sec + "[target]\n[[update.files]]\npath = \"3F00\"\ndata = \"00\"\n"),
       "selects nothing"},
      {"nothing to send", (sec + "[target]\nall = true\n[update]\n"), "nothing to send"},
      {"zero attempts", (sec + base + "[policy]\nmax_attempts = 0\n"), "policy.max_attempts"},
      {"bad duration", (sec + base + "[policy]\npor_timeout = \"30 parsecs\"\n"),
       "policy.por_timeout"},
      {"toml syntax", "id = \n", "campaign:1:"},
  };
  for (const auto& bc : cases) {
    auto c = campaign_from_toml(bc.toml);
    ASSERT_FALSE(c.ok()) << bc.name;
    EXPECT_NE(c.error().message.find(bc.message_part), std::string::npos)
        << bc.name << ": " << c.error().message;
  }
}

// ---- security level (issue 13) --------------------------------------------------------------

struct level_case {
  const char* spi;
  const char* update;   // TOML of [update]
  bool allow_insecure;  // in [security]
  const char* refused;  // nullptr: accepted; else a part of the error
};

const char* const file_update = "[[update.files]]\npath = \"3F00/7FFF/6F7B\"\ndata = \"00\"\n";
const char* const keys_update = "[update.keys]\nrotate = [\"ki\", \"opc\"]\n";
const char* const suci_update =
    "[update.suci]\nscheme = \"A\"\nkey_id = 2\npublic_key = "
    "\"5a8d38864820197c3394b92613b20b91633cbd897119273bf8e4a6f4eec0a650\"\n";
// A raw GlobalPlatform PUT KEY (CLA 80, INS D8) among other APDUs, and a READ BINARY (B0) only.
const char* const put_key_apdus = "[update]\napdus = [\"00A40000023F00\", \"80D8000103AABBCC\"]\n";
const char* const read_apdus = "[update]\napdus = [\"00B0000010\"]\n";

std::string level_toml(const level_case& lc) {
  std::string t = "id = \"x\"\n[security]\nspi = \"" + std::string(lc.spi) +
                  "\"\nkic = \"15\"\nkid = \"15\"\ntar = \"B00010\"\n";
  if (lc.allow_insecure) t += "allow_insecure = true\n";
  return t + "[target]\nall = true\n" + lc.update;
}

// SPI octet 1: b5-b4 counter, b3 ciphered, b2-b1 RC/CC/DS; octet 2: b6 SUBMIT, b5 PoR
// ciphered, b4-b3 PoR RC/CC/DS, b2-b1 PoR wanted (TS 102 225 §5.1.1).
const level_case level_cases[] = {
    // The default minimum: counter higher (or one higher) and a CC on commands.
    {"1621", file_update, false, nullptr},
    {"1629", file_update, false, nullptr},
    {"1A21", file_update, false, nullptr},  // counter exactly one higher
    {"1221", file_update, false, nullptr},  // not ciphered: still the minimum
    {"1602", file_update, false, nullptr},  // PoR only on error
    {"0000", file_update, false, "SPI 0000 is below the minimum security level"},
    {"0000", file_update, false, "counter not checked"},
    {"0000", file_update, false, "no CC on commands"},
    {"0621", file_update, false, "counter not checked"},  // no counter
    {"0E21", file_update, false, "counter not checked"},  // counter present, not checked
    {"1421", file_update, false, "no CC on commands"},    // ciphered only
    {"1521", file_update, false, "no CC on commands"},    // RC only
    {"0000", file_update, true, nullptr},
    {"0521", file_update, true, nullptr},
    // Key updates: ciphered commands and a PoR with a CC, allow_insecure or not.
    {"1629", keys_update, false, nullptr},
    {"1639", keys_update, false, nullptr},
    {"1609", keys_update, false, nullptr},  // PoR with CC in the DELIVER-REPORT
    {"1621", keys_update, false, "cannot carry a key update (update.keys)"},
    {"1621", keys_update, true, "PoR without CC or DS"},
    {"1631", keys_update, false, "PoR without CC or DS"},  // PoR ciphered only
    {"1625", keys_update, false, "PoR without CC or DS"},  // PoR with RC
    {"1229", keys_update, false, "commands not ciphered"},
    {"1229", keys_update, true, "commands not ciphered"},
    {"162A", keys_update, false, "no PoR on success"},  // PoR only on error
    {"0629", keys_update, false, "counter not checked"},
    {"0629", keys_update, true, nullptr},
    {"1621", suci_update, false, "cannot carry a key update (update.suci)"},
    {"1629", suci_update, false, nullptr},
    // A raw PUT KEY makes the campaign a key update: the same requirements as update.keys.
    {"1621", put_key_apdus, false, "cannot carry a key update (update.apdus: PUT KEY)"},
    {"1621", put_key_apdus, true, "PoR without CC or DS"},
    {"1229", put_key_apdus, true, "commands not ciphered"},
    {"1629", put_key_apdus, false, nullptr},
    {"1621", read_apdus, false, nullptr},
    // An SPI that does not decode (reserved bits) is refused at validation too.
    {"3621", file_update, false, "SPI 3621"},
};

TEST(CampaignDef, SecurityLevel) {
  for (const auto& lc : level_cases) {
    const auto label = std::string(lc.spi) + (lc.allow_insecure ? " insecure " : " ") + lc.update;
    auto c = campaign_from_toml(level_toml(lc));
    if (!lc.refused) {
      ASSERT_TRUE(c.ok()) << label << ": " << c.error().message;
      EXPECT_EQ(allows_insecure(*c), lc.allow_insecure) << label;
      // allow_insecure survives the JSON form (storage, Kafka campaign events).
      auto again = campaign_from_json(to_json(*c));
      ASSERT_TRUE(again.ok()) << label << ": " << again.error().message;
      EXPECT_EQ(again->security.allow_insecure, lc.allow_insecure) << label;
      continue;
    }
    ASSERT_FALSE(c.ok()) << label;
    EXPECT_NE(c.error().message.find(lc.refused), std::string::npos)
        << label << ": " << c.error().message;
    EXPECT_NE(c.error().message.find("security.spi"), std::string::npos) << c.error().message;
  }
}

// A variant's own security is checked and named; allow_insecure is per security table (a
// variant inheriting [security] inherits it).
TEST(CampaignDef, SecurityLevelPerVariant) {
  const std::string head =
      "id = \"v\"\n[security]\nspi = \"1621\"\nkic = \"15\"\nkid = \"15\"\ntar = "
      "\"B00010\"\n[target]\nall = true\n";
  const std::string a =
      "[[variant]]\nname = \"a\"\n[[variant.update.files]]\npath = "
      "\"3F00\"\ndata = \"00\"\n";
  auto weak = [](bool insecure) {
    return std::string(
               "[[variant]]\nname = \"b\"\n[variant.security]\nspi = \"0000\"\nkic = "
               "\"15\"\nkid = \"15\"\ntar = \"B00010\"\n") +
           (insecure ? "allow_insecure = true\n" : "") +
           "[[variant.update.files]]\npath = \"3F00\"\ndata = \"00\"\n";
  };
  const std::string rules =
      "[[rule]]\nvariant = \"a\"\nwhen = { keyset = 1 }\n[[rule]]\nvariant = \"b\"\n";
  auto refused = campaign_from_toml(head + a + weak(false) + rules);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("'variant[1].security.spi': SPI 0000"), std::string::npos)
      << refused.error().message;
  auto ok = campaign_from_toml(head + a + weak(true) + rules);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_TRUE(allows_insecure(*ok));
  EXPECT_FALSE(ok->security.allow_insecure);
  EXPECT_TRUE(ok->variants.at(1).security.allow_insecure);
}

// ---- [alerts] and the time fields of [policy] ----------------------------------------------

constexpr const char* kAlertsAndWindows = R"(
id = "fplmn-night"
[security]
spi = "1621"
kic = "15"
kid = "15"
tar = "B00010"
[target]
all = true
[[update.files]]
path = "3F00/7FFF/6F7B"
data = "00F110FFFFFF"
[policy]
not_before = "2026-12-01T00:00:00Z"
not_after = 2026-12-31T23:00:00+01:00
send_window = "22:00-06:00"
timezone = "+01:00"
[alerts]
min_cards = 100
window = 1000
por_error_rate = 0.05
undeliverable_rate = 0.10
timeout_rate = 0.2
throttle_rate = 0.50
pause_on_alert = true
)";

TEST(CampaignDef, AlertsDefaultOnWithoutSelfPause) {
  auto c = campaign_from_toml(kIssueExample);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->alerts, alert_policy{});
  EXPECT_TRUE(c->alerts.enabled);
  EXPECT_FALSE(c->alerts.pause_on_alert);
  EXPECT_TRUE(c->policy.time.unrestricted());
}

TEST(CampaignDef, ParsesAlertsAndTimeWindows) {
  auto c = campaign_from_toml(kAlertsAndWindows);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->alerts.pause_on_alert);
  EXPECT_EQ(c->alerts.min_cards, 100u);
  EXPECT_EQ(c->alerts.window, 1000u);
  EXPECT_DOUBLE_EQ(c->alerts.timeout_rate, 0.2);
  EXPECT_EQ(c->policy.time.not_before_ms, std::optional<std::int64_t>(1796083200000));
  // A TOML offset date-time (unquoted) is read the same as the string form.
  EXPECT_EQ(c->policy.time.not_after_ms, *parse_rfc3339("2026-12-31T22:00:00Z"));
  EXPECT_EQ(c->policy.time.window, (send_window{22 * 60, 6 * 60}));
  EXPECT_EQ(c->policy.time.utc_offset_min, 60);
  // The JSON front door (a Kafka "campaign" event) reads the canonical form back the same.
  const auto j = to_json(*c);
  EXPECT_EQ(j["policy"]["not_after"], "2026-12-31T22:00:00Z");
  EXPECT_EQ(j["policy"]["send_window"], "22:00-06:00");
  EXPECT_EQ(j["policy"]["timezone"], "+01:00");
  EXPECT_EQ(j["alerts"]["pause_on_alert"], true);
  auto again = campaign_from_json(j);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->alerts, c->alerts);
  EXPECT_EQ(again->policy.time, c->policy.time);
  EXPECT_EQ(to_json(*again).dump(), j.dump());
}

TEST(CampaignDef, JsonFrontDoorTakesTheSameFields) {
  auto j = to_json(*campaign_from_toml(kIssueExample));
  j["policy"]["send_window"] = "08:00-20:00";
  j["policy"]["timezone"] = "-05:00";
  j["alerts"] = {{"pause_on_alert", true}, {"min_cards", 10}, {"window", 50}};
  auto c = campaign_from_json(j);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->policy.time.window, (send_window{8 * 60, 20 * 60}));
  EXPECT_EQ(c->policy.time.utc_offset_min, -300);
  EXPECT_TRUE(c->alerts.pause_on_alert);
  EXPECT_EQ(c->alerts.window, 50u);
  EXPECT_DOUBLE_EQ(c->alerts.por_error_rate, 0.05);  // the default where not given
}

TEST(CampaignDef, AlertAndTimeErrorsNameTheField) {
  const std::string head = std::string(kIssueExample);
  const bad_case cases[] = {
      {"rate above 1", head + "[alerts]\npor_error_rate = 1.5\n", "alerts.por_error_rate"},
      {"min above window", head + "[alerts]\nmin_cards = 200\nwindow = 100\n", "alerts.min_cards"},
      {"alerts typo", head + "[alerts]\npause = true\n", "unknown field 'alerts.pause'"},
      {"pause not bool", head + "[alerts]\npause_on_alert = \"yes\"\n", "alerts.pause_on_alert"},
      {"bad not_before", head + "not_before = \"tomorrow\"\n", "policy.not_before"},
      {"after before before",
       head + "not_before = \"2026-12-02T00:00:00Z\"\nnot_after = \"2026-12-01T00:00:00Z\"\n",
       "policy.not_after"},
      {"bad window", head + "send_window = \"8-20\"\n", "policy.send_window"},
      {"bad timezone", head + "timezone = \"CET\"\n", "policy.timezone"},
  };
  for (const auto& bc : cases) {
    auto c = campaign_from_toml(bc.toml);
    ASSERT_FALSE(c.ok()) << bc.name;
    EXPECT_NE(c.error().message.find(bc.message_part), std::string::npos)
        << bc.name << ": " << c.error().message;
  }
}

TEST(CampaignDef, Durations) {
  EXPECT_EQ(parse_duration("30s")->count(), 30000);
  EXPECT_EQ(parse_duration("250ms")->count(), 250);
  EXPECT_EQ(parse_duration("2m")->count(), 120000);
  EXPECT_EQ(parse_duration("1.5")->count(), 1500);
  EXPECT_FALSE(parse_duration("fast").ok());
  EXPECT_FALSE(parse_duration("5d").ok());
}

// ---- every number finite and in range ------------------------------------------------------

// One bad value of one field, given in the JSON form (what a Kafka campaign event carries and
// what a TOML file becomes): the error names the field and shows the value.
struct bad_number {
  std::vector<std::string> path;  // into the campaign object
  nlohmann::json value;
  const char* shown;  // how the error shows the value
};

nlohmann::json set_at(nlohmann::json j, const std::vector<std::string>& path,
                      const nlohmann::json& v) {
  nlohmann::json* at = &j;
  for (const auto& k : path) {
    if (at->is_array()) {
      at = &(*at)[std::stoul(k)];
    } else {
      at = &(*at)[k];
    }
  }
  *at = v;
  return j;
}

TEST(CampaignDef, EveryNumberFiniteAndInRange) {
  auto base = campaign_from_toml(kIssueExample);
  ASSERT_TRUE(base.ok());
  auto j = to_json(*base);
  j["target"]["keysets"] = {1};
  j["update"]["files"][0]["offset"] = 0;
  j["security"]["cc_length"] = 8;
  ASSERT_TRUE(campaign_from_json(j).ok()) << campaign_from_json(j).error().message;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::uint64_t u64max = std::numeric_limits<std::uint64_t>::max();
  const std::int64_t i64min = std::numeric_limits<std::int64_t>::min();
  const std::vector<bad_number> table = {
      // policy.rate: 0.01..1e6 per second
      {{"policy", "rate"}, nan, "nan"},
      {{"policy", "rate"}, inf, "inf"},
      {{"policy", "rate"}, -inf, "-inf"},
      {{"policy", "rate"}, -1, "-1"},
      {{"policy", "rate"}, 0, "got 0"},
      {{"policy", "rate"}, 1e300, "1e+300"},
      // integers: window 1..1e6, max_attempts 1..100, max_resends 0..1000
      {{"policy", "window"}, nan, "nan"},
      {{"policy", "window"}, 1e300, "1e+300"},
      {{"policy", "window"}, u64max, "18446744073709551615"},
      {{"policy", "window"}, i64min, "-9223372036854775808"},
      {{"policy", "window"}, 2.5, "expected an integer, got 2.5"},
      {{"policy", "window"}, 0, "got 0"},
      {{"policy", "max_attempts"}, inf, "inf"},
      {{"policy", "max_attempts"}, 101, "got 101"},
      {{"policy", "max_attempts"}, -1, "got -1"},
      {{"policy", "max_resends"}, nan, "nan"},
      {{"policy", "max_resends"}, 4294967296.0, "4.29497e+09"},
      {{"policy", "max_resends"}, 65537, "got 65537"},
      // durations: por_timeout 1 ms..24 h, retry_backoff and retry_max 0..24 h
      {{"policy", "por_timeout"}, "nan", "'nan' is not a duration"},
      {{"policy", "por_timeout"}, "nans", "'nans' is not a duration"},
      {{"policy", "por_timeout"}, "inf", "'inf' is not a duration"},
      {{"policy", "por_timeout"}, "infinitys", "'infinitys' is not a duration"},
      {{"policy", "por_timeout"}, "1e30s", "'1e30s' is longer than 8784h"},
      {{"policy", "por_timeout"}, "1e300h", "'1e300h' is longer than"},
      {{"policy", "por_timeout"}, "-5s", "'-5s' is not a duration"},
      {{"policy", "por_timeout"}, "25h", "between 1ms and 24h, got '25h'"},
      {{"policy", "por_timeout"}, "0s", "between 1ms and 24h, got '0s'"},
      {{"policy", "por_timeout"}, 1e300, "got 1e+300"},
      {{"policy", "por_timeout"}, nan, "got nan"},
      {{"policy", "por_timeout"}, -1, "got -1"},
      {{"policy", "por_timeout"}, u64max, "got 18446744073709551615"},
      {{"policy", "retry_backoff"}, "nan", "'nan' is not a duration"},
      {{"policy", "retry_backoff"}, inf, "got inf"},
      {{"policy", "retry_backoff"}, 86401, "got 86401"},
      {{"policy", "retry_max"}, "1e30s", "'1e30s' is longer than"},
      {{"policy", "retry_max"}, -0.5, "got -0.5"},
      // [alerts]: window 1..1e6, min_cards 1..1e6, rates 0..1
      {{"alerts", "window"}, nan, "nan"},
      {{"alerts", "window"}, 1e7, "1e+07"},
      {{"alerts", "min_cards"}, -1, "got -1"},
      {{"alerts", "por_error_rate"}, nan, "nan"},
      {{"alerts", "undeliverable_rate"}, inf, "inf"},
      {{"alerts", "timeout_rate"}, -0.1, "-0.1"},
      {{"alerts", "throttle_rate"}, 1.5, "1.5"},
      // security.cc_length 4..16, target.keysets 0..15, update.files[].offset 0..32767
      {{"security", "cc_length"}, nan, "nan"},
      {{"security", "cc_length"}, 256, "got 256"},
      {{"security", "cc_length"}, 8.5, "8.5"},
      // security.counter_skip 1..1,000,000
      {{"security", "counter_skip"}, 0, "between 1 and 1000000, got 0"},
      {{"security", "counter_skip"}, 1000001, "got 1000001"},
      {{"security", "counter_skip"}, -5, "got -5"},
      {{"security", "counter_skip"}, 2.5, "expected an integer, got 2.5"},
      {{"security", "counter_skip"}, "100", "expected a number"},
      {{"target", "keysets", "0"}, inf, "inf"},
      {{"target", "keysets", "0"}, 16, "got 16"},
      {{"target", "keysets", "0"}, u64max, "18446744073709551615"},
      {{"update", "files", "0", "offset"}, nan, "nan"},
      {{"update", "files", "0", "offset"}, -1, "got -1"},
      {{"update", "files", "0", "offset"}, 32768, "got 32768"},
  };
  for (const auto& b : table) {
    std::string field;
    for (const auto& k : b.path) {
      if (std::isdigit(static_cast<unsigned char>(k[0]))) {
        field += "[" + k + "]";
      } else {
        field += (field.empty() ? "" : ".") + k;
      }
    }
    SCOPED_TRACE(field + " = " + b.value.dump());
    auto c = campaign_from_json(set_at(j, b.path, b.value));
    ASSERT_FALSE(c.ok());
    const std::string field_head = b.path[0] + "." + b.path[1];
    EXPECT_NE(c.error().message.find(field_head), std::string::npos) << c.error().message;
    EXPECT_NE(c.error().message.find(b.shown), std::string::npos) << c.error().message;
  }
}

// TOML's own nan and inf, and huge numbers, reach the same checks.
TEST(CampaignDef, TomlNanInfAndHugeValuesRefused) {
  const std::string head =
      std::string(kIssueExample).substr(0, std::string(kIssueExample).find("[policy]"));
  const std::pair<const char*, const char*> cases[] = {
      {"[policy]\npor_timeout = nan\n", "policy.por_timeout"},
      {"[policy]\npor_timeout = \"nan\"\n", "policy.por_timeout"},
      {"[policy]\npor_timeout = \"1e30s\"\n", "policy.por_timeout"},
      {"[policy]\npor_timeout = 1e300\n", "policy.por_timeout"},
      {"[policy]\nretry_max = -inf\n", "policy.retry_max"},
      {"[policy]\nrate = inf\n", "policy.rate"},
      {"[policy]\nwindow = 1e300\n", "policy.window"},
      {"[policy]\nmax_attempts = 9223372036854775807\n", "policy.max_attempts"},
      {"[alerts]\npor_error_rate = nan\n", "alerts.por_error_rate"},
  };
  for (const auto& [tail, field] : cases) {
    auto c = campaign_from_toml(head + tail);
    ASSERT_FALSE(c.ok()) << tail;
    EXPECT_NE(c.error().message.find(field), std::string::npos) << c.error().message;
  }
}

TEST(CampaignDef, DurationsParseFiniteAndBounded) {
  EXPECT_EQ(*parse_duration("500ms"), std::chrono::milliseconds(500));
  EXPECT_EQ(*parse_duration("1.5"), std::chrono::milliseconds(1500));
  EXPECT_EQ(*parse_duration("366h"), std::chrono::hours(366));
  EXPECT_EQ(*parse_duration("0"), std::chrono::milliseconds(0));
  EXPECT_EQ(*parse_duration("8784h"), max_duration);
  for (const char* bad : {"nan", "NaN", "inf", "infinity", "-inf", "1e30s", "8785h", "1e19ms",
                          "-1s", "", "s", "5 s", "5d"}) {
    EXPECT_FALSE(parse_duration(bad).ok()) << bad;
  }
  EXPECT_EQ(format_duration(std::chrono::hours(24)), "24h");
  EXPECT_EQ(format_duration(std::chrono::milliseconds(1)), "1ms");
  EXPECT_EQ(format_duration(std::chrono::milliseconds(0)), "0s");
}

}  // namespace
}  // namespace otaflow::actors
