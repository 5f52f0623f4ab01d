#include "codec/iso7816_apdu.hpp"

#include <fmt/format.h>

namespace otaflow::codec {

status encode_command_apdu(const command_apdu& apdu, byte_writer& out, apdu_length_form form) {
  const std::size_t nc = apdu.data.size();
  if (nc > extended_max_nc) {
    return make_error(errc::too_long, fmt::format("C-APDU {:02X}{:02X}: Nc {} exceeds {}", apdu.cla,
                                                  apdu.ins, nc, extended_max_nc));
  }
  if (apdu.le && (*apdu.le == 0 || *apdu.le > extended_max_ne)) {
    return make_error(errc::bad_argument,
                      fmt::format("C-APDU {:02X}{:02X}: Ne {} outside 1..{}", apdu.cla, apdu.ins,
                                  *apdu.le, extended_max_ne));
  }
  const bool extended = (form == apdu_length_form::extended && (nc > 0 || apdu.le)) ||
                        nc > short_max_nc || (apdu.le && *apdu.le > short_max_ne);
  out.u8(apdu.cla);
  out.u8(apdu.ins);
  out.u8(apdu.p1);
  out.u8(apdu.p2);
  if (!extended) {
    if (nc > 0) {
      out.u8(static_cast<std::uint8_t>(nc));
      out.append(apdu.data);
    }
    // Ne = 256 is written as 00 (ISO 7816-4 §5.1).
    if (apdu.le) out.u8(static_cast<std::uint8_t>(*apdu.le & 0xFF));
    return {};
  }
  // Extended: a 00 octet, then Lc in 2 octets; Le in 2 octets (3 with the 00 when Nc = 0).
  out.u8(0x00);
  if (nc > 0) {
    out.u16(static_cast<std::uint16_t>(nc));
    out.append(apdu.data);
  }
  if (apdu.le) out.u16(static_cast<std::uint16_t>(*apdu.le & 0xFFFF));  // 65536 -> 0000
  return {};
}

result<bytes> encode_command_apdu(const command_apdu& apdu, apdu_length_form form) {
  byte_writer w;
  OTAFLOW_TRY(encode_command_apdu(apdu, w, form));
  return w.take();
}

result<command_apdu> decode_command_apdu(byte_view in) {
  byte_reader r(in);
  command_apdu a;
  if (!r.u8(a.cla) || !r.u8(a.ins) || !r.u8(a.p1) || !r.u8(a.p2)) {
    return make_error(errc::truncated,
                      fmt::format("C-APDU: {} octets, a header needs 4", in.size()));
  }
  const byte_view body = r.rest();
  const std::size_t l = body.size();
  const auto hdr = [&] {
    return fmt::format("C-APDU {:02X}{:02X}{:02X}{:02X}", a.cla, a.ins, a.p1, a.p2);
  };
  if (l == 0) return a;  // case 1
  if (l == 1) {          // case 2S
    a.le = body[0] == 0 ? short_max_ne : body[0];
    return a;
  }
  if (body[0] != 0) {  // short Lc
    const std::size_t nc = body[0];
    if (l == 1 + nc || l == 2 + nc) {
      a.data.assign(body.begin() + 1, body.begin() + 1 + static_cast<std::ptrdiff_t>(nc));
      if (l == 2 + nc) a.le = body[l - 1] == 0 ? short_max_ne : body[l - 1];
      return a;
    }
    if (l < 1 + nc) {
      return make_error(errc::truncated,
                        fmt::format("{}: Lc {} but only {} data octets", hdr(), nc, l - 1));
    }
    return make_error(
        errc::bad_length,
        fmt::format("{}: Lc {} leaves {} octets, expected 0 or 1 (Le)", hdr(), nc, l - 1 - nc));
  }
  // body[0] == 00 and at least 2 octets: extended length fields.
  if (l == 2) {
    return make_error(
        errc::bad_length,
        fmt::format("{}: body 00 {:02X} is neither short nor extended", hdr(), body[1]));
  }
  const std::size_t n16 = (std::size_t{body[1]} << 8) | body[2];
  if (l == 3) {  // case 2E
    a.le = n16 == 0 ? extended_max_ne : static_cast<std::uint32_t>(n16);
    return a;
  }
  if (n16 == 0) {
    return make_error(errc::bad_value,
                      fmt::format("{}: extended Lc 0000 followed by {} octets", hdr(), l - 3));
  }
  if (l == 3 + n16 || l == 5 + n16) {  // case 3E / 4E
    a.data.assign(body.begin() + 3, body.begin() + 3 + static_cast<std::ptrdiff_t>(n16));
    if (l == 5 + n16) {
      const std::size_t le = (std::size_t{body[l - 2]} << 8) | body[l - 1];
      a.le = le == 0 ? extended_max_ne : static_cast<std::uint32_t>(le);
    }
    return a;
  }
  if (l < 3 + n16) {
    return make_error(errc::truncated,
                      fmt::format("{}: extended Lc {} but only {} data octets", hdr(), n16, l - 3));
  }
  return make_error(errc::bad_length,
                    fmt::format("{}: extended Lc {} leaves {} octets, expected 0 or 2 (Le)", hdr(),
                                n16, l - 3 - n16));
}

void encode_response_apdu(const response_apdu& rapdu, byte_writer& out) {
  out.append(rapdu.data);
  out.u16(rapdu.sw);
}

bytes encode_response_apdu(const response_apdu& rapdu) {
  byte_writer w;
  encode_response_apdu(rapdu, w);
  return w.take();
}

result<response_apdu> decode_response_apdu(byte_view in) {
  if (in.size() < 2) {
    return make_error(errc::truncated, fmt::format("R-APDU: {} octets, SW1 SW2 need 2", in.size()));
  }
  response_apdu r;
  r.data.assign(in.begin(), in.end() - 2);
  r.sw = static_cast<std::uint16_t>((in[in.size() - 2] << 8) | in[in.size() - 1]);
  return r;
}

}  // namespace otaflow::codec
