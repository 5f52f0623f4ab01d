// The SMSC simulator over real loopback TCP, driven by the codec-based smsc_client and
// a scripted fake card gateway.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "codec/smpp34_pdu.hpp"
#include "codec/smpp34_receipt.hpp"
#include "codec/ts23040_tpdu.hpp"
#include "sim/smsc_client.hpp"
#include "sim/smsc_server.hpp"
#include "tests/unit/sim/smsc_fake_gateway.hpp"
#include "tests/unit/sim/smsc_test_fixture.hpp"

namespace otaflow::sim {
namespace {

using namespace std::chrono_literals;
namespace smpp = codec::smpp;
namespace tp = codec::tpdu;
using testing::fake_gateway;

using testing::k_quiet;
using testing::k_wait;
using testing::ota_ud;
using testing::submit;
using testing::u32;
using SmscServer = testing::smsc_server_fixture;

TEST_F(SmscServer, BindTransceiverAndEnquireLink) {
  start();
  auto c = connect();
  smpp::pdu b;
  b.sequence_number = 7;
  b.body = smpp::bind_transceiver{"test", "test", "OTA", 0x34, 0, 0, ""};
  ASSERT_TRUE(c.send(b).ok());
  auto r = c.receive(k_wait);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->sequence_number, 7u);
  EXPECT_EQ(r->status, smpp::command_status::esme_rok);
  const auto* resp = std::get_if<smpp::bind_transceiver_resp>(&r->body);
  ASSERT_NE(resp, nullptr);
  EXPECT_EQ(resp->system_id, "OTAFLOWSMSC");
  auto v = smpp::get_sc_interface_version(resp->tlvs);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->value_or(0), 0x34);

  smpp::pdu e;
  e.sequence_number = 8;
  e.body = smpp::enquire_link{};
  ASSERT_TRUE(c.send(e).ok());
  auto er = c.receive(k_wait);
  ASSERT_TRUE(er.ok());
  EXPECT_EQ(er->id(), smpp::command_id::enquire_link_resp);
  EXPECT_EQ(er->sequence_number, 8u);
  EXPECT_EQ(server_->summary().binds, 1u);
}

TEST_F(SmscServer, WrongPasswordOrSystemIdFailsAndCloses) {
  start();
  {
    auto c = connect();
    auto st = c.bind(smpp::command_id::bind_transmitter, "test", "nope", k_wait);
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(*st, u32(smpp::command_status::esme_rinvpaswd));
    EXPECT_TRUE(c.wait_closed(k_wait));
  }
  {
    auto c = connect();
    auto st = c.bind(smpp::command_id::bind_receiver, "nobody", "test", k_wait);
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(*st, u32(smpp::command_status::esme_rinvsysid));
    EXPECT_TRUE(c.wait_closed(k_wait));
  }
  EXPECT_EQ(server_->summary().bind_failures, 2u);
  EXPECT_EQ(server_->summary().binds, 0u);
}

TEST_F(SmscServer, StateErrors) {
  start();
  auto c = connect();
  ASSERT_TRUE(c.send(submit(1, "4671111111", ota_ud())).ok());
  auto r = c.receive(k_wait);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->id(), smpp::command_id::submit_sm_resp);
  EXPECT_EQ(r->status, smpp::command_status::esme_rinvbndsts);

  auto st = c.bind(smpp::command_id::bind_transceiver, "test", "test", k_wait);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(*st, 0u);
  auto again = c.bind(smpp::command_id::bind_transmitter, "test", "test", k_wait);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, u32(smpp::command_status::esme_ralybnd));

  auto rx = bound(smpp::command_id::bind_receiver);
  ASSERT_TRUE(rx.send(submit(2, "4671111111", ota_ud())).ok());
  auto rr = rx.receive(k_wait);
  ASSERT_TRUE(rr.ok());
  EXPECT_EQ(rr->status, smpp::command_status::esme_rinvbndsts);
}

