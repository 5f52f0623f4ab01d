// SMS-PP data download on the virtual card: the real-card vector of
// docs/standards/ts102225-secured-packets.md §7, every PoR status the card produces, PoR by
// DELIVER-REPORT and by SMS-SUBMIT, PoR modes, concatenation, the expanded format, the ME's
// reactions and the ENVELOPE interface.

#include <gtest/gtest.h>

#include "codec/iso7816_apdu.hpp"
#include "codec/ts102226_script.hpp"
#include "codec/ts23040_tpdu.hpp"
#include "codec/ts31102_files.hpp"
#include "sim/ota_card.hpp"
#include "sim/ota_sms_pp.hpp"
#include "uicc_test_util.hpp"

namespace otaflow::sim {
namespace {

namespace tp = codec::tpdu;
using codec::por_status;
using test::command_packet;
using test::command_sms;
using test::por_security;

/// The PoR in an RP-ACK DELIVER-REPORT, opened with the command's protection.
secure::response_report open_report(const mt_outcome& o, std::uint16_t spi, std::uint8_t kic_kid) {
  auto rep = tp::decode_deliver_report(o.deliver_report_tpdu, o.result == mt_outcome::kind::error);
  secure::response_report bad;
  if (!rep.ok() || !rep->ud) return bad;
  auto packet = codec::response_from_tp_ud(*rep->ud);
  if (!packet.ok()) return bad;
  return secure::inspect_response(*packet, por_security(spi, kic_kid));
}

mt_outcome send(virtual_card& card, const bytes& packet) {
  mt_outcome last;
  for (const auto& sm : command_sms(packet)) last = card.receive_sms(sm);
  return last;
}

// ---- ts102225-secured-packets.md §7 (docs/standards): the pySim / sysmoISIM-SJA5 vector ----

TEST(ota_sms_pp, real_card_vector_select_mf_is_decoded_and_executed) {
  // 3DES, KIc = KID = 35 (keyset 3), SPI 0619, TAR B00011, CNTR 0, data 00a40004023f00.
  const bytes packet = hex("00201506193535b00011ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f");
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  const mt_outcome o = card.receive_sms(test::sms_deliver(test::cat(hex("027000"), packet)));
  ASSERT_EQ(o.result, mt_outcome::kind::ack);
  EXPECT_TRUE(o.mo.empty());
  auto rep = tp::decode_deliver_report(o.deliver_report_tpdu, false);
  ASSERT_TRUE(rep.ok());
  ASSERT_TRUE(rep->ud.has_value());
  EXPECT_EQ(rep->pid, 0x7F);  // the RP-ACK keeps the SM's PID and DCS
  EXPECT_EQ(rep->dcs, 0xF6);
  // 02 71 00 | RPL 001c | RHL 12 | TAR b00011 | ciphered CNTR..: the real card's length.
  EXPECT_EQ(to_hex(*rep->ud).substr(0, 18), "027100001c12b00011");
  auto r = open_report(o, 0x0619, 0x35);
  ASSERT_TRUE(r.valid) << r.failure.message;
  EXPECT_TRUE(r.response.secured);
  EXPECT_EQ(r.response.status, por_status::ok);
  EXPECT_EQ(r.response.tar, 0xB00011u);
  EXPECT_EQ(r.response.counter, 0u);
  // Compact response: 1 command, SW 61 21 (our MF FCP is 33 octets; the SJA5 answers 6132).
  auto resp = codec::decode_compact_response(r.response.data);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->executed, 1);
  EXPECT_EQ(resp->last_sw, 0x6121);
  EXPECT_TRUE(resp->last_data.empty());
  EXPECT_EQ(card.data().state().last_por_status(), 0x00);
}

TEST(ota_sms_pp, real_card_vector_unciphered_cc_gives_the_real_card_layout) {
  // SPI 0609: PoR with CC, unciphered. SJA5 answered 027100001612b00011 0000000000 00 00
  // <CC> 016132; ours has the same layout with 016121.
  const bytes packet = hex("00201506093535b00011c49ac91ab8159ba5b83a54fb6385e0a5e31694f8b215fafc");
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  const mt_outcome o = card.receive_sms(test::sms_deliver(test::cat(hex("027000"), packet)));
  auto rep = tp::decode_deliver_report(o.deliver_report_tpdu, false);
  ASSERT_TRUE(rep.ok() && rep->ud);
  const std::string ud = to_hex(*rep->ud);
  EXPECT_EQ(ud.substr(0, 32), "027100001612b0001100000000000000");
  EXPECT_EQ(ud.substr(ud.size() - 6), "016121");
  auto r = open_report(o, 0x0609, 0x35);
  ASSERT_TRUE(r.valid) << r.failure.message;
  EXPECT_EQ(r.response.status, por_status::ok);
}

TEST(ota_sms_pp, aes_keyset_and_counter_higher) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  // SPI 1619: counter higher, ciphered, CC; PoR ciphered with CC in the report. AES keyset 2.
  const bytes script =
      hex("00a4080c047fff6f07"
          "00b0000009");
  auto o = send(card, command_packet(0x1619, 0x22, 0xB00001, 1, script));
  auto r = open_report(o, 0x1619, 0x22);
  ASSERT_TRUE(r.valid) << r.failure.message;
  EXPECT_EQ(r.response.status, por_status::ok);
  EXPECT_EQ(to_hex(r.response.data),
            "029000"
            "080910100000000010");
  EXPECT_EQ(card.data().state().counter(2), 1u);
}

