#include "codec/gp_command_parse.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "codec/ts102226_script.hpp"

// The card side reads back what codec/gp_commands.hpp builds (the bytes of those builders are
// checked by hand in gp_commands_test.cpp), and refuses malformed commands with a clear error.

namespace otaflow::codec::gp {
namespace {

command_apdu apdu(const char* h) {
  auto a = decode_command_apdu(hex(h));
  EXPECT_TRUE(a.ok()) << h;
  return a ? *a : command_apdu{};
}

const bytes pkg = hex("d07002ca44");
const bytes module = hex("d07002ca44900101");

TEST(GpDecode, InstallForLoadRoundTrip) {
  install_for_load in;
  in.load_file_aid = pkg;
  in.sd_aid = hex("a000000151000000");
  in.hash = bytes(32, 0x5A);
  in.load_parameters = hex("ef04c6021000");
  in.token = hex("0102");
  auto c = build_install_for_load(in);
  ASSERT_TRUE(c.ok());
  auto back = decode_install_for_load(*c);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->load_file_aid, in.load_file_aid);
  EXPECT_EQ(back->sd_aid, in.sd_aid);
  EXPECT_EQ(back->hash, in.hash);
  EXPECT_EQ(back->load_parameters, in.load_parameters);
  EXPECT_EQ(back->token, in.token);
}

TEST(GpDecode, InstallForInstallRoundTrip) {
  install_for_install in;
  in.load_file_aid = pkg;
  in.module_aid = module;
  in.instance_aid = hex("d07002ca44900102");
  in.privileges = hex("800000");
  in.parameters.application = hex("0102");
  in.parameters.system_parameters = hex("c7020100");
  in.parameters.uicc_parameters = hex("8001ff");
  for (bool selectable : {true, false}) {
    in.make_selectable = selectable;
    auto c = build_install_for_install(in);
    ASSERT_TRUE(c.ok());
    auto back = decode_install_for_install(*c);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->make_selectable, selectable);
    EXPECT_EQ(back->instance_aid, in.instance_aid);
    EXPECT_EQ(back->privileges, in.privileges);
    EXPECT_EQ(back->parameters.application, in.parameters.application);
    EXPECT_EQ(back->parameters.system_parameters, in.parameters.system_parameters);
    EXPECT_EQ(back->parameters.uicc_parameters, in.parameters.uicc_parameters);
  }
}

status decode_install(const command_apdu& a, bool for_install) {
  if (for_install) {
    auto r = decode_install_for_install(a);
    if (!r) return r.error();
    return {};
  }
  auto r = decode_install_for_load(a);
  if (!r) return r.error();
  return {};
}

TEST(GpDecode, InstallErrors) {
  struct row {
    const char* name;
    bool for_install;
    const char* apdu;
    const char* says;
  };
  // clang-format off
  const std::vector<row> rows = {
      {"for load with P1 04", false, "80e604000a05d07002ca440000000000", "P1 04"},
      {"not INSTALL", false, "80e402000a05d07002ca440000000000", "want e6"},
      {"AID cut short", false, "80e602000505d07002ca", "load file AID of 5 octets"},
      {"no token", false, "80e602000905d07002ca44000000", "no load token"},
      {"trailing octet", false, "80e602000b05d07002ca44000000000099", "after the last field"},
      {"short package AID", false, "80e602000904d07002ca00000000", "5 to 16"},
      {"no C9", true,
       "80e60c001e05d07002ca4408d07002ca4490010108d07002ca44900101010002ca0000", "tag ca"},
      {"params not TLV", true,
       "80e60c001d05d07002ca4408d07002ca4490010108d07002ca44900101010001c900",
       "install parameters"},
      {"privileges of 2", true,
       "80e60c001f05d07002ca4408d07002ca4490010108d07002ca4490010102000002c90000", "want 1 or 3"},
  };
  // clang-format on
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    auto got = decode_install(apdu(r.apdu), r.for_install);
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.error().message.find(r.says), std::string::npos) << got.error().message;
  }
}

