// base/secrets.hpp: private files refused with their path and mode, environment secrets taken
// once (and wiped), core dumps off.

#include "base/secrets.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace otaflow {
namespace {

class secrets : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/otaflow-secrets-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string file(const char* name, const std::string& text, mode_t mode) {
    const auto p = (dir_ / name).string();
    std::ofstream(p) << text;
    ::chmod(p.c_str(), mode);
    return p;
  }

  std::filesystem::path dir_;
};

TEST_F(secrets, AFileReadableByGroupOrOthersIsRefusedWithItsPathAndMode) {
  for (const auto& [mode, text] :
       {std::pair{0644, "644"}, {0640, "640"}, {0604, "604"}, {0660, "660"}, {0601, "601"}}) {
    const auto p = file("pw", "s3cret\n", static_cast<mode_t>(mode));
    auto r = read_private_file(p, "--password-file");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().message, "--password-file " + p + ": readable by group or others (mode " +
                                     text + "; chmod 600 it)");
    EXPECT_EQ(r.error().message.find("s3cret"), std::string::npos);
  }
}

TEST_F(secrets, APrivateFileIsReadTrimmed) {
  for (mode_t mode : {0600, 0400}) {
    const auto p = file("pw", "  s3cret\n", mode);
    auto r = read_private_file(p, "--password-file");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, "s3cret");
  }
}

TEST_F(secrets, AMissingFileOrADirectoryIsNamed) {
  const auto missing = (dir_ / "absent").string();
  auto r = read_private_file(missing, "kek_file");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "kek_file " + missing + ": No such file or directory");
  ::chmod(dir_.c_str(), 0700);
  auto d = check_private_file(dir_.string(), "kek_file");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message, "kek_file " + dir_.string() + ": not a regular file");
}

TEST_F(secrets, AnEnvironmentSecretIsTakenOnceAndWiped) {
  ::setenv("OTAFLOW_TEST_SECRET", " pw123 ", 1);
  const char* raw = std::getenv("OTAFLOW_TEST_SECRET");
  ASSERT_NE(raw, nullptr);
  char* bytes = const_cast<char*>(raw);
  const std::size_t n = std::strlen(raw);
  auto v = take_env("OTAFLOW_TEST_SECRET");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, "pw123");
  EXPECT_EQ(std::getenv("OTAFLOW_TEST_SECRET"), nullptr);
  // The bytes the environment held are zero now (glibc keeps the setenv string allocated).
  for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(bytes[i], '\0') << i;
  EXPECT_FALSE(take_env("OTAFLOW_TEST_SECRET").has_value());
}

TEST(harden_process, TurnsCoreDumpsOffAndTheProcessUndumpable) {
  // In a child, so that the test binary itself keeps its settings.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const auto r = harden_process();
    rlimit core{};
    ::getrlimit(RLIMIT_CORE, &core);
    const bool ok = r.core_limit_zero && r.not_dumpable && core.rlim_cur == 0 &&
                    core.rlim_max == 0 && ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0;
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace otaflow