// ---- every PoR status ------------------------------------------------------------------------

struct status_case {
  const char* name;
  std::uint16_t spi;
  std::uint8_t kic_kid;
  std::uint32_t tar;
  std::uint64_t stored;   ///< counter stored on the card for the keyset first
  std::uint64_t counter;  ///< counter of the command
  por_status want;
  bool secured;  ///< whether the PoR comes with the requested protection
};

const status_case status_cases[] = {
    {"ok", 0x1619, 0x15, 0xB00010, 0, 1, por_status::ok, true},
    {"replay (counter low)", 0x1619, 0x15, 0xB00010, 5, 5, por_status::cntr_low, true},
    {"jump in one-higher mode", 0x1E19, 0x15, 0xB00010, 5, 7, por_status::cntr_high, true},
    {"one-higher ok", 0x1E19, 0x15, 0xB00010, 5, 6, por_status::ok, true},
    {"counter blocked", 0x1619, 0x15, 0xB00010, 0xFFFFFFFFFF, 1, por_status::cntr_blocked, true},
    {"no check accepts a lower counter", 0x0E19, 0x15, 0xB00010, 5, 2, por_status::ok, true},
    {"unknown TAR", 0x1619, 0x15, 0xB00099, 0, 1, por_status::tar_unknown, false},
    {"below the minimum security level", 0x1019, 0x15, 0xB00010, 0, 1,
     por_status::insufficient_security_level, false},
    {"unknown keyset", 0x1619, 0x45, 0xB00010, 0, 1, por_status::unidentified_security_error,
     false},
};

class por_status_table : public ::testing::TestWithParam<status_case> {};

TEST_P(por_status_table, card_answers_with_the_status) {
  const status_case& c = GetParam();
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  const std::uint8_t ks = c.kic_kid >> 4;
  if (c.stored) card.data().state().set_counter(ks, c.stored);
  // Keyset 4 does not exist: secure with keyset 1's keys.
  const bytes packet =
      command_packet(c.spi, c.kic_kid, c.tar, c.counter, hex("00a4000c023f00"),
                     &test::kic_of(ks < 4 ? ks : 1), &test::kid_of(ks < 4 ? ks : 1));
  const mt_outcome o = send(card, packet);
  ASSERT_EQ(o.result, mt_outcome::kind::ack);
  auto r = open_report(o, c.spi, ks < 4 ? c.kic_kid : 0x15);
  ASSERT_TRUE(r.valid) << r.failure.message;
  EXPECT_EQ(r.response.status, c.want);
  EXPECT_EQ(r.response.secured, c.secured);
  EXPECT_EQ(r.response.tar, c.tar);
  EXPECT_EQ(card.data().state().last_por_status(), static_cast<std::uint8_t>(c.want));
  if (c.want == por_status::ok) {
    EXPECT_EQ(to_hex(r.response.data), "019000");
    if (c.spi >> 8 != 0x0E) {
      EXPECT_EQ(card.data().state().counter(ks), c.counter);  // stored after the check
    } else {
      EXPECT_EQ(card.data().state().counter(ks), c.stored);  // no check: only a higher one
    }
  } else {
    EXPECT_TRUE(r.response.data.empty());
    EXPECT_EQ(card.data().state().counter(ks), c.stored);  // unchanged
  }
}

