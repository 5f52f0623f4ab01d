// The state directory: KEK loading and checking, locking, schema.

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "secure/key_cipher.hpp"
#include "storage/kek.hpp"
#include "storage_test_util.hpp"

namespace otaflow::storage {
namespace {

using test::open_state;
using test::temp_dir;
using test::test_kek;

const char* const good_hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

struct env_guard {
  explicit env_guard(const char* value) {
    if (const char* old = std::getenv(kek_env_var)) saved = old;
    if (value) {
      ::setenv(kek_env_var, value, 1);
    } else {
      ::unsetenv(kek_env_var);
    }
  }
  ~env_guard() {
    if (saved) {
      ::setenv(kek_env_var, saved->c_str(), 1);
    } else {
      ::unsetenv(kek_env_var);
    }
  }
  std::optional<std::string> saved;
};

TEST(Kek, MissingEnvAndNoFileSaysWhatIsMissing) {
  env_guard g(nullptr);
  auto k = load_kek({});
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.error().message, "OTAFLOW_KEK is not set and no kek_file is configured");
}

TEST(Kek, MalformedEnvNamesTheLengthNotTheValue) {
  env_guard g("0123456789ab");
  auto k = load_kek({});
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.error().message, "OTAFLOW_KEK must be 64 hex digits, got 12");
}

TEST(Kek, NonHexDigitIsReportedByPosition) {
  std::string v(good_hex);
  v[10] = 'z';
  env_guard g(v.c_str());
  auto k = load_kek({});
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.error().message,
            "OTAFLOW_KEK must be 64 hex digits, got a non-hex character at position 11");
  EXPECT_EQ(k.error().message.find(v.substr(0, 10)), std::string::npos);
}

TEST(Kek, FromEnvAndFromFile) {
  env_guard g(good_hex);
  auto k = load_kek({});
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(equal_ct(k->view(), hex(good_hex)));
  // Read once, then gone from the environment (child processes, /proc/PID/environ).
  EXPECT_EQ(std::getenv(kek_env_var), nullptr);
  auto again = load_kek({});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message, "OTAFLOW_KEK is not set and no kek_file is configured");

  temp_dir d;
  std::filesystem::create_directories(d.path());
  const auto file = d.path() / "kek";
  std::ofstream(file) << "  " << good_hex << "\n";
  std::filesystem::permissions(
      file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  kek_source src;
  src.file = file;
  auto kf = load_kek(src);  // the file wins over the environment when configured
  ASSERT_TRUE(kf.ok()) << kf.error().message;
  EXPECT_TRUE(*kf == *k);

  std::ofstream(file) << "abcd\n";
  auto bad = load_kek(src);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "kek_file " + file.string() + " must be 64 hex digits, got 4");

  // A KEK file readable by group or others is refused, naming it.
  std::ofstream(file) << good_hex << "\n";
  std::filesystem::permissions(file, std::filesystem::perms::group_read,
                               std::filesystem::perm_options::add);
  auto shared = load_kek(src);
  ASSERT_FALSE(shared.ok());
  EXPECT_EQ(shared.error().message,
            "kek_file " + file.string() + ": readable by group or others (mode 640; chmod 600 it)");

  src.file = d.path() / "missing";
  auto none = load_kek(src);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message, "kek_file " + src.file->string() + ": No such file or directory");
}

TEST(Db, WrongKekOnReopenIsDetected) {
  temp_dir d;
  ASSERT_TRUE(open_state(d.path(), test_kek(1)));
  db_options o;
  o.dir = d.path();
  auto again = state::open(o, test_kek(2));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, make_error_code(errc::verification));
  EXPECT_NE(
      again.error().message.find("the key-encryption key does not match this state directory"),
      std::string::npos);
  EXPECT_TRUE(open_state(d.path(), test_kek(1)));
}

TEST(Db, KekOfWrongLengthIsRefused) {
  temp_dir d;
  db_options o;
  o.dir = d.path();
  auto s = state::open(o, secret::from(bytes(16, 1)).value());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("32 octets needed, got 16"), std::string::npos);
}

TEST(Db, SecondOpenOfALockedDirectoryFailsClearly) {
  temp_dir d;
  auto first = open_state(d.path());
  ASSERT_TRUE(first);
  db_options o;
  o.dir = d.path();
  auto second = state::open(o, test_kek());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, make_error_code(errc::conflict));
  EXPECT_NE(second.error().message.find("is in use by another process"), std::string::npos)
      << second.error().message;
}

TEST(Db, PathThatIsAFileOrMissingWithoutCreate) {
  temp_dir d;
  std::filesystem::create_directories(d.path());
  std::ofstream(d.path() / "f") << "x";
  db_options o;
  o.dir = d.path() / "f";
  auto s = state::open(o, test_kek());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("is not a directory"), std::string::npos);

  o.dir = d.path() / "absent";
  o.create_if_missing = false;
  auto m = state::open(o, test_kek());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, make_error_code(errc::not_found));
}

TEST(Db, CreatesEveryColumnFamilyAndTheMetaRecords) {
  temp_dir d;
  auto st = open_state(d.path());
  ASSERT_TRUE(st);
  for (std::size_t i = 0; i < column_count; ++i) {
    EXPECT_NE(st->database().handle(static_cast<column>(i)), nullptr);
    EXPECT_EQ(st->database().handle(static_cast<column>(i))->GetName(),
              column_name(static_cast<column>(i)));
  }
  auto v = st->database().get(column::meta, "schema_version");
  ASSERT_TRUE(v.ok() && v->has_value());
  EXPECT_EQ(**v, std::string("\0\0\0\1", 4));
  auto c = st->database().get(column::meta, "kek_check");
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->size(), secure::sealed_overhead + 32);
}

TEST(Db, OtherSchemaVersionIsRefused) {
  temp_dir d;
  {
    auto st = open_state(d.path());
    ASSERT_TRUE(st);
    rocksdb::WriteBatch b;
    b.Put(st->database().handle(column::meta), "schema_version", std::string("\0\0\0\2", 4));
    ASSERT_TRUE(st->database().commit(b, true).ok());
  }
  db_options o;
  o.dir = d.path();
  auto s = state::open(o, test_kek());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("schema version 2, this build reads version 1"),
            std::string::npos);
}

TEST(Secret, WipesOnMoveAndComparesByValue) {
  auto a = test::key("00112233445566778899aabbccddeeff");
  auto b = a;
  EXPECT_TRUE(a == b);
  secret c = std::move(a);
  EXPECT_TRUE(c == b);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moving wipes the source
  EXPECT_FALSE(secret::from(bytes(33, 0)).ok());
}

}  // namespace
}  // namespace otaflow::storage
