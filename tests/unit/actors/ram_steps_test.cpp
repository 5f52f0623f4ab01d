// [update.ram]: the schema (TOML with a CAP file, JSON with the load file's bytes) and the
// steps ram_steps.cpp builds from it: their kinds, the LOAD blocks across packets (numbered
// in order, reassembling to the Load File Data Block), the SMS of each packet under max_sms.

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "actors/campaign_approval.hpp"
#include "actors/campaign_def.hpp"
#include "actors/ota_packets.hpp"
#include "actors/ram_steps.hpp"
#include "codec/gp_commands.hpp"
#include "codec/javacard_cap.hpp"
#include "codec/ts102226_script.hpp"
#include "secure/signing.hpp"

namespace otaflow::actors {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

bytes read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

json ram_campaign(const json& ram) {
  return json{{"id", "ram-1"},
              {"security", {{"spi", "1621"}, {"kic", "15"}, {"kid", "15"}, {"tar", "000000"}}},
              {"target", {{"all", true}}},
              {"update", {{"ram", ram}}}};
}

bytes pattern(std::size_t n) {
  bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 7 + 3);
  return b;
}

TEST(RamUpdate, TomlReadsTheCapFileBesideTheCampaign) {
  const auto dir = fs::temp_directory_path() / ("ram_steps_test_" + std::to_string(::getpid()));
  fs::create_directories(dir / "caps");
  fs::copy_file(fs::path(OTAFLOW_SOURCE_DIR) / "tests/data/javacard/hello.cap",
                dir / "caps/hello.cap", fs::copy_options::overwrite_existing);
  {
    std::ofstream out(dir / "c.toml");
    out << "id = \"ram-hello\"\n[security]\nspi = \"1621\"\nkic = \"15\"\nkid = \"15\"\n"
           "tar = \"000000\"\n[target]\nall = true\n[update.ram]\nload = \"caps/hello.cap\"\n"
           "hash = \"sha256\"\nlist = [\"apps\"]\n[[update.ram.install]]\n"
           "package = \"D07002CA44\"\nmodule = \"D07002CA44900101\"\n"
           "instance = \"D07002CA44900101\"\nprivileges = \"00\"\nparams = \"C9\"\n";
  }
  auto c = load_campaign_file((dir / "c.toml").string());
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(c->update.ram);
  auto cap = codec::javacard::parse_cap(read_file(dir / "caps/hello.cap"));
  ASSERT_TRUE(cap.ok());
  EXPECT_EQ(c->update.ram->load_file, codec::javacard::cap_load_file(*cap));
  EXPECT_EQ(to_hex(c->update.ram->package, hex_case::upper), "D07002CA44");
  EXPECT_EQ(c->update.ram->hash, ram_hash::sha256);
  // The canonical JSON carries the bytes: read back, it is the same campaign.
  const auto j = to_json(*c);
  EXPECT_EQ(j["update"]["ram"]["load_file"], to_hex(c->update.ram->load_file));
  auto again = campaign_from_json(j);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again->update.ram, *c->update.ram);
  // A missing file is named.
  {
    std::ofstream out(dir / "bad.toml");
    out << "id = \"x\"\n[security]\ntar = \"000000\"\n[target]\nall = true\n"
           "[update.ram]\nload = \"nope.cap\"\n";
  }
  auto bad = load_campaign_file((dir / "bad.toml").string());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("cannot read CAP file '" + (dir / "nope.cap").string()),
            std::string::npos)
      << bad.error().message;
  fs::remove_all(dir);
}

TEST(RamUpdate, RefusalsNameTheField) {
  auto path = campaign_from_json(ram_campaign({{"load", "x.cap"}}));
  ASSERT_FALSE(path.ok());
  EXPECT_NE(path.error().message.find("update.ram.load': a CAP file path is read only from a "
                                      "TOML campaign file"),
            std::string::npos)
      << path.error().message;
  auto scope = campaign_from_json(ram_campaign({{"list", {"apps", "files"}}}));
  ASSERT_FALSE(scope.ok());
  EXPECT_EQ(scope.error().message,
            "campaign field 'update.ram.list': 'files' is not one of isd, apps, packages, "
            "modules");
  auto empty = campaign_from_json(ram_campaign(json::object()));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("has nothing to send"), std::string::npos);
  auto aid = campaign_from_json(ram_campaign({{"delete", {{{"aid", "A000"}}}}}));
  ASSERT_FALSE(aid.ok());
  EXPECT_NE(aid.error().message.find("update.ram.delete[0].aid"), std::string::npos)
      << aid.error().message;
  // One block of 255 octets cannot fit one SMS.
  auto c = campaign_from_json(ram_campaign({{"load_file", to_hex(pattern(600))},
                                            {"package", "D07002CA44"},
                                            {"block_size", 255},
                                            {"max_sms", 1}}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto p = prepare_campaign(*c);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("update.ram.max_sms: LOAD block 0 (255 octets) takes 3 SMS, "
                                   "more than 1"),
            std::string::npos)
      << p.error().message;
}

