// The router's reassembly of PoRs that come as several concatenated SMs (actors/mo_reassembly):
// parts built the way the virtual card sends them (codec::response_to_tp_ud, sim/ota_sms_pp.cpp),
// in order, out of order, with a duplicate part, and a set whose missing part never comes.

#include "actors/mo_reassembly.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace otaflow::actors {
namespace {

// A response packet of 300 octets (RPL 012A): three SMs.
bytes long_packet() {
  bytes p{0x01, 0x2A};
  for (std::size_t i = 0; i < 298; ++i) p.push_back(static_cast<std::uint8_t>(i));
  return p;
}

std::vector<bytes> parts_of(const bytes& packet, std::uint16_t ref) {
  codec::concat_options o;
  o.reference = ref;
  auto uds = codec::response_to_tp_ud(packet, o);
  EXPECT_TRUE(uds.ok()) << uds.error().message;
  return *uds;
}

bytes whole(const bytes& packet) {
  bytes out(3 + packet.size());
  out[0] = 0x02;
  out[1] = 0x71;  // out[2]: the IE's length, 0
  std::copy(packet.begin(), packet.end(), out.begin() + 3);
  return out;
}

TEST(MoReassembly, SingleSmPassesAsItIs) {
  mo_reassembly r;
  const bytes single = hex("027100000B0A00B00010000000000100");
  auto out = r.add("467", single, 0);
  ASSERT_TRUE(out);
  EXPECT_EQ(to_hex(*out), to_hex(single));
  const bytes garbage = hex("FF01");  // not a TP-UD with a concatenation IE: open_por judges it
  ASSERT_TRUE(r.add("467", garbage, 0));
  EXPECT_EQ(r.pending(), 0u);
}

TEST(MoReassembly, InOrderAndOutOfOrder) {
  const auto packet = long_packet();
  const auto parts = parts_of(packet, 7);
  ASSERT_EQ(parts.size(), 3u);
  mo_reassembly r;
  EXPECT_FALSE(r.add("467", parts[0], 0));
  EXPECT_FALSE(r.add("467", parts[1], 0));
  auto out = r.add("467", parts[2], 0);
  ASSERT_TRUE(out);
  EXPECT_EQ(to_hex(*out), to_hex(whole(packet)));
  // Out of order, and another originator with the same reference interleaved.
  EXPECT_FALSE(r.add("467", parts[2], 1));
  EXPECT_FALSE(r.add("468", parts[0], 1));
  EXPECT_FALSE(r.add("467", parts[0], 1));
  EXPECT_EQ(r.pending(), 2u);
  out = r.add("467", parts[1], 2);
  ASSERT_TRUE(out);
  EXPECT_EQ(to_hex(*out), to_hex(whole(packet)));
  EXPECT_EQ(r.pending(), 1u);
  EXPECT_EQ(r.stats().reassembled, 2u);
  EXPECT_EQ(r.stats().rejected, 0u);
}

TEST(MoReassembly, DuplicatePartIsRejectedAndTheSetStillCompletes) {
  const auto packet = long_packet();
  const auto parts = parts_of(packet, 9);
  mo_reassembly r;
  EXPECT_FALSE(r.add("467", parts[1], 0));
  EXPECT_FALSE(r.add("467", parts[1], 0));
  EXPECT_EQ(r.stats().rejected, 1u);
  EXPECT_FALSE(r.add("467", parts[0], 0));
  auto out = r.add("467", parts[2], 0);
  ASSERT_TRUE(out);
  EXPECT_EQ(to_hex(*out), to_hex(whole(packet)));
}

TEST(MoReassembly, MissingPartExpiresAndIsCounted) {
  const auto packet = long_packet();
  const auto parts = parts_of(packet, 3);
  mo_reassembly r(16, 60'000);
  EXPECT_FALSE(r.add("467", parts[0], 1'000));
  EXPECT_FALSE(r.add("467", parts[1], 2'000));
  EXPECT_EQ(r.expire(61'000), 0u);  // 60 s after the first part: not older yet
  EXPECT_EQ(r.expire(61'001), 1u);
  EXPECT_EQ(r.pending(), 0u);
  EXPECT_EQ(r.stats().expired, 1u);
  // The last part after the set expired: the start of a new set, never a wrong packet.
  EXPECT_FALSE(r.add("467", parts[2], 62'000));
  EXPECT_EQ(r.pending(), 1u);
  EXPECT_EQ(r.stats().reassembled, 0u);
}

TEST(MoReassembly, BoundedNumberOfIncompleteSets) {
  const auto packet = long_packet();
  mo_reassembly r(2, 60'000);
  for (std::uint16_t ref = 0; ref < 5; ++ref)
    EXPECT_FALSE(r.add("467", parts_of(packet, ref)[0], 0));
  EXPECT_EQ(r.pending(), 2u);
  EXPECT_EQ(r.stats().evicted, 3u);
  // A command packet (70) in concatenated SMs is no PoR: rejected.
  auto cmd = codec::command_to_tp_ud(packet, {});
  ASSERT_TRUE(cmd.ok());
  mo_reassembly c;
  std::optional<bytes> last;
  for (const auto& p : *cmd) last = c.add("467", p, 0);
  EXPECT_FALSE(last);
  EXPECT_EQ(c.stats().rejected, 1u);
}

}  // namespace
}  // namespace otaflow::actors
