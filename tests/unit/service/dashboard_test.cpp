// The dashboard's JSON (service/dashboard.*) and its embedded page (service/dashboard_assets.*).
#include "service/dashboard.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "service/dashboard_assets.hpp"

namespace otaflow::service {
namespace {

using model::job_state;

dashboard_campaign campaign(std::string id, std::string status, std::uint64_t queued,
                            std::uint64_t accepted, std::uint64_t done, std::uint64_t failed) {
  dashboard_campaign c;
  c.id = std::move(id);
  c.status = std::move(status);
  c.states[static_cast<std::size_t>(job_state::queued)] = queued;
  c.states[static_cast<std::size_t>(job_state::accepted)] = accepted;
  c.states[static_cast<std::size_t>(job_state::done)] = done;
  c.states[static_cast<std::size_t>(job_state::failed)] = failed;
  return c;
}

dashboard_snapshot at(std::int64_t now_ms, std::vector<dashboard_campaign> campaigns) {
  dashboard_snapshot s;
  s.instance = "ota-a";
  s.mode = "serve";
  s.started_ms = 1'000;
  s.now_ms = now_ms;
  s.campaigns = std::move(campaigns);
  return s;
}

TEST(dashboard, SeriesRatesAndEtaComeFromTheSamples) {
  dashboard_history h;
  h.sample(at(10'000, {campaign("c1", "running", 900, 100, 0, 0)}));
  h.sample(at(12'000, {campaign("c1", "running", 500, 100, 390, 10)}));
  auto s = at(14'000, {campaign("c1", "running", 100, 100, 780, 20)});
  h.sample(s);
  const auto j = nlohmann::json::parse(h.render(s));

  EXPECT_EQ(j["instance"], "ota-a");
  EXPECT_EQ(j["totals"]["cards"], 1000);
  EXPECT_EQ(j["totals"]["states"]["done"], 780);
  EXPECT_EQ(j["series"]["t_ms"], nlohmann::json::parse("[10000,12000,14000]"));
  EXPECT_EQ(j["series"]["states"]["queued"], nlohmann::json::parse("[900,500,100]"));
  // 400 cards finished in each 2 s step.
  EXPECT_EQ(j["series"]["finished_per_s"], nlohmann::json::parse("[0.0,200.0,200.0]"));
  const auto& c = j["campaigns"][0];
  EXPECT_EQ(c["cards"], 1000);
  EXPECT_DOUBLE_EQ(c["rate_per_s"].get<double>(), 200.0);  // 800 in 4 s
  EXPECT_DOUBLE_EQ(c["eta_s"].get<double>(), 1.0);         // 200 left at 200/s
}

TEST(dashboard, APausedCampaignHasNoEtaAndAFinishedOneZero) {
  dashboard_history h;
  h.sample(at(0, {campaign("p", "paused", 10, 0, 0, 0), campaign("f", "running", 0, 0, 5, 0)}));
  auto s = at(1'000, {campaign("p", "paused", 10, 0, 0, 0), campaign("f", "running", 0, 0, 5, 0)});
  h.sample(s);
  const auto j = nlohmann::json::parse(h.render(s));
  EXPECT_TRUE(j["campaigns"][0]["eta_s"].is_null());
  EXPECT_EQ(j["campaigns"][1]["eta_s"], 0);
}

TEST(dashboard, KnownTargetsSetTheCardsAndTheEta) {
  dashboard_history h;
  auto c = campaign("c1", "running", 0, 100, 400, 0);
  c.targets = 2000;
  h.sample(at(0, {c}));
  c.states[static_cast<std::size_t>(job_state::done)] = 800;
  auto s = at(2'000, {c});
  h.sample(s);
  const auto j = nlohmann::json::parse(h.render(s));
  EXPECT_EQ(j["campaigns"][0]["cards"], 2000);
  EXPECT_EQ(j["totals"]["cards"], 2000);
  EXPECT_DOUBLE_EQ(j["campaigns"][0]["rate_per_s"].get<double>(), 200.0);
  EXPECT_DOUBLE_EQ(j["campaigns"][0]["eta_s"].get<double>(), 6.0);  // 1200 left at 200/s
}

TEST(dashboard, HistoryKeepsItsCapacityAndForgetsRemovedCampaigns) {
  dashboard_history h(3);
  for (int i = 0; i < 5; ++i) h.sample(at(i * 1'000, {campaign("c", "running", 1, 0, 0, 0)}));
  auto s = at(5'000, {});
  h.sample(s);
  const auto j = nlohmann::json::parse(h.render(s));
  EXPECT_EQ(j["series"]["t_ms"], nlohmann::json::parse("[3000,4000,5000]"));
  EXPECT_TRUE(j["campaigns"].empty());
}

TEST(dashboard, FailuresAreSortedAndCutAndBadUtf8IsReplaced) {
  dashboard_history h;
  auto s = at(0, {});
  for (int i = 0; i < 30; ++i) s.failures.emplace_back("reason " + std::to_string(i), i);
  s.failures.emplace_back("card said \xff\xfe <b>", 100);
  s.por = {{0x00, 7}, {0x0a, 2}};
  s.latency_le = {0.5, 1};
  s.latency_counts = {1, 2, 3};
  const auto j = nlohmann::json::parse(h.render(s));
  ASSERT_EQ(j["failures"].size(), 20u);
  EXPECT_EQ(j["failures"][0]["count"], 100);
  EXPECT_EQ(j["failures"][0]["reason"], "card said \xef\xbf\xbd\xef\xbf\xbd <b>");
  EXPECT_EQ(j["failures"][1]["reason"], "reason 29");
  EXPECT_EQ(j["por"], nlohmann::json::parse(R"({"00":7,"0a":2})"));
  EXPECT_EQ(j["latency"]["counts"], nlohmann::json::parse("[1,2,3]"));
}

TEST(dashboard, ThePageAndItsAssetsAreEmbedded) {
  const auto* page = find_dashboard_asset("/");
  ASSERT_NE(page, nullptr);
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  for (std::string_view asset : {"/assets/dashboard.css", "/assets/dashboard.js"}) {
    EXPECT_NE(page->body.find(asset), std::string_view::npos) << asset;
    const auto* a = find_dashboard_asset(asset);
    ASSERT_NE(a, nullptr) << asset;
    EXPECT_GT(a->body.size(), 1000u) << asset;
  }
  EXPECT_NE(find_dashboard_asset("/assets/dashboard.js")->body.find("/api/v1/dashboard"),
            std::string_view::npos);
  EXPECT_EQ(find_dashboard_asset("/nope"), nullptr);
}

}  // namespace
}  // namespace otaflow::service