TEST_F(SmscServer, OtaSubmitBecomesSmsDeliverAndPorAndReceiptComeBack) {
  start();
  auto c = bound();
  ASSERT_TRUE(c.send(submit(5, "4671234567", ota_ud(), 1, 0x02)).ok());
  auto v = collect(c, 3);  // submit_sm_resp, PoR deliver_sm, receipt deliver_sm
  const std::string id = submit_resp_id(v, 5);
  ASSERT_EQ(id, "0000000001");

  // The card got a TS 23.040 SMS-DELIVER: OA = the submit's source, PID 7F, DCS F6, UDHI.
  auto rec = gw_.received();
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0].first, "4671234567");
  auto d = tp::decode_deliver(rec[0].second);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->oa.digits, "4670000000");
  EXPECT_EQ(d->oa.ton, 1);
  EXPECT_EQ(d->pid, 0x7F);
  EXPECT_EQ(d->dcs, 0xF6);
  EXPECT_TRUE(d->udhi);
  EXPECT_EQ(d->ud, ota_ud());

  const auto* por = find_deliver(v, false);
  ASSERT_NE(por, nullptr);
  EXPECT_EQ(por->source_addr, "4671234567");
  EXPECT_EQ(por->destination_addr, "4670000000");
  EXPECT_EQ(por->esm_class, 0x40);  // 02 71 00 response packet header counts as a UDH
  EXPECT_EQ(por->protocol_id, 0x7F);
  EXPECT_EQ(por->data_coding, 0xF6);
  EXPECT_EQ(por->short_message, testing::canned_por());

  const auto* dlr = find_deliver(v, true);
  ASSERT_NE(dlr, nullptr);
  EXPECT_EQ(dlr->esm_class, 0x04);
  EXPECT_EQ(dlr->source_addr, "4671234567");
  auto rid = smpp::get_receipted_message_id(dlr->tlvs);
  ASSERT_TRUE(rid.ok());
  EXPECT_EQ(rid->value_or(""), id);
  auto state = smpp::get_message_state(dlr->tlvs);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->value_or(smpp::message_state::unknown), smpp::message_state::delivered);
  auto text = smpp::parse_receipt(std::string_view(
      reinterpret_cast<const char*>(dlr->short_message.data()), dlr->short_message.size()));
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(text->id, id);
  EXPECT_EQ(text->stat, "DELIVRD");
  EXPECT_EQ(text->err, "000");

  EXPECT_TRUE(eventually([](const smsc_summary& s) {
    return s.delivered == 1 && s.pors == 1 && s.receipts == 1 && s.accepted == 1;
  }));
}

TEST_F(SmscServer, PorBySmsSubmitIsForwarded) {
  start();
  gw_.answer([](std::string_view, int) {
    mt_outcome o;
    o.mo.push_back({"4679999999", testing::mo_submit(testing::canned_por())});
    return o;
  });
  auto c = bound();
  ASSERT_TRUE(c.send(submit(1, "4679999999", ota_ud(), 0)).ok());
  auto v = collect(c, 2);
  const auto* por = find_deliver(v, false);
  ASSERT_NE(por, nullptr);
  EXPECT_EQ(por->source_addr, "4679999999");
  EXPECT_EQ(por->destination_addr, "4670000000");
  EXPECT_EQ(por->esm_class, 0x40);
  EXPECT_EQ(por->short_message, testing::canned_por());
}

TEST_F(SmscServer, ReceiptsFollowRegisteredDelivery) {
  start();
  auto c = bound();
  ASSERT_TRUE(c.send(submit(1, "4671000001", ota_ud(), 2)).ok());  // failure only
  auto v = collect(c, 2);  // resp + PoR, no receipt for a success
  EXPECT_EQ(find_deliver(v, true), nullptr);
  auto extra = c.receive(k_quiet);
  EXPECT_FALSE(extra.ok());
}

TEST_F(SmscServer, UnknownSubscriberGetsUndeliv) {
  start();
  gw_.answer([](std::string_view, int) {
    mt_outcome o;
    o.result = mt_outcome::kind::unknown_subscriber;
    return o;
  });
  auto c = bound();
  ASSERT_TRUE(c.send(submit(1, "4670000404", ota_ud(), 2)).ok());
  auto v = collect(c, 2);
  const auto* dlr = find_deliver(v, true);
  ASSERT_NE(dlr, nullptr);
  auto state = smpp::get_message_state(dlr->tlvs);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->value_or(smpp::message_state::unknown), smpp::message_state::undeliverable);
  auto ne = smpp::get_network_error_code(dlr->tlvs);
  ASSERT_TRUE(ne.ok());
  ASSERT_TRUE(ne->has_value());
  EXPECT_EQ((*ne)->network_type, 3);
  EXPECT_EQ((*ne)->error_code, 1);
  EXPECT_TRUE(eventually([](const smsc_summary& s) { return s.failed == 1; }));
}

