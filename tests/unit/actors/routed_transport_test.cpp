// The transport over SMSC routes (actors/routed_transport.hpp) against in-process SMSC
// simulators over loopback TCP: a card's route while it is up, its fall-back once it has been
// down for down_after (submits waiting in it move too), its return, global bind numbers, and
// receipts and PoRs from every route reaching the one listener with route-qualified ids.

#include "actors/routed_transport.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sim/smsc_server.hpp"
#include "tests/unit/actors/engine_fakes.hpp"
#include "tests/unit/sim/smsc_fake_gateway.hpp"

namespace otaflow::actors {
namespace {

using namespace std::chrono_literals;
using fakes::patience;
using fakes::wait_until;
namespace simt = sim::testing;

class listener final : public transport_listener {
 public:
  void on_submitted(std::uint64_t tag, std::vector<std::string> ids) override {
    std::lock_guard lock(mu_);
    submitted_.emplace_back(tag, std::move(ids));
  }
  void on_submit_failed(std::uint64_t, std::uint32_t, std::string, bool) override {}
  void on_submit_lost(std::uint64_t) override {}
  void on_receipt(std::string id, std::uint8_t, std::string) override {
    std::lock_guard lock(mu_);
    receipts_.push_back(std::move(id));
  }
  void on_mo(std::string from, bytes) override {
    std::lock_guard lock(mu_);
    mo_.push_back(std::move(from));
  }
  void on_submit_outcome(std::uint64_t tag, std::size_t bind, submit_outcome) override {
    std::lock_guard lock(mu_);
    binds_.emplace_back(tag, bind);
  }
  std::optional<std::vector<std::string>> ids(std::uint64_t tag) const {
    std::lock_guard lock(mu_);
    for (const auto& [t, ids] : submitted_) {
      if (t == tag) return ids;
    }
    return std::nullopt;
  }
  std::optional<std::size_t> bind_of(std::uint64_t tag) const {
    std::lock_guard lock(mu_);
    for (const auto& [t, b] : binds_) {
      if (t == tag) return b;
    }
    return std::nullopt;
  }
  bool has_receipt(const std::string& id) const {
    std::lock_guard lock(mu_);
    return std::find(receipts_.begin(), receipts_.end(), id) != receipts_.end();
  }
  std::size_t mo_from(const std::string& msisdn) const {
    std::lock_guard lock(mu_);
    return static_cast<std::size_t>(std::count(mo_.begin(), mo_.end(), msisdn));
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::uint64_t, std::vector<std::string>>> submitted_;
  std::vector<std::string> receipts_, mo_;
  std::vector<std::pair<std::uint64_t, std::size_t>> binds_;
};

submit_request message(std::uint64_t tag, std::string msisdn, int route) {
  return submit_request{tag, std::move(msisdn), {bytes{0x02, 0x70, 0x00, 0xC0, 0xDE}}, route};
}

class routed_transport_sim : public ::testing::Test {
 protected:
  std::unique_ptr<sim::smsc_server> start(simt::fake_gateway& gw, std::uint16_t port = 0) {
    sim::smsc_config c;
    c.listen_host = "127.0.0.1";
    c.listen_port = port;
    c.workers = 1;
    c.accounts = {{"test", "test"}};  // smsc-sim has no default account
    auto s = std::make_unique<sim::smsc_server>(c, gw);
    auto st = s->start();
    EXPECT_TRUE(st.ok()) << st.error().message;
    return s;
  }

  static smpp_options bind_to(std::uint16_t port) {
    smpp_options o;
    o.host = "127.0.0.1";
    o.port = port;
    o.system_id = "test";
    o.password = "test";
    o.reconnect_min = 20ms;
    o.reconnect_max = 100ms;
    return o;
  }

  // "home" (its cards fall back to "hub" after `down_after`) and "hub".
  std::unique_ptr<routed_transport> routes(std::chrono::milliseconds down_after) {
    route_def home;
    home.name = "home";
    home.binds = {bind_to(home_->port())};
    home.match = {route_match{"26201", "", {}}};
    home.fallback = {"hub"};
    home.down_after = down_after;
    route_def hub;
    hub.name = "hub";
    hub.binds = {bind_to(hub_->port()), bind_to(hub_->port())};
    hub.down_after = down_after;
    auto table = route_table::make({home, hub});
    EXPECT_TRUE(table.ok()) << table.error().message;
    auto t = std::make_unique<routed_transport>(std::move(*table));
    t->set_listener(&listener_);
    auto s = t->wait_bound(5s);
    EXPECT_TRUE(s.ok()) << s.error().message;
    return t;
  }

