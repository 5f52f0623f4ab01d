#include "codec/tlv.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

namespace otaflow::codec {
namespace {

bytes repeat(std::size_t n, std::uint8_t v = 0xA5) {
  return bytes(n, v);
}

bytes cat(std::initializer_list<bytes> parts) {
  bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Every strict prefix of a single encoded object must be reported as truncated.
template <class Decode>
void expect_prefixes_truncated(const bytes& full, Decode decode) {
  for (std::size_t n = 0; n < full.size(); ++n) {
    const byte_view prefix(full.data(), n);
    auto r = decode(prefix);
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " octets of " << to_hex(full) << " decoded";
    EXPECT_EQ(r.error().code, errc::truncated)
        << "prefix " << n << " of " << to_hex(full) << ": " << r.error().message;
  }
}

// ------------------------------------------------------------------------------------------
// BER-TLV
// ------------------------------------------------------------------------------------------

struct ber_row {
  const char* name;
  bytes encoded;
  std::uint32_t tag;
  bool constructed;
  bytes value;
};

std::vector<ber_row> ber_rows() {
  return {
      // DF name in an FCP: ADF.USIM AID prefix [docs/standards/ts31102-files.md §1]
      {"one-octet primitive", hex("8407a0000000871002"), 0x84, false, hex("a0000000871002")},
      {"empty value", hex("8000"), 0x80, false, {}},
      {"two-octet tag 5F2D", hex("5f2d02656e"), 0x5F2D, false, hex("656e")},
      {"two-octet tag 9F01 (number < 31)", hex("9f010100"), 0x9F01, false, hex("00")},
      {"three-octet tag", hex("5f810101aa"), 0x5F8101, false, hex("aa")},
      {"constructed FCP template", hex("62088202782183023f00"), 0x62, true,
       hex("820278218302"
           "3f00")},
      {"constructed BF0C", hex("bf0c03800100"), 0xBF0C, true, hex("800100")},
      {"length 81 80", cat({hex("538180"), repeat(128)}), 0x53, false, repeat(128)},
      {"length 81 FF", cat({hex("5381ff"), repeat(255)}), 0x53, false, repeat(255)},
      {"length 82 0100", cat({hex("53820100"), repeat(256)}), 0x53, false, repeat(256)},
      {"length 83 010000", cat({hex("5383010000"), repeat(65536)}), 0x53, false, repeat(65536)},
  };
}

TEST(BerTlv, TableDecodeEncode) {
  for (const auto& row : ber_rows()) {
    SCOPED_TRACE(row.name);
    auto v = ber_decode_view(row.encoded);
    ASSERT_TRUE(v.ok()) << v.error().describe();
    EXPECT_EQ(v->tag, row.tag);
    EXPECT_EQ(v->constructed(), row.constructed);
    EXPECT_EQ(bytes(v->value.begin(), v->value.end()), row.value);
    EXPECT_EQ(v->encoded_size, row.encoded.size());

    auto owned = ber_decode(row.encoded);
    ASSERT_TRUE(owned.ok());
    EXPECT_EQ(*owned, (ber_tlv{row.tag, row.value}));

    auto enc = ber_encode(ber_tlv{row.tag, row.value});
    ASSERT_TRUE(enc.ok()) << enc.error().describe();
    EXPECT_EQ(to_hex(*enc), to_hex(row.encoded));
  }
}

TEST(BerTlv, TruncationOfEveryField) {
  for (const auto& row : ber_rows()) {
    if (row.encoded.size() > 300) continue;  // the 64 KiB row is covered by the cut below
    SCOPED_TRACE(row.name);
    expect_prefixes_truncated(row.encoded, [](byte_view in) { return ber_decode_view(in); });
  }
  // The length octets of 82/83/84 forms, cut in the middle.
  for (const char* h : {"5382", "538201", "5383", "53830100", "5384", "5384000000"}) {
    auto r = ber_decode_view(hex(h));
    ASSERT_FALSE(r.ok()) << h;
    EXPECT_EQ(r.error().code, errc::truncated) << h;
  }
  // Value shorter than the length: the message names the tag and the numbers.
  auto r = ber_decode_view(hex("8405a00000"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, errc::truncated);
  EXPECT_NE(r.error().message.find("84"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("length 5"), std::string::npos) << r.error().message;
}

TEST(BerTlv, NonMinimalLengthsDecode) {
  // ISO 7816-4 allows 81 00..FF and the longer forms for any value.
  auto b =
      ber_decode(hex("5381030102"
                     "03"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->value, hex("010203"));
  auto c = ber_decode(hex("538400000002aabb"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->value, hex("aabb"));
}

TEST(BerTlv, InvalidTagsAndLengths) {
  struct bad {
    const char* hex;
    errc code;
  };
  for (const bad& b : std::vector<bad>{
           {"0000", errc::bad_value},              // 00 is padding
           {"ff00", errc::bad_value},              // FF is padding
           {"5f8000", errc::bad_value},            // first subsequent octet b7-b1 = 0
           {"5f0000", errc::bad_value},            // same, with b8 = 0
           {"5f81818101aa", errc::unsupported},    // 4-octet tag
           {"5380", errc::bad_value},              // indefinite length
           {"5385000000000001", errc::bad_value},  // 85
           {"53ff", errc::bad_value},              // FF length
       }) {
    auto r = ber_decode_view(hex(b.hex));
    ASSERT_FALSE(r.ok()) << b.hex;
    EXPECT_EQ(r.error().code, b.code) << b.hex << ": " << r.error().message;
  }
  auto trailing = ber_decode(hex("800100aa"));
  ASSERT_FALSE(trailing.ok());
  EXPECT_EQ(trailing.error().code, errc::bad_length);
}

TEST(BerTlv, TagValidity) {
  EXPECT_TRUE(ber_tag_valid(0x84));
  EXPECT_TRUE(ber_tag_valid(0x9F01));
  EXPECT_TRUE(ber_tag_valid(0x7F8101));
  EXPECT_FALSE(ber_tag_valid(0));
  EXPECT_FALSE(ber_tag_valid(0xFF));
  EXPECT_FALSE(ber_tag_valid(0x1F));        // needs a subsequent octet
  EXPECT_FALSE(ber_tag_valid(0x5F00));      // first subsequent octet 00
  EXPECT_FALSE(ber_tag_valid(0x5F8001));    // first subsequent octet 80
  EXPECT_FALSE(ber_tag_valid(0x5F81));      // last octet has b8 = 1
  EXPECT_FALSE(ber_tag_valid(0x8401));      // 84 is a one-octet tag
  EXPECT_FALSE(ber_tag_valid(0x5F818101));  // 4 octets
  byte_writer w;
  auto st = ber_encode(0x1F, hex("00"), w);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, errc::bad_argument);
  EXPECT_NE(st.error().message.find("1F"), std::string::npos) << st.error().message;
}

TEST(BerTlv, MinimalLengthOnEncode) {
  struct row {
    std::size_t n;
    const char* prefix;
  };
  for (const row& r : std::vector<row>{{0, "5300"},
                                       {127, "537f"},
                                       {128, "538180"},
                                       {255, "5381ff"},
                                       {256, "53820100"},
                                       {65535, "5382ffff"},
                                       {65536, "5383010000"}}) {
    auto enc = ber_encode(ber_tlv{0x53, repeat(r.n)});
    ASSERT_TRUE(enc.ok());
    const std::string p = r.prefix;
    EXPECT_EQ(to_hex(*enc).substr(0, p.size()), p) << r.n;
    EXPECT_EQ(enc->size(), p.size() / 2 + r.n);
  }
}

TEST(BerTlv, SequencePaddingAndFind) {
  // ISO 7816-4 §5.2.2: 00/FF may occur before, between and after BER-TLV objects.
  const bytes padded =
      hex("00"
          "840101"
          "ffff"
          "850100"
          "00");
  auto strict = ber_decode_all(padded);
  ASSERT_FALSE(strict.ok());
  EXPECT_EQ(strict.error().code, errc::bad_value);

  auto loose = ber_decode_all(padded, ber_options{.skip_padding = true});
  ASSERT_TRUE(loose.ok()) << loose.error().describe();
  ASSERT_EQ(loose->size(), 2u);
  EXPECT_EQ((*loose)[0], (ber_tlv{0x84, hex("01")}));
  EXPECT_EQ((*loose)[1], (ber_tlv{0x85, hex("00")}));

  const bytes fcp_content = hex("8202782183023f008a0105");
  auto found = ber_find(fcp_content, 0x83);
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(to_hex((*found)->value), "3f00");
  auto missing = ber_find(fcp_content, 0x84);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  auto broken = ber_find(hex("820278"), 0x82);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, errc::truncated);

  // Nested decode of a constructed object through the views.
  const bytes fcp_bytes = hex("620b8202782183023f008a0105");  // views point into it
  auto fcp = ber_decode_view(fcp_bytes);
  ASSERT_TRUE(fcp.ok());
  auto inner = ber_decode_all_views(fcp->value);
  ASSERT_TRUE(inner.ok());
  ASSERT_EQ(inner->size(), 3u);
  EXPECT_EQ((*inner)[2].tag, 0x8Au);
  EXPECT_EQ(ber_find(*inner, 0x82)->value.size(), 2u);
}

TEST(BerTlv, IndefiniteTemplate) {
  // RAM GET DATA in an indefinite Command Scripting template [pySim-tests, live eUICC].
  const bytes t = hex("ae80220580ca00e0000000");
  auto v = ber_decode_indefinite(t);
  ASSERT_TRUE(v.ok()) << v.error().describe();
  EXPECT_EQ(v->tag, 0xAEu);
  EXPECT_EQ(to_hex(v->content), "220580ca00e000");
  EXPECT_EQ(v->encoded_size, t.size());

  bytes with_tail = t;
  with_tail.push_back(0x42);
  auto tail = ber_decode_indefinite(with_tail);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(tail->encoded_size, t.size());

  byte_writer w;
  ASSERT_TRUE(ber_encode_indefinite(0xAE, v->content, w).ok());
  EXPECT_EQ(w.data(), t);
  EXPECT_FALSE(ber_encode_indefinite(0x8E, v->content, w).ok());  // primitive tag

  expect_prefixes_truncated(t, [](byte_view in) { return ber_decode_indefinite(in); });
  struct bad {
    const char* hex;
    errc code;
  };
  for (const bad& b : std::vector<bad>{
           {"ae07220580ca00e000", errc::bad_value},  // definite length
           {"8e800000", errc::bad_value},            // primitive tag
           {"ae8000aa", errc::bad_value},            // 00 AA is not end-of-contents
           {"ae8022800000", errc::bad_value},        // inner indefinite length
       }) {
    auto r = ber_decode_indefinite(hex(b.hex));
    ASSERT_FALSE(r.ok()) << b.hex;
    EXPECT_EQ(r.error().code, b.code) << b.hex << ": " << r.error().message;
  }
}

// Generates a valid tag of 1..3 octets.
rc::Gen<std::uint32_t> gen_ber_tag() {
  return rc::gen::exec([]() -> std::uint32_t {
    const int octets = *rc::gen::inRange(1, 4);
    const auto cls = static_cast<std::uint32_t>(*rc::gen::inRange(0, 8)) << 5;  // class+constr.
    if (octets == 1) {
      const auto number = static_cast<std::uint32_t>(*rc::gen::inRange(0, 31));
      const std::uint32_t t = cls | number;
      return t == 0 ? 0x80 : t;
    }
    const std::uint32_t first = cls == 0xE0 ? 0xDF : (cls | 0x1F);  // FF is padding
    if (octets == 2) return (first << 8) | static_cast<std::uint32_t>(*rc::gen::inRange(1, 0x80));
    const auto second = static_cast<std::uint32_t>(*rc::gen::inRange(0x81, 0x100));
    const auto third = static_cast<std::uint32_t>(*rc::gen::inRange(0, 0x80));
    return (first << 16) | (second << 8) | third;
  });
}

rc::Gen<bytes> gen_value(int max_size) {
  return rc::gen::resize(max_size, rc::gen::container<bytes>(rc::gen::arbitrary<std::uint8_t>()));
}

RC_GTEST_PROP(BerTlvProp, EncodeDecodeIdentity, ()) {
  const ber_tlv t{*gen_ber_tag(), *gen_value(400)};
  RC_ASSERT(ber_tag_valid(t.tag));
  auto enc = ber_encode(t);
  RC_ASSERT(enc.ok());
  auto dec = ber_decode(*enc);
  RC_ASSERT(dec.ok());
  RC_ASSERT(*dec == t);
}

RC_GTEST_PROP(BerTlvProp, SequenceIdentity, ()) {
  const int n = *rc::gen::inRange(0, 6);
  std::vector<ber_tlv> tlvs;
  byte_writer w;
  for (int i = 0; i < n; ++i) {
    tlvs.push_back(ber_tlv{*gen_ber_tag(), *gen_value(40)});
    RC_ASSERT(ber_encode(tlvs.back(), w).ok());
  }
  auto dec = ber_decode_all(w.data());
  RC_ASSERT(dec.ok());
  RC_ASSERT(*dec == tlvs);
}

RC_GTEST_PROP(BerTlvProp, IndefiniteIdentity, ()) {
  byte_writer content;
  const int n = *rc::gen::inRange(0, 4);
  for (int i = 0; i < n; ++i)
    RC_ASSERT(ber_encode(ber_tlv{*gen_ber_tag(), *gen_value(40)}, content).ok());
  byte_writer w;
  RC_ASSERT(ber_encode_indefinite(0xAF, content.data(), w).ok());
  auto dec = ber_decode_indefinite(w.data());
  RC_ASSERT(dec.ok());
  RC_ASSERT(bytes(dec->content.begin(), dec->content.end()) == content.data());
  RC_ASSERT(dec->encoded_size == w.size());
}

// ------------------------------------------------------------------------------------------
// SIMPLE-TLV
// ------------------------------------------------------------------------------------------

TEST(SimpleTlv, TableDecodeEncode) {
  struct row {
    const char* name;
    bytes encoded;
    simple_tlv tlv;
  };
  for (const row& r : std::vector<row>{
           {"short", hex("0103aabbcc"), {0x01, hex("aabbcc")}},
           {"empty", hex("fe00"), {0xFE, {}}},
           {"254 octets", cat({hex("02fe"), repeat(254)}), {0x02, repeat(254)}},
           {"255 octets uses FF", cat({hex("02ff00ff"), repeat(255)}), {0x02, repeat(255)}},
           {"256 octets", cat({hex("02ff0100"), repeat(256)}), {0x02, repeat(256)}},
       }) {
    SCOPED_TRACE(r.name);
    byte_reader rd(r.encoded);
    auto t = simple_tlv_read(rd);
    ASSERT_TRUE(t.ok()) << t.error().describe();
    EXPECT_EQ(*t, r.tlv);
    EXPECT_TRUE(rd.empty());
    byte_writer w;
    ASSERT_TRUE(simple_tlv_encode(r.tlv, w).ok());
    EXPECT_EQ(to_hex(w.data()), to_hex(r.encoded));
    if (r.encoded.size() < 300) {
      expect_prefixes_truncated(r.encoded, [](byte_view in) {
        byte_reader x(in);
        return simple_tlv_read(x);
      });
    }
  }
  // FF + 2 octets accepted for small lengths too.
  auto seq = simple_tlv_decode_all(hex("01ff0002aabb0201cc"));
  ASSERT_TRUE(seq.ok());
  ASSERT_EQ(seq->size(), 2u);
  EXPECT_EQ((*seq)[0].value, hex("aabb"));
  for (const char* h : {"0000", "ff00"}) {
    auto bad = simple_tlv_decode_all(hex(h));
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, errc::bad_value);
  }
  byte_writer w;
  EXPECT_FALSE(simple_tlv_encode({0x00, {}}, w).ok());
  EXPECT_EQ(simple_tlv_encode({0x01, repeat(65536)}, w).error().code, errc::too_long);
}

RC_GTEST_PROP(SimpleTlvProp, EncodeDecodeIdentity, ()) {
  const simple_tlv t{static_cast<std::uint8_t>(*rc::gen::inRange(1, 0xFF)), *gen_value(400)};
  byte_writer w;
  RC_ASSERT(simple_tlv_encode(t, w).ok());
  auto dec = simple_tlv_decode_all(w.data());
  RC_ASSERT(dec.ok());
  RC_ASSERT(dec->size() == 1u);
  RC_ASSERT((*dec)[0] == t);
}

// ------------------------------------------------------------------------------------------
// COMPACT-TLV
// ------------------------------------------------------------------------------------------

TEST(CompactTlv, HistoricalBytes) {
  // Card service data (BER tag 43 -> compact 3, length 1) and card capabilities (47 -> 7,
  // length 3), as they appear in historical bytes after category indicator 80 [ISO 7816-4 §8].
  const bytes h =
      hex("31e0"
          "73800080");
  auto seq = compact_tlv_decode_all(h);
  ASSERT_TRUE(seq.ok()) << seq.error().describe();
  ASSERT_EQ(seq->size(), 2u);
  EXPECT_EQ((*seq)[0], (compact_tlv{3, hex("e0")}));
  EXPECT_EQ((*seq)[1], (compact_tlv{7, hex("800080")}));
  byte_writer w;
  for (const auto& t : *seq) ASSERT_TRUE(compact_tlv_encode(t, w).ok());
  EXPECT_EQ(w.data(), h);

  expect_prefixes_truncated(hex("73800080"), [](byte_view in) {
    byte_reader r(in);
    return compact_tlv_read(r);
  });
  EXPECT_EQ(compact_tlv_encode({16, {}}, w).error().code, errc::bad_argument);
  EXPECT_EQ(compact_tlv_encode({1, repeat(16)}, w).error().code, errc::too_long);
}

RC_GTEST_PROP(CompactTlvProp, EncodeDecodeIdentity, ()) {
  const compact_tlv t{static_cast<std::uint8_t>(*rc::gen::inRange(0, 16)), *gen_value(15)};
  RC_PRE(t.value.size() <= 15u);
  byte_writer w;
  RC_ASSERT(compact_tlv_encode(t, w).ok());
  auto dec = compact_tlv_decode_all(w.data());
  RC_ASSERT(dec.ok());
  RC_ASSERT(dec->size() == 1u);
  RC_ASSERT((*dec)[0] == t);
}

// ------------------------------------------------------------------------------------------
// COMPREHENSION-TLV
// ------------------------------------------------------------------------------------------

TEST(ComprehensionTlv, TableDecodeEncode) {
  struct row {
    const char* name;
    bytes encoded;
    comprehension_tlv tlv;
  };
  const std::vector<row> rows = {
      // Command details of SEND SHORT MESSAGE, CR set [TS 102 223 §8.6].
      {"command details", hex("8103011300"), {0x01, true, false, hex("011300")}},
      // Device identities UICC -> terminal [TS 102 223 §8.7].
      {"device identities", hex("82028182"), {0x02, true, false, hex("8182")}},
      {"address, CR clear", hex("0603911032"), {0x06, false, false, hex("911032")}},
      {"3-octet tag with CR", hex("7f80010100"), {0x0001, true, true, hex("00")}},
      {"3-octet tag 0x1234", hex("7f123400"), {0x1234, false, false, {}}},
      {"length 81", cat({hex("8b818c"), repeat(140)}), {0x0B, true, false, repeat(140)}},
      {"length 82", cat({hex("3782012c"), repeat(300)}), {0x37, false, false, repeat(300)}},
      {"length 83", cat({hex("3783010000"), repeat(65536)}), {0x37, false, false, repeat(65536)}},
  };
  for (const row& r : rows) {
    SCOPED_TRACE(r.name);
    byte_reader rd(r.encoded);
    auto t = comprehension_tlv_read(rd);
    ASSERT_TRUE(t.ok()) << t.error().describe();
    EXPECT_EQ(t->tag, r.tlv.tag);
    EXPECT_EQ(t->cr, r.tlv.cr);
    EXPECT_EQ(t->value, r.tlv.value);
    EXPECT_TRUE(rd.empty());
    byte_writer w;
    ASSERT_TRUE(comprehension_tlv_encode(*t, w).ok());
    EXPECT_EQ(to_hex(w.data()), to_hex(r.encoded));
    if (r.encoded.size() < 400) {
      expect_prefixes_truncated(r.encoded, [](byte_view in) {
        byte_reader x(in);
        return comprehension_tlv_read(x);
      });
    }
  }
  for (const char* h : {"0000", "8000", "ff00", "7f000000", "018400000001aa", "0180"}) {
    auto bad = comprehension_tlv_decode_all(hex(h));
    ASSERT_FALSE(bad.ok()) << h;
    EXPECT_EQ(bad.error().code, errc::bad_value) << h << ": " << bad.error().message;
  }
  byte_writer w;
  EXPECT_EQ(comprehension_tlv_encode({0, false, false, {}}, w).error().code, errc::bad_argument);
  EXPECT_EQ(comprehension_tlv_encode({0x8000, false, true, {}}, w).error().code,
            errc::bad_argument);
}

RC_GTEST_PROP(ComprehensionTlvProp, EncodeDecodeIdentity, ()) {
  comprehension_tlv t;
  t.long_form = *rc::gen::arbitrary<bool>();
  t.tag = static_cast<std::uint16_t>(t.long_form ? *rc::gen::inRange(1, 0x8000)
                                                 : *rc::gen::inRange(1, 0x7F));
  t.cr = *rc::gen::arbitrary<bool>();
  t.value = *gen_value(400);
  byte_writer w;
  RC_ASSERT(comprehension_tlv_encode(t, w).ok());
  auto dec = comprehension_tlv_decode_all(w.data());
  RC_ASSERT(dec.ok());
  RC_ASSERT(dec->size() == 1u);
  RC_ASSERT((*dec)[0] == t);
}

}  // namespace
}  // namespace otaflow::codec
