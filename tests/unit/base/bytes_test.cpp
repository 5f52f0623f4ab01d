#include "base/bytes.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <cctype>
#include <cstdio>
#include <string>

namespace otaflow {
namespace {

TEST(Hex, RoundTrip) {
  EXPECT_EQ(to_hex(hex("00A1ff7F")), "00a1ff7f");
  EXPECT_TRUE(from_hex("").ok());
}

TEST(Hex, UpperCase) {
  EXPECT_EQ(to_hex(hex("00a1ff7f"), hex_case::upper), "00A1FF7F");
  EXPECT_EQ(to_hex(bytes{}, hex_case::upper), "");
}

TEST(Hex, AppendKeepsWhatIsThere) {
  std::string row = "89,";
  append_hex(row, hex("00a1ff7f"));
  append_hex(row, bytes{});
  row += ',';
  append_hex(row, hex("0b"), hex_case::upper);
  EXPECT_EQ(row, "89,00a1ff7f,0B");
}

// The integer form writes what printf's "%0*x" / "%0*X" writes, for every width it is used at.
TEST(Hex, ValueLikePrintf) {
  const std::uint64_t values[] = {0,
                                  1,
                                  0x0F,
                                  0x10,
                                  0x7F,
                                  0xFF,
                                  0x3F00,
                                  0xB00010,
                                  0xFFFFFFFF,
                                  0x1234567890,
                                  0xFFFFFFFFFFFFFFFFull};
  for (const auto v : values) {
    for (std::size_t digits = 0; digits <= 20; ++digits) {
      char lower[40];
      char upper[40];
      std::snprintf(lower, sizeof lower, "%0*llx", static_cast<int>(digits),
                    static_cast<unsigned long long>(v));
      std::snprintf(upper, sizeof upper, "%0*llX", static_cast<int>(digits),
                    static_cast<unsigned long long>(v));
      EXPECT_EQ(to_hex(v, digits), lower) << v << " in " << digits;
      EXPECT_EQ(to_hex(v, digits, hex_case::upper), upper) << v << " in " << digits;
    }
  }
  EXPECT_EQ(to_hex(0x3F00, 4), "3f00");
  EXPECT_EQ(to_hex(0x7, 2, hex_case::upper), "07");
  EXPECT_EQ(to_hex(0x12345, 4), "12345");  // never truncated, as printf
}

TEST(Hex, Errors) {
  auto odd = from_hex("abc");
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.error().code, errc::bad_value);
  EXPECT_NE(odd.error().message.find("odd"), std::string::npos);
  auto bad = from_hex("0g");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("position 1"), std::string::npos);
}

// Every octet value as a digit, against the C library's reading of hex digits.
TEST(Hex, EveryCharacterAsADigit) {
  for (int c = 0; c < 256; ++c) {
    const std::string text{'7', static_cast<char>(c)};
    auto r = from_hex(text);
    const bool digit = std::isxdigit(c) != 0;
    ASSERT_EQ(r.ok(), digit) << "character " << c;
    if (digit) {
      EXPECT_EQ((*r)[0], 0x70 + std::stoi(std::string(1, static_cast<char>(c)), nullptr, 16))
          << "character " << c;
    } else {
      EXPECT_NE(r.error().message.find("position 1"), std::string::npos);
    }
  }
}

TEST(SecureWipe, ZeroesEveryOctet) {
  bytes b(37, 0xA5);
  secure_wipe(b);
  EXPECT_EQ(b, bytes(37, 0));
  secure_wipe(std::span<std::uint8_t>{});  // empty: no call, no crash
}

TEST(ByteReader, TruncationConsumesNothing) {
  const auto b = hex("010203");
  byte_reader r(b);
  std::uint32_t v = 0;
  EXPECT_FALSE(r.u32(v));
  EXPECT_EQ(r.position(), 0u);
  EXPECT_TRUE(r.u24(v));
  EXPECT_EQ(v, 0x010203u);
  std::uint8_t x = 0;
  EXPECT_FALSE(r.u8(x));
  EXPECT_TRUE(r.empty());
}

TEST(ByteWriter, BigEndianAndPatch) {
  byte_writer w;
  w.u8(0x70);
  w.u16(0);
  w.u24(0xB00010);
  w.uint_be(5, 1);
  w.patch_u16(1, 0x1234);
  EXPECT_EQ(to_hex(w.data()), "701234b000100000000001");
}

RC_GTEST_PROP(Hex, ParseOfFormatIsIdentity, (const std::vector<std::uint8_t>& v)) {
  auto r = from_hex(to_hex(v));
  RC_ASSERT(r.ok());
  RC_ASSERT(*r == v);
  auto u = from_hex(to_hex(v, hex_case::upper));
  RC_ASSERT(u.ok());
  RC_ASSERT(*u == v);
}

TEST(EqualCt, ComparesContentAndLength) {
  EXPECT_TRUE(equal_ct(hex("0102"), hex("0102")));
  EXPECT_FALSE(equal_ct(hex("0102"), hex("0103")));
  EXPECT_FALSE(equal_ct(hex("0102"), hex("01")));
}

}  // namespace
}  // namespace otaflow
