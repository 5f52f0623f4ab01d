// TS 31.102 EF codecs: spec vectors (source in each row), hand-built rows (the clause they
// were built from), truncation / bad value rows, rapidcheck round trips, default contents.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "codec/ts31102_ef.hpp"
#include "codec/ts31102_files.hpp"

namespace otaflow::codec::ts31102 {
namespace {

// Hex with optional spaces, for readable rows.
bytes H(std::string s) {
  std::erase(s, ' ');
  return hex(s);
}

template <class F>
std::string enc(F&& f) {
  byte_writer w;
  const status st = f(w);
  EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().describe());
  return to_hex(w.data());
}

bool is(const error& e, errc c) {
  return e.code == make_error_code(c);
}

// ---------------------------------------------------------------------------------------
// PLMN
// ---------------------------------------------------------------------------------------

struct plmn_row {
  const char* source;
  const char* hex;
  plmn p;
};
const plmn_row k_plmns[] = {
    {"TS 31.121 7.2.1.5 (docs/standards/ts31102-files.md §3)", "421480", {"244", "081"}},
    {"TS 31.121 7.2.1.5 (docs/standards/ts31102-files.md §3)", "65f720", {"567", "02"}},
    {"TS 31.102 4.2.16 example", "42f618", {"246", "81"}},
    {"pySim ts_51_011 EF_PLMNsel test", "22f860", {"228", "06"}},
    {"pySim ts_51_011 EF_PLMNsel test", "330420", {"334", "020"}},
};

TEST(plmn, table) {
  for (const auto& r : k_plmns) {
    auto p = decode_plmn(hex(r.hex));
    ASSERT_TRUE(p.ok()) << r.source;
    EXPECT_EQ(*p, r.p) << r.source;
    EXPECT_EQ(enc([&](byte_writer& w) { return encode_plmn(r.p, w); }), r.hex) << r.source;
  }
}

TEST(plmn, bad_inputs) {
  EXPECT_TRUE(is(decode_plmn(H("42 14")).error(), errc::truncated));
  EXPECT_TRUE(is(decode_plmn(H("4a 14 80")).error(), errc::bad_value));  // MCC2 = A
  EXPECT_TRUE(is(decode_plmn(H("42 a4 80")).error(), errc::bad_value));  // MNC3 = A
  EXPECT_TRUE(is(decode_plmn(H("42 14 8f")).error(), errc::bad_value));  // MNC1 = F
  EXPECT_TRUE(is(decode_plmn(H("ff ff ff")).error(), errc::bad_value));  // empty slot
  byte_writer w;
  EXPECT_FALSE(encode_plmn({"24", "081"}, w).ok());
  EXPECT_FALSE(encode_plmn({"244", "1"}, w).ok());
  EXPECT_FALSE(encode_plmn({"24x", "01"}, w).ok());
  EXPECT_EQ(w.size(), 0u);
  auto e = decode_plmn_entry(H("ff ff ff"));
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->has_value());
}

TEST(plmn, from_imsi) {
  EXPECT_EQ(*plmn_from_imsi("244081234567890", 3), (plmn{"244", "081"}));
  EXPECT_EQ(*plmn_from_imsi("56702123456789", 2), (plmn{"567", "02"}));
  EXPECT_FALSE(plmn_from_imsi("2440", 2).ok());
  EXPECT_FALSE(plmn_from_imsi("244081234567890", 4).ok());
}

// ---------------------------------------------------------------------------------------
// PLMN with AcT lists, FPLMN
// ---------------------------------------------------------------------------------------

// Built from TS 31.102 §4.2.5 (PLMN + 2 AcT bytes, byte 1 b8 UTRAN, b7 E-UTRAN, byte 2 b8
// GSM) and the PLMN vectors above.
TEST(plmn_act, table) {
  const bytes data = H("421480 8000  65f720 4080  ffffff 0000  22f860 0880");
  auto l = decode_plmn_act_list(data);
  ASSERT_TRUE(l.ok()) << l.error().describe();
  ASSERT_EQ(l->size(), 4u);
  EXPECT_EQ((*l)[0], (plmn_act{plmn{"244", "081"}, act::utran}));
  EXPECT_EQ((*l)[1], (plmn_act{plmn{"567", "02"}, act::eutran | act::gsm}));
  EXPECT_EQ((*l)[2], (plmn_act{std::nullopt, 0}));
  EXPECT_EQ((*l)[3], (plmn_act{plmn{"228", "06"}, act::ngran | act::gsm}));
  EXPECT_EQ(enc([&](byte_writer& w) { return encode_plmn_act_list(*l, 0, w); }), to_hex(data));
}

