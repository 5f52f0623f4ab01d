// ETSI TS 102 225 §5.1.1 SPI and §5.1.2/5.1.3 KIc/KID octets.

#include "codec/ts102225_spi.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace otaflow::codec {
namespace {

struct spi_row {
  const char* name;
  std::uint16_t value;
  spi fields;
};

// Sources: 0619/0609/0601 pySim test_ota.py SPI dicts; 1621 YateOTA and 1619, the examples
// of docs/standards/ts102225-secured-packets.md §3; the rest hand-built from the §5.1.1 bit table.
const spi_row spi_rows[] = {
    {"none", 0x0000, {}},
    {"pysim-ciphered-cc-por-ciphered-cc",
     0x0619,
     {counter_mode::none, true, integrity::cc, por_mode::always, integrity::cc, true, false}},
    {"pysim-por-unciphered-cc",
     0x0609,
     {counter_mode::none, true, integrity::cc, por_mode::always, integrity::cc, false, false}},
    {"pysim-por-unciphered-nocc",
     0x0601,
     {counter_mode::none, true, integrity::cc, por_mode::always, integrity::none, false, false}},
    {"yate-por-by-submit",
     0x1621,
     {counter_mode::higher, true, integrity::cc, por_mode::always, integrity::none, false, true}},
    {"standards-1619",
     0x1619,
     {counter_mode::higher, true, integrity::cc, por_mode::always, integrity::cc, true, false}},
    {"all-set",
     0x1F3E,
     {counter_mode::one_higher, true, integrity::ds, por_mode::on_error, integrity::ds, true,
      true}},
    {"no-check-rc",
     0x0905,
     {counter_mode::no_check, false, integrity::rc, por_mode::always, integrity::rc, false, false}},
};

TEST(Ts102225Spi, Table) {
  for (const auto& row : spi_rows) {
    SCOPED_TRACE(row.name);
    auto d = decode_spi(row.value);
    ASSERT_TRUE(d.ok()) << d.error().describe();
    EXPECT_EQ(*d, row.fields);
    EXPECT_EQ(spi_value(row.fields), row.value);
    byte_writer w;
    encode(row.fields, w);
    EXPECT_EQ(w.data(), (bytes{static_cast<std::uint8_t>(row.value >> 8),
                               static_cast<std::uint8_t>(row.value)}));
    auto d2 = decode_spi(w.data());
    ASSERT_TRUE(d2.ok());
    EXPECT_EQ(*d2, row.fields);
  }
}

TEST(Ts102225Spi, ReservedBitsRejected) {
  for (std::uint16_t v : {0x2000, 0x4000, 0x8000, 0x0040, 0x0080, 0x0003, 0x0623}) {
    auto d = decode_spi(v);
    ASSERT_FALSE(d.ok()) << std::hex << v;
    EXPECT_EQ(d.error().code, make_error_code(errc::bad_value));
  }
  EXPECT_NE(decode_spi(0x8619).error().message.find("8619"), std::string::npos);
}

TEST(Ts102225Spi, WrongLength) {
  EXPECT_EQ(decode_spi(hex("06")).error().code, make_error_code(errc::bad_length));
  EXPECT_EQ(decode_spi(hex("061900")).error().code, make_error_code(errc::bad_length));
}

TEST(Ts102225Spi, Names) {
  EXPECT_STREQ(name(counter_mode::one_higher), "one_higher");
  EXPECT_STREQ(name(integrity::ds), "ds");
  EXPECT_STREQ(name(por_mode::on_error), "on_error");
}

TEST(Ts102225Spi, KeyIndicator) {
  // 35 = keyset 3, 3DES two-key (docs/standards/ts102225-secured-packets.md §4);
  // 22 = keyset 2, AES; 15 (YateOTA).
  auto k = key_indicator::from_octet(0x35);
  EXPECT_EQ(k.version, 3);
  EXPECT_EQ(k.algorithm, 5);
  EXPECT_EQ(k.family(), 1);
  EXPECT_EQ(k.mode(), 1);
  EXPECT_EQ(k.octet(), 0x35);
  auto a = key_indicator::from_octet(0x22);
  EXPECT_EQ(a.version, 2);
  EXPECT_EQ(a.family(), 2);
  EXPECT_EQ(a.mode(), 0);
  EXPECT_EQ(key_indicator::from_octet(0xFD).mode(), 3);
}

RC_GTEST_PROP(Ts102225SpiProp, DecodeAcceptsExactlyValid, (std::uint16_t v)) {
  const bool valid = (v & 0xE0C0) == 0 && (v & 0x3) != 0x3;
  auto d = decode_spi(v);
  RC_ASSERT(d.ok() == valid);
  if (valid) RC_ASSERT(spi_value(*d) == v);
}

RC_GTEST_PROP(Ts102225SpiProp, KeyIndicatorRoundTrip, (std::uint8_t o)) {
  RC_ASSERT(key_indicator::from_octet(o).octet() == o);
}

}  // namespace
}  // namespace otaflow::codec
