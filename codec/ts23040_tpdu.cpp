#include "codec/ts23040_tpdu.hpp"

#include <algorithm>
#include <string>

namespace otaflow::codec::tpdu {
namespace {

using std::chrono::days;
using std::chrono::minutes;
using std::chrono::seconds;

error truncated(std::string_view what, std::string_view field) {
  return make_error(errc::truncated,
                    std::string(what) + ": TPDU ends before " + std::string(field));
}

// Semi-octet digit alphabet (§9.1.2.3): 0-9, then A-E = '*', '#', 'a', 'b', 'c'; F = filler.
char nibble_char(std::uint8_t n) noexcept {
  static constexpr char map[] = "0123456789*#abc";
  return map[n];
}

std::optional<std::uint8_t> char_nibble(char c) noexcept {
  if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
  switch (c) {
    case '*':
      return 0x0A;
    case '#':
      return 0x0B;
    case 'a':
    case 'A':
      return 0x0C;
    case 'b':
    case 'B':
      return 0x0D;
    case 'c':
    case 'C':
      return 0x0E;
    default:
      return std::nullopt;
  }
}

// Reads `count` digits from swapped-BCD octets (low nibble first).
result<std::string> read_digits(byte_view value, std::size_t count, std::string_view what) {
  std::string out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t b = value[i / 2];
    const std::uint8_t n = (i % 2 == 0) ? (b & 0x0F) : (b >> 4);
    if (n == 0x0F) {
      return make_error(errc::bad_value, std::string(what) + ": filler F at digit " +
                                             std::to_string(i + 1) + " of " +
                                             std::to_string(count));
    }
    out.push_back(nibble_char(n));
  }
  return out;
}

result<bytes> pack_digits(std::string_view digits, std::string_view what) {
  bytes out((digits.size() + 1) / 2, 0xFF);
  for (std::size_t i = 0; i < digits.size(); ++i) {
    const auto n = char_nibble(digits[i]);
    if (!n) {
      return make_error(errc::bad_argument, std::string(what) + ": character '" +
                                                std::string(1, digits[i]) +
                                                "' is not a BCD address digit");
    }
    std::uint8_t& b = out[i / 2];
    b = (i % 2 == 0) ? static_cast<std::uint8_t>((b & 0xF0) | *n)
                     : static_cast<std::uint8_t>((b & 0x0F) | (*n << 4));
  }
  return out;
}

status check_ton_npi(const address& a, std::string_view what) {
  if (a.ton > 7 || a.npi > 15) {
    return make_error(errc::bad_argument, std::string(what) + ": TON " + std::to_string(a.ton) +
                                              " / NPI " + std::to_string(a.npi) +
                                              " do not fit 3 / 4 bits");
  }
  return {};
}

// A UDH must fit in TP-UD: UDHL plus its octets (§9.2.3.24).
status check_udh(byte_view ud, std::string_view what) {
  if (ud.empty()) {
    return make_error(errc::bad_length, std::string(what) + ": TP-UDHI set but TP-UD is empty");
  }
  if (std::size_t{ud[0]} + 1 > ud.size()) {
    return make_error(errc::bad_length, std::string(what) + ": TP-UDHL " + std::to_string(ud[0]) +
                                            " exceeds TP-UD of " + std::to_string(ud.size()) +
                                            " octets");
  }
  return {};
}

struct user_data {
  bytes ud;
  std::uint8_t septets = 0;
};

result<user_data> read_ud(byte_reader& in, std::uint8_t dcs, bool udhi, std::string_view what) {
  std::uint8_t udl = 0;
  if (!in.u8(udl)) return truncated(what, "TP-UDL");
  const bool septets = udl_counts_septets(dcs);
  if (septets && udl > max_ud_septets) {
    return make_error(errc::bad_value, std::string(what) + ": TP-UDL " + std::to_string(udl) +
                                           " septets exceeds " + std::to_string(max_ud_septets));
  }
  if (!septets && udl > max_ud_octets) {
    return make_error(errc::bad_value, std::string(what) + ": TP-UDL " + std::to_string(udl) +
                                           " octets exceeds " + std::to_string(max_ud_octets));
  }
  const std::size_t n = ud_octets(dcs, udl);
  byte_view v;
  if (!in.take(n, v)) {
    return make_error(errc::truncated, std::string(what) + ": TP-UDL " + std::to_string(udl) +
                                           " needs " + std::to_string(n) + " octets of TP-UD, " +
                                           std::to_string(in.remaining()) + " remain");
  }
  if (udhi) OTAFLOW_TRY(check_udh(v, what));
  return user_data{bytes(v.begin(), v.end()), septets ? udl : std::uint8_t{0}};
}

status write_ud(byte_writer& out, std::uint8_t dcs, bool udhi, const bytes& ud,
                std::uint8_t septets, std::string_view what) {
  if (ud.size() > max_ud_octets) {
    return make_error(errc::too_long, std::string(what) + ": TP-UD of " +
                                          std::to_string(ud.size()) + " octets exceeds " +
                                          std::to_string(max_ud_octets));
  }
  std::uint8_t udl = 0;
  if (udl_counts_septets(dcs)) {
    if (septets > max_ud_septets) {
      return make_error(errc::too_long, std::string(what) + ": " + std::to_string(septets) +
                                            " septets exceed " + std::to_string(max_ud_septets));
    }
    if (ud.size() != ud_octets(dcs, septets)) {
      return make_error(errc::bad_length, std::string(what) + ": TP-UDL " +
                                              std::to_string(septets) + " septets needs " +
                                              std::to_string(ud_octets(dcs, septets)) +
                                              " octets, TP-UD has " + std::to_string(ud.size()));
    }
    udl = septets;
  } else {
    if (septets != 0) {
      return make_error(errc::bad_argument, std::string(what) + ": ud_septets " +
                                                std::to_string(septets) + " set but DCS 0x" +
                                                to_hex(dcs, 2) + " counts octets");
    }
    udl = static_cast<std::uint8_t>(ud.size());
  }
  if (udhi) OTAFLOW_TRY(check_udh(ud, what));
  out.u8(udl);
  out.append(ud);
  return {};
}

status check_end(const byte_reader& in, std::string_view what) {
  if (!in.empty()) {
    return make_error(errc::bad_length, std::string(what) + ": " + std::to_string(in.remaining()) +
                                            " octets after the end of the TPDU");
  }
  return {};
}

result<std::uint8_t> read_first_octet(byte_reader& in, std::uint8_t mti, std::string_view what) {
  std::uint8_t fo = 0;
  if (!in.u8(fo)) return truncated(what, "the first octet");
  if ((fo & mti_mask) != mti) {
    return make_error(errc::bad_value, std::string(what) + ": TP-MTI " +
                                           std::to_string(fo & mti_mask) + ", expected " +
                                           std::to_string(mti));
  }
  return fo;
}

// ---- GSM 7-bit default alphabet and extension table (TS 23.038 §6.2.1) ----

constexpr const char* gsm7_basic[128] = {
    "@",        "\xC2\xA3", "$",        "\xC2\xA5", "\xC3\xA8", "\xC3\xA9", "\xC3\xB9", "\xC3\xAC",
    "\xC3\xB2", "\xC3\x87", "\n",       "\xC3\x98", "\xC3\xB8", "\r",       "\xC3\x85", "\xC3\xA5",
    "\xCE\x94", "_",        "\xCE\xA6", "\xCE\x93", "\xCE\x9B", "\xCE\xA9", "\xCE\xA0", "\xCE\xA8",
    "\xCE\xA3", "\xCE\x98", "\xCE\x9E", "",         "\xC3\x86", "\xC3\xA6", "\xC3\x9F", "\xC3\x89",
    " ",        "!",        "\"",       "#",        "\xC2\xA4", "%",        "&",        "'",
    "(",        ")",        "*",        "+",        ",",        "-",        ".",        "/",
    "0",        "1",        "2",        "3",        "4",        "5",        "6",        "7",
    "8",        "9",        ":",        ";",        "<",        "=",        ">",        "?",
    "\xC2\xA1", "A",        "B",        "C",        "D",        "E",        "F",        "G",
    "H",        "I",        "J",        "K",        "L",        "M",        "N",        "O",
    "P",        "Q",        "R",        "S",        "T",        "U",        "V",        "W",
    "X",        "Y",        "Z",        "\xC3\x84", "\xC3\x96", "\xC3\x91", "\xC3\x9C", "\xC2\xA7",
    "\xC2\xBF", "a",        "b",        "c",        "d",        "e",        "f",        "g",
    "h",        "i",        "j",        "k",        "l",        "m",        "n",        "o",
    "p",        "q",        "r",        "s",        "t",        "u",        "v",        "w",
    "x",        "y",        "z",        "\xC3\xA4", "\xC3\xB6", "\xC3\xB1", "\xC3\xBC", "\xC3\xA0",
};

constexpr std::uint8_t gsm7_escape = 0x1B;

struct gsm7_ext {
  std::uint8_t code;
  const char* utf8;
};
constexpr gsm7_ext gsm7_extension[] = {
    {0x0A, "\f"}, {0x14, "^"}, {0x28, "{"}, {0x29, "}"}, {0x2F, "\\"},
    {0x3C, "["},  {0x3D, "~"}, {0x3E, "]"}, {0x40, "|"}, {0x65, "\xE2\x82\xAC"},
};

std::size_t utf8_sequence_length(unsigned char lead) noexcept {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 0;
}

}  // namespace