TEST(plmn_act, pads_to_file_size) {
  const plmn_act_list l{{plmn{"244", "081"}, act::utran}};
  EXPECT_EQ(enc([&](byte_writer& w) { return encode_plmn_act_list(l, 15, w); }),
            "4214808000ffffff0000ffffff0000");
  byte_writer w;
  EXPECT_TRUE(is(encode_plmn_act_list(l, 4, w).error(), errc::too_long));
  EXPECT_TRUE(is(encode_plmn_act_list(l, 12, w).error(), errc::too_long));
}

TEST(plmn_act, bad_lengths_and_values) {
  for (const char* h : {"", "42148080", "4214808000ff"})
    EXPECT_TRUE(is(decode_plmn_act_list(H(h)).error(), errc::bad_length)) << h;
  auto e = decode_plmn_act_list(H("4214808000 4a14808000"));
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(is(e.error(), errc::bad_value));
  EXPECT_NE(e.error().message.find("entry 2"), std::string::npos) << e.error().message;
}

// TS 31.102 §4.2.16: 246/81 stored as PLMN 3 is '42 F6 18' in bytes 7 to 9, unused 'FF';
// 'FFFFFF' may sit anywhere and is not the end of the list.
TEST(fplmn, spec_example_and_holes) {
  auto l = decode_fplmn(H("ffffff ffffff 42f618 ffffff"));
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->size(), 4u);
  EXPECT_FALSE((*l)[0]);
  EXPECT_FALSE((*l)[1]);
  EXPECT_EQ((*l)[2], (plmn{"246", "81"}));
  EXPECT_FALSE((*l)[3]);
  const fplmn_list holes{std::nullopt, plmn{"567", "02"}, std::nullopt, plmn{"244", "081"}};
  EXPECT_EQ(enc([&](byte_writer& w) { return encode_fplmn(holes, 0, w); }),
            "ffffff65f720ffffff421480");
  EXPECT_EQ(enc([&](byte_writer& w) {
              return encode_fplmn({plmn{"246", "81"}}, 12, w);
            }),
            "42f618ffffffffffffffffff");
  for (const char* h : {"", "42f6", "42f618ff"})
    EXPECT_TRUE(is(decode_fplmn(H(h)).error(), errc::bad_length)) << h;
  byte_writer w;
  EXPECT_TRUE(is(encode_fplmn(holes, 9, w).error(), errc::too_long));
}

// ---------------------------------------------------------------------------------------
// IMSI
// ---------------------------------------------------------------------------------------

struct imsi_row {
  const char* source;
  const char* hex;
  const char* digits;
};
const imsi_row k_imsis[] = {
    {"pySim ts_51_011 EF_IMSI test", "082982608200002080", "228062800000208"},
    {"pySim ts_51_011 EF_IMSI test", "082926101160845740", "262011106487504"},
    // Built from TS 31.102 §4.2.2: 14 digits, parity even, last high nibble F.
    {"31.102 4.2.2 (hand-built)", "080110102143658 7f9", "00101123456789"},
    // 6 digits: 4 bytes used, then 'FF'.
    {"31.102 4.2.2 (hand-built)", "04011010f0ffffffff", "001010"},
};

TEST(imsi, table) {
  for (const auto& r : k_imsis) {
    auto d = decode_imsi(H(r.hex));
    ASSERT_TRUE(d.ok()) << r.source << ": " << d.error().describe();
    EXPECT_EQ(*d, r.digits);
    std::string want = r.hex;
    std::erase(want, ' ');
    EXPECT_EQ(enc([&](byte_writer& w) { return encode_imsi(r.digits, w); }), want);
  }
}

TEST(imsi, bad_inputs) {
  const bytes good = H("082982608200002080");
  for (std::size_t n = 0; n < good.size(); ++n)
    EXPECT_TRUE(is(decode_imsi(byte_view(good).first(n)).error(), errc::truncated)) << n;
  EXPECT_TRUE(is(decode_imsi(H("092982608200002080")).error(), errc::bad_value));  // length 9
  EXPECT_TRUE(is(decode_imsi(H("002982608200002080")).error(), errc::bad_value));  // length 0
  EXPECT_TRUE(is(decode_imsi(H("082a82608200002080")).error(), errc::bad_value));  // type 010
  EXPECT_TRUE(is(decode_imsi(H("082182608200002080")).error(), errc::bad_value));  // even parity
  EXPECT_TRUE(is(decode_imsi(H("0829826082000020a0")).error(), errc::bad_value));  // digit A
  EXPECT_TRUE(is(decode_imsi(H("ffffffffffffffffff")).error(), errc::bad_value));  // erased
  byte_writer w;
  EXPECT_FALSE(encode_imsi("12345", w).ok());
  EXPECT_FALSE(encode_imsi("1234567890123456", w).ok());
  EXPECT_FALSE(encode_imsi("22806280000020x", w).ok());
}