INSTANTIATE_TEST_SUITE_P(ota, por_status_table, ::testing::ValuesIn(status_cases),
                         [](const ::testing::TestParamInfo<status_case>& i) {
                           std::string n = i.param.name;
                           for (char& ch : n)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

TEST(ota_sms_pp, wrong_kid_key_gives_01_unsecured) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  const bytes wrong = hex("55555555555555556666666666666666");
  auto o = send(card, command_packet(0x1619, 0x15, 0xB00010, 1, hex("00a4000c023f00"),
                                     &test::ks1_kic, &wrong));
  auto r = open_report(o, 0x1619, 0x15);
  ASSERT_TRUE(r.valid) << r.failure.message;
  EXPECT_EQ(r.response.status, por_status::rc_cc_ds_failed);
  EXPECT_FALSE(r.response.secured);
  EXPECT_EQ(card.data().state().counter(1), 0u);
}

TEST(ota_sms_pp, ciphered_part_not_a_block_multiple_gives_05) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  bytes p = command_packet(0x1619, 0x15, 0xB00010, 1, hex("00a4000c023f00"));
  p.pop_back();  // 7 octets short of a 3DES block
  const auto cpl = static_cast<std::uint16_t>(p.size() - 2);
  p[0] = static_cast<std::uint8_t>(cpl >> 8);
  p[1] = static_cast<std::uint8_t>(cpl);
  auto o = send(card, p);
  auto r = open_report(o, 0x1619, 0x15);
  ASSERT_TRUE(r.valid) << r.failure.message;
  EXPECT_EQ(r.response.status, por_status::ciphering_error);
  EXPECT_FALSE(r.response.secured);
}

TEST(ota_sms_pp, reserved_spi_bits_give_06) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  bytes p = command_packet(0x1619, 0x15, 0xB00010, 1, hex("00a4000c023f00"));
  p[3] |= 0x80;  // SPI octet 1 b8 is reserved
  auto o = send(card, p);
  auto rep = tp::decode_deliver_report(o.deliver_report_tpdu, false);
  ASSERT_TRUE(rep.ok() && rep->ud);
  auto pkt = codec::response_from_tp_ud(*rep->ud);
  ASSERT_TRUE(pkt.ok());
  auto f = codec::decode_response_packet(*pkt);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->status, 0x06);
  EXPECT_TRUE(f->integrity.empty());
  EXPECT_EQ(f->tar, 0xB00010u);
}

TEST(ota_sms_pp, minimum_security_level_with_counter_and_ciphering) {
  card_profile profile = default_card_profile();
  for (auto& a : profile.applications)
    a.msl = *min_security_level::from_spi1(0x16);  // counter higher, ciphered, CC
  virtual_card card(test::test_identity(), {}, profile);
  // SPI 0619 (no counter) is below it.
  auto o = send(card, command_packet(0x0619, 0x15, 0xB00010, 1, hex("00a4000c023f00")));
  EXPECT_EQ(open_report(o, 0x0619, 0x15).response.status, por_status::insufficient_security_level);
  // SPI 1E19 (one higher) meets it.
  o = send(card, command_packet(0x1E19, 0x15, 0xB00010, 1, hex("00a4000c023f00")));
  EXPECT_EQ(open_report(o, 0x1E19, 0x15).response.status, por_status::ok);
  // Unciphered with a counter: below it.
  o = send(card, command_packet(0x1219, 0x15, 0xB00010, 2, hex("00a4000c023f00")));
  EXPECT_EQ(open_report(o, 0x1219, 0x15).response.status, por_status::insufficient_security_level);
}

