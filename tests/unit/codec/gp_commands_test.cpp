#include "codec/gp_commands.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

// Expected bytes are assembled by hand from GP Card Specification v2.3 §11.2 (DELETE), §11.4
// (GET STATUS), §11.5 (INSTALL) and §11.6 (LOAD); each comment spells out the fields.

namespace otaflow::codec::gp {
namespace {

std::string enc(const result<command_apdu>& c) {
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  if (!c) return {};
  auto b = encode_command_apdu(*c);
  EXPECT_TRUE(b.ok());
  return b ? to_hex(*b) : std::string();
}

const bytes pkg = hex("d07002ca44");
const bytes module = hex("d07002ca44900101");
const bytes isd = hex("a000000151000000");

TEST(GpInstall, ForLoadAllFields) {
  install_for_load in;
  in.load_file_aid = pkg;
  in.sd_aid = isd;
  in.load_parameters = hex("ef04c6021000");  // EF { C6 02 1000: non-volatile code quota }
  // CLA INS P1=02 (for load) P2 Lc=18 | 05 pkg | 08 ISD | 00 hash | 06 params | 00 token | Le
  EXPECT_EQ(enc(build_install_for_load(in)),
            "80e6020018"
            "05d07002ca44"
            "08a000000151000000"
            "00"
            "06ef04c6021000"
            "00"
            "00");
}

TEST(GpInstall, ForLoadMinimalAndHash) {
  install_for_load in;
  in.load_file_aid = pkg;
  EXPECT_EQ(enc(build_install_for_load(in)),
            "80e602000a"
            "05d07002ca44"
            "00000000"
            "00");
  in.hash = bytes(20, 0xAB);  // a SHA-1 hash
  EXPECT_EQ(enc(build_install_for_load(in)),
            "80e602001e"
            "05d07002ca44"
            "00"
            "14"
            "abababababababababababababababababababab"
            "0000"
            "00");
}

TEST(GpInstall, ForLoadRejectsBadAids) {
  install_for_load in;
  in.load_file_aid = hex("d07002ca");  // 4 octets
  auto r = build_install_for_load(in);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("load file AID"), std::string::npos);
  in.load_file_aid = pkg;
  in.sd_aid = bytes(17, 0xA0);
  r = build_install_for_load(in);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("security domain AID"), std::string::npos);
  in.sd_aid.clear();
  in.load_parameters = bytes(256, 0);
  EXPECT_FALSE(build_install_for_load(in).ok());
}

TEST(GpInstall, ForInstallAndMakeSelectable) {
  install_for_install in;
  in.load_file_aid = pkg;
  in.module_aid = module;
  in.instance_aid = module;
  in.privileges = hex("00");
  // P1 0C | 05 pkg | 08 module | 08 instance | 01 00 | 02 C9 00 | 00 token | Le
  EXPECT_EQ(enc(build_install_for_install(in)),
            "80e60c001e"
            "05d07002ca44"
            "08d07002ca44900101"
            "08d07002ca44900101"
            "0100"
            "02c900"
            "00"
            "00");
}

TEST(GpInstall, ForInstallOnlyWithParameters) {
  install_for_install in;
  in.load_file_aid = pkg;
  in.module_aid = module;
  in.instance_aid = hex("d07002ca44900102");
  in.privileges = hex("800000");  // security domain, 3-octet form
  in.parameters.application = hex("0102");
  in.parameters.system_parameters = hex("c7020100");  // volatile data quota 0100
  in.make_selectable = false;
  // P1 04 | ... | 03 800000 | 0a C9 02 0102 EF 04 C7020100 | 00 | Le
  EXPECT_EQ(enc(build_install_for_install(in)),
            "80e6040028"
            "05d07002ca44"
            "08d07002ca44900101"
            "08d07002ca44900102"
            "03800000"
            "0ac9020102ef04c7020100"
            "00"
            "00");
}

TEST(GpInstall, ForInstallRejectsPrivilegesOfTwoOctets) {
  install_for_install in;
  in.load_file_aid = pkg;
  in.module_aid = module;
  in.instance_aid = module;
  in.privileges = hex("0000");
  auto r = build_install_for_install(in);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("privileges"), std::string::npos);
  in.privileges = {};
  EXPECT_FALSE(build_install_for_install(in).ok());
  in.privileges = hex("00");
  in.module_aid = {};
  EXPECT_FALSE(build_install_for_install(in).ok());
}

TEST(GpInstall, MakeSelectable) {
  // P1 08 | 00 00 | 08 instance | 01 04 | 00 params | 00 token | Le
  EXPECT_EQ(enc(build_install_for_make_selectable(module, hex("04"))),
            "80e608000f"
            "0000"
            "08d07002ca44900101"
            "0104"
            "00"
            "00"
            "00");
}

