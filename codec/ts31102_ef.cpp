#include "codec/ts31102_ef.hpp"

#include <algorithm>

namespace otaflow::codec::ts31102 {
namespace {

error truncated(const char* what, std::size_t need, std::size_t got) {
  return make_error(errc::truncated, std::string(what) + " needs " + std::to_string(need) +
                                         " bytes, got " + std::to_string(got));
}

// The same error with a prefix naming the enclosing field.
error with_context(error e, const std::string& prefix) {
  e.message = prefix + e.message;
  return e;
}

bool all_ff(byte_view v) noexcept {
  return std::all_of(v.begin(), v.end(), [](std::uint8_t b) { return b == 0xFF; });
}

bool is_decimal(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// ---- BCD semi-octets (TS 24.008 §10.5.4.7 Table 10.5.118: A '*', B '#', C 'a', D 'b',
// E 'c', F end mark / filler), low nibble first.

int bcd_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  switch (c) {
    case '*':
      return 0xA;
    case '#':
      return 0xB;
    case 'a':
      return 0xC;
    case 'b':
      return 0xD;
    case 'c':
      return 0xE;
    default:
      return -1;
  }
}

char bcd_char(unsigned nibble) noexcept {
  return "0123456789*#abc?"[nibble & 0x0F];
}

status encode_bcd(std::string_view digits, const char* what, byte_writer& w) {
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    const int lo = bcd_value(digits[i]);
    const int hi = i + 1 < digits.size() ? bcd_value(digits[i + 1]) : 0xF;
    if (lo < 0 || hi < 0)
      return make_error(errc::bad_value, std::string(what) + " \"" + std::string(digits) +
                                             "\" has a character that is not a BCD digit");
    w.u8(static_cast<std::uint8_t>((hi << 4) | lo));
  }
  return {};
}

// Reads digits until the first 'F' nibble; anything after it must be filler too.
result<std::string> decode_bcd(byte_view data, const char* what) {
  std::string out;
  bool ended = false;
  for (std::size_t i = 0; i < data.size(); ++i) {
    for (unsigned nib : {data[i] & 0x0Fu, static_cast<unsigned>(data[i] >> 4)}) {
      if (nib == 0xF) {
        ended = true;
        continue;
      }
      if (ended)
        return make_error(
            errc::bad_value,
            std::string(what) + ": digit after the F end mark at byte " + std::to_string(i));
      out.push_back(bcd_char(nib));
    }
  }
  return out;
}

// ---- UTF-8 <-> code points.

result<std::u32string> utf8_decode(std::string_view s) {
  std::u32string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    unsigned len = b0 < 0x80           ? 1
                   : (b0 >> 5) == 0x6  ? 2
                   : (b0 >> 4) == 0xE  ? 3
                   : (b0 >> 3) == 0x1E ? 4
                                       : 0;
    if (len == 0 || i + len > s.size())
      return make_error(errc::bad_value, "text is not valid UTF-8 at byte " + std::to_string(i));
    char32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
    for (unsigned k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80)
        return make_error(errc::bad_value, "text is not valid UTF-8 at byte " + std::to_string(i));
      cp = (cp << 6) | (b & 0x3F);
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

void utf8_append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string cp_name(char32_t cp) {
  return "U+" + to_hex(cp, 4, hex_case::upper);
}

// ---- GSM 7-bit default alphabet (TS 23.038 §6.2.1) and its extension table (§6.2.1.1).

// clang-format off
constexpr char16_t gsm_basic[128] = {
  u'@',    0x00A3, u'$',   0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC,
  0x00F2,  0x00C7, u'\n',  0x00D8, 0x00F8, u'\r',  0x00C5, 0x00E5,
  0x0394,  u'_',   0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
  0x03A3,  0x0398, 0x039E, 0x001B, 0x00C6, 0x00E6, 0x00DF, 0x00C9,
  u' ',    u'!',   u'"',   u'#',   0x00A4, u'%',   u'&',   u'\'',
  u'(',    u')',   u'*',   u'+',   u',',   u'-',   u'.',   u'/',
  u'0',    u'1',   u'2',   u'3',   u'4',   u'5',   u'6',   u'7',
  u'8',    u'9',   u':',   u';',   u'<',   u'=',   u'>',   u'?',
  0x00A1,  u'A',   u'B',   u'C',   u'D',   u'E',   u'F',   u'G',
  u'H',    u'I',   u'J',   u'K',   u'L',   u'M',   u'N',   u'O',
  u'P',    u'Q',   u'R',   u'S',   u'T',   u'U',   u'V',   u'W',
  u'X',    u'Y',   u'Z',   0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
  0x00BF,  u'a',   u'b',   u'c',   u'd',   u'e',   u'f',   u'g',
  u'h',    u'i',   u'j',   u'k',   u'l',   u'm',   u'n',   u'o',
  u'p',    u'q',   u'r',   u's',   u't',   u'u',   u'v',   u'w',
  u'x',    u'y',   u'z',   0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};
// clang-format on

struct gsm_ext {
  std::uint8_t code;
  char16_t cp;
};
constexpr gsm_ext gsm_extension[] = {
    {0x0A, 0x000C}, {0x14, u'^'}, {0x28, u'{'}, {0x29, u'}'}, {0x2F, u'\\'},
    {0x3C, u'['},   {0x3D, u'~'}, {0x3E, u']'}, {0x40, u'|'}, {0x65, 0x20AC},
};
constexpr std::uint8_t gsm_escape = 0x1B;

// Appends the GSM septet(s) for cp; false when the default alphabet cannot carry it.
bool gsm_encode_char(char32_t cp, bytes& out) {
  for (std::uint8_t i = 0; i < 128; ++i)
    if (i != gsm_escape && gsm_basic[i] == cp) {
      out.push_back(i);
      return true;
    }
  for (const auto& e : gsm_extension)
    if (e.cp == cp) {
      out.push_back(gsm_escape);
      out.push_back(e.code);
      return true;
    }
  return false;
}

// Decodes GSM characters in [pos, end) (each < 0x80) into out; an escape takes the next
// byte from the extension table (an unknown extension code shows the basic character, as
// TS 23.038 §6.2.1.1 asks of a receiver).
char32_t gsm_decode_char(byte_view v, std::size_t& pos) {
  const std::uint8_t c = v[pos++];
  if (c == gsm_escape && pos < v.size() && v[pos] < 0x80) {
    const std::uint8_t x = v[pos++];
    for (const auto& e : gsm_extension)
      if (e.code == x) return e.cp;
    return gsm_basic[x];
  }
  return c == gsm_escape ? U' ' : gsm_basic[c];
}

result<alpha_text> decode_ucs2_81_82(byte_view f) {
  const bool is81 = f[0] == 0x81;
  const std::size_t head = is81 ? 3 : 4;
  if (f.size() < head)
    return truncated(is81 ? "UCS2 '81' alpha header" : "UCS2 '82' alpha header", head, f.size());
  const std::size_t n = f[1];
  const char32_t base =
      is81 ? static_cast<char32_t>(f[2]) << 7 : static_cast<char32_t>((f[2] << 8) | f[3]);
  if (head + n > f.size())
    return make_error(errc::bad_length, std::string("UCS2 '") + (is81 ? "81" : "82") +
                                            "' alpha field announces " + std::to_string(n) +
                                            " characters but holds only " +
                                            std::to_string(f.size() - head) + " bytes");
  const byte_view chars = f.subspan(head, n);
  alpha_text t;
  t.coding = is81 ? alpha_coding::ucs2_81 : alpha_coding::ucs2_82;
  for (std::size_t i = 0; i < chars.size();) {
    if (chars[i] & 0x80) {
      utf8_append(t.utf8, base + (chars[i] & 0x7F));
      ++i;
    } else {
      utf8_append(t.utf8, gsm_decode_char(chars, i));
    }
  }
  return t;
}

// ---- SMS addresses inside EF.SMSP (12 bytes each).

constexpr std::size_t address_field = 12;
constexpr std::size_t max_address_digits = 20;  // 10 BCD bytes

status encode_address(const sms_address& a, bool octet_length, const char* what, byte_writer& w) {
  if (a.digits.size() > max_address_digits)
    return make_error(
        errc::too_long,
        std::string(what) + " has " + std::to_string(a.digits.size()) + " digits, at most 20 fit");
  const std::size_t start = w.size();
  const std::size_t bcd_bytes = (a.digits.size() + 1) / 2;
  // TS 23.040 §9.1.2.5 counts useful semi-octets; TS 24.011 §8.2.5.1 counts octets of
  // TON/NPI + number.
  w.u8(static_cast<std::uint8_t>(octet_length ? bcd_bytes + 1 : a.digits.size()));
  w.u8(a.ton_npi);
  OTAFLOW_TRY(encode_bcd(a.digits, what, w));
  w.fill(address_field - (w.size() - start), 0xFF);
  return {};
}

result<sms_address> decode_address(byte_view f, bool octet_length, const char* what) {
  const std::uint8_t len = f[0];
  std::size_t bcd_bytes = 0, digits = 0;
  if (octet_length) {
    if (len < 1 || len > 11)
      return make_error(errc::bad_length, std::string(what) + " length " + std::to_string(len) +
                                              " octets not in 1..11");
    bcd_bytes = len - 1u;
  } else {
    if (len > max_address_digits)
      return make_error(errc::bad_length, std::string(what) + " length " + std::to_string(len) +
                                              " digits exceeds 20");
    digits = len;
    bcd_bytes = (digits + 1) / 2;
  }
  sms_address a;
  a.ton_npi = f[1];
  if (((a.ton_npi >> 4) & 0x7) == 0x5)
    return make_error(errc::unsupported, std::string(what) + " TON/NPI " +
                                             to_hex(a.ton_npi, 2, hex_case::upper) +
                                             ": alphanumeric addresses are not supported");
  auto d = decode_bcd(f.subspan(2, bcd_bytes), what);
  if (!d) return std::move(d).error();
  if (!octet_length && d->size() != digits)
    return make_error(errc::bad_length, std::string(what) + " announces " + std::to_string(digits) +
                                            " digits but holds " + std::to_string(d->size()));
  a.digits = std::move(*d);
  return a;
}

}  // namespace

// ======================================================================================
// PLMN
// ======================================================================================

status check_plmn(const plmn& p) {
  if (p.mcc.size() != 3 || !is_decimal(p.mcc))
    return make_error(errc::bad_value, "MCC \"" + p.mcc + "\" must be 3 decimal digits");
  if ((p.mnc.size() != 2 && p.mnc.size() != 3) || !is_decimal(p.mnc))
    return make_error(errc::bad_value, "MNC \"" + p.mnc + "\" must be 2 or 3 decimal digits");
  return {};
}

status encode_plmn(const plmn& p, byte_writer& w) {
  OTAFLOW_TRY(check_plmn(p));
  auto d = [](char c) { return static_cast<std::uint8_t>(c - '0'); };
  const std::uint8_t mnc3 = p.mnc.size() == 3 ? d(p.mnc[2]) : 0xF;
  w.u8(static_cast<std::uint8_t>((d(p.mcc[1]) << 4) | d(p.mcc[0])));
  w.u8(static_cast<std::uint8_t>((mnc3 << 4) | d(p.mcc[2])));
  w.u8(static_cast<std::uint8_t>((d(p.mnc[1]) << 4) | d(p.mnc[0])));
  return {};
}

result<plmn> decode_plmn(byte_view three) {
  if (three.size() < 3) return truncated("PLMN", 3, three.size());
  const unsigned n[6] = {three[0] & 0x0Fu, static_cast<unsigned>(three[0] >> 4),
                         three[1] & 0x0Fu, static_cast<unsigned>(three[1] >> 4),
                         three[2] & 0x0Fu, static_cast<unsigned>(three[2] >> 4)};
  // n: MCC1 MCC2 MCC3 MNC3 MNC1 MNC2
  for (int i : {0, 1, 2, 4, 5})
    if (n[i] > 9)
      return make_error(errc::bad_value, "PLMN " + to_hex(three.first(3)) + ": digit nibble " +
                                             to_hex(n[i], 2, hex_case::upper) + " is not decimal");
  if (n[3] > 9 && n[3] != 0xF)
    return make_error(errc::bad_value,
                      "PLMN " + to_hex(three.first(3)) + ": MNC digit 3 must be 0-9 or F");
  plmn p;
  p.mcc = {static_cast<char>('0' + n[0]), static_cast<char>('0' + n[1]),
           static_cast<char>('0' + n[2])};
  p.mnc = {static_cast<char>('0' + n[4]), static_cast<char>('0' + n[5])};
  if (n[3] != 0xF) p.mnc.push_back(static_cast<char>('0' + n[3]));
  return p;
}

status encode_plmn_entry(const std::optional<plmn>& p, byte_writer& w) {
  if (!p) {
    w.fill(3, 0xFF);
    return {};
  }
  return encode_plmn(*p, w);
}

result<std::optional<plmn>> decode_plmn_entry(byte_view three) {
  if (three.size() < 3) return truncated("PLMN", 3, three.size());
  if (all_ff(three.first(3))) return std::optional<plmn>{};
  auto p = decode_plmn(three);
  if (!p) return std::move(p).error();
  return std::optional<plmn>{std::move(*p)};
}

result<plmn> plmn_from_imsi(std::string_view imsi, unsigned mnc_length) {
  if (mnc_length != 2 && mnc_length != 3)
    return make_error(errc::bad_argument,
                      "MNC length " + std::to_string(mnc_length) + " must be 2 or 3");
  if (imsi.size() < 3 + mnc_length || !is_decimal(imsi))
    return make_error(errc::bad_value, "IMSI \"" + std::string(imsi) +
                                           "\" is too short or not decimal for an HPLMN");
  return plmn{std::string(imsi.substr(0, 3)), std::string(imsi.substr(3, mnc_length))};
}

// ======================================================================================
// PLMN lists
// ======================================================================================

result<plmn_act_list> decode_plmn_act_list(byte_view data) {
  if (data.empty() || data.size() % 5 != 0)
    return make_error(errc::bad_length, "PLMN with AcT list of " + std::to_string(data.size()) +
                                            " bytes is not a positive multiple of 5");
  plmn_act_list out;
  for (std::size_t off = 0; off < data.size(); off += 5) {
    auto id = decode_plmn_entry(data.subspan(off, 3));
    if (!id)
      return with_context(std::move(id).error(), "entry " + std::to_string(off / 5 + 1) + ": ");
    out.push_back(
        {std::move(*id), static_cast<std::uint16_t>((data[off + 3] << 8) | data[off + 4])});
  }
  return out;
}

status encode_plmn_act_list(const plmn_act_list& list, std::size_t file_size, byte_writer& w) {
  if (file_size != 0 && (file_size % 5 != 0 || list.size() * 5 > file_size))
    return make_error(errc::too_long, std::to_string(list.size()) +
                                          " PLMN with AcT entries do not fit a file of " +
                                          std::to_string(file_size) + " bytes (5 per entry)");
  for (const auto& e : list) {
    OTAFLOW_TRY(encode_plmn_entry(e.id, w));
    w.u16(e.act);
  }
  for (std::size_t n = list.size() * 5; n < file_size; n += 5) {
    w.fill(3, 0xFF);
    w.u16(0x0000);
  }
  return {};
}

result<fplmn_list> decode_fplmn(byte_view data) {
  if (data.empty() || data.size() % 3 != 0)
    return make_error(errc::bad_length, "EF.FPLMN of " + std::to_string(data.size()) +
                                            " bytes is not a positive multiple of 3");
  fplmn_list out;
  for (std::size_t off = 0; off < data.size(); off += 3) {
    auto id = decode_plmn_entry(data.subspan(off, 3));
    if (!id)
      return with_context(std::move(id).error(), "FPLMN " + std::to_string(off / 3 + 1) + ": ");
    out.push_back(std::move(*id));
  }
  return out;
}

status encode_fplmn(const fplmn_list& list, std::size_t file_size, byte_writer& w) {
  if (file_size != 0 && (file_size % 3 != 0 || list.size() * 3 > file_size))
    return make_error(errc::too_long, std::to_string(list.size()) +
                                          " FPLMN entries do not fit a file of " +
                                          std::to_string(file_size) + " bytes (3 per entry)");
  for (const auto& e : list) OTAFLOW_TRY(encode_plmn_entry(e, w));
  if (file_size > list.size() * 3) w.fill(file_size - list.size() * 3, 0xFF);
  return {};
}

// ======================================================================================
// IMSI
// ======================================================================================

status encode_imsi(std::string_view digits, byte_writer& w) {
  if (digits.size() < 6 || digits.size() > 15 || !is_decimal(digits))
    return make_error(errc::bad_value,
                      "IMSI \"" + std::string(digits) + "\" must be 6 to 15 decimal digits");
  const bool odd = digits.size() % 2 == 1;
  const std::size_t used = (digits.size() + 2) / 2;  // identity digits + the type nibble
  w.u8(static_cast<std::uint8_t>(used));
  // Byte 2: digit 1 in the high nibble, parity b4, type of identity b3..b1 = 001 (IMSI).
  w.u8(static_cast<std::uint8_t>(((digits[0] - '0') << 4) | (odd ? 0x08 : 0x00) | 0x01));
  OTAFLOW_TRY(encode_bcd(digits.substr(1), "IMSI", w));
  w.fill(9 - 1 - used, 0xFF);
  return {};
}

result<std::string> decode_imsi(byte_view data) {
  if (data.size() < 9) return truncated("EF.IMSI", 9, data.size());
  const std::uint8_t used = data[0];
  if (used < 1 || used > 8)
    return make_error(errc::bad_value,
                      "EF.IMSI length byte " + to_hex(used, 2, hex_case::upper) + " not in 01..08");
  if ((data[1] & 0x07) != 0x01)
    return make_error(errc::bad_value, "EF.IMSI type of identity " +
                                           std::to_string(data[1] & 0x07) + " is not 1 (IMSI)");
  const unsigned first = data[1] >> 4;
  if (first > 9)
    return make_error(errc::bad_value, "EF.IMSI digit 1 nibble " +
                                           to_hex(first, 2, hex_case::upper) + " is not decimal");
  std::string digits(1, static_cast<char>('0' + first));
  auto rest = decode_bcd(data.subspan(2, used - 1u), "EF.IMSI");
  if (!rest) return std::move(rest).error();
  if (!is_decimal(*rest)) return make_error(errc::bad_value, "EF.IMSI holds a non-decimal digit");
  digits += *rest;
  const bool odd = (data[1] & 0x08) != 0;
  if (odd != (digits.size() % 2 == 1))
    return make_error(errc::bad_value, "EF.IMSI parity bit says " +
                                           std::string(odd ? "odd" : "even") + " but holds " +
                                           std::to_string(digits.size()) + " digits");
  if (digits.size() < 6)
    return make_error(errc::bad_value,
                      "EF.IMSI holds " + std::to_string(digits.size()) + " digits, fewer than 6");
  return digits;
}

// ======================================================================================
// Alpha fields, SPN
// ======================================================================================

result<alpha_text> decode_alpha(byte_view f) {
  alpha_text t;
  if (f.empty() || f[0] == 0xFF) return t;
  if (f[0] == 0x80) {
    t.coding = alpha_coding::ucs2_80;
    for (std::size_t i = 1; i + 1 < f.size(); i += 2) {
      const char32_t cp = static_cast<char32_t>((f[i] << 8) | f[i + 1]);
      if (cp == 0xFFFF) break;  // padding
      utf8_append(t.utf8, cp);
    }
    return t;
  }
  if (f[0] == 0x81 || f[0] == 0x82) return decode_ucs2_81_82(f);
  std::size_t end = 0;
  while (end < f.size() && f[end] != 0xFF) ++end;
  const byte_view chars = f.first(end);
  for (std::size_t i = 0; i < chars.size(); ++i)
    if (chars[i] & 0x80)
      return make_error(errc::bad_value, "alpha field byte " + std::to_string(i) + " is " +
                                             to_hex(chars[i], 2, hex_case::upper) +
                                             ": not a GSM default alphabet character (b8 set)");
  for (std::size_t i = 0; i < chars.size();) utf8_append(t.utf8, gsm_decode_char(chars, i));
  return t;
}

status encode_alpha(const alpha_text& text, std::size_t field_len, byte_writer& w) {
  auto cps = utf8_decode(text.utf8);
  if (!cps) return std::move(cps).error();
  bytes out;
  switch (text.coding) {
    case alpha_coding::gsm7:
      for (char32_t cp : *cps)
        if (!gsm_encode_char(cp, out))
          return make_error(errc::bad_value,
                            "character " + cp_name(cp) + " is not in the GSM default alphabet");
      break;
    case alpha_coding::ucs2_80:
      out.push_back(0x80);
      for (char32_t cp : *cps) {
        if (cp >= 0xFFFF || (cp >= 0xD800 && cp <= 0xDFFF))
          return make_error(errc::bad_value, "character " + cp_name(cp) + " is not UCS2");
        out.push_back(static_cast<std::uint8_t>(cp >> 8));
        out.push_back(static_cast<std::uint8_t>(cp));
      }
      break;
    case alpha_coding::ucs2_81:
    case alpha_coding::ucs2_82:
      return make_error(errc::unsupported,
                        "encoding alpha fields as UCS2 '81'/'82' is not supported");
  }
  if (out.size() > field_len)
    return make_error(errc::too_long, "text \"" + text.utf8 + "\" needs " +
                                          std::to_string(out.size()) + " bytes, the field has " +
                                          std::to_string(field_len));
  w.append(out);
  w.fill(field_len - out.size(), 0xFF);
  return {};
}

result<ef_spn> decode_spn(byte_view data) {
  if (data.size() < spn_size) return truncated("EF.SPN", spn_size, data.size());
  const std::uint8_t dc = data[0];
  if (dc & 0xFC)
    return make_error(errc::bad_value, "EF.SPN display condition " +
                                           to_hex(dc, 2, hex_case::upper) +
                                           ": RFU bits b8..b3 must be 0");
  ef_spn s;
  s.plmn_name_required = dc & 0x01;
  s.spn_not_required_outside = dc & 0x02;
  auto name = decode_alpha(data.subspan(1, 16));
  if (!name) return with_context(std::move(name).error(), "EF.SPN name: ");
  s.name = std::move(*name);
  return s;
}

status encode_spn(const ef_spn& spn, byte_writer& w) {
  // Encode the name first so that a failure leaves the writer untouched.
  byte_writer name;
  OTAFLOW_TRY(encode_alpha(spn.name, 16, name));
  w.u8(static_cast<std::uint8_t>((spn.plmn_name_required ? 0x01 : 0) |
                                 (spn.spn_not_required_outside ? 0x02 : 0)));
  w.append(name.data());
  return {};
}

// ======================================================================================
// ACC, HPPLMN
// ======================================================================================

result<std::uint16_t> decode_acc(byte_view data) {
  if (data.size() < 2) return truncated("EF.ACC", 2, data.size());
  const auto v = static_cast<std::uint16_t>((data[0] << 8) | data[1]);
  if (v & (1u << 10))
    return make_error(errc::bad_value,
                      "EF.ACC " + to_hex(v, 4, hex_case::upper) + ": ACC 10 is set");
  return v;
}

status encode_acc(std::uint16_t classes, byte_writer& w) {
  if (classes & (1u << 10))
    return make_error(errc::bad_value, "ACC mask " + to_hex(classes, 4, hex_case::upper) +
                                           ": ACC 10 must not be stored");
  w.u16(classes);
  return {};
}

std::uint16_t acc_for_imsi(std::string_view imsi) noexcept {
  if (imsi.empty() || imsi.back() < '0' || imsi.back() > '9') return 0x0001;
  return static_cast<std::uint16_t>(1u << (imsi.back() - '0'));
}

result<std::uint8_t> decode_hpplmn(byte_view data) {
  if (data.empty()) return truncated("EF.HPPLMN", 1, 0);
  return data[0];
}

void encode_hpplmn(std::uint8_t value, byte_writer& w) {
  w.u8(value);
}

std::optional<unsigned> hpplmn_minutes(std::uint8_t value) noexcept {
  if (value > hpplmn_max_value) return std::nullopt;
  return value * hpplmn_unit_minutes;
}

result<std::uint8_t> hpplmn_from_minutes(unsigned minutes) {
  if (minutes % hpplmn_unit_minutes != 0 || minutes > hpplmn_max_value * hpplmn_unit_minutes)
    return make_error(errc::bad_value, "HPPLMN period " + std::to_string(minutes) +
                                           " min is not a multiple of 6 in 0..480");
  return static_cast<std::uint8_t>(minutes / hpplmn_unit_minutes);
}

// ======================================================================================
// LOCI
// ======================================================================================

result<ef_loci> decode_loci(byte_view data) {
  if (data.size() < loci_size) return truncated("EF.LOCI", loci_size, data.size());
  ef_loci l;
  byte_reader r(data);
  (void)r.u32(l.tmsi);
  auto id = decode_plmn_entry(data.subspan(4, 3));
  if (!id) return with_context(std::move(id).error(), "EF.LOCI LAI: ");
  l.lai.id = std::move(*id);
  l.lai.lac = static_cast<std::uint16_t>((data[7] << 8) | data[8]);
  l.rfu = data[9];
  const unsigned st = data[10] & 0x07u;
  if (st > 3)
    return make_error(errc::bad_value,
                      "EF.LOCI location update status " + std::to_string(st) + " is reserved");
  l.status = static_cast<lu_status>(st);
  return l;
}

status encode_loci(const ef_loci& l, byte_writer& w) {
  if (static_cast<unsigned>(l.status) > 3)
    return make_error(errc::bad_value, "location update status " +
                                           std::to_string(static_cast<unsigned>(l.status)) +
                                           " is reserved");
  byte_writer tmp;
  tmp.u32(l.tmsi);
  OTAFLOW_TRY(encode_plmn_entry(l.lai.id, tmp));
  tmp.u16(l.lai.lac);
  tmp.u8(l.rfu);
  tmp.u8(static_cast<std::uint8_t>(l.status));
  w.append(tmp.data());
  return {};
}

ef_loci loci_reset(const std::optional<plmn>& id) {
  ef_loci l;
  l.tmsi = 0xFFFFFFFF;
  l.lai.id = id;
  l.lai.lac = lac_deleted;
  l.rfu = 0xFF;
  l.status = lu_status::not_updated;
  return l;
}

// ======================================================================================
// SMSP
// ======================================================================================

result<ef_smsp> decode_smsp(byte_view rec) {
  if (rec.size() < smsp_fixed_size) return truncated("EF.SMSP record", smsp_fixed_size, rec.size());
  const std::size_t y = rec.size() - smsp_fixed_size;
  ef_smsp s;
  auto alpha = decode_alpha(rec.first(y));
  if (!alpha) return with_context(std::move(alpha).error(), "EF.SMSP alpha identifier: ");
  s.alpha = std::move(*alpha);
  const std::uint8_t ind = rec[y];
  const byte_view p = rec.subspan(y + 1);
  if (!(ind & 0x01)) {
    auto a = decode_address(p.subspan(0, address_field), false, "EF.SMSP TP-DA");
    if (!a) return std::move(a).error();
    s.destination = std::move(*a);
  }
  if (!(ind & 0x02)) {
    auto a = decode_address(p.subspan(address_field, address_field), true, "EF.SMSP TS-SCA");
    if (!a) return std::move(a).error();
    s.service_centre = std::move(*a);
  }
  if (!(ind & 0x04)) s.pid = p[24];
  if (!(ind & 0x08)) s.dcs = p[25];
  if (!(ind & 0x10)) s.vp = p[26];
  return s;
}

status encode_smsp(const ef_smsp& s, std::size_t record_len, byte_writer& w) {
  if (record_len < smsp_fixed_size)
    return make_error(errc::bad_argument,
                      "EF.SMSP record length " + std::to_string(record_len) + " is below 28");
  byte_writer t;
  OTAFLOW_TRY(encode_alpha(s.alpha, record_len - smsp_fixed_size, t));
  // Bits b8..b6 are reserved and set to 1; a 0 bit marks a present parameter.
  std::uint8_t ind = 0xE0;
  if (!s.destination) ind |= 0x01;
  if (!s.service_centre) ind |= 0x02;
  if (!s.pid) ind |= 0x04;
  if (!s.dcs) ind |= 0x08;
  if (!s.vp) ind |= 0x10;
  t.u8(ind);
  if (s.destination)
    OTAFLOW_TRY(encode_address(*s.destination, false, "EF.SMSP TP-DA", t));
  else
    t.fill(address_field, 0xFF);
  if (s.service_centre)
    OTAFLOW_TRY(encode_address(*s.service_centre, true, "EF.SMSP TS-SCA", t));
  else
    t.fill(address_field, 0xFF);
  t.u8(s.pid.value_or(0xFF));
  t.u8(s.dcs.value_or(0xFF));
  t.u8(s.vp.value_or(0xFF));
  w.append(t.data());
  return {};
}

// ======================================================================================
// AD, UST
// ======================================================================================

namespace {
bool valid_ue_mode(std::uint8_t m) noexcept {
  return m == 0x00 || m == 0x80 || m == 0x01 || m == 0x81 || m == 0x02 || m == 0x04;
}
}  // namespace

result<ef_ad> decode_ad(byte_view data) {
  if (data.size() < 3) return truncated("EF.AD", 3, data.size());
  ef_ad a;
  a.ue_mode = data[0];
  if (!valid_ue_mode(a.ue_mode))
    return make_error(
        errc::bad_value,
        "EF.AD UE operation mode " + to_hex(a.ue_mode, 2, hex_case::upper) + " is not defined");
  a.additional = static_cast<std::uint16_t>((data[1] << 8) | data[2]);
  if (data.size() >= 4) {
    const std::uint8_t len = data[3] & 0x0F;
    if (len != 2 && len != 3)
      return make_error(errc::bad_value,
                        "EF.AD MNC length " + std::to_string(len) + " is not 2 or 3");
    a.mnc_length = len;
  }
  return a;
}

status encode_ad(const ef_ad& a, byte_writer& w) {
  if (!valid_ue_mode(a.ue_mode))
    return make_error(
        errc::bad_value,
        "UE operation mode " + to_hex(a.ue_mode, 2, hex_case::upper) + " is not defined");
  if (a.mnc_length && *a.mnc_length != 2 && *a.mnc_length != 3)
    return make_error(errc::bad_value,
                      "MNC length " + std::to_string(*a.mnc_length) + " is not 2 or 3");
  w.u8(a.ue_mode);
  w.u16(a.additional);
  if (a.mnc_length) w.u8(*a.mnc_length);
  return {};
}

bool service_available(byte_view ust, unsigned n) noexcept {
  if (n == 0) return false;
  const std::size_t byte = (n - 1) / 8;
  return byte < ust.size() && (ust[byte] >> ((n - 1) % 8)) & 1u;
}

void set_service(bytes& ust, unsigned n, bool available) {
  if (n == 0) return;
  const std::size_t byte = (n - 1) / 8;
  if (byte >= ust.size()) {
    if (!available) return;
    ust.resize(byte + 1, 0x00);
  }
  const auto mask = static_cast<std::uint8_t>(1u << ((n - 1) % 8));
  ust[byte] = available ? static_cast<std::uint8_t>(ust[byte] | mask)
                        : static_cast<std::uint8_t>(ust[byte] & ~mask);
}

// ======================================================================================
// ICCID, dialling numbers
// ======================================================================================

result<std::string> decode_iccid(byte_view data) {
  if (data.size() < iccid_size) return truncated("EF.ICCID", iccid_size, data.size());
  auto d = decode_bcd(data.first(iccid_size), "EF.ICCID");
  if (!d) return std::move(d).error();
  if (d->empty() || !is_decimal(*d))
    return make_error(errc::bad_value, "EF.ICCID " + to_hex(data.first(iccid_size)) +
                                           " is empty or holds a non-decimal digit");
  return d;
}

status encode_iccid(std::string_view digits, byte_writer& w) {
  if (digits.empty() || digits.size() > 20 || !is_decimal(digits))
    return make_error(errc::bad_value,
                      "ICCID \"" + std::string(digits) + "\" must be 1 to 20 decimal digits");
  const std::size_t start = w.size();
  OTAFLOW_TRY(encode_bcd(digits, "ICCID", w));
  w.fill(iccid_size - (w.size() - start), 0xFF);
  return {};
}

result<std::optional<dialling_number>> decode_dialling_number(byte_view rec) {
  if (rec.size() < dialling_fixed_size)
    return truncated("dialling number record", dialling_fixed_size, rec.size());
  const std::size_t y = rec.size() - dialling_fixed_size;
  const byte_view p = rec.subspan(y);
  if (p[0] == 0xFF) return std::optional<dialling_number>{};
  if (p[0] < 1 || p[0] > 11)
    return make_error(errc::bad_length, "dialling number length " + std::to_string(p[0]) +
                                            " not in 1..11 (TON/NPI + 10 BCD bytes)");
  dialling_number n;
  auto alpha = decode_alpha(rec.first(y));
  if (!alpha) return with_context(std::move(alpha).error(), "dialling number alpha: ");
  n.alpha = std::move(*alpha);
  n.ton_npi = p[1];
  auto d = decode_bcd(p.subspan(2, p[0] - 1u), "dialling number");
  if (!d) return std::move(d).error();
  n.digits = std::move(*d);
  n.ccp = p[12];
  n.ext = p[13];
  return std::optional<dialling_number>{std::move(n)};
}

status encode_dialling_number(const std::optional<dialling_number>& n, std::size_t record_len,
                              byte_writer& w) {
  if (record_len < dialling_fixed_size)
    return make_error(errc::bad_argument, "dialling number record length " +
                                              std::to_string(record_len) + " is below 14");
  if (!n) {
    w.fill(record_len, 0xFF);
    return {};
  }
  if (n->digits.size() > 20)
    return make_error(errc::too_long, "dialling number has " + std::to_string(n->digits.size()) +
                                          " digits, at most 20 fit");
  byte_writer t;
  OTAFLOW_TRY(encode_alpha(n->alpha, record_len - dialling_fixed_size, t));
  const std::size_t bcd_bytes = (n->digits.size() + 1) / 2;
  t.u8(static_cast<std::uint8_t>(bcd_bytes + 1));
  t.u8(n->ton_npi);
  OTAFLOW_TRY(encode_bcd(n->digits, "dialling number", t));
  t.fill(10 - bcd_bytes, 0xFF);
  t.u8(n->ccp);
  t.u8(n->ext);
  w.append(t.data());
  return {};
}

// ======================================================================================
// Default contents
// ======================================================================================

result<bytes> default_content(const ef_spec& spec, const card_profile& prof) {
  byte_writer w;
  auto hplmn = [&]() { return plmn_from_imsi(prof.imsi, prof.mnc_length); };
  switch (spec.fid) {
    case fid::ef_iccid:
      OTAFLOW_TRY(encode_iccid(prof.iccid, w));
      break;
    case fid::ef_dir: {
      // One application template (TS 102 221 §13.1): 61 L { 4F 10 AID, 50 04 "USIM" }.
      w.u8(0x61);
      w.u8(0x18);
      w.u8(0x4F);
      w.u8(0x10);
      w.append(usim_aid);
      w.u8(0x50);
      w.u8(0x04);
      w.append(std::string_view("USIM"));
      break;
    }
    case fid::ef_imsi:
      OTAFLOW_TRY(encode_imsi(prof.imsi, w));
      break;
    case fid::ef_keys:
    case fid::ef_keys_ps:
      w.u8(0x07);  // KSI '07': no key available (TS 31.102 Annex E)
      break;
    case fid::ef_ad: {
      ef_ad ad;
      ad.mnc_length = static_cast<std::uint8_t>(prof.mnc_length);
      OTAFLOW_TRY(encode_ad(ad, w));
      break;
    }
    case fid::ef_ust: {
      bytes ust;
      for (unsigned n : {service::sms, service::smsp, service::spn, service::plmn_wact,
                         service::msisdn, service::data_download_sms_pp, service::shall_be_one,
                         service::oplmn_wact, service::hplmn_wact})
        set_service(ust, n, true);
      // DF.5GS is part of the card (ts31102_files.hpp): 5GS mobility management (122), 5G
      // security parameters (123), subscription identifier privacy (124), SUCI calculation by
      // the USIM (125, GET IDENTITY) and UAC access identities (126). 17 bytes hold
      // services 1..136 (TS 31.102 §4.2.8).
      for (unsigned n : {122u, 123u, 124u, 125u, 126u}) set_service(ust, n, true);
      ust.resize(spec.size, 0x00);
      w.append(ust);
      break;
    }
    case fid::ef_spn:
      OTAFLOW_TRY(encode_spn(ef_spn{true, false, {prof.spn, alpha_coding::gsm7}}, w));
      break;
    case fid::ef_acc:
      OTAFLOW_TRY(encode_acc(acc_for_imsi(prof.imsi), w));
      break;
    case fid::ef_hpplmn:
      encode_hpplmn(0x0A, w);  // 60 minutes
      break;
    case fid::ef_loci:
      OTAFLOW_TRY(encode_loci(loci_reset(), w));
      break;
    case fid::ef_ps_loci:
      // P-TMSI 'FFFFFFFF', signature 'FFFFFF', RAI = deleted LAI + RAC 'FF', status 01.
      w.fill(7, 0xFF);
      w.fill(3, 0xFF);
      w.u16(lac_deleted);
      w.u8(0xFF);
      w.u8(0x01);
      break;
    case fid::ef_fplmn:
      OTAFLOW_TRY(encode_fplmn({}, spec.size, w));
      break;
    case fid::ef_plmn_wact:
    case fid::ef_oplmn_wact:
      OTAFLOW_TRY(encode_plmn_act_list({}, spec.size, w));
      break;
    case fid::ef_hplmn_wact: {
      auto h = hplmn();
      if (!h) return std::move(h).error();
      const plmn_act_list l{
          {*h, static_cast<std::uint16_t>(act::utran | act::eutran | act::ngran | act::gsm)}};
      OTAFLOW_TRY(encode_plmn_act_list(l, spec.size, w));
      break;
    }
    case fid::ef_sms:
      for (unsigned i = 0; i < record_count(spec); ++i) {
        w.u8(0x00);  // status: free space (TS 31.102 §4.2.25)
        w.fill(spec.record_len - 1u, 0xFF);
      }
      break;
    case fid::ef_msisdn:
      for (unsigned i = 0; i < record_count(spec); ++i) {
        std::optional<dialling_number> n;
        if (i == 0 && !prof.msisdn.empty()) n = dialling_number{{}, 0x91, prof.msisdn, 0xFF, 0xFF};
        OTAFLOW_TRY(encode_dialling_number(n, spec.record_len, w));
      }
      break;
    case fid::ef_smsp:
      for (unsigned i = 0; i < record_count(spec); ++i) {
        if (i == 0) {
          ef_smsp s;
          if (!prof.smsc.empty()) s.service_centre = sms_address{0x91, prof.smsc};
          s.pid = 0x00;
          s.dcs = 0x00;
          s.vp = 0xA7;  // relative validity period of 24 hours (TS 23.040 §9.2.3.12.1)
          OTAFLOW_TRY(encode_smsp(s, spec.record_len, w));
        } else {
          w.fill(spec.record_len, 0xFF);
        }
      }
      break;
    case fid::ef_smss:
      w.u8(0xFF);  // last used TP-MR
      w.u8(0xFF);  // memory capacity exceeded flag unset (b1 = 1), b8..b2 = 1
      break;
    default:
      break;
  }
  if (w.size() > spec.size)
    return make_error(errc::internal, std::string(spec.name) + " default content has " +
                                          std::to_string(w.size()) + " bytes, file has " +
                                          std::to_string(spec.size));
  // Records that were written whole keep their layout; the rest of the file is 'FF'.
  w.fill(spec.size - w.size(), 0xFF);
  return w.take();
}

}  // namespace otaflow::codec::ts31102
