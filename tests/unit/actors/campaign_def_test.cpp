#include "actors/campaign_def.hpp"

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

struct bad_case {
  const char* name;
  std::string toml;
  const char* message_part;
};

TEST(CampaignDef, ErrorsNameTheField) {
  const std::string base = "[target]\nall = true\n[[update.files]]\npath = \"3F00/6F7B\"\ndata = \"00\"\n";
  const std::string sec = "id = \"x\"\n[security]\nspi = \"1621\"\nkic = \"15\"\nkid = \"15\"\ntar = \"B00010\"\n";
  const bad_case cases[] = {
      {"bad spi", "id = \"x\"\n[security]\nspi = \"16G1\"\nkic = \"15\"\nkid = \"15\"\ntar = \"B00010\"\n[target]\nall = true\n[[update.files]]\npath = \"3F00\"\ndata = \"00\"\n",
       "security.spi"},
      {"short tar", "id = \"x\"\n[security]\nspi = \"1621\"\nkic = \"15\"\nkid = \"15\"\ntar = \"B0001\"\n[target]\nall = true\n[[update.files]]\npath = \"3F00\"\ndata = \"00\"\n",
       "security.tar"},
      {"missing security", "id = \"x\"\n" + base, "'security'"},
      {"typo", (sec + base + "[policy]\nmax_attempt = 3\n"), "unknown field 'policy.max_attempt'"},
      {"bad path", (sec + "[target]\nall = true\n[[update.files]]\npath = \"3F00/7FF\"\ndata = \"00\"\n"),
       "update.files[0].path"},
      {"odd data", (sec + "[target]\nall = true\n[[update.files]]\npath = \"3F00\"\ndata = \"0\"\n"),
       "update.files[0].data"},
      {"empty target", (sec + "[target]\n[[update.files]]\npath = \"3F00\"\ndata = \"00\"\n"),
       "selects nothing"},
      {"nothing to send", (sec + "[target]\nall = true\n[update]\n"), "nothing to send"},
      {"zero attempts", (sec + base + "[policy]\nmax_attempts = 0\n"), "policy.max_attempts"},
      {"bad duration", (sec + base + "[policy]\npor_timeout = \"30 parsecs\"\n"), "policy.por_timeout"},
      {"toml syntax", "id = \n", "campaign:1:"},
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

}  // namespace
}  // namespace otaflow::actors