TEST(GpInstall, ParametersInOrderC9EfEa) {
  install_parameters p;
  p.application = hex("01");
  p.system_parameters = hex("ca0100");
  p.uicc_parameters = hex("8001ff");
  EXPECT_EQ(to_hex(encode_install_parameters(p)),
            "c90101"
            "ef03ca0100"
            "ea038001ff");
  p.system_parameters.reset();
  EXPECT_EQ(to_hex(encode_install_parameters(p)),
            "c90101"
            "ea038001ff");
}

TEST(GpInstall, LongParametersUseBerLength) {
  install_parameters p;
  p.application = bytes(130, 0x11);
  const bytes e = encode_install_parameters(p);
  ASSERT_EQ(e.size(), 3u + 130u);
  EXPECT_EQ(to_hex(byte_view(e).first(3)), "c98182");
}

TEST(GpDelete, ObjectAndRelated) {
  // 4F 05 AID; P2 00 / 80
  EXPECT_EQ(enc(build_delete(pkg, false)), "80e40000074f05d07002ca4400");
  EXPECT_EQ(enc(build_delete(pkg, true)), "80e40080074f05d07002ca4400");
  EXPECT_FALSE(build_delete(hex("d070"), false).ok());
  EXPECT_FALSE(build_delete({}, true).ok());
}

TEST(GpGetStatus, ScopesAndNext) {
  EXPECT_EQ(enc(build_get_status(status_scope::isd, {})), "80f28002024f0000");
  EXPECT_EQ(enc(build_get_status(status_scope::applications, {})), "80f24002024f0000");
  EXPECT_EQ(enc(build_get_status(status_scope::applications, {}, true)), "80f24003024f0000");
  EXPECT_EQ(enc(build_get_status(status_scope::load_files, {})), "80f22002024f0000");
  EXPECT_EQ(enc(build_get_status(status_scope::load_files_modules, pkg)),
            "80f21002074f05d07002ca4400");
  auto r = build_get_status(0x41, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("41"), std::string::npos);
  EXPECT_FALSE(build_get_status(status_scope::isd, bytes(17, 1)).ok());
}

// ------------------------------------------------------------------------------------------
// LOAD
// ------------------------------------------------------------------------------------------

bytes counting(std::size_t n) {
  bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i);
  return b;
}

TEST(GpLoad, LoadFileDataBlockHeader) {
  EXPECT_EQ(to_hex(*encode_load_data(hex("0102"))), "c4020102");
  const auto big = encode_load_data(counting(300));
  ASSERT_TRUE(big.ok());
  ASSERT_EQ(big->size(), 304u);
  EXPECT_EQ(to_hex(byte_view(*big).first(4)), "c482012c");  // C4 82 012C
  const auto dap = encode_load_data(hex("0102"), hex("e2074f05a000000151"));
  ASSERT_TRUE(dap.ok());
  EXPECT_EQ(to_hex(*dap), "e2074f05a000000151c4020102");
  EXPECT_FALSE(encode_load_data({}).ok());
  EXPECT_FALSE(encode_load_data(hex("01"), hex("c3020000")).ok());  // not an E2 block
  EXPECT_FALSE(encode_load_data(hex("01"), hex("e205")).ok());      // truncated
}

TEST(GpLoad, OneOctet) {
  auto r = build_load(hex("aa"), 200);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(to_hex(*encode_command_apdu((*r)[0])), "80e8800001aa00");
}

TEST(GpLoad, ExactlyOneBlockAndOneMore) {
  const bytes data = counting(16);
  auto r = build_load(data, 16);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].p1, 0x80);
  EXPECT_EQ((*r)[0].p2, 0x00);
  EXPECT_EQ((*r)[0].data, data);

  const bytes data17 = counting(17);
  r = build_load(data17, 16);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ(to_hex(*encode_command_apdu((*r)[0])), "80e8000010000102030405060708090a0b0c0d0e0f00");
  EXPECT_EQ(to_hex(*encode_command_apdu((*r)[1])),
            "80e880010110"
            "00");
}

TEST(GpLoad, TwoHundredFiftySixBlocksAndNotOneMore) {
  const bytes data = counting(256 * 4);
  auto r = build_load(data, 4);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 256u);
  bytes joined;
  for (std::size_t i = 0; i < r->size(); ++i) {
    const auto& c = (*r)[i];
    EXPECT_EQ(c.p2, static_cast<std::uint8_t>(i));
    EXPECT_EQ(c.p1, i == 255 ? 0x80 : 0x00);
    EXPECT_EQ(c.ins, 0xE8);
    joined.insert(joined.end(), c.data.begin(), c.data.end());
  }
  EXPECT_EQ(joined, data);

  auto over = build_load(counting(256 * 4 + 1), 4);
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find("257 blocks"), std::string::npos);
}

TEST(GpLoad, RejectsBadBlockSize) {
  EXPECT_FALSE(build_load(hex("01"), 0).ok());
  EXPECT_FALSE(build_load(hex("01"), 256).ok());
  EXPECT_FALSE(build_load({}, 16).ok());
}