  void TearDown() override {
    if (home_) home_->stop();
    if (hub_) hub_->stop();
  }

  listener listener_;
  simt::fake_gateway home_gw_, hub_gw_;
  std::unique_ptr<sim::smsc_server> home_, hub_;
};

TEST_F(routed_transport_sim, FallsBackWhileTheRouteIsDownAndReturnsWhenItIsBack) {
  home_ = start(home_gw_);
  hub_ = start(hub_gw_);
  const auto home_port = home_->port();
  auto t = routes(300ms);
  EXPECT_EQ(t->bind_name(0), "home:127.0.0.1:" + std::to_string(home_port) + "/0");
  EXPECT_EQ(t->route_of_bind(0), "home");
  EXPECT_EQ(t->route_of_bind(2), "hub");
  EXPECT_EQ(t->bind_stats().size(), 3u);

  t->submit(message(1, "4915100000001", 0));
  ASSERT_TRUE(wait_until([&] { return listener_.ids(1).has_value(); }, patience, "tag 1"));
  // The simulator answers the submit_sm before it delivers: wait for the card.
  ASSERT_TRUE(wait_until([&] { return home_gw_.calls() == 1; }, patience, "home delivery"));
  EXPECT_EQ(hub_gw_.calls(), 0u);
  EXPECT_EQ(listener_.bind_of(1), 0u);
  // Ids carry the route: each SMSC numbers its own.
  ASSERT_EQ(listener_.ids(1)->size(), 1u);
  EXPECT_EQ(listener_.ids(1)->front().rfind("home/", 0), 0u) << listener_.ids(1)->front();
  const auto id1 = listener_.ids(1)->front();
  ASSERT_TRUE(wait_until([&] { return listener_.has_receipt(id1); }, patience, "receipt " + id1));

  home_->stop();
  ASSERT_TRUE(wait_until([&] { return !t->routes_stats()[0].up; }, patience, "home down"));
  t->submit(message(2, "4915100000002", 0));
  ASSERT_TRUE(wait_until([&] { return listener_.ids(2).has_value(); }, patience, "tag 2"));
  ASSERT_TRUE(wait_until([&] { return hub_gw_.calls() == 1; }, patience, "hub delivery"));
  EXPECT_GE(*listener_.bind_of(2), 1u);  // a hub bind: global numbers
  EXPECT_EQ(listener_.ids(2)->front().rfind("hub/", 0), 0u) << listener_.ids(2)->front();

  // Back on the same port: its cards go out on it again.
  home_ = start(home_gw_, home_port);
  ASSERT_TRUE(wait_until([&] { return t->routes_stats()[0].bound; }, patience, "home bound"));
  t->submit(message(3, "4915100000003", 0));
  ASSERT_TRUE(wait_until([&] { return listener_.ids(3).has_value(); }, patience, "tag 3"));
  ASSERT_TRUE(wait_until([&] { return home_gw_.calls() == 2; }, patience, "home delivery 2"));
  EXPECT_EQ(hub_gw_.calls(), 1u);
  EXPECT_EQ(listener_.bind_of(3), 0u);

  const auto rs = t->routes_stats();
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].name, "home");
  EXPECT_TRUE(rs[0].up);
  EXPECT_EQ(rs[0].submitted, 2u);
  EXPECT_EQ(rs[0].accepted, 2u);
  EXPECT_EQ(rs[0].fallback_out, 1u);
  EXPECT_EQ(rs[1].submitted, 1u);
  EXPECT_EQ(rs[1].fallback_in, 1u);
  EXPECT_EQ(rs[1].accepted, 1u);

