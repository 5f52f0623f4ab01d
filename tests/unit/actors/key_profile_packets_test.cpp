// [update.keys] through card vendor key profiles in the packet factory over a real state
// directory: the built-in otaflow-virtual profile sends exactly the packets of the code before
// key profiles (the script rebuilt here by hand: SELECTs and one UPDATE BINARY of
// seal_key_file, then secured and split as the factory did), by default, by name and by its
// shipped file; the example vendor's APDU profile reaches a virtual card of that key profile,
// which installs exactly the pending keys; each card kind refuses the other's write.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "actors/campaign_def.hpp"
#include "actors/ota_packets.hpp"
#include "codec/ts102225_spi.hpp"
#include "codec/ts102226_script.hpp"
#include "codec/ts31115_sms.hpp"
#include "secure/key_rotation.hpp"
#include "secure/scp80.hpp"
#include "sim/card_profile.hpp"
#include "sim/uicc_apdu.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

namespace otaflow::actors {
namespace {

using storage::test::make_iccid;
using storage::test::temp_dir;
using storage::test::test_kek;

const std::filesystem::path profiles =
    std::filesystem::path(OTAFLOW_SOURCE_DIR) / "config" / "key-profiles";
const bytes kic1 = hex("11111111111111112222222222222222");
const bytes kid1 = hex("33333333333333334444444444444444");
const bytes kik1 = hex("000102030405060708090a0b0c0d0e0f");

struct fixture {
  temp_dir dir;
  std::unique_ptr<storage::state> state;
  std::unique_ptr<secure::crypto_backend> backend = secure::make_openssl_backend();

  fixture() {
    std::filesystem::create_directories(dir.path());
    storage::db_options o;
    o.dir = dir.path() / "state";
    auto st = storage::state::open(o, test_kek());
    EXPECT_TRUE(st.ok()) << st.error().message;
    state = std::move(*st);
  }

  card_info card(std::uint64_t n) {
    storage::card_keys k;
    k.ki = *storage::secret::from(bytes(16, 0xA1));
    k.opc = *storage::secret::from(bytes(16, 0xA2));
    k.keysets[1] = {*storage::secret::from(kic1), *storage::secret::from(kid1),
                    *storage::secret::from(kik1)};
    card_info c;
    c.iccid = make_iccid(n);
    c.msisdn = "4670000000" + std::to_string(n);
    EXPECT_TRUE(state->keys().put(c.iccid, k).ok());
    c.kic_key = k.keysets[1].kic;
    c.kid_key = k.keysets[1].kid;
    return c;
  }

