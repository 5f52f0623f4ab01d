// Campaign files with update variants and ordered rules: the schema (TOML and the Kafka
// JSON form), the implicit "default" variant of plain campaigns, the new target criteria,
// and validation errors that name the field.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "actors/campaign_def.hpp"
#include "actors/engine_ports.hpp"
#include "actors/ota_packets.hpp"

namespace otaflow::actors {
namespace {

// docs/CAMPAIGNS.md's example.
constexpr const char* kMixed = R"(
id = "plmn-mixed"
[security]                      # inherited by variants without their own
spi = "1621"
kic = "15"
kid = "15"
tar = "B00010"
[target]
imsi_ranges = [["001010000000000", "001010000004999"], ["001020000000000", "001020000000999"]]
keysets = [1, 2]

[[variant]]
name = "uicc-3des"
[[variant.update.files]]
path = "3F00/7FFF/6F7B"
data = "00F110FFFFFF"

[[variant]]
name = "uicc-aes"
[variant.security]
spi = "1621"
kic = "22"
kid = "22"
tar = "B00010"
[[variant.update.files]]
path = "3F00/7FFF/6F7B"
data = "00F120FFFFFF"

[[variant]]
name = "usim-iot"
[variant.security]
spi = "1621"
kic = "15"
kid = "15"
tar = "B00011"
[variant.update]
format = "expanded"
[[variant.update.files]]
path = "3F00/7FFF/6F7B"
data = "00F130FFFFFF"

[[rule]]
skip = "lab cards keep their lists"
when = { subscription_type = "lab" }
[[rule]]
variant = "uicc-aes"
when = { attributes = { card_profile = "aes" }, keyset = 2 }
[[rule]]
variant = "usim-iot"
when = { subscription_type = "iot", imsi_range = ["001020000000000", "001020000000999"] }
[[rule]]
variant = "uicc-3des"
when = { imsi_prefix = "00101", file_not = { path = "3F00/7FFF/6F7B", data = "00F110FFFFFF" } }
)";

TEST(CampaignVariants, ParsesVariantsAndRules) {
  auto c = campaign_from_toml(kMixed);
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->variants.size(), 3u);
  EXPECT_EQ(c->variants[0].name, "uicc-3des");
  EXPECT_EQ(c->variants[0].security.kic, 0x15);  // inherited
  EXPECT_EQ(c->variants[0].security.tar, 0xB00010u);
  EXPECT_EQ(c->variants[1].security.kic, 0x22);
  EXPECT_EQ(c->variants[1].security.keyset(), 2);
  EXPECT_EQ(c->variants[2].security.tar, 0xB00011u);
  EXPECT_EQ(c->variants[2].update.format, script_format::expanded);
  EXPECT_EQ(to_hex(c->variants[1].update.files.at(0).data), "00f120ffffff");
  EXPECT_TRUE(c->update.files.empty());
  ASSERT_EQ(c->target.imsi_ranges.size(), 2u);
  EXPECT_EQ(c->target.imsi_ranges[1], (imsi_range{"001020000000000", "001020000000999"}));
  EXPECT_EQ(c->target.keysets, (std::vector<std::uint8_t>{1, 2}));

  ASSERT_EQ(c->rules.size(), 4u);
  EXPECT_EQ(c->rules[0].skip, "lab cards keep their lists");
  EXPECT_TRUE(c->rules[0].variant.empty());
  EXPECT_EQ(c->rules[0].when.attributes.at("subscription_type"), "lab");
  EXPECT_EQ(c->rules[1].variant, "uicc-aes");
  EXPECT_EQ(c->rules[1].when.attributes.at("card_profile"), "aes");
  EXPECT_EQ(c->rules[1].when.keysets, (std::vector<std::uint8_t>{2}));
  ASSERT_EQ(c->rules[2].when.imsi_ranges.size(), 1u);
  EXPECT_EQ(c->rules[2].when.imsi_ranges[0].last, "001020000000999");
  EXPECT_EQ(c->rules[3].when.imsi_prefix, "00101");
  ASSERT_EQ(c->rules[3].when.file_not.size(), 1u);
  EXPECT_EQ(c->rules[3].when.file_not[0].path,
            (std::vector<std::uint16_t>{0x3F00, 0x7FFF, 0x6F7B}));
  EXPECT_EQ(to_hex(c->rules[3].when.file_not[0].data), "00f110ffffff");
}

