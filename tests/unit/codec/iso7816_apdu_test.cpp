#include "codec/iso7816_apdu.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

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

struct apdu_row {
  const char* name;
  bytes encoded;
  command_apdu apdu;
  int iso_case;
  apdu_length_form form = apdu_length_form::automatic;
};

std::vector<apdu_row> apdu_rows() {
  return {
      {"case 1: MANAGE CHANNEL close", hex("00708001"), {0x00, 0x70, 0x80, 0x01, {}, {}}, 1},
      {"case 2S: READ BINARY 16", hex("00b0000010"), {0x00, 0xB0, 0x00, 0x00, {}, 16}, 2},
      {"case 2S: Le 00 = 256", hex("00c0000000"), {0x00, 0xC0, 0x00, 0x00, {}, 256}, 2},
      // SELECT MF by FID [pySim-tests, test_ota.py]
      {"case 3S: SELECT 3F00", hex("00a40004023f00"), {0x00, 0xA4, 0x00, 0x04, hex("3f00"), {}}, 3},
      // GP GET STATUS with Le 00 [pySim-tests, expanded format golden vector]
      {"case 4S: GET STATUS",
       hex("80f24002024f0000"),
       {0x80, 0xF2, 0x40, 0x02, hex("4f00"), 256},
       4},
      {"case 2E: Le 0000 = 65536", hex("00b00000000000"), {0x00, 0xB0, 0x00, 0x00, {}, 65536}, 2},
      {"case 2E forced: Le 16",
       hex("00b00000000010"),
       {0x00, 0xB0, 0x00, 0x00, {}, 16},
       2,
       apdu_length_form::extended},
      {"case 3E: 256 data octets",
       cat({hex("00d6000000"
                "0100"),
            counting(256)}),
       {0x00, 0xD6, 0x00, 0x00, counting(256), {}},
       3},
      {"case 4E: Le 65536",
       hex("80e2000000"
           "0001"
           "aa"
           "0000"),
       {0x80, 0xE2, 0x00, 0x00, hex("aa"), 65536},
       4},
      {"case 4E forced: Le 2",
       hex("80e2000000"
           "0001"
           "aa"
           "0002"),
       {0x80, 0xE2, 0x00, 0x00, hex("aa"), 2},
       4,
       apdu_length_form::extended},
      {"case 3S: 255 data octets",
       cat({hex("00d60000ff"), counting(255)}),
       {0x00, 0xD6, 0x00, 0x00, counting(255), {}},
       3},
  };
}

TEST(CommandApdu, TableDecodeEncode) {
  for (const auto& row : apdu_rows()) {
    SCOPED_TRACE(row.name);
    auto dec = decode_command_apdu(row.encoded);
    ASSERT_TRUE(dec.ok()) << dec.error().describe();
    EXPECT_EQ(dec->cla, row.apdu.cla);
    EXPECT_EQ(dec->ins, row.apdu.ins);
    EXPECT_EQ(dec->p1, row.apdu.p1);
    EXPECT_EQ(dec->p2, row.apdu.p2);
    EXPECT_EQ(to_hex(dec->data), to_hex(row.apdu.data));
    EXPECT_EQ(dec->le, row.apdu.le);
    EXPECT_EQ(dec->iso_case(), row.iso_case);
    auto enc = encode_command_apdu(row.apdu, row.form);
    ASSERT_TRUE(enc.ok()) << enc.error().describe();
    EXPECT_EQ(to_hex(*enc), to_hex(row.encoded));
  }
}

TEST(CommandApdu, TruncatedLengthFields) {
  struct row {
    const char* hex;
    errc code;
  };
  for (const row& r : std::vector<row>{
           {"", errc::truncated},
           {"00a400", errc::truncated},               // header
           {"00a40004023f", errc::truncated},         // short Lc 2, 1 data octet
           {"00d6000000000301", errc::truncated},     // extended Lc 3, 1 data octet
           {"00a40004023f000000", errc::bad_length},  // 2 octets after the data
           {"00d60000000001aa00", errc::bad_length},  // 1 octet after extended data
           {"00b0000000ff", errc::bad_length},        // 00 xx: neither form
           {"00b000000000000a", errc::bad_value},     // extended Lc 0000 with a body
       }) {
    auto d = decode_command_apdu(hex(r.hex));
    ASSERT_FALSE(d.ok()) << r.hex;
    EXPECT_EQ(d.error().code, r.code) << r.hex << ": " << d.error().message;
  }
  // The message names the header and the numbers.
  auto d = decode_command_apdu(hex("00a40004053f00"));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("00A40004"), std::string::npos) << d.error().message;
  EXPECT_NE(d.error().message.find("Lc 5"), std::string::npos) << d.error().message;
}