  // A campaign file with `keys` under [update.keys], read as `campaign run` reads it.
  campaign_def load(const std::string& keys) {
    std::filesystem::create_directories(dir.path());
    const auto path = dir.path() / "c.toml";
    std::ofstream(path) << "id = \"kp\"\n[security]\nspi = \"1629\"\nkic = \"15\"\nkid = "
                           "\"15\"\ntar = \"B00010\"\n[target]\nall = true\n[update.keys]\n"
                           "rotate = [\"ki\", \"opc\"]\n"
                        << keys;
    auto c = load_campaign_file(path.string());
    EXPECT_TRUE(c.ok()) << c.error().message;
    return *c;
  }
};

// The commands of a packaged packet's script, deciphered as the card does.
std::vector<codec::command_apdu> commands_of(const packaged& p) {
  codec::packet_reassembler ra;
  std::optional<codec::reassembled_packet> pkt;
  for (const auto& seg : p.segments) {
    auto r = ra.add("platform", seg);
    EXPECT_TRUE(r.ok());
    if (r.ok() && *r) pkt = std::move(**r);
  }
  EXPECT_TRUE(pkt.has_value());
  const secure::keyset ks{1, kic1, kid1};
  auto opened = secure::open_command(
      pkt->packet, [&](std::uint32_t, std::uint8_t) -> const secure::keyset* { return &ks; });
  EXPECT_TRUE(opened.ok());
  auto cmds = codec::decode_compact_script(opened->data);
  EXPECT_TRUE(cmds.ok());
  return *cmds;
}

codec::command_apdu apdu(const std::string& h) {
  return *codec::decode_command_apdu(hex(h));
}

TEST(KeyProfilePackets, OtaflowVirtualIsByteIdenticalToTheKeyFileOfBefore) {
  fixture f;
  const card_info a = f.card(1);
  const auto by_default = f.load("");
  const auto by_name = f.load("profile = \"otaflow-virtual\"\n");
  const auto by_file =
      f.load("profile = \"" + (profiles / "otaflow-virtual.toml").string() + "\"\n");
  EXPECT_EQ(to_json(by_name), to_json(by_default));
  EXPECT_EQ(to_json(by_file), to_json(by_default));
  ota_packet_factory factory(f.state->counters(), *f.backend, f.state.get());
  for (const auto* def : {&by_default, &by_name, &by_file}) {
    auto ctx = prepare_campaign(*def);
    ASSERT_TRUE(ctx.ok()) << ctx.error().message;
    const auto& v = (*ctx)->variants.at(0);
    // The prepared (placeholder) script: SELECT 3F00, 7F66, 6F01, UPDATE BINARY of 64 x FF.
    auto placeholder = codec::compact_script(
        {apdu("00a4000c023f00"), apdu("00a4000c027f66"), apdu("00a4000c026f01"),
         codec::command_apdu{0x00, 0xD6, 0, 0, bytes(64, 0xFF), {}}});
    ASSERT_TRUE(placeholder.ok());
    EXPECT_EQ(to_hex(v.script), to_hex(*placeholder));
    EXPECT_EQ(v.key_file_at, 3u);
    EXPECT_EQ(v.key_commands, 1u);

    // The packet of card a (every campaign "kp": the same pending keys, the same sequence).
    const package_request req[] = {{1, &a, ctx->get()}};
    auto out = factory.package(req);
    ASSERT_TRUE(out[0].ok()) << out[0].error().message;
    auto pending = f.state->keys().get_pending(a.iccid, "kp");
    ASSERT_TRUE(pending.ok() && pending->has_value());
    secure::subscriber_keys keys;
    std::copy((*pending)->ki.view().begin(), (*pending)->ki.view().end(), keys.ki.begin());
    std::copy((*pending)->opc.view().begin(), (*pending)->opc.view().end(), keys.opc.begin());
    codec::keyfile::header hdr;
    hdr.kik_index = 1;
    hdr.sequence = 1;
    auto image = secure::seal_key_file(kik1, hdr, keys);
    ASSERT_TRUE(image.ok());
    auto script = codec::compact_script({apdu("00a4000c023f00"), apdu("00a4000c027f66"),
                                         apdu("00a4000c026f01"),
                                         codec::command_apdu{0x00, 0xD6, 0, 0, *image, {}}});
    ASSERT_TRUE(script.ok());
    secure::command_params cp;
    cp.spi = *codec::decode_spi(0x1629);
    cp.kic = 0x15;
    cp.kid = 0x15;
    cp.tar = 0xB00010;
    cp.counter = out[0]->counter;
    cp.kic_key = kic1;
    cp.kid_key = kid1;
    auto packet = secure::secure_command(cp, *script);
    ASSERT_TRUE(packet.ok());
    codec::concat_options co;
    co.reference = static_cast<std::uint16_t>(out[0]->counter & 0xFF);
    auto sms = codec::command_to_tp_ud(*packet, co);
    ASSERT_TRUE(sms.ok());
    ASSERT_EQ(out[0]->segments.size(), sms->size());
    for (std::size_t i = 0; i < sms->size(); ++i)
      EXPECT_EQ(to_hex(out[0]->segments[i]), to_hex((*sms)[i]));
  }
}

// A virtual card of the fleet's keys (keyset 1 = kic1/kid1/kik1) under a card profile.
sim::uicc_data virtual_card_data() {
  sim::card_identity id;
  id.iccid = make_iccid(1);
  id.imsi = "001010000000001";
  id.msisdn = "46700000001";
  id.keysets.emplace_back(1, kic1, kid1, kik1);
  return sim::uicc_data(std::move(id), sim::card_state{});
}

TEST(KeyProfilePackets, TheExampleVendorCommandReachesACardOfThatProfile) {
  fixture f;
  const card_info a = f.card(1);
  std::filesystem::create_directories(f.dir.path());
  std::filesystem::copy_file(profiles / "example-apdu.toml", f.dir.path() / "vendor.toml");
  auto ctx = prepare_campaign(f.load("profile = \"vendor.toml\"\n"));
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  EXPECT_EQ((*ctx)->variants[0].key_file_at, 0u);  // no SELECT: the command goes to the app
  EXPECT_EQ((*ctx)->variants[0].key_commands, 1u);
  ota_packet_factory factory(f.state->counters(), *f.backend, f.state.get());
  const package_request req[] = {{1, &a, ctx->get()}};
  auto out = factory.package(req);
  ASSERT_TRUE(out[0].ok()) << out[0].error().message;
  auto cmds = commands_of(*out[0]);
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0].cla, 0x80);
  EXPECT_EQ(cmds[0].ins, 0x4E);
  EXPECT_EQ(cmds[0].p1, 0x01);  // {kvn}: the campaign's keyset
  ASSERT_EQ(cmds[0].data.size(), 47u);
  EXPECT_EQ(to_hex(byte_view(cmds[0].data).last(6)), "840400000001");  // {seq}

