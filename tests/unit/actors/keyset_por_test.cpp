// The packet factory's PoR of a PUT KEY campaign (ota_packet_factory::open_por with
// [update.keyset]): the CC checked with the campaign's keyset, else with the pending new one;
// the response data (KVN || KCVs) compared with the pending keyset's keys (AES KCVs of 16 x
// 11/22/33 from `openssl enc -aes-128-ecb -nopad` of 16 x 01: 098542, c65591, 5f8af9).

#include <gtest/gtest.h>

#include "actors/ota_packets.hpp"
#include "codec/ts102225_spi.hpp"
#include "codec/ts102226_script.hpp"
#include "secure/scp80.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

namespace otaflow::actors {
namespace {

using storage::test::temp_dir;
using storage::test::test_kek;

const bytes old_kic = hex("11111111111111112222222222222222");
const bytes old_kid = hex("33333333333333334444444444444444");
const bytes stranger = hex("55555555555555556666666666666666");

storage::secret fill(std::uint8_t v) {
  return storage::secret::from(bytes(16, v)).value();
}

/// A PoR TP-UD of status 00 whose compact response is one command, SW 9000, `data`.
bytes make_por(const bytes& kic, const bytes& kid, const bytes& data) {
  secure::response_params rp;
  rp.security.spi = *codec::decode_spi(0x1629);
  rp.security.kic = 0x15;
  rp.security.kid = 0x15;
  rp.security.kic_key = kic;
  rp.security.kid_key = kid;
  rp.tar = 0x000000;
  rp.counter = 7;
  rp.status = codec::por_status::ok;
  const bytes response = codec::encode_compact_response({1, 0x9000, data});
  auto pkt = secure::secure_response(rp, response);
  EXPECT_TRUE(pkt.ok()) << pkt.error().message;
  byte_writer w;  // the Response Packet Identifier UDH, TS 31.115 §4
  w.u8(0x02);
  w.u8(0x71);
  w.u8(0x00);
  w.append(byte_view(*pkt));
  return w.take();
}

struct KeysetPor : ::testing::Test {
  temp_dir dir;
  std::unique_ptr<storage::state> state;
  std::unique_ptr<secure::crypto_backend> backend = secure::make_openssl_backend();
  std::unique_ptr<ota_packet_factory> factory;
  std::shared_ptr<campaign_ctx> ctx;
  card_info card;

  KeysetPor() {
    storage::db_options o;
    o.dir = dir.path();
    state = std::move(storage::state::open(o, test_kek()).value());
    factory = std::make_unique<ota_packet_factory>(state->counters(), *backend, state.get());
    card.iccid = "8900000000000000001";
    card.msisdn = "46700000001";
    card.kic_key = *storage::secret::from(old_kic);
    card.kid_key = *storage::secret::from(old_kid);
    campaign_def d;
    d.id = "pk";
    d.security.spi = 0x1629;
    d.security.tar = 0x000000;
    d.update.keyset = keyset_update_def{4, true, true, true, true};
    ctx = prepare_campaign(d).value();
  }

  void stage_pending() {
    storage::pending_keyset p;
    p.version = 4;
    p.from = 1;
    p.keys = {fill(0x11), fill(0x22), fill(0x33)};
    rocksdb::WriteBatch b;
    ASSERT_TRUE(state->keys().stage_pending_keyset(b, card.iccid, "pk", p).ok());
    ASSERT_TRUE(state->database().commit(b, true).ok());
  }
};

const bytes good = hex("04098542c655915f8af9");

TEST_F(KeysetPor, MatchingKcvsUnderTheOldKeysetProve) {
  stage_pending();
  auto p = factory->open_por(card, *ctx, make_por(old_kic, old_kid, good));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_TRUE(p->verified);
  EXPECT_EQ(p->status, 0x00);
  EXPECT_EQ(p->script_sw, 0x9000);
  EXPECT_EQ(p->failure, "");
}

TEST_F(KeysetPor, APorUnderTheNewKeysetIsCheckedWithItsKeys) {
  stage_pending();
  auto p = factory->open_por(card, *ctx, make_por(bytes(16, 0x11), bytes(16, 0x22), good));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_TRUE(p->verified);
  EXPECT_EQ(p->failure, "");
  // Under neither keyset: rejected and counted.
  auto forged = factory->open_por(card, *ctx, make_por(stranger, stranger, good));
  ASSERT_FALSE(forged.ok());
  EXPECT_EQ(forged.error().code, make_error_code(errc::verification));
  EXPECT_EQ(factory->por_rejected(), 1u);
}

TEST_F(KeysetPor, AWrongKcvOrNoPendingKeysetFailsTheJob) {
  stage_pending();
  auto p = factory->open_por(card, *ctx, make_por(old_kic, old_kid, hex("04098542c655915f8af8")));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->failure, "PUT KEY response: KCV of key 3 (id 3) differs from the key sent");
  p = factory->open_por(card, *ctx, make_por(old_kic, old_kid, hex("04")));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->failure, "PUT KEY response: 0 KCVs for 3 keys");
  rocksdb::WriteBatch b;
  ASSERT_TRUE(*state->keys().stage_drop_pending_keyset(b, card.iccid, "pk"));
  ASSERT_TRUE(state->database().commit(b, true).ok());
  p = factory->open_por(card, *ctx, make_por(old_kic, old_kid, good));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->failure,
            "PUT KEY answered, but no pending keyset of this campaign is in the repository");
}

}  // namespace
}  // namespace otaflow::actors
