// SUCI concealment (TS 33.501 Annex C) and the SUCI forms (TS 23.003 §2.2B, TS 24.501
// §9.11.3.4, TS 29.503): the Annex C.4 test vectors byte-exact both ways, tampering, bad keys,
// rapidcheck round trips.
//
// Vector sources (facts only): TS 33.501 Annex C.4.3 (profile A) and C.4.4 (profile B) as
// quoted by free5gc's SUCI tests (home network key pairs, scheme outputs, the SUCI strings and
// the IMSI they resolve to) and by open test suites that transcribe the annex's intermediate
// values (ephemeral private keys, NAI-type inputs). Each row below reproduces the annex's
// ephemeral public key, ciphertext and MAC tag from the ephemeral private key, so the
// transcription is checked by the computation itself.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "secure/suci.hpp"

namespace otaflow::secure::suci {
namespace {

bool is(const error& e, errc c) {
  return e.code == make_error_code(c);
}

// ---------------------------------------------------------------------------------------
// TS 33.501 Annex C.4 key pairs
// ---------------------------------------------------------------------------------------

// C.4.3 profile A home network key pair.
const char* const k_a_priv = "c53c22208b61860b06c62e5406a7b330c2b577aa5558981510d128247d38bd1d";
const char* const k_a_pub = "5a8d38864820197c3394b92613b20b91633cbd897119273bf8e4a6f4eec0a650";
// C.4.4 profile B home network key pair (public key compressed and uncompressed).
const char* const k_b_priv = "f1ab1074477ebcc7f554ea1c5fc368b1616730155e0041ac447d6301975fecda";
const char* const k_b_pub_c = "0272da71976234ce833a6907425867b82e074d44ef907dfb4b3e21c1c2256ebcd1";
const char* const k_b_pub_u =
    "0472da71976234ce833a6907425867b82e074d44ef907dfb4b3e21c1c2256ebcd1"
    "5a7ded52fcbb097a4ed250e036c7b9c8c7004c4eedc4f068cd7bf8d3f900e3b4";

struct vector_row {
  const char* name;
  scheme s;
  const char* hn_priv;
  const char* hn_pub;
  const char* eph_priv;
  const char* input;
  const char* output;  ///< ephemeral public key | ciphertext | MAC tag
};

const vector_row k_vectors[] = {
    {"C.4.3 profile A, IMSI (MSIN 001002086)", scheme::profile_a, k_a_priv, k_a_pub,
     "c80949f13ebe61af4ebdbd293ea4f942696b9e815d7e8f0096bbf6ed7de62256", "00012080f6",
     "b2e92f836055a255837debf850b528997ce0201cb82adfe4be1f587d07d8457d"
     "cb02352410"
     "cddd9e730ef3fa87"},
    {"C.4.3 profile A, NAI username verylongusername1", scheme::profile_a, k_a_priv, k_a_pub,
     "be9eff3e9f22a4b42a3d236e7a6c500b3f2e7e0c7449988ba800d664bf4fcd97",
     "766572796c6f6e67757365726e616d6531",
     "977d8b2fdaa7b64aa700d04227d5b440630ea4ec50f9082273a26bb678c92222"
     "8e358a1582adb15322c10e515141d2039a"
     "12e1d7783a97f1ac"},
    {"C.4.4 profile B, IMSI (MSIN 001002086)", scheme::profile_b, k_b_priv, k_b_pub_c,
     "99798858a1dc6a2c68637149a4b1dbfd1fdff5addd62a2142f06699ed7602529", "00012080f6",
     "039aab8376597021e855679a9778ea0b67396e68c66df32c0f41e9acca2da9b9d1"
     "46a33fc271"
     "6ac7dae96aa30a4d"},
    {"C.4.4 profile B, uncompressed home network key", scheme::profile_b, k_b_priv, k_b_pub_u,
     "99798858a1dc6a2c68637149a4b1dbfd1fdff5addd62a2142f06699ed7602529", "00012080f6",
     "039aab8376597021e855679a9778ea0b67396e68c66df32c0f41e9acca2da9b9d1"
     "46a33fc271"
     "6ac7dae96aa30a4d"},
    {"C.4.4 profile B, NAI username verylongusername1", scheme::profile_b, k_b_priv, k_b_pub_c,
     "90a5898bd29ffa3f261e00e980067c70a2b1b992a21f5b4fef6d4df69fe804ad",
     "766572796c6f6e67757365726e616d6531",
     "03759bb22c563d9f4a6b3c1419e543fc2f39d6823f02a9d71162b39399218b244b"
     "be22d8b9f856a52ed381cd7eaf4cf2d525"
     "3cddc61a0a7882eb"},
};

TEST(suci_vectors, conceal_is_byte_exact) {
  for (const auto& r : k_vectors) {
    auto out = conceal(r.s, hex(r.hn_pub), hex(r.input), hex(r.eph_priv));
    ASSERT_TRUE(out.ok()) << r.name << ": " << out.error().describe();
    EXPECT_EQ(to_hex(*out), r.output) << r.name;
  }
}

TEST(suci_vectors, deconceal_is_byte_exact) {
  for (const auto& r : k_vectors) {
    auto in = deconceal(r.s, hex(r.hn_priv), hex(r.output));
    ASSERT_TRUE(in.ok()) << r.name << ": " << in.error().describe();
    EXPECT_EQ(to_hex(*in), r.input) << r.name;
  }
}

TEST(suci_vectors, public_keys_of_the_annex_private_keys) {
  EXPECT_EQ(to_hex(*public_key_of(scheme::profile_a, hex(k_a_priv))), k_a_pub);
  EXPECT_EQ(to_hex(*public_key_of(scheme::profile_b, hex(k_b_priv))), k_b_pub_c);
  EXPECT_EQ(to_hex(*public_key_of(scheme::profile_b, hex(k_b_priv), false)), k_b_pub_u);
  // Ephemeral public keys of the annex (C.4.3 / C.4.4).
  EXPECT_EQ(to_hex(*public_key_of(scheme::profile_a, hex(k_vectors[0].eph_priv))),
            "b2e92f836055a255837debf850b528997ce0201cb82adfe4be1f587d07d8457d");
  EXPECT_EQ(to_hex(*public_key_of(scheme::profile_b, hex(k_vectors[2].eph_priv), false)),
            "049aab8376597021e855679a9778ea0b67396e68c66df32c0f41e9acca2da9b9d1"
            "d1f44ea1c87aa7478b954537bde79951e748a43294a4f4cf86eaff1789c9c81f");
}

TEST(suci_vectors, null_scheme_is_identity) {
  auto out = conceal(scheme::null, {}, hex("00012080f6"));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(to_hex(*out), "00012080f6");
  auto in = deconceal(scheme::null, {}, hex("00012080f6"));
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(to_hex(*in), "00012080f6");
}

// ---------------------------------------------------------------------------------------
// Tampering and bad inputs
// ---------------------------------------------------------------------------------------

TEST(suci_deconceal, every_flipped_bit_fails_verification_or_key_check) {
  for (const auto& r : {k_vectors[0], k_vectors[2]}) {
    const bytes good = hex(r.output);
    for (std::size_t i = 0; i < good.size(); ++i) {
      bytes bad = good;
      bad[i] ^= 0x01;
      auto in = deconceal(r.s, hex(r.hn_priv), bad);
      ASSERT_FALSE(in.ok()) << r.name << " byte " << i;
      // A flipped key octet may give another valid key (MAC fails) or an invalid point.
      EXPECT_TRUE(is(in.error(), errc::verification) || is(in.error(), errc::bad_value))
          << r.name << " byte " << i << ": " << in.error().describe();
    }
  }
}

TEST(suci_deconceal, wrong_private_key_fails_mac) {
  bytes other = hex(k_a_priv);
  other[0] ^= 0x40;
  auto in = deconceal(scheme::profile_a, other, hex(k_vectors[0].output));
  ASSERT_FALSE(in.ok());
  EXPECT_TRUE(is(in.error(), errc::verification));
  EXPECT_EQ(in.error().message, "SUCI profile A: MAC tag mismatch");
}

TEST(suci_deconceal, truncated_outputs) {
  // Profile A needs 32 + 1 + 8 octets, profile B 33 + 1 + 8.
  const bytes a = hex(k_vectors[0].output);
  auto e = deconceal(scheme::profile_a, hex(k_a_priv), byte_view(a).first(40));
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(is(e.error(), errc::truncated)) << e.error().describe();
  const bytes b = hex(k_vectors[2].output);
  e = deconceal(scheme::profile_b, hex(k_b_priv), byte_view(b).first(41));
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(is(e.error(), errc::truncated));
  e = deconceal(scheme::profile_b, hex(k_b_priv), {});
  EXPECT_TRUE(is(e.error(), errc::truncated));
}

TEST(suci_deconceal, profile_b_needs_a_compressed_point_on_the_curve) {
  bytes b = hex(k_vectors[2].output);
  b[0] = 0x04;
  auto e = deconceal(scheme::profile_b, hex(k_b_priv), b);
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(is(e.error(), errc::bad_value));
  EXPECT_NE(e.error().message.find("compressed"), std::string::npos);
  // x = 1 has no point on secp256r1 (1 - 3 + b is a quadratic non-residue mod p).
  bytes off(33, 0x00);
  off[0] = 0x02;
  off[32] = 0x01;
  bytes out = off;
  out.insert(out.end(), {0x01, 0, 0, 0, 0, 0, 0, 0, 0});
  e = deconceal(scheme::profile_b, hex(k_b_priv), out);
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(is(e.error(), errc::bad_value)) << e.error().describe();
}

TEST(suci_deconceal, profile_a_rejects_low_order_points) {
  // u = 0 and u = 1 are small-order points of Curve25519: the shared secret is zero.
  for (std::uint8_t u : {0x00, 0x01}) {
    bytes out(32, 0x00);
    out[0] = u;
    out.insert(out.end(), 9, 0x00);
    auto e = deconceal(scheme::profile_a, hex(k_a_priv), out);
    ASSERT_FALSE(e.ok());
    EXPECT_TRUE(is(e.error(), errc::bad_value)) << e.error().describe();
  }
}

TEST(suci_keys, bad_keys_name_the_field_and_not_the_key) {
  auto e = conceal(scheme::profile_a, hex("5a8d"), hex("00012080f6"));
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(is(e.error(), errc::bad_length));
  EXPECT_EQ(e.error().message, "SUCI profile A: home network public key must be 32 octets, got 2");
  e = conceal(scheme::profile_b, hex(k_a_pub), hex("00012080f6"));
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(is(e.error(), errc::bad_value));
  e = deconceal(scheme::profile_b, bytes(32, 0x00), hex(k_vectors[2].output));
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("not in [1, n-1]"), std::string::npos);
  e = deconceal(scheme::profile_b, bytes(32, 0xFF), hex(k_vectors[2].output));
  ASSERT_FALSE(e.ok());
  e = conceal(scheme::profile_a, hex(k_a_pub), {});
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(is(e.error(), errc::bad_argument));
  // No error message carries key material.
  auto d = deconceal(scheme::profile_a, hex(k_a_priv), hex(k_vectors[2].output));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message.find("c53c2220"), std::string::npos);
  EXPECT_TRUE(check_public_key(scheme::profile_b, hex(k_b_pub_c)).ok());
  EXPECT_TRUE(check_public_key(scheme::profile_b, hex(k_b_pub_u)).ok());
  EXPECT_FALSE(check_public_key(scheme::profile_b, hex(k_a_pub)).ok());
  EXPECT_TRUE(check_public_key(scheme::profile_a, hex(k_a_pub)).ok());
  EXPECT_FALSE(generate_key_pair(scheme::null).ok());
  EXPECT_TRUE(is(scheme_from_id(3).error(), errc::unsupported));
  EXPECT_TRUE(is(scheme_from_id(16).error(), errc::bad_value));
  EXPECT_EQ(*scheme_from_id(2), scheme::profile_b);
}