TEST_F(SmscServer, AbsentCardIsStoredAndRetried) {
  start();
  gw_.answer([](std::string_view, int call) {
    mt_outcome o;
    if (call < 2) {
      o.result = mt_outcome::kind::absent;
    } else {
      o.deliver_report_tpdu = testing::ack_report(testing::canned_por());
    }
    return o;
  });
  auto c = bound();
  ASSERT_TRUE(c.send(submit(1, "4670000500", ota_ud(), 1)).ok());
  auto v = collect(c, 3);
  const auto* dlr = find_deliver(v, true);
  ASSERT_NE(dlr, nullptr);
  auto state = smpp::get_message_state(dlr->tlvs);
  EXPECT_EQ(state->value_or(smpp::message_state::unknown), smpp::message_state::delivered);
  EXPECT_EQ(gw_.calls(), 3u);
  EXPECT_TRUE(eventually([](const smsc_summary& s) { return s.absent == 2 && s.delivered == 1; }));
  EXPECT_EQ(server_->messages_in_flight(), 0u);
}

TEST_F(SmscServer, AbsentForeverExpires) {
  smsc_config cfg;
  cfg.retry_schedule_ms = {20, 20};
  start(cfg);
  gw_.answer([](std::string_view, int) {
    mt_outcome o;
    o.result = mt_outcome::kind::absent;
    return o;
  });
  auto c = bound();
  ASSERT_TRUE(c.send(submit(1, "4670000501", ota_ud(), 1)).ok());
  auto v = collect(c, 2);
  const auto* dlr = find_deliver(v, true);
  ASSERT_NE(dlr, nullptr);
  EXPECT_EQ(smpp::get_message_state(dlr->tlvs)->value_or(smpp::message_state::unknown),
            smpp::message_state::expired);
  auto ne = smpp::get_network_error_code(dlr->tlvs);
  ASSERT_TRUE(ne.ok() && ne->has_value());
  EXPECT_EQ((*ne)->error_code, 6);  // MAP absentSubscriberSM
  EXPECT_EQ(gw_.calls(), 3u);       // first attempt + 2 retries
  EXPECT_TRUE(eventually([](const smsc_summary& s) { return s.expired == 1; }));
}

TEST_F(SmscServer, ValidityPeriodCutsRetriesShort) {
  smsc_config cfg;
  cfg.retry_schedule_ms = {10000};
  start(cfg);
  gw_.answer([](std::string_view, int) {
    mt_outcome o;
    o.result = mt_outcome::kind::absent;
    return o;
  });
  auto c = bound();
  auto p = submit(1, "4670000502", ota_ud(), 1);
  std::get<smpp::submit_sm>(p.body).validity_period = "000000000001000R";  // 1 s
  std::get<smpp::submit_sm>(p.body).priority_flag = 3;
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.send(p).ok());
  auto v = collect(c, 2);
  const auto* dlr = find_deliver(v, true);
  ASSERT_NE(dlr, nullptr);
  EXPECT_EQ(smpp::get_message_state(dlr->tlvs)->value_or(smpp::message_state::unknown),
            smpp::message_state::expired);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  // The summary counts the options the submit arrived with.
  using counts = std::map<std::string, std::uint64_t>;
  const auto t = server_->summary().submit_options;
  EXPECT_EQ(t.validity_period, (counts{{"000000000001000R", 1}}));
  EXPECT_EQ(t.priority, (counts{{"3", 1}}));
  EXPECT_EQ(t.registered_delivery, (counts{{"1", 1}}));
  EXPECT_EQ(t.source, (counts{{"1/1/4670000000", 1}}));
}

