// The virtual UICC's APDU processor: one table row per command and status word
// (TS 102 221 §10.2.1, TS 51.011 §9.4 for CLA A0), plus the data of the answers.

#include <gtest/gtest.h>

#include <vector>

#include "codec/iso7816_apdu.hpp"
#include "codec/ts31102_ef.hpp"
#include "sim/uicc_apdu.hpp"
#include "uicc_test_util.hpp"

namespace otaflow::sim {
namespace {

using codec::command_apdu;
using codec::response_apdu;

struct apdu_row {
  const char* name;
  std::vector<const char*> setup;  ///< APDUs sent first (their answers are not checked)
  const char* apdu;
  std::uint16_t sw;
  const char* data = nullptr;  ///< expected response data (hex), when checked
  access_level rights = access_level::pin1;
};

// Paths used below: 7FFF/6F07 EF.IMSI (transparent 9, read PIN, update ADM), 7FFF/6F7B
// EF.FPLMN (transparent 12, PIN/PIN), 7FFF/6F42 EF.SMSP (linear fixed 2 x 44, PIN/PIN),
// 7FFF/6F46 EF.SPN (ALW/ADM), 2F00 EF.DIR (linear fixed 2 x 38, SFI 1E, ALW/ADM),
// 7F66/6F01 the key rotation file (NEV/ADM).
const apdu_row rows[] = {
    // SELECT
    {"select MF, no data", {}, "00A4000C023F00", 0x9000},
    {"select MF, empty data", {"00A4000C027FFF"}, "00A4000C00", 0x9000},
    {"select ADF by 7FFF", {}, "00A4000C027FFF", 0x9000},
    {"select EF in ADF", {"00A4000C027FFF"}, "00A4000C026F07", 0x9000},
    {"select EF of another DF", {}, "00A4000C026F07", 0x6A82},
    {"select sibling DF", {"00A4000C027F10"}, "00A4000C027F66", 0x9000},
    {"select parent by FID", {"00A4000C027FFF"}, "00A4000C023F00", 0x9000},
    {"select by full AID", {}, "00A4040C10A0000000871002FFFFFFFF8907090000", 0x9000},
    {"select by truncated AID", {}, "00A4040C07A0000000871002", 0x9000},
    {"select by unknown AID", {}, "00A4040C07A0000000871003", 0x6A82},
    {"select by AID shorter than RID", {}, "00A4040C04A0000000", 0x6A82},
    {"select by path from MF", {}, "00A4080C047FFF6F07", 0x9000},
    {"select by path with 3F00", {}, "00A4080C063F007FFF6F07", 0x9000},
    {"select by path from current DF", {"00A4000C027FFF"}, "00A4090C026F07", 0x9000},
    {"select by path, odd length", {}, "00A4080C037FFF6F", 0x6700},
    {"select by path, not found", {}, "00A4080C047FFF6FFF", 0x6A82},
    {"select by path through an EF", {}, "00A4080C042FE26F07", 0x6A82},
    {"select child DF (P1 01)", {}, "00A4010C027F10", 0x9000},
    {"select child DF, not a child", {"00A4000C027F10"}, "00A4010C027F66", 0x6A82},
    {"select EF (P1 02)", {"00A4000C027FFF"}, "00A4020C026F07", 0x9000},
    {"select parent (P1 03)", {"00A4000C027FFF"}, "00A4030C", 0x9000},
    {"select parent of MF", {}, "00A4030C", 0x6A82},
    {"select, P2 asks for FMD", {}, "00A40008023F00", 0x6A86},
    {"select, unknown P1", {}, "00A40504023F00", 0x6A86},
    {"select, 3 octets of FID", {}, "00A4000C033F0000", 0x6700},
    {"select with FCP, T=0", {}, "00A40004023F00", 0x6121},
    {"select with FCP and Le", {}, "00A40004023F0000", 0x9000},
    {"GSM select MF", {}, "A0A40000023F00", 0x9F16},
    {"GSM select EF", {"A0A40000027FFF"}, "A0A40000026F07", 0x9F0F},
    {"GSM select not found", {}, "A0A40000026F07", 0x9404},
    {"GSM select, P1P2 not 0000", {}, "A0A40400023F00", 0x6B00},
    {"GSM select, wrong P3", {}, "A0A40000033F0000", 0x6700},
    // Classes and instructions
    {"SELECT with CLA 80", {}, "80A4000C023F00", 0x6E00},
    {"unknown class", {}, "C0A4000C023F00", 0x6E00},
    {"logical channel 1", {}, "01A4000C023F00", 0x6881},
    {"secure messaging bits", {}, "0CA4000C023F00", 0x6882},
    {"unknown instruction", {}, "00FE000000", 0x6D00},
    {"ENVELOPE on the file system session", {}, "80C2000001D1", 0x6D00},
    // READ BINARY
    {"read binary, no EF", {}, "00B0000009", 0x6986},
    {"read EF.IMSI", {"00A4080C047FFF6F07"}, "00B0000009", 0x9000, "080910100000000010"},
    {"read binary at offset", {"00A4080C047FFF6F07"}, "00B0000702", 0x9000, "0010"},
    {"read binary, offset past end", {"00A4080C047FFF6F07"}, "00B0000901", 0x6B00},
    {"read binary, Le past end", {"00A4080C047FFF6F07"}, "00B0000510", 0x6282, "00000010"},
    {"read binary, Le 00", {"00A4080C047FFF6F07"}, "00B0000000", 0x9000, "080910100000000010"},
    {"read binary by SFI 07", {"00A4000C027FFF"}, "00B0870009", 0x9000, "080910100000000010"},
    {"read binary, unknown SFI", {"00A4000C027FFF"}, "00B09F0001", 0x6A82},
    {"read binary, SFI P1 b7-b6 set", {"00A4000C027FFF"}, "00B0E70001", 0x6A86},
    {"read binary of a record EF", {"00A4080C047FFF6F42"}, "00B0000001", 0x6981},
    {"read binary of a NEV file",
     {"00A4080C047F666F01"},
     "00B0000001",
     0x6982,
     nullptr,
     access_level::adm},
    {"read binary of a PIN file, no PIN",
     {"00A4080C047FFF6F07"},
     "00B0000009",
     0x6982,
     nullptr,
     access_level::always},
    {"read EF.ICCID", {"00A4000C022FE2"}, "00B000000A", 0x9000, "986499000000000010f6"},
    // UPDATE BINARY
    {"update ADM file without ADM", {"00A4080C047FFF6F46"}, "00D6000001FF", 0x6982},
    {"update ADM file with ADM",
     {"00A4080C047FFF6F46"},
     "00D6000001FF",
     0x9000,
     nullptr,
     access_level::adm},
    {"update PIN file", {"00A4080C047FFF6F7B"}, "00D600000342F618", 0x9000},
    {"update past the end", {"00A4080C047FFF6F7B"}, "00D6000B0200FF", 0x6700},
    {"update at offset past the end", {"00A4080C047FFF6F7B"}, "00D6000C0100", 0x6B00},
    {"update without data", {"00A4080C047FFF6F7B"}, "00D6000000", 0x6700},
    {"update, no EF", {}, "00D600000100", 0x6986},
    {"update a record EF", {"00A4080C047FFF6F42"}, "00D600000100", 0x6981},
    {"update a NEV file", {"00A4000C022FE2"}, "00D600000100", 0x6982, nullptr, access_level::adm},
    // READ RECORD
    {"read record 1", {"00A4080C047FFF6F42"}, "00B201042C", 0x9000},
    {"read record past the last", {"00A4080C047FFF6F42"}, "00B203042C", 0x6A83},
    {"read record 0 without a current record", {"00A4080C047FFF6F42"}, "00B200042C", 0x6A83},
    {"read record, wrong Le", {"00A4080C047FFF6F42"}, "00B2010410", 0x6C2C},
    {"read record next, next, next",
     {"00A4080C047FFF6F42", "00B200022C", "00B200022C"},
     "00B200022C",
     0x6A83},
    {"read record previous from none = last", {"00A4080C047FFF6F42"}, "00B200032C", 0x9000},
    {"read record previous past the first",
     {"00A4080C047FFF6F42", "00B201042C"},
     "00B200032C",
     0x6A83},
    {"read record of a transparent EF", {"00A4080C047FFF6F07"}, "00B2010409", 0x6981},
    {"read record, bad mode", {"00A4080C047FFF6F42"}, "00B2010500", 0x6A86},
    {"read record by SFI 1E",
     {},
     "00B201F426",
     0x9000,
     "61184f10a0000000871002ffffffff890709000050045553494dffffffffffffffffffffffff"},
    // UPDATE RECORD
    {"update record 2",
     {"00A4080C047FFF6F42"},
     "00DC02042C"
     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     0x9000},
    {"update record, wrong length", {"00A4080C047FFF6F42"}, "00DC020403AABBCC", 0x6700},
    {"update record past the last",
     {"00A4080C047FFF6F42"},
     "00DC03042C"
     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     0x6A83},
    {"update EF.DIR without ADM",
     {"00A4000C022F00"},
     "00DC010426"
     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     0x6982},
    // GET RESPONSE
    {"get response, nothing pending", {}, "00C0000010", 0x6985},
    {"get response after select", {"00A40004023F00"}, "00C0000021", 0x9000},
    {"get response, Le too large", {"00A40004023F00"}, "00C0000030", 0x6C21},
    {"get response, part", {"00A40004023F00"}, "00C0000010", 0x6111},
    {"get response after another command",
     {"00A40004023F00", "00A4000C023F00"},
     "00C0000021",
     0x6985},
    {"GSM get response", {"A0A40000023F00"}, "A0C0000016", 0x9000},
    // STATUS
    {"status, FCP", {"00A4000C027FFF"}, "80F2000000", 0x9000},
    {"status, AID",
     {"00A4000C027FFF"},
     "80F2000100",
     0x9000,
     "8410a0000000871002ffffffff8907090000"},
    {"status, no data", {}, "80F2000C00", 0x9000, ""},
    {"status with CLA 00", {}, "00F2000000", 0x6E00},
    {"status, bad P1", {}, "80F2030000", 0x6B00},
    {"GSM status", {}, "A0F2000016", 0x9000},
    // VERIFY
    {"verify PIN1 query, PIN disabled", {}, "0020000100", 0x9000},
    {"verify ADM1 query", {}, "0020000A00", 0x63C3},
    {"verify ADM1 wrong", {}, "0020000A083132333435363738", 0x63C2},
    {"verify ADM1 right", {}, "0020000A083838383838383838", 0x9000},
    {"verify ADM1 blocked",
     {"0020000A083132333435363738", "0020000A083132333435363738", "0020000A083132333435363738"},
     "0020000A083838383838383838",
     0x6983},
    {"verify, unknown key reference", {}, "0020000208FFFFFFFFFFFFFFFF", 0x6A88},
    {"verify, wrong length", {}, "0020000A043838383838", 0x6700},
};

class apdu_table : public ::testing::TestWithParam<apdu_row> {};

TEST_P(apdu_table, answers_with_the_standard_status_word) {
  const apdu_row& r = GetParam();
  const card_profile profile = default_card_profile();
  uicc_data card(test::test_identity(), {});
  uicc_session s(card, profile, r.rights);
  for (const char* a : r.setup) {
    auto c = codec::decode_command_apdu(hex(a));
    ASSERT_TRUE(c.ok()) << a;
    (void)s.process(*c);
  }
  auto c = codec::decode_command_apdu(hex(r.apdu));
  ASSERT_TRUE(c.ok()) << r.apdu;
  const response_apdu out = s.process(*c);
  EXPECT_EQ(out.sw, r.sw) << std::hex << out.sw;
  if (r.data) {
    EXPECT_EQ(to_hex(out.data), r.data);
  }
}

INSTANTIATE_TEST_SUITE_P(uicc, apdu_table, ::testing::ValuesIn(rows),
                         [](const ::testing::TestParamInfo<apdu_row>& i) {
                           std::string n = i.param.name;
                           for (char& ch : n)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n + "_" + std::to_string(i.index);
                         });

response_apdu run(uicc_session& s, const char* apdu) {
  auto c = codec::decode_command_apdu(hex(apdu));
  EXPECT_TRUE(c.ok()) << apdu;
  return s.process(*c);
}

TEST(uicc_apdu, fcp_of_mf_adf_and_ef) {
  const card_profile profile = default_card_profile();
  uicc_data card(test::test_identity(), {});
  uicc_session s(card, profile, access_level::pin1);
  // MF: descriptor 78 21 (DF), FID, LCSI 05, security 8B, PIN template, total size.
  auto r = run(s, "00A40004023F0000");
  EXPECT_EQ(to_hex(r.data),
            "621f"
            "82027821"
            "83023f00"
            "8a0105"
            "8b032f0601"
            "c60990010083010183010a"
            "81020060");
  // ADF: the AID in 84.
  r = run(s, "00A4040410A0000000871002FFFFFFFF890709000000");
  EXPECT_NE(to_hex(r.data).find("8410a0000000871002ffffffff8907090000"), std::string::npos);
  // EF.IMSI: transparent 41 21, FID 6F07, ARR 6F06 record 3 (PIN/ADM), size 9, SFI 07.
  r = run(s, "00A40004026F0700");
  EXPECT_EQ(to_hex(r.data),
            "621782024121"
            "83026f07"
            "8a0105"
            "8b036f0603"
            "80020009"
            "880138");
  // EF.SMSP: linear fixed 42 21 00 2C 02.
  r = run(s, "00A40004026F4200");
  EXPECT_NE(to_hex(r.data).find("820542210"
                                "02c02"),
            std::string::npos);
}

TEST(uicc_apdu, updates_stay_in_the_overlay_and_defaults_cost_nothing) {
  const card_profile profile = default_card_profile();
  uicc_data card(test::test_identity(), {});
  uicc_session s(card, profile, access_level::adm);
  EXPECT_TRUE(card.state().files().empty());
  EXPECT_EQ(run(s, "00A4080C047FFF6F7B").sw, 0x9000);
  EXPECT_EQ(run(s, "00D600000342F618").sw, 0x9000);
  ASSERT_EQ(card.state().files().size(), 1u);
  EXPECT_EQ(card.state().files()[0].first, file_key(0x7FFF, 0x6F7B));
  EXPECT_EQ(to_hex(card.state().files()[0].second), "42f618ffffffffffffffffff");
  auto r = run(s, "00B000000C");
  EXPECT_EQ(to_hex(r.data), "42f618ffffffffffffffffff");
  // Writing the default back drops the entry.
  EXPECT_EQ(run(s, "00D6000003FFFFFF").sw, 0x9000);
  EXPECT_TRUE(card.state().files().empty());
}

TEST(uicc_apdu, record_pointer_follows_next_previous_and_absolute) {
  const card_profile profile = default_card_profile();
  uicc_data card(test::test_identity(), {});
  uicc_session s(card, profile, access_level::pin1);
  ASSERT_EQ(run(s, "00A4080C047FFF6F42").sw, 0x9000);
  bytes rec2(44, 0xAB);
  auto c = codec::command_apdu{0x00, 0xDC, 0x02, 0x04, rec2, {}};
  EXPECT_EQ(s.process(c).sw, 0x9000);
  // Current record is 2 now: READ RECORD 0 mode 04 reads it.
  auto r = run(s, "00B200042C");
  EXPECT_EQ(r.data, rec2);
  r = run(s, "00B200032C");  // previous: record 1, the default with the SMSC parameters
  EXPECT_EQ(r.sw, 0x9000);
  EXPECT_NE(r.data, rec2);
  r = run(s, "00B200022C");  // next: record 2 again
  EXPECT_EQ(r.data, rec2);
  // UPDATE RECORD previous writes record 1.
  bytes rec1(44, 0xCD);
  c = codec::command_apdu{0x00, 0xDC, 0x00, 0x03, rec1, {}};
  EXPECT_EQ(s.process(c).sw, 0x9000);
  EXPECT_EQ(run(s, "00B201042C").data, rec1);
}

TEST(uicc_apdu, gsm_response_of_an_ef) {
  const card_profile profile = default_card_profile();
  uicc_data card(test::test_identity(), {});
  uicc_session s(card, profile, access_level::pin1);
  EXPECT_EQ(run(s, "A0A40000027FFF").sw, 0x9F16);
  EXPECT_EQ(run(s, "A0A40000026F07").sw, 0x9F0F);
  // TS 51.011 §9.2.1: size 0009, FID 6F07, type 04, access read CHV1 / update ADM.
  auto r = run(s, "A0C000000F");
  EXPECT_EQ(to_hex(r.data),
            "000000096f0704001444440102"
            "0000");
  // GSM READ BINARY.
  r = run(s, "A0B0000009");
  EXPECT_EQ(to_hex(r.data), "080910100000000010");
}

TEST(uicc_apdu, defaults_derive_from_the_identity) {
  uicc_data card(test::test_identity(), {});
  namespace ts = codec::ts31102;
  auto imsi = ts::decode_imsi(card.content(ts::fid::adf_usim, *ts::find_ef(0x7FFF, 0x6F07)));
  ASSERT_TRUE(imsi.ok());
  EXPECT_EQ(*imsi, "001010000000001");
  auto iccid = ts::decode_iccid(card.content(ts::fid::mf, *ts::find_ef(0x3F00, 0x2FE2)));
  ASSERT_TRUE(iccid.ok());
  EXPECT_EQ(*iccid, card.identity().iccid);
  auto msisdn = ts::decode_dialling_number(
      byte_view(card.content(0x7FFF, *ts::find_ef(0x7FFF, 0x6F40))).first(28));
  ASSERT_TRUE(msisdn.ok());
  ASSERT_TRUE(msisdn->has_value());
  EXPECT_EQ((*msisdn)->digits, "467000000001");
  auto hplmn = ts::decode_plmn_act_list(card.content(0x7FFF, *ts::find_ef(0x7FFF, 0x6F62)));
  ASSERT_TRUE(hplmn.ok());
  ASSERT_TRUE((*hplmn)[0].id.has_value());
  EXPECT_EQ((*hplmn)[0].id->mcc, "001");
  EXPECT_EQ((*hplmn)[0].id->mnc, "01");
}

}  // namespace
}  // namespace otaflow::sim
