// Tests for codec/smpp34_pdu: SMPP v3.4 header, bodies, TLVs, framing and error statuses.
//
// Vector sources (facts only; no code was taken from them):
//  [cloudhopper] twitter-archive/cloudhopper-smpp src/test/.../PduDecoderTest.java (Apache-2.0):
//                PDUs captured from real SMSCs and clients, with the decoded fields.
//  [oracle]      docs/standards/smpp34.md §1: the header 0000004a 00000004 00000000 00000001
//                of an OTA submit_sm, checked with pySim; [hand] its body, built from the
//                §4.4.1 table around the 34-octet command packet of
//                docs/standards/ts102225-secured-packets.md §7 (pySim test_ota.py) behind
//                UDH 02 70 00, with source "12" as in pySim's smpp2sim log.

#include "codec/smpp34_pdu.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cctype>
#include <string>

namespace otaflow::codec::smpp {
namespace {

using cs = command_status;

pdu decode_ok(const char* h) {
  auto p = decode(hex(h));
  EXPECT_TRUE(p.ok()) << h << ": " << (p.ok() ? "" : p.error().message);
  return p.ok() ? *p : pdu{};
}

std::string encode_hex(const pdu& p) {
  auto b = encode(p);
  EXPECT_TRUE(b.ok()) << (b.ok() ? "" : b.error().message);
  return b.ok() ? to_hex(*b) : std::string();
}

cs status_of(const error& e) {
  return to_command_status(e);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// ---- Vectors -------------------------------------------------------------------------------

const char* const ota_submit =
    "0000004a0000000400000000000000010001013132000101393900407f000000010002002502700000201506"
    "193535b00011ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f";

TEST(Smpp34Pdu, OtaSubmitSm) {
  const pdu p = decode_ok(ota_submit);
  EXPECT_EQ(p.id(), command_id::submit_sm);
  EXPECT_EQ(p.status, cs::esme_rok);
  EXPECT_EQ(p.sequence_number, 1u);
  const auto& s = std::get<submit_sm>(p.body);
  EXPECT_EQ(s.service_type, "");
  EXPECT_EQ(s.source_addr_ton, ton::international);
  EXPECT_EQ(s.source_addr_npi, npi::isdn);
  EXPECT_EQ(s.source_addr, "12");
  EXPECT_EQ(s.destination_addr, "99");
  EXPECT_EQ(s.esm_class, esm_class::udhi);
  EXPECT_EQ(s.protocol_id, 0x7F);
  EXPECT_EQ(s.registered_delivery, registered_delivery::receipt_final);
  EXPECT_EQ(s.data_coding, data_coding::octet_unspecified);
  EXPECT_EQ(s.short_message.size(), 37u);
  EXPECT_EQ(to_hex(byte_view(s.short_message).first(5)), "0270000020");
  EXPECT_TRUE(s.tlvs.empty());
  EXPECT_EQ(encode_hex(p), ota_submit);
  auto h = decode_header(hex(ota_submit));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(*h, (pdu_header{74, command_id::submit_sm, cs::esme_rok, 1}));
}

struct row {
  const char* name;
  const char* hex;
  pdu value;
  bool canonical;  // false: decodes to `value`, but encode(value) writes other (valid) bytes
};

std::vector<row> cloudhopper_rows() {
  std::vector<row> rows;
  rows.push_back({"enquire_link", "0000001000000015000000000a342ee7",
                  pdu{cs::esme_rok, 171192039, enquire_link{}}, true});
  rows.push_back({"enquire_link_resp", "0000001080000015000000000a342eed",
                  pdu{cs::esme_rok, 171192045, enquire_link_resp{}}, true});
  rows.push_back({"enquire_link max seq", "0000001000000015000000007fffffff",
                  pdu{cs::esme_rok, 0x7fffffff, enquire_link{}}, true});
  rows.push_back({"submit_sm_resp", "0000001c80000004000000000a342ee1393432353834333135393400",
                  pdu{cs::esme_rok, 171192033, submit_sm_resp{"94258431594", {}}}, true});
  rows.push_back({"submit_sm_resp without body", "0000001080000004000000000a342ee1",
                  pdu{cs::esme_rok, 171192033, submit_sm_resp{}}, false});
  rows.push_back({"submit_sm_resp empty id", "0000001180000004000000000a342ee100",
                  pdu{cs::esme_rok, 171192033, submit_sm_resp{}}, true});
  rows.push_back({"deliver_sm_resp", "0000001c800000050000000000116ac7393432353834333135393400",
                  pdu{cs::esme_rok, 1141447, deliver_sm_resp{"94258431594", {}}}, true});
  rows.push_back({"deliver_sm_resp empty id", "00000011800000050000000000116ac700",
                  pdu{cs::esme_rok, 1141447, deliver_sm_resp{}}, true});
  rows.push_back({"data_sm_resp", "0000001c800001030000000000116ac7393432353834333135393400",
                  pdu{cs::esme_rok, 1141447, data_sm_resp{"94258431594", {}}}, true});
  rows.push_back({"data_sm_resp without body", "00000010800001030000000000116ac7",
                  pdu{cs::esme_rok, 1141447, data_sm_resp{}}, false});
  rows.push_back({"bind_transceiver_resp",
                  "0000001f800000090000000000039951536d73632053696d756c61746f7200",
                  pdu{cs::esme_rok, 235857, bind_transceiver_resp{"Smsc Simulator", {}}}, true});
  rows.push_back({"bind_transceiver_resp failed, with system_id",
                  "00000015800000090000000e00004db3534d534300",
                  pdu{cs::esme_rinvpaswd, 19891, bind_transceiver_resp{"SMSC", {}}}, true});
  rows.push_back({"bind_transceiver_resp with sc_interface_version",
                  "0000001d800000090000000000039943536d7363204757000210000134",
                  pdu{cs::esme_rok, 235843,
                      bind_transceiver_resp{"Smsc GW", {make_sc_interface_version(0x34)}}},
                  true});
  rows.push_back({"bind_transmitter_resp with sc_interface_version",
                  "0000001d80000002000000000003995f54574954544552000210000134",
                  pdu{cs::esme_rok, 235871,
                      bind_transmitter_resp{"TWITTER", {make_sc_interface_version(0x34)}}},
                  true});
  rows.push_back(
      {"bind_receiver_resp with sc_interface_version",
       "0000001d80000001000000000003996274776974746572000210000134",
       pdu{cs::esme_rok, 235874, bind_receiver_resp{"twitter", {make_sc_interface_version(0x34)}}},
       true});
  rows.push_back(
      {"bind_transceiver", "00000023000000090000000000039951414c4c5f545700414c4c5f5457000034010200",
       pdu{cs::esme_rok, 235857, bind_transceiver{"ALL_TW", "ALL_TW", "", 0x34, 1, 2, ""}}, true});
  rows.push_back(
      {"bind_transmitter",
       "0000002500000002000000000003995f747769747465720074776974746572000034000000",
       pdu{cs::esme_rok, 235871, bind_transmitter{"twitter", "twitter", "", 0x34, 0, 0, ""}},
       true});
  rows.push_back(
      {"bind_receiver",
       "00000025000000010000000000039961747769747465720074776974746572000034000000",
       pdu{cs::esme_rok, 235873, bind_receiver{"twitter", "twitter", "", 0x34, 0, 0, ""}}, true});
  rows.push_back(
      {"unbind", "00000010000000060000000000000001", pdu{cs::esme_rok, 1, unbind{}}, true});
  rows.push_back({"unbind_resp", "00000010800000060000000000000001",
                  pdu{cs::esme_rok, 1, unbind_resp{}}, true});
  rows.push_back({"generic_nack", "00000010800000000000000100082a77",
                  pdu{cs::esme_rinvmsglen, 535159, generic_nack{}}, true});
  {
    submit_sm s;
    s.source_addr_ton = 1;
    s.source_addr_npi = 1;
    s.source_addr = "40404";
    s.dest_addr_ton = 1;
    s.dest_addr_npi = 1;
    s.destination_addr = "44951361920";
    s.registered_delivery = 1;
    s.short_message = hex("4024232125262f3a");
    rows.push_back({"submit_sm",
                    "00000039000000040000000000004fe8000101343034303400010134343935313336313932"
                    "3000000000000001000000084024232125262f3a",
                    pdu{cs::esme_rok, 20456, s}, true});
  }
  {
    deliver_sm d;
    d.source_addr_ton = 2;
    d.source_addr_npi = 1;
    d.source_addr = "87654321";
    d.dest_addr_ton = 4;
    d.dest_addr_npi = 9;
    d.destination_addr = "40404";
    d.short_message = hex("4024232125262f3a");
    d.tlvs = {make_tlv_u8(tag::source_network_type, 1), make_tlv_u8(tag::dest_network_type, 1)};
    rows.push_back({"deliver_sm with TLVs",
                    "000000400000000500000000000000030002013837363534333231000409343034303400"
                    "000000000000000000084024232125262f3a000e0001010006000101",
                    pdu{cs::esme_rok, 3, d}, true});
  }
  {
    deliver_sm d;
    d.source_addr_ton = 2;
    d.source_addr_npi = 1;
    d.source_addr = "4495136192";
    d.dest_addr_ton = 4;
    d.dest_addr_npi = 9;
    d.destination_addr = "40404";
    d.tlvs = {make_tlv_u8(tag::source_network_type, 1), make_tlv_u8(tag::dest_network_type, 1),
              make_message_payload(hex("4f6b"))};
    rows.push_back({"deliver_sm with 2-octet message_payload",
                    "00000040000000050000000000657e4e0002013434393531333631393200040934303430"
                    "340000000000000000000000000e0001010006000101042400024f6b",
                    pdu{cs::esme_rok, 6651470, d}, true});
  }
  return rows;
}

TEST(Smpp34Pdu, CloudhopperTable) {
  for (const auto& r : cloudhopper_rows()) {
    SCOPED_TRACE(r.name);
    auto p = decode(hex(r.hex));
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(*p, r.value);
    EXPECT_EQ(p->id(), r.value.id());
    auto again = decode(encode(r.value).value());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, r.value);
    if (r.canonical) {
      EXPECT_EQ(encode_hex(r.value), lower(r.hex));
    }
  }
}

// [cloudhopper] a delivery receipt from a real SMSC: text in short_message, id in the
// receipted_message_id TLV in hex (38601fa = 59113978 decimal in the text), message_state 2.
const char* const receipt_deliver_sm =
    "000000ba00000005000000000000000200010134343935313336313932300001013430343034000400000000"
    "000000006e69643a30303539313133393738207375623a30303120646c7672643a303031207375626d697420"
    "646174653a3130303231303137333020646f6e6520646174653a3130303231303137333120737461743a4445"
    "4c49565244206572723a30303020746578743a4024232125262f3a000e0001010006000101001e0008333836"
    "30316661000427000102";

TEST(Smpp34Pdu, DeliveryReceiptDeliverSm) {
  const pdu p = decode_ok(receipt_deliver_sm);
  const auto& d = std::get<deliver_sm>(p.body);
  EXPECT_EQ(p.sequence_number, 2u);
  EXPECT_EQ(d.source_addr, "44951361920");
  EXPECT_EQ(d.destination_addr, "40404");
  EXPECT_EQ(d.esm_class, esm_class::type_delivery_receipt);
  EXPECT_EQ(d.short_message.size(), 110u);
  EXPECT_EQ(std::string(d.short_message.begin(), d.short_message.begin() + 14), "id:0059113978 ");
  ASSERT_EQ(d.tlvs.size(), 4u);
  EXPECT_EQ(get_receipted_message_id(d.tlvs).value(), "38601fa");
  EXPECT_EQ(get_message_state(d.tlvs).value(), message_state::delivered);
  EXPECT_EQ(get_tlv_u8(d.tlvs, tag::source_network_type).value(), 1);
  EXPECT_EQ(encode_hex(p), receipt_deliver_sm);
}

// ---- Errors: the status a server answers ---------------------------------------------------

void expect_status(const char* h, cs want, const char* why) {
  auto p = decode(hex(h));
  ASSERT_FALSE(p.ok()) << why;
  EXPECT_EQ(p.error().code, make_error_code(want)) << why << ": " << p.error().message;
  EXPECT_EQ(status_of(p.error()), want) << why;
  EXPECT_EQ(p.error().code.category().name(), std::string("smpp34"));
}

// A PDU with a correct command_length around a hand-written body.
std::string framed(std::uint32_t id, const std::string& body_hex) {
  return to_hex(16 + body_hex.size() / 2, 8) + to_hex(id, 8) + to_hex(0, 8) + to_hex(1, 8) +
         body_hex;
}

TEST(Smpp34Pdu, ErrorStatuses) {
  expect_status("0000001000000110000000000a342ee7", cs::esme_rinvcmdid,
                "[cloudhopper] unknown request id 0x110");
  expect_status("0000001080000110000000000a342ee7", cs::esme_rinvcmdid, "unknown response id");
  expect_status("0000001000000007000000000a342ee7", cs::esme_rinvcmdid,
                "replace_sm is valid 3.4 but not supported");
  expect_status("0000001100000015000000000a342ee7", cs::esme_rinvcmdlen,
                "command_length 17 but 16 octets");
  expect_status("0000001100000015000000000a342ee700", cs::esme_rinvcmdlen,
                "enquire_link with a body");
  expect_status("0000000f00000015000000000a342e", cs::esme_rinvcmdlen, "header cut short");
  expect_status("0000001180000004000000000a342ee139", cs::esme_rinvcmdlen,
                "[cloudhopper] message_id without NUL");

  // submit_sm bodies [hand, §4.4.1]: service_type, ton, npi, source_addr, ton, npi,
  // destination_addr, esm_class, protocol_id, priority_flag = 10 octets when all are empty/0.
  const std::string ten = "00000000000000000000";
  const std::string tail =
      "0000"
      "00000000";  // times, flags, data_coding, default id
  const auto sub = [](const std::string& b) { return framed(0x00000004, b); };
  expect_status(sub(ten + tail + "ff").c_str(), cs::esme_rinvmsglen, "sm_length 255");
  expect_status(sub(ten + tail + "050102").c_str(), cs::esme_rinvmsglen,
                "sm_length 5, 2 octets follow");
  expect_status(sub(ten + tail).c_str(), cs::esme_rinvcmdlen, "body ends before sm_length");
  expect_status(sub("000101"
                    "313233343536373839303132333435363738393031"
                    "00")
                    .c_str(),
                cs::esme_rinvsrcadr, "source_addr of 21 digits");
  expect_status(sub("00010100"
                    "0101"
                    "313233343536373839303132333435363738393031"
                    "00")
                    .c_str(),
                cs::esme_rinvdstadr, "destination_addr of 21 digits");
  expect_status(sub(ten + "3100"
                          "00"
                          "00000000"
                          "00")
                    .c_str(),
                cs::esme_rinvsched, "schedule_delivery_time '1'");
  expect_status(sub(ten + "00"
                          "3100"
                          "00000000"
                          "00")
                    .c_str(),
                cs::esme_rinvexpiry, "validity_period '1'");
  expect_status(sub(ten + "00" + "3234303130313132303030303030305a00" +
                    "00000000"
                    "00")
                    .c_str(),
                cs::esme_rinvexpiry, "validity_period ending in Z");
  expect_status(sub("0000000000"
                    "00"
                    "00")
                    .c_str(),
                cs::esme_rinvcmdlen, "body ends inside the mandatory part");

  // bind_transmitter [hand, §4.1.1].
  expect_status(framed(0x00000002,
                       "31323334353637383930313233343536"
                       "00")
                    .c_str(),
                cs::esme_rinvsysid, "system_id of 16 characters");
  expect_status(framed(0x00000002,
                       "6100"
                       "313233343536373839"
                       "00")
                    .c_str(),
                cs::esme_rinvpaswd, "password of 9 characters");
  expect_status(framed(0x00000002,
                       "6100"
                       "6200"
                       "31323334353637383930313233"
                       "00")
                    .c_str(),
                cs::esme_rinvsystyp, "system_type of 13 characters");
  expect_status(framed(0x00000002,
                       "6100"
                       "6200"
                       "00"
                       "340101"
                       "00"
                       "00")
                    .c_str(),
                cs::esme_rinvcmdlen, "octet after address_range");

  // TLVs after a submit_sm_resp body (message_id "") [hand, §3.2.3].
  const auto rsp = [](const std::string& b) { return framed(0x80000004, "00" + b); };
  expect_status(rsp("000427").c_str(), cs::esme_rinvoptparstream, "half a TLV header");
  expect_status(rsp("04270002aa").c_str(), cs::esme_rinvoptparstream, "TLV longer than the rest");
  expect_status(rsp("04270002aabb").c_str(), cs::esme_rinvparlen, "message_state of 2 octets");
  expect_status(rsp("001e0002aabb").c_str(), cs::esme_rinvparlen,
                "receipted_message_id without NUL");
  expect_status(rsp("020c000101").c_str(), cs::esme_rinvparlen, "sar_msg_ref_num of 1 octet");
  expect_status(rsp("04230002aabb").c_str(), cs::esme_rinvparlen, "network_error_code of 2 octets");
  EXPECT_TRUE(decode(hex(rsp("14000000"))).ok());  // an empty vendor TLV is fine
}

TEST(Smpp34Pdu, EveryTruncationOfTheMandatoryBodyFails) {
  // Cut the OTA submit_sm anywhere inside its mandatory part (header excluded) and patch
  // command_length: every such PDU must fail, with ESME_RINVCMDLEN or ESME_RINVMSGLEN.
  const bytes full = hex(ota_submit);
  for (std::size_t n = header_size; n < full.size(); ++n) {
    bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    cut[3] = static_cast<std::uint8_t>(n);
    auto p = decode(cut);
    ASSERT_FALSE(p.ok()) << n;
    const auto s = status_of(p.error());
    EXPECT_TRUE(s == cs::esme_rinvcmdlen || s == cs::esme_rinvmsglen)
        << n << ": " << p.error().message;
  }
  // Likewise for a bind and a data_sm with a TLV (cut inside the TLV: stream error).
  pdu bind{cs::esme_rok, 7, bind_transceiver{"sys", "pw", "OTA", 0x34, 1, 1, "^1234"}};
  const bytes b = encode(bind).value();
  for (std::size_t n = header_size; n < b.size(); ++n) {
    bytes cut(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
    cut[3] = static_cast<std::uint8_t>(n);
    EXPECT_EQ(status_of(decode(cut).error()), cs::esme_rinvcmdlen) << n;
  }
  data_sm ds;
  ds.source_addr = "12";
  ds.destination_addr = "491700000000";
  ds.tlvs = {make_message_payload(hex("027000aabbcc"))};
  const bytes d = encode(pdu{cs::esme_rok, 9, ds}).value();
  const std::size_t tlv_start = d.size() - 10;
  for (std::size_t n = header_size; n < d.size(); ++n) {
    if (n == tlv_start) continue;  // a data_sm without TLVs is complete
    bytes cut(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(n));
    cut[3] = static_cast<std::uint8_t>(n);
    const auto s = status_of(decode(cut).error());
    EXPECT_EQ(s, n < tlv_start ? cs::esme_rinvcmdlen : cs::esme_rinvoptparstream) << n;
  }
}

TEST(Smpp34Pdu, FrameLength) {
  EXPECT_EQ(frame_length(hex("")).value(), std::nullopt);
  EXPECT_EQ(frame_length(hex("000000")).value(), std::nullopt);  // [cloudhopper]
  EXPECT_EQ(frame_length(hex("00000010")).value(), 16u);         // [cloudhopper]
  EXPECT_EQ(frame_length(hex("0000004a00000004")).value(), 74u);
  EXPECT_EQ(frame_length(hex("00010000")).value(), 65536u);
  auto small = frame_length(hex("0000000f"));
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(status_of(small.error()), cs::esme_rinvcmdlen);
  auto big = frame_length(hex("00010001"));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(status_of(big.error()), cs::esme_rinvcmdlen);
  auto sign = frame_length(hex("f0000011"));  // [cloudhopper] "signed int length"
  ASSERT_FALSE(sign.ok());
  EXPECT_EQ(frame_length(hex("00000400"), 1024).value(), 1024u);
  EXPECT_FALSE(frame_length(hex("00000401"), 1024).ok());

  // Two PDUs back to back, the second one byte short (as a socket delivers them).
  const bytes stream = hex("0000001080000015000000000a342eed0000001080000015000000000a342e");
  auto first = frame_length(stream);
  ASSERT_TRUE(first.ok() && first->has_value());
  const auto n = **first;
  EXPECT_TRUE(decode(byte_view(stream).first(n)).ok());
  const byte_view rest = byte_view(stream).subspan(n);
  EXPECT_EQ(frame_length(rest).value(), 16u);
  EXPECT_LT(rest.size(), 16u);  // the caller waits for more
}

TEST(Smpp34Pdu, EncodeErrors) {
  auto st = [](const pdu_body& b) {
    auto r = encode(pdu{cs::esme_rok, 1, b});
    EXPECT_FALSE(r.ok());
    return r.ok() ? cs::esme_rok : status_of(r.error());
  };
  EXPECT_EQ(st(bind_transmitter{std::string(16, 'x'), "", "", 0x34, 0, 0, ""}), cs::esme_rinvsysid);
  EXPECT_EQ(st(bind_transmitter{"x", std::string(9, 'p'), "", 0x34, 0, 0, ""}), cs::esme_rinvpaswd);
  EXPECT_EQ(st(bind_receiver{"x", "", std::string(13, 't'), 0x34, 0, 0, ""}), cs::esme_rinvsystyp);
  submit_sm s;
  s.short_message = bytes(255, 0);
  EXPECT_EQ(st(s), cs::esme_rinvmsglen);
  s.short_message.clear();
  s.source_addr = std::string(21, '1');
  EXPECT_EQ(st(s), cs::esme_rinvsrcadr);
  s.source_addr = "1";
  s.destination_addr = std::string(
      "1\0"
      "2",
      3);
  EXPECT_EQ(st(s), cs::esme_rinvdstadr);
  s.destination_addr = "2";
  s.validity_period = "000001000000000";  // 15 characters
  EXPECT_EQ(st(s), cs::esme_rinvexpiry);
  s.validity_period = "000001000000000R";
  s.schedule_delivery_time = "24010112000000x+";
  EXPECT_EQ(st(s), cs::esme_rinvsched);
  s.schedule_delivery_time = "240101120000004+";
  s.tlvs = {tlv{tag::sar_msg_ref_num, bytes{1}}};
  EXPECT_EQ(st(s), cs::esme_rinvparlen);
  s.tlvs = {tlv{0x1400, bytes(65536, 0)}};
  EXPECT_EQ(st(s), cs::esme_rinvparlen);
  s.tlvs.clear();
  EXPECT_TRUE(encode(pdu{cs::esme_rok, 1, s}).ok());
  EXPECT_EQ(st(submit_sm_resp{std::string(65, '9'), {}}), cs::esme_rinvmsgid);
  data_sm d;
  d.source_addr = std::string(64, '1');  // data_sm allows 64
  EXPECT_TRUE(encode(pdu{cs::esme_rok, 1, d}).ok());
  d.source_addr = std::string(65, '1');
  EXPECT_EQ(st(d), cs::esme_rinvsrcadr);
  byte_writer w;
  EXPECT_FALSE(encode(pdu{cs::esme_rok, 1, d}, w).ok());
  EXPECT_EQ(w.size(), 0u);
}

TEST(Smpp34Pdu, ErrorResponsesAndNack) {
  // §4.4.2: submit_sm_resp has no body when command_status is an error.
  EXPECT_EQ(encode_hex(pdu{cs::esme_rthrottled, 5, submit_sm_resp{}}),
            "00000010800000040000005800000005");
  // Other responses keep their (empty) fields.
  EXPECT_EQ(encode_hex(pdu{cs::esme_rinvpaswd, 5, bind_transmitter_resp{}}),
            "0000001180000002000000"
            "0e"
            "0000000500");
  EXPECT_EQ(encode_hex(make_generic_nack(cs::esme_rinvcmdid, 9)),
            "00000010800000000000000300000009");
  EXPECT_EQ(make_generic_nack(cs::esme_rinvcmdlen).id(), command_id::generic_nack);
}

TEST(Smpp34Pdu, NamesAndMapping) {
  EXPECT_EQ(status_name(cs::esme_rinvcmdlen), "ESME_RINVCMDLEN");
  EXPECT_EQ(status_name(cs::esme_rinvdstton), "ESME_RINVDSTTON");
  EXPECT_EQ(static_cast<std::uint32_t>(cs::esme_rinvdstton), 0x50u);
  EXPECT_EQ(status_name(static_cast<cs>(0x400)), "");
  EXPECT_EQ(command_name(command_id::data_sm_resp), "data_sm_resp");
  EXPECT_EQ(command_name(static_cast<command_id>(0x110)), "");
  EXPECT_TRUE(is_response(command_id::generic_nack));
  EXPECT_FALSE(is_response(command_id::outbind));
  EXPECT_EQ(status_category().message(0x58), "ESME_RTHROTTLED");
  EXPECT_EQ(status_category().message(0x401), "command_status 0x00000401");
  EXPECT_EQ(to_command_status(make_error(errc::truncated, "x")), cs::esme_rinvcmdlen);
  EXPECT_EQ(to_command_status(make_error(errc::bad_value, "x")), cs::esme_rsyserr);
  EXPECT_EQ(to_command_status(make_error(cs::esme_rthrottled, "x")), cs::esme_rthrottled);
}

TEST(Smpp34Pdu, TypedTlvs) {
  tlv_list t = {make_message_payload(hex("0102")),
                make_sar_msg_ref_num(0x1234),
                make_sar_total_segments(3),
                make_sar_segment_seqnum(2),
                make_receipted_message_id("38601fa"),
                make_message_state(message_state::undeliverable),
                make_network_error_code({network_type::gsm, 0x0101}),
                make_user_message_reference(0xBEEF),
                make_sc_interface_version()};
  data_sm d;
  d.tlvs = t;
  const pdu p{cs::esme_rok, 3, d};
  const auto bytes_ = encode(p).value();
  // Each TLV on the wire [hand, §5.3.2]: tag, length, value.
  EXPECT_NE(to_hex(bytes_).find("042400020102"
                                "020c00021234"
                                "020e000103"
                                "020f000102"
                                "001e00083338363031666100"
                                "042700010"
                                "5"
                                "0423000303"
                                "0101"
                                "020400"
                                "02beef"
                                "0210000134"),
            std::string::npos);
  const auto back = decode(bytes_).value();
  const auto& tl = std::get<data_sm>(back.body).tlvs;
  EXPECT_EQ(tl, t);
  EXPECT_EQ(to_hex(get_message_payload(tl).value()), "0102");
  EXPECT_EQ(get_sar_msg_ref_num(tl).value(), 0x1234);
  EXPECT_EQ(get_sar_total_segments(tl).value(), 3);
  EXPECT_EQ(get_sar_segment_seqnum(tl).value(), 2);
  EXPECT_EQ(get_receipted_message_id(tl).value(), "38601fa");
  EXPECT_EQ(get_message_state(tl).value(), message_state::undeliverable);
  EXPECT_EQ(get_network_error_code(tl).value(), (network_error{network_type::gsm, 0x0101}));
  EXPECT_EQ(get_user_message_reference(tl).value(), 0xBEEF);
  EXPECT_EQ(get_sc_interface_version(tl).value(), 0x34);
  const tlv_list none;
  EXPECT_EQ(get_message_payload(none), std::nullopt);
  EXPECT_EQ(get_message_state(none).value(), std::nullopt);
  EXPECT_EQ(find_tlv(none, tag::message_state), nullptr);
  const tlv_list wrong = {tlv{tag::message_state, bytes{1, 2}}, tlv{0x1500, bytes{1}}};
  EXPECT_EQ(to_command_status(get_message_state(wrong).error()), cs::esme_rinvparlen);
  EXPECT_EQ(to_command_status(get_tlv_u16(wrong, 0x1500).error()), cs::esme_rinvparlen);
  EXPECT_EQ(to_command_status(get_tlv_cstring(wrong, 0x1500).error()), cs::esme_rinvparlen);
}

TEST(Smpp34Pdu, OtherBodies) {
  pdu ob{cs::esme_rok, 1, outbind{"smsc", "secret"}};
  EXPECT_EQ(encode_hex(ob),
            "0000001c0000000b0000000000000001"
            "736d736300"
            "73656372657400");
  EXPECT_EQ(decode_ok("0000001c0000000b0000000000000001736d73630073656372657400"), ob);
  pdu q{cs::esme_rok, 2, query_sm{"abc", 1, 1, "12"}};
  EXPECT_EQ(encode_hex(q),
            "00000019000000030000000000000002"
            "61626300"
            "0101"
            "313200");
  pdu qr{cs::esme_rok, 2, query_sm_resp{"abc", "240101120000000+", 2, 0}};
  EXPECT_EQ(encode_hex(qr),
            "00000027800000030000000000000002"
            "61626300"
            "3234303130313132303030303030302b00"
            "02"
            "00");
  EXPECT_EQ(decode(encode(qr).value()).value(), qr);
  // query_sm_resp on error without a body.
  EXPECT_EQ(decode_ok("00000010800000030000006700000002"),
            (pdu{cs::esme_rqueryfail, 2, query_sm_resp{}}));
}

// ---- Round-trip properties -----------------------------------------------------------------

std::string gen_cstring(std::size_t max_chars) {
  const auto n = *rc::gen::inRange<std::size_t>(0, max_chars + 1);
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s.push_back(*rc::gen::inRange<char>(1, 127));
  return s;
}

std::string gen_time() {
  if (*rc::gen::arbitrary<bool>()) return "";
  std::string s;
  for (int i = 0; i < 15; ++i) s.push_back(*rc::gen::inRange<char>('0', '9' + 1));
  s.push_back("+-R"[*rc::gen::inRange(0, 3)]);
  return s;
}

tlv_list gen_tlvs() {
  tlv_list t;
  const int n = *rc::gen::inRange(0, 5);
  for (int i = 0; i < n; ++i) {
    switch (*rc::gen::inRange(0, 6)) {
      case 0:
        t.push_back(make_message_payload(*rc::gen::arbitrary<bytes>()));
        break;
      case 1:
        t.push_back(make_sar_msg_ref_num(*rc::gen::arbitrary<std::uint16_t>()));
        break;
      case 2:
        t.push_back(make_receipted_message_id(gen_cstring(64)));
        break;
      case 3:
        t.push_back(make_message_state(static_cast<message_state>(*rc::gen::inRange(1, 9))));
        break;
      case 4:
        t.push_back(make_network_error_code({3, *rc::gen::arbitrary<std::uint16_t>()}));
        break;
      default:  // a vendor TLV (0x1400-0x3FFF)
        t.push_back(
            tlv{*rc::gen::inRange<std::uint16_t>(0x1400, 0x4000), *rc::gen::arbitrary<bytes>()});
        break;
    }
  }
  return t;
}

template <command_id Id>
short_message_pdu<Id> gen_sm() {
  short_message_pdu<Id> s;
  s.service_type = gen_cstring(5);
  s.source_addr_ton = *rc::gen::arbitrary<std::uint8_t>();
  s.source_addr_npi = *rc::gen::arbitrary<std::uint8_t>();
  s.source_addr = gen_cstring(20);
  s.dest_addr_ton = *rc::gen::arbitrary<std::uint8_t>();
  s.dest_addr_npi = *rc::gen::arbitrary<std::uint8_t>();
  s.destination_addr = gen_cstring(20);
  s.esm_class = *rc::gen::arbitrary<std::uint8_t>();
  s.protocol_id = *rc::gen::arbitrary<std::uint8_t>();
  s.priority_flag = *rc::gen::arbitrary<std::uint8_t>();
  s.schedule_delivery_time = gen_time();
  s.validity_period = gen_time();
  s.registered_delivery = *rc::gen::arbitrary<std::uint8_t>();
  s.replace_if_present_flag = *rc::gen::arbitrary<std::uint8_t>();
  s.data_coding = *rc::gen::arbitrary<std::uint8_t>();
  s.sm_default_msg_id = *rc::gen::arbitrary<std::uint8_t>();
  s.short_message = *rc::gen::container<bytes>(*rc::gen::inRange<std::size_t>(0, 255),
                                               rc::gen::arbitrary<std::uint8_t>());
  s.tlvs = gen_tlvs();
  return s;
}

template <command_id Id>
bind_request<Id> gen_bind() {
  return {gen_cstring(15),
          gen_cstring(8),
          gen_cstring(12),
          *rc::gen::arbitrary<std::uint8_t>(),
          *rc::gen::arbitrary<std::uint8_t>(),
          *rc::gen::arbitrary<std::uint8_t>(),
          gen_cstring(40)};
}

pdu_body gen_body() {
  switch (*rc::gen::inRange(0, 20)) {
    case 0:
      return generic_nack{};
    case 1:
      return gen_bind<command_id::bind_receiver>();
    case 2:
      return bind_receiver_resp{gen_cstring(15), gen_tlvs()};
    case 3:
      return gen_bind<command_id::bind_transmitter>();
    case 4:
      return bind_transmitter_resp{gen_cstring(15), gen_tlvs()};
    case 5:
      return gen_bind<command_id::bind_transceiver>();
    case 6:
      return bind_transceiver_resp{gen_cstring(15), gen_tlvs()};
    case 7:
      return outbind{gen_cstring(15), gen_cstring(8)};
    case 8:
      return unbind{};
    case 9:
      return unbind_resp{};
    case 10:
      return gen_sm<command_id::submit_sm>();
    case 11:
      return submit_sm_resp{gen_cstring(64), gen_tlvs()};
    case 12:
      return gen_sm<command_id::deliver_sm>();
    case 13:
      return deliver_sm_resp{gen_cstring(64), gen_tlvs()};
    case 14: {
      data_sm d;
      d.service_type = gen_cstring(5);
      d.source_addr_ton = *rc::gen::arbitrary<std::uint8_t>();
      d.source_addr = gen_cstring(64);
      d.dest_addr_npi = *rc::gen::arbitrary<std::uint8_t>();
      d.destination_addr = gen_cstring(64);
      d.esm_class = *rc::gen::arbitrary<std::uint8_t>();
      d.registered_delivery = *rc::gen::arbitrary<std::uint8_t>();
      d.data_coding = *rc::gen::arbitrary<std::uint8_t>();
      d.tlvs = gen_tlvs();
      return d;
    }
    case 15:
      return data_sm_resp{gen_cstring(64), gen_tlvs()};
    case 16:
      return query_sm{gen_cstring(64), *rc::gen::arbitrary<std::uint8_t>(),
                      *rc::gen::arbitrary<std::uint8_t>(), gen_cstring(20)};
    case 17:
      return query_sm_resp{gen_cstring(64), gen_time(), *rc::gen::arbitrary<std::uint8_t>(),
                           *rc::gen::arbitrary<std::uint8_t>()};
    case 18:
      return enquire_link{};
    default:
      return enquire_link_resp{};
  }
}

RC_GTEST_PROP(Smpp34Pdu, EncodeDecodeRoundTrip, ()) {
  pdu p;
  p.status = *rc::gen::element(cs::esme_rok, cs::esme_rok, cs::esme_rthrottled,
                               static_cast<cs>(*rc::gen::arbitrary<std::uint32_t>()));
  p.sequence_number = *rc::gen::arbitrary<std::uint32_t>();
  p.body = gen_body();
  auto b = encode(p);
  RC_ASSERT(b.ok());
  auto len = frame_length(*b);
  RC_ASSERT(len.ok());
  RC_ASSERT(len->value() == b->size());
  auto back = decode(*b);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == p);
  // And the bytes are stable through a second round.
  RC_ASSERT(encode(*back).value() == *b);
}

}  // namespace
}  // namespace otaflow::codec::smpp
