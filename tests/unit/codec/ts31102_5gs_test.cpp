// DF.5GS EF codecs (TS 31.102 §4.4.11): vectors (source in each row), hand-built rows (the
// clause they were built from), truncation of every length field, key rotation of
// EF.SUCI_Calc_Info, rapidcheck round trips, the DF.5GS file table and default contents.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "codec/ts31102_5gs.hpp"
#include "codec/ts31102_files.hpp"

namespace otaflow::codec::ts31102 {
namespace {

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

std::string ff(std::size_t n) {
  return std::string(2 * n, 'f');
}

// ---------------------------------------------------------------------------------------
// EF.SUCI_Calc_Info
// ---------------------------------------------------------------------------------------

// TS 33.501 Annex C.4 home network public keys (profile B compressed, profile A).
const char* const k_b_pub = "0272da71976234ce833a6907425867b82e074d44ef907dfb4b3e21c1c2256ebcd1";
const char* const k_a_pub = "5a8d38864820197c3394b92613b20b91633cbd897119273bf8e4a6f4eec0a650";

// pySim ts_31_102.py EF_SUCI_Calc_Info test vector: profile A with key index 1, then null.
const char* const k_pysim_hex =
    "a004 0101 0000"
    "a14a 80010a 8120 4e858c4d49d1343e6181284c47ca721730c98742cb7c6182d2e8126e08088d36"
    "     80010b 8120 d1bc365f4997d17ce4374e72181431cbfeba9e1b98d7618f79d48561b144672a";
ef_suci_calc_info pysim_info() {
  return {{{1, 1}, {0, 0}},
          {{10, hex("4e858c4d49d1343e6181284c47ca721730c98742cb7c6182d2e8126e08088d36")},
           {11, hex("d1bc365f4997d17ce4374e72181431cbfeba9e1b98d7618f79d48561b144672a")}}};
}

// TS 31.121 §4.9.4 test file as pySim's SUCI tutorial states it: profile B (key slot 1 =
// key id 27), profile A (slot 2 = key id 30), null; bytes built from §4.4.11.8.
const std::string k_31121_hex =
    std::string("a006 0201 0102 0000 a14b 80011b 8121 ") + k_b_pub + " 80011e 8120 " + k_a_pub;
ef_suci_calc_info ts31121_info() {
  return {{{2, 1}, {1, 2}, {0, 0}}, {{27, hex(k_b_pub)}, {30, hex(k_a_pub)}}};
}

TEST(suci_calc_info, vectors) {
  struct row {
    const char* source;
    std::string hex;
    ef_suci_calc_info info;
  };
  const row rows[] = {
      {"pySim EF_SUCI_Calc_Info test", k_pysim_hex, pysim_info()},
      {"TS 31.121 4.9.4 via pySim suci-tutorial", k_31121_hex, ts31121_info()},
      {"null scheme only (X >= 2 minimum plus one entry)", "a002 0000", {{{0, 0}}, {}}},
      {"empty list: the 2-byte minimum file", "a000", {}},
  };
  for (const auto& r : rows) {
    auto d = decode_suci_calc_info(H(r.hex));
    ASSERT_TRUE(d.ok()) << r.source << ": " << d.error().describe();
    EXPECT_EQ(*d, r.info) << r.source;
    EXPECT_EQ(enc([&](byte_writer& w) { return encode_suci_calc_info(r.info, 0, w); }),
              to_hex(H(r.hex)))
        << r.source;
    // The same content in a larger file: 'FF' padded, and read back.
    const bytes file = H(r.hex + ff(20));
    EXPECT_EQ(enc([&](byte_writer& w) { return encode_suci_calc_info(r.info, file.size(), w); }),
              to_hex(file))
        << r.source;
    EXPECT_EQ(*decode_suci_calc_info(file), r.info) << r.source;
  }
}

TEST(suci_calc_info, truncation_of_every_length_field) {
  const bytes full = H(k_31121_hex);
  // Every strict prefix fails: the A0 length, the A1 length, an 80 or an 81 length.
  for (std::size_t n = 1; n < full.size(); ++n) {
    auto d = decode_suci_calc_info(byte_view(full).first(n));
    EXPECT_FALSE(d.ok()) << "prefix " << n;
  }
  EXPECT_TRUE(is(decode_suci_calc_info(H("a0")).error(), errc::truncated));
  EXPECT_TRUE(is(decode_suci_calc_info(H("a004 0101")).error(), errc::truncated));
  EXPECT_TRUE(is(decode_suci_calc_info(H("a002 0101 a105 800101 8120")).error(), errc::truncated));
  // 'A0' complete but 'A1' cut off entirely: index 1 points into an empty key list.
  EXPECT_TRUE(is(decode_suci_calc_info(byte_view(full).first(8)).error(), errc::bad_value));
}

TEST(suci_calc_info, bad_contents) {
  struct row {
    const char* why;
    std::string hex;
    errc code;
  };
  const std::string key_a = std::string(" 8120 ") + k_a_pub;
  const row rows[] = {
      {"never written", ff(32), errc::not_found},
      {"first tag not A0", "a102 0000", errc::bad_value},
      {"odd A0 length", "a003 000000", errc::bad_length},
      {"null scheme with key index 1", "a002 0001 a125 800101" + key_a, errc::bad_value},
      {"profile A with key index 0", "a002 0100", errc::bad_value},
      {"key index beyond the list", "a002 0102 a125 800101" + key_a, errc::bad_value},
      {"profile A key of 33 bytes", std::string("a002 0101 a126 800101 8121 ") + k_b_pub,
       errc::bad_length},
      {"profile B key of 32 bytes", "a002 0201 a125 800101" + key_a, errc::bad_value},
      {"duplicate key id", "a002 0101 a14a 800101" + key_a + " 800101" + key_a, errc::conflict},
      {"key id of 2 bytes", "a002 0101 a126 80020001" + key_a, errc::bad_length},
      {"key without an id", "a002 0101 a122" + key_a, errc::bad_value},
      {"id without a key", "a002 0101 a103 800101", errc::bad_value},
      {"unknown tag after A0", "a002 0000 a200", errc::bad_value},
      {"garbage after A1", "a002 0101 a125 800101" + key_a + " 00", errc::bad_value},
  };
  for (const auto& r : rows) {
    auto d = decode_suci_calc_info(H(r.hex));
    ASSERT_FALSE(d.ok()) << r.why;
    EXPECT_TRUE(is(d.error(), r.code)) << r.why << ": " << d.error().describe();
  }
  // The encoder refuses the same faults and a content larger than the file.
  byte_writer w;
  EXPECT_FALSE(encode_suci_calc_info({{{1, 0}}, {}}, 0, w).ok());
  EXPECT_FALSE(encode_suci_calc_info({{{0, 0}}, {{1, {}}}}, 0, w).ok());
  EXPECT_TRUE(is(encode_suci_calc_info(ts31121_info(), 40, w).error(), errc::too_long));
  EXPECT_EQ(w.size(), 0u);
  // Profile B accepts an uncompressed point too; schemes 3..15 are not checked for keys.
  EXPECT_TRUE(check_suci_calc_info({{{2, 1}}, {{5, bytes(65, 0x04)}}}).ok());
  EXPECT_TRUE(check_suci_calc_info({{{12, 0}, {13, 1}}, {{5, bytes(7, 0x01)}}}).ok());
  EXPECT_FALSE(check_suci_calc_info({{{16, 0}}, {}}).ok());
}

TEST(suci_calc_info, selection_by_the_me) {
  const auto info = ts31121_info();
  const std::uint8_t only_a[] = {0, 1};
  auto s = select_protection(info, only_a);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->scheme_id, 1);
  EXPECT_EQ(s->key_id, 30);
  EXPECT_EQ(to_hex(s->key), k_a_pub);
  const std::uint8_t a_and_b[] = {2, 1, 0};
  s = select_protection(info, a_and_b);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->scheme_id, 2);
  EXPECT_EQ(s->key_id, 27);
  const std::uint8_t null_only[] = {0};
  s = select_protection(info, null_only);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, (selected_protection{0, 0, {}}));
  const std::uint8_t c_only[] = {3};
  EXPECT_TRUE(is(select_protection(info, c_only).error(), errc::not_found));
}