TEST(GpDecode, DeleteAndGetStatus) {
  auto d = decode_delete(apdu("80e40080074f05d07002ca4400"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->aid, pkg);
  EXPECT_TRUE(d->related);
  EXPECT_FALSE(decode_delete(apdu("80e40040074f05d07002ca4400")).ok());    // P2 40
  EXPECT_FALSE(decode_delete(apdu("80e4000003d00101")).ok());              // a key, by D0
  EXPECT_FALSE(decode_delete(apdu("80e40000064f05d07002ca00")).ok());      // TLV cut short
  EXPECT_FALSE(decode_delete(apdu("80e40000084f05d07002ca440000")).ok());  // trailing octets

  auto g = decode_get_status_command(apdu("80f24003024f0000"));
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(g->scope, status_scope::applications);
  EXPECT_TRUE(g->aid_prefix.empty());
  EXPECT_TRUE(g->next);
  // pySim's form: search AID plus the tag list 5C
  g =
      decode_get_status_command(apdu("80f21002"
                                     "0e"
                                     "4f05d07002ca44"
                                     "5c054f9f70c5cc"
                                     "00"));
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(g->aid_prefix, pkg);
  EXPECT_FALSE(g->next);
  EXPECT_FALSE(decode_get_status_command(apdu("80f24000024f0000")).ok());  // legacy format
  EXPECT_FALSE(decode_get_status_command(apdu("80f24102024f0000")).ok());  // scope 41
  EXPECT_FALSE(decode_get_status_command(apdu("80f2400200")).ok());        // no 4F
}

TEST(GpDecode, LoadAssemblerJoinsWhatBuildLoadSplits) {
  bytes file(500);
  for (std::size_t i = 0; i < file.size(); ++i) file[i] = static_cast<std::uint8_t>(i * 7);
  auto data = encode_load_data(file, hex("e2074f05a000000151"));
  ASSERT_TRUE(data.ok());
  auto cmds = build_load(*data, 64);
  ASSERT_TRUE(cmds.ok());
  load_assembler a;
  for (const auto& c : *cmds) {
    EXPECT_FALSE(a.complete());
    ASSERT_TRUE(a.add(c).ok());
  }
  ASSERT_TRUE(a.complete());
  auto got = a.finish();
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->load_file, file);
  EXPECT_EQ(to_hex(got->dap_blocks), "e2074f05a000000151");
  EXPECT_FALSE(a.add((*cmds)[0]).ok());  // after the last block
}

TEST(GpDecode, LoadAssemblerRefusesDisorder) {
  auto cmds = build_load(*encode_load_data(bytes(100, 1)), 40);
  ASSERT_TRUE(cmds.ok());
  ASSERT_EQ(cmds->size(), 3u);
  load_assembler a;
  auto skip = a.add((*cmds)[1]);
  ASSERT_FALSE(skip.ok());
  EXPECT_NE(skip.error().message.find("want block 0"), std::string::npos);
  ASSERT_TRUE(a.add((*cmds)[0]).ok());
  auto early = a.finish();
  ASSERT_FALSE(early.ok());
  EXPECT_NE(early.error().message.find("has not come"), std::string::npos);
  auto wrong_p1 = (*cmds)[1];
  wrong_p1.p1 = 0x01;
  EXPECT_FALSE(a.add(wrong_p1).ok());
}

TEST(GpDecode, LoadDataErrors) {
  EXPECT_FALSE(decode_load_data({}).ok());
  EXPECT_FALSE(decode_load_data(hex("c4050102")).ok());            // C4 cut short
  EXPECT_FALSE(decode_load_data(hex("c401aa00")).ok());            // trailing after C4
  EXPECT_FALSE(decode_load_data(hex("c301aa")).ok());              // not C4 or E2
  EXPECT_FALSE(decode_load_data(hex("e2074f05a000000151")).ok());  // no C4
  auto ok = decode_load_data(hex("c40101"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->load_file, hex("01"));
}

}  // namespace
}  // namespace otaflow::codec::gp

namespace otaflow::codec::gp {
namespace {

// A RAM script as the later campaigns will send it: INSTALL [for load], the LOADs, INSTALL
// [for install and make selectable], carried by TS 102 226 scripts and read back on the card.
TEST(GpDecode, RamScriptThroughTs102226Formats) {
  install_for_load ifl;
  ifl.load_file_aid = pkg;
  install_for_install ifi;
  ifi.load_file_aid = pkg;
  ifi.module_aid = module;
  ifi.instance_aid = module;
  ifi.privileges = hex("00");
  const bytes file(300, 0xA5);
  std::vector<command_apdu> script{*build_install_for_load(ifl)};
  auto loads = build_load(*encode_load_data(file), 100);
  ASSERT_TRUE(loads.ok());
  script.insert(script.end(), loads->begin(), loads->end());
  script.push_back(*build_install_for_install(ifi));

  // Expanded format keeps Le; the compact one has no room for it in case 4 (dropped).
  auto expanded = expanded_script(script);
  ASSERT_TRUE(expanded.ok()) << expanded.error().message;
  auto back = decode_expanded_command(*expanded);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->commands(), script);
  EXPECT_FALSE(compact_script(script).ok());
  compact_options drop;
  drop.drop_case4_le = true;
  auto compact = compact_script(script, drop);
  ASSERT_TRUE(compact.ok()) << compact.error().message;
  auto cmds = decode_compact_script(*compact);
  ASSERT_TRUE(cmds.ok()) << cmds.error().message;
  ASSERT_EQ(cmds->size(), script.size());

  EXPECT_TRUE(decode_install_for_load((*cmds)[0]).ok());
  load_assembler a;
  for (std::size_t i = 1; i + 1 < cmds->size(); ++i) ASSERT_TRUE(a.add((*cmds)[i]).ok());
  auto data = a.finish();
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->load_file, file);
  auto inst = decode_install_for_install(cmds->back());
  ASSERT_TRUE(inst.ok());
  EXPECT_EQ(inst->instance_aid, module);
}

}  // namespace
}  // namespace otaflow::codec::gp
