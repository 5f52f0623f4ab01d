// TS 23.040 §9.2.3.24 User Data Header codec.

#include "codec/ts23040_udh.hpp"

#include <string>

namespace otaflow::codec {

const information_element* user_data_header::find(std::uint8_t id) const noexcept {
  const information_element* found = nullptr;
  for (const auto& ie : elements)
    if (ie.iei == id) found = &ie;
  return found;
}

result<user_data_header> decode_udh_body(byte_view body) {
  user_data_header udh;
  byte_reader r(body);
  while (!r.empty()) {
    std::uint8_t id = 0;
    std::uint8_t len = 0;
    if (!r.u8(id) || !r.u8(len))
      return make_error(errc::truncated, "UDH: IE header at offset " +
                                             std::to_string(r.position()) + " is cut short");
    byte_view data;
    if (!r.take(len, data))
      return make_error(errc::truncated, "UDH: IE " + to_hex(id, 2) + " has IEDL " +
                                             std::to_string(len) + " but only " +
                                             std::to_string(r.remaining()) + " octets remain");
    udh.elements.push_back({id, bytes(data.begin(), data.end())});
  }
  return udh;
}

std::size_t encoded_size(const user_data_header& udh) noexcept {
  std::size_t n = 1;
  for (const auto& ie : udh.elements) n += 2 + ie.data.size();
  return n;
}

status encode(const user_data_header& udh, byte_writer& out) {
  const std::size_t udhl = encoded_size(udh) - 1;
  if (udhl > 0xFF)
    return make_error(errc::too_long, "UDH: UDHL " + std::to_string(udhl) + " exceeds 255");
  for (const auto& ie : udh.elements)
    if (ie.data.size() > 0xFF)
      return make_error(errc::too_long, "UDH: IE " + to_hex(ie.iei, 2) + " has " +
                                            std::to_string(ie.data.size()) + " octets (max 255)");
  out.u8(static_cast<std::uint8_t>(udhl));
  for (const auto& ie : udh.elements) {
    out.u8(ie.iei);
    out.u8(static_cast<std::uint8_t>(ie.data.size()));
    out.append(ie.data);
  }
  return {};
}

result<split_user_data> split_ud(byte_view tp_ud) {
  byte_reader r(tp_ud);
  std::uint8_t udhl = 0;
  if (!r.u8(udhl)) return make_error(errc::truncated, "TP-UD: empty, no UDHL");
  byte_view body;
  if (!r.take(udhl, body))
    return make_error(errc::truncated, "TP-UD: UDHL " + std::to_string(udhl) + " but only " +
                                           std::to_string(r.remaining()) + " octets follow");
  auto udh = decode_udh_body(body);
  if (!udh) return std::move(udh).error();
  return split_user_data{std::move(*udh), r.rest()};
}

result<information_element> make_concat(const concat_info& info) {
  if (info.total == 0 || info.sequence == 0 || info.sequence > info.total)
    return make_error(errc::bad_argument, "concatenation: sequence " +
                                              std::to_string(info.sequence) + " of " +
                                              std::to_string(info.total) + " is out of range");
  if (info.ref16) {
    return information_element{
        iei::concat_16bit,
        {static_cast<std::uint8_t>(info.reference >> 8), static_cast<std::uint8_t>(info.reference),
         info.total, info.sequence}};
  }
  if (info.reference > 0xFF)
    return make_error(errc::bad_argument, "concatenation: reference " +
                                              std::to_string(info.reference) +
                                              " needs a 16-bit reference (IEI 08)");
  return information_element{
      iei::concat_8bit, {static_cast<std::uint8_t>(info.reference), info.total, info.sequence}};
}

result<concat_info> decode_concat(const information_element& ie) {
  concat_info info;
  if (ie.iei == iei::concat_8bit) {
    if (ie.data.size() != 3)
      return make_error(errc::bad_length, "concatenation IE 00: IEDL " +
                                              std::to_string(ie.data.size()) + ", expected 3");
    info.reference = ie.data[0];
    info.total = ie.data[1];
    info.sequence = ie.data[2];
  } else if (ie.iei == iei::concat_16bit) {
    if (ie.data.size() != 4)
      return make_error(errc::bad_length, "concatenation IE 08: IEDL " +
                                              std::to_string(ie.data.size()) + ", expected 4");
    info.reference = static_cast<std::uint16_t>((ie.data[0] << 8) | ie.data[1]);
    info.total = ie.data[2];
    info.sequence = ie.data[3];
    info.ref16 = true;
  } else {
    return make_error(errc::bad_value, "IE " + to_hex(ie.iei, 2) + " is not a concatenation IE");
  }
  if (info.total == 0 || info.sequence == 0 || info.sequence > info.total)
    return make_error(errc::bad_value, "concatenation IE " + to_hex(ie.iei, 2) + ": sequence " +
                                           std::to_string(info.sequence) + " of " +
                                           std::to_string(info.total) + " is out of range");
  return info;
}

std::optional<concat_info> find_concat(const user_data_header& udh) {
  for (std::uint8_t id : {iei::concat_16bit, iei::concat_8bit}) {
    if (const auto* ie = udh.find(id)) {
      auto info = decode_concat(*ie);
      if (info) return *info;
    }
  }
  return std::nullopt;
}

information_element command_packet_identifier() {
  return {iei::command_packet, {}};
}

information_element response_packet_identifier() {
  return {iei::response_packet, {}};
}

}  // namespace otaflow::codec