RC_GTEST_PROP(imsi, round_trip, ()) {
  const auto n = *rc::gen::inRange<std::size_t>(6, 16);
  const auto digits =
      *rc::gen::container<std::string>(n, rc::gen::inRange('0', static_cast<char>('9' + 1)));
  byte_writer w;
  RC_ASSERT(encode_imsi(digits, w).ok());
  RC_ASSERT(w.size() == 9u);
  auto d = decode_imsi(w.data());
  RC_ASSERT(d.ok());
  RC_ASSERT(*d == digits);
}

// ---------------------------------------------------------------------------------------
// Alpha fields and EF.SPN
// ---------------------------------------------------------------------------------------

struct spn_row {
  const char* source;
  const char* hex;
  ef_spn spn;
  bool encodes;  // false for the decode-only UCS2 '81' / '82' forms
};
const spn_row k_spns[] = {
    {"pySim ts_51_011 EF_SPN test",
     "0147534d2d52204348ffffffffffffffff",
     {true, false, {"GSM-R CH", alpha_coding::gsm7}},
     true},
    // 31.102 4.2.12 + TS 23.038 6.2.1: escape 1B 65 is the euro sign, 10 is Delta, 02 '$'.
    {"23.038 6.2.1 (hand-built)",
     "021b651002ffffffffffffffffffffffff",
     {false, true, {"\u20ac\u0394$", alpha_coding::gsm7}},
     true},
    {"102 221 Annex A '80' (hand-built)",
     "03800054006500"
     "6c00650032ffffffffff",
     {true, true, {"Tele2", alpha_coding::ucs2_80}},
     true},
    // TS 102 221 Annex A example 3: '82' 05 0530 then 2D (GSM "-"), 82 (0530 + 02),
    // D3 (0530 + 53), 2D ("-"), 31 (b8 = 0: GSM "1").
    {"102 221 Annex A example 3",
     "0082050530"
     "2d82d32d31"
     "ffffffffffffff",
     {false, false, {"-\u0532\u0583-1", alpha_coding::ucs2_82}},
     false},
    // '81': base 13 << 7 = 0980; 53 is GSM 'S', 95 = 0980 + 15, A6 = 0980 + 26.
    {"102 221 Annex A '81' (hand-built)",
     "0081031353"
     "95a6"
     "ffffffffffffffffffff",
     {false, false, {"S\u0995\u09a6", alpha_coding::ucs2_81}},
     false},
    {"empty name",
     "00ffffffffffffffffffffffffffffffff",
     {false, false, {"", alpha_coding::gsm7}},
     true},
};

TEST(spn, table) {
  for (const auto& r : k_spns) {
    auto s = decode_spn(H(r.hex));
    ASSERT_TRUE(s.ok()) << r.source << ": " << s.error().describe();
    EXPECT_EQ(*s, r.spn) << r.source << ": got \"" << s->name.utf8 << "\"";
    if (r.encodes) {
      std::string want = r.hex;
      std::erase(want, ' ');
      EXPECT_EQ(enc([&](byte_writer& w) { return encode_spn(r.spn, w); }), want) << r.source;
    }
  }
}

TEST(spn, bad_inputs) {
  const bytes good = H("0147534d2d52204348ffffffffffffffff");
  for (std::size_t n = 0; n < good.size(); ++n)
    EXPECT_TRUE(is(decode_spn(byte_view(good).first(n)).error(), errc::truncated)) << n;
  EXPECT_TRUE(is(decode_spn(H("0447534d2d52204348ffffffffffffffff")).error(), errc::bad_value));
  EXPECT_TRUE(is(decode_spn(H("0147c14d2d52204348ffffffffffffffff")).error(), errc::bad_value));
  // '81' announcing more characters than the field holds.
  EXPECT_TRUE(is(decode_spn(H("00811013539500000000000000000000ff")).error(), errc::bad_length));
  byte_writer w;
  EXPECT_TRUE(is(encode_spn({false, false, {"12345678901234567", alpha_coding::gsm7}}, w).error(),
                 errc::too_long));
  EXPECT_TRUE(is(encode_spn({false, false, {"12345678", alpha_coding::ucs2_80}}, w).error(),
                 errc::too_long));
  EXPECT_TRUE(
      is(encode_spn({false, false, {"\u00e7a", alpha_coding::gsm7}}, w).error(), errc::bad_value));
  EXPECT_TRUE(
      is(encode_spn({false, false, {"x", alpha_coding::ucs2_81}}, w).error(), errc::unsupported));
  EXPECT_TRUE(
      is(encode_spn({false, false, {"\xff", alpha_coding::gsm7}}, w).error(), errc::bad_value));
  EXPECT_EQ(w.size(), 0u);
}