TEST(suci_calc_info, key_rotation) {
  const hn_public_key k12{12,
                          hex("0102030405060708091011121314151617181920212223242526272829303132")};
  // pySim file: scheme A uses key 10, key 11 is unused. Rotating A to key 12 drops both.
  auto r = rotate_hn_key(pysim_info(), 1, k12);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(*r, (ef_suci_calc_info{{{1, 1}, {0, 0}}, {k12}}));
  EXPECT_EQ(enc([&](byte_writer& w) { return encode_suci_calc_info(*r, 0, w); }),
            "a00401010000a12580010c8120" + to_hex(k12.key));
  // Applying it again (a retried campaign step) changes nothing.
  EXPECT_EQ(*rotate_hn_key(*r, 1, k12), *r);
  // Keeping unused keys appends the new one and points the entry at slot 3.
  auto kept = rotate_hn_key(pysim_info(), 1, k12, true);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->schemes, (std::vector<protection_scheme_entry>{{1, 3}, {0, 0}}));
  EXPECT_EQ(kept->keys.size(), 3u);
  // Introducing profile B on a null-only card puts it first.
  auto b = rotate_hn_key({{{0, 0}}, {}}, 2, {27, hex(k_b_pub)});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, (ef_suci_calc_info{{{2, 1}, {0, 0}}, {{27, hex(k_b_pub)}}}));
  // Rotating B in the TS 31.121 file keeps A's key and renumbers.
  auto t = rotate_hn_key(ts31121_info(), 2, {28, hex(k_b_pub)});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(
      *t, (ef_suci_calc_info{{{2, 2}, {1, 1}, {0, 0}}, {{30, hex(k_a_pub)}, {28, hex(k_b_pub)}}}));
  // A different key under an id in use, a wrong key size, the null scheme: refused.
  EXPECT_TRUE(is(rotate_hn_key(pysim_info(), 1, {10, k12.key}).error(), errc::conflict));
  EXPECT_FALSE(rotate_hn_key(pysim_info(), 2, k12).ok());
  EXPECT_TRUE(is(rotate_hn_key(pysim_info(), 0, k12).error(), errc::bad_argument));
}