// ---- Addresses ----

std::uint8_t type_of_address(const address& a) noexcept {
  return static_cast<std::uint8_t>(0x80 | ((a.ton & 0x07) << 4) | (a.npi & 0x0F));
}

result<address> decode_address(byte_reader& in) {
  static constexpr std::string_view what = "TP address";
  std::uint8_t len = 0;
  std::uint8_t toa = 0;
  if (!in.u8(len)) return truncated(what, "the address length");
  if (!in.u8(toa)) return truncated(what, "the type of address");
  if (len > max_address_digits) {
    return make_error(errc::bad_value, "TP address: length " + std::to_string(len) +
                                           " semi-octets exceeds " +
                                           std::to_string(max_address_digits));
  }
  byte_view value;
  if (!in.take((len + 1u) / 2, value)) {
    return make_error(errc::truncated, "TP address: " + std::to_string(len) + " semi-octets need " +
                                           std::to_string((len + 1u) / 2) + " octets, " +
                                           std::to_string(in.remaining()) + " remain");
  }
  address a;
  a.ton = static_cast<std::uint8_t>((toa >> 4) & 0x07);
  a.npi = static_cast<std::uint8_t>(toa & 0x0F);
  if (a.ton == ton::alphanumeric) {
    // The length counts the semi-octets the packed septets occupy (§9.1.2.5).
    a.digits = gsm7_to_utf8(unpack_septets(value, len * 4u / 7u));
    return a;
  }
  auto d = read_digits(value, len, what);
  if (!d) return std::move(d).error();
  a.digits = std::move(*d);
  return a;
}

