// ETSI TS 102 225 / TS 31.115 packet framing. Vectors: pySim test_ota.py (osmocom/pysim);
// the PoRs come from real sysmoISIM-SJA5 cards.

#include "codec/ts102225_packet.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

namespace otaflow::codec {
namespace {

TEST(Ts102225Command, ParseCipheredHeader) {
  // Ground truth (docs/standards/ts102225-secured-packets.md §7): 3DES, SPI 0619, KIc = KID = 35,
  // TAR B00011.
  const bytes p = hex("00201506193535b00011ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f");
  auto v = parse_command_packet(p);
  ASSERT_TRUE(v.ok()) << v.error().describe();
  EXPECT_EQ(v->cpl, 0x20);
  EXPECT_EQ(v->chl, 0x15);
  EXPECT_EQ(v->spi, 0x0619);
  EXPECT_EQ(v->kic, 0x35);
  EXPECT_EQ(v->kid, 0x35);
  EXPECT_EQ(v->tar, 0xB00011u);
  EXPECT_EQ(v->integrity_length(), 8u);
  EXPECT_EQ(to_hex(v->clear), "00201506193535b00011");
  EXPECT_EQ(v->secured.size(), 24u);
}

struct command_row {
  const char* name;
  const char* hex;
  command_fields fields;
};

// Unciphered packets (pySim test_cmd_3des_signed / _none with CPL restored,
// docs/standards/ts102225-secured-packets.md §2).
const command_row command_rows[] = {
    {"3des-signed",
     "001d1502193535b00000000000000000072ea17bdb72060e00a40000023f00",
     {0x0219, 0x35, 0x35, 0xB00000, 0, 0, hex("072ea17bdb72060e"), hex("00a40000023f00")}},
    {"3des-none",
     "00150d00193535b0000000000000000000a40000023f00",
     {0x0019, 0x35, 0x35, 0xB00000, 0, 0, {}, hex("00a40000023f00")}},
    {"padded-counter",
     "00140d16211515b000100000000001020000aabb0000",
     {0x1621, 0x15, 0x15, 0xB00010, 1, 2, {}, hex("0000aabb0000")}},
};

TEST(Ts102225Command, Table) {
  for (const auto& row : command_rows) {
    SCOPED_TRACE(row.name);
    auto d = decode_command_packet(hex(row.hex));
    ASSERT_TRUE(d.ok()) << d.error().describe();
    EXPECT_EQ(*d, row.fields);
    auto e = encode_command_packet(row.fields);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(to_hex(*e), row.hex);
  }
}

TEST(Ts102225Command, InnerUnpadded) {
  const bytes plain = hex("0000000001020000aabb0000");
  auto in = parse_command_inner(plain, 0);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->counter, 1u);
  EXPECT_EQ(in->pcntr, 2);
  EXPECT_EQ(to_hex(in->unpadded()), "0000aabb");
}

TEST(Ts102225Command, EveryLengthFieldChecked) {
  const bytes good = hex(command_rows[0].hex);
  // Every truncation (CPL then disagrees, or the header is cut).
  for (std::size_t n = 0; n < good.size(); ++n) {
    auto v = parse_command_packet(byte_view(good).first(n));
    EXPECT_FALSE(v.ok()) << n;
    if (n < 10) {
      EXPECT_EQ(v.error().code, make_error_code(errc::truncated));
    }
  }
  bytes p = good;
  p[1] = 0x1e;  // CPL one too many
  EXPECT_EQ(parse_command_packet(p).error().code, make_error_code(errc::bad_length));
  p = good;
  p[2] = 12;  // CHL below 13
  EXPECT_EQ(parse_command_packet(p).error().code, make_error_code(errc::bad_length));
  p = good;
  p[2] = 0x1d;  // CHL beyond CPL
  EXPECT_EQ(parse_command_packet(p).error().code, make_error_code(errc::bad_length));
  p = good;
  p[2] = 0x1c;  // CHL = CPL - 1: all of the rest is checksum, no data
  auto v = parse_command_packet(p);
  ASSERT_TRUE(v.ok());
  auto in = parse_command_inner(v->secured, v->integrity_length());
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->integrity.size(), 15u);
  EXPECT_TRUE(in->data.empty());
  for (std::size_t n = 0; n < 14; ++n)  // CNTR, PCNTR and an 8-octet CC cut short
    EXPECT_EQ(parse_command_inner(bytes(n, 0), 8).error().code, make_error_code(errc::truncated));
  p = good;
  p[15] = 8;  // PCNTR beyond the 7 data octets
  EXPECT_EQ(decode_command_packet(p).error().code, make_error_code(errc::bad_length));
}

