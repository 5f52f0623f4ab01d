// Update variants end to end inside one process: a real profile repository (RocksDB) with a
// mixed fleet, the real cursor choosing each card's variant by the campaign's rules, the
// real job store, and the CAF engine with a fake packet factory and SMSC. Three variants
// each reach their cards with their keyset's keys and their script; two cards are skipped
// (no rule; keyset missing) without an SMS; the plan predicts the run's counts; the files
// written are recorded and a follow-up campaign's file_not rule skips those cards.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "actors/campaign_plan.hpp"
#include "actors/campaign_runner.hpp"
#include "actors/engine.hpp"
#include "actors/ota_packets.hpp"
#include "actors/storage_cursor.hpp"
#include "actors/storage_ports.hpp"
#include "tests/unit/actors/engine_fakes.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

namespace otaflow::actors {
namespace {

using storage::test::make_iccid;
using storage::test::temp_dir;

constexpr const char* kCampaign = R"(
id = "mixed"
[security]
spi = "1621"
kic = "15"
kid = "15"
tar = "B00010"
[target]
all = true
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
[[variant.update.files]]
path = "3F00/7FFF/6F7B"
data = "00F130FFFFFF"
[[rule]]
variant = "uicc-aes"
when = { card_profile = "aes" }
[[rule]]
variant = "usim-iot"
when = { subscription_type = "iot" }
[[rule]]
variant = "uicc-3des"
when = { imsi_prefix = "00101" }
[policy]
window = 4
retry_backoff = "10ms"
por_timeout = "2s"
)";

struct fleet_card {
  std::uint64_t serial;
  std::string imsi;
  std::map<std::string, std::string> attributes;
  std::vector<std::uint8_t> keysets;
  std::string expect;  // variant, or "" when skipped
};

// Keys that tell their card and keyset apart: 16 octets of (serial * 16 + keyset).
bytes key_for(std::uint64_t serial, std::uint8_t kvn) {
  return bytes(16, static_cast<std::uint8_t>(serial * 16 + kvn));
}

const std::vector<fleet_card> kFleet = {
    {1, "001010000000001", {{"card_profile", "aes"}}, {1, 2}, "uicc-aes"},
    {2, "001010000000002", {{"card_profile", "aes"}}, {1, 2}, "uicc-aes"},
    {3,
     "001020000000003",
     {{"card_profile", "aes"}, {"subscription_type", "iot"}},
     {2},
     "uicc-aes"},
    {4, "001010000000004", {{"subscription_type", "iot"}}, {1}, "usim-iot"},
    {5, "001030000000005", {{"subscription_type", "iot"}}, {1}, "usim-iot"},
    {6, "001010000000006", {}, {1}, "uicc-3des"},
    {7, "001010000000007", {{"subscription_type", "prepaid"}}, {1, 2}, "uicc-3des"},
    {8, "001010000000008", {{"card_profile", "aes"}}, {1}, ""},  // keyset 2 missing
    {9, "999990000000009", {}, {1}, ""},                         // no rule
};

void import(storage::state& st) {
  for (const auto& c : kFleet) {
    storage::subscriber s;
    s.iccid = make_iccid(c.serial);
    s.imsi = c.imsi;
    s.msisdn = "4670" + std::to_string(1000000 + c.serial);
    s.attributes = c.attributes;
    s.keyset_versions = c.keysets;
    ASSERT_TRUE(st.subscribers().put(s, false).ok());
    storage::card_keys k;
    for (auto v : c.keysets) {
      k.keysets[v] = {storage::secret::from(key_for(c.serial, v)).value(),
                      storage::secret::from(key_for(c.serial, v)).value(),
                      storage::secret::from(key_for(c.serial, v)).value()};
    }
    ASSERT_TRUE(st.keys().put(s.iccid, k, false).ok());
  }
}

// A variant sent below the minimum security level is named by the plan.
void expect_plan_names_insecure_variants(storage::state& st, const campaign_def& def) {
  auto weak = def;
  auto& v = weak.variants.at(1);
  v.security.spi = 0x0000;
  v.security.allow_insecure = true;
  auto wp = plan_campaign(st, weak);
  ASSERT_TRUE(wp.ok()) << wp.error().message;
  EXPECT_EQ(plan_json(*wp)["allow_insecure"], nlohmann::json::array({v.name + " (SPI 0000)"}));
  EXPECT_NE(plan_table(*wp).find("allow_insecure: variant " + v.name + " (SPI 0000)"),
            std::string::npos);
}

// Each card was packaged with its variant's script and its keyset's keys, and what it now
// holds is known to the engine; skipped cards got nothing.
void expect_each_card_got_its_variant(storage::state& st, const campaign_ctx& ctx,
                                      const fakes::fake_factory& factory,
                                      const fakes::fake_transport& tp) {
  const auto packaged = factory.cards();
  ASSERT_EQ(packaged.size(), 7u);
  for (const auto& c : kFleet) {
    const auto iccid = make_iccid(c.serial);
    auto job = st.jobs().get("mixed", iccid);
    ASSERT_TRUE(job.ok() && job->has_value()) << iccid;
    if (c.expect.empty()) {
      EXPECT_EQ(packaged.count(iccid), 0u) << iccid;
      EXPECT_EQ(tp.submits_to("4670" + std::to_string(1000000 + c.serial)), 0) << iccid;
      EXPECT_EQ((*job)->state, storage::job_state::skipped) << iccid;
      EXPECT_FALSE((*job)->reason.empty());
      auto known = st.card_files().get(iccid, "3F00/7FFF/6F7B");
      ASSERT_TRUE(known.ok());
      EXPECT_FALSE(known->has_value()) << iccid;
      continue;
    }
    const auto& seen = packaged.at(iccid);
    EXPECT_EQ(seen.variant, c.expect) << iccid;
    const auto& v = ctx.variants[seen.variant == "uicc-3des"  ? 0
                                 : seen.variant == "uicc-aes" ? 1
                                                              : 2];
    EXPECT_EQ(seen.script, v.script) << iccid;
    EXPECT_EQ(seen.keyset, v.def.security.keyset()) << iccid;
    EXPECT_EQ(seen.kic_key, key_for(c.serial, seen.keyset)) << iccid;
    EXPECT_EQ((*job)->state, storage::job_state::done) << iccid;
    EXPECT_EQ((*job)->variant, c.expect) << iccid;
    auto known = st.card_files().get(iccid, "3F00/7FFF/6F7B");
    ASSERT_TRUE(known.ok() && known->has_value()) << iccid;
    EXPECT_EQ((*known)->data, v.def.update.files[0].data) << iccid;
    EXPECT_EQ((*known)->campaign, "mixed");
  }
}

// A follow-up campaign only for cards whose EF_FPLMN is not known to hold 00F110FFFFFF:
// the two uicc-3des cards now are, so they are skipped.
void expect_follow_up_skips_cards_known_to_hold_the_file(storage::state& st) {
  auto follow = campaign_from_toml(R"(
id = "follow"
[security]
spi = "1621"
kic = "15"
kid = "15"
tar = "B00010"
[target]
keysets = [1]
[[update.files]]
path = "3F00/7FFF/6F7B"
data = "00F110FFFFFF"
[[rule]]
variant = "default"
when = { file_not = { path = "3F00/7FFF/6F7B", data = "00F110FFFFFF" } }
)");
  ASSERT_TRUE(follow.ok()) << follow.error().message;
  auto p2 = plan_campaign(st, *follow);
  ASSERT_TRUE(p2.ok()) << p2.error().message;
  EXPECT_EQ(p2->cards, 8u);  // card 3 holds keyset 2 only
  EXPECT_EQ(p2->skipped, 2u);
  EXPECT_EQ(p2->skip_reasons.at("no rule matches the card"), 2u);
  EXPECT_EQ(p2->skip_examples.at("no rule matches the card"),
            (std::vector<std::string>{make_iccid(6), make_iccid(7)}));
  EXPECT_EQ(p2->variants.at(0).send, 6u);
}

TEST(EngineVariants, EachVariantReachesItsCardsAndSkippedCardsCostNoSms) {
  temp_dir dir;
  auto st = storage::test::open_state(dir.path());
  ASSERT_TRUE(st);
  import(*st);
  auto def = campaign_from_toml(kCampaign);
  ASSERT_TRUE(def.ok()) << def.error().message;

  // The plan first: it sends nothing and predicts the run.
  auto plan = plan_campaign(*st, *def, 2);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->cards, 9u);
  EXPECT_EQ(plan->send, 7u);
  EXPECT_EQ(plan->skipped, 2u);
  ASSERT_EQ(plan->variants.size(), 3u);
  EXPECT_EQ(plan->variants[0].name, "uicc-3des");
  EXPECT_EQ(plan->variants[0].send, 2u);
  EXPECT_EQ(plan->variants[1].cards, 4u);
  EXPECT_EQ(plan->variants[1].send, 3u);
  EXPECT_EQ(plan->variants[1].skipped, 1u);
  EXPECT_EQ(plan->variants[1].examples,
            (std::vector<std::string>{make_iccid(1), make_iccid(2)}));  // at most 2, in order
  EXPECT_EQ(plan->variants[2].send, 2u);
  EXPECT_EQ(plan->skip_reasons.at("no rule matches the card"), 1u);
  EXPECT_EQ(
      plan->skip_reasons.at("variant 'uicc-aes' needs keyset 2, which the card does not hold"), 1u);
  EXPECT_EQ(plan->skip_examples.at("no rule matches the card"),
            (std::vector<std::string>{make_iccid(9)}));
  const auto pj = plan_json(*plan);
  EXPECT_EQ(pj["variants"]["usim-iot"]["cards"], 2);
  EXPECT_NE(plan_table(*plan).find("uicc-aes"), std::string::npos);
  EXPECT_EQ(pj["allow_insecure"], nlohmann::json::array());
  EXPECT_EQ(plan_table(*plan).find("allow_insecure"), std::string::npos);
  expect_plan_names_insecure_variants(*st, *def);