status encode_address(const address& a, byte_writer& out) {
  static constexpr std::string_view what = "TP address";
  OTAFLOW_TRY(check_ton_npi(a, what));
  if (a.ton == ton::alphanumeric) {
    auto septets = utf8_to_gsm7(a.digits);
    if (!septets) return std::move(septets).error();
    const bytes packed = pack_septets(*septets);
    if (packed.size() > max_address_digits / 2) {
      return make_error(errc::too_long, "TP address: alphanumeric '" + a.digits + "' packs into " +
                                            std::to_string(packed.size()) +
                                            " octets, at most 10 fit");
    }
    out.u8(static_cast<std::uint8_t>((septets->size() * 7 + 3) / 4));
    out.u8(type_of_address(a));
    out.append(packed);
    return {};
  }
  if (a.digits.size() > max_address_digits) {
    return make_error(errc::too_long, "TP address: " + std::to_string(a.digits.size()) +
                                          " digits exceed " + std::to_string(max_address_digits));
  }
  auto packed = pack_digits(a.digits, what);
  if (!packed) return std::move(packed).error();
  out.u8(static_cast<std::uint8_t>(a.digits.size()));
  out.u8(type_of_address(a));
  out.append(*packed);
  return {};
}

result<std::optional<address>> decode_sc_address(byte_reader& in) {
  static constexpr std::string_view what = "RP address";
  std::uint8_t len = 0;
  if (!in.u8(len)) return truncated(what, "the address length");
  if (len == 0) return std::optional<address>{};
  // Type of address plus at most 10 octets of digits (TS 24.011 §8.2.5.1/2).
  if (len > 1 + max_address_digits / 2) {
    return make_error(errc::bad_value,
                      "RP address: length " + std::to_string(len) + " octets exceeds 11");
  }
  byte_view value;
  if (!in.take(len, value)) {
    return make_error(errc::truncated, "RP address: length " + std::to_string(len) + " but " +
                                           std::to_string(in.remaining()) + " octets remain");
  }
  address a;
  a.ton = static_cast<std::uint8_t>((value[0] >> 4) & 0x07);
  a.npi = static_cast<std::uint8_t>(value[0] & 0x0F);
  if (a.ton == ton::alphanumeric) {
    return make_error(errc::unsupported, "RP address: alphanumeric TON 5 is not supported");
  }
  const byte_view bcd = value.subspan(1);
  std::size_t count = bcd.size() * 2;
  if (!bcd.empty() && (bcd.back() >> 4) == 0x0F) --count;  // odd digit count: F filler
  auto d = read_digits(bcd, count, what);
  if (!d) return std::move(d).error();
  a.digits = std::move(*d);
  return std::optional<address>(std::move(a));
}

