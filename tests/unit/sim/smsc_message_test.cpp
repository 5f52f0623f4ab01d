// The pure steps of the SMSC simulator: submit classification, the MT SMS-DELIVER it
// builds, PoR forwarding from the handset's answer, and receipts.

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "codec/smpp34_pdu.hpp"
#include "codec/smpp34_receipt.hpp"
#include "codec/ts23040_tpdu.hpp"
#include "sim/smsc_message.hpp"
#include "sim/smsc_protocol.hpp"
#include "tests/unit/sim/smsc_fake_gateway.hpp"

namespace otaflow::sim {
namespace {

using namespace std::chrono;
namespace smpp = codec::smpp;
namespace tp = codec::tpdu;

proto::submit_request ota_submit(std::uint8_t data_coding = 0x02) {
  proto::submit_request r;
  r.source = {1, 0, "12"};
  r.dest = {1, 1, "46708251358"};
  r.esm_class = 0x40;
  r.protocol_id = 0x7F;
  r.data_coding = data_coding;
  r.payload =
      hex("027000"
          "00112233");
  return r;
}

smpp::deliver_sm decode_deliver_sm(const bytes& pdu) {
  auto p = smpp::decode(pdu);
  EXPECT_TRUE(p.ok());
  return std::get<smpp::deliver_sm>(p->body);
}

TEST(SmscMessage, OtaClassificationAndDcs) {
  struct row {
    std::uint8_t dc;
    std::uint8_t want_dcs;
  };
  // SMPP 02/04 (8-bit, no class) become F6; TS 23.038 8-bit class values stay as given.
  for (const row r :
       {row{0x02, 0xF6}, row{0x04, 0xF6}, row{0xF6, 0xF6}, row{0x16, 0x16}, row{0xF5, 0xF5}}) {
    smsc_message m;
    std::uint32_t st = 0;
    ASSERT_TRUE(prepare_message(ota_submit(r.dc), m, st).ok());
    EXPECT_TRUE(m.ota);
    EXPECT_EQ(m.tp_pid, 0x7F);
    EXPECT_EQ(m.tp_dcs, r.want_dcs) << int(r.dc);
    EXPECT_TRUE(m.udhi);
  }
}

TEST(SmscMessage, PlainTextIsPackedAsGsm7) {
  proto::submit_request r;
  r.source = {1, 1, "4670000000"};
  r.dest = {1, 1, "4671111111"};
  r.payload = {'h', 'e', 'l', 'l', 'o'};
  smsc_message m;
  std::uint32_t st = 0;
  ASSERT_TRUE(prepare_message(r, m, st).ok());
  EXPECT_FALSE(m.ota);
  EXPECT_EQ(m.tp_dcs, 0x00);
  EXPECT_EQ(m.ud_septets, 5);
  EXPECT_EQ(to_hex(m.ud), "e8329bfd06");  // "hello" in GSM 7-bit (TS 23.038 §6.1.2.1.1)
}

TEST(SmscMessage, RejectsWithStatus) {
  struct row {
    const char* name;
    proto::submit_request req;
    std::uint32_t status;
  };
  auto long_ud = ota_submit();
  long_ud.payload = bytes(141, 0);
  auto plus_dest = ota_submit();
  plus_dest.dest.addr = "+";
  auto alpha_src = ota_submit();
  alpha_src.source = {5, 0, "OTA"};
  auto both = ota_submit();
  both.both_payloads = true;
  const row rows[] = {
      {"141 octets", long_ud, proto::st::rinvmsglen},
      {"empty MSISDN", plus_dest, proto::st::rinvdstadr},
      {"alphanumeric source", alpha_src, proto::st::rinvsrcadr},
      {"two payloads", both, proto::st::roptparnotallwd},
  };
  for (const auto& r : rows) {
    smsc_message m;
    std::uint32_t st = 0;
    auto s = prepare_message(r.req, m, st);
    EXPECT_FALSE(s.ok()) << r.name;
    EXPECT_EQ(st, r.status) << r.name;
  }
}

TEST(SmscMessage, SmsDeliverBytes) {
  smsc_message m;
  std::uint32_t st = 0;
  ASSERT_TRUE(prepare_message(ota_submit(), m, st).ok());
  // 2022-07-25 00:00:00 UTC is the SCTS pySim hard-codes, 22 70 52 00 00 00 00
  // (docs/standards/ts23040-ts31115-sms.md §2).
  const auto t = sys_days{2022y / 7 / 25};
  auto d = build_sms_deliver(m, t, 0);
  ASSERT_TRUE(d.ok()) << d.error().message;
  // 44 = UDHI + MMS (no more messages); OA 02 90 21 = "12" international/unknown plan.
  EXPECT_EQ(to_hex(*d),
            "44029021"
            "7ff6"
            "22705200000000"
            "07"
            "02700000112233");
}

TEST(SmscMessage, ForwardsReportUserDataWithUdhiRule) {
  smsc_message m;
  std::uint32_t st = 0;
  ASSERT_TRUE(prepare_message(ota_submit(), m, st).ok());
  m.registered_delivery = 1;
  m.id = 42;
  mt_outcome o;
  o.deliver_report_tpdu = testing::ack_report(hex("0102"));  // no 02 71 00 header
  apply_outcome(m, o, system_clock::now());
  EXPECT_EQ(m.result, smsc_message::verdict::delivered);
  ASSERT_EQ(m.to_esme.size(), 2u);
  EXPECT_EQ(m.pors, 1u);
  auto por = decode_deliver_sm(m.to_esme[0]);
  EXPECT_EQ(por.esm_class, 0x00);
  EXPECT_EQ(por.source_addr, "46708251358");
  EXPECT_EQ(por.destination_addr, "12");
  EXPECT_EQ(to_hex(por.short_message), "0102");
  auto dlr = decode_deliver_sm(m.to_esme[1]);
  EXPECT_EQ(dlr.esm_class, 0x04);
  auto text = smpp::parse_receipt(std::string(dlr.short_message.begin(), dlr.short_message.end()));
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->id, "0000000042");
  EXPECT_EQ(text->stat, "DELIVRD");
}

TEST(SmscMessage, BusyIsRetryWithoutReceipt) {
  smsc_message m;
  std::uint32_t st = 0;
  ASSERT_TRUE(prepare_message(ota_submit(), m, st).ok());
  m.registered_delivery = 1;
  mt_outcome o;
  o.result = mt_outcome::kind::error;
  o.fcs = tp::fcs_usat_busy;
  apply_outcome(m, o, system_clock::now());
  EXPECT_EQ(m.result, smsc_message::verdict::retry);
  EXPECT_TRUE(m.to_esme.empty());
  EXPECT_EQ(m.last_error, 0x0300D4u);
}

TEST(SmscMessage, ReceiptRules) {
  EXPECT_FALSE(wants_receipt(0x00, true));
  EXPECT_FALSE(wants_receipt(0x00, false));
  EXPECT_TRUE(wants_receipt(0x01, true));
  EXPECT_TRUE(wants_receipt(0x01, false));
  EXPECT_FALSE(wants_receipt(0x02, true));
  EXPECT_TRUE(wants_receipt(0x02, false));
  EXPECT_TRUE(wants_receipt(0x11, true));  // intermediate-notification bit ignored
  EXPECT_EQ(message_id_text(7), "0000000007");
}

TEST(SmscMessage, ExpiredReceiptCarriesTlvs) {
  smsc_message m;
  std::uint32_t st = 0;
  ASSERT_TRUE(prepare_message(ota_submit(), m, st).ok());
  m.id = 9;
  m.submit_time = sys_days{2024y / 2 / 29} + 23h + 59min + 58s;
  auto r = make_receipt(m, proto::state::expired, smsc_net_error::absent_subscriber,
                        sys_days{2024y / 3 / 1} + 1h);
  ASSERT_TRUE(r.ok());
  auto d = decode_deliver_sm(*r);
  const std::string text(d.short_message.begin(), d.short_message.end());
  EXPECT_NE(
      text.find("id:0000000009 sub:001 dlvrd:000 submit date:240229235958 done date:240301010000"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("stat:EXPIRED err:006"), std::string::npos) << text;
  EXPECT_EQ(smpp::get_receipted_message_id(d.tlvs)->value_or(""), "0000000009");
  auto ne = smpp::get_network_error_code(d.tlvs);
  ASSERT_TRUE(ne.ok() && ne->has_value());
  EXPECT_EQ((*ne)->network_type, 3);
  EXPECT_EQ((*ne)->error_code, 6);
}

}  // namespace
}  // namespace otaflow::sim
