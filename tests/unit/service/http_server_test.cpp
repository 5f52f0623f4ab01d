#include "service/http_server.hpp"

#include <httplib.h>

#include <atomic>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace otaflow::service {
namespace {

TEST(HttpListen, ParsesHostAndPortAndRefusesBadOnes) {
  auto a = parse_listen("127.0.0.1:9464");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9464);
  auto b = parse_listen("[::1]:0");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 0);
  auto c = parse_listen(":80");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "127.0.0.1");
  for (const char* bad : {"localhost", "h:", "h:x1", "h:65536", "h:-1"}) {
    auto r = parse_listen(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
  }
}

class HttpServer : public ::testing::Test {
 protected:
  void SetUp() override {
    reg_.add([this](metrics::writer& w) {
      w.counter("otaflow_test_scrapes_total", "scrapes", {{"bind", "b\"0"}}, ++scrapes_);
    });
    ASSERT_TRUE(server_.start("127.0.0.1:0"));
    ASSERT_NE(server_.port(), 0);
    EXPECT_EQ(server_.address(), "127.0.0.1:" + std::to_string(server_.port()));
  }
  httplib::Client client() {
    httplib::Client c("127.0.0.1", server_.port());
    c.set_connection_timeout(5);
    c.set_read_timeout(5);
    return c;
  }

  metrics::registry reg_;
  std::atomic<int> scrapes_{0};
  http_server server_{reg_};
};

TEST_F(HttpServer, ServesMetricsInTheExpositionFormat) {
  auto c = client();
  auto r = c.Get("/metrics");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r->body,
            "# HELP otaflow_test_scrapes_total scrapes\n"
            "# TYPE otaflow_test_scrapes_total counter\n"
            "otaflow_test_scrapes_total{bind=\"b\\\"0\"} 1\n");
  r = c.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("} 2\n"), std::string::npos);
}

TEST_F(HttpServer, HealthzAnswersAliveAndUnknownPathsAJson404) {
  auto c = client();
  auto r = c.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"status":"alive"})");
  r = c.Get("/nope?x=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  const auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["status"], 404);
  EXPECT_EQ(j["error"], "GET /nope: no such route");
  r = c.Post("/metrics", "x", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST_F(HttpServer, ReadyzFollowsTheChecks) {
  std::atomic<bool> bound{false};
  server_.add_readiness("smpp", [&]() -> std::optional<std::string> {
    if (bound) return std::nullopt;
    return "bind 0 down";
  });
  server_.add_readiness("state", []() -> std::optional<std::string> { return std::nullopt; });
  auto c = client();
  auto r = c.Get("/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, R"({"ready":false,"reasons":["smpp: bind 0 down"]})");
  bound = true;
  r = c.Get("/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"ready":true,"reasons":[]})");
}

TEST_F(HttpServer, RoutesAddedLaterGetTheirCapturesBodyAndParams) {
  server_.get(R"(/api/v1/campaigns/([^/]+))", [](const http_request& q) {
    const auto v = q.params.find("verbose");
    return http_response{
        200, "application/json",
        nlohmann::json{{"id", q.matches.at(0)}, {"verbose", v == q.params.end() ? "" : v->second}}
            .dump()};
  });
  server_.post(R"(/api/v1/echo)", [](const http_request& q) {
    return http_response{201, "text/plain", q.method + ":" + q.body};
  });
  server_.get("/boom",
              [](const http_request&) -> http_response { throw std::runtime_error("exploded"); });
  auto c = client();
  auto r = c.Get("/api/v1/campaigns/c-7?verbose=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"id":"c-7","verbose":"1"})");
  r = c.Post("/api/v1/echo", "hello", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "POST:hello");
  r = c.Get("/boom");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(nlohmann::json::parse(r->body)["error"], "GET /boom: exploded");
}

TEST_F(HttpServer, StopsCleanlyAndAPortInUseIsAClearError) {
  http_server second(reg_);
  auto s = second.start("127.0.0.1:" + std::to_string(server_.port()));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find(std::to_string(server_.port())), std::string::npos);
  server_.stop();
  server_.stop();
  auto c = client();
  c.set_connection_timeout(1);
  EXPECT_FALSE(c.Get("/healthz"));
}

}  // namespace
}  // namespace otaflow::service