TEST(suci_keys, generated_pairs_work) {
  for (scheme s : {scheme::profile_a, scheme::profile_b}) {
    auto kp = generate_key_pair(s);
    ASSERT_TRUE(kp.ok()) << kp.error().describe();
    EXPECT_EQ(kp->private_key.size(), 32u);
    EXPECT_EQ(kp->public_key.size(), s == scheme::profile_a ? 32u : 33u);
    EXPECT_EQ(*public_key_of(s, kp->private_key), kp->public_key);
    auto out = conceal(s, kp->public_key, hex("2143658709"));
    ASSERT_TRUE(out.ok()) << out.error().describe();
    EXPECT_EQ(out->size(), ephemeral_key_size(s) + 5 + mac_tag_size);
    auto again = conceal(s, kp->public_key, hex("2143658709"));
    EXPECT_NE(*out, *again);  // a fresh ephemeral key each time
    EXPECT_EQ(to_hex(*deconceal(s, kp->private_key, *out)), "2143658709");
  }
  auto u = generate_key_pair(scheme::profile_b, false);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->public_key.size(), 65u);
  EXPECT_EQ(u->public_key[0], 0x04);
}

// ---------------------------------------------------------------------------------------
// MSIN and SUCI forms
// ---------------------------------------------------------------------------------------