RC_GTEST_PROP(spn, round_trip_gsm7, ()) {
  // Printable ASCII that the default alphabet carries one-to-one (no '`', which is not in
  // the GSM alphabet) plus a few extension characters.
  const std::string pool = "@$_!\"#%&'()*+,-./0123456789:;<=>?ABCXYZabcxyz ^{}\\[~]|";
  const auto n = *rc::gen::inRange<std::size_t>(0, 9);
  std::string s;
  for (std::size_t i = 0; i < n; ++i)
    s.push_back(pool[*rc::gen::inRange<std::size_t>(0, pool.size())]);
  const ef_spn spn{
      *rc::gen::arbitrary<bool>(), *rc::gen::arbitrary<bool>(), {s, alpha_coding::gsm7}};
  byte_writer w;
  RC_ASSERT(encode_spn(spn, w).ok());
  RC_ASSERT(w.size() == spn_size);
  auto d = decode_spn(w.data());
  RC_ASSERT(d.ok());
  RC_ASSERT(*d == spn);
}

// ---------------------------------------------------------------------------------------
// ACC, HPPLMN
// ---------------------------------------------------------------------------------------

// pySim ts_51_011 EF_ACC tests: 0000, 0001 (ACC 0), 0002 (ACC 1), 0100 (ACC 8),
// 8000 (ACC 15), 802b (ACC 0, 1, 3, 5, 15).
TEST(acc, table) {
  const std::pair<const char*, std::uint16_t> rows[] = {
      {"0000", 0},        {"0001", 1u << 0},
      {"0002", 1u << 1},  {"0100", 1u << 8},
      {"8000", 1u << 15}, {"802b", (1u << 0) | (1u << 1) | (1u << 3) | (1u << 5) | (1u << 15)}};
  for (const auto& [h, v] : rows) {
    auto a = decode_acc(hex(h));
    ASSERT_TRUE(a.ok()) << h;
    EXPECT_EQ(*a, v) << h;
    EXPECT_EQ(enc([&](byte_writer& w) { return encode_acc(v, w); }), h);
  }
  EXPECT_TRUE(is(decode_acc(H("04 00")).error(), errc::bad_value));  // ACC 10
  EXPECT_TRUE(is(decode_acc(H("01")).error(), errc::truncated));
  byte_writer w;
  EXPECT_FALSE(encode_acc(1u << 10, w).ok());
  EXPECT_EQ(acc_for_imsi("228062800000208"), 1u << 8);
  EXPECT_EQ(acc_for_imsi("228062800000200"), 1u << 0);
}

TEST(hpplmn, units_of_six_minutes) {
  EXPECT_EQ(*decode_hpplmn(H("05")), 5);  // pySim ts_31_102 EF_HPPLMN test
  EXPECT_EQ(hpplmn_minutes(0x05), 30u);
  EXPECT_EQ(hpplmn_minutes(0x00), 0u);    // no search
  EXPECT_EQ(hpplmn_minutes(0x50), 480u);  // 8 hours, the maximum
  EXPECT_FALSE(hpplmn_minutes(0x51));     // ME default
  EXPECT_EQ(*hpplmn_from_minutes(60), 0x0A);
  EXPECT_FALSE(hpplmn_from_minutes(61).ok());
  EXPECT_FALSE(hpplmn_from_minutes(486).ok());
  EXPECT_TRUE(is(decode_hpplmn({}).error(), errc::truncated));
  byte_writer w;
  encode_hpplmn(0x0A, w);
  EXPECT_EQ(to_hex(w.data()), "0a");
}

// ---------------------------------------------------------------------------------------
// LOCI
// ---------------------------------------------------------------------------------------

TEST(loci, pysim_vector) {
  // pySim ts_51_011 EF_LOCI test: TMSI 78025702, LAI 22f810 0978, status updated.
  const bytes data = H("78025702 22f810 0978 00 00");
  auto l = decode_loci(data);
  ASSERT_TRUE(l.ok()) << l.error().describe();
  EXPECT_EQ(l->tmsi, 0x78025702u);
  EXPECT_EQ(l->lai.id, (plmn{"228", "01"}));
  EXPECT_EQ(l->lai.lac, 0x0978);
  EXPECT_EQ(l->rfu, 0x00);
  EXPECT_EQ(l->status, lu_status::updated);
  EXPECT_EQ(enc([&](byte_writer& w) { return encode_loci(*l, w); }), to_hex(data));
}

TEST(loci, reset_value) {
  EXPECT_EQ(enc([](byte_writer& w) { return encode_loci(loci_reset(), w); }),
            "ffffffffffffff"
            "fffe"
            "ff"
            "01");
  EXPECT_EQ(enc([](byte_writer& w) {
              return encode_loci(loci_reset(plmn{"244", "081"}), w);
            }),
            "ffffffff421480"
            "fffe"
            "ff"
            "01");
  auto l = decode_loci(H("ffffffff ffffff fffe ff 01"));
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(*l, loci_reset());
}