TEST(Ts102225Command, EncodeErrors) {
  command_fields f = command_rows[0].fields;
  f.counter = max_counter + 1;
  EXPECT_FALSE(encode_command_packet(f).ok());
  f = command_rows[0].fields;
  f.tar = 0x1000000;
  EXPECT_FALSE(encode_command_packet(f).ok());
  f = command_rows[0].fields;
  f.pcntr = 8;
  EXPECT_FALSE(encode_command_packet(f).ok());
  f = command_rows[0].fields;
  f.integrity.assign(243, 0);  // CHL 256
  EXPECT_EQ(encode_command_packet(f).error().code, make_error_code(errc::too_long));
  f = command_rows[0].fields;
  f.data.assign(65535, 0);
  EXPECT_EQ(encode_command_packet(f).error().code, make_error_code(errc::too_long));
}

struct response_row {
  const char* name;
  const char* hex;
  response_fields fields;
};

// Real SJA5 PoRs without ciphering (pySim test_ota.py), UDH 02 71 00 removed.
const response_row response_rows[] = {
    {"sja5-cc",
     "001612b0001100000000000000b5bcd6353a421fae016132",
     {0xB00011, 0, 0, 0, hex("b5bcd6353a421fae"), hex("016132")}},
    {"sja5-nocc",
     "000e0ab00011000000000000"
     "00016132",
     {0xB00011, 0, 0, 0, {}, hex("016132")}},
    {"card-nocc", "000e0ab000110000000000000001612f", {0xB00011, 0, 0, 0, {}, hex("01612f")}},
    {"status-06",
     "000b0ab00011000000000700"
     "06",
     {0xB00011, 7, 0, 6, {}, {}}},
};

TEST(Ts102225Response, Table) {
  for (const auto& row : response_rows) {
    SCOPED_TRACE(row.name);
    auto d = decode_response_packet(hex(row.hex));
    ASSERT_TRUE(d.ok()) << d.error().describe();
    EXPECT_EQ(*d, row.fields);
    auto e = encode_response_packet(row.fields);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(to_hex(*e), row.hex);
  }
}

TEST(Ts102225Response, CipheredHeader) {
  // Real SJA5 AES PoR: RPL 0x24 = 1 + 18 + 3 data + 14 padding.
  const bytes p =
      hex("002412b00011ebc6b497e2cad7aedf36ace0e3a29b38853f0fe9ccde81913be5702b73abce1f");
  auto v = parse_response_packet(p);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->rpl, 0x24);
  EXPECT_EQ(v->rhl, 0x12);
  EXPECT_EQ(v->tar, 0xB00011u);
  EXPECT_EQ(v->integrity_length(), 8u);
  EXPECT_EQ(v->secured.size(), 32u);
}

TEST(Ts102225Response, EveryLengthFieldChecked) {
  const bytes good = hex(response_rows[0].hex);
  for (std::size_t n = 0; n < good.size(); ++n)
    EXPECT_FALSE(parse_response_packet(byte_view(good).first(n)).ok()) << n;
  bytes p = good;
  p[1] = 0x17;
  EXPECT_EQ(parse_response_packet(p).error().code, make_error_code(errc::bad_length));
  p = good;
  p[2] = 9;
  EXPECT_EQ(parse_response_packet(p).error().code, make_error_code(errc::bad_length));
  p = good;
  p[2] = 0x16;
  EXPECT_EQ(parse_response_packet(p).error().code, make_error_code(errc::bad_length));
  p = good;
  p[2] = 0x15;  // RHL = RPL - 1: all of the rest is checksum, no data
  auto v = parse_response_packet(p);
  ASSERT_TRUE(v.ok());
  auto in = parse_response_inner(v->secured, v->integrity_length());
  ASSERT_TRUE(in.ok());
  EXPECT_TRUE(in->data.empty());
  for (std::size_t n = 0; n < 15; ++n)
    EXPECT_EQ(parse_response_inner(bytes(n, 0), 8).error().code, make_error_code(errc::truncated));
  p = good;
  p[11] = 4;  // PCNTR beyond the 3 data octets
  EXPECT_EQ(decode_response_packet(p).error().code, make_error_code(errc::bad_length));
}

TEST(Ts102225Status, Names) {
  const std::pair<int, const char*> rows[] = {
      {0x00, "por_ok"},
      {0x01, "rc_cc_ds_failed"},
      {0x02, "cntr_low"},
      {0x03, "cntr_high"},
      {0x04, "cntr_blocked"},
      {0x05, "ciphering_error"},
      {0x06, "unidentified_security_error"},
      {0x07, "insufficient_memory"},
      {0x08, "more_time"},
      {0x09, "tar_unknown"},
      {0x0A, "insufficient_security_level"},
      {0x0B, "response_by_sms_submit"},
      {0x0C, "response_by_ussd"},
      {0x0D, "reserved"},
      {0xBF, "reserved"},
      {0xC0, "proprietary"},
      {0xFE, "proprietary"},
      {0xFF, "reserved"},
  };
  for (const auto& [v, n] : rows) EXPECT_STREQ(name(static_cast<por_status>(v)), n) << v;
}

