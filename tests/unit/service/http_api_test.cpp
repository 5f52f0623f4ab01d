// The API's routes (service/http_api.*) over real TCP: control and its token, the dashboard's
// data and page, the views' answers without a state directory.
#include "service/http_api.hpp"

#include <httplib.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/metrics.hpp"

namespace otaflow::service {
namespace {

const std::string token = "s3cret-token-0123456789";

class HttpApi : public ::testing::Test {
 protected:
  void start(std::optional<std::string> tok, http_tokens more = {}) {
    api_context ctx;
    if (tok) ctx.tokens.push_back({"ops", *tok});
    for (auto& t : more) ctx.tokens.push_back(std::move(t));
    ctx.history = &history_;
    ctx.snapshot = [] {
      dashboard_snapshot s;
      s.mode = "run";
      s.instance = "t";
      dashboard_campaign c;
      c.id = "c1";
      c.status = "running";
      c.states[static_cast<std::size_t>(model::job_state::done)] = 7;
      s.campaigns.push_back(c);
      s.alerts.push_back({1'000, "critical", "c1", "PoR errors 60 %"});
      return s;
    };
    ctx.control = [this](const std::string& campaign, model::control_action action,
                         const model::control_origin& origin) -> result<std::string> {
      if (campaign == "unknown") return make_error(errc::not_found, "no campaign unknown");
      calls_.emplace_back(campaign + " " + std::string(model::to_string(action)));
      origins_.push_back(origin);
      return std::string("requested");
    };
    if (with_retry_) {
      ctx.retry = [this](const std::string& campaign, const std::string& reason,
                         const std::vector<std::string>& iccids,
                         const model::control_origin& origin) -> result<std::string> {
        origins_.push_back(origin);
        if (campaign == "gone") return make_error(errc::conflict, "campaign 'gone' is cancelled");
        std::string call = campaign + " retry '" + reason + "'";
        for (const auto& i : iccids) call += " " + i;
        calls_.push_back(call);
        return std::string("published");
      };
    }
    add_api_routes(server_, std::move(ctx));
    ASSERT_TRUE(server_.start("127.0.0.1:0"));
  }
  httplib::Result post(const std::string& path, const std::string& auth = {},
                       const std::string& body = "") {
    httplib::Client c("127.0.0.1", server_.port());
    httplib::Headers h;
    if (!auth.empty()) h.emplace("Authorization", auth);
    return c.Post(path, h, body, "application/json");
  }
  httplib::Result get(const std::string& path) {
    httplib::Client c("127.0.0.1", server_.port());
    return c.Get(path);
  }

  metrics::registry registry_;
  http_server server_{registry_};
  dashboard_history history_;
  std::vector<std::string> calls_;
  std::vector<model::control_origin> origins_;
  bool with_retry_ = true;
};

// Each operator's token has a name: the control call carries it, with the client's address,
// for the audit record (who asked).
TEST_F(HttpApi, ControlCarriesTheNameOfTheTokenThatAsked) {
  start(token, {{"ops-alice", "alice-token-0123456789"}, {"ops-bob", "bob-token-0123456789x"}});
  auto r = post("/api/v1/campaigns/c1/pause", "Bearer bob-token-0123456789x");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202);
  r = post("/api/v1/campaigns/c1/retry", "Bearer alice-token-0123456789");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202);
  r = post("/api/v1/campaigns/c1/resume", "Bearer " + token);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202);
  ASSERT_EQ(origins_.size(), 3u);
  EXPECT_EQ(origins_[0].by, "http");
  EXPECT_EQ(origins_[0].who, "ops-bob");
  EXPECT_EQ(origins_[0].from, "127.0.0.1");
  EXPECT_EQ(origins_[1].who, "ops-alice");
  EXPECT_EQ(origins_[2].who, "ops");
  // A token of no one is refused, and the names are in no answer.
  r = post("/api/v1/campaigns/c1/pause", "Bearer carol-token-0123456789");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(origins_.size(), 3u);
}

TEST_F(HttpApi, ControlNeedsTheBearerToken) {
  start(token);
  auto r = post("/api/v1/campaigns/c1/pause");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = post("/api/v1/campaigns/c1/pause", "Bearer wrong-token-0123456789");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_TRUE(calls_.empty());

  r = post("/api/v1/campaigns/c1/cancel", "Bearer " + token);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202);
  const auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["campaign"], "c1");
  EXPECT_EQ(j["action"], "cancel");
  EXPECT_EQ(j["result"], "requested");
  EXPECT_EQ(calls_, (std::vector<std::string>{"c1 cancel"}));
  // The token is in no answer.
  EXPECT_EQ(r->body.find(token), std::string::npos);

  r = post("/api/v1/campaigns/unknown/resume", "Bearer " + token);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  r = post("/api/v1/campaigns/c1/explode", "Bearer " + token);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);  // no such route
}

TEST_F(HttpApi, RetryTakesItsFilterFromTheBody) {
  start(token);
  auto r = post("/api/v1/campaigns/c1/retry");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = post("/api/v1/campaigns/c1/retry", "Bearer " + token);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202);
  EXPECT_EQ(nlohmann::json::parse(r->body),
            nlohmann::json::parse(R"({"campaign":"c1","action":"retry","result":"published"})"));
  r = post("/api/v1/campaigns/c1/retry", "Bearer " + token,
           R"({"reason":"PoR 01","iccids":["8988211000000000001","8988211000000000002"]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202);
  r = post("/api/v1/campaigns/c1/retry", "Bearer " + token, R"({"why":"x"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("unexpected field 'why'"), std::string::npos) << r->body;
  r = post("/api/v1/campaigns/c1/retry", "Bearer " + token, "[1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  r = post("/api/v1/campaigns/gone/retry", "Bearer " + token);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409);
  EXPECT_EQ(calls_,
            (std::vector<std::string>{
                "c1 retry ''", "c1 retry 'PoR 01' 8988211000000000001 8988211000000000002"}));
}

TEST_F(HttpApi, RetryRefusedWhereTheProcessCannotRetry) {
  with_retry_ = false;
  start(token);
  auto r = post("/api/v1/campaigns/c1/retry", "Bearer " + token);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409);
  EXPECT_NE(r->body.find("campaign run"), std::string::npos) << r->body;
  EXPECT_TRUE(calls_.empty());
}

TEST_F(HttpApi, WithoutATokenControlIsOff) {
  start(std::nullopt);
  auto r = post("/api/v1/campaigns/c1/pause", "Bearer " + token);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_TRUE(calls_.empty());
}

TEST_F(HttpApi, ServesThePageItsDataAndNoViewsWithoutState) {
  start(std::nullopt);
  auto page = get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("/assets/dashboard.js"), std::string::npos);
  auto js = get("/assets/dashboard.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(get("/assets/nope.js")->status, 404);

  auto d = get("/api/v1/dashboard");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->status, 200);
  const auto j = nlohmann::json::parse(d->body);
  EXPECT_EQ(j["campaigns"][0]["id"], "c1");
  EXPECT_EQ(j["totals"]["states"]["done"], 7);

  EXPECT_EQ(j["alerts"][0]["message"], "PoR errors 60 %");
  EXPECT_EQ(get("/api/v1/campaigns")->status, 404);
  EXPECT_EQ(get("/api/v1/campaigns/c1")->status, 404);
}

}  // namespace
}  // namespace otaflow::service