TEST(loci, bad_inputs) {
  const bytes good = H("78025702 22f810 0978 00 00");
  for (std::size_t n = 0; n < good.size(); ++n)
    EXPECT_TRUE(is(decode_loci(byte_view(good).first(n)).error(), errc::truncated)) << n;
  EXPECT_TRUE(is(decode_loci(H("78025702 22f810 0978 00 04")).error(), errc::bad_value));
  EXPECT_TRUE(is(decode_loci(H("78025702 2af810 0978 00 00")).error(), errc::bad_value));
  // RFU bits b8..b4 of the status are ignored.
  EXPECT_EQ(decode_loci(H("78025702 22f810 0978 00 f9"))->status, lu_status::not_updated);
}

// ---------------------------------------------------------------------------------------
// SMSP
// ---------------------------------------------------------------------------------------

TEST(smsp, hand_built_record) {
  // TS 31.102 §4.2.27 with Y = 12: alpha "SMSC"; indicators E1 (DA absent, b8..b6 = 1);
  // TS-SCA per TS 24.011 §8.2.5.1: 7 octets, TON/NPI 91, 447785016005; PID 00, DCS 00,
  // VP A7 (24 h, TS 23.040 §9.2.3.12.1).
  const bytes rec =
      H("534d5343ffffffffffffffff e1 ffffffffffffffffffffffff"
        "0791447758100650ffffffff 00 00 a7");
  auto s = decode_smsp(rec);
  ASSERT_TRUE(s.ok()) << s.error().describe();
  EXPECT_EQ(s->alpha.utf8, "SMSC");
  EXPECT_FALSE(s->destination);
  ASSERT_TRUE(s->service_centre);
  EXPECT_EQ(s->service_centre->ton_npi, 0x91);
  EXPECT_EQ(s->service_centre->digits, "447785016005");
  EXPECT_EQ(s->pid, 0x00);
  EXPECT_EQ(s->dcs, 0x00);
  EXPECT_EQ(s->vp, 0xA7);
  EXPECT_EQ(enc([&](byte_writer& w) { return encode_smsp(*s, rec.size(), w); }), to_hex(rec));
}

TEST(smsp, destination_counts_digits) {
  // TP-DA per TS 23.040 §9.1.2.5: length 05 = digits, TON/NPI 81, 21 43 F5; Y = 0.
  ef_smsp s;
  s.destination = sms_address{0x81, "12345"};
  const std::string h = enc([&](byte_writer& w) { return encode_smsp(s, 28, w); });
  EXPECT_EQ(h,
            "fe"
            "058121"
            "43f5ffffffffffffff"
            "ffffffffffffffffffffffff"
            "ffffff");
  auto d = decode_smsp(hex(h));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, s);
}

TEST(smsp, pysim_card_record_decodes) {
  // pySim ts_51_011 EF_SMSP test record: "ENetworks", indicators F1 (by §4.2.27: DA absent,
  // SCA, PID, DCS present, VP absent), every address byte FF although the SCA is flagged
  // present, then 00 00 A7. (pySim's own decode of the indicator byte differs: it uses bit
  // numbers as masks.) An address whose length byte is FF cannot be decoded: the decoder
  // reports it.
  const bytes rec =
      H("454e6574776f726b73ffffffffffffff f1"
        "ffffffffffffffffffffffff ffffffffffffffffffffffff 0000a7");
  auto s = decode_smsp(rec);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(is(s.error(), errc::bad_length));
  EXPECT_NE(s.error().message.find("TS-SCA"), std::string::npos);
  // With the SCA flagged absent (F3) the same record decodes.
  bytes fixed = rec;
  fixed[16] = 0xF3;
  auto ok = decode_smsp(fixed);
  ASSERT_TRUE(ok.ok()) << ok.error().describe();
  EXPECT_EQ(ok->alpha.utf8, "ENetworks");
  EXPECT_EQ(ok->pid, 0x00);
  EXPECT_EQ(ok->dcs, 0x00);
  EXPECT_FALSE(ok->vp);
}

TEST(smsp, bad_inputs) {
  const bytes good = H("e1 ffffffffffffffffffffffff 0791447758100650ffffffff 00 00 a7");
  for (std::size_t n = 0; n < good.size(); ++n)
    EXPECT_TRUE(is(decode_smsp(byte_view(good).first(n)).error(), errc::truncated)) << n;
  auto with = [&](std::size_t off, std::uint8_t v, std::uint8_t ind) {
    bytes b = good;
    b[0] = ind;
    b[off] = v;
    return decode_smsp(b);
  };
  EXPECT_TRUE(is(with(1, 21, 0xE0).error(), errc::bad_length));      // DA of 21 digits
  EXPECT_TRUE(is(with(13, 0, 0xE1).error(), errc::bad_length));      // SCA of 0 octets
  EXPECT_TRUE(is(with(13, 12, 0xE1).error(), errc::bad_length));     // SCA of 12 octets
  EXPECT_TRUE(is(with(14, 0xD0, 0xE1).error(), errc::unsupported));  // alphanumeric
  EXPECT_TRUE(is(with(1, 4, 0xE0).error(), errc::bad_length));       // DA says 4, holds 0
  byte_writer w;
  EXPECT_FALSE(encode_smsp({}, 27, w).ok());
  ef_smsp s;
  s.service_centre = sms_address{0x91, std::string(21, '1')};
  EXPECT_TRUE(is(encode_smsp(s, 28, w).error(), errc::too_long));
  s.service_centre = sms_address{0x91, "12x"};
  EXPECT_TRUE(is(encode_smsp(s, 28, w).error(), errc::bad_value));
  s.service_centre.reset();
  s.alpha = {"ABC", alpha_coding::gsm7};
  EXPECT_TRUE(is(encode_smsp(s, 30, w).error(), errc::too_long));
  EXPECT_EQ(w.size(), 0u);
}

