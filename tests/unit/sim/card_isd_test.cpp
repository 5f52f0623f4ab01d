// The virtual card's Issuer Security Domain (sim/card_isd.hpp): every command with its status
// words (hand-built APDUs, GlobalPlatform Card Specification v2.3.1 §11), GET STATUS paging,
// multi-block LOADs with hashes, the registry's persistence in the card state (a load
// interrupted between two scripts and resumed after the state was saved and loaded), and RAM
// through a real SCP80 command packet to TAR 000000.

#include <gtest/gtest.h>

#include "codec/iso7816_apdu.hpp"
#include "sim/card_isd.hpp"
#include "sim/ota_card.hpp"
#include "sim/ota_rfm.hpp"
#include "uicc_test_util.hpp"

namespace otaflow::sim {
namespace {

using codec::command_apdu;
using codec::response_apdu;

const bytes isd_aid = hex("a000000151000000");

/// A C-APDU from its header (CLA INS P1 P2, 8 hex digits) and data.
command_apdu apdu(std::string_view header, const bytes& data = {},
                  std::optional<std::uint32_t> le = std::nullopt) {
  const bytes h = hex(header);
  return {h[0], h[1], h[2], h[3], data, le};
}

/// The compact-script form of apdu(): header | Lc | data.
bytes compact(std::string_view header, const bytes& data) {
  bytes out = hex(header);
  out.push_back(static_cast<std::uint8_t>(data.size()));
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

/// u1 length | value fields of an INSTALL data field.
bytes fields(std::initializer_list<bytes> fs) {
  bytes out;
  for (const auto& f : fs) {
    out.push_back(static_cast<std::uint8_t>(f.size()));
    out.insert(out.end(), f.begin(), f.end());
  }
  return out;
}

std::string sw_hex(const response_apdu& r) {
  return to_hex(r.sw, 4);
}

// A small CAP file (JCVM 3.0.5 §6): Header (package A000000087100503 v1.0), Applet (one
// applet A00000008710050301) and a 40-octet Method component. Hashes by Python's hashlib.
const bytes cap =
    hex("010012decaffed010200000108a000000087100503"
        "03000d0109a000000087100503010010"
        "070028000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324252627");
const bytes cap_sha256 = hex("ed0b7a81849da6f5a273e37e0aae3ee5d33c6221a6e7193152d251cea998bc8e");
const bytes cap_sha1 = hex("72876d531e95c57dd3c27dd3cfaa982ce0e4c714");
const bytes pkg = hex("a000000087100503");
const bytes applet = hex("a00000008710050301");

/// The load file (C4 | length | CAP) in three blocks of 32, 30 and 20 octets.
std::vector<bytes> load_blocks() {
  bytes file = test::cat(hex("c450"), cap);
  return {bytes(file.begin(), file.begin() + 32), bytes(file.begin() + 32, file.begin() + 62),
          bytes(file.begin() + 62, file.end())};
}

isd_session fresh(isd_limits limits = {}) {
  return isd_session(isd_registry::personalised(isd_aid), limits);
}

bytes for_load(const bytes& aid, const bytes& hash = {}, const bytes& sd = {}) {
  return fields({aid, sd, hash, {}, {}});
}

/// INSTALL [for load] and every LOAD block; the last response.
response_apdu load_all(isd_session& s, const bytes& hash) {
  auto r = s.process(apdu("80e60200", for_load(pkg, hash)));
  if (r.sw != 0x9000) return r;
  const auto blocks = load_blocks();
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const bool last = i + 1 == blocks.size();
    command_apdu c = apdu("80e80000", blocks[i]);
    c.p1 = last ? 0x80 : 0x00;
    c.p2 = static_cast<std::uint8_t>(i);
    r = s.process(c);
    if (r.sw != 0x9000) return r;
  }
  return r;
}

// ---- the registry ----------------------------------------------------------------------------

TEST(card_isd, personalised_registry_round_trips) {
  const auto reg = isd_registry::personalised(isd_aid);
  EXPECT_EQ(reg.card_life_cycle, gp::card_secured);
  ASSERT_EQ(reg.elfs.size(), 3u);
  ASSERT_EQ(reg.apps.size(), 1u);
  EXPECT_EQ(to_hex(reg.apps[0].elf), "a0000000871005ff01");
  auto back = isd_registry::decode(reg.encode());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, reg);
  isd_registry with_load = reg;
  with_load.load = isd_load{pkg, cap_sha1, 2, 80, hex("0102")};
  back = isd_registry::decode(with_load.encode());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, with_load);
  const bytes enc = with_load.encode();
  for (std::size_t n = 0; n < enc.size(); ++n)
    EXPECT_FALSE(isd_registry::decode(byte_view(enc).first(n)).ok()) << n;
  EXPECT_FALSE(isd_registry::decode(test::cat(enc, hex("00"))).ok());
}

