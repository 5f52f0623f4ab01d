#pragma once
// ISO/IEC 7816-4 §5.1 command and response APDUs (short and extended length fields), and the
// class and instruction bytes otaflow sends in remote scripts (ETSI TS 102 221 §10.1,
// 3GPP TS 51.011 §9.2, GlobalPlatform Card Specification §11).

#include <cstdint>
#include <optional>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace otaflow::codec {

/// Class bytes.
namespace cla {
inline constexpr std::uint8_t iso = 0x00;     ///< ISO/IEC 7816-4 interindustry, basic channel
inline constexpr std::uint8_t uicc = 0x80;    ///< TS 102 221 proprietary (STATUS, ...)
inline constexpr std::uint8_t gsm = 0xA0;     ///< 3GPP TS 51.011 SIM
inline constexpr std::uint8_t gp = 0x80;      ///< GlobalPlatform, no secure messaging
inline constexpr std::uint8_t gp_mac = 0x84;  ///< GlobalPlatform with secure messaging
}  // namespace cla

/// Instruction bytes.
namespace ins {
// ISO 7816-4 / TS 102 221 / TS 51.011 file system commands
inline constexpr std::uint8_t select = 0xA4;
inline constexpr std::uint8_t read_binary = 0xB0;
inline constexpr std::uint8_t update_binary = 0xD6;
inline constexpr std::uint8_t read_record = 0xB2;
inline constexpr std::uint8_t update_record = 0xDC;
inline constexpr std::uint8_t search_record = 0xA2;  ///< SEEK in TS 51.011
inline constexpr std::uint8_t increase = 0x32;
inline constexpr std::uint8_t status = 0xF2;  ///< with CLA 80 (UICC) or A0 (SIM)
inline constexpr std::uint8_t get_response = 0xC0;
inline constexpr std::uint8_t verify = 0x20;
inline constexpr std::uint8_t change_pin = 0x24;
inline constexpr std::uint8_t disable_pin = 0x26;
inline constexpr std::uint8_t enable_pin = 0x28;
inline constexpr std::uint8_t unblock_pin = 0x2C;
inline constexpr std::uint8_t deactivate_file = 0x04;
inline constexpr std::uint8_t activate_file = 0x44;
inline constexpr std::uint8_t authenticate = 0x88;  ///< RUN GSM ALGORITHM in TS 51.011
/// GET IDENTITY (TS 102 221 §11.1.23; SUCI context in TS 31.102 §7.5).
inline constexpr std::uint8_t get_identity = 0x78;
inline constexpr std::uint8_t get_challenge = 0x84;
inline constexpr std::uint8_t manage_channel = 0x70;
inline constexpr std::uint8_t get_data = 0xCA;
inline constexpr std::uint8_t terminal_profile = 0x10;
inline constexpr std::uint8_t fetch = 0x12;
inline constexpr std::uint8_t terminal_response = 0x14;
inline constexpr std::uint8_t envelope = 0xC2;
// TS 102 222 administrative commands
inline constexpr std::uint8_t create_file = 0xE0;
inline constexpr std::uint8_t delete_file = 0xE4;
// GlobalPlatform card content management (RAM), CLA 80/84
inline constexpr std::uint8_t install = 0xE6;
inline constexpr std::uint8_t delete_ = 0xE4;  ///< GP DELETE (same INS as TS 102 222 DELETE FILE)
inline constexpr std::uint8_t load = 0xE8;
inline constexpr std::uint8_t put_key = 0xD8;
inline constexpr std::uint8_t get_status = 0xF2;  ///< GP GET STATUS (same INS as STATUS)
inline constexpr std::uint8_t set_status = 0xF0;
inline constexpr std::uint8_t store_data = 0xE2;
}  // namespace ins

/// Largest Nc / Ne of a short APDU and of an extended APDU (ISO 7816-4 §5.1).
inline constexpr std::uint32_t short_max_nc = 255;
inline constexpr std::uint32_t short_max_ne = 256;
inline constexpr std::uint32_t extended_max_nc = 65535;
inline constexpr std::uint32_t extended_max_ne = 65536;

/// A command APDU. `data` is the command data field (Nc = data.size()); `le` is Ne, the
/// number of response octets expected (1..65536; absent = no Le field). Le octet 00 decodes
/// to 256 (short) and 0000 to 65536 (extended), so Ne is held in 32 bits.
struct command_apdu {
  std::uint8_t cla = 0;
  std::uint8_t ins = 0;
  std::uint8_t p1 = 0;
  std::uint8_t p2 = 0;
  bytes data;
  std::optional<std::uint32_t> le;

  /// ISO 7816-3 §12.1.3 case: 1 (header), 2 (Le), 3 (data), 4 (data and Le).
  [[nodiscard]] int iso_case() const noexcept { return 1 + (le ? 1 : 0) + (data.empty() ? 0 : 2); }
  friend bool operator==(const command_apdu&, const command_apdu&) = default;
};

/// How encode_command_apdu chooses the length-field form.
enum class apdu_length_form {
  automatic,  ///< short when Nc <= 255 and Ne <= 256, else extended
  extended,   ///< always extended (for cases 2-4)
};

/// Appends a command APDU; fails for Nc > 65535 or Ne outside 1..65536.
[[nodiscard]] status encode_command_apdu(const command_apdu& apdu, byte_writer& out,
                                         apdu_length_form form = apdu_length_form::automatic);
/// Encodes a command APDU into a new buffer.
[[nodiscard]] result<bytes> encode_command_apdu(
    const command_apdu& apdu, apdu_length_form form = apdu_length_form::automatic);
/// Decodes a complete command APDU (all four cases, short and extended, ISO 7816-3 §12.1.3).
[[nodiscard]] result<command_apdu> decode_command_apdu(byte_view in);

/// A response APDU: data then SW1 SW2.
struct response_apdu {
  bytes data;
  std::uint16_t sw = 0;

  [[nodiscard]] std::uint8_t sw1() const noexcept { return static_cast<std::uint8_t>(sw >> 8); }
  [[nodiscard]] std::uint8_t sw2() const noexcept { return static_cast<std::uint8_t>(sw); }
  friend bool operator==(const response_apdu&, const response_apdu&) = default;
};

/// Appends data || SW1 SW2.
void encode_response_apdu(const response_apdu& rapdu, byte_writer& out);
/// Encodes a response APDU into a new buffer.
[[nodiscard]] bytes encode_response_apdu(const response_apdu& rapdu);
/// Decodes data || SW1 SW2; fewer than 2 octets is an error.
[[nodiscard]] result<response_apdu> decode_response_apdu(byte_view in);

}  // namespace otaflow::codec