TEST(suci_msin, bcd) {
  EXPECT_EQ(to_hex(*msin_to_bcd("001002086")), "00012080f6");  // C.4.3 scheme input
  EXPECT_EQ(to_hex(*msin_to_bcd("00007487")), "00004778");
  EXPECT_EQ(*bcd_to_msin(hex("00012080f6")), "001002086");
  EXPECT_EQ(*bcd_to_msin(hex("00004778")), "00007487");
  EXPECT_FALSE(msin_to_bcd("").ok());
  EXPECT_FALSE(msin_to_bcd("12345678901").ok());
  EXPECT_FALSE(msin_to_bcd("12a").ok());
  EXPECT_TRUE(is(bcd_to_msin(hex("0f12")).error(), errc::bad_value));  // F not last
  EXPECT_TRUE(is(bcd_to_msin(hex("0a")).error(), errc::bad_value));
  EXPECT_TRUE(is(bcd_to_msin({}).error(), errc::truncated));
}

struct suci_row {
  const char* source;
  const char* text;
  const char* binary;  ///< 5GS mobile identity contents (TS 24.501 §9.11.3.4 octet 4 on)
  const char* imsi;
};

// free5gc SUCI tests (TS 33.501 Annex C.4 keys, home network 208/93, routing indicator 0).
const suci_row k_sucis[] = {
    {"free5gc null scheme", "suci-0-208-93-0-0-0-00007487", "01 02f839 f0ff 00 00 00004778",
     "2089300007487"},
    {"free5gc profile A (C.4.3 output)",
     "suci-0-208-93-0-1-1-b2e92f836055a255837debf850b528997ce0201cb82adfe4be1f587d07d8457d"
     "cb02352410cddd9e730ef3fa87",
     "01 02f839 f0ff 01 01 b2e92f836055a255837debf850b528997ce0201cb82adfe4be1f587d07d8457d"
     "cb02352410cddd9e730ef3fa87",
     "20893001002086"},
    {"free5gc profile B (C.4.4 output)",
     "suci-0-208-93-0-2-2-039aab8376597021e855679a9778ea0b67396e68c66df32c0f41e9acca2da9b9d1"
     "46a33fc2716ac7dae96aa30a4d",
     "01 02f839 f0ff 02 02 039aab8376597021e855679a9778ea0b67396e68c66df32c0f41e9acca2da9b9d1"
     "46a33fc2716ac7dae96aa30a4d",
     "20893001002086"},
    {"TS 33.501 C.4 home network 274/012, RI 678, key id 27",
     "suci-0-274-012-678-1-27-b2e92f836055a255837debf850b528997ce0201cb82adfe4be1f587d07d8457d"
     "cb02352410cddd9e730ef3fa87",
     "01 722410 76f8 01 1b b2e92f836055a255837debf850b528997ce0201cb82adfe4be1f587d07d8457d"
     "cb02352410cddd9e730ef3fa87",
     "274012001002086"},
};