TEST(CampaignVariants, JsonFormRoundTripsAndIsTheSameSchema) {
  auto c = campaign_from_toml(kMixed);
  ASSERT_TRUE(c.ok()) << c.error().message;
  const auto j = to_json(*c);
  EXPECT_EQ(j["variant"].size(), 3u);
  EXPECT_EQ(j["rule"].size(), 4u);
  EXPECT_FALSE(j.contains("update"));
  auto again = campaign_from_json(j);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(to_json(*again).dump(), j.dump());
  // A Kafka "campaign" event written by hand.
  auto k = campaign_from_json(nlohmann::json::parse(R"({
    "id": "k1", "target": {"all": true},
    "variant": [{"name": "a", "security": {"spi": "1621", "kic": "15", "kid": "15", "tar": "B00010"},
                 "update": {"files": [{"path": "3F00/7FFF/6F7B", "data": "00F110FFFFFF"}]}},
                {"name": "b", "security": {"spi": "1621", "kic": "22", "kid": "22", "tar": "B00010"},
                 "update": {"files": [{"path": "3F00/7FFF/6F7B", "data": "00F120FFFFFF"}]}}],
    "rule": [{"variant": "b", "when": {"keysets": [2]}}, {"variant": "a"}]})"));
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->variants.size(), 2u);
  EXPECT_TRUE(k->rules[1].when.keysets.empty());
}

TEST(CampaignVariants, PlainCampaignIsOneImplicitDefaultVariant) {
  auto c = campaign_from_toml(R"(
id = "plain"
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
[[rule]]
variant = "default"
when = { file_not = { path = "3F00/7FFF/6F7B", data = "00F110FFFFFF" } }
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->variants.empty());
  const auto v = effective_variants(*c);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].name, "default");
  EXPECT_EQ(v[0].security.kic, 0x15);
  EXPECT_EQ(v[0].update.files.size(), 1u);
  ASSERT_EQ(c->rules.size(), 1u);
  EXPECT_FALSE(to_json(*c).contains("variant"));
}

TEST(CampaignVariants, PrepareBuildsOneScriptPerVariant) {
  auto c = campaign_from_toml(kMixed);
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto ctx = prepare_campaign(*c);
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  ASSERT_EQ((*ctx)->variants.size(), 3u);
  // SELECT 3F00, 7FFF, 6F7B + UPDATE BINARY: 4 commands each.
  for (const auto& v : (*ctx)->variants) EXPECT_EQ(v.commands, 4) << v.def.name;
  EXPECT_NE((*ctx)->variants[0].script, (*ctx)->variants[1].script);  // other data
  EXPECT_NE((*ctx)->variants[0].script, (*ctx)->variants[2].script);  // other format
  // Compact form (TS 102 226 §5.1.1): C-APDUs back to back; the last is the variant's
  // UPDATE BINARY.
  const auto s0 = to_hex((*ctx)->variants[0].script);
  const auto s1 = to_hex((*ctx)->variants[1].script);
  EXPECT_TRUE(s0.ends_with("00d600000600f110ffffff")) << s0;
  EXPECT_TRUE(s1.ends_with("00d600000600f120ffffff")) << s1;
  card_info card;
  card.variant = 1;
  EXPECT_EQ((*ctx)->variant_of(card).def.name, "uicc-aes");
  card.variant = 7;  // out of range: an empty default
  EXPECT_EQ((*ctx)->variant_of(card).commands, 0);
}

struct bad_case {
  const char* name;
  std::string toml;
  const char* message_part;
};

const std::string kHead = R"(
id = "v"
[security]
spi = "1621"
kic = "15"
kid = "15"
tar = "B00010"
[target]
all = true
)";
const std::string kA = R"(
[[variant]]
name = "a"
[[variant.update.files]]
path = "3F00/7FFF/6F7B"
data = "00F110FFFFFF"
)";
const std::string kB = R"(
[[variant]]
name = "b"
[[variant.update.files]]
path = "3F00/7FFF/6F7B"
data = "00F120FFFFFF"
)";

