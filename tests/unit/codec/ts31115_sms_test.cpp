// TS 31.115 §4 SMS binding: single SM, concatenation, reassembly, PoR TP-UD.

#include "codec/ts31115_sms.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <numeric>
#include <string>

namespace otaflow::codec {
namespace {

// The ground truth packet of docs/standards/ts102225-secured-packets.md §7; pySim test_ota.py
// puts it after 02 70 00.
const char* ground_truth = "00201506193535b00011ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f";

bytes pattern(std::size_t n) {
  bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 7 + 1);
  return b;
}

TEST(Ts31115Sms, SingleShortMessage) {
  auto uds = command_to_tp_ud(hex(ground_truth));
  ASSERT_TRUE(uds.ok());
  ASSERT_EQ(uds->size(), 1u);
  EXPECT_EQ(to_hex((*uds)[0]), std::string("027000") + ground_truth);
  auto back = command_from_tp_ud((*uds)[0]);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(to_hex(*back), ground_truth);
}

TEST(Ts31115Sms, LargestSingle) {
  auto one = command_to_tp_ud(pattern(137));
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].size(), 140u);
}

TEST(Ts31115Sms, TwoShortMessages8BitRef) {
  const bytes p = pattern(138);
  auto uds = command_to_tp_ud(p, {0x2a});
  ASSERT_TRUE(uds.ok());
  ASSERT_EQ(uds->size(), 2u);
  const bytes& a = (*uds)[0];
  const bytes& b = (*uds)[1];
  EXPECT_EQ(to_hex(byte_view(a).first(8)),
            "0770000003"
            "2a0201");
  EXPECT_EQ(a.size(), 140u);
  EXPECT_EQ(bytes(a.begin() + 8, a.end()), bytes(p.begin(), p.begin() + 132));
  EXPECT_EQ(to_hex(byte_view(b).first(6)),
            "050003"
            "2a0202");
  EXPECT_EQ(bytes(b.begin() + 6, b.end()), bytes(p.begin() + 132, p.end()));
}

TEST(Ts31115Sms, SixteenBitRefAndOrder) {
  const bytes p = pattern(300);
  auto uds = command_to_tp_ud(p, {0x1234, true, first_sm_order::concat_first});
  ASSERT_TRUE(uds.ok());
  // 131 in the first SM, 133 in each following: 131 + 133 + 36.
  ASSERT_EQ(uds->size(), 3u);
  EXPECT_EQ(to_hex(byte_view((*uds)[0]).first(9)),
            "08"
            "080412340301"
            "7000");
  EXPECT_EQ(to_hex(byte_view((*uds)[1]).first(7)),
            "06"
            "080412340302");
  EXPECT_EQ(to_hex(byte_view((*uds)[2]).first(7)),
            "06"
            "080412340303");
  EXPECT_EQ((*uds)[0].size(), 140u);
  EXPECT_EQ((*uds)[1].size(), 140u);
  EXPECT_EQ((*uds)[2].size(), 7u + 36u);
}

TEST(Ts31115Sms, Limits) {
  // 255 SMs carry 132 + 254 * 134 octets with an 8-bit reference.
  const std::size_t max = 132 + 254 * 134;
  auto ok = command_to_tp_ud(pattern(max));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), 255u);
  auto too_long = command_to_tp_ud(pattern(max + 1));
  EXPECT_EQ(too_long.error().code, make_error_code(errc::too_long));
  EXPECT_EQ(command_to_tp_ud(pattern(200), {300}).error().code,
            make_error_code(errc::bad_argument));
  for (const auto& ud : *ok) EXPECT_LE(ud.size(), max_tp_ud);
}

TEST(Ts31115Sms, CommandFromTpUdErrors) {
  EXPECT_FALSE(command_from_tp_ud(hex("027100"
                                      "0010"))
                   .ok());  // RPI, not CPI
  EXPECT_FALSE(command_from_tp_ud(hex("0770000003010201"
                                      "00"))
                   .ok());                           // concatenated part
  EXPECT_FALSE(command_from_tp_ud(hex("05")).ok());  // truncated UDH
}