TEST(ota_sms_pp, keysets_outside_the_application_list_are_unknown) {
  card_profile profile = default_card_profile();
  profile.applications[0].keysets = {2};
  virtual_card card(test::test_identity(), {}, profile);
  auto o = send(card, command_packet(0x1619, 0x15, 0xB00010, 1, hex("00a4000c023f00")));
  EXPECT_EQ(open_report(o, 0x1619, 0x15).response.status, por_status::unidentified_security_error);
  o = send(card, command_packet(0x1619, 0x22, 0xB00010, 1, hex("00a4000c023f00")));
  EXPECT_EQ(open_report(o, 0x1619, 0x22).response.status, por_status::ok);
}

// ---- PoR transport and modes -----------------------------------------------------------------

TEST(ota_sms_pp, por_by_sms_submit) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  // SPI2 39: PoR by SMS-SUBMIT (b6), ciphered, CC.
  auto o = send(card, command_packet(0x1639, 0x15, 0xB00010, 1, hex("00a4000c023f00")));
  ASSERT_EQ(o.result, mt_outcome::kind::ack);
  auto rep = tp::decode_deliver_report(o.deliver_report_tpdu, false);
  ASSERT_TRUE(rep.ok());
  EXPECT_FALSE(rep->ud.has_value());  // nothing in the report
  ASSERT_EQ(o.mo.size(), 1u);
  EXPECT_EQ(o.mo[0].from_msisdn, "467000000001");
  auto sub = tp::decode_submit(o.mo[0].submit_tpdu);
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(sub->da, test::ota_server());
  EXPECT_EQ(sub->pid, 0x7F);
  EXPECT_EQ(sub->dcs, 0xF6);
  EXPECT_TRUE(sub->udhi);
  EXPECT_EQ(to_hex(sub->ud).substr(0, 6), "027100");
  auto pkt = codec::response_from_tp_ud(sub->ud);
  ASSERT_TRUE(pkt.ok());
  auto r = secure::open_response(*pkt, por_security(0x1639, 0x15));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, por_status::ok);
  EXPECT_EQ(to_hex(r->data), "019000");
}

TEST(ota_sms_pp, long_por_goes_by_sms_submit_with_0b_in_the_report) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  // READ RECORD of EF.SMS: 176 octets of data, too long for a DELIVER-REPORT.
  const bytes script =
      hex("00a4080c047fff6f3c"
          "00b20104b0");
  auto o = send(card, command_packet(0x1619, 0x15, 0xB00010, 1, script));
  auto r = open_report(o, 0x1619, 0x15);
  ASSERT_TRUE(r.valid) << r.failure.message;
  EXPECT_EQ(r.response.status, por_status::response_by_sms_submit);
  ASSERT_EQ(o.mo.size(), 2u);  // concatenated
  codec::packet_reassembler ra;
  std::optional<codec::reassembled_packet> full;
  for (const auto& m : o.mo) {
    auto sub = tp::decode_submit(m.submit_tpdu);
    ASSERT_TRUE(sub.ok());
    auto part = ra.add("card", sub->ud);
    ASSERT_TRUE(part.ok()) << part.error().message;
    if (*part) full = **part;
  }
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->kind, codec::packet_kind::response);
  auto por = secure::open_response(full->packet, por_security(0x1619, 0x15));
  ASSERT_TRUE(por.ok()) << por.error().message;
  EXPECT_EQ(por->status, por_status::ok);
  auto resp = codec::decode_compact_response(por->data);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->executed, 2);
  EXPECT_EQ(resp->last_sw, 0x9000);
  EXPECT_EQ(resp->last_data.size(), 176u);
  EXPECT_EQ(card.data().state().last_por_status(), 0x00);
}

