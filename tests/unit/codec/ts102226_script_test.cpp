#include "codec/ts102226_script.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "codec/iso7816_sw.hpp"

namespace otaflow::codec {
namespace {

bytes cat(std::initializer_list<bytes> parts) {
  bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

bytes counting(std::size_t n) {
  bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i);
  return b;
}

command_apdu apdu(const char* h) {
  auto a = decode_command_apdu(hex(h));
  EXPECT_TRUE(a.ok()) << h;
  return a.ok() ? *a : command_apdu{};
}

// ------------------------------------------------------------------------------------------
// Compact command
// ------------------------------------------------------------------------------------------

struct compact_row {
  const char* name;
  const char* script;
  std::vector<command_apdu> commands;
};

std::vector<compact_row> compact_rows() {
  return {
      // SELECT MF, the secured data of the SJA5 test packets [pySim-tests, test_ota.py]
      {"SELECT MF", "00a40004023f00", {{0x00, 0xA4, 0x00, 0x04, hex("3f00"), {}}}},
      // SELECT MF, SELECT EF.ICCID, READ BINARY 10 [pySim-tests RFM script, here compact]
      {"RFM read ICCID",
       "00a4000c023f00"
       "00a4000c022fe2"
       "00b000000a",
       {{0x00, 0xA4, 0x00, 0x0C, hex("3f00"), {}},
        {0x00, 0xA4, 0x00, 0x0C, hex("2fe2"), {}},
        {0x00, 0xB0, 0x00, 0x00, {}, 10}}},
      {"SIM (CLA A0) update and read record",
       "a0a40000026f3a"
       "a0dc0104031122 33"
       "a0b2010403",
       {{0xA0, 0xA4, 0x00, 0x00, hex("6f3a"), {}},
        {0xA0, 0xDC, 0x01, 0x04, hex("112233"), {}},
        {0xA0, 0xB2, 0x01, 0x04, {}, 3}}},
      // GP GET STATUS (P1 40 = applications) has data; STATUS (P1 00) has Le.
      {"RAM GET STATUS then STATUS",
       "80f24002024f00"
       "80f2000000",
       {{0x80, 0xF2, 0x40, 0x02, hex("4f00"), {}}, {0x80, 0xF2, 0x00, 0x00, {}, 256}}},
      {"GET RESPONSE 256 and GET DATA",
       "00c0000000"
       "80ca00e000",
       {{0x00, 0xC0, 0x00, 0x00, {}, 256}, {0x80, 0xCA, 0x00, 0xE0, {}, 256}}},
      {"case 1 as P3 = 00: MANAGE CHANNEL close", "0070800100", {{0x00, 0x70, 0x80, 0x01, {}, {}}}},
      {"MANAGE CHANNEL open, Le 1", "0070000001", {{0x00, 0x70, 0x00, 0x00, {}, 1}}},
  };
}

std::string strip(const char* h) {
  std::string s;
  for (const char* p = h; *p; ++p)
    if (*p != ' ') s += *p;
  return s;
}

TEST(CompactScript, TableDecodeEncode) {
  for (const auto& row : compact_rows()) {
    SCOPED_TRACE(row.name);
    const bytes script = hex(strip(row.script));
    auto dec = decode_compact_script(script);
    ASSERT_TRUE(dec.ok()) << dec.error().describe();
    ASSERT_EQ(dec->size(), row.commands.size());
    for (std::size_t i = 0; i < row.commands.size(); ++i) {
      EXPECT_EQ((*dec)[i], row.commands[i]) << "command " << i;
    }
    auto enc = compact_script(row.commands);
    ASSERT_TRUE(enc.ok()) << enc.error().describe();
    EXPECT_EQ(to_hex(*enc), to_hex(script));
  }
}

TEST(CompactScript, TruncationAtEveryOffset) {
  // Every cut that is not on a command boundary is a truncated Lc/data or header.
  const bytes script =
      hex("00a4000c023f00"
          "00a4000c022fe2"
          "00b000000a");
  const std::set<std::size_t> boundaries = {7, 14};
  for (std::size_t n = 0; n < script.size(); ++n) {
    auto d = decode_compact_script(byte_view(script.data(), n));
    if (boundaries.count(n) != 0) {
      ASSERT_TRUE(d.ok()) << n;
      EXPECT_EQ(d->size(), n / 7);
      continue;
    }
    ASSERT_FALSE(d.ok()) << n;
    EXPECT_EQ(d.error().code, errc::truncated) << n << ": " << d.error().message;
  }
  auto d = decode_compact_script(hex("00a4000c053f00"));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("Lc 5"), std::string::npos) << d.error().message;
  EXPECT_NE(d.error().message.find("00A4000C"), std::string::npos) << d.error().message;
}

TEST(CompactScript, EncodeRejectsShapesWithoutT0Form) {
  struct row {
    const char* name;
    command_apdu a;
    errc code;
  };
  for (const row& r : std::vector<row>{
           {"READ BINARY with data", {0x00, 0xB0, 0, 0, hex("00"), 4}, errc::bad_argument},
           {"READ BINARY without Le", {0x00, 0xB0, 0, 0, {}, {}}, errc::bad_argument},
           {"READ BINARY Le 257", {0x00, 0xB0, 0, 0, {}, 257}, errc::bad_argument},
           {"SELECT with Le (case 4)", {0x00, 0xA4, 0, 4, hex("3f00"), 256}, errc::bad_argument},
           {"UPDATE BINARY 256 octets", {0x00, 0xD6, 0, 0, bytes(256, 0), {}}, errc::too_long},
       }) {
    SCOPED_TRACE(r.name);
    auto e = compact_script({r.a});
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.error().code, r.code) << e.error().message;
  }
  EXPECT_FALSE(compact_script({}).ok());
  EXPECT_FALSE(decode_compact_script({}).ok());