// ------------------------------------------------------------------------------------------
// GET STATUS response
// ------------------------------------------------------------------------------------------

// ISD: 4F A000000151000000, 9F70 0F (SECURED), C5 9EFE80
const char* isd_entry = "e3134f08a0000001510000009f70010fc5039efe80";
// application: 4F, 9F70 07 (SELECTABLE), C5 000000, C4 package, CC ISD
const char* app_entry =
    "e3244f08d07002ca449001019f700107c503000000c405d07002ca44cc08a000000151000000";
// package with two modules: 4F, 9F70 01 (LOADED), CE 0100, 84 x2, CC
const char* pkg_entry =
    "e32d4f05d07002ca449f700101ce020100"
    "8408d07002ca44900101"
    "8408d07002ca44900102"
    "cc08a000000151000000";

TEST(GpStatusResponse, ParsesEntries) {
  auto r = parse_get_status(hex(std::string(isd_entry) + app_entry + pkg_entry));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  const auto& i = (*r)[0];
  EXPECT_EQ(i.aid, isd);
  EXPECT_EQ(i.life_cycle, 0x0F);
  EXPECT_EQ(i.privileges, hex("9efe80"));
  EXPECT_FALSE(i.load_file_aid);
  const auto& a = (*r)[1];
  EXPECT_EQ(a.aid, module);
  EXPECT_EQ(a.life_cycle, life_cycle::app_selectable);
  EXPECT_EQ(a.privileges, hex("000000"));
  EXPECT_EQ(a.load_file_aid, pkg);
  EXPECT_EQ(a.associated_sd, isd);
  const auto& p = (*r)[2];
  EXPECT_EQ(p.aid, pkg);
  EXPECT_EQ(p.life_cycle, life_cycle::load_file_loaded);
  EXPECT_EQ(p.load_file_version, hex("0100"));
  ASSERT_EQ(p.module_aids.size(), 2u);
  EXPECT_EQ(p.module_aids[1], hex("d07002ca44900102"));
  EXPECT_FALSE(p.privileges);
}

TEST(GpStatusResponse, EmptyIsNoEntriesAndUnknownTagsAreSkipped) {
  auto r = parse_get_status({});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  // 9F08 (a later version's tag) inside E3 is skipped
  r = parse_get_status(hex("e30f4f05d07002ca449f7001019f080102"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0].aid, pkg);
}

TEST(GpStatusResponse, MalformedInputIsAClearError) {
  struct row {
    const char* name;
    std::string hex;
    const char* says;
  };
  const std::vector<row> rows = {
      {"tag only", "e3", "GET STATUS response"},
      {"length past the end", "e305", "GET STATUS response"},
      {"not E3", "e0034f0101", "want e3"},
      {"no AID", "e3049f700107", "no AID"},
      {"empty AID", "e3064f009f700107", "AID of 0 octets"},
      {"no life cycle", "e3074f05d07002ca44", "no life cycle"},
      {"life cycle of 2 octets", "e30c4f05d07002ca449f70020107", "want 1"},
      {"two AIDs", "e30e4f05d07002ca444f05d07002ca44", "appears twice"},
      {"privileges of 2 octets", "e30f4f05d07002ca449f700107c5020000", "0, 1 or 3"},
      {"inner truncated", "e3074f08d07002ca44", "entry 1"},
      {"second entry bad", std::string(isd_entry) + "e300", "entry 2"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    const auto in = from_hex(r.hex);
    ASSERT_TRUE(in.ok());
    auto got = parse_get_status(*in);
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.error().message.find(r.says), std::string::npos) << got.error().message;
  }
}

RC_GTEST_PROP(GpStatusResponse, GarbageNeverCrashes, (const std::vector<std::uint8_t>& in)) {
  auto r = parse_get_status(in);
  if (r) {
    for (const auto& e : *r) RC_ASSERT(!e.aid.empty() && e.aid.size() <= 16);
  }
}

RC_GTEST_PROP(GpLoad, BlocksJoinToTheInput, ()) {
  const auto n = *rc::gen::inRange<std::size_t>(1, 2000);
  const auto bs = *rc::gen::inRange<std::size_t>(1, 256);
  const bytes data = counting(n);
  auto r = build_load(data, bs);
  const std::size_t blocks = (n + bs - 1) / bs;
  RC_ASSERT(r.ok() == (blocks <= 256));
  if (!r) return;
  RC_ASSERT(r->size() == blocks);
  bytes joined;
  for (const auto& c : *r) joined.insert(joined.end(), c.data.begin(), c.data.end());
  RC_ASSERT(joined == data);
  RC_ASSERT(r->back().p1 == 0x80);
}

TEST(GpSw, Names) {
  EXPECT_EQ(sw_name(0x6310), "more data available");
  EXPECT_EQ(sw_name(0x6A88), "referenced data not found");
  EXPECT_EQ(sw_name(0x1234), "");
}

}  // namespace
}  // namespace otaflow::codec::gp
