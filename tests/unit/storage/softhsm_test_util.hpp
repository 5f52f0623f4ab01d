#pragma once
// SoftHSM2 for the PKCS#11 KEK tests: one temporary token directory per test process
// (SOFTHSM2_CONF points at a config naming it; set before the module is first loaded, since a
// module is initialised once per process), one token initialised with softhsm2-util, its user
// PIN in a mode-600 file. Tests skip (GTEST_SKIP) only when Debian's softhsm2 is not installed.

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "storage/pkcs11.hpp"

namespace otaflow::storage::test {

inline constexpr const char* softhsm_module = "/usr/lib/softhsm/libsofthsm2.so";
inline constexpr const char* softhsm_token = "otaflow-test";
inline constexpr const char* softhsm_pin = "4711-pin";

/// The test process's token; empty error text when ready, else why it is not.
class softhsm {
 public:
  static softhsm& get() {
    static softhsm s;
    return s;
  }
  [[nodiscard]] bool available() const { return std::filesystem::exists(softhsm_module); }
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

  /// A configuration of `key_label` on the test token with the PIN file.
  [[nodiscard]] pkcs11_config config(const std::string& key_label) const {
    return {softhsm_module, softhsm_token, key_label, (dir_ / "pin").string()};
  }
  /// A PIN file holding `pin` (mode 600).
  [[nodiscard]] std::string pin_file(const std::string& name, const std::string& pin) const {
    const auto p = dir_ / name;
    std::ofstream(p) << pin << "\n";
    ::chmod(p.c_str(), 0600);
    return p.string();
  }

  ~softhsm() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

 private:
  softhsm() {
    if (!available()) return;
    dir_ =
        std::filesystem::temp_directory_path() / ("otaflow-softhsm-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "tokens");
    const auto conf = dir_ / "softhsm2.conf";
    std::ofstream(conf) << "directories.tokendir = " << (dir_ / "tokens").string()
                        << "\nobjectstore.backend = file\nlog.level = ERROR\n";
    ::setenv("SOFTHSM2_CONF", conf.c_str(), 1);
    (void)pin_file("pin", softhsm_pin);
    const std::string cmd = std::string("softhsm2-util --init-token --free --label ") +
                            softhsm_token + " --pin " + softhsm_pin + " --so-pin 123456 > " +
                            (dir_ / "init.log").string() + " 2>&1";
    if (std::system(cmd.c_str()) != 0) error_ = "softhsm2-util --init-token failed: " + cmd;
  }
  std::filesystem::path dir_;
  std::string error_;
};

}  // namespace otaflow::storage::test

/// Skips the test when SoftHSM2 is missing; fails it when its token could not be made.
#define OTAFLOW_REQUIRE_SOFTHSM()                                                               \
  do {                                                                                          \
    auto& hsm_ = ::otaflow::storage::test::softhsm::get();                                      \
    if (!hsm_.available())                                                                      \
      GTEST_SKIP() << "SoftHSM2 is not installed (" << ::otaflow::storage::test::softhsm_module \
                   << " missing): apt-get install softhsm2";                                    \
    ASSERT_EQ(hsm_.error(), "");                                                                \
  } while (false)
