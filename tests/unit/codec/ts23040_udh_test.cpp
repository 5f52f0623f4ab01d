// TS 23.040 §9.2.3.24 User Data Header.

#include "codec/ts23040_udh.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace otaflow::codec {
namespace {

struct udh_row {
  const char* name;
  const char* hex;  // UDHL and IEs
  user_data_header udh;
};

// 02 70 00: pySim test_ota.py SMS-DELIVER; 05 00 03 / 06 08 04: TS 23.040 §9.2.3.24.1/.8
// layouts as the ogham and smpplib docs quote them; the rest combine them.
const udh_row udh_rows[] = {
    {"empty", "00", {}},
    {"cpi", "027000", {{{0x70, {}}}}},
    {"rpi", "027100", {{{0x71, {}}}}},
    {"concat8", "0500032a0301", {{{0x00, hex("2a0301")}}}},
    {"concat16", "060804123402 01", {{{0x08, hex("12340201")}}}},
    {"cpi-then-concat", "0770000003010201", {{{0x70, {}}, {0x00, hex("010201")}}}},
    {"concat-then-cpi", "0700030102017000", {{{0x00, hex("010201")}, {0x70, {}}}}},
};

std::string squash(const char* s) {
  std::string out;
  for (const char* p = s; *p; ++p)
    if (*p != ' ') out += *p;
  return out;
}

TEST(Ts23040Udh, Table) {
  for (const auto& row : udh_rows) {
    SCOPED_TRACE(row.name);
    const bytes raw = hex(squash(row.hex));
    auto split = split_ud(raw);
    ASSERT_TRUE(split.ok()) << split.error().describe();
    EXPECT_EQ(split->header, row.udh);
    EXPECT_TRUE(split->body.empty());
    EXPECT_EQ(encoded_size(row.udh), raw.size());
    byte_writer w;
    ASSERT_TRUE(encode(row.udh, w).ok());
    EXPECT_EQ(w.data(), raw);
  }
}

TEST(Ts23040Udh, SplitKeepsBody) {
  // pySim test_ota.py: TP-UD = 02 70 00 + command packet.
  const bytes ud = hex("0270000020150619");
  auto s = split_ud(ud);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->header.has(iei::command_packet));
  EXPECT_EQ(to_hex(s->body), "0020150619");
}

TEST(Ts23040Udh, TruncationErrors) {
  EXPECT_EQ(split_ud({}).error().code, make_error_code(errc::truncated));               // no UDHL
  EXPECT_EQ(split_ud(hex("0570")).error().code, make_error_code(errc::truncated));      // UDHL
  EXPECT_EQ(split_ud(hex("0170")).error().code, make_error_code(errc::truncated));      // IEDL cut
  EXPECT_EQ(split_ud(hex("03700200")).error().code, make_error_code(errc::truncated));  // IED
  EXPECT_EQ(decode_udh_body(hex("0004010203")).error().code, make_error_code(errc::truncated));
  EXPECT_TRUE(decode_udh_body(hex("0003010203")).ok());
}

TEST(Ts23040Udh, EncodeTooLong) {
  user_data_header big{{{0x70, bytes(256, 0)}}};
  byte_writer w;
  EXPECT_EQ(encode(big, w).error().code, make_error_code(errc::too_long));
  user_data_header many;
  for (int i = 0; i < 128; ++i) many.elements.push_back({0x70, {}});  // UDHL 256
  EXPECT_EQ(encode(many, w).error().code, make_error_code(errc::too_long));
}

TEST(Ts23040Udh, FindLastOccurrence) {
  auto u = decode_udh_body(hex("0001aa0001bb7000"));
  ASSERT_TRUE(u.ok());
  ASSERT_NE(u->find(0x00), nullptr);
  EXPECT_EQ(u->find(0x00)->data, hex("bb"));
  EXPECT_EQ(u->find(0x05), nullptr);
}

TEST(Ts23040Udh, Concat) {
  auto ie8 = make_concat({0x2a, 3, 1, false});
  ASSERT_TRUE(ie8.ok());
  EXPECT_EQ(*ie8, (information_element{0x00, hex("2a0301")}));
  auto ie16 = make_concat({0x1234, 2, 2, true});
  ASSERT_TRUE(ie16.ok());
  EXPECT_EQ(*ie16, (information_element{0x08, hex("12340202")}));
  EXPECT_EQ(*decode_concat(*ie16), (concat_info{0x1234, 2, 2, true}));
  EXPECT_EQ(*decode_concat(*ie8), (concat_info{0x2a, 3, 1, false}));
  EXPECT_FALSE(make_concat({0x100, 2, 1, false}).ok());  // needs a 16-bit reference
  EXPECT_FALSE(make_concat({1, 0, 0, false}).ok());
  EXPECT_FALSE(make_concat({1, 2, 3, false}).ok());
  EXPECT_EQ(decode_concat({0x00, hex("2a03")}).error().code, make_error_code(errc::bad_length));
  EXPECT_EQ(decode_concat({0x08, hex("2a0301")}).error().code, make_error_code(errc::bad_length));
  EXPECT_EQ(decode_concat({0x70, {}}).error().code, make_error_code(errc::bad_value));
}

TEST(Ts23040Udh, FindConcatIgnoresInvalid) {
  // TS 23.040 §9.2.3.24.1: total 0, sequence 0 or sequence > total: ignore the IE.
  for (const char* bad : {"2a0001", "2a0300", "2a0304", "2a03"}) {
    user_data_header u{{{0x00, hex(bad)}}};
    EXPECT_FALSE(find_concat(u).has_value()) << bad;
  }
  user_data_header both{{{0x00, hex("2a0301")}, {0x08, hex("00070502")}}};
  auto c = find_concat(both);
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->ref16);
  EXPECT_EQ(c->sequence, 2);
}

TEST(Ts23040Udh, Identifiers) {
  EXPECT_EQ(command_packet_identifier(), (information_element{0x70, {}}));
  EXPECT_EQ(response_packet_identifier(), (information_element{0x71, {}}));
}

RC_GTEST_PROP(Ts23040UdhProp, RoundTrip, ()) {
  user_data_header u;
  const auto n = *rc::gen::inRange(0, 6);
  for (int i = 0; i < n; ++i)
    u.elements.push_back(
        {*rc::gen::arbitrary<std::uint8_t>(),
         *rc::gen::container<bytes>(*rc::gen::inRange(0, 30), rc::gen::arbitrary<std::uint8_t>())});
  const bytes body = *rc::gen::arbitrary<bytes>();
  byte_writer w;
  RC_ASSERT(encode(u, w).ok());
  RC_ASSERT(w.size() == encoded_size(u));
  w.append(body);
  auto s = split_ud(w.data());
  RC_ASSERT(s.ok());
  RC_ASSERT(s->header == u);
  RC_ASSERT(bytes(s->body.begin(), s->body.end()) == body);
}

RC_GTEST_PROP(Ts23040UdhProp, ConcatRoundTrip, (std::uint16_t ref, bool ref16)) {
  const auto total = *rc::gen::inRange<int>(1, 256);
  const auto seq = *rc::gen::inRange<int>(1, total + 1);
  concat_info c{static_cast<std::uint16_t>(ref16 ? ref : ref & 0xFF),
                static_cast<std::uint8_t>(total), static_cast<std::uint8_t>(seq), ref16};
  auto ie = make_concat(c);
  RC_ASSERT(ie.ok());
  RC_ASSERT(*decode_concat(*ie) == c);
}

}  // namespace
}  // namespace otaflow::codec