status encode_sc_address(const std::optional<address>& a, byte_writer& out) {
  static constexpr std::string_view what = "RP address";
  if (!a) {
    out.u8(0);
    return {};
  }
  OTAFLOW_TRY(check_ton_npi(*a, what));
  if (a->ton == ton::alphanumeric) {
    return make_error(errc::unsupported, "RP address: alphanumeric TON 5 is not supported");
  }
  if (a->digits.size() > max_address_digits) {
    return make_error(errc::too_long, "RP address: " + std::to_string(a->digits.size()) +
                                          " digits exceed " + std::to_string(max_address_digits));
  }
  auto packed = pack_digits(a->digits, what);
  if (!packed) return std::move(packed).error();
  out.u8(static_cast<std::uint8_t>(1 + packed->size()));
  out.u8(type_of_address(*a));
  out.append(*packed);
  return {};
}

// ---- Time stamps ----

result<timestamp> decode_timestamp(byte_reader& in) {
  byte_view v;
  if (!in.take(7, v)) {
    return make_error(errc::truncated,
                      "time stamp: needs 7 octets, " + std::to_string(in.remaining()) + " remain");
  }
  static constexpr const char* names[] = {"year", "month", "day", "hour", "minute", "second"};
  std::uint8_t f[6] = {};
  for (std::size_t i = 0; i < 6; ++i) {
    // Semi-octets are swapped: the low nibble holds the tens digit (§9.2.3.11).
    const std::uint8_t tens = v[i] & 0x0F;
    const std::uint8_t units = v[i] >> 4;
    if (tens > 9 || units > 9) {
      return make_error(errc::bad_value, std::string("time stamp: ") + names[i] + " octet 0x" +
                                             to_hex(v[i], 2) + " is not two BCD digits");
    }
    f[i] = static_cast<std::uint8_t>(tens * 10 + units);
  }
  // Time zone: bit 3 of the low nibble is the sign, bits 2..0 the tens digit.
  const std::uint8_t tz_tens = v[6] & 0x07;
  const std::uint8_t tz_units = v[6] >> 4;
  if (tz_units > 9) {
    return make_error(errc::bad_value,
                      "time stamp: time zone octet 0x" + to_hex(v[6], 2) + " is not BCD quarters");
  }
  const int quarters = tz_tens * 10 + tz_units;
  timestamp t;
  t.year = f[0];
  t.month = f[1];
  t.day = f[2];
  t.hour = f[3];
  t.minute = f[4];
  t.second = f[5];
  t.tz_quarters = static_cast<std::int8_t>((v[6] & 0x08) ? -quarters : quarters);
  return t;
}

status encode_timestamp(const timestamp& t, byte_writer& out) {
  const std::uint8_t f[6] = {t.year, t.month, t.day, t.hour, t.minute, t.second};
  for (std::uint8_t x : f) {
    if (x > 99) {
      return make_error(errc::bad_argument,
                        "time stamp: field value " + std::to_string(x) + " exceeds two digits");
    }
  }
  if (t.tz_quarters < -79 || t.tz_quarters > 79) {
    return make_error(errc::bad_argument, "time stamp: time zone " + std::to_string(t.tz_quarters) +
                                              " quarters is outside -79..79");
  }
  for (std::uint8_t x : f) out.u8(static_cast<std::uint8_t>((x / 10) | ((x % 10) << 4)));
  const int q = t.tz_quarters < 0 ? -t.tz_quarters : t.tz_quarters;
  const std::uint8_t sign = t.tz_quarters < 0 ? 0x08 : 0x00;
  out.u8(static_cast<std::uint8_t>((q / 10) | sign | ((q % 10) << 4)));
  return {};
}

result<timestamp> timestamp_from_utc(std::chrono::sys_seconds utc, int tz_quarters) {
  if (tz_quarters < -79 || tz_quarters > 79) {
    return make_error(errc::bad_argument, "time stamp: time zone " + std::to_string(tz_quarters) +
                                              " quarters is outside -79..79");
  }
  const auto local = utc + minutes(15 * tz_quarters);
  const auto day = std::chrono::floor<days>(local);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{local - day};
  const int y = static_cast<int>(ymd.year());
  if (y < 2000 || y > 2099) {
    return make_error(errc::bad_argument,
                      "time stamp: year " + std::to_string(y) + " is outside 2000-2099");
  }
  timestamp t;
  t.year = static_cast<std::uint8_t>(y - 2000);
  t.month = static_cast<std::uint8_t>(static_cast<unsigned>(ymd.month()));
  t.day = static_cast<std::uint8_t>(static_cast<unsigned>(ymd.day()));
  t.hour = static_cast<std::uint8_t>(hms.hours().count());
  t.minute = static_cast<std::uint8_t>(hms.minutes().count());
  t.second = static_cast<std::uint8_t>(hms.seconds().count());
  t.tz_quarters = static_cast<std::int8_t>(tz_quarters);
  return t;
}

