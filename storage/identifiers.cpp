#include "storage/identifiers.hpp"

#include <string>

namespace otaflow::storage {
namespace {

bool all_digits(std::string_view s) noexcept {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

// Identifiers are not secrets, but a malformed one may be anything (a key in
// the wrong column): quote at most 24 characters of it.
std::string quote(std::string_view s) {
  return "'" + std::string(s.substr(0, 24)) + (s.size() > 24 ? "...'" : "'");
}

status digits_field(std::string_view name, std::string_view v, std::size_t min, std::size_t max) {
  if (!all_digits(v)) {
    return make_error(errc::bad_value,
                      std::string(name) + " " + quote(v) + ": only decimal digits allowed");
  }
  if (v.size() < min || v.size() > max) {
    return make_error(errc::bad_length, std::string(name) + " " + quote(v) + ": " +
                                            std::to_string(min) + "-" + std::to_string(max) +
                                            " digits expected, got " + std::to_string(v.size()));
  }
  return {};
}

}  // namespace

int luhn_check_digit(std::string_view digits) noexcept {
  if (!all_digits(digits)) return -1;
  // Double every second digit starting with the rightmost of the payload (the
  // one next to where the check digit goes), ISO/IEC 7812-1 Annex B.
  int sum = 0;
  bool dbl = true;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return (10 - sum % 10) % 10;
}

status validate_iccid(std::string_view iccid) {
  OTAFLOW_TRY(digits_field("iccid", iccid, 18, 20));
  const int expect = luhn_check_digit(iccid.substr(0, iccid.size() - 1));
  const int got = iccid.back() - '0';
  if (expect != got) {
    return make_error(errc::verification, "iccid " + std::string(iccid) + ": Luhn check digit is " +
                                              std::to_string(got) + ", expected " +
                                              std::to_string(expect) + " (ITU-T E.118)");
  }
  return {};
}

status validate_imsi(std::string_view imsi) {
  return digits_field("imsi", imsi, 6, 15);
}

status validate_msisdn(std::string_view msisdn) {
  return digits_field("msisdn", msisdn, 1, 15);
}

}  // namespace otaflow::storage