  // With drop_case4_le the T=0 mapping of case 4 is used: Lc and data only.
  compact_options opts;
  opts.drop_case4_le = true;
  auto dropped = compact_script({{0x00, 0xA4, 0x00, 0x04, hex("3f00"), 256}}, opts);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(to_hex(*dropped), "00a40004023f00");
}

TEST(CompactScript, CustomResolver) {
  // A resolver that treats every INS as P3 = Le splits 0x00A4... differently.
  compact_options opts;
  opts.resolver = [](std::uint8_t, std::uint8_t, std::uint8_t) { return p3_kind::le; };
  auto d = decode_compact_script(hex("00a4000402"
                                     "00b0000010"),
                                 opts);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ((*d)[0].le, 2u);
  EXPECT_EQ(default_p3_kind(0x80, 0xF2, 0x00), p3_kind::le);
  EXPECT_EQ(default_p3_kind(0x80, 0xF2, 0x80), p3_kind::lc);
  EXPECT_EQ(default_p3_kind(0x80, 0xE6, 0x0C), p3_kind::lc);
}

// ------------------------------------------------------------------------------------------
// Compact response
// ------------------------------------------------------------------------------------------

TEST(CompactResponse, TableDecodeEncode) {
  struct row {
    const char* name;
    const char* hex;
    compact_response r;
  };
  for (const row& r : std::vector<row>{
           // Real cards (sysmoISIM-SJA5) answering SELECT MF [pySim-tests, test_ota.py]
           {"SJA5 3DES PoR", "01612f", {1, 0x612F, {}}},
           {"SJA5 AES PoR", "016132", {1, 0x6132, {}}},
           {"read ICCID",
            "039000"
            "98881201000040860814",
            {3, 0x9000, hex("98881201000040860814")}},
           {"stopped at command 2", "026a82", {2, 0x6A82, {}}},
       }) {
    SCOPED_TRACE(r.name);
    auto d = decode_compact_response(hex(r.hex));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(*d, r.r);
    EXPECT_EQ(to_hex(encode_compact_response(r.r)), r.hex);
  }
  for (const char* h : {"", "01", "0161"}) {
    auto d = decode_compact_response(hex(h));
    ASSERT_FALSE(d.ok()) << h;
    EXPECT_EQ(d.error().code, errc::truncated);
  }
}

// ------------------------------------------------------------------------------------------
// Expanded command
// ------------------------------------------------------------------------------------------

struct expanded_row {
  const char* name;
  bytes encoded;
  template_length form;
  std::vector<command_item> items;
};