  auto ctx = prepare_campaign(*def);
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  fakes::fake_factory factory;
  factory.set_executed(4);  // the whole script: SELECT 3F00, 7FFF, 6F7B, UPDATE BINARY
  fakes::fake_transport tp;
  storage_job_store store(*st);
  fakes::fake_sink sink;
  campaign_summary s;
  {
    engine e({2, 64, 256, 3}, factory, tp, store, sink);
    auto r = e.run(*ctx, std::make_unique<subscriber_cursor>(*st, *def));
    ASSERT_TRUE(r.ok()) << r.error().message;
    s = *r;
  }
  EXPECT_EQ(s.cards, 9u);
  EXPECT_EQ(s.done, 7u);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(s.skipped, 2u);
  EXPECT_EQ(tp.submits(), 7);  // skipped cards cost no SMS
  ASSERT_EQ(s.variants.size(), 3u);
  EXPECT_EQ(s.variants.at("uicc-aes").cards, 4u);
  EXPECT_EQ(s.variants.at("uicc-aes").done, 3u);
  EXPECT_EQ(s.variants.at("uicc-aes").skipped, 1u);
  EXPECT_EQ(s.variants.at("usim-iot").done, 2u);
  EXPECT_EQ(s.variants.at("uicc-3des").done, 2u);
  EXPECT_EQ(s.skip_reasons.at("no rule matches the card"), 1u);
  // The plan said the same before.
  for (const auto& v : plan->variants) {
    EXPECT_EQ(s.variants.at(v.name).cards, v.cards) << v.name;
    EXPECT_EQ(s.variants.at(v.name).skipped, v.skipped) << v.name;
  }