result<std::chrono::sys_seconds> timestamp_to_utc(const timestamp& t) {
  const std::chrono::year_month_day ymd{std::chrono::year(2000 + t.year),
                                        std::chrono::month(t.month), std::chrono::day(t.day)};
  if (t.year > 99 || !ymd.ok() || t.hour > 23 || t.minute > 59 || t.second > 59) {
    return make_error(errc::bad_value, "time stamp: " + std::to_string(t.year) + "-" +
                                           std::to_string(t.month) + "-" + std::to_string(t.day) +
                                           " " + std::to_string(t.hour) + ":" +
                                           std::to_string(t.minute) + ":" +
                                           std::to_string(t.second) + " is not a valid time");
  }
  const std::chrono::sys_seconds local = std::chrono::sys_days(ymd) + std::chrono::hours(t.hour) +
                                         minutes(t.minute) + seconds(t.second);
  return local - minutes(15 * t.tz_quarters);
}

std::chrono::minutes relative_vp_duration(std::uint8_t v) noexcept {
  if (v <= 143) return minutes((v + 1) * 5);
  if (v <= 167) return minutes(12 * 60 + (v - 143) * 30);
  if (v <= 196) return minutes((v - 166) * 24 * 60);
  return minutes((v - 192) * 7 * 24 * 60);
}

std::uint8_t relative_vp_for(std::chrono::minutes d) noexcept {
  for (unsigned v = 0; v <= 255; ++v) {
    if (relative_vp_duration(static_cast<std::uint8_t>(v)) >= d)
      return static_cast<std::uint8_t>(v);
  }
  return 255;
}

// ---- Data coding ----

alphabet dcs_alphabet(std::uint8_t dcs) noexcept {
  if ((dcs & 0x80) == 0) {  // 00xx general data coding, 01xx automatic deletion
    switch ((dcs >> 2) & 0x03) {
      case 1:
        return alphabet::eight_bit;
      case 2:
        return alphabet::ucs2;
      default:
        return alphabet::gsm7;  // 11 is reserved: treated as GSM 7-bit
    }
  }
  switch (dcs & 0xF0) {
    case 0xC0:  // message waiting, discard, GSM 7-bit
    case 0xD0:  // message waiting, store, GSM 7-bit
      return alphabet::gsm7;
    case 0xE0:  // message waiting, store, UCS2
      return alphabet::ucs2;
    case 0xF0:  // data coding / message class: bit 2 selects 8-bit
      return (dcs & 0x04) ? alphabet::eight_bit : alphabet::gsm7;
    default:  // 1000..1011 reserved: GSM 7-bit
      return alphabet::gsm7;
  }
}

bool dcs_compressed(std::uint8_t dcs) noexcept {
  return (dcs & 0x80) == 0 && (dcs & 0x20) != 0;
}

std::optional<std::uint8_t> dcs_message_class(std::uint8_t dcs) noexcept {
  if ((dcs & 0x80) == 0) {
    if (dcs & 0x10) return static_cast<std::uint8_t>(dcs & 0x03);
    return std::nullopt;
  }
  if ((dcs & 0xF0) == 0xF0) return static_cast<std::uint8_t>(dcs & 0x03);
  return std::nullopt;
}

bool udl_counts_septets(std::uint8_t dcs) noexcept {
  return dcs_alphabet(dcs) == alphabet::gsm7 && !dcs_compressed(dcs);
}

std::size_t ud_octets(std::uint8_t dcs, std::uint8_t udl) noexcept {
  return udl_counts_septets(dcs) ? (std::size_t{udl} * 7 + 7) / 8 : std::size_t{udl};
}

std::uint8_t tp_udl(std::uint8_t dcs, const bytes& ud, std::uint8_t septets) noexcept {
  return udl_counts_septets(dcs) ? septets : static_cast<std::uint8_t>(ud.size());
}

// ---- GSM 7-bit ----

bytes pack_septets(std::span<const std::uint8_t> septets) {
  bytes out((septets.size() * 7 + 7) / 8, 0);
  for (std::size_t i = 0; i < septets.size(); ++i) {
    const std::size_t bit = i * 7;
    const unsigned s = septets[i] & 0x7Fu;
    out[bit / 8] = static_cast<std::uint8_t>(out[bit / 8] | (s << (bit % 8)));
    if (bit % 8 > 1) {
      out[bit / 8 + 1] = static_cast<std::uint8_t>(out[bit / 8 + 1] | (s >> (8 - bit % 8)));
    }
  }
  return out;
}

std::vector<std::uint8_t> unpack_septets(byte_view packed, std::size_t count) {
  std::vector<std::uint8_t> out;
  count = std::min(count, packed.size() * 8 / 7);
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t bit = i * 7;
    unsigned v = packed[bit / 8] >> (bit % 8);
    if (bit % 8 > 1) v |= static_cast<unsigned>(packed[bit / 8 + 1]) << (8 - bit % 8);
    out.push_back(static_cast<std::uint8_t>(v & 0x7F));
  }
  return out;
}