std::vector<expanded_row> expanded_rows() {
  const bytes big = cat({hex("80f24000c3"), counting(195)});
  return {
      // docs/standards/ts102226-remote-apdu.md §4 (a test in a third-party SCP80 tool)
      {"STORE DATA, definite",
       hex("aa07220580e2900000"),
       template_length::definite,
       {apdu("80e2900000")}},
      // GP GET STATUS [pySim-tests ExpandedCmdTestCase]
      {"GET STATUS, definite",
       hex("aa0a220880f24002024f0000"),
       template_length::definite,
       {apdu("80f24002024f0000")}},
      {"two C-APDUs",
       hex("aa14220880f24002024f0000220800a40004023f0000"),
       template_length::definite,
       {apdu("80f24002024f0000"), apdu("00a40004023f0000")}},
      // 200-octet C-APDU: long-form lengths aa 81 cb / 22 81 c8 [pySim-tests]
      {"long lengths",
       cat({hex("aa81cb2281c8"), big}),
       template_length::definite,
       {*decode_command_apdu(big)}},
      // RAM GET DATA over SCP81 [pySim-tests, live eUICC]
      {"indefinite RAM GET DATA",
       hex("ae80220580ca00e0000000"),
       template_length::indefinite,
       {apdu("80ca00e000")}},
      // RFM SELECT MF / EF.ICCID / READ BINARY [pySim-tests, live eUICC]
      {"indefinite RFM",
       hex("ae80220700a4000c023f00220700a4000c022fe2220500b000000a0000"),
       template_length::indefinite,
       {apdu("00a4000c023f00"), apdu("00a4000c022fe2"), apdu("00b000000a")}},
      {"all TLV kinds",
       hex("aa0f"
           "830101"
           "810101"
           "8200"
           "220580e2900000"),
       template_length::definite,
       {script_chaining{hex("01")}, immediate_action{hex("01")}, error_action{},
        apdu("80e2900000")}},
      {"empty indefinite", hex("ae800000"), template_length::indefinite, {}},
  };
}

TEST(ExpandedCommand, TableDecodeEncode) {
  for (const auto& row : expanded_rows()) {
    SCOPED_TRACE(row.name);
    auto d = decode_expanded_command(row.encoded);
    ASSERT_TRUE(d.ok()) << d.error().describe();
    EXPECT_EQ(d->form, row.form);
    EXPECT_EQ(d->items, row.items);
    auto e = encode_expanded_command(expanded_command{row.form, row.items});
    ASSERT_TRUE(e.ok()) << e.error().describe();
    EXPECT_EQ(to_hex(*e), to_hex(row.encoded));
  }
  // The builder from a list of C-APDUs.
  auto one = expanded_script({apdu("80e2900000")});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(to_hex(*one), "aa07220580e2900000");
  auto indef = expanded_script({apdu("80ca00e000")}, template_length::indefinite);
  ASSERT_TRUE(indef.ok());
  EXPECT_EQ(to_hex(*indef), "ae80220580ca00e0000000");
  auto d = decode_expanded_command(hex("aa0f8301018101018200220580e2900000"));
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->commands().size(), 1u);
  EXPECT_EQ(d->commands()[0].ins, 0xE2);
}

TEST(ExpandedCommand, TruncationAtEveryOffset) {
  for (const auto& row : expanded_rows()) {
    SCOPED_TRACE(row.name);
    for (std::size_t n = 0; n < row.encoded.size(); ++n) {
      auto d = decode_expanded_command(byte_view(row.encoded.data(), n));
      ASSERT_FALSE(d.ok()) << n;
      EXPECT_EQ(d.error().code, errc::truncated) << n << ": " << d.error().message;
    }
  }
}

