// Card vendor key profiles (actors/key_profile.hpp, docs/key-profiles.md): every refusal of the
// parser with its text, the template language's bytes against values computed independently
// (Python `cryptography`), the file method's commands, the shipped profile files, and the
// campaign's side (profile files relative to the campaign, the canonical JSON, the security
// checks). The packets themselves: key_profile_packets_test.cpp.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "actors/campaign_def.hpp"
#include "actors/key_profile.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

namespace otaflow::actors {
namespace {

const std::filesystem::path profiles =
    std::filesystem::path(OTAFLOW_SOURCE_DIR) / "config" / "key-profiles";

result<key_profile> parse(const std::string& toml) {
  auto j = toml_to_json(toml, "p");
  if (!j) return j.error();
  return key_profile_from_json(*j, "p");
}

const std::string prot = "[protection]\nwrap_key = \"kik\"\nalgorithm = \"aes-ecb\"\n";
std::string apdus(const std::string& templ, const std::string& protection = prot) {
  return "name = \"v\"\n" + protection + "[write]\nmethod = \"apdus\"\napdus = [\"" + templ +
         "\"]\n";
}
const std::string good_t = "80 4E {kvn} 00 {len} 81 10 {ki_wrapped} 82 10 {opc_wrapped}";
std::string file(const std::string& write, const std::string& protection = prot) {
  return "name = \"f\"\n" + protection + "[write]\nmethod = \"file\"\n" + write;
}
const std::string rec_fields = "[write.fields]\nki = 1\nopc = 2\n";

TEST(KeyProfile, EveryRefusalNamesItsField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[write]\nmethod = \"apdus\"\n", "p.name: is required"},
      {"name = \"a b\"\n[write]\nmethod = \"apdus\"\n",
       "p.name: 'a b' is not 1-64 of [A-Za-z0-9._-]"},
      {"name = \"v\"\ncolour = 1\n", "p.colour: unknown field"},
      {"name = \"v\"\n", "p.write: is required (method file or apdus)"},
      {"name = \"v\"\n[write]\nmethod = \"x\"\n", "p.write.method: 'x' is not file or apdus"},
      {"name = \"v\"\n[write]\n", "p.write.method: is required"},
      {apdus(good_t, "[protection]\nintegrity = \"rc\"\n"),
       "p.protection.integrity: 'rc' is not cc or ds (a key update is always ciphered and "
       "checksummed)"},
      {apdus(good_t, "[protection]\nwrap_key = \"kid\"\n"),
       "p.protection.wrap_key: 'kid' is not kik, kic or none"},
      {apdus(good_t, "[protection]\nalgorithm = \"des\"\n"),
       "p.protection.algorithm: 'des' is not aes-ecb, aes-cbc, 3des-ecb or 3des-cbc (or aes-kw)"},
      {apdus(good_t, "[protection]\npadding = \"pkcs7\"\n"),
       "p.protection.padding: 'pkcs7' is not none or iso9797-m2"},
      {apdus(good_t, "[protection]\ntar = \"B0001\"\n"),
       "p.protection.tar: expected 6 hex digits like B00010, got 'B0001'"},
      {apdus(good_t, "[protection]\nwrap_key = \"none\"\nalgorithm = \"aes-ecb\"\n"),
       "p.protection.algorithm: needs a wrap_key (wrap_key is none)"},
      {apdus(good_t, "[protection]\nhsm = true\n"), "p.protection.hsm: unknown field"},
      // The template language.
      {apdus("80 4E 01 00 {len} {foo}"),
       "p.write.apdus[0]: unknown placeholder {foo}; known: {kcv_ki}, {ki}, {ki_wrapped}, {kvn}, "
       "{len}, {opc}, {opc_wrapped}, {seq}"},
      {apdus("80 4E0 01 00 {len} {ki}"),
       "p.write.apdus[0]: odd number of hex digits in '4E0' at column 4"},
      {apdus("80 4E 01 00 {len} {ki} ZZ"),
       "p.write.apdus[0]: unexpected 'Z' at column 24 (hex octets and {placeholders} only)"},
      {apdus("80 4E 01 00 {len} {ki"), "p.write.apdus[0]: '{' at column 19 is not closed"},
      {apdus("80 4E {len} 00 {ki}"),
       "p.write.apdus[0]: {len} is Lc: it must follow CLA INS P1 P2 (octet 5)"},
      {apdus("80 4E 01 00 {len} {len}"),
       "p.write.apdus[0]: {len} is Lc: it must follow CLA INS P1 P2 (octet 5)"},
      {apdus("80 4E 01 00 {len} {ki_wrapped}", "[protection]\nwrap_key = \"none\"\n"),
       "p.write.apdus[0]: {ki_wrapped} needs a wrapping key (protection.wrap_key is none)"},
      {apdus("80 4E"), "p.write.apdus[0]: an APDU needs at least CLA INS P1 P2"},
      {apdus("80 4E 01 00 {len}"),
       "p.write.apdus[0]: {len} counts 0 octets after it; a short APDU's Lc is 1..255"},
      {apdus("80 4E 01 00 {len}" +
             [] {
               std::string s;
               for (int i = 0; i < 17; ++i) s += " {ki}";
               return s;
             }()),
       "p.write.apdus[0]: {len} counts 272 octets after it; a short APDU's Lc is 1..255"},
      {"name = \"v\"\n" + prot + "[write]\nmethod = \"apdus\"\napdus = []\n",
       "p.write.apdus: expected a list of 1 to 16 APDU templates"},
      {apdus(good_t, "[protection]\nalgorithm = \"aes-kw\"\n"),
       "p.write: protection.algorithm aes-kw is only the otaflow-key-file layout's"},
      // The file method.
      {file("path = \"7F20/6F99\"\n" + rec_fields),
       "p.write.path: '7F20/6F99' must start at the MF (3F00) and name a file under it"},
      {file("path = \"3F00/7F2\"\n" + rec_fields),
       "p.write.path: '3F00/7F2' is not a path of 4-hex-digit FIDs like 3F00/7F4F/6F20"},
      {file("path = \"3F00/6F99\"\nstructure = \"cyclic\"\n" + rec_fields),
       "p.write.structure: 'cyclic' is not transparent or linear_fixed"},
      {file("path = \"3F00/6F99\"\n"), "p.write.fields: is required (ki and opc)"},
      {file("path = \"3F00/6F99\"\n[write.fields]\nki = 0\n"), "p.write.fields: needs ki and opc"},
      {file("path = \"3F00/6F99\"\n[write.fields]\nki = 0\nopc = 8\n"),
       "p.write.fields: the fields at offsets 0 and 8 overlap"},
      {file("path = \"3F00/6F99\"\nstructure = \"linear_fixed\"\n" + rec_fields),
       "p.write.record_length: is required for linear_fixed"},
      {file("path = \"3F00/6F99\"\nstructure = \"linear_fixed\"\nrecord_length = 8\n" + rec_fields),
       "p.write.record_length: 8 octets cannot hold a 16-octet value"},
      {file("path = \"3F00/6F99\"\nstructure = \"linear_fixed\"\nrecord_length = 16\n"
            "[write.fields]\nki = 1\nopc = 1\n"),
       "p.write.fields: record 1 is used twice"},
      {file("path = \"3F00/6F99\"\nstructure = \"linear_fixed\"\nrecord_length = 16\n"
            "[write.fields]\nki = 0\nopc = 1\n"),
       "p.write.fields.ki: expected an integer 1..254, got 0"},
      {file("path = \"3F00/6F99\"\n" + rec_fields, "[protection]\nwrap_key = \"none\"\n"),
       "p.write.values: wrapped values need protection.wrap_key kik or kic"},
      {file("path = \"3F00/6F99\"\nvalues = \"plain\"\n" + rec_fields),
       "p.write.values: 'plain' is not wrapped or clear"},
      {file("path = \"3F00/6F99\"\nrecord_length = 16\n" + rec_fields),
       "p.write.record_length: is for linear_fixed files only"},
      {file("path = \"3F00/6F99\"\nlayout = \"otaflow-key-file\"\n"),
       "p.write: layout otaflow-key-file needs protection wrap_key = \"kik\", algorithm = "
       "\"aes-kw\", padding = \"none\""},
      {file("path = \"3F00/6F99\"\nlayout = \"otaflow-key-file\"\n" + rec_fields,
            "[protection]\nalgorithm = \"aes-kw\"\n"),
       "p.write.fields: the otaflow-key-file layout has no fields"},
      {file("path = \"3F00/6F99\"\n" + rec_fields, "[protection]\nalgorithm = \"aes-kw\"\n"),
       "p.write: protection.algorithm aes-kw is only the otaflow-key-file layout's"},
      {file("path = \"3F00/6F99\"\nlayout = \"tlv\"\n" + rec_fields),
       "p.write.layout: 'tlv' is not fields or otaflow-key-file"},
  };
  for (const auto& [toml, want] : cases) {
    auto p = parse(toml);
    ASSERT_FALSE(p.ok()) << toml;
    EXPECT_EQ(p.error().message, want) << toml;
  }
  // A literal Lc that does not match what follows is not a command APDU.
  auto p = parse(apdus("80 4E 01 00 05 {ki}"));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("p.write.apdus[0]: not a command APDU once expanded"),
            std::string::npos)
      << p.error().message;
}