// ---------------------------------------------------------------------------------------
// EF.5GS3GPPLOCI
// ---------------------------------------------------------------------------------------

TEST(loci_5gs, vectors) {
  struct row {
    const char* source;
    const char* hex;
    ef_5gs_loci loci;
  };
  const row rows[] = {
      {"TS 31.102 Annex E (HPLMN 244/081)", "ffffffffffffffffffffffffff 421480 000000 01",
       loci_5gs_reset(plmn{"244", "081"})},
      {"Annex E with no PLMN", "ffffffffffffffffffffffffff ffffff 000000 01", loci_5gs_reset()},
      // Built from §4.4.11.2 / TS 24.501 §9.11.3.4 with sharetechnote's 5G-GUTI example:
      // MCC 001 MNC 01, AMF region 128, set 4, pointer 1, 5G-TMSI 32efe46b; TAC 000001.
      {"5G-GUTI example",
       "000b f2 00f110 80 0101 32efe46b 00f110 000001 00",
       {guti_5g{{"001", "01"}, 128, 4, 1, 0x32efe46b},
        {plmn{"001", "01"}, 1},
        update_status_5gs::updated}},
      {"roaming not allowed, set and pointer at their maxima",
       "000b f2 130062 ff ffff 00000001 130062 fffffe fa",
       {guti_5g{{"310", "260"}, 0xFF, 0x3FF, 0x3F, 1},
        {plmn{"310", "260"}, 0xFFFFFE},
        update_status_5gs::roaming_not_allowed}},
  };
  for (const auto& r : rows) {
    auto d = decode_5gs_loci(H(r.hex));
    ASSERT_TRUE(d.ok()) << r.source << ": " << d.error().describe();
    EXPECT_EQ(*d, r.loci) << r.source;
  }
  // RFU bits b8..b4 of the status byte are read but written 0.
  for (const auto& r : rows) {
    const std::string want =
        to_hex(H(r.hex)).substr(0, 38) + "0" + std::to_string(static_cast<unsigned>(r.loci.status));
    EXPECT_EQ(enc([&](byte_writer& w) { return encode_5gs_loci(r.loci, w); }), want) << r.source;
  }
}

TEST(loci_5gs, bad_inputs) {
  EXPECT_TRUE(is(decode_5gs_loci(H(ff(19))).error(), errc::truncated));
  EXPECT_TRUE(is(decode_5gs_loci(H("000c f2 00f110 80 0101 32efe46b 00f110 000001 00")).error(),
                 errc::bad_value));  // length not 000B
  EXPECT_TRUE(is(decode_5gs_loci(H("000b f1 00f110 80 0101 32efe46b 00f110 000001 00")).error(),
                 errc::bad_value));  // SUCI, not a 5G-GUTI
  EXPECT_TRUE(is(decode_5gs_loci(H("000b f2 0af110 80 0101 32efe46b 00f110 000001 00")).error(),
                 errc::bad_value));  // MCC digit A
  EXPECT_TRUE(is(decode_5gs_loci(H(ff(13) + "00f110 000001 03")).error(), errc::bad_value));
  ef_5gs_loci l = loci_5gs_reset();
  l.guti = guti_5g{{"001", "01"}, 1, 0x400, 0, 0};
  byte_writer w;
  EXPECT_FALSE(encode_5gs_loci(l, w).ok());
  l.guti->amf_set_id = 0;
  l.guti->amf_pointer = 0x40;
  EXPECT_FALSE(encode_5gs_loci(l, w).ok());
  l.guti.reset();
  l.tai.tac = 0x1000000;
  EXPECT_FALSE(encode_5gs_loci(l, w).ok());
}

