// The packet factory's counters (issue 13, "counters never reused"): one bad counter row (a
// stored value of the wrong size, an exhausted counter) fails that card only, permanently and
// named, while the batch's other cards get their counters in the one synced write; a failed
// write fails them all. A request's skip (after a PoR 02) jumps its card's counter ahead.

#include <gtest/gtest.h>

#include "actors/ota_packets.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

namespace otaflow::actors {
namespace {

using storage::test::temp_dir;
using storage::test::test_kek;

const bytes kic_key = hex("11111111111111112222222222222222");
const bytes kid_key = hex("33333333333333334444444444444444");

struct fixture {
  temp_dir dir;
  std::unique_ptr<storage::state> state;
  std::unique_ptr<secure::crypto_backend> backend = secure::make_openssl_backend();
  std::unique_ptr<ota_packet_factory> factory;
  std::shared_ptr<campaign_ctx> ctx;
  std::vector<card_info> cards;

  explicit fixture(std::size_t n) {
    storage::db_options o;
    o.dir = dir.path();
    auto st = storage::state::open(o, test_kek());
    EXPECT_TRUE(st.ok()) << st.error().message;
    state = std::move(*st);
    factory = std::make_unique<ota_packet_factory>(state->counters(), *backend, state.get());
    campaign_def d;
    d.id = "cntr";
    d.security.spi = 0x1221;  // CC, counter higher, not ciphered (CNTR readable)
    d.update.files.push_back({{0x3F00, 0x7FFF, 0x6F7B}, hex("00F110"), 0});
    auto c = prepare_campaign(d);
    EXPECT_TRUE(c.ok()) << c.error().message;
    ctx = *c;
    for (std::size_t i = 0; i < n; ++i) {
      card_info card;
      card.iccid = "890000000000000000" + std::to_string(i + 1);
      card.msisdn = "4670000000" + std::to_string(i + 1);
      card.kic_key = *storage::secret::from(kic_key);
      card.kid_key = *storage::secret::from(kid_key);
      cards.push_back(std::move(card));
    }
  }

  std::vector<package_request> requests(std::vector<std::uint64_t> skips = {}) const {
    std::vector<package_request> r;
    for (std::size_t i = 0; i < cards.size(); ++i) {
      r.push_back({i, &cards[i], ctx.get(), i < skips.size() ? skips[i] : 0});
    }
    return r;
  }

  void put_raw(std::size_t card, std::string value) {
    rocksdb::WriteBatch b;
    b.Put(state->database().handle(storage::column::counters),
          storage::counter_store::row_key(cards[card].iccid, 1), value);
    ASSERT_TRUE(state->database().commit(b, true).ok());
  }
};

// The counter a packet carries, read back from its command header.
std::uint64_t counter_in(const packaged& p) {
  const auto& ud = p.segments.front();
  // TP-UD: UDH (02 70 00) then the command packet; its header holds CNTR after SPI, KIc,
  // KID and TAR (TS 102 225 §5.1.1): CPL(2) CHL(1) SPI(2) KIc KID TAR(3) CNTR(5).
  std::uint64_t v = 0;
  for (std::size_t i = 3 + 2 + 1 + 2 + 1 + 1 + 3; i < 3 + 2 + 1 + 2 + 1 + 1 + 3 + 5; ++i) {
    v = (v << 8) | ud.at(i);
  }
  return v;
}

TEST(FactoryCounters, CorruptAndExhaustedRowsFailTheirCardOnly) {
  fixture f(4);
  f.put_raw(1, "xyz");  // card 2: a stored value of 3 octets
  ASSERT_TRUE(f.state->counters().set(f.cards[2].iccid, 1, storage::counter_max).ok());
  const auto commits = f.state->database().commits();
  const auto reqs = f.requests();
  auto out = f.factory->package(reqs);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(f.state->database().commits(), commits + 1);  // still one synced write
  for (std::size_t i : {0u, 3u}) {
    ASSERT_TRUE(out[i].ok()) << out[i].error().message;
    EXPECT_EQ(out[i]->counter, 1u);
    EXPECT_EQ(counter_in(*out[i]), 1u);
  }
  for (std::size_t i : {1u, 2u}) {
    ASSERT_FALSE(out[i].ok());
    EXPECT_FALSE(out[i].error().retriable()) << i;
    const auto& m = out[i].error().message;
    EXPECT_NE(m.find(f.cards[i].iccid + " keyset 1"), std::string::npos) << m;
  }
  EXPECT_NE(out[1].error().message.find("3 octets"), std::string::npos);
  EXPECT_NE(out[2].error().message.find("exhausted"), std::string::npos);
  // Nothing was written for the bad cards; the good ones advanced.
  f.state->counters().clear_cache();
  EXPECT_EQ(*f.state->counters().get(f.cards[0].iccid, 1), 1u);
  EXPECT_EQ(*f.state->counters().get(f.cards[2].iccid, 1), storage::counter_max);
  auto raw = f.state->database().get(storage::column::counters,
                                     storage::counter_store::row_key(f.cards[1].iccid, 1));
  ASSERT_TRUE(raw.ok() && raw->has_value());
  EXPECT_EQ(**raw, "xyz");
}

TEST(FactoryCounters, SkipJumpsTheCardsCounterAhead) {
  fixture f(3);
  ASSERT_EQ(f.factory->package(f.requests()).size(), 3u);  // every counter at 1
  auto out = f.factory->package(f.requests({0, 100, 0}));
  ASSERT_EQ(out.size(), 3u);
  ASSERT_TRUE(out[0].ok() && out[1].ok() && out[2].ok());
  EXPECT_EQ(out[0]->counter, 2u);
  EXPECT_EQ(out[1]->counter, 102u);  // 1 + 1 + 100
  EXPECT_EQ(counter_in(*out[1]), 102u);
  EXPECT_EQ(out[2]->counter, 2u);
  f.state->counters().clear_cache();
  EXPECT_EQ(*f.state->counters().get(f.cards[1].iccid, 1), 102u);
}

}  // namespace
}  // namespace otaflow::actors