// TS 35.208 Test Set 1 Ki and OPc; KIK 000102..0F. Expected wrapped values from Python
// `cryptography` (AES-ECB / AES-CBC zero IV, ISO 9797-1 m2; KCV = AES(Ki, 0)[0..2]).
const bytes ki = hex("465B5CE8B199B49FAA5F0A2EE238A6BC");
const bytes opc = hex("CD63CB71954A9F4E48A5994E37A02BAF");
const bytes kik = hex("000102030405060708090a0b0c0d0e0f");
const std::string ki_w = "e42c646c9acaacd57c8480a02a3dee8e";
const std::string opc_w = "95ae7ab4cb038fd6f02354d6cec7f564";

TEST(KeyProfile, TemplatesExpandToTheseBytes) {
  auto p = load_key_profile(profiles / "example-apdu.toml");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->name, "example-apdu");
  ASSERT_EQ(p->tar, 0xB00010u);
  const key_values v{ki, opc, 0x01020304, 2, kik};
  auto cmds = key_commands(*p, 0x00, &v);
  ASSERT_TRUE(cmds.ok()) << cmds.error().message;
  ASSERT_EQ(cmds->size(), 1u);
  auto raw = codec::encode_command_apdu((*cmds)[0]);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(to_hex(*raw),
            "804e02002f"
            "8110" +
                ki_w + "8210" + opc_w +
                "83037d2ed9"
                "840401020304");
  // Placeholders: FF octets of the same sizes.
  auto ph = key_commands(*p, 0x00, nullptr);
  ASSERT_TRUE(ph.ok());
  EXPECT_EQ(to_hex((*ph)[0].data), "8110" + std::string(32, 'f') + "8210" + std::string(32, 'f') +
                                       "8303ffffff"
                                       "8404ffffffff");
  // Clear values, CBC with ISO 9797-1 method 2 padding, the KIc as the wrapping key.
  auto q = parse(apdus("80 4E 00 00 {len} {ki} {ki_wrapped} {seq}",
                       "[protection]\nwrap_key = \"kic\"\nalgorithm = \"aes-cbc\"\npadding = "
                       "\"iso9797-m2\"\n"));
  ASSERT_TRUE(q.ok()) << q.error().message;
  auto c2 = key_commands(*q, 0x00, &v);
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ(to_hex((*c2)[0].data), to_hex(ki) + ki_w +
                                       "a9e79b480e90586b6b08fb608898bdfc"
                                       "01020304");
  // 3DES-ECB under a 2-key 3DES key.
  auto t =
      parse(apdus("80 4E 00 00 {len} {ki_wrapped}", "[protection]\nalgorithm = \"3des-ecb\"\n"));
  ASSERT_TRUE(t.ok()) << t.error().message;
  const bytes k3 = hex("11111111111111112222222222222222");
  const key_values v3{ki, opc, 1, 1, k3};
  auto c3 = key_commands(*t, 0x00, &v3);
  ASSERT_TRUE(c3.ok());
  EXPECT_EQ(to_hex((*c3)[0].data), "896fe9493f80a01ba251f2b585a3f591");
  // A wrong-size wrapping key is named, never shown.
  const key_values bad{ki, opc, 1, 1, hex("0011")};
  auto c4 = key_commands(*p, 0x00, &bad);
  ASSERT_FALSE(c4.ok());
  EXPECT_EQ(c4.error().message,
            "wrapping Ki: aes-ecb: the wrapping key must have 16, 24 or 32 octets, got 2");
}