TEST(ota_sms_pp, por_none_and_on_error_only) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  // SPI2 00: no PoR even on success.
  auto o = send(card, command_packet(0x1600, 0x15, 0xB00010, 1, hex("00a4000c023f00")));
  auto rep = tp::decode_deliver_report(o.deliver_report_tpdu, false);
  ASSERT_TRUE(rep.ok());
  EXPECT_FALSE(rep->ud.has_value());
  EXPECT_TRUE(o.mo.empty());
  EXPECT_EQ(card.data().state().last_por_status(), 0x00);
  // SPI2 1A: on error only. Success: nothing.
  o = send(card, command_packet(0x161A, 0x15, 0xB00010, 2, hex("00a4000c023f00")));
  rep = tp::decode_deliver_report(o.deliver_report_tpdu, false);
  ASSERT_TRUE(rep.ok());
  EXPECT_FALSE(rep->ud.has_value());
  // Replay: a PoR with 02.
  o = send(card, command_packet(0x161A, 0x15, 0xB00010, 2, hex("00a4000c023f00")));
  EXPECT_EQ(open_report(o, 0x161A, 0x15).response.status, por_status::cntr_low);
}

// ---- concatenation ---------------------------------------------------------------------------

TEST(ota_sms_pp, concatenated_command_of_three_sms_out_of_order) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  bytes rec1(176, 0x11), rec2(176, 0x22);
  // B00011 starts in ADF.USIM: SELECT EF.SMS by FID keeps the packet within 3 SMs.
  bytes script =
      hex("00a4000c026f3c"
          "00dc0104b0");
  script.insert(script.end(), rec1.begin(), rec1.end());
  const bytes upd2 = hex("00dc0204b0");
  script.insert(script.end(), upd2.begin(), upd2.end());
  script.insert(script.end(), rec2.begin(), rec2.end());
  const bytes packet = command_packet(0x1619, 0x15, 0xB00011, 1, script);
  auto sms = command_sms(packet, 0x42);
  ASSERT_EQ(sms.size(), 3u);
  auto o3 = card.receive_sms(sms[2]);
  auto o1 = card.receive_sms(sms[0]);
  for (const auto* o : {&o3, &o1}) {
    EXPECT_EQ(o->result, mt_outcome::kind::ack);
    auto rep = tp::decode_deliver_report(o->deliver_report_tpdu, false);
    ASSERT_TRUE(rep.ok());
    EXPECT_FALSE(rep->ud.has_value());  // waiting for the other parts
  }
  auto o2 = card.receive_sms(sms[1]);
  auto r = open_report(o2, 0x1619, 0x15);
  ASSERT_TRUE(r.valid) << r.failure.message;
  EXPECT_EQ(r.response.status, por_status::ok);
  EXPECT_EQ(to_hex(r.response.data), "039000");
  namespace ts = codec::ts31102;
  const bytes sms_file = card.data().content(ts::fid::adf_usim, *ts::find_ef(0x7FFF, 0x6F3C));
  EXPECT_EQ(bytes(sms_file.begin(), sms_file.begin() + 176), rec1);
  EXPECT_EQ(bytes(sms_file.begin() + 176, sms_file.begin() + 352), rec2);
}

// ---- scripts ---------------------------------------------------------------------------------

TEST(ota_sms_pp, expanded_script_answers_with_ab) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  // AA { 22 SELECT 7FFF/6F07 by path (no data), 22 READ BINARY Le 09 }.
  const bytes script =
      hex("aa12"
          "2209"
          "00a4080c047fff6f07"
          "2205"
          "00b0000009");
  auto o = send(card, command_packet(0x1619, 0x15, 0xB00010, 1, script));
  auto r = open_report(o, 0x1619, 0x15);
  ASSERT_TRUE(r.valid) << r.failure.message;
  auto resp = codec::decode_expanded_response(r.response.data);
  ASSERT_TRUE(resp.ok()) << to_hex(r.response.data);
  EXPECT_EQ(resp->executed, 2);
  auto rs = resp->responses();
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].sw, 0x9000);
  EXPECT_EQ(rs[1].sw, 0x9000);
  EXPECT_EQ(to_hex(rs[1].data), "080910100000000010");
}