std::string gsm7_to_utf8(std::span<const std::uint8_t> septets) {
  std::string out;
  for (std::size_t i = 0; i < septets.size(); ++i) {
    const std::uint8_t s = septets[i] & 0x7F;
    if (s != gsm7_escape) {
      out += gsm7_basic[s];
      continue;
    }
    if (i + 1 == septets.size()) break;  // a lone escape at the end shows nothing
    const std::uint8_t next = septets[++i] & 0x7F;
    if (next == gsm7_escape) {
      out += ' ';  // 1B1B: reserved for another extension table, shown as a space (§6.2.1.1)
      continue;
    }
    const auto* e = std::find_if(std::begin(gsm7_extension), std::end(gsm7_extension),
                                 [&](const gsm7_ext& x) { return x.code == next; });
    // An unknown extension code shows the basic table's character (TS 23.038 §6.2.1.1).
    out += (e != std::end(gsm7_extension)) ? e->utf8 : gsm7_basic[next];
  }
  return out;
}

result<std::vector<std::uint8_t>> utf8_to_gsm7(std::string_view text) {
  std::vector<std::uint8_t> out;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t n = utf8_sequence_length(static_cast<unsigned char>(text[i]));
    if (n == 0 || i + n > text.size()) {
      return make_error(errc::bad_argument,
                        "GSM 7-bit: invalid UTF-8 at byte " + std::to_string(i));
    }
    const std::string_view ch = text.substr(i, n);
    bool found = false;
    for (std::uint8_t s = 0; s < 128; ++s) {
      if (s != gsm7_escape && ch == gsm7_basic[s]) {
        out.push_back(s);
        found = true;
        break;
      }
    }
    if (!found) {
      for (const auto& e : gsm7_extension) {
        if (ch == e.utf8) {
          out.push_back(gsm7_escape);
          out.push_back(e.code);
          found = true;
          break;
        }
      }
    }
    if (!found) {
      return make_error(errc::bad_argument, "GSM 7-bit: character '" + std::string(ch) +
                                                "' at byte " + std::to_string(i) +
                                                " is not in the default alphabet");
    }
    i += n;
  }
  return out;
}

// ---- TPDUs ----

result<std::uint8_t> message_type(byte_view tpdu) {
  if (tpdu.empty()) return make_error(errc::truncated, "TPDU: empty, no first octet");
  return static_cast<std::uint8_t>(tpdu[0] & mti_mask);
}

result<sms_deliver> decode_deliver(byte_view tpdu) {
  static constexpr std::string_view what = "SMS-DELIVER";
  byte_reader in(tpdu);
  auto fo = read_first_octet(in, mti_deliver, what);
  if (!fo) return std::move(fo).error();
  sms_deliver t;
  t.mms = (*fo & first_octet::mms) != 0;
  t.lp = (*fo & first_octet::lp) != 0;
  t.sri = (*fo & first_octet::sri) != 0;
  t.udhi = (*fo & first_octet::udhi) != 0;
  t.rp = (*fo & first_octet::rp) != 0;
  auto oa = decode_address(in);
  if (!oa) return std::move(oa).error();
  t.oa = std::move(*oa);
  if (!in.u8(t.pid)) return truncated(what, "TP-PID");
  if (!in.u8(t.dcs)) return truncated(what, "TP-DCS");
  auto scts = decode_timestamp(in);
  if (!scts) return std::move(scts).error();
  t.scts = *scts;
  auto ud = read_ud(in, t.dcs, t.udhi, what);
  if (!ud) return std::move(ud).error();
  t.ud = std::move(ud->ud);
  t.ud_septets = ud->septets;
  OTAFLOW_TRY(check_end(in, what));
  return t;
}

status encode(const sms_deliver& t, byte_writer& out) {
  static constexpr std::string_view what = "SMS-DELIVER";
  byte_writer w;
  w.u8(static_cast<std::uint8_t>(mti_deliver | (t.mms ? first_octet::mms : 0) |
                                 (t.lp ? first_octet::lp : 0) | (t.sri ? first_octet::sri : 0) |
                                 (t.udhi ? first_octet::udhi : 0) | (t.rp ? first_octet::rp : 0)));
  OTAFLOW_TRY(encode_address(t.oa, w));
  w.u8(t.pid);
  w.u8(t.dcs);
  OTAFLOW_TRY(encode_timestamp(t.scts, w));
  OTAFLOW_TRY(write_ud(w, t.dcs, t.udhi, t.ud, t.ud_septets, what));
  out.append(w.data());
  return {};
}