  auto pending = f.state->keys().get_pending(a.iccid, "kp");
  ASSERT_TRUE(pending.ok() && pending->has_value());
  sim::card_profile vendor = sim::default_card_profile();
  vendor.key_profile = sim::card_key_profile::example_apdu;
  auto data = virtual_card_data();
  sim::uicc_session session(data, vendor, sim::access_level::adm);
  EXPECT_EQ(session.process(cmds[0]).sw, 0x9000);
  ASSERT_TRUE(data.state().rotated_keys().has_value());
  EXPECT_TRUE(equal_ct(data.state().rotated_keys()->first, (*pending)->ki.view()));
  EXPECT_TRUE(equal_ct(data.state().rotated_keys()->second, (*pending)->opc.view()));
  EXPECT_EQ(data.state().key_file_sequence(), 1u);
  EXPECT_EQ(session.process(cmds[0]).sw, 0x9000);  // the same command again: a repeat

  // A card of the otaflow-virtual profile does not know the command; a card of the example
  // profile refuses the otaflow key rotation file.
  auto plain = virtual_card_data();
  const sim::card_profile def = sim::default_card_profile();
  sim::uicc_session other(plain, def, sim::access_level::adm);
  EXPECT_EQ(other.process(cmds[0]).sw, 0x6D00);
  auto vctx = prepare_campaign(f.load(""));
  ASSERT_TRUE(vctx.ok());
  const card_info b = f.card(2);
  const package_request vreq[] = {{2, &b, vctx->get()}};
  auto vout = factory.package(vreq);
  ASSERT_TRUE(vout[0].ok());
  auto vcmds = commands_of(*vout[0]);
  ASSERT_EQ(vcmds.size(), 4u);
  auto vdata = virtual_card_data();
  sim::uicc_session vs(vdata, vendor, sim::access_level::adm);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(vs.process(vcmds[i]).sw, 0x9000);
  EXPECT_EQ(vs.process(vcmds[3]).sw, 0x6982);
  EXPECT_FALSE(vdata.state().rotated_keys().has_value());
}

TEST(KeyProfilePackets, TheExampleRecordFileReachesACardOfThatProfile) {
  fixture f;
  const card_info a = f.card(1);
  std::filesystem::create_directories(f.dir.path());
  std::filesystem::copy_file(profiles / "example-record.toml", f.dir.path() / "vendor-c.toml");
  auto ctx = prepare_campaign(f.load("profile = \"vendor-c.toml\"\n"));
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  EXPECT_EQ((*ctx)->variants[0].key_file_at, 3u);  // after SELECT 3F00, 7F4F, 6F20
  EXPECT_EQ((*ctx)->variants[0].key_commands, 4u);
  ota_packet_factory factory(f.state->counters(), *f.backend, f.state.get());
  const package_request req[] = {{1, &a, ctx->get()}};
  auto out = factory.package(req);
  ASSERT_TRUE(out[0].ok()) << out[0].error().message;
  auto cmds = commands_of(*out[0]);
  ASSERT_EQ(cmds.size(), 7u);
  EXPECT_EQ(to_hex(cmds[1].data), "7f4f");
  EXPECT_EQ(to_hex(cmds[2].data), "6f20");
  auto pending = f.state->keys().get_pending(a.iccid, "kp");
  ASSERT_TRUE(pending.ok() && pending->has_value());

  sim::card_profile vendor = sim::default_card_profile();
  vendor.key_profile = sim::card_key_profile::example_record;
  auto data = virtual_card_data();
  sim::uicc_session session(data, vendor, sim::access_level::adm);
  for (const auto& c : cmds) EXPECT_EQ(session.process(c).sw, 0x9000);
  ASSERT_TRUE(data.state().rotated_keys().has_value());
  EXPECT_TRUE(equal_ct(data.state().rotated_keys()->first, (*pending)->ki.view()));
  EXPECT_TRUE(equal_ct(data.state().rotated_keys()->second, (*pending)->opc.view()));
  EXPECT_EQ(data.state().key_file_sequence(), 1u);
  // A card of another key profile refuses the vendor's file.
  auto plain = virtual_card_data();
  const sim::card_profile def = sim::default_card_profile();
  sim::uicc_session other(plain, def, sim::access_level::adm);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(other.process(cmds[i]).sw, 0x9000);
  EXPECT_EQ(other.process(cmds[3]).sw, 0x6982);
  EXPECT_FALSE(plain.state().rotated_keys().has_value());
}

}  // namespace
}  // namespace otaflow::actors