TEST(CampaignVariants, ErrorsNameTheField) {
  const std::vector<bad_case> cases = {
      {"unknown variant in a rule", kHead + kA + kB + "[[rule]]\nvariant = \"c\"\n",
       "'rule[0].variant': unknown variant 'c' (variants: a, b)"},
      {"duplicate names", kHead + kA + kA + "[[rule]]\nvariant = \"a\"\n",
       "'variant[1].name': duplicate variant name 'a'"},
      {"variant without update", kHead + "[[variant]]\nname = \"a\"\n",
       "'variant[0].update': missing table"},
      {"variant with an empty update", kHead + "[[variant]]\nname = \"a\"\n[variant.update]\n",
       "'variant[0].update': has nothing to send"},
      {"bad data in a variant",
       kHead +
           "[[variant]]\nname = \"a\"\n[[variant.update.files]]\npath = \"3F00\"\ndata = \"0G\"\n",
       "'variant[0].update.files[0].data'"},
      {"bad security in a variant",
       kHead + "[[variant]]\nname = \"a\"\n[variant.security]\nspi = \"16\"\nkic = \"15\"\n"
               "kid = \"15\"\ntar = \"B00010\"\n[[variant.update.files]]\npath = \"3F00\"\n"
               "data = \"00\"\n",
       "'variant[0].security.spi'"},
      {"no security to inherit", "id = \"v\"\n[target]\nall = true\n" + kA,
       "'variant[0].security': missing"},
      {"bad name", kHead + "[[variant]]\nname = \"a b\"\n", "'variant[0].name'"},
      {"top-level update beside variants",
       kHead + "[[update.files]]\npath = \"3F00\"\ndata = \"00\"\n" + kA,
       "'update': not allowed with [[variant]] tables"},
      {"two variants, no rules", kHead + kA + kB, "'rule': a campaign with 2 variants needs"},
      {"rule with variant and skip", kHead + kA + "[[rule]]\nvariant = \"a\"\nskip = \"x\"\n",
       "'rule[0]': needs either variant"},
      {"rule with neither", kHead + kA + "[[rule]]\nwhen = { keyset = 1 }\n",
       "'rule[0]': needs either variant"},
      {"unknown condition", kHead + kA + "[[rule]]\nvariant = \"a\"\nwhen = { colour = \"red\" }\n",
       "unknown field 'rule[0].when.colour'"},
      {"range of mixed lengths",
       kHead + kA + "[[rule]]\nvariant = \"a\"\nwhen = { imsi_range = [\"00101\", \"001019\"] }\n",
       "'rule[0].when.imsi_range': '00101' and '001019' differ in length"},
      {"range upside down",
       kHead + kA + "[[rule]]\nvariant = \"a\"\nwhen = { imsi_range = [\"00109\", \"00101\"] }\n",
       "is below"},
      {"keyset out of range", kHead + kA + "[[rule]]\nvariant = \"a\"\nwhen = { keyset = 16 }\n",
       "'rule[0].when.keyset'"},
      {"file condition without data",
       kHead + kA + "[[rule]]\nvariant = \"a\"\nwhen = { file_is = { path = \"3F00/6F07\" } }\n",
       "'rule[0].when.file_is': needs path and data"},
      {"target range",
       "id = \"v\"\n[security]\nspi = \"1621\"\nkic = \"15\"\nkid = \"15\"\n"
       "tar = \"B00010\"\n[target]\nimsi_ranges = [[\"1\", \"2\", \"3\"]]\n" +
           kA,
       "'target.imsi_ranges[0]'"},
      {"target keysets",
       "id = \"v\"\n[security]\nspi = \"1621\"\nkic = \"15\"\nkid = \"15\"\n"
       "tar = \"B00010\"\n[target]\nkeysets = []\n" +
           kA,
       "'target.keysets'"},
  };
  for (const auto& c : cases) {
    auto r = campaign_from_toml(c.toml, "t.toml");
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_NE(r.error().message.find(c.message_part), std::string::npos)
        << c.name << ": " << r.error().message;
  }
}

TEST(CampaignVariants, TargetAcceptsTheNewCriteriaAlone) {
  auto c = campaign_from_toml(R"(
id = "t"
[security]
spi = "1621"
kic = "15"
kid = "15"
tar = "B00010"
[target]
imsi_ranges = ["001010000000000", "001010000000099"]
iccid_prefix = "8988"
[[update.files]]
path = "3F00/7FFF/6F7B"
data = "00F110FFFFFF"
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->target.imsi_ranges.size(), 1u);  // one range without the outer list
  EXPECT_EQ(c->target.iccid_prefix, "8988");
  EXPECT_FALSE(c->target.all);
}

}  // namespace
}  // namespace otaflow::actors
