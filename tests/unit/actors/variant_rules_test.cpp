// Update variants chosen per card: target criteria, rule conditions (table tests), the
// ordered first-match-wins selection, skipped cards and their reasons, and the FSM's
// `skipped` terminal state.

#include "actors/variant_rules.hpp"

#include <gtest/gtest.h>

#include "actors/subscriber_fsm.hpp"

namespace otaflow::actors {
namespace {

storage::subscriber card(std::string iccid, std::string imsi,
                         std::map<std::string, std::string> attrs,
                         std::vector<std::uint8_t> keysets) {
  storage::subscriber s;
  s.iccid = std::move(iccid);
  s.imsi = std::move(imsi);
  s.msisdn = "46701234567";
  s.attributes = std::move(attrs);
  s.keyset_versions = std::move(keysets);
  return s;
}

// What the engine "knows" in these tests: EF_FPLMN of one card holds 00F110FFFFFF.
known_file_fn known_files() {
  return [](std::string_view iccid,
            std::string_view path) -> result<std::optional<storage::known_file>> {
    if (iccid == "8988200000000000001" && path == "3F00/7FFF/6F7B") {
      return std::optional<storage::known_file>(
          storage::known_file{0, hex("00F110FFFFFF"), "c0", 1});
    }
    return std::optional<storage::known_file>();
  };
}

file_condition fplmn(std::string_view data, std::uint16_t offset = 0) {
  return {{0x3F00, 0x7FFF, 0x6F7B}, hex(data), offset};
}

TEST(VariantRules, ImsiRangeIsInclusiveAndNeedsTheSameLength) {
  const imsi_range r{"001010000000000", "001010000004999"};
  EXPECT_TRUE(in_range("001010000000000", r));
  EXPECT_TRUE(in_range("001010000004999", r));
  EXPECT_TRUE(in_range("001010000002500", r));
  EXPECT_FALSE(in_range("001010000005000", r));
  EXPECT_FALSE(in_range("00101000000499", r));    // 14 digits
  EXPECT_FALSE(in_range("0010100000049990", r));  // 16 digits
  EXPECT_FALSE(in_range("", r));
}

struct condition_row {
  const char* name;
  condition_def when;
  bool card1;  // 8988200000000000001, IMSI 001010000000001, aes, prepaid, keysets 1 2
  bool card2;  // 8988300000000000002, IMSI 001020000000002, 3des, iot, keyset 1
};

TEST(VariantRules, ConditionTable) {
  const auto c1 = card("8988200000000000001", "001010000000001",
                       {{"card_profile", "aes"}, {"subscription_type", "prepaid"}}, {1, 2});
  const auto c2 = card("8988300000000000002", "001020000000002",
                       {{"card_profile", "3des"}, {"subscription_type", "iot"}}, {1});
  const std::vector<condition_row> rows = {
      {"empty holds for every card", {}, true, true},
      {"attribute equal", {.attributes = {{"card_profile", "aes"}}}, true, false},
      {"attribute absent", {.attributes = {{"vendor", "x"}}}, false, false},
      {"two attributes, both needed",
       {.attributes = {{"card_profile", "aes"}, {"subscription_type", "iot"}}},
       false,
       false},
      {"imsi prefix", {.imsi_prefix = "00102"}, false, true},
      {"iccid prefix", {.iccid_prefix = "89882"}, true, false},
      {"imsi range", {.imsi_ranges = {{"001010000000000", "001010000000009"}}}, true, false},
      {"one of two ranges",
       {.imsi_ranges = {{"001010000000005", "001010000000009"},
                        {"001020000000000", "001020000000002"}}},
       false,
       true},
      {"keyset held", {.keysets = {2}}, true, false},
      {"every keyset held", {.keysets = {1, 2}}, true, false},
      {"keyset 1", {.keysets = {1}}, true, true},
      {"file known with that content", {.file_is = {fplmn("00F110FFFFFF")}}, true, false},
      {"file known, other content", {.file_is = {fplmn("00F120FFFFFF")}}, false, false},
      {"file known, other offset", {.file_is = {fplmn("00F110FFFFFF", 3)}}, false, false},
      {"file_not: known as that content", {.file_not = {fplmn("00F110FFFFFF")}}, false, true},
      {"file_not: unknown counts as not", {.file_not = {fplmn("00F120FFFFFF")}}, true, true},
      {"all fields together",
       {.attributes = {{"card_profile", "aes"}},
        .imsi_prefix = "00101",
        .keysets = {2},
        .file_not = {fplmn("00F120FFFFFF")}},
       true,
       false},
  };
  const auto files = known_files();
  for (const auto& r : rows) {
    auto h1 = condition_holds(r.when, c1, files);
    auto h2 = condition_holds(r.when, c2, files);
    ASSERT_TRUE(h1.ok() && h2.ok()) << r.name;
    EXPECT_EQ(*h1, r.card1) << r.name;
    EXPECT_EQ(*h2, r.card2) << r.name;
  }
}

TEST(VariantRules, FileLookupErrorsPropagate) {
  condition_def w;
  w.file_is = {fplmn("00")};
  known_file_fn broken = [](std::string_view,
                            std::string_view) -> result<std::optional<storage::known_file>> {
    return make_error(errc::io, "disk on fire");
  };
  auto h = condition_holds(w, card("8988200000000000001", "001010000000001", {}, {1}), broken);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().message.find("disk on fire"), std::string::npos);
}

TEST(VariantRules, TargetCriteria) {
  const auto c1 = card("8988200000000000001", "001010000000001", {{"vendor", "v1"}}, {1, 2});
  target_def t;
  t.all = true;
  EXPECT_TRUE(target_matches(t, c1));
  t.keysets = {3, 2};  // any of them
  EXPECT_TRUE(target_matches(t, c1));
  t.keysets = {3};
  EXPECT_FALSE(target_matches(t, c1));
  t.keysets.clear();
  t.imsi_ranges = {{"001010000000002", "001010000000009"}};
  EXPECT_FALSE(target_matches(t, c1));
  t.imsi_ranges = {{"001010000000000", "001010000000009"}};
  EXPECT_TRUE(target_matches(t, c1));
  t.attributes = {{"vendor", "v2"}};
  EXPECT_FALSE(target_matches(t, c1));
  t.attributes = {{"vendor", "v1"}};
  t.iccid_prefix = "8988";
  t.imsi_prefix = "001";
  EXPECT_TRUE(target_matches(t, c1));
  t.iccid_prefix = "8999";
  EXPECT_FALSE(target_matches(t, c1));
}

campaign_def three_variants() {
  campaign_def d;
  d.id = "mixed";
  d.target.all = true;
  auto v = [](std::string name, std::uint8_t kic) {
    variant_def x;
    x.name = std::move(name);
    x.security.kic = x.security.kid = kic;
    x.update.files.push_back({{0x3F00, 0x7FFF, 0x6F7B}, hex("00F110FFFFFF"), 0});
    return x;
  };
  d.variants = {v("uicc-3des", 0x15), v("uicc-aes", 0x22), v("usim", 0x15)};
  rule_def skip_lab;
  skip_lab.skip = "lab card";
  skip_lab.when.attributes = {{"subscription_type", "lab"}};
  rule_def aes;
  aes.variant = "uicc-aes";
  aes.when.attributes = {{"card_profile", "aes"}};
  rule_def iot;
  iot.variant = "usim";
  iot.when.attributes = {{"subscription_type", "iot"}};
  rule_def rest;
  rest.variant = "uicc-3des";
  rest.when.imsi_prefix = "00101";
  rest.when.file_not = {fplmn("00F110FFFFFF")};
  d.rules = {skip_lab, aes, iot, rest};
  return d;
}

TEST(VariantRules, FirstMatchingRuleWins) {
  const variant_selector sel(three_variants());
  ASSERT_EQ(sel.variants().size(), 3u);
  EXPECT_EQ(sel.variants()[1].keyset, 2);
  EXPECT_TRUE(sel.uses_files());
  const auto files = known_files();
  struct row {
    const char* name;
    storage::subscriber card;
    int variant;
    std::string skip;
  };
  const std::vector<row> rows = {
      {"aes profile with keyset 2",
       card("8988200000000000009", "001010000000009", {{"card_profile", "aes"}}, {1, 2}), 1, ""},
      {"aes before iot (order decides)",
       card("8988200000000000008", "001010000000008",
            {{"card_profile", "aes"}, {"subscription_type", "iot"}}, {2}),
       1, ""},
      {"iot", card("8988200000000000007", "001030000000007", {{"subscription_type", "iot"}}, {1}),
       2, ""},
      {"the rest of 00101", card("8988200000000000006", "001010000000006", {}, {1}), 0, ""},
      {"lab cards are skipped by a skip rule",
       card("8988200000000000005", "001010000000005",
            {{"subscription_type", "lab"}, {"card_profile", "aes"}}, {1, 2}),
       -1, "lab card"},
      {"no rule matches", card("8988200000000000004", "999990000000004", {}, {1}), -1,
       std::string(variant_selector::no_rule)},
      {"file already holds the update: no rule",
       card("8988200000000000001", "001010000000001", {}, {1}), -1,
       std::string(variant_selector::no_rule)},
      {"chosen variant's keyset missing",
       card("8988200000000000003", "001010000000003", {{"card_profile", "aes"}}, {1}), 1,
       "variant 'uicc-aes' needs keyset 2, which the card does not hold"},
  };
  for (const auto& r : rows) {
    auto c = sel.choose(r.card, files);
    ASSERT_TRUE(c.ok()) << r.name;
    EXPECT_EQ(c->variant, r.variant) << r.name;
    EXPECT_EQ(c->skip, r.skip) << r.name;
  }
}

TEST(VariantRules, WithoutRulesEveryCardGetsTheImplicitVariant) {
  campaign_def d;
  d.id = "plain";
  d.security.kic = d.security.kid = 0x15;
  const variant_selector sel(d);
  ASSERT_EQ(sel.variants().size(), 1u);
  EXPECT_EQ(sel.variants()[0].name, "default");
  EXPECT_FALSE(sel.uses_files());
  auto c = sel.choose(card("8988200000000000001", "001010000000001", {}, {1}), {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->variant, 0);
  EXPECT_TRUE(c->skip.empty());
  // A card without the campaign's keyset is skipped, not failed.
  c = sel.choose(card("8988200000000000002", "001010000000002", {}, {2}), {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->variant, 0);
  EXPECT_EQ(c->skip, "variant 'default' needs keyset 1, which the card does not hold");
}

TEST(VariantRules, SkipIsTerminalAndSendsNothing) {
  job_record j;
  job_policy p;
  auto acts = transition(j, ev_skip{"no rule matches the card"}, p, 1000);
  EXPECT_EQ(j.state, job_state::skipped);
  EXPECT_EQ(j.reason, "no rule matches the card");
  EXPECT_EQ(j.updated_ms, 1000);
  ASSERT_EQ(acts.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<act_persist>(acts[0]));
  EXPECT_TRUE(is_terminal(j.state));
  EXPECT_EQ(to_string(job_state::skipped), "skipped");
  EXPECT_EQ(job_state_from_string("skipped"), job_state::skipped);
  // Terminal: nothing moves it any more.
  EXPECT_TRUE(transition(j, ev_start{}, p, 2000).empty());
  EXPECT_TRUE(transition(j, ev_cancel{"x"}, p, 2000).empty());
  EXPECT_EQ(j.state, job_state::skipped);
  // A done job is never skipped afterwards.
  job_record done;
  done.state = job_state::done;
  EXPECT_TRUE(transition(done, ev_skip{"x"}, p, 1).empty());
  EXPECT_EQ(done.state, job_state::done);
}

}  // namespace
}  // namespace otaflow::actors