TEST(Ts31115Sms, ResponseTpUd) {
  // Real SJA5 PoR with its UDH, and the same packet as an SMSC that strips the UDH hands it.
  const char* packet =
      "000e0ab00011000000000000"
      "00016132";
  const bytes ud = hex(std::string("027100") + packet);
  auto with_udh = response_from_tp_ud(ud);
  ASSERT_TRUE(with_udh.ok());
  EXPECT_EQ(to_hex(*with_udh), packet);
  const bytes bare_in = hex(packet);
  auto bare = response_from_tp_ud(bare_in);
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(to_hex(*bare), packet);
  EXPECT_FALSE(response_from_tp_ud(hex("00ff0a")).ok());
  EXPECT_FALSE(response_from_tp_ud({}).ok());
  auto uds = response_to_tp_ud(hex(packet));
  ASSERT_TRUE(uds.ok());
  ASSERT_EQ(uds->size(), 1u);
  EXPECT_EQ(to_hex((*uds)[0]), std::string("027100") + packet);
}

TEST(Ts31115Reassembler, SingleSm) {
  packet_reassembler r;
  auto out = r.add("+4912345", hex(std::string("027000") + ground_truth));
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(out->has_value());
  EXPECT_EQ((*out)->kind, packet_kind::command);
  EXPECT_EQ(to_hex((*out)->packet), ground_truth);
  EXPECT_EQ((*out)->parts, 1u);
  EXPECT_EQ(r.pending(), 0u);
}

TEST(Ts31115Reassembler, AnyOrder) {
  const bytes p = pattern(500);
  for (bool ref16 : {false, true}) {
    for (auto order : {first_sm_order::identifier_first, first_sm_order::concat_first}) {
      auto uds = command_to_tp_ud(p, {77, ref16, order});
      ASSERT_TRUE(uds.ok());
      ASSERT_EQ(uds->size(), 4u);
      std::vector<std::size_t> idx(uds->size());
      std::iota(idx.begin(), idx.end(), 0);
      do {
        packet_reassembler r;
        std::optional<reassembled_packet> done;
        for (std::size_t k = 0; k < idx.size(); ++k) {
          auto out = r.add("orig", (*uds)[idx[k]]);
          ASSERT_TRUE(out.ok()) << out.error().describe();
          EXPECT_EQ(out->has_value(), k + 1 == idx.size());
          if (out->has_value()) done = std::move(**out);
        }
        ASSERT_TRUE(done.has_value());
        EXPECT_EQ(done->packet, p);
        EXPECT_EQ(done->parts, 4u);
        EXPECT_EQ(r.pending(), 0u);
      } while (std::next_permutation(idx.begin(), idx.end()));
    }
  }
}

TEST(Ts31115Reassembler, Rejections) {
  auto uds = *command_to_tp_ud(pattern(300), {5});
  packet_reassembler r;
  ASSERT_TRUE(r.add("a", uds[1]).ok());
  auto dup = r.add("a", uds[1]);
  EXPECT_EQ(dup.error().code, make_error_code(errc::conflict));
  // A part claiming another total for the same reference.
  auto bad_total = r.add("a", hex("050003050402"
                                  "aa"));
  EXPECT_EQ(bad_total.error().code, make_error_code(errc::conflict));
  // Sequence 0 or beyond the total.
  EXPECT_EQ(r.add("a", hex("050003050300"
                           "aa"))
                .error()
                .code,
            make_error_code(errc::bad_value));
  EXPECT_EQ(r.add("a", hex("050003050304"
                           "aa"))
                .error()
                .code,
            make_error_code(errc::bad_value));
  // Part 1 without the command packet identifier.
  EXPECT_EQ(r.add("b", hex("050003050301"
                           "aa"))
                .error()
                .code,
            make_error_code(errc::bad_value));
  // A single SM without an identifier.
  EXPECT_EQ(r.add("b", hex("00"
                           "aa"))
                .error()
                .code,
            make_error_code(errc::bad_value));
  // Both identifiers.
  EXPECT_EQ(r.add("b", hex("0470007100"
                           "aa"))
                .error()
                .code,
            make_error_code(errc::bad_value));
  // Over 140 octets.
  EXPECT_EQ(r.add("b", bytes(141, 0)).error().code, make_error_code(errc::too_long));
  // The errors left the pending packet alone: the rest completes it.
  EXPECT_EQ(r.pending(), 1u);
  ASSERT_TRUE(r.add("a", uds[0]).ok());
  auto last = r.add("a", uds[2]);
  ASSERT_TRUE(last.ok());
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ((*last)->packet, pattern(300));
}