TEST(card_isd, cap_modules_from_header_and_applet_components) {
  auto m = cap_modules(cap);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->size(), 1u);
  EXPECT_EQ((*m)[0], applet);
  EXPECT_FALSE(cap_modules(hex("0102030405")).has_value());  // not a CAP
  EXPECT_FALSE(cap_modules(bytes(cap.begin(), cap.end() - 1)).has_value());
}

// ---- class, instruction ----------------------------------------------------------------------

TEST(card_isd, class_and_instruction) {
  auto s = fresh();
  EXPECT_EQ(sw_hex(s.process(apdu("00f28002", hex("4f00")))), "6e00");
  EXPECT_EQ(sw_hex(s.process(apdu("84f28002", hex("4f00")))), "6e00");
  EXPECT_EQ(sw_hex(s.process(apdu("80ca0066"))), "6d00");
  EXPECT_EQ(sw_hex(s.process(apdu("81f28002", hex("4f00")))), "9000");  // logical channel 1
}

// ---- GET STATUS ------------------------------------------------------------------------------

TEST(card_isd, get_status_entries) {
  auto s = fresh();
  auto r = s.process(apdu("80f28002", hex("4f00"), 256));
  EXPECT_EQ(sw_hex(r), "9000");
  EXPECT_EQ(to_hex(r.data), "e3134f08a0000001510000009f70010fc5039efe80");
  r = s.process(apdu("80f24002", hex("4f00")));
  EXPECT_EQ(sw_hex(r), "9000");
  EXPECT_EQ(to_hex(r.data),
            "e32b4f0ba0000000871005ff0101019f700107c503000000c409a0000000871005ff01"
            "cc08a000000151000000");
  r = s.process(apdu("80f22002", hex("4f07a0000001515350")));
  EXPECT_EQ(to_hex(r.data), "e3174f07a00000015153509f700101cc08a000000151000000");
  // Partial AID search: the two example toolkit packages, with their modules (P1 10).
  r = s.process(apdu("80f21002", hex("4f07a0000000871005")));
  EXPECT_EQ(sw_hex(r), "9000");
  EXPECT_EQ(to_hex(r.data),
            "e3254f09a0000000871005ff019f700101840aa0000000871005ff0101cc08a000000151000000"
            "e3194f09a0000000871005ff029f700101cc08a000000151000000");
}

TEST(card_isd, get_status_errors) {
  auto s = fresh();
  EXPECT_EQ(sw_hex(s.process(apdu("80f24002", hex("4f05a000000999")))), "6a88");
  EXPECT_EQ(sw_hex(s.process(apdu("80f20802", hex("4f00")))), "6a86");  // P1
  EXPECT_EQ(sw_hex(s.process(apdu("80f24000", hex("4f00")))), "6a86");  // legacy format
  EXPECT_EQ(sw_hex(s.process(apdu("80f24006", hex("4f00")))), "6a86");
  EXPECT_EQ(sw_hex(s.process(apdu("80f24002"))), "6700");
  EXPECT_EQ(sw_hex(s.process(apdu("80f24002", hex("5c014f")))), "6a80");  // no 4F
  EXPECT_EQ(sw_hex(s.process(apdu("80f24002", hex("4f05a0")))), "6a80");  // bad TLV
  EXPECT_EQ(sw_hex(s.process(apdu("80f24003", hex("4f00")))), "6985");    // next, no cursor
}