TEST(ota_sms_pp, expanded_script_with_a_bad_tlv_reports_bad_format) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  // One good C-APDU, then an unknown tag 99.
  const bytes script =
      hex("aa0e"
          "2209"
          "00a4080c047fff6f07"
          "9901"
          "00");
  auto o = send(card, command_packet(0x1619, 0x15, 0xB00010, 1, script));
  auto r = open_report(o, 0x1619, 0x15);
  ASSERT_TRUE(r.valid) << r.failure.message;
  auto resp = codec::decode_expanded_response(r.response.data);
  ASSERT_TRUE(resp.ok()) << to_hex(r.response.data);
  EXPECT_EQ(resp->executed, 1);
  EXPECT_EQ(resp->bad_format_code(), codec::bad_format::unknown_tag);
}

TEST(ota_sms_pp, compact_script_stops_at_the_first_error) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  // SELECT 6F07 from the MF fails (6A82); the READ BINARY after it is not executed.
  const bytes script =
      hex("00a4000c026f07"
          "00b0000009");
  auto o = send(card, command_packet(0x1619, 0x15, 0xB00010, 1, script));
  auto r = open_report(o, 0x1619, 0x15);
  EXPECT_EQ(to_hex(r.response.data), "016a82");
  // A command cut short counts as executed with 6700.
  o = send(card, command_packet(0x1619, 0x15, 0xB00010, 2,
                                hex("00a4000c023f00"
                                    "00d60000")));
  r = open_report(o, 0x1619, 0x15);
  EXPECT_EQ(to_hex(r.response.data), "026700");
}

TEST(ota_sms_pp, rfm_usim_starts_in_the_adf_and_has_adm_rights) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  // B00001 starts in ADF.USIM: 6F46 (EF.SPN, update ADM) is selectable directly.
  const bytes script =
      hex("00a4000c026f46"
          "00d6000001"
          "00");
  auto o = send(card, command_packet(0x1619, 0x15, 0xB00001, 1, script));
  EXPECT_EQ(to_hex(open_report(o, 0x1619, 0x15).response.data), "029000");
  // B00010 starts at the MF.
  o = send(card, command_packet(0x1619, 0x15, 0xB00010, 2, hex("00a4000c026f46")));
  EXPECT_EQ(to_hex(open_report(o, 0x1619, 0x15).response.data), "016a82");
}

TEST(ota_sms_pp, rights_follow_the_profile) {
  card_profile profile = default_card_profile();
  profile.applications[0].rights = access_level::pin1;
  virtual_card card(test::test_identity(), {}, profile);
  auto o = send(card, command_packet(0x1619, 0x15, 0xB00010, 1,
                                     hex("00a4080c047fff6f46"
                                         "00d6000001"
                                         "00")));
  EXPECT_EQ(to_hex(open_report(o, 0x1619, 0x15).response.data), "026982");
}

TEST(ota_sms_pp, ram_application_runs_on_the_isd) {
  // A RAM application on another TAR of a custom profile reaches the same ISD: INSTALL with
  // P3 00 (no data) is a wrong length (card_isd_test.cpp covers the commands).
  card_profile profile = default_card_profile();
  profile.applications.push_back(
      {"ram", 0xB20100, 0xB20100, app_kind::ram, access_level::adm, {}, {}});
  virtual_card card(test::test_identity(), {}, profile);
  auto o = send(card, command_packet(0x1619, 0x15, 0xB20100, 1, hex("80e60c0000")));
  auto r = open_report(o, 0x1619, 0x15);
  EXPECT_EQ(r.response.status, por_status::ok);
  EXPECT_EQ(to_hex(r.response.data), "016700");
}

// ---- the ME ----------------------------------------------------------------------------------