RC_GTEST_PROP(smsp, round_trip, ()) {
  const std::string bcd = "0123456789*#abc";
  auto gen_addr = [&](std::size_t max) {
    const auto n = *rc::gen::inRange<std::size_t>(0, max + 1);
    sms_address a;
    a.ton_npi = *rc::gen::element<std::uint8_t>(0x81, 0x91, 0xA1, 0x80);
    for (std::size_t i = 0; i < n; ++i)
      a.digits.push_back(bcd[*rc::gen::inRange<std::size_t>(0, bcd.size())]);
    return a;
  };
  ef_smsp s;
  const std::size_t y = *rc::gen::inRange<std::size_t>(0, 20);
  const auto alen = *rc::gen::inRange<std::size_t>(0, y + 1);
  s.alpha.utf8 = std::string(alen, 'A');
  if (*rc::gen::arbitrary<bool>()) s.destination = gen_addr(20);
  if (*rc::gen::arbitrary<bool>()) {
    s.service_centre = gen_addr(20);
    if (s.service_centre->digits.empty()) s.service_centre->digits = "1";
  }
  if (*rc::gen::arbitrary<bool>()) s.pid = *rc::gen::arbitrary<std::uint8_t>();
  if (*rc::gen::arbitrary<bool>()) s.dcs = *rc::gen::arbitrary<std::uint8_t>();
  if (*rc::gen::arbitrary<bool>()) s.vp = *rc::gen::arbitrary<std::uint8_t>();
  byte_writer w;
  RC_ASSERT(encode_smsp(s, 28 + y, w).ok());
  RC_ASSERT(w.size() == 28 + y);
  auto d = decode_smsp(w.data());
  RC_ASSERT(d.ok());
  RC_ASSERT(*d == s);
}

// ---------------------------------------------------------------------------------------
// AD, UST, ICCID, MSISDN
// ---------------------------------------------------------------------------------------

TEST(ad, table) {
  // pySim ts_51_011 EF_AD test: "00ffff" (3 bytes, no MNC length).
  auto a = decode_ad(H("00ffff"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->ue_mode, 0x00);
  EXPECT_EQ(a->additional, 0xFFFF);
  EXPECT_FALSE(a->mnc_length);
  EXPECT_EQ(enc([&](byte_writer& w) { return encode_ad(*a, w); }), "00ffff");
  // 31.102 §4.2.18: type approval, ciphering indicator on, 3-digit MNC.
  auto b = decode_ad(H("80000103"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, (ef_ad{0x80, 0x0001, 3}));
  EXPECT_EQ(enc([&](byte_writer& w) { return encode_ad(*b, w); }), "80000103");
  EXPECT_TRUE(is(decode_ad(H("0000")).error(), errc::truncated));
  EXPECT_TRUE(is(decode_ad(H("03000002")).error(), errc::bad_value));
  EXPECT_TRUE(is(decode_ad(H("00000004")).error(), errc::bad_value));
}

TEST(ust, bitmap) {
  bytes ust;
  set_service(ust, 1, true);
  set_service(ust, 28, true);
  EXPECT_EQ(to_hex(ust), "01000008");
  EXPECT_TRUE(service_available(ust, 28));
  EXPECT_FALSE(service_available(ust, 27));
  EXPECT_FALSE(service_available(ust, 200));
  EXPECT_FALSE(service_available(ust, 0));
  set_service(ust, 28, false);
  set_service(ust, 100, false);  // clearing beyond the end does not grow the table
  EXPECT_EQ(to_hex(ust), "01000000");
}

TEST(iccid, table) {
  // TS 102 221 §13.2: BCD, low nibble first, 'F' padded; a 19-digit ICCID.
  auto d = decode_iccid(H("98944400000011551 3f4"));
  ASSERT_TRUE(d.ok()) << d.error().describe();
  EXPECT_EQ(*d, "8949440000001155314");
  EXPECT_EQ(enc([](byte_writer& w) { return encode_iccid("8949440000001155314", w); }),
            "98944400000011551"
            "3f4");
  EXPECT_EQ(enc([](byte_writer& w) { return encode_iccid("89490000000000000001", w); }),
            "98940000000000000010");
  EXPECT_TRUE(is(decode_iccid(H("989444000000115513")).error(), errc::truncated));
  EXPECT_TRUE(is(decode_iccid(H("ffffffffffffffffffff")).error(), errc::bad_value));
  EXPECT_TRUE(
      is(decode_iccid(H("9894440000001155131f")).error(), errc::bad_value));  // digit after F
  byte_writer w;
  EXPECT_FALSE(encode_iccid("123456789012345678901", w).ok());
}

TEST(msisdn, record) {
  // 31.102 §4.2.26 / §4.4.2.3 with Y = 14: length 07 = TON/NPI + 6 BCD bytes.
  const dialling_number n{{}, 0x91, "491701234567", 0xFF, 0xFF};
  const std::string h = enc([&](byte_writer& w) { return encode_dialling_number(n, 28, w); });
  EXPECT_EQ(h,
            "ffffffffffffffffffffffffffff"
            "07"
            "91"
            "947110325476ffffffff"
            "ff"
            "ff");
  auto d = decode_dialling_number(hex(h));
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->has_value());
  EXPECT_EQ(**d, n);
  auto e = decode_dialling_number(bytes(28, 0xFF));
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->has_value());
  EXPECT_TRUE(is(decode_dialling_number(bytes(13, 0xFF)).error(), errc::truncated));
  bytes bad = hex(h);
  bad[14] = 12;
  EXPECT_TRUE(is(decode_dialling_number(bad).error(), errc::bad_length));
}