TEST(card_isd, get_status_pages_with_6310_and_next) {
  auto s = fresh({32768, 40});
  auto r = s.process(apdu("80f21002", hex("4f00")));
  EXPECT_EQ(sw_hex(r), "6310");
  EXPECT_EQ(to_hex(r.data),
            "e3214f07a00000015153509f7001018408a000000151535041cc08a000000151000000");
  // "Next" must repeat P1 and the search criteria.
  EXPECT_EQ(sw_hex(s.process(apdu("80f22003", hex("4f00")))), "6985");
  r = s.process(apdu("80f21002", hex("4f00")));
  EXPECT_EQ(sw_hex(r), "6310");
  r = s.process(apdu("80f21003", hex("4f00")));
  EXPECT_EQ(sw_hex(r), "6310");
  EXPECT_EQ(to_hex(r.data),
            "e3254f09a0000000871005ff019f700101840aa0000000871005ff0101cc08a000000151000000");
  r = s.process(apdu("80f21003", hex("4f00")));
  EXPECT_EQ(sw_hex(r), "9000");
  EXPECT_EQ(to_hex(r.data), "e3194f09a0000000871005ff029f700101cc08a000000151000000");
  EXPECT_EQ(sw_hex(s.process(apdu("80f21003", hex("4f00")))), "6985");  // the end
  // Le smaller than the limit pages too; another command ends the paging.
  auto t = fresh();
  r = t.process(apdu("80f22002", hex("4f00"), 30));
  EXPECT_EQ(sw_hex(r), "6310");
  EXPECT_EQ(r.data.size(), 25u);
  EXPECT_EQ(sw_hex(t.process(apdu("80e40000", hex("4f05a000000999")))), "6a88");
  EXPECT_EQ(sw_hex(t.process(apdu("80f22003", hex("4f00")))), "6985");
}

// ---- INSTALL [for load] and LOAD ---------------------------------------------------------------

TEST(card_isd, install_for_load_checks) {
  auto s = fresh();
  EXPECT_EQ(sw_hex(s.process(apdu("80e60200"))), "6700");
  EXPECT_EQ(sw_hex(s.process(apdu("80e61000", for_load(pkg)))), "6a86");  // extradition
  EXPECT_EQ(sw_hex(s.process(apdu("80e60205", for_load(pkg)))), "6a86");
  EXPECT_EQ(sw_hex(s.process(apdu("80e60200", hex("08a000000087")))), "6a80");  // truncated
  EXPECT_EQ(sw_hex(s.process(apdu("80e60200", for_load(hex("a00000"))))), "6a80");
  EXPECT_EQ(sw_hex(s.process(apdu("80e60200", for_load(hex("a0000001515350"))))), "6a80");
  EXPECT_EQ(sw_hex(s.process(apdu("80e60200", for_load(isd_aid)))), "6a80");
  EXPECT_EQ(sw_hex(s.process(apdu("80e60200", for_load(pkg, hex("0102"))))), "6a80");
  EXPECT_EQ(sw_hex(s.process(apdu("80e60200", for_load(pkg, {}, hex("a000000151999999"))))),
            "6a88");
  EXPECT_FALSE(s.registry().load.has_value());
  auto r = s.process(apdu("80e60200", for_load(pkg, cap_sha256, isd_aid)));
  EXPECT_EQ(sw_hex(r), "9000");
  EXPECT_EQ(to_hex(r.data), "00");
  ASSERT_TRUE(s.registry().load.has_value());
  EXPECT_EQ(s.registry().load->hash, cap_sha256);
}

TEST(card_isd, multi_block_load_with_sha256_and_sha1) {
  for (const bytes& hash : {cap_sha256, cap_sha1, bytes{}}) {
    auto s = fresh();
    auto r = load_all(s, hash);
    EXPECT_EQ(sw_hex(r), "9000");
    EXPECT_EQ(to_hex(r.data), "00");
    const isd_elf* e = s.registry().find_elf(pkg);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->life_cycle, gp::elf_loaded);
    ASSERT_EQ(e->modules.size(), 1u);
    EXPECT_EQ(e->modules[0], applet);
    EXPECT_FALSE(s.registry().load.has_value());
    // Loaded once: a second INSTALL [for load] of it is refused.
    EXPECT_EQ(sw_hex(s.process(apdu("80e60200", for_load(pkg)))), "6a80");
  }
}