TEST(KeyProfile, FileMethodCommands) {
  auto p = load_key_profile(profiles / "example-record.toml");
  ASSERT_TRUE(p.ok()) << p.error().message;
  const key_values v{ki, opc, 7, 1, kik};
  auto cmds = key_commands(*p, 0x00, &v);
  ASSERT_TRUE(cmds.ok()) << cmds.error().message;
  ASSERT_EQ(cmds->size(), 4u);  // UPDATE RECORD 1..4, absolute, whole 16-octet records
  std::vector<std::string> got;
  for (const auto& c : *cmds) got.push_back(to_hex(*codec::encode_command_apdu(c)));
  EXPECT_EQ(got, (std::vector<std::string>{"00dc010410" + ki_w, "00dc020410" + opc_w,
                                           "00dc0304107d2ed9" + std::string(26, 'f'),
                                           "00dc04041000000007" + std::string(24, 'f')}));
  // Transparent: adjacent fields share one UPDATE BINARY, a gap starts another.
  auto t =
      parse(file("path = \"3F00/7F4F/6F21\"\nvalues = \"clear\"\n[write.fields]\nki = 0\n"
                 "opc = 16\nsequence = 40\n",
                 "[protection]\nwrap_key = \"none\"\n"));
  ASSERT_TRUE(t.ok()) << t.error().message;
  auto c2 = key_commands(*t, 0xA0, &v);
  ASSERT_TRUE(c2.ok());
  ASSERT_EQ(c2->size(), 2u);
  EXPECT_EQ(to_hex(*codec::encode_command_apdu((*c2)[0])), "a0d6000020" + to_hex(ki) + to_hex(opc));
  EXPECT_EQ(to_hex(*codec::encode_command_apdu((*c2)[1])), "a0d600280400000007");
}

