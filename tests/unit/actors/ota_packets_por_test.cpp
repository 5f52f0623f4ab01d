// The packet factory's PoR opening (ota_packet_factory::open_por) against PoRs built the way
// the virtual card builds them (sim/ota_sms_pp.cpp: secure::secure_response with the
// command's keyset, SPI octet 2's protection, or none for an error the card sends
// unsecured), and forged ones: a PoR without the protection SPI octet 2 asks for, or with a
// wrong one, is rejected and counted; an unsecured error PoR 01-0A comes back unproven
// (verified = false), which the state machine takes as a failed attempt at most.
// docs/standards/ts102225-secured-packets.md §11.

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

// Keyset 1, 3DES two keys (KIc = KID = 15).
const bytes kic_key = hex("11111111111111112222222222222222");
const bytes kid_key = hex("33333333333333334444444444444444");
const bytes other_key = hex("55555555555555556666666666666666");
constexpr std::uint32_t tar = 0xB00010;

enum class form { genuine, unsecured, wrong_key };

/// A PoR TP-UD (02 71 00 ‖ packet) answering a packet of `spi` with `counter`.
bytes make_por(std::uint16_t spi, std::uint8_t status, std::uint64_t counter, form f,
               std::uint32_t por_tar = tar, byte_view data = {}) {
  secure::response_params rp;
  rp.security.spi = *codec::decode_spi(spi);
  if (f == form::unsecured) {
    rp.security.spi.por_ciphered = false;
    rp.security.spi.por_integrity = codec::integrity::none;
  }
  rp.security.kic = 0x15;
  rp.security.kid = 0x15;
  rp.security.kic_key = f == form::wrong_key ? other_key : kic_key;
  rp.security.kid_key = f == form::wrong_key ? other_key : kid_key;
  rp.tar = por_tar;
  rp.counter = counter;
  rp.status = static_cast<codec::por_status>(status);
  auto pkt = secure::secure_response(rp, data);
  EXPECT_TRUE(pkt.ok()) << pkt.error().message;
  byte_writer w;
  w.u8(0x02);  // the Response Packet Identifier UDH, TS 31.115 §4
  w.u8(0x71);
  w.u8(0x00);
  w.append(byte_view(*pkt));
  return w.take();
}

std::shared_ptr<campaign_ctx> campaign(std::uint16_t spi, bool key_update,
                                       script_format format = script_format::compact) {
  campaign_def d;
  d.update.format = format;
  d.id = "por";
  d.security.spi = spi;
  d.security.tar = tar;
  if (key_update) {
    d.update.keys = keys_update_def{};
  } else {
    d.update.files.push_back({{0x3F00, 0x7FFF, 0x6F7B}, hex("00F110"), 0});
  }
  auto ctx = prepare_campaign(d);
  EXPECT_TRUE(ctx.ok()) << ctx.error().message;
  return *ctx;
}

struct fixture {
  temp_dir dir;
  std::unique_ptr<storage::state> state;
  std::unique_ptr<secure::crypto_backend> backend = secure::make_openssl_backend();
  std::unique_ptr<ota_packet_factory> factory;
  card_info card;

  fixture() {
    storage::db_options o;
    o.dir = dir.path();
    auto st = storage::state::open(o, test_kek());
    EXPECT_TRUE(st.ok()) << st.error().message;
    state = std::move(*st);
    factory = std::make_unique<ota_packet_factory>(state->counters(), *backend, state.get());
    card.iccid = "8900000000000000001";
    card.msisdn = "46700000001";
    card.kic_key = *storage::secret::from(kic_key);
    card.kid_key = *storage::secret::from(kid_key);
  }
};

enum class outcome { proven, unproven, rejected };

struct row {
  const char* name;
  std::uint16_t spi;
  bool key_update;
  std::uint8_t status;
  form f;
  outcome want;
};

