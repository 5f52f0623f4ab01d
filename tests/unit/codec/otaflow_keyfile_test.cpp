// Byte layout of the otaflow key rotation file (docs/formats/key-rotation-file.md).

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "codec/otaflow_keyfile.hpp"

namespace otaflow::codec::keyfile {
namespace {

// The image of tests/unit/secure/key_rotation_test.cpp (KIK index 1, sequence 1).
const char* const k_image =
    "0101010000000001"
    "30"
    "4093ecf40644af36ac6fdb0aa593b006223dd1b268d7480f"
    "ec5f3f747b0152badb467a4f1a428c28f0371848375356ac"
    "7d2ed9"
    "ffffffff";

bool is(const error& e, errc c) {
  return e.code == make_error_code(c);
}

TEST(keyfile, decode_fields) {
  auto f = decode(hex(k_image));
  ASSERT_TRUE(f.ok()) << f.error().describe();
  EXPECT_EQ(f->hdr.version, 0x01);
  EXPECT_EQ(f->hdr.algorithm, alg_aes128_kw);
  EXPECT_EQ(f->hdr.kik_index, 1);
  EXPECT_EQ(f->hdr.flags, 0);
  EXPECT_EQ(f->hdr.sequence, 1u);
  EXPECT_EQ(to_hex(f->wrapped),
            "4093ecf40644af36ac6fdb0aa593b006223dd1b268d7480f"
            "ec5f3f747b0152badb467a4f1a428c28f0371848375356ac");
  EXPECT_EQ(to_hex(f->kcv), "7d2ed9");
  byte_writer w;
  encode(*f, w);
  EXPECT_EQ(to_hex(w.data()), k_image);
}

// Offsets: 0 version, 1 algorithm, 2 KIK index, 3 flags, 4..7 sequence, 8 wrapped length,
// 9..56 wrapped, 57..59 KCV, 60..63 padding.
TEST(keyfile, rejects_bad_fields) {
  auto with = [](std::size_t off, std::uint8_t v) {
    bytes b = hex(k_image);
    b[off] = v;
    return decode(b);
  };
  EXPECT_TRUE(is(with(0, 0x02).error(), errc::unsupported));
  EXPECT_TRUE(is(with(1, 0x02).error(), errc::unsupported));
  EXPECT_TRUE(is(with(2, 0x00).error(), errc::bad_value));
  EXPECT_TRUE(is(with(2, 0x10).error(), errc::bad_value));
  EXPECT_TRUE(is(with(3, 0x01).error(), errc::bad_value));
  EXPECT_TRUE(is(with(7, 0x00).error(), errc::bad_value));  // sequence 0
  EXPECT_TRUE(is(with(8, 0x28).error(), errc::bad_length));
  auto pad = with(62, 0x00);
  ASSERT_FALSE(pad.ok());
  EXPECT_TRUE(is(pad.error(), errc::bad_value));
  EXPECT_NE(pad.error().message.find("62"), std::string::npos) << pad.error().message;
}

TEST(keyfile, truncation_and_size) {
  const bytes good = hex(k_image);
  for (std::size_t n = 1; n < good.size(); ++n) {
    auto r = decode(byte_view(good).first(n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_TRUE(is(r.error(), errc::truncated)) << n;
  }
  bytes longer = good;
  longer.push_back(0xFF);
  EXPECT_TRUE(is(decode(longer).error(), errc::bad_length));
  EXPECT_TRUE(is(decode(bytes(64, 0xFF)).error(), errc::not_found));
  EXPECT_TRUE(is_empty(bytes(64, 0xFF)));
  EXPECT_FALSE(is_empty(good));
  EXPECT_FALSE(is_empty({}));
  EXPECT_TRUE(is(decode_header(byte_view(good).first(7)).error(), errc::truncated));
}

RC_GTEST_PROP(keyfile, round_trip, ()) {
  file f;
  f.hdr.kik_index = *rc::gen::inRange<std::uint8_t>(1, 16);
  f.hdr.sequence = *rc::gen::inRange<std::uint32_t>(1, 0xFFFFFFFFu);
  for (auto& b : f.wrapped) b = *rc::gen::arbitrary<std::uint8_t>();
  for (auto& b : f.kcv) b = *rc::gen::arbitrary<std::uint8_t>();
  byte_writer w;
  encode(f, w);
  RC_ASSERT(w.size() == file_size);
  auto d = decode(w.data());
  RC_ASSERT(d.ok());
  RC_ASSERT(*d == f);
}

}  // namespace
}  // namespace otaflow::codec::keyfile
