#pragma once
// Helpers for the storage tests: a real RocksDB in a unique temporary
// directory (removed afterwards), test KEKs and valid ICCIDs.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <unistd.h>

#include <gtest/gtest.h>

#include "storage/api.hpp"
#include "storage/identifiers.hpp"

namespace otaflow::storage::test {

/// A unique directory under the system temp directory, removed on destruction.
class temp_dir {
 public:
  temp_dir() {
    static std::atomic<int> n{0};
    path_ = std::filesystem::temp_directory_path() /
            ("otaflow-storage-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + "-" +
             std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::remove_all(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// A KEK made of one repeated octet.
inline secret test_kek(std::uint8_t fill = 0x42) {
  bytes k(32, fill);
  return secret::from(k).value();
}

/// A secret from hex (test constants).
inline secret key(std::string_view h) {
  return secret::from(hex(h)).value();
}

/// A valid 19-digit ICCID: 89882 + 13-digit serial + Luhn check digit.
inline std::string make_iccid(std::uint64_t serial) {
  std::string s = std::to_string(serial);
  std::string payload = "89882" + std::string(13 - s.size(), '0') + s;
  return payload + static_cast<char>('0' + luhn_check_digit(payload));
}

/// Opens a state directory, failing the test on error.
inline std::unique_ptr<state> open_state(const std::filesystem::path& dir,
                                         const secret& kek = test_kek(), bool statistics = false) {
  db_options o;
  o.dir = dir;
  o.statistics = statistics;
  o.block_cache_bytes = 8u << 20;
  auto s = state::open(o, kek);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return s.ok() ? std::move(*s) : nullptr;
}

}  // namespace otaflow::storage::test