TEST(ExpandedCommand, BadFormatScan) {
  struct row {
    const char* name;
    const char* hex;
    std::size_t items_before;
    bad_format why;
    errc code;
  };
  for (const row& r : std::vector<row>{
           {"unknown tag 24", "aa0b220580e29000002402aabb", 1, bad_format::unknown_tag,
            errc::bad_value},
           {"inner length past the template", "aa0722078 0e2900000", 0, bad_format::wrong_length,
            errc::bad_length},
           {"length missing", "aa0822058 0e290000022", 1, bad_format::length_missing,
            errc::truncated},
           {"C-APDU too short", "aa04220200a4", 0, bad_format::wrong_length, errc::bad_length},
           {"indefinite length inside", "aa0322 8000", 0, bad_format::wrong_length,
            errc::bad_length},
           {"indefinite, unknown tag", "ae80220580ca00e000 990100 0000", 1, bad_format::unknown_tag,
            errc::bad_value},
       }) {
    SCOPED_TRACE(r.name);
    const bytes in = hex(strip(r.hex));
    auto s = scan_expanded_command(in);
    ASSERT_TRUE(s.ok()) << s.error().describe();
    ASSERT_TRUE(s->error.has_value());
    EXPECT_EQ(*s->error, r.why);
    EXPECT_EQ(s->script.items.size(), r.items_before);
    auto d = decode_expanded_command(in);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().code, r.code) << d.error().message;
  }
  // Template-level errors are errors of the scan too.
  for (const char* h : {"ab00", "aa00ff", "ae07", "ae800000ff"}) {
    auto s = scan_expanded_command(hex(h));
    EXPECT_FALSE(s.ok()) << h;
  }
  auto ok = scan_expanded_command(hex("aa07220580e2900000"));
  ASSERT_TRUE(ok.ok());
  EXPECT_FALSE(ok->error.has_value());
}

// ------------------------------------------------------------------------------------------
// Expanded response
// ------------------------------------------------------------------------------------------

TEST(ExpandedResponse, TableDecodeEncode) {
  const bytes registry = counting(198);
  struct row {
    const char* name;
    bytes encoded;
    expanded_response r;
  };
  const std::vector<row> rows = {
      // [pySim-tests ExpandedRespTestCase]
      {"SW only",
       hex("ab0780010123026132"),
       {template_length::definite, 1, {response_apdu{{}, 0x6132}}}},
      {"bad format unknown tag",
       hex("ab06800101900101"),
       {template_length::definite, 1, {bad_format_response{bad_format::unknown_tag}}}},
      {"immediate action response",
       hex("ab06800101810101"),
       {template_length::definite, 1, {immediate_action_response{hex("01")}}}},
      {"script chaining response",
       hex("ab06800101830102"),
       {template_length::definite, 1, {script_chaining_response{hex("02")}}}},
      {"registry 198 octets",
       cat({hex("ab81ce8001012381c8"), registry, hex("9000")}),
       {template_length::definite, 1, {response_apdu{registry, 0x9000}}}},
      // [pySim-tests ExpandedIndefiniteTestCase, live eUICC over SCP81]
      {"indefinite RFM",
       hex("af80"
           "23029000"
           "23029000"
           "230c988812010000408608149000"
           "0000"),
       {template_length::indefinite,
        {},
        {response_apdu{{}, 0x9000}, response_apdu{{}, 0x9000},
         response_apdu{hex("98881201000040860814"), 0x9000}}}},
      {"indefinite RAM GET DATA",
       hex("af80"
           "2334e030c00403308810c00402308810c00401308810c00402408810"
           "c00401408510c00403018810c00402018810c004010188109000"
           "0000"),
       {template_length::indefinite,
        {},
        {response_apdu{hex("e030c00403308810c00402308810c00401308810c00402408810"
                           "c00401408510c00403018810c00402018810c00401018810"),
                       0x9000}}}},
      {"indefinite bad format",
       hex("af80"
           "900101"
           "0000"),
       {template_length::indefinite, {}, {bad_format_response{bad_format::unknown_tag}}}},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.name);
    auto d = decode_expanded_response(r.encoded);
    ASSERT_TRUE(d.ok()) << d.error().describe();
    EXPECT_EQ(*d, r.r);
    auto e = encode_expanded_response(r.r);
    ASSERT_TRUE(e.ok()) << e.error().describe();
    EXPECT_EQ(to_hex(*e), to_hex(r.encoded));
  }

  auto rfm = decode_expanded_response(rows[5].encoded);
  ASSERT_TRUE(rfm.ok());
  EXPECT_EQ(rfm->executed_count(), 3u);
  EXPECT_EQ(rfm->responses().size(), 3u);
  EXPECT_EQ(rfm->last_response()->sw, sw::ok);
  EXPECT_EQ(to_hex(rfm->last_response()->data), "98881201000040860814");
  EXPECT_FALSE(rfm->bad_format_code().has_value());
  EXPECT_FALSE(rfm->truncated());

  auto bad = decode_expanded_response(rows[1].encoded);
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->bad_format_code(), bad_format::unknown_tag);
  EXPECT_FALSE(bad->last_response().has_value());
  EXPECT_EQ(bad->executed_count(), 1u);
}