  expect_each_card_got_its_variant(*st, **ctx, factory, tp);
  // Key version 8's card: the skip names the variant (its job carries it too).
  auto j8 = st->jobs().get("mixed", make_iccid(8));
  EXPECT_EQ((*j8)->variant, "uicc-aes");
  EXPECT_EQ((*j8)->reason, "variant 'uicc-aes' needs keyset 2, which the card does not hold");
  auto j9 = st->jobs().get("mixed", make_iccid(9));
  EXPECT_EQ((*j9)->variant, "");

  // Status events carry the variant; skipped cards have exactly one, terminal.
  {
    int skipped = 0;
    for (const auto& e : sink.events()) {
      if (e.iccid == make_iccid(4)) {
        EXPECT_EQ(e.variant, "usim-iot");
      }
      if (e.state == job_state::skipped) ++skipped;
      if (e.iccid == make_iccid(9)) {
        EXPECT_EQ(e.state, job_state::skipped);
      }
    }
    EXPECT_EQ(skipped, 2);
  }
  auto by_variant = st->jobs().count_by_variant("mixed");
  ASSERT_TRUE(by_variant.ok());
  EXPECT_EQ(by_variant->at("uicc-aes").at(storage::job_state::done), 3u);
  EXPECT_EQ(by_variant->at("").at(storage::job_state::skipped), 1u);

