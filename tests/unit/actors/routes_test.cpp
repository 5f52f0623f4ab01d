// SMSC routes (actors/routes.hpp): the match rules in order, mcc_mnc, and the table's checks.

#include "actors/routes.hpp"

#include <gtest/gtest.h>

namespace otaflow::actors {
namespace {

storage::subscriber card(std::string imsi, std::string msisdn,
                         std::map<std::string, std::string> attributes = {}) {
  storage::subscriber s;
  s.iccid = "8949000000000000001";
  s.imsi = std::move(imsi);
  s.msisdn = std::move(msisdn);
  s.attributes = std::move(attributes);
  return s;
}

route_def route(std::string name, std::vector<route_match> match = {},
                std::vector<std::string> fallback = {}) {
  route_def r;
  r.name = std::move(name);
  smpp_options o;
  o.system_id = "acct";
  r.binds = {o};
  r.match = std::move(match);
  r.fallback = std::move(fallback);
  return r;
}

TEST(route_match, EveryKeyGivenMustHold) {
  const route_match m{"26201", "49151", {{"mvno", "blue"}}};
  EXPECT_TRUE(m.matches(card("262010000000001", "4915100000001", {{"mvno", "blue"}})));
  EXPECT_FALSE(m.matches(card("262020000000001", "4915100000001", {{"mvno", "blue"}})));
  EXPECT_FALSE(m.matches(card("262010000000001", "4915200000001", {{"mvno", "blue"}})));
  EXPECT_FALSE(m.matches(card("262010000000001", "4915100000001", {{"mvno", "red"}})));
  EXPECT_FALSE(m.matches(card("262010000000001", "4915100000001")));
  EXPECT_TRUE(route_match{}.matches(card("1", "2")));
}

TEST(route_table, TheFirstRouteWhoseAnyEntryHoldsIsTheCardsRoute) {
  auto t = route_table::make({route("home", {{"26201", "", {}}, {"", "49160", {}}}, {"hub"}),
                              route("mvno", {{"26203", "", {}}}, {"hub"}), route("hub")});
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->route_of(card("262010000000001", "4917000000001")), 0);
  EXPECT_EQ(t->route_of(card("262990000000001", "4916000000001")), 0);  // second entry
  EXPECT_EQ(t->route_of(card("262030000000001", "4917000000001")), 1);
  EXPECT_EQ(t->route_of(card("208010000000001", "3360000000001")), 2);  // catch-all
  EXPECT_EQ(t->index_of("mvno"), 1);
  EXPECT_EQ(t->index_of("nope"), -1);
  EXPECT_EQ(t->fallbacks(0), (std::vector<std::size_t>{2}));
  EXPECT_EQ(t->all_binds().size(), 3u);
}

TEST(route_table, WithoutACatchAllACardMayMatchNoRoute) {
  auto t = route_table::make({route("home", {{"26201", "", {}}})});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->route_of(card("262020000000001", "1")), -1);
}

TEST(route_table, ChecksNameTheRouteAndField) {
  struct row {
    const char* name;
    std::vector<route_def> routes;
    const char* error;
  };
  auto no_binds = route("a");
  no_binds.binds.clear();
  auto bad_prefix = route("a", {{"26x01", "", {}}});
  const std::vector<row> rows = {
      {"none", {}, "no routes"},
      {"bad name", {route("a b")}, "name: 'a b' is not 1 to 64 of [A-Za-z0-9._-]"},
      {"duplicate", {route("a"), route("a")}, "route 'a': name: duplicate"},
      {"unknown fallback", {route("a", {}, {"b"})}, "route 'a': fallback: unknown route 'b'"},
      {"itself", {route("a", {}, {"a"})}, "route 'a': fallback: names the route itself"},
      {"twice", {route("a", {}, {"b", "b"}), route("b")}, "'b' listed twice"},
      {"cycle", {route("a", {}, {"b"}), route("b", {}, {"c"}), route("c", {}, {"a"})}, "(a cycle)"},
      {"no binds", {no_binds}, "route 'a': smsc: no binds"},
      {"imsi digits", {bad_prefix}, "route 'a' match[0]: imsi_prefix: digits expected"},
  };
  for (const auto& r : rows) {
    auto t = route_table::make(r.routes);
    ASSERT_FALSE(t.ok()) << r.name;
    EXPECT_NE(t.error().message.find(r.error), std::string::npos)
        << r.name << ": " << t.error().message;
  }
  // A chain without a cycle is fine.
  EXPECT_TRUE(route_table::make({route("a", {}, {"b"}), route("b", {}, {"c"}), route("c")}).ok());
}

TEST(mcc_mnc, TwoAndThreeDigitMncsAreImsiPrefixes) {
  EXPECT_EQ(mcc_mnc_prefix("262-01").value(), "26201");
  EXPECT_EQ(mcc_mnc_prefix("310-260").value(), "310260");
  EXPECT_EQ(mcc_mnc_prefix("26201").value(), "26201");
  for (const char* bad : {"262-1", "26-201", "262-0123", "abc-de", "", "2620"}) {
    auto p = mcc_mnc_prefix(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_NE(p.error().message.find(std::string("'") + bad + "'"), std::string::npos);
  }
}

TEST(route_table, SingleIsOneCatchAll) {
  auto t = route_table::single({smpp_options{}, smpp_options{}});
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t.routes()[0].name, "default");
  EXPECT_EQ(t.route_of(card("1", "2")), 0);
  EXPECT_EQ(t.all_binds().size(), 2u);
}

}  // namespace
}  // namespace otaflow::actors