TEST(RamSteps, DeleteLoadInstallListInOrder) {
  const bytes load_file = pattern(5000);
  auto c = campaign_from_json(ram_campaign(
      {{"load_file", to_hex(load_file)},
       {"package", "D07002CA44"},
       {"hash", "sha1"},
       {"max_sms", 3},
       {"delete", {{{"aid", "D07002CA45"}, {"related", true}}}},
       {"install",
        {{{"package", "D07002CA44"}, {"module", "D07002CA44900101"}, {"params", "0102"}}}},
       {"list", {"apps", "packages"}}}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto p = prepare_campaign(*c);
  ASSERT_TRUE(p.ok()) << p.error().message;
  const auto& v = (*p)->variants.at(0);
  ASSERT_GE(v.steps.size(), 7u);
  EXPECT_TRUE(v.script.empty());
  EXPECT_EQ(v.step_kinds.size(), v.steps.size());
  EXPECT_EQ(v.steps.front().kind, step_kind::remove);
  EXPECT_EQ(v.steps[1].kind, step_kind::install_for_load);
  EXPECT_EQ(v.steps[v.steps.size() - 3].kind, step_kind::script);
  EXPECT_EQ(v.steps[v.steps.size() - 2].kind, step_kind::list);
  EXPECT_EQ(v.steps.back().kind, step_kind::list);
  // DELETE with related objects: 80 E4 00 80 07 4F 05 AID 00.
  auto del = codec::decode_compact_script(v.steps[0].script);
  ASSERT_TRUE(del.ok());
  ASSERT_EQ(del->size(), 1u);
  EXPECT_EQ((*del)[0].p2, 0x80);
  // INSTALL [for load] carries the SHA-1 of the load file.
  codec::gp::install_for_load ifl;
  ifl.load_file_aid = *from_hex("D07002CA44");
  const auto h = secure::sha1(load_file);
  ifl.hash.assign(h.begin(), h.end());
  auto ifl_cmd = *codec::gp::build_install_for_load(ifl);
  ifl_cmd.le.reset();  // a compact script is in T=0 form: no Le after data
  auto want = codec::compact_script({ifl_cmd});
  EXPECT_EQ(v.steps[1].script, *want);
  // The LOAD steps: blocks 0..n-1 in order, P1 80 on the last only, their data the Load File
  // Data Block; several blocks per packet, each packet within max_sms.
  bytes data;
  int expect_block = 0;
  std::size_t load_steps = 0;
  for (const auto& s : v.steps) {
    EXPECT_LE(s.sms, 3u);
    EXPECT_GE(s.sms, 1u);
    if (s.kind != step_kind::load) continue;
    ++load_steps;
    auto cmds = codec::decode_compact_script(s.script);
    ASSERT_TRUE(cmds.ok());
    EXPECT_EQ(cmds->size(), s.commands);
    for (const auto& l : *cmds) {
      EXPECT_EQ(l.ins, 0xE8);
      EXPECT_EQ(l.p2, expect_block++);
      data.insert(data.end(), l.data.begin(), l.data.end());
    }
  }
  EXPECT_EQ(data, *codec::gp::encode_load_data(load_file));
  EXPECT_LT(load_steps, static_cast<std::size_t>(expect_block));  // blocks share packets
  EXPECT_EQ(v.steps.size(), 1 + 1 + load_steps + 1 + 2);
  // A list step's page 2: the GET STATUS and two "next"s (P2 03).
  auto page = list_page_script(v.steps.back(), 2, script_format::compact);
  ASSERT_TRUE(page.ok());
  auto pc = codec::decode_compact_script(*page);
  ASSERT_TRUE(pc.ok());
  ASSERT_EQ(pc->size(), 3u);
  EXPECT_EQ((*pc)[0].p2, 0x02);
  EXPECT_EQ((*pc)[2].p2, 0x03);
  EXPECT_EQ(v.commands_of(static_cast<std::uint16_t>(v.steps.size() - 1), 2), 3);
}

// [update.ram] falls under the `ram` approval rule whatever its TAR (an SSD's TAR too).
TEST(RamUpdate, FallsUnderTheRamApprovalRule) {
  auto j = ram_campaign({{"load_file", to_hex(pattern(1200))},
                         {"package", "D07002CA44"},
                         {"install", {{{"package", "D07002CA44"}, {"module", "D07002CA4490"}}}},
                         {"list", {"apps"}}});
  j["security"]["tar"] = "B20200";  // not one of the policy's RAM TARs
  auto c = campaign_from_json(j);
  ASSERT_TRUE(c.ok()) << c.error().message;
  const auto findings = approval_findings(*c, approval_policy{});
  std::string why;
  for (const auto& f : findings)
    if (f.rule == approval_rule::ram) why = f.why;
  EXPECT_NE(why.find("update.ram loads package D07002CA44 (1200 octets), installs 1 instance(s), "
                     "lists"),
            std::string::npos)
      << why;
}

// The expanded format keeps each command's Le and pages a list step the same way.
TEST(RamSteps, ExpandedFormatListPages) {
  auto j = ram_campaign({{"list", {"packages"}}});
  j["update"]["format"] = "expanded";
  auto c = campaign_from_json(j);
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto p = prepare_campaign(*c);
  ASSERT_TRUE(p.ok()) << p.error().message;
  const auto& step = (*p)->variants.at(0).steps.at(0);
  auto page = list_page_script(step, 1, script_format::expanded);
  ASSERT_TRUE(page.ok()) << page.error().message;
  auto scan = codec::scan_expanded_command(*page);
  ASSERT_TRUE(scan.ok());
  std::vector<codec::command_apdu> cmds;
  for (const auto& item : scan->script.items)
    if (const auto* a = std::get_if<codec::command_apdu>(&item)) cmds.push_back(*a);
  ASSERT_EQ(cmds.size(), 2u);
  EXPECT_EQ(cmds[0].p1, 0x20);
  EXPECT_EQ(cmds[0].p2, 0x02);
  EXPECT_EQ(cmds[1].p2, 0x03);
  EXPECT_TRUE(cmds[1].le.has_value());
}

TEST(RamSteps, PacketSmsFollowsTheConcatenation) {
  security_def sec;
  sec.tar = 0;
  auto one = packet_sms(sec, bytes(80, 0));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, 1u);
  auto three = packet_sms(sec, bytes(330, 0));
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(*three, 3u);
}

}  // namespace
}  // namespace otaflow::actors
