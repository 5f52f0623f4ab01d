#pragma once
// Validation of the card identifiers the repository is keyed by.
//  - ICCID: ITU-T E.118 primary account number, 18-20 decimal digits whose last
//    digit is a Luhn (ISO/IEC 7812-1 "mod 10") check digit over the others.
//  - IMSI: 3GPP TS 23.003 §2.2, MCC (3) + MNC (2-3) + MSIN, at most 15 digits;
//    6 is accepted as the shortest that still holds an MCC, MNC and an MSIN.
//  - MSISDN: ITU-T E.164 international number, digits only, at most 15.

#include <string_view>

#include "base/error.hpp"

namespace otaflow::storage {

/// The Luhn check digit (0-9) for a string of decimal digits; -1 if a
/// character is not a digit or the string is empty.
[[nodiscard]] int luhn_check_digit(std::string_view digits) noexcept;

/// 18-20 digits with a valid Luhn check digit; the error names the ICCID.
[[nodiscard]] status validate_iccid(std::string_view iccid);
/// 6-15 digits.
[[nodiscard]] status validate_imsi(std::string_view imsi);
/// 1-15 digits (E.164 without '+').
[[nodiscard]] status validate_msisdn(std::string_view msisdn);

}  // namespace otaflow::storage