TEST(card_isd, load_with_a_wrong_hash_registers_nothing) {
  auto s = fresh();
  bytes bad = cap_sha256;
  bad[31] ^= 1;
  EXPECT_EQ(sw_hex(load_all(s, bad)), "6a80");
  EXPECT_EQ(s.registry().find_elf(pkg), nullptr);
  EXPECT_FALSE(s.registry().load.has_value());
  EXPECT_EQ(sw_hex(s.process(apdu("80e88003", hex("00")))), "6985");  // no session now
}

TEST(card_isd, load_block_errors) {
  auto s = fresh({100, 256});
  EXPECT_EQ(sw_hex(s.process(apdu("80e80000", hex("c40100")))), "6985");  // no INSTALL
  ASSERT_EQ(sw_hex(s.process(apdu("80e60200", for_load(pkg)))), "9000");
  const auto blocks = load_blocks();
  EXPECT_EQ(sw_hex(s.process(apdu("80e80100", blocks[0]))), "6a86");  // P1
  EXPECT_EQ(sw_hex(s.process(apdu("80e80001", blocks[0]))), "6a86");  // block 01 first
  EXPECT_EQ(sw_hex(s.process(apdu("80e80000"))), "6700");
  EXPECT_EQ(sw_hex(s.process(apdu("80e80000", hex("c30100")))), "6a80");  // not C4
  ASSERT_EQ(sw_hex(s.process(apdu("80e80000", blocks[0]))), "9000");
  EXPECT_EQ(sw_hex(s.process(apdu("80e80002", blocks[2]))), "6a86");  // skips block 01
  EXPECT_EQ(s.registry().load->next_block, 1);  // the session survives a wrong number
  ASSERT_EQ(sw_hex(s.process(apdu("80e80001", blocks[1]))), "9000");
  // Last block short of the C4 length: 6A80, the load is abandoned.
  EXPECT_EQ(sw_hex(s.process(apdu("80e88002", hex("0102")))), "6a80");
  EXPECT_FALSE(s.registry().load.has_value());
  EXPECT_EQ(s.registry().find_elf(pkg), nullptr);
  // More than C4 announced.
  ASSERT_EQ(sw_hex(s.process(apdu("80e60200", for_load(pkg)))), "9000");
  EXPECT_EQ(sw_hex(s.process(apdu("80e80000", hex("c402010203")))), "6a80");
  // A load file larger than the card takes (limit 100 here): 6A84.
  ASSERT_EQ(sw_hex(s.process(apdu("80e60200", for_load(pkg)))), "9000");
  EXPECT_EQ(sw_hex(s.process(apdu("80e80000", hex("c48200ff00")))), "6a84");
  EXPECT_FALSE(s.registry().load.has_value());
  // DAP blocks (E2) before C4 are skipped; data that is not a CAP has no modules.
  ASSERT_EQ(sw_hex(s.process(apdu("80e60200", for_load(pkg)))), "9000");
  EXPECT_EQ(sw_hex(s.process(apdu("80e88000", hex("e203010203c403aabbcc")))), "9000");
  ASSERT_NE(s.registry().find_elf(pkg), nullptr);
  EXPECT_TRUE(s.registry().find_elf(pkg)->modules.empty());
}

// ---- INSTALL [for install (and make selectable)] ---------------------------------------------