TEST(Ts102225Status, Descriptions) {
  const std::pair<int, const char*> rows[] = {
      {0x00, "PoR OK"},
      {0x01, "RC/CC/DS failed"},
      {0x02, "CNTR low"},
      {0x03, "CNTR high"},
      {0x04, "CNTR blocked"},
      {0x05, "ciphering error"},
      {0x06, "unidentified security error"},
      {0x07, "insufficient memory"},
      {0x08, "more time"},
      {0x09, "TAR unknown"},
      {0x0A, "insufficient security level"},
      {0x0B, "response by SMS-SUBMIT"},
      {0x0C, "response by USSD"},
      {0x0D, "reserved"},
      {0xBF, "reserved"},
      {0xC0, "proprietary"},
      {0xFE, "proprietary"},
      {0xFF, "reserved"},
  };
  for (const auto& [v, n] : rows) EXPECT_STREQ(describe(static_cast<por_status>(v)), n) << v;
}

TEST(Ts102225Status, ResponseFollows) {
  for (int v = 0; v < 256; ++v) {
    EXPECT_EQ(response_follows(static_cast<por_status>(v)), v == 0x08 || v == 0x0B || v == 0x0C)
        << v;
  }
}

TEST(Ts102225Tar, Describe) {
  EXPECT_STREQ(describe_tar(tar::ram_isd), "RAM ISD");
  EXPECT_STREQ(describe_tar(tar::rfm_uicc), "RFM UICC");
  EXPECT_STREQ(describe_tar(tar::rfm_gsm), "RFM SIM (GSM)");
  EXPECT_STREQ(describe_tar(tar::rfm_usim_sja5), "RFM SIM (GSM)");
  EXPECT_STREQ(describe_tar(0xB00020), "RFM ADF");
  EXPECT_STREQ(describe_tar(0xB20005), "USAT interpreter");
  EXPECT_STREQ(describe_tar(tar::isd), "RAM ISD");
  EXPECT_STREQ(describe_tar(0xBFFF01), "proprietary");
  EXPECT_STREQ(describe_tar(0x123456), "unknown");
}

RC_GTEST_PROP(Ts102225Prop, CommandRoundTrip, ()) {
  command_fields f;
  f.spi = *rc::gen::arbitrary<std::uint16_t>();
  f.kic = *rc::gen::arbitrary<std::uint8_t>();
  f.kid = *rc::gen::arbitrary<std::uint8_t>();
  f.tar = *rc::gen::inRange<std::uint32_t>(0, 0x1000000);
  f.counter = *rc::gen::inRange<std::uint64_t>(0, max_counter + 1);
  f.integrity =
      *rc::gen::container<bytes>(*rc::gen::inRange(0, 20), rc::gen::arbitrary<std::uint8_t>());
  f.data = *rc::gen::arbitrary<bytes>();
  f.pcntr = static_cast<std::uint8_t>(*rc::gen::inRange<std::size_t>(0, f.data.size() + 1) & 0xFF);
  RC_PRE(f.pcntr <= f.data.size());
  auto e = encode_command_packet(f);
  RC_ASSERT(e.ok());
  auto d = decode_command_packet(*e);
  RC_ASSERT(d.ok());
  RC_ASSERT(*d == f);
}

RC_GTEST_PROP(Ts102225Prop, ResponseRoundTrip, ()) {
  response_fields f;
  f.tar = *rc::gen::inRange<std::uint32_t>(0, 0x1000000);
  f.counter = *rc::gen::inRange<std::uint64_t>(0, max_counter + 1);
  f.status = *rc::gen::arbitrary<std::uint8_t>();
  f.integrity =
      *rc::gen::container<bytes>(*rc::gen::inRange(0, 20), rc::gen::arbitrary<std::uint8_t>());
  f.data = *rc::gen::arbitrary<bytes>();
  f.pcntr = static_cast<std::uint8_t>(*rc::gen::inRange<std::size_t>(0, f.data.size() + 1) & 0xFF);
  RC_PRE(f.pcntr <= f.data.size());
  auto e = encode_response_packet(f);
  RC_ASSERT(e.ok());
  auto d = decode_response_packet(*e);
  RC_ASSERT(d.ok());
  RC_ASSERT(*d == f);
}

RC_GTEST_PROP(Ts102225Prop, ParseNeverReadsPastEnd, (const bytes& junk)) {
  // Whatever the input, parsing either fails or yields views inside it.
  if (auto v = parse_command_packet(junk); v.ok()) {
    RC_ASSERT(v->clear.size() + v->secured.size() == junk.size());
    (void)parse_command_inner(v->secured, v->integrity_length());
  }
  if (auto v = parse_response_packet(junk); v.ok())
    RC_ASSERT(v->clear.size() + v->secured.size() == junk.size());
}

}  // namespace
}  // namespace otaflow::codec