TEST(ExpandedResponse, TruncatedDataFlag) {
  // TS 102 226 §5.2.1.1: SW 62F1 ends processing; the last R-APDU carries it [pySim-tests].
  expanded_response r{template_length::definite,
                      2,
                      {response_apdu{hex("6f21"), 0x9000}, response_apdu{hex("aabb"), 0x62F1}}};
  auto e = encode_expanded_response(r);
  ASSERT_TRUE(e.ok());
  auto d = decode_expanded_response(*e);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->truncated());
  EXPECT_EQ(d->last_response()->sw, sw::more_data);
  expanded_response warn{template_length::definite, 1, {response_apdu{{}, 0x6282}}};
  EXPECT_FALSE(warn.truncated());
}

TEST(ExpandedResponse, ErrorsAndTruncation) {
  const bytes good =
      hex("af80"
          "23029000"
          "230c988812010000408608149000"
          "0000");
  for (std::size_t n = 0; n < good.size(); ++n) {
    auto d = decode_expanded_response(byte_view(good.data(), n));
    ASSERT_FALSE(d.ok()) << n;
    EXPECT_EQ(d.error().code, errc::truncated) << n << ": " << d.error().message;
  }
  const bytes def = hex("ab0780010123026132");
  for (std::size_t n = 0; n < def.size(); ++n) {
    auto d = decode_expanded_response(byte_view(def.data(), n));
    ASSERT_FALSE(d.ok()) << n;
    EXPECT_EQ(d.error().code, errc::truncated) << n << ": " << d.error().message;
  }
  struct row {
    const char* hex;
    errc code;
  };
  for (const row& r : std::vector<row>{
           {"ab0423026132", errc::bad_value},              // definite without 80
           {"ab088002010123026132", errc::bad_length},     // 80 of length 2
           {"ab06800101230161", errc::bad_length},         // R-APDU of 1 octet
           {"ab06800101900201", errc::truncated},          // 90 length 2 overruns the template
           {"ab0780010190020101", errc::bad_length},       // 90 length 2
           {"ab06800101240100", errc::bad_value},          // unknown tag 24
           {"ab0a80010180010123029000", errc::bad_value},  // second 80
           {"af80800101 0000", errc::bad_value},           // 80 in the indefinite form
           {"ac0780010123026132", errc::bad_value},        // wrong template tag
           {"ab078001012302613200", errc::bad_length},     // trailing octet
           {"af8023029000000000", errc::bad_length},       // trailing after 00 00
       }) {
    auto d = decode_expanded_response(hex(strip(r.hex)));
    ASSERT_FALSE(d.ok()) << r.hex;
    EXPECT_EQ(d.error().code, r.code) << r.hex << ": " << d.error().message;
  }
  // The encoder keeps the 80 TLV rule.
  EXPECT_FALSE(encode_expanded_response({template_length::definite, {}, {}}).ok());
  EXPECT_FALSE(encode_expanded_response({template_length::indefinite, 1, {}}).ok());
}

// ------------------------------------------------------------------------------------------
// Round-trip properties
// ------------------------------------------------------------------------------------------

rc::Gen<bytes> gen_bytes(int max) {
  return rc::gen::resize(max, rc::gen::container<bytes>(rc::gen::arbitrary<std::uint8_t>()));
}

// A command in the shape the default resolver gives its INS.
command_apdu gen_compact_command() {
  command_apdu a;
  a.cla = *rc::gen::elementOf(std::vector<std::uint8_t>{0x00, 0x80, 0xA0, 0x84});
  a.ins = *rc::gen::oneOf(rc::gen::elementOf(std::vector<std::uint8_t>{
                              0xA4, 0xB0, 0xB2, 0xD6, 0xDC, 0xC0, 0xF2, 0xA2, 0x32, 0x20, 0x88,
                              0xE6, 0xE4, 0xE8, 0xD8, 0xF0, 0xE2, 0xCA, 0x70}),
                          rc::gen::arbitrary<std::uint8_t>());
  a.p1 = *rc::gen::arbitrary<std::uint8_t>();
  a.p2 = *rc::gen::arbitrary<std::uint8_t>();
  if (default_p3_kind(a.cla, a.ins, a.p1) == p3_kind::le) {
    a.le = *rc::gen::inRange<std::uint32_t>(1, 257);
  } else {
    a.data = *gen_bytes(255);
  }
  return a;
}