// ---------------------------------------------------------------------------------------
// File tables and default contents
// ---------------------------------------------------------------------------------------

card_profile profile() {
  card_profile p;
  p.iccid = "8949440000001155314";
  p.imsi = "244081234567898";
  p.mnc_length = 3;
  p.msisdn = "358401234567";
  p.smsc = "358405202000";
  p.spn = "otaflow";
  return p;
}

TEST(files, table_is_consistent) {
  for (const auto& d : file_system) {
    for (const auto& e : d.files) {
      EXPECT_GT(e.size, 0) << e.name;
      if (e.structure == ef_structure::transparent) {
        EXPECT_EQ(e.record_len, 0) << e.name;
      } else {
        ASSERT_GT(e.record_len, 0) << e.name;
        EXPECT_EQ(e.size % e.record_len, 0) << e.name;
      }
      EXPECT_LT(e.sfi, 0x1F) << e.name;
      EXPECT_EQ(find_ef(d.fid, e.fid), &e) << e.name;
      if (e.sfi) {
        EXPECT_EQ(find_ef_by_sfi(d.fid, e.sfi), &e) << e.name;
      }
    }
  }
  EXPECT_EQ(find_ef(fid::adf_usim, fid::ef_imsi)->sfi, 0x07);
  EXPECT_EQ(find_ef(fid::adf_usim, fid::ef_spn)->read, access::always);
  EXPECT_EQ(find_ef(fid::adf_usim, fid::ef_oplmn_wact)->update, access::adm);
  EXPECT_EQ(find_ef(fid::df_otaflow, fid::ef_otaflow_keys)->read, access::never);
  EXPECT_EQ(find_ef(fid::adf_usim, 0x1234), nullptr);
}