TEST(KeyProfile, ShippedProfilesRoundTripAndTheVirtualOneIsTheBuiltIn) {
  for (const char* f : {"otaflow-virtual.toml", "example-apdu.toml", "example-record.toml"}) {
    auto p = load_key_profile(profiles / f);
    ASSERT_TRUE(p.ok()) << f << ": " << p.error().message;
    auto back = key_profile_from_json(to_json(*p), "json");
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, *p) << f;
  }
  EXPECT_EQ(*load_key_profile(profiles / "otaflow-virtual.toml"), otaflow_virtual_key_profile());
}

std::string campaign(const std::string& tar, const std::string& keys) {
  return "id = \"kp\"\n[security]\nspi = \"1629\"\nkic = \"15\"\nkid = \"15\"\ntar = \"" + tar +
         "\"\n[target]\nall = true\n[update.keys]\nrotate = [\"ki\", \"opc\"]\n" + keys;
}

TEST(KeyProfile, CampaignsNameProfileFilesAndCarryTheirContent) {
  storage::test::temp_dir dir;
  std::filesystem::create_directories(dir.path());
  const auto path = dir.path() / "c.toml";
  auto write = [&](const std::string& text) { std::ofstream(path) << text; };
  std::filesystem::copy_file(profiles / "example-apdu.toml", dir.path() / "vendor-b.toml");
  write(campaign("B00010", "profile = \"vendor-b.toml\"\n"));
  auto c = load_campaign_file(path.string());
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(c->update.keys->profile.has_value());
  EXPECT_EQ(c->update.keys->profile->name, "example-apdu");
  // The canonical JSON carries the profile itself: a Kafka event or a stored definition
  // needs no file, and approvals sign the templates that are sent.
  const auto j = to_json(*c);
  EXPECT_EQ(j["update"]["keys"]["profile"]["write"]["apdus"][0],
            "80 4E {kvn} 00 {len}  81 10 {ki_wrapped}  82 10 {opc_wrapped}  83 03 {kcv_ki}  84 04 "
            "{seq}");
  auto again = campaign_from_json(j);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->update.keys, c->update.keys);
  // The built-in profile, by name, by its file or by default: one canonical form, no profile.
  write(campaign("B00010", ""));
  const auto plain = to_json(*load_campaign_file(path.string()));
  EXPECT_FALSE(plain["update"]["keys"].contains("profile"));
  write(campaign("B00010", "profile = \"otaflow-virtual\"\n"));
  EXPECT_EQ(to_json(*load_campaign_file(path.string())), plain);
  write(campaign("B00010", "profile = \"" + (profiles / "otaflow-virtual.toml").string() + "\"\n"));
  EXPECT_EQ(to_json(*load_campaign_file(path.string())), plain);

  // Refusals: a missing file, a name in JSON, the profile's TAR and integrity.
  write(campaign("B00010", "profile = \"nowhere.toml\"\n"));
  auto missing = load_campaign_file(path.string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "update.keys.profile: cannot read key profile '" +
                                         (dir.path() / "nowhere.toml").string() + "'");
  auto named = campaign_from_toml(campaign("B00010", "profile = \"vendor-b.toml\"\n"));
  ASSERT_FALSE(named.ok());
  EXPECT_EQ(named.error().message,
            "campaign: update.keys.profile: 'vendor-b.toml' is not the built-in "
            "\"otaflow-virtual\"; a profile file is read when the campaign file is (a campaign "
            "event carries the profile's table)");
  write(campaign("B00011", "profile = \"vendor-b.toml\"\n"));
  auto tar = load_campaign_file(path.string());
  ASSERT_FALSE(tar.ok());
  EXPECT_EQ(tar.error().message, path.string() +
                                     ": security.spi: key profile 'example-apdu' is reached on "
                                     "TAR B00010, the campaign sends to B00011");
  std::ofstream(dir.path() / "ds.toml") << apdus(good_t, "[protection]\nintegrity = \"ds\"\n");
  write(campaign("B00010", "profile = \"ds.toml\"\n"));
  auto ds = load_campaign_file(path.string());
  ASSERT_FALSE(ds.ok());
  EXPECT_EQ(
      ds.error().message,
      path.string() + ": security.spi: key profile 'v' needs commands with a DS, SPI 1629 has cc");
  // Without a CC on commands (allow_insecure): the built-in profile keeps today's rules (the
  // key update rules only), a vendor profile asking for a CC refuses it.
  auto weak = [](const std::string& keys) {
    return "id = \"kp\"\n[security]\nspi = \"0429\"\nkic = \"15\"\nkid = \"15\"\ntar = "
           "\"B00010\"\nallow_insecure = true\n[target]\nall = true\n[update.keys]\nrotate = "
           "[\"ki\"]\n" +
           keys;
  };
  write(weak(""));
  EXPECT_TRUE(load_campaign_file(path.string()).ok());
  write(weak("profile = \"vendor-b.toml\"\n"));
  auto no_cc = load_campaign_file(path.string());
  ASSERT_FALSE(no_cc.ok());
  EXPECT_EQ(no_cc.error().message,
            path.string() +
                ": security.spi: key profile 'example-apdu' needs commands with a CC "
                "or DS, SPI 0429 has none");
  // A profile file's own error names the file.
  std::ofstream(dir.path() / "broken.toml") << apdus("80 4E 01 00 {len} {foo}");
  write(campaign("B00010", "profile = \"broken.toml\"\n"));
  auto broken = load_campaign_file(path.string());
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(
      broken.error().message.rfind(
          (dir.path() / "broken.toml").string() + ".write.apdus[0]: unknown placeholder {foo}", 0),
      0u)
      << broken.error().message;
}

}  // namespace
}  // namespace otaflow::actors
