#pragma once
// 3GPP TS 23.040 §9.2.3.24 User Data Header: UDHL, then IEI | IEDL | IED repeated.
// Only the 8-bit data form is handled here (OTA packets are 8-bit data, DCS 16/F6): for
// 7-bit data the TPDU layer adds the fill bits. Typed helpers cover the IEs OTA needs:
// concatenation with an 8-bit (IEI 00, §9.2.3.24.1) or 16-bit (IEI 08, §9.2.3.24.8)
// reference, and the TS 31.115 command / response packet identifiers (IEI 70 / 71, which
// GSM 03.48 §6.1 reserves together with 72..7F for SIM toolkit security headers).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace otaflow::codec {

/// Information element identifiers used by otaflow (TS 23.040 §9.2.3.24, TS 31.115 §4).
namespace iei {
inline constexpr std::uint8_t concat_8bit = 0x00;      ///< §9.2.3.24.1, IEDL 3
inline constexpr std::uint8_t concat_16bit = 0x08;     ///< §9.2.3.24.8, IEDL 4
inline constexpr std::uint8_t command_packet = 0x70;   ///< CPI, IEDL 0 (TS 31.115 §4.2)
inline constexpr std::uint8_t response_packet = 0x71;  ///< RPI, IEDL 0 (TS 31.115 §4.4)
}  // namespace iei

/// Largest TP-UD of one short message in octets (TS 23.040 §9.2.3.16, 8-bit data).
inline constexpr std::size_t max_tp_ud = 140;

/// One information element: its identifier and its data (IEDL = data.size()).
struct information_element {
  std::uint8_t iei = 0;
  bytes data;

  friend bool operator==(const information_element&, const information_element&) = default;
};

/// A User Data Header: the IEs in the order they appear.
struct user_data_header {
  std::vector<information_element> elements;

  /// The last IE with this identifier (TS 23.040 §9.2.3.24: a repeated IE's last
  /// occurrence is the one used), or nullptr.
  [[nodiscard]] const information_element* find(std::uint8_t id) const noexcept;
  /// Whether an IE with this identifier is present.
  [[nodiscard]] bool has(std::uint8_t id) const noexcept { return find(id) != nullptr; }

  friend bool operator==(const user_data_header&, const user_data_header&) = default;
};

/// Decodes the IE list of a UDH whose UDHL octet has already been consumed (body = the
/// UDHL octets that follow it). An IE whose IEDL runs past the end is an error.
[[nodiscard]] result<user_data_header> decode_udh_body(byte_view body);

/// Octets the UDH takes in the TP-UD, UDHL included.
[[nodiscard]] std::size_t encoded_size(const user_data_header& udh) noexcept;

/// Appends UDHL and the IEs. Errors when an IE has more than 255 octets or the whole
/// header more than 255 (UDHL is one octet).
[[nodiscard]] status encode(const user_data_header& udh, byte_writer& out);

/// A TP-UD split into its header and the short message that follows it.
struct split_user_data {
  user_data_header header;
  byte_view body;  ///< the octets after the UDH (views the input)
};

/// Splits a TP-UD whose TP-UDHI is set: UDHL, the IEs, then the message body.
[[nodiscard]] result<split_user_data> split_ud(byte_view tp_ud);

/// A concatenation IE (00 or 08): reference, total number of SMs, this SM's number (1-based).
struct concat_info {
  std::uint16_t reference = 0;
  std::uint8_t total = 0;
  std::uint8_t sequence = 0;
  bool ref16 = false;  ///< IEI 08 (16-bit reference) rather than IEI 00

  friend bool operator==(const concat_info&, const concat_info&) = default;
};

/// Builds IE 00 (ref16 false; the reference must fit 8 bits) or IE 08.
[[nodiscard]] result<information_element> make_concat(const concat_info& info);

/// Decodes IE 00 or 08 with its length checked. total 0, sequence 0 or sequence > total
/// are errors here; TS 23.040 says a receiver ignores such an IE, which find_concat does.
[[nodiscard]] result<concat_info> decode_concat(const information_element& ie);

/// The valid concatenation IE of a UDH (IE 08 wins over 00 when both appear), or nullopt
/// when there is none or it is to be ignored (TS 23.040 §9.2.3.24.1: total or sequence 0,
/// sequence > total, wrong IEDL).
[[nodiscard]] std::optional<concat_info> find_concat(const user_data_header& udh);

/// The command packet identifier IE `70 00`.
[[nodiscard]] information_element command_packet_identifier();
/// The response packet identifier IE `71 00`.
[[nodiscard]] information_element response_packet_identifier();

}  // namespace otaflow::codec