RC_GTEST_PROP(CompactScriptProp, EncodeDecodeIdentity, ()) {
  const int n = *rc::gen::inRange(1, 6);
  std::vector<command_apdu> cmds;
  for (int i = 0; i < n; ++i) cmds.push_back(gen_compact_command());
  auto enc = compact_script(cmds);
  RC_ASSERT(enc.ok());
  auto dec = decode_compact_script(*enc);
  RC_ASSERT(dec.ok());
  RC_ASSERT(*dec == cmds);
}

RC_GTEST_PROP(CompactResponseProp, EncodeDecodeIdentity,
              (std::uint8_t n, std::uint16_t status_word, const bytes& data)) {
  const compact_response r{n, status_word, data};
  auto dec = decode_compact_response(encode_compact_response(r));
  RC_ASSERT(dec.ok());
  RC_ASSERT(*dec == r);
}

command_apdu gen_iso_command() {
  command_apdu a;
  a.cla = *rc::gen::arbitrary<std::uint8_t>();
  a.ins = *rc::gen::arbitrary<std::uint8_t>();
  a.p1 = *rc::gen::arbitrary<std::uint8_t>();
  a.p2 = *rc::gen::arbitrary<std::uint8_t>();
  a.data = *gen_bytes(*rc::gen::element(0, 40, 300));
  if (*rc::gen::arbitrary<bool>()) a.le = *rc::gen::inRange<std::uint32_t>(1, 65537);
  return a;
}

RC_GTEST_PROP(ExpandedCommandProp, EncodeDecodeIdentity, ()) {
  expanded_command s;
  s.form = *rc::gen::element(template_length::definite, template_length::indefinite);
  const int n = *rc::gen::inRange(0, 6);
  for (int i = 0; i < n; ++i) {
    switch (*rc::gen::inRange(0, 4)) {
      case 0:
        s.items.emplace_back(gen_iso_command());
        break;
      case 1:
        s.items.emplace_back(immediate_action{*gen_bytes(4)});
        break;
      case 2:
        s.items.emplace_back(error_action{*gen_bytes(20)});
        break;
      default:
        s.items.emplace_back(script_chaining{*gen_bytes(2)});
        break;
    }
  }
  auto enc = encode_expanded_command(s);
  RC_ASSERT(enc.ok());
  auto dec = decode_expanded_command(*enc);
  RC_ASSERT(dec.ok());
  RC_ASSERT(*dec == s);
  auto scan = scan_expanded_command(*enc);
  RC_ASSERT(scan.ok());
  RC_ASSERT(!scan->error.has_value());
}

RC_GTEST_PROP(ExpandedResponseProp, EncodeDecodeIdentity, ()) {
  expanded_response r;
  r.form = *rc::gen::element(template_length::definite, template_length::indefinite);
  if (r.form == template_length::definite) r.executed = *rc::gen::arbitrary<std::uint8_t>();
  const int n = *rc::gen::inRange(0, 6);
  for (int i = 0; i < n; ++i) {
    switch (*rc::gen::inRange(0, 4)) {
      case 0:
        r.items.emplace_back(response_apdu{*gen_bytes(*rc::gen::element(0, 40, 300)),
                                           *rc::gen::arbitrary<std::uint16_t>()});
        break;
      case 1:
        r.items.emplace_back(
            bad_format_response{static_cast<bad_format>(*rc::gen::arbitrary<std::uint8_t>())});
        break;
      case 2:
        r.items.emplace_back(immediate_action_response{*gen_bytes(4)});
        break;
      default:
        r.items.emplace_back(script_chaining_response{*gen_bytes(2)});
        break;
    }
  }
  auto enc = encode_expanded_response(r);
  RC_ASSERT(enc.ok());
  auto dec = decode_expanded_response(*enc);
  RC_ASSERT(dec.ok());
  RC_ASSERT(*dec == r);
}

}  // namespace
}  // namespace otaflow::codec
