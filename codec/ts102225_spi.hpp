#pragma once
// ETSI TS 102 225 §5.1.1 Security Parameter Indicator (2 octets) with the TS 31.115 §4.2
// use of SPI octet 2 b6 for SMS, and the KIc / KID octets (§5.1.2, §5.1.3) whose high
// nibble is the key version number. Only the framing meaning lives here; which cipher or
// checksum a KIc/KID selects is secure/scp80_algorithm.hpp's business.

#include <cstdint>
#include <string>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace otaflow::codec {

/// SPI octet 1 b5-b4: counter handling (§5.1.1).
enum class counter_mode : std::uint8_t {
  none = 0,        ///< no counter available
  no_check = 1,    ///< counter available, no replay or sequence checking
  higher = 2,      ///< process only if the counter is higher than the receiver's
  one_higher = 3,  ///< process only if the counter is exactly one higher
};

/// SPI octet 1 b2-b1 and octet 2 b4-b3: integrity applied to the command / the PoR.
enum class integrity : std::uint8_t { none = 0, rc = 1, cc = 2, ds = 3 };

/// SPI octet 2 b2-b1: whether a Proof of Receipt is wanted (11 is reserved).
enum class por_mode : std::uint8_t { none = 0, always = 1, on_error = 2 };

/// The two SPI octets as named fields.
struct spi {
  counter_mode counter = counter_mode::none;      ///< octet 1 b5-b4
  bool ciphered = false;                          ///< octet 1 b3
  integrity command_integrity = integrity::none;  ///< octet 1 b2-b1
  por_mode por = por_mode::none;                  ///< octet 2 b2-b1
  integrity por_integrity = integrity::none;      ///< octet 2 b4-b3
  bool por_ciphered = false;                      ///< octet 2 b5
  bool por_via_submit = false;  ///< octet 2 b6 (TS 31.115): PoR by SMS-SUBMIT, else in the
                                ///< SMS-DELIVER-REPORT

  friend bool operator==(const spi&, const spi&) = default;
};

/// Decodes the SPI from its 16-bit value (octet 1 in the high byte). Reserved bits (octet 1
/// b8-b6, octet 2 b8-b7) set, or PoR mode 11, are errors naming the value.
[[nodiscard]] result<spi> decode_spi(std::uint16_t value);
/// Decodes the SPI from its two octets.
[[nodiscard]] result<spi> decode_spi(byte_view two_octets);
/// The 16-bit value of the SPI (octet 1 in the high byte); reserved bits are zero.
[[nodiscard]] std::uint16_t spi_value(const spi& s) noexcept;
/// Appends the two SPI octets.
void encode(const spi& s, byte_writer& out);

/// Short printable names ("none", "no_check", "higher", "one_higher"; "rc", "cc", "ds";
/// "always", "on_error").
[[nodiscard]] const char* name(counter_mode m) noexcept;
[[nodiscard]] const char* name(integrity i) noexcept;
[[nodiscard]] const char* name(por_mode m) noexcept;

/// A KIc or KID octet (§5.1.2, §5.1.3): b8-b5 key version number, b4-b1 the algorithm
/// (b4-b3 mode, b2-b1 family: 00 implicit, 01 DES/CRC, 10 AES, 11 proprietary).
struct key_indicator {
  std::uint8_t version = 0;    ///< key version number (1..15 selects a keyset)
  std::uint8_t algorithm = 0;  ///< low nibble as sent

  /// b2-b1: 0 implicit, 1 DES (or CRC for an RC KID), 2 AES, 3 proprietary.
  [[nodiscard]] std::uint8_t family() const noexcept { return algorithm & 0x3; }
  /// b4-b3: the mode within the family.
  [[nodiscard]] std::uint8_t mode() const noexcept { return (algorithm >> 2) & 0x3; }
  /// The octet as sent.
  [[nodiscard]] std::uint8_t octet() const noexcept {
    return static_cast<std::uint8_t>((version << 4) | (algorithm & 0xF));
  }
  /// Splits an octet into key version and algorithm.
  [[nodiscard]] static key_indicator from_octet(std::uint8_t o) noexcept {
    return {static_cast<std::uint8_t>(o >> 4), static_cast<std::uint8_t>(o & 0xF)};
  }

  friend bool operator==(const key_indicator&, const key_indicator&) = default;
};

}  // namespace otaflow::codec
