// serve's configuration refuses numbers that are not finite or out of range, naming the field
// (issue 13): a NaN passed every range comparison and a huge duration was cast to an integer
// (undefined behaviour).

#include "service/serve_config.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

namespace otaflow::service {
namespace {

std::string config_with(const std::string& smsc_extra, const std::string& engine_extra) {
  return "state_dir = \"/tmp/otaflow-config-test\"\n"
         "[kafka]\nbrokers = \"127.0.0.1:9092\"\n"
         "[[smsc]]\naddress = \"127.0.0.1:2775\"\nsystem_id = \"otaflow\"\npassword = \"pw\"\n" +
         smsc_extra + "\n[engine]\n" + engine_extra + "\n";
}

TEST(serve_config, AValidConfigurationParses) {
  auto c = parse_serve_config(config_with("response_timeout = 2.5\nrate = 100", "window = 10"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->binds.size(), 1u);
  EXPECT_EQ(c->binds[0].response_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(c->service.window, 10u);
}

TEST(serve_config, HttpListenIsOptionalAndChecked) {
  auto none = parse_serve_config(config_with("", ""));
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_EQ(none->http_listen, "");
  auto c = parse_serve_config(config_with("", "") + "[http]\nlisten = \"127.0.0.1:9464\"\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->http_listen, "127.0.0.1:9464");
  for (const char* bad :
       {"listen = \"9464\"", "listen = \"h:99999\"", "listen = 9464", "port = 1"}) {
    auto b = parse_serve_config(config_with("", "") + "[http]\n" + bad + "\n");
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_NE(b.error().message.find("http."), std::string::npos) << b.error().message;
  }
}

TEST(serve_config, RetryBoundsParseWithinTheirRanges) {
  auto c = parse_serve_config(config_with("", "journal_save_attempts = 3") +
                              "[serve]\nproduce_attempts = 7\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->engine.journal_save_attempts, 3u);
  EXPECT_EQ(c->serve.produce_attempts, 7u);
  for (const auto& [engine, serve, field] : std::vector<std::array<std::string, 3>>{
           {"journal_save_attempts = 0", "", "engine.journal_save_attempts"},
           {"journal_save_attempts = 101", "", "engine.journal_save_attempts"},
           {"", "produce_attempts = 0", "serve.produce_attempts"},
           {"", "produce_attempts = 101", "serve.produce_attempts"}}) {
    auto bad = parse_serve_config(config_with("", engine) + "[serve]\n" + serve + "\n");
    ASSERT_FALSE(bad.ok()) << engine << serve;
    EXPECT_NE(bad.error().message.find(field), std::string::npos) << bad.error().message;
  }
}

TEST(serve_config, NumbersThatAreNotFiniteOrOutOfRangeAreRefusedWithTheField) {
  struct row {
    std::string smsc, engine, field;
  };
  const std::vector<row> rows = {
      {"rate = nan", "", "rate"},
      {"rate = inf", "", "rate"},
      {"rate = -1", "", "rate"},
      {"window = 1e300", "", "window"},
      {"window = 2.5", "", "window"},
      {"response_timeout = nan", "", "response_timeout"},
      {"response_timeout = 1e300", "", "response_timeout"},
      {"response_timeout = -1", "", "response_timeout"},
      {"enquire_link_interval = inf", "", "enquire_link_interval"},
      {"reconnect_max = \"1e30s\"", "", "reconnect_max"},
      {"", "window = nan", "window"},
      {"", "window = 0", "window"},
  };
  for (const auto& r : rows) {
    auto c = parse_serve_config(config_with(r.smsc, r.engine));
    ASSERT_FALSE(c.ok()) << r.smsc << r.engine;
    EXPECT_NE(c.error().message.find(r.field), std::string::npos)
        << r.smsc << r.engine << ": " << c.error().message;
  }
}

}  // namespace
}  // namespace otaflow::service