TEST_F(SmscServer, InjectedAbsenceAndBusySimRetryThenDeliver) {
  smsc_config cfg;
  cfg.faults.absent_fraction = 1.0;
  cfg.faults.absent_attempts = 1;
  start(cfg);
  gw_.answer([](std::string_view, int call) {
    mt_outcome o;
    if (call == 0) {
      o.result = mt_outcome::kind::error;  // the handset's SIM toolkit is busy
      o.fcs = tp::fcs_usat_busy;
      o.deliver_report_tpdu = testing::error_report(tp::fcs_usat_busy);
    }
    return o;
  });
  auto c = bound();
  ASSERT_TRUE(c.send(submit(1, "4670000600", ota_ud(), 1)).ok());
  auto v = collect(c, 2);
  const auto* dlr = find_deliver(v, true);
  ASSERT_NE(dlr, nullptr);
  EXPECT_EQ(smpp::get_message_state(dlr->tlvs)->value_or(smpp::message_state::unknown),
            smpp::message_state::delivered);
  EXPECT_EQ(gw_.calls(), 2u);  // the injected absence never reached the gateway
  EXPECT_TRUE(eventually([](const smsc_summary& s) {
    return s.absent == 1 && s.busy == 1 && s.delivered == 1 && s.attempts == 3;
  }));
}

TEST_F(SmscServer, DownloadErrorFailsAndForwardsItsUserData) {
  start();
  gw_.answer([](std::string_view, int) {
    mt_outcome o;
    o.result = mt_outcome::kind::error;
    o.fcs = tp::fcs_usim_data_download_error;
    o.deliver_report_tpdu =
        testing::error_report(tp::fcs_usim_data_download_error, testing::canned_por());
    return o;
  });
  auto c = bound();
  ASSERT_TRUE(c.send(submit(1, "4670000700", ota_ud(), 1)).ok());
  auto v = collect(c, 3);
  ASSERT_NE(find_deliver(v, false), nullptr);
  const auto* dlr = find_deliver(v, true);
  ASSERT_NE(dlr, nullptr);
  EXPECT_EQ(smpp::get_message_state(dlr->tlvs)->value_or(smpp::message_state::unknown),
            smpp::message_state::undeliverable);
  auto ne = smpp::get_network_error_code(dlr->tlvs);
  ASSERT_TRUE(ne.ok() && ne->has_value());
  EXPECT_EQ((*ne)->error_code, 0xD5);
}

TEST_F(SmscServer, ThrottlesAboveTps) {
  smsc_config cfg;
  cfg.tps_per_bind = 1.0;
  cfg.tps_burst = 2;
  start(cfg);
  auto c = bound();
  for (std::uint32_t i = 1; i <= 5; ++i) {
    ASSERT_TRUE(c.send(submit(i, "4670000800", ota_ud(), 0)).ok());
  }
  int ok = 0, throttled = 0;
  for (int n = 0; n < 20 && ok + throttled < 5; ++n) {
    auto p = c.receive(k_wait);
    ASSERT_TRUE(p.ok()) << p.error().message;
    if (p->id() == smpp::command_id::deliver_sm) {
      smpp::pdu r;
      r.sequence_number = p->sequence_number;
      r.body = smpp::deliver_sm_resp{};
      ASSERT_TRUE(c.send(r).ok());
      continue;
    }
    ASSERT_EQ(p->id(), smpp::command_id::submit_sm_resp);
    if (p->status == smpp::command_status::esme_rok) ++ok;
    if (p->status == smpp::command_status::esme_rthrottled) ++throttled;
  }
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(throttled, 3);
  EXPECT_EQ(server_->summary().throttled, 3u);
}

TEST_F(SmscServer, DeliverWindowLimitsOutstandingDeliverSm) {
  smsc_config cfg;
  cfg.deliver_window = 2;
  start(cfg);
  auto c = bound();
  for (std::uint32_t i = 1; i <= 5; ++i) {
    ASSERT_TRUE(c.send(submit(i, "467000090" + std::to_string(i), ota_ud(), 0)).ok());
  }
  // 5 submit_sm_resp and exactly 2 deliver_sm (window), none acknowledged.
  std::vector<std::uint32_t> delivers;
  int resps = 0;
  while (resps < 5 || delivers.size() < 2) {
    auto p = c.receive(k_wait);
    ASSERT_TRUE(p.ok()) << p.error().message;
    if (p->id() == smpp::command_id::deliver_sm) delivers.push_back(p->sequence_number);
    if (p->id() == smpp::command_id::submit_sm_resp) ++resps;
  }
  EXPECT_FALSE(c.receive(k_quiet).ok());
  ASSERT_EQ(delivers.size(), 2u);
  EXPECT_NE(delivers[0], delivers[1]);
  // Acknowledging one opens one slot.
  smpp::pdu r;
  r.sequence_number = delivers[0];
  r.body = smpp::deliver_sm_resp{};
  ASSERT_TRUE(c.send(r).ok());
  auto next = c.receive(k_wait);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->id(), smpp::command_id::deliver_sm);
  EXPECT_FALSE(c.receive(k_quiet).ok());
}

