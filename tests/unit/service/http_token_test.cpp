// The HTTP API's bearer token (service/http_token.*).
#include "service/http_token.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace otaflow::service {
namespace {

namespace fs = std::filesystem;

class http_token : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv(http_token_env);
    dir_ = fs::temp_directory_path() / ("otaflow-http-token-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    ::unsetenv(http_token_env);
    fs::remove_all(dir_);
  }
  std::string file(const std::string& text, mode_t mode) {
    const auto p = dir_ / "token";
    std::ofstream(p) << text;
    ::chmod(p.c_str(), mode);
    return p.string();
  }
  fs::path dir_;
};

TEST_F(http_token, NoneConfiguredMeansControlOff) {
  auto t = load_http_tokens("");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_TRUE(t->empty());
}

TEST_F(http_token, TheEnvironmentWinsAndIsClearedOnceRead) {
  ::setenv(http_token_env, " s3cret-token-0123456789 \n", 1);
  auto t = load_http_tokens(file("another-token-abcdefgh", 0600));
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_EQ(t->size(), 1u);
  EXPECT_EQ(t->at(0).value, "s3cret-token-0123456789");
  EXPECT_EQ(t->at(0).name, "OTAFLOW_HTTP_TOKEN");
  EXPECT_EQ(std::getenv(http_token_env), nullptr);
}

TEST_F(http_token, AFileReadableByOthersIsRefusedByPathNeverShowingTheToken) {
  const auto path = file("s3cret-token-0123456789\n", 0644);
  auto t = load_http_tokens(path);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find(path), std::string::npos);
  EXPECT_NE(t.error().message.find("group or others"), std::string::npos);
  EXPECT_EQ(t.error().message.find("s3cret"), std::string::npos);

  ::chmod(path.c_str(), 0600);
  auto ok = load_http_tokens(path);
  ASSERT_TRUE(ok) << ok.error().message;
  ASSERT_EQ(ok->size(), 1u);
  EXPECT_EQ(ok->at(0).value, "s3cret-token-0123456789");
  EXPECT_EQ(ok->at(0).name, "token_file");
}

TEST_F(http_token, AShortTokenOrAMissingFileIsAnError) {
  EXPECT_FALSE(load_http_tokens(file("short", 0600)));
  EXPECT_FALSE(load_http_tokens((dir_ / "absent").string()));
}

TEST_F(http_token, NamedTokensOnePerLine) {
  auto t = load_http_tokens(
      file("# operators\nops-alice  alice-token-0123456789\n\nci.deploy@x ci-token-0123456789xx\n",
           0600));
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_EQ(t->size(), 2u);
  EXPECT_EQ(t->at(0).name, "ops-alice");
  EXPECT_EQ(t->at(0).value, "alice-token-0123456789");
  EXPECT_EQ(t->at(1).name, "ci.deploy@x");
  EXPECT_EQ(bearer_token_name("Bearer ci-token-0123456789xx", *t), "ci.deploy@x");
  EXPECT_EQ(bearer_token_name("Bearer alice-token-0123456789", *t), "ops-alice");
  EXPECT_FALSE(bearer_token_name("Bearer nobody-token-0123456789", *t));
}

// Each refusal names the file and the line, never a token.
TEST_F(http_token, MalformedNamedTokensAreRefusedByLine) {
  struct bad {
    const char* text;
    const char* says;
  };
  for (const auto& b : {
           bad{"alice alice-token-0123456789\nbob\n", "line 2: expected NAME TOKEN"},
           bad{"alice alice-token-0123456789\nal/ice other-token-0123456789\n",
               "line 2: a token name is 1-64"},
           bad{"alice alice-token-0123456789\nalice other-token-0123456789\n",
               "line 2: name 'alice' given twice"},
           bad{"alice alice-token-0123456789\nbob alice-token-0123456789\n",
               "line 2: the same token as 'alice'"},
           bad{"alice short\n", "line 1: the HTTP token has 5 characters"},
           bad{"# nothing\n\n", "no token in the file"},
       }) {
    const auto path = file(b.text, 0600);
    auto t = load_http_tokens(path);
    ASSERT_FALSE(t) << b.text;
    EXPECT_NE(t.error().message.find(path), std::string::npos) << t.error().message;
    EXPECT_NE(t.error().message.find(b.says), std::string::npos) << t.error().message;
    EXPECT_EQ(t.error().message.find("token-0123456789"), std::string::npos) << t.error().message;
  }
}

TEST(http_bearer, MatchesOnlyTheExactToken) {
  const std::string token = "s3cret-token-0123456789";
  EXPECT_TRUE(bearer_matches("Bearer s3cret-token-0123456789", token));
  EXPECT_TRUE(bearer_matches("bearer s3cret-token-0123456789", token));
  EXPECT_FALSE(bearer_matches("Bearer s3cret-token-012345678", token));
  EXPECT_FALSE(bearer_matches("Bearer s3cret-token-01234567890", token));
  EXPECT_FALSE(bearer_matches("Bearer s3cret-token-0123456788", token));
  EXPECT_FALSE(bearer_matches("Basic  s3cret-token-0123456789", token));
  EXPECT_FALSE(bearer_matches("", token));
  EXPECT_FALSE(bearer_matches("Bearer ", ""));
}

}  // namespace
}  // namespace otaflow::service