bytes H(std::string s) {
  std::erase(s, ' ');
  return hex(s);
}

TEST(suci_forms, table) {
  const hn_private_key keys[] = {
      {scheme::profile_a, 1, hex(k_a_priv)},
      {scheme::profile_b, 2, hex(k_b_priv)},
      {scheme::profile_a, 27, hex(k_a_priv)},
  };
  for (const auto& r : k_sucis) {
    auto s = parse_suci(r.text);
    ASSERT_TRUE(s.ok()) << r.source << ": " << s.error().describe();
    EXPECT_EQ(*to_string(*s), r.text) << r.source;
    byte_writer w;
    ASSERT_TRUE(encode_suci(*s, w).ok()) << r.source;
    EXPECT_EQ(to_hex(w.data()), to_hex(H(r.binary))) << r.source;
    auto b = decode_suci(H(r.binary));
    ASSERT_TRUE(b.ok()) << r.source << ": " << b.error().describe();
    EXPECT_EQ(*b, *s) << r.source;
    auto imsi = deconceal_imsi(*s, keys);
    ASSERT_TRUE(imsi.ok()) << r.source << ": " << imsi.error().describe();
    EXPECT_EQ(*imsi, r.imsi) << r.source;
  }
}

TEST(suci_forms, conceal_imsi_reproduces_the_annex) {
  auto s = conceal_imsi("274012001002086", 3, "678", scheme::profile_a, 27, hex(k_a_pub),
                        hex(k_vectors[0].eph_priv));
  ASSERT_TRUE(s.ok()) << s.error().describe();
  EXPECT_EQ(*to_string(*s), k_sucis[3].text);
  auto b = conceal_imsi("20893001002086", 2, "0", scheme::profile_b, 2, hex(k_b_pub_c),
                        hex(k_vectors[2].eph_priv));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*to_string(*b), k_sucis[2].text);
  auto n = conceal_imsi("2089300007487", 2, "0", scheme::null, 9, {});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->hn_key_id, 0);
  EXPECT_EQ(*to_string(*n), k_sucis[0].text);
  EXPECT_FALSE(conceal_imsi("20893", 2, "0", scheme::null, 0, {}).ok());
  EXPECT_FALSE(conceal_imsi("2089300007487", 4, "0", scheme::null, 0, {}).ok());
  EXPECT_FALSE(conceal_imsi("2089300007487", 2, "12345", scheme::null, 0, {}).ok());
}