const row rows[] = {
    // SPI 1629: PoR with a CC, by SMS-SUBMIT.
    {"CC: genuine PoR OK", 0x1629, false, 0x00, form::genuine, outcome::proven},
    {"CC: forged unsecured PoR OK", 0x1629, false, 0x00, form::unsecured, outcome::rejected},
    {"CC: PoR OK under another key", 0x1629, false, 0x00, form::wrong_key, outcome::rejected},
    {"CC: genuine secured 02", 0x1629, false, 0x02, form::genuine, outcome::proven},
    {"CC: 02 under another key", 0x1629, false, 0x02, form::wrong_key, outcome::rejected},
    {"CC: unsecured 01", 0x1629, false, 0x01, form::unsecured, outcome::unproven},
    {"CC: unsecured 05", 0x1629, false, 0x05, form::unsecured, outcome::unproven},
    {"CC: unsecured 09", 0x1629, false, 0x09, form::unsecured, outcome::unproven},
    {"CC: unsecured 0A", 0x1629, false, 0x0A, form::unsecured, outcome::unproven},
    {"CC: unsecured 0B", 0x1629, false, 0x0B, form::unsecured, outcome::rejected},
    {"CC: unsecured 0D", 0x1629, false, 0x0D, form::unsecured, outcome::rejected},
    {"CC: unsecured C0", 0x1629, false, 0xC0, form::unsecured, outcome::rejected},
    // SPI 1639: PoR ciphered and with a CC.
    {"CC+cipher: genuine PoR OK", 0x1639, false, 0x00, form::genuine, outcome::proven},
    {"CC+cipher: forged unsecured PoR OK", 0x1639, false, 0x00, form::unsecured, outcome::rejected},
    {"CC+cipher: PoR OK under another key", 0x1639, false, 0x00, form::wrong_key,
     outcome::rejected},
    {"CC+cipher: unsecured 06", 0x1639, false, 0x06, form::unsecured, outcome::unproven},
    // SPI 1621: the PoR is unsecured by the SPI's choice.
    {"none: PoR OK", 0x1621, false, 0x00, form::unsecured, outcome::proven},
    {"none: 09", 0x1621, false, 0x09, form::unsecured, outcome::unproven},
    {"none: 01", 0x1621, false, 0x01, form::unsecured, outcome::unproven},
    {"none: 08 more time", 0x1621, false, 0x08, form::unsecured, outcome::proven},
    {"none: C0", 0x1621, false, 0xC0, form::unsecured, outcome::rejected},
    // Key updates: only a CC (or DS) confirms them, whatever the SPI says.
    {"keys, none: PoR OK", 0x1621, true, 0x00, form::unsecured, outcome::rejected},
    {"keys, none: 09", 0x1621, true, 0x09, form::unsecured, outcome::unproven},
    {"keys, CC: genuine PoR OK", 0x1629, true, 0x00, form::genuine, outcome::proven},
    {"keys, CC: forged unsecured PoR OK", 0x1629, true, 0x00, form::unsecured, outcome::rejected},
    {"keys, CC: PoR OK under another key", 0x1629, true, 0x00, form::wrong_key, outcome::rejected},
};

TEST(OpenPor, ProtectionAsTheSpiAsks) {
  fixture fx;
  std::uint64_t rejected = 0;
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    auto ctx = campaign(r.spi, r.key_update);
    ASSERT_TRUE(ctx);
    // A card that could not read a ciphered command echoes no counter.
    const std::uint64_t counter = r.f == form::unsecured && r.status != 0 ? 0 : 42;
    auto p = fx.factory->open_por(fx.card, *ctx, make_por(r.spi, r.status, counter, r.f));
    switch (r.want) {
      case outcome::proven:
        ASSERT_TRUE(p.ok()) << p.error().message;
        EXPECT_TRUE(p->verified);
        EXPECT_EQ(p->status, r.status);
        EXPECT_EQ(p->counter, counter);
        break;
      case outcome::unproven:
        ASSERT_TRUE(p.ok()) << p.error().message;
        EXPECT_FALSE(p->verified);
        EXPECT_EQ(p->status, r.status);
        break;
      case outcome::rejected:
        ASSERT_FALSE(p.ok());
        EXPECT_EQ(p.error().message.rfind("PoR rejected: SPI ", 0), 0u) << p.error().message;
        // The message names no key.
        for (const auto* k : {&kic_key, &kid_key, &other_key})
          EXPECT_EQ(p.error().message.find(to_hex(*k)), std::string::npos);
        ++rejected;
        break;
    }
    EXPECT_EQ(fx.factory->por_rejected(), rejected);
  }
}

// A PoR of another application is not this campaign's: ignored, not counted as forged.
TEST(OpenPor, AnotherTarIsNotCounted) {
  fixture fx;
  auto ctx = campaign(0x1629, false);
  auto p = fx.factory->open_por(fx.card, *ctx, make_por(0x1629, 0, 1, form::genuine, 0xB00011));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(fx.factory->por_rejected(), 0u);
}

// The response data of the script's last command comes back in por_info::script_data, from a
// compact and from an expanded response (a GET STATUS page's E3 entries).
TEST(OpenPor, CarriesTheLastCommandsResponseData) {
  fixture fx;
  const bytes entries = hex("E3104F07A00000015141439F700107C50100");
  {
    auto ctx = campaign(0x1629, false, script_format::compact);
    const auto resp = codec::encode_compact_response({2, 0x6310, entries});
    auto p = fx.factory->open_por(fx.card, *ctx, make_por(0x1629, 0, 7, form::genuine, tar, resp));
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(p->script_sw, 0x6310);
    EXPECT_EQ(p->executed, 2);
    EXPECT_EQ(to_hex(p->script_data), to_hex(entries));
  }
  {
    auto ctx = campaign(0x1629, false, script_format::expanded);
    codec::expanded_response er;
    er.executed = 2;
    er.items.push_back(codec::response_apdu{hex("E300"), 0x6310});
    er.items.push_back(codec::response_apdu{entries, 0x9000});
    auto resp = codec::encode_expanded_response(er);
    ASSERT_TRUE(resp.ok()) << resp.error().message;
    auto p = fx.factory->open_por(fx.card, *ctx, make_por(0x1629, 0, 8, form::genuine, tar, *resp));
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(p->script_sw, 0x9000);
    EXPECT_EQ(to_hex(p->script_data), to_hex(entries));
  }
}

}  // namespace
}  // namespace otaflow::actors
