#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "storage/identifiers.hpp"
#include "storage_test_util.hpp"

namespace otaflow::storage {
namespace {

TEST(Luhn, KnownVectors) {
  // ISO/IEC 7812-1 Annex B worked example (also the common Luhn illustration):
  // payload 7992739871 -> check digit 3.
  EXPECT_EQ(luhn_check_digit("7992739871"), 3);
  // ICCID payload 896588081210001114 (an 18-digit serial quoted in Smartjac's
  // "ICCID checksum" note); check digit computed by hand: sum 64 -> 6.
  EXPECT_EQ(luhn_check_digit("896588081210001114"), 6);
  EXPECT_EQ(luhn_check_digit("0"), 0);
  EXPECT_EQ(luhn_check_digit(""), -1);
  EXPECT_EQ(luhn_check_digit("12a4"), -1);
}

TEST(Iccid, AcceptsValidLengths18To20) {
  EXPECT_TRUE(validate_iccid("8965880812100011146").ok());
  for (std::string payload : {"89882000000000001", "898820000000000012", "8988200000000000123"}) {
    const std::string iccid = payload + static_cast<char>('0' + luhn_check_digit(payload));
    EXPECT_TRUE(validate_iccid(iccid).ok()) << iccid;
  }
}

TEST(Iccid, RejectsWrongCheckDigitLengthAndCharacters) {
  auto bad = validate_iccid("8965880812100011145");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, make_error_code(errc::verification));
  EXPECT_NE(bad.error().message.find("Luhn check digit is 5, expected 6"), std::string::npos);
  EXPECT_EQ(validate_iccid("89658808121000111").error().code, make_error_code(errc::bad_length));
  EXPECT_EQ(validate_iccid("896588081210001114600").error().code,
            make_error_code(errc::bad_length));
  EXPECT_EQ(validate_iccid("89658808121000111F").error().code, make_error_code(errc::bad_value));
}

TEST(Imsi, LengthAndDigits) {
  EXPECT_TRUE(validate_imsi("001010123456789").ok());
  EXPECT_TRUE(validate_imsi("001010").ok());
  EXPECT_FALSE(validate_imsi("00101").ok());
  EXPECT_FALSE(validate_imsi("0010101234567890").ok());
  EXPECT_FALSE(validate_imsi("00101x123").ok());
  EXPECT_TRUE(validate_msisdn("447700900123").ok());
  EXPECT_FALSE(validate_msisdn("+447700900123").ok());
  EXPECT_FALSE(validate_msisdn("").ok());
}

// Any single-digit change to a valid ICCID is caught by the check digit.
RC_GTEST_PROP(Iccid, SingleDigitErrorsAreDetected,
              (std::uint64_t serial, std::uint8_t pos, std::uint8_t delta)) {
  std::string iccid = test::make_iccid(serial % 10'000'000'000'000ull);
  RC_ASSERT(validate_iccid(iccid).ok());
  const std::size_t p = pos % iccid.size();
  const int d = 1 + delta % 9;
  iccid[p] = static_cast<char>('0' + (iccid[p] - '0' + d) % 10);
  RC_ASSERT(!validate_iccid(iccid).ok());
}

}  // namespace
}  // namespace otaflow::storage