TEST(card_isd, install_for_install) {
  auto s = fresh();
  ASSERT_EQ(sw_hex(load_all(s, {})), "9000");
  const bytes inst = hex("a0000000871005030101");
  auto install = [&](std::string_view header, const bytes& elf, const bytes& mod, const bytes& aid,
                     const bytes& priv, const bytes& params) {
    return sw_hex(s.process(apdu(header, fields({elf, mod, aid, priv, params, {}}))));
  };
  const bytes c9 = hex("c900");
  EXPECT_EQ(install("80e60c00", hex("a000000087100599"), applet, inst, hex("00"), c9), "6a88");
  EXPECT_EQ(install("80e60c00", pkg, hex("a000000087100599"), inst, hex("00"), c9), "6a88");
  EXPECT_EQ(install("80e60c00", pkg, applet, isd_aid, hex("00"), c9), "6a80");
  EXPECT_EQ(install("80e60c00", pkg, applet, inst, hex("0000"), c9), "6a80");         // privileges
  EXPECT_EQ(install("80e60c00", pkg, applet, inst, hex("00"), hex("ea00")), "6a80");  // no C9
  EXPECT_EQ(install("80e60c00", pkg, applet, hex("a0"), hex("00"), c9), "6a80");
  EXPECT_EQ(install("80e62000", pkg, applet, inst, hex("00"), c9), "6a86");  // personalization
  EXPECT_TRUE(s.registry().find_app(inst) == nullptr);
  EXPECT_EQ(install("80e60c00", pkg, applet, inst, hex("000000"), hex("c903010203")), "9000");
  const isd_app* a = s.registry().find_app(inst);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->life_cycle, gp::app_selectable);
  EXPECT_EQ(a->module, applet);
  EXPECT_EQ(to_hex(a->install_params), "c903010203");
  EXPECT_EQ(install("80e60c00", pkg, applet, inst, hex("00"), c9), "6a80");  // AID in use
  // For install only (INSTALLED), then make selectable, then again: 6985.
  const bytes second = hex("a0000000871005030102");
  EXPECT_EQ(install("80e60400", pkg, applet, second, hex("80"), c9), "9000");
  EXPECT_EQ(s.registry().find_app(second)->life_cycle, gp::app_installed);
  EXPECT_EQ(s.registry().find_app(second)->privileges[0], 0x80);
  EXPECT_EQ(install("80e60800", {}, {}, hex("a0000000871005039999"), {}, {}), "6a88");
  EXPECT_EQ(install("80e60800", {}, {}, second, {}, {}), "9000");
  EXPECT_EQ(s.registry().find_app(second)->life_cycle, gp::app_selectable);
  EXPECT_EQ(install("80e60800", {}, {}, second, {}, {}), "6985");
}

// ---- DELETE ----------------------------------------------------------------------------------

TEST(card_isd, delete_objects) {
  auto s = fresh();
  const bytes toolkit_elf = hex("a0000000871005ff01");
  const bytes toolkit_app = hex("a0000000871005ff010101");
  auto del = [&](std::string_view header, const bytes& data) {
    return sw_hex(s.process(apdu(header, data)));
  };
  EXPECT_EQ(del("80e40000", {}), "6700");
  EXPECT_EQ(del("80e40100", hex("4f05a000000999")), "6a86");
  EXPECT_EQ(del("80e40001", hex("4f05a000000999")), "6a86");
  EXPECT_EQ(del("80e40000", hex("5c01a0")), "6a80");
  EXPECT_EQ(del("80e40000", hex("4f05a000000999")), "6a88");
  EXPECT_EQ(del("80e40000", test::cat(hex("4f08"), isd_aid)), "6985");
  EXPECT_EQ(del("80e40000", test::cat(hex("4f09"), toolkit_elf)), "6985");  // has an instance
  EXPECT_NE(s.registry().find_elf(toolkit_elf), nullptr);
  EXPECT_EQ(del("80e40080", test::cat(hex("4f09"), toolkit_elf)), "9000");  // and related
  EXPECT_EQ(s.registry().find_elf(toolkit_elf), nullptr);
  EXPECT_EQ(s.registry().find_app(toolkit_app), nullptr);
  // An instance alone, then its package without P2 80.
  auto t = fresh();
  auto r = t.process(apdu("80e40000", test::cat(hex("4f0b"), toolkit_app)));
  EXPECT_EQ(sw_hex(r), "9000");
  EXPECT_EQ(to_hex(r.data), "00");
  EXPECT_EQ(sw_hex(t.process(apdu("80e40000", test::cat(hex("4f09"), toolkit_elf)))), "9000");
  EXPECT_EQ(t.registry().elfs.size(), 2u);
  EXPECT_TRUE(t.registry().apps.empty());
}