TEST(ota_sms_pp, ordinary_messages_do_not_reach_the_card) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  const bytes ud =
      test::cat(hex("027000"), command_packet(0x1619, 0x15, 0xB00010, 1, hex("00a4000c023f00")));
  // DCS 04 (8-bit, no class) and PID 00 are ordinary SMs: RP-ACK, the card sees nothing.
  for (const auto& sm : {test::sms_deliver(ud, 0x04), test::sms_deliver(ud, 0xF6, 0x00)}) {
    auto o = card.receive_sms(sm);
    EXPECT_EQ(o.result, mt_outcome::kind::ack);
    EXPECT_EQ(to_hex(o.deliver_report_tpdu), "0000");
  }
  EXPECT_FALSE(card.data().state().last_por_status().has_value());
  // DCS 16 (class 2, group 00xx) reaches it.
  auto o = card.receive_sms(test::sms_deliver(ud, 0x16));
  EXPECT_EQ(open_report(o, 0x1619, 0x15).response.status, por_status::ok);
}

TEST(ota_sms_pp, download_error_gives_rp_error_d5) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  // A concatenation IE with total 0 cannot be reassembled: the card answers 6F00.
  auto o =
      card.receive_sms(test::sms_deliver(hex("0700030700017000"
                                             "0001")));
  EXPECT_EQ(o.result, mt_outcome::kind::error);
  EXPECT_EQ(o.fcs, 0xD5);
  auto rep = tp::decode_deliver_report(o.deliver_report_tpdu, true);
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->fcs, 0xD5);
  // An SM without a UDH: not a packet, accepted silently.
  o = card.receive_sms(test::sms_deliver(hex("0102030405"), 0xF6, 0x7F, false));
  EXPECT_EQ(o.result, mt_outcome::kind::ack);
}

TEST(ota_sms_pp, me_reactions_to_the_envelope_status) {
  const struct {
    std::uint16_t sw;
    mt_outcome::kind result;
    std::uint8_t fcs;
  } cases[] = {
      {0x9300, mt_outcome::kind::error, 0xD4},  // toolkit busy
      {0x6F00, mt_outcome::kind::error, 0xD5},  // data download error
      {0x6A80, mt_outcome::kind::error, 0xD5},
      {0x6200, mt_outcome::kind::ack, 0},  // Rel-11+ ME: warnings are RP-ACK
      {0x63C1, mt_outcome::kind::ack, 0},
  };
  const bytes packet = command_packet(0x1619, 0x15, 0xB00010, 1, hex("00a4000c023f00"));
  for (const auto& c : cases) {
    card_profile profile = default_card_profile();
    profile.envelope_status = c.sw;
    virtual_card card(test::test_identity(), {}, profile);
    auto o = send(card, packet);
    EXPECT_EQ(o.result, c.result) << std::hex << c.sw;
    if (c.result == mt_outcome::kind::error) {
      EXPECT_EQ(o.fcs, c.fcs);
      auto rep = tp::decode_deliver_report(o.deliver_report_tpdu, true);
      ASSERT_TRUE(rep.ok());
      EXPECT_EQ(rep->fcs, c.fcs);
    }
    EXPECT_FALSE(card.data().state().last_por_status().has_value());
  }
}

TEST(ota_sms_pp, concatenation_with_a_16_bit_reference) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  bytes script =
      hex("00a4000c026f3c"
          "00dc0104b0");
  script.insert(script.end(), 176, 0x5A);
  const bytes packet = command_packet(0x1619, 0x15, 0xB00011, 1, script);
  codec::concat_options opts;
  opts.reference = 0x1234;
  opts.ref16 = true;
  auto uds = codec::command_to_tp_ud(packet, opts);
  ASSERT_TRUE(uds.ok());
  ASSERT_EQ(uds->size(), 2u);
  EXPECT_EQ(to_hex((*uds)[1]).substr(0, 8), "06080412");
  auto o = card.receive_sms(test::sms_deliver((*uds)[1]));
  o = card.receive_sms(test::sms_deliver((*uds)[0]));
  EXPECT_EQ(to_hex(open_report(o, 0x1619, 0x15).response.data), "029000");
}