TEST(files, default_contents) {
  const card_profile p = profile();
  auto content = [&](std::uint16_t df, std::uint16_t ef) {
    const ef_spec* s = find_ef(df, ef);
    EXPECT_NE(s, nullptr);
    auto c = default_content(*s, p);
    EXPECT_TRUE(c.ok()) << s->name << ": " << (c.ok() ? "" : c.error().describe());
    EXPECT_EQ(c->size(), s->size) << s->name;
    return to_hex(*c);
  };
  EXPECT_EQ(content(fid::mf, fid::ef_iccid),
            "98944400000011551"
            "3f4");
  EXPECT_EQ(content(fid::adf_usim, fid::ef_imsi), "082944802143658789");
  EXPECT_EQ(content(fid::adf_usim, fid::ef_ad), "00000003");
  // Services 10, 12, 19, 20, 21, 28, 33, 42, 43 and the 5G services 122..126 (byte 16).
  EXPECT_EQ(content(fid::adf_usim, fid::ef_ust), "000a1c0801060000000000000000003e00");
  EXPECT_EQ(content(fid::adf_usim, fid::ef_acc), "0100");
  EXPECT_EQ(content(fid::adf_usim, fid::ef_loci),
            "ffffffff"
            "ffffff"
            "fffe"
            "ff01");
  EXPECT_EQ(content(fid::adf_usim, fid::ef_hplmn_wact), "421480c880ffffff0000");
  EXPECT_EQ(content(fid::adf_usim, fid::ef_fplmn), "ffffffffffffffffffffffff");
  EXPECT_EQ(content(fid::adf_usim, fid::ef_spn), "016f7461666c6f77ffffffffffffffffff");
  EXPECT_EQ(content(fid::adf_usim, fid::ef_keys).substr(0, 4), "07ff");
  EXPECT_EQ(content(fid::mf, fid::ef_dir).substr(0, 52),
            "61184f10a0000000871002ffffffff89070900005004"
            "5553494d");
  const std::string sms = content(fid::adf_usim, fid::ef_sms);
  EXPECT_EQ(sms.substr(0, 4), "00ff");
  EXPECT_EQ(sms.substr(352, 4), "00ff");  // record 2 starts at byte 176
  EXPECT_EQ(content(fid::df_otaflow, fid::ef_otaflow_keys), std::string(128, 'f'));

  // Every default decodes with its own codec.
  EXPECT_EQ(*decode_imsi(hex(content(fid::adf_usim, fid::ef_imsi))), p.imsi);
  EXPECT_EQ(decode_spn(hex(content(fid::adf_usim, fid::ef_spn)))->name.utf8, "otaflow");
  const bytes smsp = hex(content(fid::adf_usim, fid::ef_smsp));
  auto s = decode_smsp(byte_view(smsp).first(44));
  ASSERT_TRUE(s.ok()) << s.error().describe();
  EXPECT_EQ(s->service_centre->digits, p.smsc);
  const bytes msisdn = hex(content(fid::adf_usim, fid::ef_msisdn));
  auto m = decode_dialling_number(byte_view(msisdn).first(28));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)->digits, p.msisdn);
  auto l = decode_loci(hex(content(fid::adf_usim, fid::ef_loci)));
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(*l, loci_reset());

  // Every EF of the tree gets a default of its size.
  for (const auto& d : file_system)
    for (const auto& e : d.files) {
      auto c = default_content(e, p);
      ASSERT_TRUE(c.ok()) << e.name;
      EXPECT_EQ(c->size(), e.size) << e.name;
    }
  card_profile bad = p;
  bad.imsi = "12";
  EXPECT_FALSE(default_content(*find_ef(fid::adf_usim, fid::ef_imsi), bad).ok());
}

// ---------------------------------------------------------------------------------------
// Round trips of the PLMN lists
// ---------------------------------------------------------------------------------------

rc::Gen<plmn> gen_plmn() {
  return rc::gen::exec([] {
    const auto digit = rc::gen::inRange('0', static_cast<char>('9' + 1));
    plmn p;
    p.mcc = *rc::gen::container<std::string>(3, digit);
    p.mnc = *rc::gen::container<std::string>(*rc::gen::inRange<std::size_t>(2, 4), digit);
    return p;
  });
}

RC_GTEST_PROP(plmn_act, round_trip, ()) {
  const auto n = *rc::gen::inRange<std::size_t>(1, 20);
  plmn_act_list l;
  for (std::size_t i = 0; i < n; ++i) {
    plmn_act e;
    if (*rc::gen::inRange(0, 4) != 0) e.id = *gen_plmn();
    e.act = *rc::gen::arbitrary<std::uint16_t>();
    l.push_back(e);
  }
  byte_writer w;
  RC_ASSERT(encode_plmn_act_list(l, 0, w).ok());
  RC_ASSERT(w.size() == 5 * n);
  auto d = decode_plmn_act_list(w.data());
  RC_ASSERT(d.ok());
  RC_ASSERT(*d == l);
}

RC_GTEST_PROP(fplmn, round_trip, ()) {
  const auto n = *rc::gen::inRange<std::size_t>(1, 20);
  fplmn_list l;
  for (std::size_t i = 0; i < n; ++i)
    l.push_back(*rc::gen::inRange(0, 3) == 0 ? std::nullopt : std::optional<plmn>(*gen_plmn()));
  byte_writer w;
  RC_ASSERT(encode_fplmn(l, 0, w).ok());
  auto d = decode_fplmn(w.data());
  RC_ASSERT(d.ok());
  RC_ASSERT(*d == l);
}

RC_GTEST_PROP(loci, round_trip, ()) {
  ef_loci l;
  l.tmsi = *rc::gen::arbitrary<std::uint32_t>();
  if (*rc::gen::arbitrary<bool>()) l.lai.id = *gen_plmn();
  l.lai.lac = *rc::gen::arbitrary<std::uint16_t>();
  l.rfu = *rc::gen::arbitrary<std::uint8_t>();
  l.status = static_cast<lu_status>(*rc::gen::inRange(0, 4));
  byte_writer w;
  RC_ASSERT(encode_loci(l, w).ok());
  auto d = decode_loci(w.data());
  RC_ASSERT(d.ok());
  RC_ASSERT(*d == l);
}

}  // namespace
}  // namespace otaflow::codec::ts31102