// ---- SET STATUS ------------------------------------------------------------------------------

TEST(card_isd, set_status_locks_and_unlocks_an_application) {
  auto s = fresh();
  const bytes app = hex("a0000000871005ff010101");
  EXPECT_EQ(sw_hex(s.process(apdu("80f08080", app))), "6a86");  // the card: not served
  EXPECT_EQ(sw_hex(s.process(apdu("80f04080"))), "6700");
  EXPECT_EQ(sw_hex(s.process(apdu("80f04080", hex("a0000009")))), "6a80");
  EXPECT_EQ(sw_hex(s.process(apdu("80f04080", hex("a000000087100599")))), "6a88");
  EXPECT_EQ(sw_hex(s.process(apdu("80f04080", isd_aid))), "6985");
  EXPECT_EQ(sw_hex(s.process(apdu("80f04000", app))), "6985");  // not locked
  EXPECT_EQ(sw_hex(s.process(apdu("80f04080", app))), "9000");
  EXPECT_EQ(s.registry().find_app(app)->life_cycle, 0x87);
  EXPECT_EQ(app_life_cycle_name(0x87), "LOCKED");
  auto r = s.process(apdu("80f24002", hex("4f00")));
  EXPECT_EQ(to_hex(r.data).substr(30, 8), "9f700187");
  EXPECT_EQ(sw_hex(s.process(apdu("80f04080", app))), "6985");  // already locked
  EXPECT_EQ(sw_hex(s.process(apdu("80f04000", app))), "9000");
  EXPECT_EQ(s.registry().find_app(app)->life_cycle, gp::app_selectable);
}

// ---- persistence -----------------------------------------------------------------------------

TEST(card_isd, interrupted_load_resumes_after_the_state_is_saved_and_loaded) {
  const card_profile profile = default_card_profile();
  const tar_application& ram = *profile.find(0x000000);
  ASSERT_EQ(ram.kind, app_kind::ram);
  const auto blocks = load_blocks();
  bytes stored;
  {
    uicc_data card(test::test_identity(), {});
    // SM 1: INSTALL [for load] with a SHA-256 hash, blocks 00 and 01.
    const bytes script = test::cat(
        test::cat(compact("80e60200", for_load(pkg, cap_sha256)), compact("80e80000", blocks[0])),
        compact("80e80001", blocks[1]));
    EXPECT_EQ(to_hex(run_remote_script(card, profile, ram, script)), "03900000");
    EXPECT_TRUE(card.state().dirty());
    stored = card.state().encode();
  }
  auto st = card_state::decode(stored);
  ASSERT_TRUE(st.ok()) << st.error().message;
  uicc_data card(test::test_identity(), std::move(*st));
  auto reg = card_registry(card.state().isd_state(), isd_aid);
  ASSERT_TRUE(reg.ok());
  ASSERT_TRUE(reg->load.has_value());
  EXPECT_EQ(reg->load->next_block, 2);
  EXPECT_EQ(reg->load->data.size(), 60u);
  EXPECT_EQ(reg->find_elf(pkg), nullptr);
  // SM 2 (after the restart): the last block, then GET STATUS of the new package.
  const bytes script =
      test::cat(compact("80e88002", blocks[2]), compact("80f21002", test::cat(hex("4f08"), pkg)));
  EXPECT_EQ(to_hex(run_remote_script(card, profile, ram, script)),
            "029000e3234f08a0000000871005039f7001018409a00000008710050301cc08a000000151000000");
  reg = card_registry(card.state().isd_state(), isd_aid);
  ASSERT_TRUE(reg.ok());
  EXPECT_FALSE(reg->load.has_value());
  ASSERT_NE(reg->find_elf(pkg), nullptr);
}