result<sms_submit> decode_submit(byte_view tpdu) {
  static constexpr std::string_view what = "SMS-SUBMIT";
  byte_reader in(tpdu);
  auto fo = read_first_octet(in, mti_submit, what);
  if (!fo) return std::move(fo).error();
  sms_submit t;
  t.rd = (*fo & first_octet::rd) != 0;
  t.srr = (*fo & first_octet::srr) != 0;
  t.udhi = (*fo & first_octet::udhi) != 0;
  t.rp = (*fo & first_octet::rp) != 0;
  if (!in.u8(t.mr)) return truncated(what, "TP-MR");
  auto da = decode_address(in);
  if (!da) return std::move(da).error();
  t.da = std::move(*da);
  if (!in.u8(t.pid)) return truncated(what, "TP-PID");
  if (!in.u8(t.dcs)) return truncated(what, "TP-DCS");
  switch ((*fo & first_octet::vpf_mask) >> 3) {
    case 0:
      break;
    case 1: {
      byte_view v;
      if (!in.take(7, v)) return truncated(what, "the 7 octets of the enhanced TP-VP");
      vp_enhanced e;
      std::copy(v.begin(), v.end(), e.octets.begin());
      t.vp = e;
      break;
    }
    case 2: {
      vp_relative r;
      if (!in.u8(r.value)) return truncated(what, "the relative TP-VP");
      t.vp = r;
      break;
    }
    default: {
      auto ts = decode_timestamp(in);
      if (!ts) return std::move(ts).error();
      t.vp = *ts;
      break;
    }
  }
  auto ud = read_ud(in, t.dcs, t.udhi, what);
  if (!ud) return std::move(ud).error();
  t.ud = std::move(ud->ud);
  t.ud_septets = ud->septets;
  OTAFLOW_TRY(check_end(in, what));
  return t;
}

status encode(const sms_submit& t, byte_writer& out) {
  static constexpr std::string_view what = "SMS-SUBMIT";
  byte_writer w;
  const auto vpf = static_cast<std::uint8_t>(t.vp.index() << 3);
  w.u8(static_cast<std::uint8_t>(mti_submit | (t.rd ? first_octet::rd : 0) | vpf |
                                 (t.srr ? first_octet::srr : 0) | (t.udhi ? first_octet::udhi : 0) |
                                 (t.rp ? first_octet::rp : 0)));
  w.u8(t.mr);
  OTAFLOW_TRY(encode_address(t.da, w));
  w.u8(t.pid);
  w.u8(t.dcs);
  if (const auto* e = std::get_if<vp_enhanced>(&t.vp)) w.append(byte_view(e->octets));
  if (const auto* r = std::get_if<vp_relative>(&t.vp)) w.u8(r->value);
  if (const auto* a = std::get_if<timestamp>(&t.vp)) OTAFLOW_TRY(encode_timestamp(*a, w));
  OTAFLOW_TRY(write_ud(w, t.dcs, t.udhi, t.ud, t.ud_septets, what));
  out.append(w.data());
  return {};
}

namespace {

// The TP-PI-governed tail shared by both reports (§9.2.2.1a, §9.2.2.2a, §9.2.3.27).
struct report_tail {
  std::optional<std::uint8_t> pid;
  std::optional<std::uint8_t> dcs;
  std::optional<bytes> ud;
  std::uint8_t septets = 0;
};

result<std::uint8_t> read_pi(byte_reader& in, std::string_view what) {
  std::uint8_t first = 0;
  if (!in.u8(first)) return truncated(what, "TP-PI");
  // Extension octets carry only reserved bits today; a receiver skips them.
  std::uint8_t ext = first;
  while (ext & pi::extension) {
    if (!in.u8(ext)) return truncated(what, "the TP-PI extension octet");
  }
  return first;
}

result<report_tail> read_report_tail(byte_reader& in, std::uint8_t pi_octet, bool udhi,
                                     std::string_view what) {
  report_tail r;
  if (pi_octet & pi::pid) {
    std::uint8_t v = 0;
    if (!in.u8(v)) return truncated(what, "TP-PID");
    r.pid = v;
  }
  if (pi_octet & pi::dcs) {
    std::uint8_t v = 0;
    if (!in.u8(v)) return truncated(what, "TP-DCS");
    r.dcs = v;
  }
  if (pi_octet & pi::udl) {
    // Without TP-DCS the receiver assumes DCS 00 (GSM 7-bit) for TP-UDL.
    auto ud = read_ud(in, r.dcs.value_or(dcs_gsm7), udhi, what);
    if (!ud) return std::move(ud).error();
    r.ud = std::move(ud->ud);
    r.septets = ud->septets;
  }
  OTAFLOW_TRY(check_end(in, what));
  return r;
}

status write_report_tail(byte_writer& w, bool udhi, const std::optional<std::uint8_t>& pid,
                         const std::optional<std::uint8_t>& dcs, const std::optional<bytes>& ud,
                         std::uint8_t septets, std::string_view what) {
  if (pid) w.u8(*pid);
  if (dcs) w.u8(*dcs);
  if (ud) {
    OTAFLOW_TRY(write_ud(w, dcs.value_or(dcs_gsm7), udhi, *ud, septets, what));
  } else if (septets != 0) {
    return make_error(errc::bad_argument, std::string(what) + ": ud_septets " +
                                              std::to_string(septets) + " set without TP-UD");
  }
  return {};
}

std::uint8_t pi_of(const std::optional<std::uint8_t>& pid, const std::optional<std::uint8_t>& dcs,
                   const std::optional<bytes>& ud) noexcept {
  return static_cast<std::uint8_t>((pid ? pi::pid : 0) | (dcs ? pi::dcs : 0) | (ud ? pi::udl : 0));
}

}  // namespace