// ---------------------------------------------------------------------------------------
// EF.5GS3GPPNSC, EF.5GAUTHKEYS
// ---------------------------------------------------------------------------------------

const char* const k_kamf = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

TEST(nsc_5gs, vectors) {
  // Built from §4.4.11.4: A0 { 80 ngKSI, 81 K_AMF, 82 UL COUNT, 83 DL COUNT, 84 NAS algs,
  // 85 EPS algs }: 55 bytes of content, the 57-byte minimum record.
  const std::string full =
      std::string("a037 800102 8120") + k_kamf + "8204 00000005 8304 00000102 8401 21 8501 12";
  nas_security_context_5gs c;
  c.ngksi = 2;
  std::array<std::uint8_t, 32> k{};
  for (std::size_t i = 0; i < 32; ++i) k[i] = static_cast<std::uint8_t>(i);
  c.k_amf = k;
  c.uplink_count = 5;
  c.downlink_count = 0x102;
  c.nas_algorithms = 0x21;
  c.eps_nas_algorithms = 0x12;
  auto d = decode_5gs_nsc(H(full));
  ASSERT_TRUE(d.ok()) << d.error().describe();
  ASSERT_TRUE(d->has_value());
  EXPECT_EQ(**d, c);
  EXPECT_EQ(enc([&](byte_writer& w) { return encode_5gs_nsc(c, nsc_5gs_record_size, w); }),
            to_hex(H(full)));
  // No key: ngKSI 07 only, padded; an erased record; zero-length values are absent.
  EXPECT_EQ(enc([&](byte_writer& w) {
              return encode_5gs_nsc(nas_security_context_5gs{}, nsc_5gs_record_size, w);
            }),
            "a003800107" + ff(52));
  EXPECT_FALSE(decode_5gs_nsc(H(ff(57)))->has_value());
  auto z = decode_5gs_nsc(H("a00d 800107 8100 8200 8300 8400 8500 ffff"));
  ASSERT_TRUE(z.ok()) << z.error().describe();
  EXPECT_EQ(**z, nas_security_context_5gs{});
  // A tag of a later release is skipped.
  nas_security_context_5gs ksi3;
  ksi3.ngksi = 3;
  EXPECT_EQ(**decode_5gs_nsc(H("a006 800103 860101")), ksi3);
}

TEST(nsc_5gs, bad_inputs) {
  const bytes full =
      H(std::string("a037 800102 8120") + k_kamf + "8204 00000005 8304 00000102 8401 21 8501 12");
  for (std::size_t n = 1; n < full.size(); ++n)
    EXPECT_FALSE(decode_5gs_nsc(byte_view(full).first(n)).ok()) << "prefix " << n;
  EXPECT_TRUE(is(decode_5gs_nsc({}).error(), errc::truncated));
  EXPECT_TRUE(is(decode_5gs_nsc(H("a1 03 800107")).error(), errc::bad_value));
  EXPECT_TRUE(is(decode_5gs_nsc(H("a004 80020007")).error(), errc::bad_length));
  EXPECT_TRUE(is(decode_5gs_nsc(H("a003 800110")).error(), errc::bad_value));  // ngKSI > 15
  EXPECT_TRUE(is(decode_5gs_nsc(H("a004 8102 0001")).error(), errc::bad_length));
  EXPECT_TRUE(is(decode_5gs_nsc(H("a003 8401 01")).error(), errc::bad_value));    // no ngKSI
  EXPECT_TRUE(is(decode_5gs_nsc(H("a003 800107 00")).error(), errc::bad_value));  // not FF
  byte_writer w;
  nas_security_context_5gs c;
  c.k_amf = std::array<std::uint8_t, 32>{};
  EXPECT_TRUE(is(encode_5gs_nsc(c, 20, w).error(), errc::too_long));
  EXPECT_FALSE(encode_5gs_nsc(std::nullopt, 0, w).ok());
  EXPECT_EQ(w.size(), 0u);
}