TEST(suci_forms, key_lookup_during_rotation) {
  // Old key id 1 (profile A) and new key id 2 (profile B) coexist in the SIDF.
  const hn_private_key keys[] = {{scheme::profile_a, 1, hex(k_a_priv)},
                                 {scheme::profile_b, 2, hex(k_b_priv)}};
  auto s = parse_suci(k_sucis[1].text);
  ASSERT_TRUE(s.ok());
  s->hn_key_id = 3;
  auto e = deconceal_imsi(*s, keys);
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(is(e.error(), errc::not_found));
  EXPECT_EQ(e.error().message, "no home network private key for profile A key id 3");
  s->hn_key_id = 2;  // key id 2 exists but for profile B
  EXPECT_TRUE(is(deconceal_imsi(*s, keys).error(), errc::not_found));
  s->scheme_output.back() ^= 0x80;
  s->hn_key_id = 1;
  EXPECT_TRUE(is(deconceal_imsi(*s, keys).error(), errc::verification));
}

TEST(suci_forms, bad_inputs) {
  const char* bad_text[] = {
      "",
      "suci",
      "supi-0-208-93-0-0-0-00007487",
      "suci-0-208-93-0-0-0",
      "suci-0-208-93-0-0-0-00007487-1",
      "suci-0-20-93-0-0-0-00007487",       // MCC of 2 digits
      "suci-0-208-9-0-0-0-00007487",       // MNC of 1 digit
      "suci-0-208-93-12345-0-0-00007487",  // RI of 5 digits
      "suci-0-208-93-0-0-1-00007487",      // key id 1 with the null scheme
      "suci-0-208-93-0-1-0-b2e9",          // key id 0 with profile A
      "suci-0-208-93-0-1-256-b2e9",        // key id out of range
      "suci-0-208-93-0-10-1-b2e9",         // scheme id of two digits
      "suci-0-208-93-0-1-1-b2e9",          // output shorter than key + 1 + tag
      "suci-0-208-93-0-1-1-zz",            // not hex
      "suci-0-208-93-0-0-0-0000x487",      // MSIN not digits
      "suci-8-208-93-0-0-0-00007487",      // SUPI type 8
  };
  for (const char* t : bad_text) EXPECT_FALSE(parse_suci(t).ok()) << t;

  // Binary: truncation before the scheme output, wrong identity type, other SUPI format,
  // RI digit after the filler, spare scheme bits, empty output.
  EXPECT_TRUE(is(decode_suci(H("01 02f839 f0ff 00")).error(), errc::truncated));
  EXPECT_TRUE(is(decode_suci(H("02 02f839 f0ff 00 00 00004778")).error(), errc::bad_value));
  EXPECT_TRUE(is(decode_suci(H("11 02f839 f0ff 00 00 00004778")).error(), errc::unsupported));
  EXPECT_TRUE(is(decode_suci(H("81 02f839 f0ff 00 00 00004778")).error(), errc::bad_value));
  EXPECT_TRUE(is(decode_suci(H("09 02f839 f0ff 00 00 00004778")).error(), errc::bad_value));
  EXPECT_TRUE(is(decode_suci(H("01 02f839 f00f 00 00 00004778")).error(), errc::bad_value));
  EXPECT_TRUE(is(decode_suci(H("01 02f839 f0ff 10 00 00004778")).error(), errc::bad_value));
  EXPECT_TRUE(is(decode_suci(H("01 0af839 f0ff 00 00 00004778")).error(), errc::bad_value));
  EXPECT_FALSE(decode_suci(H("01 02f839 f0ff 00 00")).ok());
  EXPECT_FALSE(decode_suci(H("01 02f839 f0ff 01 01 00112233")).ok());

  // NAI-type SUCIs have a string form; the binary SUCI NAI is not implemented.
  suci nai;
  nai.type = supi_type::network_specific;
  nai.home_network = "ims.mnc-01.example";
  nai.routing_indicator = "12";
  nai.scheme_output = {'u', 's', 'e', 'r'};
  auto t = to_string(nai);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "suci-1-ims.mnc-01.example-12-0-0-user");
  EXPECT_EQ(*parse_suci(*t), nai);
  byte_writer w;
  EXPECT_TRUE(is(encode_suci(nai, w).error(), errc::unsupported));
  EXPECT_FALSE(deconceal_imsi(nai, {}).ok());
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

