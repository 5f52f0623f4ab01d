// ETSI TS 102 225 §5.1.1 SPI codec (with TS 31.115 §4.2 octet 2 b6).

#include "codec/ts102225_spi.hpp"

#include <string>

namespace otaflow::codec {
namespace {

// Reserved bits: octet 1 b8-b6, octet 2 b8-b7 (§5.1.1).
constexpr std::uint16_t reserved_mask = 0xE000 | 0x00C0;

}  // namespace

result<spi> decode_spi(std::uint16_t value) {
  if (value & reserved_mask)
    return make_error(errc::bad_value, "SPI " + to_hex(value, 4) + ": reserved bits " +
                                           to_hex(value & reserved_mask, 4) + " are set");
  const auto o1 = static_cast<std::uint8_t>(value >> 8);
  const auto o2 = static_cast<std::uint8_t>(value);
  if ((o2 & 0x3) == 0x3)
    return make_error(errc::bad_value, "SPI " + to_hex(value, 4) + ": PoR mode 11 is reserved");
  spi s;
  s.counter = static_cast<counter_mode>((o1 >> 3) & 0x3);
  s.ciphered = (o1 & 0x04) != 0;
  s.command_integrity = static_cast<integrity>(o1 & 0x3);
  s.por_via_submit = (o2 & 0x20) != 0;
  s.por_ciphered = (o2 & 0x10) != 0;
  s.por_integrity = static_cast<integrity>((o2 >> 2) & 0x3);
  s.por = static_cast<por_mode>(o2 & 0x3);
  return s;
}

result<spi> decode_spi(byte_view two_octets) {
  if (two_octets.size() != 2)
    return make_error(errc::bad_length,
                      "SPI: " + std::to_string(two_octets.size()) + " octets, expected 2");
  return decode_spi(static_cast<std::uint16_t>((two_octets[0] << 8) | two_octets[1]));
}

std::uint16_t spi_value(const spi& s) noexcept {
  const unsigned o1 = (static_cast<unsigned>(s.counter) & 0x3) << 3 | (s.ciphered ? 0x04u : 0u) |
                      (static_cast<unsigned>(s.command_integrity) & 0x3);
  const unsigned o2 = (s.por_via_submit ? 0x20u : 0u) | (s.por_ciphered ? 0x10u : 0u) |
                      (static_cast<unsigned>(s.por_integrity) & 0x3) << 2 |
                      (static_cast<unsigned>(s.por) & 0x3);
  return static_cast<std::uint16_t>(o1 << 8 | o2);
}

void encode(const spi& s, byte_writer& out) {
  out.u16(spi_value(s));
}

const char* name(counter_mode m) noexcept {
  switch (m) {
    case counter_mode::none:
      return "none";
    case counter_mode::no_check:
      return "no_check";
    case counter_mode::higher:
      return "higher";
    case counter_mode::one_higher:
      return "one_higher";
  }
  return "?";
}

const char* name(integrity i) noexcept {
  switch (i) {
    case integrity::none:
      return "none";
    case integrity::rc:
      return "rc";
    case integrity::cc:
      return "cc";
    case integrity::ds:
      return "ds";
  }
  return "?";
}

const char* name(por_mode m) noexcept {
  switch (m) {
    case por_mode::none:
      return "none";
    case por_mode::always:
      return "always";
    case por_mode::on_error:
      return "on_error";
  }
  return "?";
}

}  // namespace otaflow::codec