// ---- the ENVELOPE interface ------------------------------------------------------------------

TEST(ota_sms_pp, envelope_answers_61xx_then_get_response) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  const bytes packet = hex("00201506193535b00011ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f");
  auto env =
      sms_pp_envelope_data(test::sms_deliver(test::cat(hex("027000"), packet)), test::ota_server());
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(to_hex(*env).substr(0, 2), "d1");
  EXPECT_EQ(to_hex(*env).substr(4, 10), "8202838186");
  auto r = card.transmit(codec::command_apdu{0x80, 0xC2, 0, 0, *env, {}});
  EXPECT_EQ(r.sw, 0x6121);  // 02 71 00 + RPL 001c: 33 octets
  auto g = card.transmit(codec::command_apdu{0x00, 0xC0, 0, 0, {}, 0x21});
  EXPECT_EQ(g.sw, 0x9000);
  EXPECT_EQ(to_hex(g.data).substr(0, 18), "027100001c12b00011");
}

TEST(ota_sms_pp, envelope_with_sim_status_words) {
  card_profile profile = default_card_profile();
  profile.sim_response_sw = true;
  virtual_card card(test::test_identity(), {}, profile);
  auto o = send(card, command_packet(0x1619, 0x15, 0xB00010, 1, hex("00a4000c023f00")));
  EXPECT_EQ(open_report(o, 0x1619, 0x15).response.status, por_status::ok);
}

TEST(ota_sms_pp, malformed_envelopes) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  const struct {
    const char* data;
    std::uint16_t sw;
  } cases[] = {
      {"d1", 0x6A80},                    // truncated BER-TLV
      {"d6028202", 0x6A80},              // not SMS-PP download
      {"d10482028381", 0x6A80},          // no SMS TPDU
      {"d1058203838101", 0x6A80},        // device identities of 3 octets
      {"d108820283818b0240ff", 0x6F00},  // TPDU that is no SMS-DELIVER
      {"d10482028381ff", 0x6A80},        // trailing octet
  };
  for (const auto& c : cases) {
    auto r = card.transmit(codec::command_apdu{0x80, 0xC2, 0, 0, hex(c.data), {}});
    EXPECT_EQ(r.sw, c.sw) << c.data;
  }
  EXPECT_EQ(card.transmit(codec::command_apdu{0x00, 0xC2, 0, 0, hex("d100"), {}}).sw, 0x6E00);
  EXPECT_EQ(card.transmit(codec::command_apdu{0x80, 0xC2, 1, 0, hex("d100"), {}}).sw, 0x6B00);
  EXPECT_EQ(card.transmit(codec::command_apdu{0x80, 0x12, 0, 0, {}, 16}).sw, 0x6985);
}

TEST(ota_sms_pp, proactive_send_short_message_flow) {
  const card_profile profile = default_card_profile();
  virtual_card card(test::test_identity(), {}, profile);
  const bytes packet = command_packet(0x1639, 0x15, 0xB00010, 1, hex("00a4000c023f00"));
  auto env = sms_pp_envelope_data(command_sms(packet)[0], std::nullopt);
  ASSERT_TRUE(env.ok());
  auto r = card.transmit(codec::command_apdu{0x80, 0xC2, 0, 0, *env, {}});
  ASSERT_EQ(r.sw1(), 0x91);
  auto f = card.transmit(codec::command_apdu{0x80, 0x12, 0, 0, {}, r.sw2()});
  ASSERT_EQ(f.sw, 0x9000);
  EXPECT_EQ(to_hex(f.data).substr(0, 2), "d0");
  EXPECT_NE(to_hex(f.data).find("8103011300"
                                "82028183"),
            std::string::npos);
  auto t =
      card.transmit(codec::command_apdu{0x80, 0x14, 0, 0, hex("810301130082028281830100"), {}});
  EXPECT_EQ(t.sw, 0x9000);
}

}  // namespace
}  // namespace otaflow::sim