TEST(auth_keys_5g, vectors_and_faults) {
  // Built from §4.4.11.6: 80 20 K_AUSF 81 20 K_SEAF = 68 bytes.
  const std::string kseaf(64, 'a');
  const std::string full = std::string("8020") + k_kamf + "8120" + kseaf;
  auto d = decode_5g_auth_keys(H(full));
  ASSERT_TRUE(d.ok()) << d.error().describe();
  ASSERT_TRUE(d->k_ausf && d->k_seaf);
  EXPECT_EQ(to_hex(*d->k_ausf), k_kamf);
  EXPECT_EQ(to_hex(*d->k_seaf), kseaf);
  EXPECT_EQ(enc([&](byte_writer& w) { return encode_5g_auth_keys(*d, auth_keys_5g_size, w); }),
            full);
  const auto empty = decode_5g_auth_keys(H(ff(68)));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, ef_5g_auth_keys{});
  ef_5g_auth_keys only;
  only.k_ausf = d->k_ausf;
  EXPECT_EQ(enc([&](byte_writer& w) { return encode_5g_auth_keys(only, 68, w); }),
            std::string("8020") + k_kamf + ff(34));
  const bytes b = H(full);
  for (std::size_t n = 1; n < b.size(); ++n)
    if (n != 34) {
      EXPECT_FALSE(decode_5g_auth_keys(byte_view(b).first(n)).ok()) << "prefix " << n;
    }
  EXPECT_TRUE(is(decode_5g_auth_keys(H("8010" + std::string(32, '0'))).error(), errc::bad_length));
  EXPECT_TRUE(is(decode_5g_auth_keys(H("820100")).error(), errc::bad_value));
  auto twice = decode_5g_auth_keys(H(std::string("8020") + k_kamf + "8020" + k_kamf));
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().message.find("0001020304"), std::string::npos);  // no key bytes
  byte_writer w;
  EXPECT_TRUE(is(encode_5g_auth_keys(*d, 60, w).error(), errc::too_long));
}

// ---------------------------------------------------------------------------------------
// EF.UAC_AIC, EF.Routing_Indicator, EF.OPL5G, EF.SUPI_NAI
// ---------------------------------------------------------------------------------------

TEST(uac_aic, vectors) {
  // pySim EF_UAC_AIC test: '03' = MPS and MCS (file of 4 bytes, §4.4.11.7).
  EXPECT_EQ(*decode_uac_aic(H("03000000")), (ef_uac_aic{true, true}));
  EXPECT_EQ(*decode_uac_aic(H("02ffffff")), (ef_uac_aic{false, true}));  // RFU ignored
  EXPECT_EQ(*decode_uac_aic(H("01000000")), (ef_uac_aic{true, false}));
  byte_writer w;
  encode_uac_aic({true, true}, w);
  EXPECT_EQ(to_hex(w.data()), "03000000");
  EXPECT_TRUE(is(decode_uac_aic(H("030000")).error(), errc::truncated));
}

TEST(routing_indicator, vectors) {
  struct row {
    const char* source;
    const char* hex;
    std::optional<std::string> ri;
  };
  const row rows[] = {
      {"pySim suci-tutorial: RI 71", "17ffffff", "71"},
      {"RI 0 (none configured)", "f0ffffff", "0"},
      {"RI 0000", "0000ffff", "0000"},
      {"RI 678 (TS 33.501 C.4 SUCI example)", "76f8ffff", "678"},
      {"RI 1234", "2143ffff", "1234"},
      {"not provisioned (pySim: default 'ffffffff')", "ffffffff", std::nullopt},
  };
  for (const auto& r : rows) {
    auto d = decode_routing_indicator(H(r.hex));
    ASSERT_TRUE(d.ok()) << r.source << ": " << d.error().describe();
    EXPECT_EQ(*d, r.ri) << r.source;
    EXPECT_EQ(enc([&](byte_writer& w) { return encode_routing_indicator(r.ri, w); }), r.hex)
        << r.source;
  }
  EXPECT_EQ(**decode_routing_indicator(H("17ff0000")), "71");  // RFU bytes ignored
  EXPECT_TRUE(is(decode_routing_indicator(H("17ffff")).error(), errc::truncated));
  EXPECT_TRUE(is(decode_routing_indicator(H("1a ffffff")).error(), errc::bad_value));
  EXPECT_TRUE(is(decode_routing_indicator(H("1fffffff")).error(), errc::bad_value));
  byte_writer w;
  EXPECT_FALSE(encode_routing_indicator(std::string(""), w).ok());
  EXPECT_FALSE(encode_routing_indicator(std::string("12345"), w).ok());
  EXPECT_FALSE(encode_routing_indicator(std::string("1a"), w).ok());
  EXPECT_EQ(w.size(), 0u);
}