TEST(card_isd, personalised_registry_stores_nothing) {
  const card_profile profile = default_card_profile();
  const tar_application& ram = *profile.find(0x000000);
  uicc_data card(test::test_identity(), {});
  EXPECT_EQ(
      to_hex(run_remote_script(card, profile, ram, compact("80f24002", hex("4f00")))).substr(0, 6),
      "019000");
  EXPECT_TRUE(card.state().isd_state().empty());
  EXPECT_TRUE(card.state().pristine());
  // DELETE an instance: the registry is stored; its state decodes back to the same registry.
  const bytes del = compact("80e40000", hex("4f0ba0000000871005ff010101"));
  EXPECT_EQ(to_hex(run_remote_script(card, profile, ram, del)), "01900000");
  EXPECT_FALSE(card.state().isd_state().empty());
  EXPECT_LT(card.state().encode().size(), 200u);
  auto st = card_state::decode(card.state().encode());
  ASSERT_TRUE(st.ok());
  auto reg = card_registry(st->isd_state(), isd_aid);
  ASSERT_TRUE(reg.ok());
  EXPECT_TRUE(reg->apps.empty());
  // A corrupt stored registry: every command answers 6F00 and nothing is overwritten.
  card.state().set_isd_state(hex("02"));
  EXPECT_EQ(to_hex(run_remote_script(card, profile, ram, compact("80f24002", hex("4f00")))),
            "016f00");
  EXPECT_EQ(to_hex(card.state().isd_state()), "02");
}

// ---- RAM through SCP80 -----------------------------------------------------------------------

secure::response_report open_report(const mt_outcome& o, std::uint16_t spi, std::uint8_t kic_kid) {
  auto rep = codec::tpdu::decode_deliver_report(o.deliver_report_tpdu,
                                                o.result == mt_outcome::kind::error);
  secure::response_report bad;
  if (!rep.ok() || !rep->ud) return bad;
  auto packet = codec::response_from_tp_ud(*rep->ud);
  if (!packet.ok()) return bad;
  return secure::inspect_response(*packet, test::por_security(spi, kic_kid));
}

mt_outcome send(virtual_card& card, const bytes& packet) {
  mt_outcome last;
  for (const auto& sm : test::command_sms(packet)) last = card.receive_sms(sm);
  return last;
}

TEST(card_isd, ram_on_tar_000000_through_a_secured_packet) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  // Compact script: GET STATUS of the ISD.
  auto o =
      send(card, test::command_packet(0x1619, 0x15, 0x000000, 1, compact("80f28002", hex("4f00"))));
  auto r = open_report(o, 0x1619, 0x15);
  ASSERT_TRUE(r.valid) << r.failure.message;
  EXPECT_EQ(r.response.status, codec::por_status::ok);
  EXPECT_EQ(r.response.tar, 0x000000u);
  EXPECT_EQ(to_hex(r.response.data), "019000e3134f08a0000001510000009f70010fc5039efe80");
  // Expanded script (AA ... 22 C-APDU): DELETE the toolkit instance, then GET STATUS of the
  // applications, which is now empty (6A88, the script stops there).
  const bytes c1 = compact("80e40000", hex("4f0ba0000000871005ff010101"));
  const bytes c2 = compact("80f24002", hex("4f00"));
  bytes inner = test::cat(test::cat(hex("22"), bytes{static_cast<std::uint8_t>(c1.size())}), c1);
  inner = test::cat(
      inner, test::cat(test::cat(hex("22"), bytes{static_cast<std::uint8_t>(c2.size())}), c2));
  const bytes script =
      test::cat(test::cat(hex("aa"), bytes{static_cast<std::uint8_t>(inner.size())}), inner);
  o = send(card, test::command_packet(0x1619, 0x15, 0x000000, 2, script));
  r = open_report(o, 0x1619, 0x15);
  ASSERT_TRUE(r.valid) << r.failure.message;
  // AB | L | 80 01 02 (two executed) | 23 03 00 90 00 | 23 02 6a 88 (R-APDUs, TS 102 226
  // §5.2.2).
  EXPECT_EQ(to_hex(r.response.data), "ab0c800102230300900023026a88");
  EXPECT_FALSE(card.data().state().isd_state().empty());
  // Below the minimum security level (no CC): PoR status 0A, nothing executed.
  o = send(card, test::command_packet(0x0000, 0x00, 0x000000, 0, compact("80f28002", hex("4f00"))));
  EXPECT_EQ(card.last_sms_por_status(), codec::por_status::insufficient_security_level);
}

}  // namespace
}  // namespace otaflow::sim