TEST_F(SmscServer, GenericNackForUnknownCommandKeepsTheLink) {
  start();
  auto c = bound();
  ASSERT_TRUE(c.send_raw(hex("00000010"
                             "00000077"
                             "00000000"
                             "0000002a"))
                  .ok());
  auto r = c.receive(k_wait);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->id(), smpp::command_id::generic_nack);
  EXPECT_EQ(r->status, smpp::command_status::esme_rinvcmdid);
  EXPECT_EQ(r->sequence_number, 0x2Au);
  smpp::pdu e;
  e.sequence_number = 43;
  e.body = smpp::enquire_link{};
  ASSERT_TRUE(c.send(e).ok());
  auto er = c.receive(k_wait);
  ASSERT_TRUE(er.ok());
  EXPECT_EQ(er->id(), smpp::command_id::enquire_link_resp);
}

TEST_F(SmscServer, BadCommandLengthGetsGenericNackAndClose) {
  start();
  auto c = connect();
  const std::string garbage = "GET / HTTP/1.1\r\nHost: smsc\r\n\r\n";
  ASSERT_TRUE(
      c.send_raw(byte_view(reinterpret_cast<const std::uint8_t*>(garbage.data()), garbage.size()))
          .ok());
  auto r = c.receive_raw(k_wait);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(to_hex(byte_view(*r).first(12)), "000000108000000000000002");
  EXPECT_TRUE(c.wait_closed(k_wait));

  auto tiny = connect();  // command_length 8 < 16
  ASSERT_TRUE(tiny.send_raw(hex("00000008"
                                "00000015"))
                  .ok());
  auto t = tiny.receive(k_wait);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->status, smpp::command_status::esme_rinvcmdlen);
  EXPECT_TRUE(tiny.wait_closed(k_wait));
}

TEST_F(SmscServer, OneBadBindDoesNotDisturbAnother) {
  start();
  auto good = bound();
  auto bad = bound();
  ASSERT_TRUE(bad.send_raw(hex("ffffffffdeadbeef00000000")).ok());
  EXPECT_TRUE(bad.wait_closed(k_wait));
  ASSERT_TRUE(good.send(submit(9, "4670001000", ota_ud(), 1)).ok());
  auto v = collect(good, 3);
  EXPECT_EQ(submit_resp_id(v, 9), "0000000001");
  EXPECT_NE(find_deliver(v, false), nullptr);
  EXPECT_NE(find_deliver(v, true), nullptr);
}

TEST_F(SmscServer, BadSubmitsAreRefusedWithTheRightStatus) {
  start();
  auto c = bound();
  struct row {
    const char* name;
    smpp::pdu pdu;
    smpp::command_status want;
  };
  auto too_long = submit(1, "4670001100", bytes(141, 0x00), 0, 0x02, 0x00, 0x00);
  auto bad_dest = submit(2, "not-a-number", ota_ud());
  auto bad_udh = submit(3, "4670001100", hex("0970"), 0);
  auto bad_vp = submit(4, "4670001100", ota_ud());
  std::get<smpp::submit_sm>(bad_vp.body).validity_period = "241305102030000+";  // month 13
  auto receipt_type = submit(5, "4670001100", ota_ud(), 0, 0x02, 0x44);
  const row rows[] = {
      {"141 octets", too_long, smpp::command_status::esme_rinvmsglen},
      {"destination", bad_dest, smpp::command_status::esme_rinvdstadr},
      {"UDHL past the end", bad_udh, smpp::command_status::esme_rinvesmclass},
      {"validity", bad_vp, smpp::command_status::esme_rinvexpiry},
      {"esm_class type", receipt_type, smpp::command_status::esme_rinvesmclass},
  };
  for (const auto& r : rows) {
    ASSERT_TRUE(c.send(r.pdu).ok()) << r.name;
    auto p = c.receive(k_wait);
    ASSERT_TRUE(p.ok()) << r.name;
    EXPECT_EQ(p->sequence_number, r.pdu.sequence_number) << r.name;
    EXPECT_EQ(p->status, r.want) << r.name;
  }
  EXPECT_EQ(gw_.calls(), 0u);
}

