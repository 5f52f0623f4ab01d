// secure::inspect_commands (the card side's batch opening, issue 6) against inspect_command:
// the same report for every packet, on the OpenSSL backend, the best backend and the SIMD
// kernels without OpenSSL leftovers. Packets of every cipher and checksum algorithm, key
// version and length, intact or tampered with (a flipped bit anywhere, a truncation, a
// wrong or missing key), so that every failure status the opening can give is compared too.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <memory>
#include <vector>

#include "codec/ts102225_spi.hpp"
#include "secure/scp80.hpp"
#include "secure/simd_backend.hpp"

namespace otaflow::secure {
namespace {

struct rng {
  std::uint64_t x;
  std::uint64_t next() {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  bytes fill(std::size_t n) {
    bytes b(n);
    for (auto& o : b) o = static_cast<std::uint8_t>(next());
    return b;
  }
};

/// Ciphering KIc low nibbles with their key lengths (TS 102 225 §5.1.2).
struct algo {
  std::uint8_t nibble;
  std::size_t key_len;
};
constexpr algo ciphers[] = {{0x1, 8},  {0x5, 16}, {0x9, 24}, {0xD, 8},
                            {0x2, 16}, {0x2, 24}, {0x2, 32}};
constexpr algo ccs[] = {{0x1, 8}, {0x5, 16}, {0x9, 24}, {0x2, 16}, {0x2, 32}};
constexpr std::uint8_t rcs[] = {0x1, 0x5};  // CRC16, CRC32

/// One packet with the keys of its card.
struct sample {
  bytes packet;
  std::map<std::uint8_t, keyset> keys;  ///< what the card's lookup finds
};

sample make_sample(rng& r) {
  sample s;
  const algo c = ciphers[r.below(std::size(ciphers))];
  const std::size_t integ = r.below(3);  // none, RC, CC
  const algo cc = ccs[r.below(std::size(ccs))];
  const bool ciphered = r.below(4) != 0;
  const auto kic_v = static_cast<std::uint8_t>(1 + r.below(15));
  const auto kid_v = r.below(2) ? kic_v : static_cast<std::uint8_t>(1 + r.below(15));
  keyset kic_set{kic_v, r.fill(c.key_len), r.fill(cc.key_len)};
  keyset kid_set = kid_v == kic_v ? kic_set : keyset{kid_v, r.fill(c.key_len), r.fill(cc.key_len)};

  command_params p;
  std::uint16_t spi = 0x0021;
  spi |= static_cast<std::uint16_t>(integ << 8);
  if (ciphered) spi |= 0x0400;
  spi |= static_cast<std::uint16_t>(r.below(4) << 11);  // counter mode
  p.spi = *codec::decode_spi(spi);
  p.kic = static_cast<std::uint8_t>(kic_v << 4 | c.nibble);
  p.kid = static_cast<std::uint8_t>(kid_v << 4 | (integ == 2   ? cc.nibble
                                                  : integ == 1 ? rcs[r.below(2)]
                                                               : r.below(16)));
  p.tar = static_cast<std::uint32_t>(r.next() & 0xFFFFFF);
  p.counter = r.next() & 0xFFFFFFFFFFull;
  p.kic_key = kic_set.kic_key;
  p.kid_key = kid_set.kid_key;
  const std::size_t block = cc.nibble == 0x2 ? 16 : 8;
  p.cc_length = 4 + r.below(block - 3);
  auto packet = secure_command(p, r.fill(r.below(120)));
  EXPECT_TRUE(packet.ok()) << packet.error().message;
  s.packet = packet ? std::move(*packet) : bytes{};

  s.keys[kic_v] = kic_set;
  s.keys[kid_v] = kid_set;
  switch (r.below(10)) {
    case 0:  // a flipped bit anywhere
      if (!s.packet.empty()) s.packet[r.below(s.packet.size())] ^= 1u << r.below(8);
      break;
    case 1:  // truncated
      s.packet.resize(r.below(s.packet.size() + 1));
      break;
    case 2:  // the card holds other keys
      s.keys[kid_v].kid_key = r.fill(cc.key_len);
      s.keys[kic_v].kic_key = r.fill(c.key_len);
      break;
    case 3:  // the card lacks the keyset
      s.keys.erase(r.below(2) ? kic_v : kid_v);
      break;
    case 4:  // a key of the wrong length
      s.keys[kic_v].kic_key.resize(c.key_len == 8 ? 16 : 8);
      break;
    default:
      break;
  }
  return s;
}

key_lookup lookup_of(const sample& s) {
  return [&s](std::uint32_t, std::uint8_t v) -> const keyset* {
    auto it = s.keys.find(v);
    return it == s.keys.end() ? nullptr : &it->second;
  };
}

void expect_same(const command_report& a, const command_report& b, std::size_t i) {
  EXPECT_EQ(a.status, b.status) << "packet " << i;
  EXPECT_EQ(a.failure.code, b.failure.code) << "packet " << i;
  EXPECT_EQ(a.header_known, b.header_known) << "packet " << i;
  EXPECT_EQ(a.counter_known, b.counter_known) << "packet " << i;
  EXPECT_EQ(a.command.spi_raw, b.command.spi_raw) << "packet " << i;
  EXPECT_EQ(a.command.kic, b.command.kic) << "packet " << i;
  EXPECT_EQ(a.command.kid, b.command.kid) << "packet " << i;
  EXPECT_EQ(a.command.tar, b.command.tar) << "packet " << i;
  EXPECT_EQ(a.command.counter, b.command.counter) << "packet " << i;
  EXPECT_EQ(a.command.pcntr, b.command.pcntr) << "packet " << i;
  EXPECT_EQ(a.command.integrity, b.command.integrity) << "packet " << i;
  EXPECT_EQ(a.command.data, b.command.data) << "packet " << i;
}

std::vector<std::unique_ptr<crypto_backend>> backends() {
  std::vector<std::unique_ptr<crypto_backend>> v;
  v.push_back(make_openssl_backend());
  v.push_back(make_best_backend());
  simd_options kernels_only;
  kernels_only.openssl_leftovers = false;
  v.push_back(make_simd_backend(kernels_only));
  return v;
}

TEST(Scp80BatchOpen, EqualsOneAtATimeForEveryAlgorithmAndFailure) {
  rng r{0x5EED1234ABCDull};
  std::vector<sample> samples;
  for (int i = 0; i < 1500; ++i) samples.push_back(make_sample(r));
  std::vector<command_report> single;
  std::map<codec::por_status, int> seen;
  for (const auto& s : samples) {
    single.push_back(inspect_command(s.packet, lookup_of(s)));
    ++seen[single.back().status];
  }
  // The samples reach every outcome the opening gives.
  for (auto st :
       {codec::por_status::ok, codec::por_status::rc_cc_ds_failed,
        codec::por_status::ciphering_error, codec::por_status::unidentified_security_error})
    EXPECT_GT(seen[st], 10) << "status " << static_cast<int>(st);

  std::vector<command_to_inspect> items;
  for (const auto& s : samples) items.push_back({s.packet, lookup_of(s)});
  for (auto& b : backends()) {
    SCOPED_TRACE(std::string(b->name()));
    auto batch = inspect_commands(items, *b);
    ASSERT_EQ(batch.size(), samples.size());
    for (std::size_t i = 0; i < samples.size(); ++i) expect_same(single[i], batch[i], i);
  }
}

TEST(Scp80BatchOpen, EmptyBatchAndNoKeyLookup) {
  auto b = make_best_backend();
  EXPECT_TRUE(inspect_commands({}, *b).empty());
  // A ciphered packet and no lookup at all: 06 in both paths.
  const bytes packet = hex("00201506193535b00011ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f");
  std::vector<command_to_inspect> items{{packet, nullptr}};
  auto r = inspect_commands(items, *b);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, codec::por_status::unidentified_security_error);
  expect_same(inspect_command(packet, nullptr), r[0], 0);
}

TEST(Scp80BatchOpen, PySimVectorOpensInABatch) {
  // pySim test_ota.py / sysmoISIM-SJA5: SPI 0619, KIc = KID = 35, TAR B00011, SELECT MF.
  const keyset ks{3, hex("300102030405060708090a0b0c0d0e0f"),
                  hex("301102030405060708090a0b0c0d0e0f")};
  const bytes packet = hex("00201506193535b00011ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f");
  const key_lookup keys = [&ks](std::uint32_t, std::uint8_t v) { return v == 3 ? &ks : nullptr; };
  std::vector<command_to_inspect> items(300, {packet, keys});  // a SIMD batch's worth
  for (auto& b : backends()) {
    auto r = inspect_commands(items, *b);
    for (const auto& rep : r) {
      ASSERT_EQ(rep.status, codec::por_status::ok) << b->name();
      EXPECT_EQ(to_hex(rep.command.data), "00a40004023f00");
      EXPECT_EQ(rep.command.tar, 0xB00011u);
    }
  }
}

RC_GTEST_PROP(Scp80BatchOpen, AnyBatchEqualsOneAtATime, ()) {
  rng r{*rc::gen::inRange<std::uint64_t>(1, 1ull << 62)};
  const auto n = *rc::gen::inRange<std::size_t>(1, 80);
  std::vector<sample> samples;
  for (std::size_t i = 0; i < n; ++i) samples.push_back(make_sample(r));
  std::vector<command_to_inspect> items;
  for (const auto& s : samples) items.push_back({s.packet, lookup_of(s)});
  auto b = make_best_backend();
  auto batch = inspect_commands(items, *b);
  RC_ASSERT(batch.size() == n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto one = inspect_command(samples[i].packet, lookup_of(samples[i]));
    RC_ASSERT(one.status == batch[i].status);
    RC_ASSERT(one.counter_known == batch[i].counter_known);
    RC_ASSERT(one.command.counter == batch[i].command.counter);
    RC_ASSERT(one.command.data == batch[i].command.data);
  }
}

}  // namespace
}  // namespace otaflow::secure
