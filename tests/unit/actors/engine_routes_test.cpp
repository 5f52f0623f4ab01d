// SMSC routes inside the engine: the real cursor over a real profile repository gives each card
// the route its IMSI selects (card_info::route, carried by submit_request), a card no route
// matches fails with a reason and costs no SMS, the plan counts cards per route, and the
// `accepted` status event names the route of the bind that took the message.

#include <map>
#include <mutex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "actors/campaign_plan.hpp"
#include "actors/engine.hpp"
#include "actors/ota_packets.hpp"
#include "actors/routes.hpp"
#include "actors/storage_cursor.hpp"
#include "actors/storage_ports.hpp"
#include "tests/unit/actors/engine_fakes.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

namespace otaflow::actors {
namespace {

using storage::test::make_iccid;
using storage::test::temp_dir;

constexpr const char* kCampaign = R"(
id = "routed"
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
window = 4
retry_backoff = "10ms"
por_timeout = "2s"
)";

// The fake SMSC, recording each submit's preferred route; its one bind belongs to "hub".
class routed_fake final : public transport {
 public:
  void set_listener(transport_listener* l) override { inner_.set_listener(l); }
  void submit(submit_request r) override {
    {
      std::lock_guard lock(mu_);
      routes_[r.dest_msisdn] = r.route;
    }
    inner_.submit(std::move(r));
  }
  std::string route_of_bind(std::size_t bind) const override { return bind == 0 ? "hub" : ""; }
  std::map<std::string, int> routes() const {
    std::lock_guard lock(mu_);
    return routes_;
  }

 private:
  fakes::fake_transport inner_;
  mutable std::mutex mu_;
  std::map<std::string, int> routes_;
};

std::string msisdn(std::uint64_t serial) {
  return "4670" + std::to_string(1000000 + serial);
}

TEST(EngineRoutes, EachCardTakesItsRouteAndAcceptedEventsNameTheBindsRoute) {
  temp_dir dir;
  auto st = storage::test::open_state(dir.path());
  ASSERT_TRUE(st);
  // Cards 1-3 of network 262-01, 4-5 of 262-02, 6 of neither.
  const std::map<std::uint64_t, std::string> imsis = {
      {1, "262010000000001"}, {2, "262010000000002"}, {3, "262010000000003"},
      {4, "262020000000004"}, {5, "262020000000005"}, {6, "208010000000006"}};
  for (const auto& [serial, imsi] : imsis) {
    storage::subscriber s;
    s.iccid = make_iccid(serial);
    s.imsi = imsi;
    s.msisdn = msisdn(serial);
    s.keyset_versions = {1};
    ASSERT_TRUE(st->subscribers().put(s, false).ok());
    storage::card_keys k;
    k.keysets[1] = {storage::secret::from(bytes(16, 1)).value(),
                    storage::secret::from(bytes(16, 2)).value(),
                    storage::secret::from(bytes(16, 3)).value()};
    ASSERT_TRUE(st->keys().put(s.iccid, k, false).ok());
  }
  std::vector<route_def> defs(2);
  defs[0].name = "home";
  defs[0].binds = {smpp_options{}};
  defs[0].match = {route_match{"26201", "", {}}};
  defs[0].fallback = {"other"};
  defs[1].name = "other";
  defs[1].binds = {smpp_options{}};
  defs[1].match = {route_match{"26202", "", {}}};
  auto routes = route_table::make(defs);
  ASSERT_TRUE(routes.ok()) << routes.error().message;
  auto def = campaign_from_toml(kCampaign);
  ASSERT_TRUE(def.ok()) << def.error().message;

  auto plan = plan_campaign(*st, *def, 3, &*routes);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->routes,
            (std::vector<std::pair<std::string, std::uint64_t>>{{"home", 3}, {"other", 2}}));
  EXPECT_EQ(plan->failure_reasons.at("no SMSC route matches the card"), 1u);
  EXPECT_EQ(plan_json(*plan)["routes"]["other"]["send"], 2);
  EXPECT_NE(plan_table(*plan).find("other"), std::string::npos);

  // The cursor gives each card its route; a card no route matches cannot be served (the
  // real packet factory fails it with that reason; the fake one here does not look).
  subscriber_cursor cursor(*st, *def, cursor_options{.load_keys = false, .routes = &*routes});
  auto cards = cursor.next(10);
  ASSERT_TRUE(cards.ok()) << cards.error().message;
  ASSERT_EQ(cards->size(), 6u);
  std::vector<int> seen;
  for (const auto& c : *cards) seen.push_back(c.route);
  EXPECT_EQ(seen, (std::vector<int>{0, 0, 0, 1, 1, -1}));
  EXPECT_EQ(cards->back().problem, "no SMSC route matches the card");
  EXPECT_TRUE(cards->front().problem.empty());

  auto ctx = prepare_campaign(*def);
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  fakes::fake_factory factory;
  factory.set_executed(4);
  routed_fake tp;
  storage_job_store store(*st);
  fakes::fake_sink sink;
  campaign_summary s;
  {
    engine e({2, 64, 256, 3}, factory, tp, store, sink);
    target_def five;
    for (std::uint64_t i = 1; i <= 5; ++i) five.iccids.push_back(make_iccid(i));
    auto r = e.run(*ctx, std::make_unique<subscriber_cursor>(*st, *def, five,
                                                             cursor_options{.routes = &*routes}));
    ASSERT_TRUE(r.ok()) << r.error().message;
    s = *r;
  }
  EXPECT_EQ(s.done, 5u);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(tp.routes(),
            (std::map<std::string, int>{
                {msisdn(1), 0}, {msisdn(2), 0}, {msisdn(3), 0}, {msisdn(4), 1}, {msisdn(5), 1}}));
  std::size_t accepted = 0;
  for (const auto& ev : sink.events()) {
    if (ev.state == job_state::accepted) {
      ++accepted;
      EXPECT_EQ(ev.route, "hub") << ev.iccid;
    } else {
      EXPECT_EQ(ev.route, "") << ev.iccid << " " << to_string(ev.state);
    }
  }
  EXPECT_EQ(accepted, 5u);
}

}  // namespace
}  // namespace otaflow::actors
