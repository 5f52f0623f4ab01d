// Card profiles: the default (DESIGN.md), TOML loading with errors that name the key, and
// the minimum security level comparison.

#include <gtest/gtest.h>

#include "sim/card_profile.hpp"

namespace otaflow::sim {
namespace {

TEST(ota_profile, default_profile_serves_three_rfm_tars_and_ram) {
  const card_profile p = default_card_profile();
  ASSERT_NE(p.find(0xB00010), nullptr);
  EXPECT_EQ(p.find(0xB00010)->kind, app_kind::rfm_uicc);
  ASSERT_NE(p.find(0xB00011), nullptr);
  EXPECT_EQ(p.find(0xB00011)->kind, app_kind::rfm_usim);
  ASSERT_NE(p.find(0xB00001), nullptr);
  EXPECT_EQ(p.find(0xB00001)->kind, app_kind::rfm_usim);
  EXPECT_EQ(p.find(0xB00000), nullptr);
  ASSERT_NE(p.find(0x000000), nullptr);
  EXPECT_EQ(p.find(0x000000)->kind, app_kind::ram);
  EXPECT_EQ(to_hex(p.isd_aid), "a000000151000000");
  for (const auto& a : p.applications) {
    EXPECT_EQ(a.rights, access_level::adm);
    EXPECT_TRUE(a.keysets.empty());
    EXPECT_EQ(a.msl.spi1(), 0x02);
  }
}

TEST(ota_profile, toml_profile) {
  auto p = parse_card_profile(R"(
[card_profile]
name = "sja5-like"
por_cc_input = "without_udh"
max_report_ud = 120
sim_response_sw = true
envelope_status = 0x9300
adm1 = "12345678"
isd_aid = "A0000001510000AA"
isd_max_load_file = 4096
isd_status_limit = 64

[[card_profile.application]]
name = "usim"
tar = "B00011"
kind = "rfm_usim"
keysets = [1, 3]
msl = 0x16

[[card_profile.application]]
tar = "B00020-B0011F"
kind = "rfm_usim"
rights = "pin1"
msl = { counter = "one_higher", ciphered = true, integrity = "cc" }

[[card_profile.application]]
tar = "000000"
kind = "ram"
)");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->name, "sja5-like");
  EXPECT_EQ(p->por_cc_input, secure::por_cc_input::without_udh);
  EXPECT_EQ(p->max_report_ud, 120u);
  EXPECT_TRUE(p->sim_response_sw);
  EXPECT_EQ(p->envelope_status, 0x9300);
  EXPECT_EQ(p->adm1, "12345678");
  EXPECT_EQ(to_hex(p->isd_aid), "a0000001510000aa");
  EXPECT_EQ(p->isd.max_load_file, 4096u);
  EXPECT_EQ(p->isd.status_response_limit, 64u);
  ASSERT_EQ(p->applications.size(), 3u);
  EXPECT_EQ(p->find(0xB00010), nullptr);  // the list replaces the defaults
  const auto* usim = p->find(0xB00011);
  ASSERT_NE(usim, nullptr);
  EXPECT_EQ(usim->keysets, (std::vector<std::uint8_t>{1, 3}));
  EXPECT_TRUE(usim->allows_keyset(3));
  EXPECT_FALSE(usim->allows_keyset(2));
  EXPECT_EQ(usim->msl.counter, codec::counter_mode::higher);
  EXPECT_TRUE(usim->msl.ciphered);
  EXPECT_EQ(usim->msl.integrity, codec::integrity::cc);
  const auto* range = p->find(0xB00100);
  ASSERT_NE(range, nullptr);
  EXPECT_EQ(range->rights, access_level::pin1);
  EXPECT_EQ(range->msl.spi1(), 0x1E);
  EXPECT_EQ(range->name, "rfm_usim-B00020");
  EXPECT_EQ(p->find(0xB00120), nullptr);
  ASSERT_NE(p->find(0), nullptr);
  EXPECT_EQ(p->find(0)->kind, app_kind::ram);
}

TEST(ota_profile, errors_name_the_key) {
  const struct {
    const char* toml;
    const char* contains;
  } cases[] = {
      {"nme = 1", "unknown key 'nme'"},
      {"por_cc_input = \"udh\"", "por_cc_input"},
      {"max_report_ud = 500", "max_report_ud"},
      {"[[application]]\nkind = \"ram\"", "tar is required"},
      {"[[application]]\ntar = \"B0001\"", "6 hex digits"},
      {"[[application]]\ntar = \"B00020-B00010\"", "ends before it starts"},
      {"[[application]]\ntar = \"B00010\"\nkind = \"rfm\"", "kind"},
      {"[[application]]\ntar = \"B00010\"\nkeysets = [0]", "keysets"},
      {"[[application]]\ntar = \"B00010\"\nmsl = 0x80", "reserved bits"},
      {"[[application]]\ntar = \"B00010\"\nmsl = { counter = \"always\" }", "counter"},
      {"[[application]]\ntar = \"B00010\"\nrights = \"root\"", "rights"},
      {"isd_aid = \"A000\"", "isd_aid: 'A000' is not an AID"},
      {"isd_aid = \"zz\"", "isd_aid"},
      {"isd_status_limit = 8", "isd_status_limit"},
      {"isd_max_load_file = 0", "isd_max_load_file"},
      {"name = ", "TOML error at line 1"},
  };
  for (const auto& c : cases) {
    auto p = parse_card_profile(c.toml);
    ASSERT_FALSE(p.ok()) << c.toml;
    EXPECT_NE(p.error().message.find(c.contains), std::string::npos)
        << c.toml << " -> " << p.error().message;
  }
  EXPECT_EQ(load_card_profile("/nonexistent/profile.toml").error().code, make_error_code(errc::io));
}

TEST(ota_profile, minimum_security_level) {
  auto spi = [](std::uint16_t v) { return *codec::decode_spi(v); };
  const auto cc = *min_security_level::from_spi1(0x02);
  EXPECT_TRUE(meets(spi(0x0219), cc));
  EXPECT_TRUE(meets(spi(0x0319), cc));   // DS is above CC
  EXPECT_FALSE(meets(spi(0x0119), cc));  // RC is below
  EXPECT_FALSE(meets(spi(0x0419), cc));  // ciphered without CC
  const auto strict = *min_security_level::from_spi1(0x16);
  EXPECT_TRUE(meets(spi(0x1619), strict));
  EXPECT_TRUE(meets(spi(0x1E19), strict));   // one higher is stricter than higher
  EXPECT_FALSE(meets(spi(0x0E19), strict));  // no check
  EXPECT_FALSE(meets(spi(0x1219), strict));  // not ciphered
  EXPECT_EQ(strict.spi1(), 0x16);
  EXPECT_FALSE(min_security_level::from_spi1(0x20).ok());
}

}  // namespace
}  // namespace otaflow::sim
