// SMSC routes in serve's configuration and in a routes file (service/serve_config.hpp): the
// [[route]] form with [[route.smsc]] (the [[smsc]] keys) and [[route.match]], the old [[smsc]]
// form as one catch-all route, errors that name the field, and the routes file's mode check.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "service/serve_config.hpp"

namespace otaflow::service {
namespace {

constexpr const char* k_head =
    "state_dir = \"/tmp/otaflow-routes-test\"\n[kafka]\nbrokers = \"127.0.0.1:9092\"\n";

constexpr const char* k_routes = R"(
[[route]]
name = "home"
fallback = ["hub"]
down_after = "2s"
[[route.smsc]]
address = "127.0.0.1:2775"
system_id = "home"
password = "pw1"
binds = 2
rate = 150
[[route.match]]
mcc_mnc = "262-01"
[[route.match]]
msisdn_prefix = "49151"
attributes = { mvno = "blue" }
[route.submit]
validity = "2h"
priority = 1
source_ton = "alphanumeric"

[[route]]
name = "hub"
[[route.smsc]]
address = "hub.example.net:2776"
system_id = "hub"
password = "pw2"
rate = 200
)";

TEST(routes_config, ServeParsesRouteTables) {
  auto c = parse_serve_config(std::string(k_head) + k_routes);
  ASSERT_TRUE(c.ok()) << c.error().message;
  const auto& rs = c->routes.routes();
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].name, "home");
  EXPECT_EQ(rs[0].down_after, std::chrono::milliseconds(2000));
  EXPECT_EQ(rs[0].fallback, (std::vector<std::string>{"hub"}));
  ASSERT_EQ(rs[0].binds.size(), 2u);
  EXPECT_EQ(rs[0].binds[1].system_id, "home");
  EXPECT_EQ(rs[0].binds[1].rate, 150);
  ASSERT_EQ(rs[0].match.size(), 2u);
  EXPECT_EQ(rs[0].match[0].imsi_prefix, "26201");
  EXPECT_EQ(rs[0].match[1].msisdn_prefix, "49151");
  EXPECT_EQ(rs[0].match[1].attributes.at("mvno"), "blue");
  // [route.submit]: every bind of the route carries the route's options; the hub has none.
  for (const auto& b : rs[0].binds) {
    ASSERT_TRUE(b.submit.validity.has_value());
    EXPECT_EQ(*b.submit.validity, std::chrono::seconds(7200));
    EXPECT_EQ(b.submit.validity_period, "000000020000000R");
    EXPECT_EQ(b.submit.priority, std::optional<std::uint8_t>(1));
    EXPECT_EQ(b.submit.source_ton, std::optional<std::uint8_t>(5));
  }
  EXPECT_TRUE(rs[1].binds[0].submit.empty());
  EXPECT_TRUE(rs[1].match.empty());
  EXPECT_EQ(rs[1].binds[0].host, "hub.example.net");
  EXPECT_EQ(rs[1].binds[0].port, 2776);
  EXPECT_EQ(c->routes.fallbacks(0), (std::vector<std::size_t>{1}));
  EXPECT_EQ(c->binds.size(), 3u);  // every route's binds, in order
}

TEST(routes_config, TheSmscFormIsOneCatchAllRoute) {
  auto c =
      parse_serve_config(std::string(k_head) +
                         "[[smsc]]\naddress = \"127.0.0.1:2775\"\nsystem_id = \"a\"\nbinds = 3\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->routes.size(), 1u);
  EXPECT_EQ(c->routes.routes()[0].name, "default");
  EXPECT_EQ(c->routes.routes()[0].binds.size(), 3u);
  EXPECT_TRUE(c->routes.routes()[0].match.empty());
}

TEST(routes_config, ErrorsNameTheField) {
  struct row {
    std::string text;
    std::string error;
  };
  const std::string smsc = "[[route.smsc]]\naddress = \"h:1\"\nsystem_id = \"a\"\n";
  const std::vector<row> rows = {
      {"[[route]]\nname = \"a\"\n", "route[0].smsc"},
      {"[[route]]\n" + smsc, "route[0].name"},
      {"[[route]]\nname = \"a\"\nfallback = [\"x\"]\n" + smsc, "fallback: unknown route 'x'"},
      {"[[route]]\nname = \"a\"\n" + smsc + "[[route]]\nname = \"a\"\n" + smsc, "duplicate"},
      {"[[route]]\nname = \"a\"\ncolour = 1\n" + smsc, "unknown key 'route[0].colour'"},
      {"[[route]]\nname = \"a\"\n" + smsc + "[[route.match]]\nmcc_mnc = \"26\"\n",
       "route[0].match[0].mcc_mnc"},
      {"[[route]]\nname = \"a\"\n" + smsc + "[route.submit]\npriority = 4\n",
       "route[0].submit.priority"},
      {"[[route]]\nname = \"a\"\n" + smsc + "[[route.match]]\nimsi = \"26\"\n",
       "unknown key 'route[0].match[0].imsi'"},
      {"[[route]]\nname = \"a\"\n[[route.smsc]]\naddress = \"h\"\nsystem_id = \"a\"\n",
       "route[0].smsc[0].address"},
      {"[[route]]\nname = \"a\"\n" + smsc +
           "[[smsc]]\naddress = \"127.0.0.1:2775\"\nsystem_id = \"a\"\n",
       "not both"},
  };
  for (const auto& r : rows) {
    auto c = parse_serve_config(std::string(k_head) + r.text);
    ASSERT_FALSE(c.ok()) << r.text;
    EXPECT_NE(c.error().message.find(r.error), std::string::npos)
        << r.text << "\n-> " << c.error().message;
  }
}

TEST(routes_config, ARoutesFileHoldsRouteTablesOnly) {
  auto r = parse_routes_file(k_routes, "r.toml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->size(), 2u);
  auto bad = parse_routes_file(std::string(k_head) + k_routes, "r.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("r.toml: config: unknown key 'kafka'"), std::string::npos)
      << bad.error().message;
  auto empty = parse_routes_file("", "r.toml");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("no [[route]] table"), std::string::npos);
}

TEST(routes_config, ARoutesFileOthersMayReadIsRefusedWithItsPath) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("otaflow-routes-" + std::to_string(::getpid()) + ".toml");
  {
    std::ofstream out(path);
    out << k_routes;
  }
  ::chmod(path.c_str(), 0644);
  auto open = load_routes_file(path);
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.error().message.find(path.string()), std::string::npos);
  EXPECT_NE(open.error().message.find("chmod 600"), std::string::npos);
  EXPECT_EQ(open.error().message.find("pw1"), std::string::npos);
  ::chmod(path.c_str(), 0600);
  auto ok = load_routes_file(path);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->routes()[1].name, "hub");
  std::filesystem::remove(path);
  auto missing = load_routes_file(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find(path.string()), std::string::npos);
}

}  // namespace
}  // namespace otaflow::service