TEST(opl5g, vectors) {
  // Built from §4.4.11.9 (record: PLMN, TAC start, TAC end, PNN record) and the 'D' wildcard
  // of §4.2.59.
  auto d = decode_opl5g(H("42f618 000001 00ffff 01"));
  ASSERT_TRUE(d.ok()) << d.error().describe();
  EXPECT_EQ(**d, (opl5g_entry{{"246", "81"}, 1, 0xFFFF, 1}));
  auto w = decode_opl5g(H("d2f6dd 000000 ffffff 02"));
  ASSERT_TRUE(w.ok()) << w.error().describe();
  EXPECT_EQ(**w, (opl5g_entry{{"2d6", "dd"}, 0, 0xFFFFFF, 2}));
  EXPECT_EQ(enc([&](byte_writer& b) { return encode_opl5g(**w, b); }), "d2f6dd000000ffffff02");
  EXPECT_FALSE(decode_opl5g(H(ff(10)))->has_value());
  EXPECT_EQ(enc([&](byte_writer& b) { return encode_opl5g(std::nullopt, b); }), ff(10));
  EXPECT_TRUE(is(decode_opl5g(H("42f618 000001 00ffff")).error(), errc::truncated));
  EXPECT_TRUE(is(decode_opl5g(H("4af618 000001 00ffff 01")).error(), errc::bad_value));
  byte_writer b;
  EXPECT_FALSE(encode_opl5g(opl5g_entry{{"24", "81"}, 0, 0, 0}, b).ok());
  EXPECT_FALSE(encode_opl5g(opl5g_entry{{"246", "81"}, 0, 0x1000000, 0}, b).ok());
}

TEST(supi_nai, vectors) {
  // Built from §4.4.11.10: '80' NSI as an RFC 7542 NAI.
  const std::string nsi = "user17@nsi.example.com";
  const std::string hexv =
      "8016" + to_hex(byte_view(reinterpret_cast<const std::uint8_t*>(nsi.data()), nsi.size()));
  auto d = decode_supi_nai(H(hexv + ff(10)));
  ASSERT_TRUE(d.ok()) << d.error().describe();
  EXPECT_EQ(d->nsi, nsi);
  EXPECT_FALSE(d->gli || d->gci);
  EXPECT_EQ(enc([&](byte_writer& w) { return encode_supi_nai(*d, hexv.size() / 2 + 10, w); }),
            hexv + ff(10));
  ef_supi_nai all{"a@b", "line1@gli.example", "cable@gci.example"};
  byte_writer w;
  ASSERT_TRUE(encode_supi_nai(all, 0, w).ok());
  EXPECT_EQ(*decode_supi_nai(w.data()), all);
  EXPECT_EQ(*decode_supi_nai(H(ff(64))), ef_supi_nai{});
  EXPECT_TRUE(is(decode_supi_nai(H("8005 616263")).error(), errc::truncated));
  EXPECT_TRUE(is(decode_supi_nai(H("830161")).error(), errc::bad_value));
  EXPECT_TRUE(is(decode_supi_nai(H("800161 800162")).error(), errc::bad_value));
  EXPECT_TRUE(is(decode_supi_nai(H("800161 00")).error(), errc::bad_value));
  byte_writer small;
  EXPECT_TRUE(is(encode_supi_nai(all, 10, small).error(), errc::too_long));
  EXPECT_FALSE(encode_supi_nai(ef_supi_nai{std::string(), {}, {}}, 0, small).ok());
}

// ---------------------------------------------------------------------------------------
// File table and default contents
// ---------------------------------------------------------------------------------------

