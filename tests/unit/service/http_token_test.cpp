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
  auto t = load_http_token("");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_FALSE(t->has_value());
}

TEST_F(http_token, TheEnvironmentWinsAndIsClearedOnceRead) {
  ::setenv(http_token_env, " s3cret-token-0123456789 \n", 1);
  auto t = load_http_token(file("another-token-abcdefgh", 0600));
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(**t, "s3cret-token-0123456789");
  EXPECT_EQ(std::getenv(http_token_env), nullptr);
}

TEST_F(http_token, AFileReadableByOthersIsRefusedByPathNeverShowingTheToken) {
  const auto path = file("s3cret-token-0123456789\n", 0644);
  auto t = load_http_token(path);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find(path), std::string::npos);
  EXPECT_NE(t.error().message.find("group or others"), std::string::npos);
  EXPECT_EQ(t.error().message.find("s3cret"), std::string::npos);

  ::chmod(path.c_str(), 0600);
  auto ok = load_http_token(path);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(**ok, "s3cret-token-0123456789");
}

TEST_F(http_token, AShortTokenOrAMissingFileIsAnError) {
  EXPECT_FALSE(load_http_token(file("short", 0600)));
  EXPECT_FALSE(load_http_token((dir_ / "absent").string()));
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
