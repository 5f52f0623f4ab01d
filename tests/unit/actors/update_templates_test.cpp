// Update templates (issue 17 part 2): readable [update.fplmn], [update.plmn_selector],
// [update.ehplmn], [update.spn], [update.smsp] and [update.acc] tables become file and record
// writes whose bytes are checked against hand-derived values (TS 31.102 clauses cited per
// case; the PLMN coding is TS 24.008 §10.5.1.3, docs/standards/update-templates.md), values
// that do not fit their file are refused when the campaign is read, both front doors read the
// same fields, and the packet factory gives each card its own EF.ACC for from_imsi.

#include "actors/update_templates.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "actors/campaign_def.hpp"
#include "actors/ota_packets.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

namespace otaflow::actors {
namespace {

const std::string kHead = R"(
id = "tpl"
[security]
spi = "1621"
kic = "15"
kid = "15"
tar = "B00010"
[target]
all = true
)";

result<campaign_def> parse(const std::string& update) {
  return campaign_from_toml(kHead + update);
}

// The one templated file (or record) write of a campaign, as upper-case hex.
std::string written(const update_def& u, const std::string& path) {
  for (const auto& w : templated_writes(u, "001010000000007"))
    if (w.path == path) return to_hex(w.data, hex_case::upper);
  return "<none at " + path + ">";
}

TEST(UpdateTemplates, FplmnPaddedToTheFileSize) {
  // §4.2.16: 3n octets, unused entries 'FFFFFF'; 262-01 is 62 F2 10 (MNC3 = F).
  auto c = parse("[update.fplmn]\nplmns = [\"262-01\", \"262-02\"]\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->update.files.size(), 1u);
  EXPECT_EQ(c->update.files[0].path, (std::vector<std::uint16_t>{0x3F00, 0x7FFF, 0x6F7B}));
  EXPECT_EQ(c->update.files[0].from_template, "update.fplmn");
  EXPECT_EQ(written(c->update, "3F00/7FFF/6F7B"), "62F21062F220FFFFFFFFFFFF");
}

TEST(UpdateTemplates, EmptyFplmnClearsTheFile) {
  auto c = parse("[update.fplmn]\nplmns = []\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(written(c->update, "3F00/7FFF/6F7B"), std::string(24, 'F'));
}

TEST(UpdateTemplates, EhplmnWithThreeDigitMnc) {
  // §4.2.84 codes entries as EF.FPLMN; 310-410: 13 00 14 (MNC3 = 0 in octet 2's high nibble).
  auto c = parse("[update.ehplmn]\nplmns = [\"262-01\", \"310-410\"]\nfile_size = 9\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(written(c->update, "3F00/7FFF/6FD9"), "62F210130014FFFFFF");
}

TEST(UpdateTemplates, OperatorPlmnSelectorWithAccessTechnologies) {
  // §4.2.53 / §4.2.5: PLMN then AcT; UTRAN 8000 + E-UTRAN 4000 + NG-RAN 0800 + GSM 0080 =
  // C880; the 40-octet file is padded with 'FFFFFF0000' entries.
  auto c = parse(R"([update.plmn_selector]
file = "oplmn"
entries = [{ plmn = "262-03", act = ["eutran", "utran", "gsm", "ngran"] },
           { plmn = "262-07", act = ["eutran"] }]
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  std::string want =
      "62F230C880"
      "62F2704000";
  for (int i = 0; i < 6; ++i) want += "FFFFFF0000";
  EXPECT_EQ(written(c->update, "3F00/7FFF/6F61"), want);
  auto user = parse(R"([update.plmn_selector]
file = "plmn"
entries = [{ plmn = "262-03", act = ["gsm"] }]
file_size = 10
)");
  ASSERT_TRUE(user.ok()) << user.error().message;
  EXPECT_EQ(written(user->update, "3F00/7FFF/6F60"), "62F2300080FFFFFF0000");
}

TEST(UpdateTemplates, SpnGsm7AndUcs2) {
  // §4.2.12: display condition (b1 = PLMN name required), then 16 octets of name: GSM 7-bit
  // unpacked ("Carrier" is its ASCII letters), or '80' + UCS2 big-endian; 'FF' padded.
  auto c = parse(R"([update.spn]
name = "Carrier"
display_condition = { plmn_name_required = true }
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(written(c->update, "3F00/7FFF/6F46"),
            "01436172726965"
            "72" +
                std::string(18, 'F'));
  auto u = parse(R"([update.spn]
name = "Ab"
coding = "ucs2"
display_condition = { spn_not_required_outside = true }
)");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(written(u->update, "3F00/7FFF/6F46"), "028000410062" + std::string(22, 'F'));
}

TEST(UpdateTemplates, SmspRecord) {
  // §4.2.27, record of 28 + 16: alpha "SMSC" 'FF' padded to 16; indicators E1 (0 = present:
  // b2 SCA, b3 PID, b4 DCS, b5 VP; b1 DA absent); TP-DA 12 x 'FF'; TS-SCA in the TS 24.011
  // form: 07 (octets) 91 94 71 02 00 00 00 then 'FF'; PID 00, DCS 00, VP A7 = 24 h
  // (TS 23.040 §9.2.3.12.1: 12 h + (167 - 143) x 30 min).
  auto c = parse(R"([update.smsp]
record = 1
service_centre = "+491720000000"
name = "SMSC"
pid = 0
dcs = 0
validity = "24h"
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->update.records.size(), 1u);
  EXPECT_EQ(c->update.records[0].record, 1);
  const std::string want = "534D5343" + std::string(24, 'F') + "E1" + std::string(24, 'F') +
                           "07919471020000 00FFFFFFFF" + "0000A7";
  std::string compact;
  for (char ch : want)
    if (ch != ' ') compact += ch;
  EXPECT_EQ(written(c->update, "3F00/7FFF/6F42#1"), compact);
}

TEST(UpdateTemplates, AccFixedAndFromImsi) {
  // §4.2.15: bit n of the 16-bit value = class n; classes 2 and 11: 08 04.
  auto c = parse("[update.acc]\nclasses = [2, 11]\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(written(c->update, "3F00/7FFF/6F78"), "0804");
  auto p = parse("[update.acc]\nfrom_imsi = true\n");
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->update.files.size(), 1u);
  EXPECT_EQ(p->update.files[0].per_card, per_card_data::acc_from_imsi);
  // The class of the last IMSI digit: 7 -> 00 80, 2 -> 00 04, 9 -> 02 00.
  EXPECT_EQ(to_hex(card_data(p->update.files[0], "262010000000007")), "0080");
  EXPECT_EQ(to_hex(card_data(p->update.files[0], "262010000000002")), "0004");
  EXPECT_EQ(to_hex(files_for_card(p->update, "262010000000009")[0].data), "0200");
}

TEST(UpdateTemplates, TooLargeForTheFileIsRefused) {
  // Five PLMNs need 15 octets; the profile's EF.FPLMN holds 12.
  auto c = parse(
      "[update.fplmn]\nplmns = [\"262-01\", \"262-02\", \"262-03\", \"262-04\", \"262-05\"]\n");
  ASSERT_FALSE(c.ok());
  const auto& m = c.error().message;
  for (const char* part :
       {"update.fplmn", "EF.FPLMN", "3F00/7FFF/6F7B", "holds 12", "need 15 octets", "card profile"})
    EXPECT_NE(m.find(part), std::string::npos) << part << " in " << m;
  // An explicit file_size makes room; one too small is named as such.
  auto big = parse(
      "[update.fplmn]\nplmns = [\"262-01\", \"262-02\", \"262-03\", \"262-04\", "
      "\"262-05\"]\nfile_size = 15\n");
  ASSERT_TRUE(big.ok()) << big.error().message;
  EXPECT_EQ(written(big->update, "3F00/7FFF/6F7B"), "62F21062F22062F23062F24062F250");
  auto small = parse("[update.ehplmn]\nplmns = [\"262-01\", \"262-02\"]\nfile_size = 3\n");
  ASSERT_FALSE(small.ok());
  EXPECT_NE(small.error().message.find("(file_size)"), std::string::npos) << small.error().message;
  auto sel = parse(R"([update.plmn_selector]
entries = [{ plmn = "262-01", act = ["gsm"] }, { plmn = "262-02", act = ["gsm"] }]
file_size = 5
)");
  ASSERT_FALSE(sel.ok());
  EXPECT_NE(sel.error().message.find("EF.OPLMNwAcT 3F00/7FFF/6F61 holds 5"), std::string::npos)
      << sel.error().message;
}

TEST(UpdateTemplates, RefusalsNameTheField) {
  struct row {
    const char* update;
    const char* want;
  };
  const row rows[] = {
      {"[update.fplmn]\nplmns = [\"262-01\", \"26201\"]\n",
       "'update.fplmn.plmns[1]': expected \"MCC-MNC\""},
      {"[update.fplmn]\nplmns = [\"26a-01\"]\n", "'update.fplmn.plmns[0]'"},
      {"[update.fplmn]\nplmns = [\"262-0123\"]\n", "'update.fplmn.plmns[0]'"},
      {"[update.fplmn]\nplmns = [\"262-01\"]\nfile_size = 10\n", "multiple of 3"},
      {"[update.fplmn]\nplmn = [\"262-01\"]\n", "unknown field 'update.fplmn.plmn'"},
      {"[update.spn]\nname = \"A name of 17 chars\"\n", "'update.spn.name': \"A name of 17"},
      {"[update.spn]\nname = \"Carrier\"\ncoding = \"utf8\"\n", "'update.spn.coding'"},
      {"[update.smsp]\nservice_centre = \"+49-172\"\n", "'update.smsp.service_centre'"},
      {"[update.smsp]\nservice_centre = \"+4917\"\nvalidity = \"7m\"\n",
       "'update.smsp.validity': 7m has no relative TP-VP"},
      {"[update.smsp]\nservice_centre = \"+4917\"\nname = \"Short Message Centre 1\"\n",
       "'update.smsp.name'"},
      {"[update.smsp]\nservice_centre = \"+4917\"\nrecord = 3\n", "'update.smsp.record'"},
      {"[update.acc]\nclasses = [10]\n", "'update.acc.classes[0]': access class 10"},
      {"[update.acc]\nclasses = [16]\n", "'update.acc.classes[0]'"},
      {"[update.acc]\nclasses = [1]\nfrom_imsi = true\n", "'update.acc': give either"},
      {"[update.plmn_selector]\nentries = [{ plmn = \"262-01\", act = [\"lte\"] }]\n",
       "unknown access technology \"lte\""},
      {"[update.plmn_selector]\nfile = \"hplmn\"\nentries = []\n", "'update.plmn_selector.file'"},
  };
  for (const auto& r : rows) {
    auto c = parse(r.update);
    ASSERT_FALSE(c.ok()) << r.update;
    EXPECT_NE(c.error().message.find(r.want), std::string::npos)
        << r.update << " -> " << c.error().message;
  }
}

TEST(UpdateTemplates, VariantErrorsNameTheVariant) {
  auto c = campaign_from_toml(kHead.substr(0, kHead.find("[target]")) + R"(
[target]
all = true
[[variant]]
name = "a"
[variant.update.fplmn]
plmns = ["x"]
)");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("'variant[0].update.fplmn.plmns[0]'"), std::string::npos)
      << c.error().message;
}

TEST(UpdateTemplates, JsonFrontDoorAndRoundTrip) {
  const std::string toml = R"([update.fplmn]
plmns = ["262-01"]
[update.plmn_selector]
file = "plmn"
entries = [{ plmn = "262-03", act = ["eutran", "gsm"] }]
[update.ehplmn]
plmns = ["262-02"]
[update.spn]
name = "Carrier"
[update.smsp]
record = 2
service_centre = "+491720000000"
validity = "12h"
[update.acc]
from_imsi = true
)";
  auto t = parse(toml);
  ASSERT_TRUE(t.ok()) << t.error().message;
  // The canonical JSON carries the templates, not their bytes, and reads back the same.
  const auto j = to_json(*t);
  EXPECT_FALSE(j["update"].contains("files")) << j["update"].dump();
  EXPECT_EQ(j["update"]["fplmn"]["plmns"], nlohmann::json::array({"262-01"}));
  EXPECT_EQ(j["update"]["smsp"]["validity"], "12h");
  auto back = campaign_from_json(j);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->update.templates, t->update.templates);
  EXPECT_EQ(to_json(*back).dump(), j.dump());
  ASSERT_EQ(back->update.files.size(), t->update.files.size());
  for (std::size_t i = 0; i < back->update.files.size(); ++i)
    EXPECT_EQ(back->update.files[i].data, t->update.files[i].data) << i;
  // A Kafka campaign event written by hand: the same fields, the same bytes.
  auto ev = nlohmann::json::parse(R"({"id": "tpl", "security": {"spi": "1621", "kic": "15",
    "kid": "15", "tar": "B00010"}, "target": {"all": true},
    "update": {"fplmn": {"plmns": ["262-01", "262-02"]}}})");
  auto e = campaign_from_json(ev);
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(written(e->update, "3F00/7FFF/6F7B"), "62F21062F220FFFFFFFFFFFF");
  ev["update"]["fplmn"]["plmns"].push_back("2620-1");
  auto bad = campaign_from_json(ev);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("'update.fplmn.plmns[2]'"), std::string::npos);
}

TEST(UpdateTemplates, RawFilesStayBesideTemplates) {
  auto c = parse(R"([[update.files]]
path = "3F00/7FFF/6F31"
data = "0A"
[update.acc]
classes = [3]
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->update.files.size(), 2u);
  EXPECT_TRUE(c->update.files[0].from_template.empty());
  const auto j = to_json(*c);
  ASSERT_EQ(j["update"]["files"].size(), 1u);  // the raw one; the template's is "acc"
  EXPECT_EQ(j["update"]["acc"]["classes"], nlohmann::json::array({3}));
}

// ---- the packet factory: each card its own EF.ACC ----------------------------------------

TEST(UpdateTemplates, FactoryGivesEachCardItsAcc) {
  storage::test::temp_dir dir;
  storage::db_options o;
  o.dir = dir.path();
  auto st = storage::state::open(o, storage::test::test_kek());
  ASSERT_TRUE(st.ok()) << st.error().message;
  auto backend = secure::make_openssl_backend();
  ota_packet_factory factory((*st)->counters(), *backend, st->get());
  auto def = campaign_from_toml(kHead + "[update.acc]\nfrom_imsi = true\n");
  ASSERT_TRUE(def.ok()) << def.error().message;
  def->security.spi = 0x1221;  // CC, counter higher, not ciphered: the script is readable
  auto ctx = prepare_campaign(*def);
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  ASSERT_EQ((*ctx)->variants.size(), 1u);
  EXPECT_EQ((*ctx)->variants[0].card_data_at.size(), 1u);
  std::vector<card_info> cards(2);
  const char* imsis[] = {"262010000000007", "262010000000002"};
  for (std::size_t i = 0; i < cards.size(); ++i) {
    cards[i].iccid = "894900000000000000" + std::to_string(i + 1);
    cards[i].imsi = imsis[i];
    cards[i].msisdn = "4917000000" + std::to_string(i + 1);
    cards[i].kic_key = *storage::secret::from(hex("11111111111111112222222222222222"));
    cards[i].kid_key = *storage::secret::from(hex("33333333333333334444444444444444"));
  }
  std::vector<package_request> reqs = {{1, &cards[0], ctx->get(), 0},
                                       {2, &cards[1], ctx->get(), 0}};
  auto out = factory.package(reqs);
  ASSERT_EQ(out.size(), 2u);
  // UPDATE BINARY (00 D6 00 00 02) with the card's two octets ends each script.
  const std::string want[] = {"00d60000020080", "00d60000020004"};
  for (std::size_t i = 0; i < 2; ++i) {
    ASSERT_TRUE(out[i].ok()) << out[i].error().message;
    ASSERT_EQ(out[i]->segments.size(), 1u);
    const auto ud = to_hex(out[i]->segments[0]);
    EXPECT_EQ(ud.substr(ud.size() - want[i].size()), want[i]) << ud;
  }
}

}  // namespace
}  // namespace otaflow::actors