TEST(df_5gs, file_table) {
  const ef_spec* suci = find_ef(fid::df_5gs, fid::ef_suci_calc_info);
  ASSERT_NE(suci, nullptr);
  EXPECT_EQ(suci->sfi, 0x07);
  EXPECT_EQ(suci->read, access::pin1);
  EXPECT_EQ(suci->update, access::adm);
  EXPECT_EQ(find_ef_by_sfi(fid::df_5gs, 0x0A)->fid, fid::ef_routing_indicator);
  EXPECT_EQ(find_ef(fid::df_5gs, fid::ef_5gs3gpp_nsc)->record_len, nsc_5gs_record_size);
  EXPECT_EQ(find_ef(fid::df_5gs, fid::ef_opl5g)->record_len, opl5g_record_size);
  EXPECT_EQ(find_ef(fid::df_5gs, fid::ef_5gs3gpp_loci)->size, loci_5gs_size);
  // DF.5GS hangs under ADF.USIM and does not hide ADF.USIM's own EFs.
  bool found = false;
  for (const auto& d : file_system)
    if (d.fid == fid::df_5gs) {
      found = true;
      EXPECT_EQ(d.parent, fid::adf_usim);
      EXPECT_EQ(d.files.size(), 10u);
    }
  EXPECT_TRUE(found);
  EXPECT_EQ(find_ef(fid::adf_usim, fid::ef_suci_calc_info), nullptr);
}