  expect_follow_up_skips_cards_known_to_hold_the_file(*st);
}

// The cursor reads a page's keys together: each card still gets its own keyset's keys, a
// keyset its record lists but whose keys are gone is skipped, and keys that do not open
// fail that card alone.
TEST(EngineVariants, CursorReadsEachCardsKeysetAndReportsMissingOrBadKeys) {
  temp_dir dir;
  auto st = storage::test::open_state(dir.path());
  ASSERT_TRUE(st);
  import(*st);
  auto def = campaign_from_toml(kCampaign);
  ASSERT_TRUE(def.ok()) << def.error().message;
  auto& db = st->database();
  auto moved = db.get(storage::column::keys, storage::key_store::keyset_row(make_iccid(3), 2));
  ASSERT_TRUE(moved.ok() && moved->has_value());
  rocksdb::WriteBatch w;
  w.Delete(db.handle(storage::column::keys), storage::key_store::keyset_row(make_iccid(2), 2));
  w.Put(db.handle(storage::column::keys), storage::key_store::keyset_row(make_iccid(1), 2),
        **moved);
  ASSERT_TRUE(db.commit(w, false).ok());

  subscriber_cursor cursor(*st, *def);
  std::vector<card_info> all;
  for (;;) {
    auto page = cursor.next(4);  // pages smaller than the fleet
    ASSERT_TRUE(page.ok()) << page.error().message;
    if (page->empty()) break;
    for (auto& c : *page) all.push_back(std::move(c));
  }
  ASSERT_EQ(all.size(), kFleet.size());
  for (std::size_t i = 0; i < kFleet.size(); ++i) {
    const auto& want = kFleet[i];
    const auto& c = all[i];
    ASSERT_EQ(c.iccid, make_iccid(want.serial));
    if (want.serial == 1) {
      EXPECT_NE(c.problem.find("cannot read the card's keys"), std::string::npos) << c.problem;
      EXPECT_TRUE(c.kic_key.empty());
    } else if (want.serial == 2) {
      EXPECT_EQ(c.skip, "variant 'uicc-aes' needs keyset 2, which the card does not hold");
    } else if (want.expect.empty()) {
      EXPECT_FALSE(c.skip.empty()) << c.iccid;
    } else {
      EXPECT_TRUE(c.problem.empty() && c.skip.empty()) << c.iccid;
      const auto kvn = want.expect == "uicc-aes" ? 2 : 1;
      EXPECT_EQ(to_hex(c.kic_key.view()), to_hex(key_for(want.serial, kvn))) << c.iccid;
      EXPECT_EQ(to_hex(c.kid_key.view()), to_hex(key_for(want.serial, kvn))) << c.iccid;
    }
  }
}

// The run summary's JSON carries the rejected PoRs, and allow_insecure when set.
TEST(CampaignSummary, PorRejectedAndAllowInsecure) {
  campaign_summary s;
  auto j = summary_json(s);
  EXPECT_EQ(j["por_rejected"], 0);
  EXPECT_FALSE(j.contains("allow_insecure"));
  s.por_rejected = 3;
  s.allow_insecure = true;
  j = summary_json(s);
  EXPECT_EQ(j["por_rejected"], 3);
  EXPECT_EQ(j["allow_insecure"], true);
}

}  // namespace
}  // namespace otaflow::actors