TEST_F(SmscServer, UndecodableBodyGetsAnErrorResponse) {
  start();
  auto c = bound();
  // submit_sm whose body stops inside service_type (no NUL): the frame is intact, the body
  // is not, so the link stays up after a submit_sm_resp with a non-zero status.
  ASSERT_TRUE(c.send_raw(hex("00000014"
                             "00000004"
                             "00000000"
                             "00000005"
                             "43505421"))
                  .ok());
  auto r = c.receive(k_wait);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->id(), smpp::command_id::submit_sm_resp);
  EXPECT_EQ(r->sequence_number, 5u);
  EXPECT_NE(r->status, smpp::command_status::esme_rok);
  smpp::pdu e;
  e.sequence_number = 6;
  e.body = smpp::enquire_link{};
  ASSERT_TRUE(c.send(e).ok());
  auto er = c.receive(k_wait);
  ASSERT_TRUE(er.ok());
  EXPECT_EQ(er->id(), smpp::command_id::enquire_link_resp);
  EXPECT_EQ(server_->summary().rejected, 1u);
}

TEST_F(SmscServer, DataSmWithMessagePayload) {
  start();
  auto c = bound();
  smpp::data_sm d;
  d.source_addr_ton = 1;
  d.source_addr_npi = 1;
  d.source_addr = "4670000000";
  d.dest_addr_ton = 1;
  d.dest_addr_npi = 1;
  d.destination_addr = "4670001200";
  d.esm_class = 0x40;
  d.registered_delivery = 1;
  d.data_coding = 0xF6;
  d.tlvs.push_back(smpp::make_message_payload(ota_ud()));
  smpp::pdu p;
  p.sequence_number = 77;
  p.body = d;
  ASSERT_TRUE(c.send(p).ok());
  auto v = collect(c, 3);
  bool resp = false;
  for (const auto& x : v) {
    if (const auto* r = std::get_if<smpp::data_sm_resp>(&x.body)) {
      resp = x.sequence_number == 77 && !r->message_id.empty();
    }
  }
  EXPECT_TRUE(resp);
  auto rec = gw_.received();
  ASSERT_EQ(rec.size(), 1u);
  auto sd = tp::decode_deliver(rec[0].second);
  ASSERT_TRUE(sd.ok());
  EXPECT_EQ(sd->pid, 0x7F);
  EXPECT_EQ(sd->dcs, 0xF6);
  EXPECT_EQ(sd->ud, ota_ud());
}

TEST_F(SmscServer, ReceiverBindOfTheSameSystemIdGetsPorsAndQueuedReceipts) {
  start();
  auto tx = bound(smpp::command_id::bind_transmitter);
  ASSERT_TRUE(tx.send(submit(1, "4670001300", ota_ud(), 1)).ok());
  auto resp = tx.receive(k_wait);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->id(), smpp::command_id::submit_sm_resp);
  ASSERT_TRUE(eventually([](const smsc_summary& s) { return s.delivered == 1; }));
  EXPECT_FALSE(tx.receive(k_quiet).ok());            // a transmitter gets no deliver_sm
  auto rx = bound(smpp::command_id::bind_receiver);  // PoR and receipt waited for it
  auto v = collect(rx, 2);
  EXPECT_NE(find_deliver(v, false), nullptr);
  EXPECT_NE(find_deliver(v, true), nullptr);
}

TEST_F(SmscServer, UnacknowledgedDeliverSmIsResentOnTheNextBind) {
  start();
  {
    auto c = bound();
    ASSERT_TRUE(c.send(submit(1, "4670001400", ota_ud(), 0)).ok());
    auto v = collect(c, 2, /*ack=*/false);
    ASSERT_NE(find_deliver(v, false), nullptr);
  }  // closed without deliver_sm_resp
  auto c2 = bound();
  auto v2 = collect(c2, 1);
  const auto* por = find_deliver(v2, false);
  ASSERT_NE(por, nullptr);
  EXPECT_EQ(por->short_message, testing::canned_por());
  EXPECT_TRUE(eventually([](const smsc_summary& s) { return s.resends == 1 && s.pors == 1; }));
}

