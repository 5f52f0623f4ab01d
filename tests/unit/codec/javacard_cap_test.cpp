#include "codec/javacard_cap.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

// The fixture tests/data/javacard/hello.cap is written by make_hello_cap.py there (Python's
// zipfile: stored and deflated entries, a manifest, components with valid tags and sizes).

namespace otaflow::codec::javacard {
namespace {

bytes fixture() {
  std::ifstream in(std::string(OTAFLOW_SOURCE_DIR) + "/tests/data/javacard/hello.cap",
                   std::ios::binary);
  EXPECT_TRUE(in.good());
  return bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The components as make_hello_cap.py builds them (tag, u16 size, body), in load order.
const char* header = "01000fdecaffed010200000105d07002ca44";
const char* directory = "020014000102030405060708090a0b0c0d0e0f10111213";
const char* import = "04000b01000107a0000000620001";
const char* applet =
    "03000c0108d07002ca44900101"
    "0010";
const char* constant_pool = "050006000101000000";

TEST(JavacardCap, ReadsTheFixture) {
  const bytes zip = fixture();
  ASSERT_TRUE(looks_like_zip(zip));
  auto cap = parse_cap(zip);
  ASSERT_TRUE(cap.ok()) << cap.error().message;
  EXPECT_EQ(to_hex(cap->package_aid), "d07002ca44");
  EXPECT_EQ(cap->cap_major, 2);
  EXPECT_EQ(cap->cap_minor, 1);
  EXPECT_EQ(cap->package_major, 1);
  EXPECT_EQ(cap->package_minor, 0);
  ASSERT_EQ(cap->applet_aids.size(), 1u);
  EXPECT_EQ(to_hex(cap->applet_aids[0]), "d07002ca44900101");
  EXPECT_EQ(cap->components.size(), 11u);  // the manifest is not a component
  EXPECT_EQ(to_hex(cap->components.at("Header")), header);
  EXPECT_EQ(to_hex(cap->components.at("Directory")), directory);  // deflated in the ZIP
}

TEST(JavacardCap, LoadFileOrder) {
  auto cap = parse_cap(fixture());
  ASSERT_TRUE(cap.ok());
  const std::string lf = to_hex(cap_load_file(*cap));
  // Header, Directory, Import, Applet, Class, Method, StaticField, (no Export),
  // ConstantPool, RefLocation, Descriptor; never Debug.
  const std::string want = std::string(header) + directory + import + applet + "06001e" +
                           std::string(60, '0') + "070028" + std::string(80, '5') + "08000a" +
                           std::string(20, '0') + constant_pool + "09000400000000" +
                           "0b00050000000000";
  EXPECT_EQ(lf, want);
  const std::string without = to_hex(cap_load_file(*cap, false));
  EXPECT_EQ(without, want.substr(0, want.size() - 16));
}

TEST(JavacardCap, ErrorsNameTheProblem) {
  const bytes zip = fixture();
  struct row {
    const char* name;
    bytes data;
    const char* says;
  };
  bytes crc_broken = zip;
  // the stored Header entry follows the 74-octet manifest entry; its body after 30 + 37 octets
  crc_broken[74 + 30 + 37 + 5] ^= 0x01;
  bytes no_end(zip.begin(), zip.end() - 22);
  bytes cut(zip.begin(), zip.begin() + 500);
  const std::vector<row> rows = {
      {"empty", {}, "too short"},
      {"not a zip", bytes(100, 0x41), "no ZIP end"},
      {"no end record", no_end, "no ZIP end"},
      {"cut", cut, "no ZIP end"},
      {"crc", crc_broken, "CRC-32 mismatch"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    auto got = parse_cap(r.data);
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.error().message.find(r.says), std::string::npos) << got.error().message;
  }
}

TEST(JavacardCap, MissingComponentIsNamed) {
  // Rename Method.cap to Methox.cap in both headers: the CAP lacks a mandatory component.
  bytes zip = fixture();
  const std::string from = "javacard/Method.cap", to = "javacard/Methox.cap";
  std::size_t replaced = 0;
  for (std::size_t i = 0; i + from.size() <= zip.size(); ++i) {
    if (std::equal(from.begin(), from.end(), zip.begin() + static_cast<std::ptrdiff_t>(i))) {
      std::copy(to.begin(), to.end(), zip.begin() + static_cast<std::ptrdiff_t>(i));
      ++replaced;
    }
  }
  ASSERT_EQ(replaced, 2u);
  auto got = parse_cap(zip);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("no Method.cap"), std::string::npos) << got.error().message;
}

RC_GTEST_PROP(JavacardCap, DamagedFixtureNeverCrashes, ()) {
  bytes zip = fixture();
  const auto flips = *rc::gen::inRange<int>(1, 8);
  for (int i = 0; i < flips; ++i) {
    const auto at = *rc::gen::inRange<std::size_t>(0, zip.size());
    zip[at] = *rc::gen::arbitrary<std::uint8_t>();
  }
  const auto keep = *rc::gen::inRange<std::size_t>(0, zip.size() + 1);
  zip.resize(keep);
  auto cap = parse_cap(zip);
  if (cap) RC_ASSERT(cap->package_aid.size() >= 5 && cap->package_aid.size() <= 16);
}

}  // namespace
}  // namespace otaflow::codec::javacard