result<sms_deliver_report> decode_deliver_report(byte_view tpdu, bool rp_error) {
  const std::string_view what =
      rp_error ? "SMS-DELIVER-REPORT (RP-ERROR)" : "SMS-DELIVER-REPORT (RP-ACK)";
  byte_reader in(tpdu);
  auto fo = read_first_octet(in, mti_deliver, what);
  if (!fo) return std::move(fo).error();
  sms_deliver_report t;
  t.udhi = (*fo & first_octet::udhi) != 0;
  if (rp_error) {
    std::uint8_t fcs = 0;
    if (!in.u8(fcs)) return truncated(what, "TP-FCS");
    t.fcs = fcs;
  }
  auto pi_octet = read_pi(in, what);
  if (!pi_octet) return std::move(pi_octet).error();
  auto tail = read_report_tail(in, *pi_octet, t.udhi, what);
  if (!tail) return std::move(tail).error();
  t.pid = tail->pid;
  t.dcs = tail->dcs;
  t.ud = std::move(tail->ud);
  t.ud_septets = tail->septets;
  return t;
}

status encode(const sms_deliver_report& t, byte_writer& out) {
  static constexpr std::string_view what = "SMS-DELIVER-REPORT";
  byte_writer w;
  w.u8(static_cast<std::uint8_t>(mti_deliver | (t.udhi ? first_octet::udhi : 0)));
  if (t.fcs) w.u8(*t.fcs);
  w.u8(pi_of(t.pid, t.dcs, t.ud));
  OTAFLOW_TRY(write_report_tail(w, t.udhi, t.pid, t.dcs, t.ud, t.ud_septets, what));
  out.append(w.data());
  return {};
}

result<sms_submit_report> decode_submit_report(byte_view tpdu, bool rp_error) {
  const std::string_view what =
      rp_error ? "SMS-SUBMIT-REPORT (RP-ERROR)" : "SMS-SUBMIT-REPORT (RP-ACK)";
  byte_reader in(tpdu);
  auto fo = read_first_octet(in, mti_submit, what);
  if (!fo) return std::move(fo).error();
  sms_submit_report t;
  t.udhi = (*fo & first_octet::udhi) != 0;
  if (rp_error) {
    std::uint8_t fcs = 0;
    if (!in.u8(fcs)) return truncated(what, "TP-FCS");
    t.fcs = fcs;
  }
  auto pi_octet = read_pi(in, what);
  if (!pi_octet) return std::move(pi_octet).error();
  auto scts = decode_timestamp(in);
  if (!scts) return std::move(scts).error();
  t.scts = *scts;
  auto tail = read_report_tail(in, *pi_octet, t.udhi, what);
  if (!tail) return std::move(tail).error();
  t.pid = tail->pid;
  t.dcs = tail->dcs;
  t.ud = std::move(tail->ud);
  t.ud_septets = tail->septets;
  return t;
}

status encode(const sms_submit_report& t, byte_writer& out) {
  static constexpr std::string_view what = "SMS-SUBMIT-REPORT";
  byte_writer w;
  w.u8(static_cast<std::uint8_t>(mti_submit | (t.udhi ? first_octet::udhi : 0)));
  if (t.fcs) w.u8(*t.fcs);
  w.u8(pi_of(t.pid, t.dcs, t.ud));
  OTAFLOW_TRY(encode_timestamp(t.scts, w));
  OTAFLOW_TRY(write_report_tail(w, t.udhi, t.pid, t.dcs, t.ud, t.ud_septets, what));
  out.append(w.data());
  return {};
}

}  // namespace otaflow::codec::tpdu