TEST(df_5gs, default_contents) {
  const plmn home{"244", "081"};
  for (const auto& e : df_5gs_files) {
    auto c = default_5gs_content(e, home);
    ASSERT_TRUE(c.ok()) << e.name << ": " << c.error().describe();
    EXPECT_EQ(c->size(), e.size) << e.name;
  }
  auto content = [&](std::uint16_t ef) {
    return *default_5gs_content(*find_ef(fid::df_5gs, ef), home);
  };
  EXPECT_EQ(to_hex(content(fid::ef_5gs3gpp_loci)), ff(13) + "42148000000001");
  EXPECT_EQ(*decode_5gs_loci(content(fid::ef_5gsn3gpp_loci)), loci_5gs_reset(home));
  EXPECT_EQ(to_hex(content(fid::ef_routing_indicator)), "f0ffffff");
  EXPECT_EQ(to_hex(content(fid::ef_uac_aic)), "00000000");
  const auto suci = decode_suci_calc_info(content(fid::ef_suci_calc_info));
  ASSERT_TRUE(suci.ok());
  EXPECT_EQ(*suci, (ef_suci_calc_info{{{0, 0}}, {}}));
  EXPECT_EQ((**decode_5gs_nsc(content(fid::ef_5gs3gpp_nsc))).ngksi, ngksi_no_key);
  EXPECT_EQ(*decode_5g_auth_keys(content(fid::ef_5g_auth_keys)), ef_5g_auth_keys{});
  EXPECT_EQ(*decode_supi_nai(content(fid::ef_supi_nai)), ef_supi_nai{});
  EXPECT_FALSE(decode_opl5g(byte_view(content(fid::ef_opl5g)).first(10))->has_value());
  EXPECT_TRUE(is(default_5gs_content(*find_ef(fid::adf_usim, fid::ef_imsi), home).error(),
                 errc::not_found));
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

rc::Gen<plmn> gen_plmn(bool wildcard) {
  return rc::gen::exec([wildcard] {
    const auto digit = wildcard ? rc::gen::element('0', '1', '5', '9', 'd')
                                : rc::gen::inRange('0', static_cast<char>('9' + 1));
    plmn p;
    p.mcc = *rc::gen::container<std::string>(3, digit);
    p.mnc = *rc::gen::container<std::string>(*rc::gen::inRange<std::size_t>(2, 4), digit);
    return p;
  });
}

bytes gen_bytes(std::size_t n) {
  return *rc::gen::container<bytes>(n, rc::gen::arbitrary<std::uint8_t>());
}

RC_GTEST_PROP(df_5gs_prop, suci_calc_info_round_trip, ()) {
  ef_suci_calc_info info;
  const auto nkeys = *rc::gen::inRange<std::size_t>(0, 4);
  for (std::size_t i = 0; i < nkeys; ++i) {
    const bool b = *rc::gen::arbitrary<bool>();
    bytes key = gen_bytes(b ? 33 : 32);
    if (b) key[0] = *rc::gen::element<std::uint8_t>(0x02, 0x03);
    info.keys.push_back({static_cast<std::uint8_t>(10 + i), key});
  }
  const auto nschemes = *rc::gen::inRange<std::size_t>(0, 5);
  for (std::size_t i = 0; i < nschemes; ++i) {
    if (nkeys == 0 || *rc::gen::arbitrary<bool>()) {
      info.schemes.push_back({0, 0});
    } else {
      const auto idx = *rc::gen::inRange<std::size_t>(0, nkeys);
      info.schemes.push_back({static_cast<std::uint8_t>(info.keys[idx].key.size() == 33 ? 2 : 1),
                              static_cast<std::uint8_t>(idx + 1)});
    }
  }
  byte_writer w;
  RC_ASSERT(
      encode_suci_calc_info(info, find_ef(fid::df_5gs, fid::ef_suci_calc_info)->size, w).ok());
  auto d = decode_suci_calc_info(w.data());
  RC_ASSERT(d.ok());
  RC_ASSERT(*d == info);
}

RC_GTEST_PROP(df_5gs_prop, loci_round_trip, ()) {
  ef_5gs_loci l;
  if (*rc::gen::arbitrary<bool>())
    l.guti =
        guti_5g{*gen_plmn(false), *rc::gen::arbitrary<std::uint8_t>(),
                *rc::gen::inRange<std::uint16_t>(0, 0x400),
                *rc::gen::inRange<std::uint8_t>(0, 0x40), *rc::gen::arbitrary<std::uint32_t>()};
  if (*rc::gen::arbitrary<bool>()) l.tai.id = *gen_plmn(false);
  l.tai.tac = *rc::gen::inRange<std::uint32_t>(0, 0x1000000);
  l.status = static_cast<update_status_5gs>(*rc::gen::inRange(0, 3));
  byte_writer w;
  RC_ASSERT(encode_5gs_loci(l, w).ok());
  RC_ASSERT(w.size() == loci_5gs_size);
  RC_ASSERT(*decode_5gs_loci(w.data()) == l);
}

RC_GTEST_PROP(df_5gs_prop, nsc_round_trip, ()) {
  nas_security_context_5gs c;
  c.ngksi = *rc::gen::inRange<std::uint8_t>(0, 16);
  if (*rc::gen::arbitrary<bool>()) {
    std::array<std::uint8_t, 32> k{};
    const bytes b = gen_bytes(32);
    std::copy(b.begin(), b.end(), k.begin());
    c.k_amf = k;
  }
  if (*rc::gen::arbitrary<bool>()) c.uplink_count = *rc::gen::arbitrary<std::uint32_t>();
  if (*rc::gen::arbitrary<bool>()) c.downlink_count = *rc::gen::arbitrary<std::uint32_t>();
  if (*rc::gen::arbitrary<bool>()) c.nas_algorithms = *rc::gen::arbitrary<std::uint8_t>();
  if (*rc::gen::arbitrary<bool>()) c.eps_nas_algorithms = *rc::gen::arbitrary<std::uint8_t>();
  byte_writer w;
  RC_ASSERT(encode_5gs_nsc(c, nsc_5gs_record_size, w).ok());
  RC_ASSERT(w.size() == nsc_5gs_record_size);
  auto d = decode_5gs_nsc(w.data());
  RC_ASSERT(d.ok() && d->has_value());
  RC_ASSERT(**d == c);
}

RC_GTEST_PROP(df_5gs_prop, small_files_round_trip, ()) {
  // Routing indicator
  const auto digit = rc::gen::inRange('0', static_cast<char>('9' + 1));
  const auto ri = *rc::gen::container<std::string>(*rc::gen::inRange<std::size_t>(1, 5), digit);
  byte_writer w;
  RC_ASSERT(encode_routing_indicator(ri, w).ok());
  RC_ASSERT(**decode_routing_indicator(w.data()) == ri);
  // OPL5G
  const opl5g_entry e{*gen_plmn(true), *rc::gen::inRange<std::uint32_t>(0, 0x1000000),
                      *rc::gen::inRange<std::uint32_t>(0, 0x1000000),
                      *rc::gen::arbitrary<std::uint8_t>()};
  byte_writer o;
  RC_ASSERT(encode_opl5g(e, o).ok());
  RC_ASSERT(**decode_opl5g(o.data()) == e);
  // UAC_AIC
  const ef_uac_aic a{*rc::gen::arbitrary<bool>(), *rc::gen::arbitrary<bool>()};
  byte_writer u;
  encode_uac_aic(a, u);
  RC_ASSERT(*decode_uac_aic(u.data()) == a);
  // SUPI_NAI: printable ASCII strings.
  const auto text = rc::gen::nonEmpty(
      rc::gen::container<std::string>(rc::gen::inRange(' ', static_cast<char>('~' + 1))));
  ef_supi_nai n;
  if (*rc::gen::arbitrary<bool>()) n.nsi = *text;
  if (*rc::gen::arbitrary<bool>()) n.gli = *text;
  if (*rc::gen::arbitrary<bool>()) n.gci = *text;
  byte_writer s;
  RC_ASSERT(encode_supi_nai(n, 0, s).ok());
  RC_ASSERT(*decode_supi_nai(s.data()) == n);
}

}  // namespace
}  // namespace otaflow::codec::ts31102