TEST(Ts31115Reassembler, KeyedByOriginatorAndReference) {
  const bytes p1 = pattern(200);
  bytes p2 = pattern(200);
  std::reverse(p2.begin(), p2.end());
  auto a = *command_to_tp_ud(p1, {9});
  auto b = *command_to_tp_ud(p2, {9});
  auto c = *command_to_tp_ud(p2, {9, true});  // same number, 16-bit: another key
  packet_reassembler r;
  ASSERT_TRUE(r.add("x", a[0]).ok());
  ASSERT_TRUE(r.add("y", b[1]).ok());
  ASSERT_TRUE(r.add("x", c[1]).ok());
  EXPECT_EQ(r.pending(), 3u);
  auto x = r.add("x", a[1]);
  ASSERT_TRUE(x.ok() && x->has_value());
  EXPECT_EQ((*x)->packet, p1);
  auto y = r.add("y", b[0]);
  ASSERT_TRUE(y.ok() && y->has_value());
  EXPECT_EQ((*y)->packet, p2);
  auto z = r.add("x", c[0]);
  ASSERT_TRUE(z.ok() && z->has_value());
  EXPECT_EQ((*z)->packet, p2);
}

TEST(Ts31115Reassembler, EvictsOldest) {
  packet_reassembler r(2);
  auto a = *command_to_tp_ud(pattern(200), {1});
  auto b = *command_to_tp_ud(pattern(200), {2});
  auto c = *command_to_tp_ud(pattern(200), {3});
  ASSERT_TRUE(r.add("o", a[0]).ok());
  ASSERT_TRUE(r.add("o", b[0]).ok());
  ASSERT_TRUE(r.add("o", c[0]).ok());  // drops ref 1
  EXPECT_EQ(r.pending(), 2u);
  auto late = r.add("o", a[1]);  // ref 1 starts over: incomplete
  ASSERT_TRUE(late.ok());
  EXPECT_FALSE(late->has_value());
  r.clear();
  EXPECT_EQ(r.pending(), 0u);
}

TEST(Ts31115Reassembler, ConcatenatedPoR) {
  const bytes p = pattern(250);
  auto uds = response_to_tp_ud(p, {0x33});
  ASSERT_TRUE(uds.ok());
  ASSERT_EQ(uds->size(), 2u);
  EXPECT_EQ(to_hex(byte_view((*uds)[0]).first(8)), "0771000003330201");
  packet_reassembler r;
  ASSERT_TRUE(r.add("card", (*uds)[1]).ok());
  auto done = r.add("card", (*uds)[0]);
  ASSERT_TRUE(done.ok() && done->has_value());
  EXPECT_EQ((*done)->kind, packet_kind::response);
  EXPECT_EQ((*done)->packet, p);
}

RC_GTEST_PROP(Ts31115Prop, SplitThenReassembleAnyOrder, (std::uint16_t ref, bool ref16)) {
  const auto size = *rc::gen::inRange<std::size_t>(1, 3000);
  const bytes p = *rc::gen::container<bytes>(size, rc::gen::arbitrary<std::uint8_t>());
  concat_options o{
      static_cast<std::uint16_t>(ref16 ? ref : ref & 0xFF), ref16,
      *rc::gen::element(first_sm_order::identifier_first, first_sm_order::concat_first)};
  auto uds = command_to_tp_ud(p, o);
  RC_ASSERT(uds.ok());
  for (const auto& ud : *uds) RC_ASSERT(ud.size() <= max_tp_ud);
  RC_ASSERT((uds->size() == 1) == (p.size() <= max_single_packet));
  const auto order = *rc::gen::unique<std::vector<std::size_t>>(
      uds->size(), rc::gen::inRange<std::size_t>(0, uds->size()));
  packet_reassembler r;
  std::optional<reassembled_packet> done;
  for (std::size_t k = 0; k < order.size(); ++k) {
    auto out = r.add("o", (*uds)[order[k]]);
    RC_ASSERT(out.ok());
    RC_ASSERT(out->has_value() == (k + 1 == order.size()));
    if (out->has_value()) done = std::move(**out);
  }
  RC_ASSERT(done.has_value());
  RC_ASSERT(done->packet == p);
}

}  // namespace
}  // namespace otaflow::codec