TEST_F(SmscServer, UnbindAnswersAndCloses) {
  start();
  auto c = bound();
  smpp::pdu u;
  u.sequence_number = 3;
  u.body = smpp::unbind{};
  ASSERT_TRUE(c.send(u).ok());
  auto r = c.receive(k_wait);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->id(), smpp::command_id::unbind_resp);
  EXPECT_EQ(r->sequence_number, 3u);
  EXPECT_TRUE(c.wait_closed(k_wait));
  EXPECT_EQ(server_->summary().unbinds, 1u);
}

TEST_F(SmscServer, DroppedMessagesExpireLater) {
  smsc_config cfg;
  cfg.faults.drop_fraction = 1.0;
  cfg.default_validity_s = 1;
  start(cfg);
  auto c = bound();
  ASSERT_TRUE(c.send(submit(1, "4670001500", ota_ud(), 1)).ok());
  auto v = collect(c, 2);
  const auto* dlr = find_deliver(v, true);
  ASSERT_NE(dlr, nullptr);
  EXPECT_EQ(smpp::get_message_state(dlr->tlvs)->value_or(smpp::message_state::unknown),
            smpp::message_state::expired);
  EXPECT_EQ(gw_.calls(), 0u);
  EXPECT_EQ(server_->summary().dropped, 1u);
}

TEST_F(SmscServer, InjectedDisconnect) {
  smsc_config cfg;
  cfg.faults.disconnect_fraction = 1.0;
  start(cfg);
  auto c = bound();
  smpp::pdu e;
  e.sequence_number = 2;
  e.body = smpp::enquire_link{};
  ASSERT_TRUE(c.send(e).ok());
  EXPECT_TRUE(c.wait_closed(k_wait));
  EXPECT_EQ(server_->summary().injected_disconnects, 1u);
}

TEST_F(SmscServer, QueueFullWhenTheCardsAreSlow) {
  smsc_config cfg;
  cfg.submit_queue_limit = 1;
  cfg.workers = 1;
  start(cfg);
  std::atomic<bool> release{false};
  gw_.answer([&release](std::string_view, int) {
    while (!release.load()) std::this_thread::sleep_for(1ms);
    return mt_outcome{};
  });
  auto c = bound();
  ASSERT_TRUE(c.send(submit(1, "4670001600", ota_ud(), 0)).ok());
  ASSERT_TRUE(c.send(submit(2, "4670001601", ota_ud(), 0)).ok());
  auto a = c.receive(k_wait);
  auto b = c.receive(k_wait);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->status, smpp::command_status::esme_rok);
  EXPECT_EQ(b->status, smpp::command_status::esme_rmsgqful);
  release = true;
  EXPECT_TRUE(eventually([](const smsc_summary& s) { return s.delivered == 1; }));
}

TEST_F(SmscServer, ManyPipelinedSubmitsAcrossTwoBinds) {
  smsc_config cfg;
  cfg.deliver_window = 16;
  start(cfg);
  gw_.answer([](std::string_view, int) { return mt_outcome{}; });  // RP-ACK without PoR
  auto a = bound();
  auto b = bound(smpp::command_id::bind_transmitter);
  constexpr std::uint32_t n = 500;
  for (std::uint32_t i = 1; i <= n; ++i) {
    ASSERT_TRUE(a.send(submit(i, "46710" + std::to_string(i), ota_ud(), 0)).ok());
    ASSERT_TRUE(b.send(submit(i, "46720" + std::to_string(i), ota_ud(), 0)).ok());
  }
  for (auto* c : {&a, &b}) {
    std::uint32_t expect = 1;
    for (std::uint32_t i = 0; i < n; ++i) {
      auto p = c->receive(k_wait);
      ASSERT_TRUE(p.ok()) << p.error().message;
      ASSERT_EQ(p->id(), smpp::command_id::submit_sm_resp);
      EXPECT_EQ(p->sequence_number, expect++);  // answered in order
      EXPECT_EQ(p->status, smpp::command_status::esme_rok);
    }
  }
  EXPECT_TRUE(eventually([](const smsc_summary& s) { return s.delivered == 2 * n; }));
  const auto text = server_->summary().to_string();
  EXPECT_NE(text.find("PoRs forwarded"), std::string::npos);
  EXPECT_NE(text.find("1000"), std::string::npos);
}

}  // namespace
}  // namespace otaflow::sim
