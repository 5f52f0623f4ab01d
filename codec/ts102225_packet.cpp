// ETSI TS 102 225 / TS 31.115 secured packet framing (SMS form).

#include "codec/ts102225_packet.hpp"

#include <string>

namespace otaflow::codec {
namespace {

std::string num(std::size_t v) {
  return std::to_string(v);
}

}  // namespace

const char* name(por_status s) noexcept {
  switch (s) {
    case por_status::ok:
      return "por_ok";
    case por_status::rc_cc_ds_failed:
      return "rc_cc_ds_failed";
    case por_status::cntr_low:
      return "cntr_low";
    case por_status::cntr_high:
      return "cntr_high";
    case por_status::cntr_blocked:
      return "cntr_blocked";
    case por_status::ciphering_error:
      return "ciphering_error";
    case por_status::unidentified_security_error:
      return "unidentified_security_error";
    case por_status::insufficient_memory:
      return "insufficient_memory";
    case por_status::more_time:
      return "more_time";
    case por_status::tar_unknown:
      return "tar_unknown";
    case por_status::insufficient_security_level:
      return "insufficient_security_level";
    case por_status::response_by_sms_submit:
      return "response_by_sms_submit";
    case por_status::response_by_ussd:
      return "response_by_ussd";
  }
  const auto v = static_cast<std::uint8_t>(s);
  return (v >= 0xC0 && v <= 0xFE) ? "proprietary" : "reserved";
}

const char* describe(por_status s) noexcept {
  switch (s) {
    case por_status::ok:
      return "PoR OK";
    case por_status::rc_cc_ds_failed:
      return "RC/CC/DS failed";
    case por_status::cntr_low:
      return "CNTR low";
    case por_status::cntr_high:
      return "CNTR high";
    case por_status::cntr_blocked:
      return "CNTR blocked";
    case por_status::ciphering_error:
      return "ciphering error";
    case por_status::unidentified_security_error:
      return "unidentified security error";
    case por_status::insufficient_memory:
      return "insufficient memory";
    case por_status::more_time:
      return "more time";
    case por_status::tar_unknown:
      return "TAR unknown";
    case por_status::insufficient_security_level:
      return "insufficient security level";
    case por_status::response_by_sms_submit:
      return "response by SMS-SUBMIT";
    case por_status::response_by_ussd:
      return "response by USSD";
  }
  const auto v = static_cast<std::uint8_t>(s);
  return (v >= 0xC0 && v <= 0xFE) ? "proprietary" : "reserved";
}

const char* describe_tar(std::uint32_t t) noexcept {
  if (t == tar::ram_isd) return "RAM ISD";
  if (t == tar::rfm_uicc) return "RFM UICC";
  if (t == tar::rfm_adf_first) return "RFM ADF";
  if ((t >= 0xB00002 && t <= 0xB0000F) || (t >= 0xB00120 && t <= 0xB0012F)) return "RFM UICC";
  if ((t >= 0xB00010 && t <= 0xB0001F) || (t >= 0xB00130 && t <= 0xB0013F)) return "RFM SIM (GSM)";
  if ((t >= 0xB00020 && t <= 0xB0011F) || (t >= 0xB00140 && t <= 0xB001FF)) return "RFM ADF";
  if (t >= 0xB20000 && t <= 0xB200FF) return "USAT interpreter";
  if (t == tar::isd) return "RAM ISD";
  if (t >= 0xBFFF00 && t <= 0xBFFFFF) return "proprietary";
  return "unknown";
}

result<command_packet_view> parse_command_packet(byte_view packet) {
  byte_reader r(packet);
  command_packet_view v;
  if (!r.u16(v.cpl) || !r.u8(v.chl) || !r.u16(v.spi) || !r.u8(v.kic) || !r.u8(v.kid) ||
      !r.u24(v.tar))
    return make_error(errc::truncated, "command packet: " + num(packet.size()) +
                                           " octets, the header needs " + num(command_clear_size));
  if (v.cpl != packet.size() - 2)
    return make_error(errc::bad_length, "command packet: CPL " + num(v.cpl) + " but " +
                                            num(packet.size() - 2) + " octets follow it");
  if (v.chl < command_header_min)
    return make_error(errc::bad_length, "command packet: CHL " + num(v.chl) + " below 13");
  if (std::size_t{1} + v.chl > v.cpl)
    return make_error(errc::bad_length,
                      "command packet: CHL " + num(v.chl) + " does not fit CPL " + num(v.cpl));
  v.clear = packet.first(command_clear_size);
  v.secured = r.rest();
  return v;
}

result<command_inner> parse_command_inner(byte_view plain, std::size_t integrity_length) {
  byte_reader r(plain);
  command_inner in;
  if (!r.uint_be(5, in.counter) || !r.u8(in.pcntr) || !r.take(integrity_length, in.integrity))
    return make_error(errc::truncated, "command packet: " + num(plain.size()) +
                                           " octets after TAR, CNTR PCNTR and RC/CC/DS need " +
                                           num(6 + integrity_length));
  in.data = r.rest();
  if (in.pcntr > in.data.size())
    return make_error(errc::bad_length, "command packet: PCNTR " + num(in.pcntr) + " exceeds the " +
                                            num(in.data.size()) + " octets of secured data");
  return in;
}

result<bytes> encode_command_packet(const command_fields& f) {
  if (f.counter > max_counter)
    return make_error(errc::bad_argument, "command packet: counter exceeds 40 bits");
  if (f.tar > 0xFFFFFF)
    return make_error(errc::bad_argument,
                      "command packet: TAR " + to_hex(f.tar, 6) + " exceeds 24 bits");
  if (f.pcntr > f.data.size())
    return make_error(errc::bad_argument, "command packet: PCNTR " + num(f.pcntr) +
                                              " exceeds the data length " + num(f.data.size()));
  const std::size_t chl = command_header_min + f.integrity.size();
  const std::size_t cpl = 1 + chl + f.data.size();
  if (chl > 0xFF)
    return make_error(errc::too_long, "command packet: CHL " + num(chl) + " exceeds 255");
  if (cpl > 0xFFFF)
    return make_error(errc::too_long, "command packet: CPL " + num(cpl) + " exceeds 65535");
  byte_writer w;
  w.u16(static_cast<std::uint16_t>(cpl));
  w.u8(static_cast<std::uint8_t>(chl));
  w.u16(f.spi);
  w.u8(f.kic);
  w.u8(f.kid);
  w.u24(f.tar);
  w.uint_be(5, f.counter);
  w.u8(f.pcntr);
  w.append(f.integrity);
  w.append(f.data);
  return w.take();
}

result<command_fields> decode_command_packet(byte_view packet) {
  auto v = parse_command_packet(packet);
  if (!v) return std::move(v).error();
  auto in = parse_command_inner(v->secured, v->integrity_length());
  if (!in) return std::move(in).error();
  command_fields f;
  f.spi = v->spi;
  f.kic = v->kic;
  f.kid = v->kid;
  f.tar = v->tar;
  f.counter = in->counter;
  f.pcntr = in->pcntr;
  f.integrity.assign(in->integrity.begin(), in->integrity.end());
  f.data.assign(in->data.begin(), in->data.end());
  return f;
}

result<response_packet_view> parse_response_packet(byte_view packet) {
  byte_reader r(packet);
  response_packet_view v;
  if (!r.u16(v.rpl) || !r.u8(v.rhl) || !r.u24(v.tar))
    return make_error(errc::truncated, "response packet: " + num(packet.size()) +
                                           " octets, the header needs " + num(response_clear_size));
  if (v.rpl != packet.size() - 2)
    return make_error(errc::bad_length, "response packet: RPL " + num(v.rpl) + " but " +
                                            num(packet.size() - 2) + " octets follow it");
  if (v.rhl < response_header_min)
    return make_error(errc::bad_length, "response packet: RHL " + num(v.rhl) + " below 10");
  if (std::size_t{1} + v.rhl > v.rpl)
    return make_error(errc::bad_length,
                      "response packet: RHL " + num(v.rhl) + " does not fit RPL " + num(v.rpl));
  v.clear = packet.first(response_clear_size);
  v.secured = r.rest();
  return v;
}

result<response_inner> parse_response_inner(byte_view plain, std::size_t integrity_length) {
  byte_reader r(plain);
  response_inner in;
  if (!r.uint_be(5, in.counter) || !r.u8(in.pcntr) || !r.u8(in.status) ||
      !r.take(integrity_length, in.integrity))
    return make_error(errc::truncated, "response packet: " + num(plain.size()) +
                                           " octets after TAR, CNTR PCNTR Status and RC/CC/DS "
                                           "need " +
                                           num(7 + integrity_length));
  in.data = r.rest();
  if (in.pcntr > in.data.size())
    return make_error(errc::bad_length, "response packet: PCNTR " + num(in.pcntr) +
                                            " exceeds the " + num(in.data.size()) +
                                            " octets of data");
  return in;
}

result<bytes> encode_response_packet(const response_fields& f) {
  if (f.counter > max_counter)
    return make_error(errc::bad_argument, "response packet: counter exceeds 40 bits");
  if (f.tar > 0xFFFFFF)
    return make_error(errc::bad_argument,
                      "response packet: TAR " + to_hex(f.tar, 6) + " exceeds 24 bits");
  if (f.pcntr > f.data.size())
    return make_error(errc::bad_argument, "response packet: PCNTR " + num(f.pcntr) +
                                              " exceeds the data length " + num(f.data.size()));
  const std::size_t rhl = response_header_min + f.integrity.size();
  const std::size_t rpl = 1 + rhl + f.data.size();
  if (rhl > 0xFF)
    return make_error(errc::too_long, "response packet: RHL " + num(rhl) + " exceeds 255");
  if (rpl > 0xFFFF)
    return make_error(errc::too_long, "response packet: RPL " + num(rpl) + " exceeds 65535");
  byte_writer w;
  w.u16(static_cast<std::uint16_t>(rpl));
  w.u8(static_cast<std::uint8_t>(rhl));
  w.u24(f.tar);
  w.uint_be(5, f.counter);
  w.u8(f.pcntr);
  w.u8(f.status);
  w.append(f.integrity);
  w.append(f.data);
  return w.take();
}

result<response_fields> decode_response_packet(byte_view packet) {
  auto v = parse_response_packet(packet);
  if (!v) return std::move(v).error();
  auto in = parse_response_inner(v->secured, v->integrity_length());
  if (!in) return std::move(in).error();
  response_fields f;
  f.tar = v->tar;
  f.counter = in->counter;
  f.pcntr = in->pcntr;
  f.status = in->status;
  f.integrity.assign(in->integrity.begin(), in->integrity.end());
  f.data.assign(in->data.begin(), in->data.end());
  return f;
}

}  // namespace otaflow::codec