TEST(CommandApdu, EncodeLimits) {
  command_apdu a{0x00, 0xD6, 0, 0, bytes(65536, 0), {}};
  auto big = encode_command_apdu(a);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, errc::too_long);
  for (std::uint32_t le : {0u, 65537u}) {
    command_apdu b{0x00, 0xB0, 0, 0, {}, le};
    auto e = encode_command_apdu(b);
    ASSERT_FALSE(e.ok()) << le;
    EXPECT_EQ(e.error().code, errc::bad_argument);
  }
  // Case 1 ignores the extended form request.
  auto c1 =
      encode_command_apdu(command_apdu{0x00, 0x70, 0x80, 0x01, {}, {}}, apdu_length_form::extended);
  ASSERT_TRUE(c1.ok());
  EXPECT_EQ(to_hex(*c1), "00708001");
}

TEST(ResponseApdu, DecodeEncode) {
  // Real R-APDU inside an indefinite Response Scripting template: EF.ICCID + 9000
  // [pySim-tests, live eUICC].
  auto r = decode_response_apdu(hex("988812010000408608149000"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(to_hex(r->data), "98881201000040860814");
  EXPECT_EQ(r->sw, sw::ok);
  EXPECT_EQ(r->sw1(), 0x90);
  EXPECT_EQ(r->sw2(), 0x00);
  EXPECT_EQ(to_hex(encode_response_apdu(*r)), "988812010000408608149000");

  auto only_sw = decode_response_apdu(hex("6a82"));
  ASSERT_TRUE(only_sw.ok());
  EXPECT_TRUE(only_sw->data.empty());
  EXPECT_EQ(only_sw->sw, sw::file_not_found);

  for (const char* h : {"", "61"}) {
    auto t = decode_response_apdu(hex(h));
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().code, errc::truncated);
  }
}

TEST(StatusWords, ClassificationAndText) {
  EXPECT_EQ(classify_sw(0x9000), sw_class::success);
  EXPECT_EQ(classify_sw(0x612F), sw_class::success);  // real SJA5 PoR [pySim-tests]
  EXPECT_EQ(classify_sw(0x9112), sw_class::success);
  EXPECT_EQ(classify_sw(0x9F22), sw_class::success);
  EXPECT_EQ(classify_sw(0x9001), sw_class::error);
  EXPECT_EQ(classify_sw(0x9203), sw_class::success);  // after 3 internal retries
  EXPECT_EQ(classify_sw(0x9240), sw_class::error);    // memory problem: not written
  EXPECT_EQ(classify_sw(0x6282), sw_class::warning);
  EXPECT_EQ(classify_sw(0x62F1), sw_class::warning);
  EXPECT_EQ(classify_sw(0x63C2), sw_class::warning);
  EXPECT_EQ(classify_sw(0x6A82), sw_class::error);
  EXPECT_EQ(classify_sw(0x6C10), sw_class::error);
  EXPECT_EQ(classify_sw(0x9300), sw_class::error);
  EXPECT_EQ(classify_sw(0x9862), sw_class::error);
  EXPECT_TRUE(sw_success(sw::ok));
  EXPECT_TRUE(sw_warning(sw::more_data));
  EXPECT_TRUE(sw_error(sw::security_not_satisfied));

  EXPECT_EQ(sw_description(sw::ok), "normal ending of the command");
  EXPECT_EQ(sw_description(sw::file_not_found), "file not found");
  EXPECT_EQ(sw_description(sw::wrong_length), "wrong length");
  EXPECT_EQ(sw_description(0x1234), "unknown status word");
  EXPECT_NE(sw_description(0x6132).find("GET RESPONSE"), std::string_view::npos);
  EXPECT_NE(sw_description(0x6C10).find("Le"), std::string_view::npos);
  EXPECT_NE(sw_description(0x63C2).find("retries"), std::string_view::npos);
  EXPECT_NE(sw_description(0x9108).find("proactive"), std::string_view::npos);
  // Every named constant of docs/standards/ts31102-files.md §5 has its own text.
  for (std::uint16_t s : {sw::ok,
                          sw::toolkit_busy,
                          sw::warning_no_info,
                          sw::data_corrupted,
                          sw::end_of_file,
                          sw::file_invalidated,
                          sw::more_data,
                          sw::more_data_proactive,
                          sw::response_data_available,
                          sw::exec_no_info,
                          sw::memory_unchanged,
                          sw::memory_problem,
                          sw::wrong_length,
                          sw::wrong_p1p2,
                          sw::ins_not_supported,
                          sw::cla_not_supported,
                          sw::technical_problem,
                          sw::incompatible_file_structure,
                          sw::security_not_satisfied,
                          sw::pin_blocked,
                          sw::conditions_not_satisfied,
                          sw::no_ef_selected,
                          sw::wrong_data,
                          sw::function_not_supported,
                          sw::file_not_found,
                          sw::record_not_found,
                          sw::not_enough_memory,
                          sw::wrong_p1p2_param,
                          sw::data_not_found,
                          sw::authentication_error}) {
    EXPECT_NE(sw_description(s), "unknown status word") << std::hex << s;
  }
}

TEST(StatusWords, Sw1Groups) {
  EXPECT_TRUE(sw1_is(0x910A, sw::proactive_pending));
  EXPECT_TRUE(sw1_is(0x6100, sw::response_available));
  EXPECT_TRUE(sw1_is(0x9FFF, sw::sim_response_available));
  EXPECT_TRUE(sw1_is(0x63C2, sw::warning_changed));  // the XX of the constant does not count
  EXPECT_FALSE(sw1_is(0x9000, sw::proactive_pending));
  EXPECT_FALSE(sw1_is(0x6200, sw::warning_changed));
}

TEST(Instructions, Constants) {
  EXPECT_EQ(ins::select, 0xA4);
  EXPECT_EQ(ins::read_binary, 0xB0);
  EXPECT_EQ(ins::update_binary, 0xD6);
  EXPECT_EQ(ins::read_record, 0xB2);
  EXPECT_EQ(ins::update_record, 0xDC);
  EXPECT_EQ(ins::status, 0xF2);
  EXPECT_EQ(ins::get_response, 0xC0);
  EXPECT_EQ(ins::verify, 0x20);
  EXPECT_EQ(ins::authenticate, 0x88);
  EXPECT_EQ(ins::search_record, 0xA2);
  EXPECT_EQ(ins::increase, 0x32);
  EXPECT_EQ(ins::install, 0xE6);
  EXPECT_EQ(ins::delete_, 0xE4);
  EXPECT_EQ(ins::load, 0xE8);
  EXPECT_EQ(ins::put_key, 0xD8);
  EXPECT_EQ(ins::get_status, 0xF2);
  EXPECT_EQ(ins::set_status, 0xF0);
  EXPECT_EQ(cla::gp, 0x80);
}

rc::Gen<command_apdu> gen_apdu() {
  return rc::gen::exec([] {
    command_apdu a;
    a.cla = *rc::gen::arbitrary<std::uint8_t>();
    a.ins = *rc::gen::arbitrary<std::uint8_t>();
    a.p1 = *rc::gen::arbitrary<std::uint8_t>();
    a.p2 = *rc::gen::arbitrary<std::uint8_t>();
    const int size_class = *rc::gen::inRange(0, 4);
    const int max = size_class == 0 ? 0 : size_class == 3 ? 700 : 260;
    a.data = *rc::gen::resize(max, rc::gen::container<bytes>(rc::gen::arbitrary<std::uint8_t>()));
    if (*rc::gen::arbitrary<bool>()) {
      a.le = *rc::gen::oneOf(rc::gen::inRange<std::uint32_t>(1, 257),
                             rc::gen::inRange<std::uint32_t>(1, 65537),
                             rc::gen::element(1u, 255u, 256u, 257u, 65535u, 65536u));
    }
    return a;
  });
}

RC_GTEST_PROP(CommandApduProp, EncodeDecodeIdentity, ()) {
  const command_apdu a = *gen_apdu();
  const auto form = *rc::gen::element(apdu_length_form::automatic, apdu_length_form::extended);
  auto enc = encode_command_apdu(a, form);
  RC_ASSERT(enc.ok());
  auto dec = decode_command_apdu(*enc);
  RC_ASSERT(dec.ok());
  RC_ASSERT(*dec == a);
}

RC_GTEST_PROP(ResponseApduProp, EncodeDecodeIdentity,
              (const bytes& data, std::uint16_t status_word)) {
  const response_apdu r{data, status_word};
  auto dec = decode_response_apdu(encode_response_apdu(r));
  RC_ASSERT(dec.ok());
  RC_ASSERT(*dec == r);
}

}  // namespace
}  // namespace otaflow::codec