RC_GTEST_PROP(suci_prop, conceal_deconceal_round_trip, ()) {
  const auto s = *rc::gen::element(scheme::profile_a, scheme::profile_b);
  const auto input =
      *rc::gen::nonEmpty(rc::gen::container<bytes>(rc::gen::arbitrary<std::uint8_t>()));
  const vector_row& r = s == scheme::profile_a ? k_vectors[0] : k_vectors[2];
  auto out = conceal(s, hex(r.hn_pub), input);
  RC_ASSERT(out.ok());
  RC_ASSERT(out->size() == ephemeral_key_size(s) + input.size() + mac_tag_size);
  auto back = deconceal(s, hex(r.hn_priv), *out);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == input);
}

RC_GTEST_PROP(suci_prop, imsi_forms_round_trip, ()) {
  const auto digit = rc::gen::inRange('0', static_cast<char>('9' + 1));
  const unsigned mnc_len = *rc::gen::inRange(2u, 4u);
  const auto len = *rc::gen::inRange<std::size_t>(3 + mnc_len + 1, 16);
  const auto imsi = *rc::gen::container<std::string>(len, digit);
  const auto ri = *rc::gen::container<std::string>(*rc::gen::inRange(1, 5), digit);
  const auto s = *rc::gen::element(scheme::null, scheme::profile_a, scheme::profile_b);
  const vector_row& r = s == scheme::profile_b ? k_vectors[2] : k_vectors[0];
  const auto key_id = *rc::gen::inRange<unsigned>(1, 256);
  auto suci_v =
      conceal_imsi(imsi, mnc_len, ri, s, static_cast<std::uint8_t>(key_id), hex(r.hn_pub));
  RC_ASSERT(suci_v.ok());
  auto text = to_string(*suci_v);
  RC_ASSERT(text.ok());
  auto parsed = parse_suci(*text);
  RC_ASSERT(parsed.ok());
  RC_ASSERT(*parsed == *suci_v);
  byte_writer w;
  RC_ASSERT(encode_suci(*suci_v, w).ok());
  auto decoded = decode_suci(w.data());
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == *suci_v);
  const hn_private_key keys[] = {{s, static_cast<std::uint8_t>(key_id), hex(r.hn_priv)}};
  auto back = deconceal_imsi(*decoded, keys);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == imsi);
}

}  // namespace
}  // namespace otaflow::secure::suci