  // Receipts and PoRs of every route reach the listener; receipt ids are route-qualified
  // like the submit ids, so they match. (The restarted simulator numbers from 1 again: tag 3's
  // id is tag 1's, so home's receipts are counted.)
  const auto id2 = listener_.ids(2)->front();
  ASSERT_TRUE(wait_until([&] { return listener_.has_receipt(id2); }, patience, "receipt " + id2));
  ASSERT_TRUE(wait_until([&] { return t->routes_stats()[0].receipts == 2; }, patience,
                         "home's second receipt"));
  ASSERT_TRUE(wait_until([&] { return listener_.mo_from("4915100000002") == 1; }, patience,
                         "the PoR via the hub"));
  const auto after = t->routes_stats();
  EXPECT_EQ(after[1].receipts, 1u);
}

TEST_F(routed_transport_sim, SubmitsWaitingInADownRouteMoveToItsFallBack) {
  home_ = start(home_gw_);
  hub_ = start(hub_gw_);
  auto t = routes(1500ms);
  home_->stop();
  // Unbound but not down yet: the submit waits in the home route's session.
  ASSERT_TRUE(wait_until([&] { return !t->routes_stats()[0].bound; }, patience, "home unbound"));
  ASSERT_TRUE(t->routes_stats()[0].up);
  t->submit(message(7, "4915100000007", 0));
  EXPECT_EQ(t->routes_stats()[0].submitted, 1u);
  // Once down_after has passed, it goes out on the hub.
  ASSERT_TRUE(wait_until([&] { return listener_.ids(7).has_value(); }, patience, "tag 7"));
  ASSERT_TRUE(wait_until([&] { return hub_gw_.calls() == 1; }, patience, "hub delivery"));
  EXPECT_EQ(home_gw_.calls(), 0u);
  const auto rs = t->routes_stats();
  EXPECT_FALSE(rs[0].up);
  EXPECT_EQ(rs[0].reclaimed, 1u);
  EXPECT_EQ(rs[0].fallback_out, 1u);
  EXPECT_EQ(rs[1].fallback_in, 1u);
}

TEST_F(routed_transport_sim, StartsWithARouteDownWhenItsFallBackIsUpButNotWithoutOne) {
  home_ = start(home_gw_);
  hub_ = start(hub_gw_);
  const auto home_port = home_->port(), hub_port = hub_->port();
  home_->stop();  // nothing listens on home's port from here on
  route_def home;
  home.name = "home";
  home.binds = {bind_to(home_port)};
  home.fallback = {"hub"};
  route_def hub;
  hub.name = "hub";
  hub.binds = {bind_to(hub_port)};
  {
    auto table = route_table::make({home, hub});
    ASSERT_TRUE(table.ok());
    routed_transport t(std::move(*table));
    t.set_listener(&listener_);
    auto s = t.wait_bound(1s);
    EXPECT_TRUE(s.ok()) << s.error().message;  // home's cards start on the hub
    t.stop();
  }
  home_ = start(home_gw_, home_port);
  hub_->stop();
  {
    auto table = route_table::make({home, hub});
    ASSERT_TRUE(table.ok());
    routed_transport t(std::move(*table));
    t.set_listener(&listener_);
    auto s = t.wait_bound(1s);
    ASSERT_FALSE(s.ok());  // the hub has no fall-back
    EXPECT_EQ(s.error().message.rfind("route 'hub': ", 0), 0u) << s.error().message;
    t.stop();
  }
}

TEST_F(routed_transport_sim, WithNothingUpASubmitWaitsForItsOwnRoute) {
  home_ = start(home_gw_);
  hub_ = start(hub_gw_);
  const auto home_port = home_->port();
  auto t = routes(100ms);
  home_->stop();
  hub_->stop();
  ASSERT_TRUE(wait_until(
      [&] {
        const auto rs = t->routes_stats();
        return !rs[0].up && !rs[1].up;
      },
      patience, "both down"));
  t->submit(message(9, "4915100000009", 0));
  home_ = start(home_gw_, home_port);
  ASSERT_TRUE(wait_until([&] { return listener_.ids(9).has_value(); }, patience, "tag 9"));
  ASSERT_TRUE(wait_until([&] { return home_gw_.calls() == 1; }, patience, "home delivery"));
  EXPECT_EQ(t->routes_stats()[0].fallback_out, 0u);
}

}  // namespace
}  // namespace otaflow::actors
