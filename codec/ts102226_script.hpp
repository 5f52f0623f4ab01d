#pragma once
// ETSI TS 102 226 remote APDU scripts: the secured data of an RFM/RAM command packet and of
// its PoR, in the compact (§5.1) and expanded (§5.2) formats. See
// docs/standards/ts102226-remote-apdu.md.
//
// Compact command (§5.1.1): C-APDUs concatenated without TLVs. Each command is written as a
// T=0 command TPDU (CLA INS P1 P2 P3 [data]; TS 102 221 §7.3.1.1), so a decoder must know from
// the instruction whether P3 is Lc (data follows) or Le (nothing follows):
//   - P3 = Le (ISO case 2): READ BINARY B0, READ RECORD B2, GET RESPONSE C0, STATUS F2 with
//     P1 < 10 (TS 102 221 STATUS: P1 00/01/02), GET CHALLENGE 84, FETCH 12, GET DATA CA,
//     MANAGE CHANNEL 70 with P1 = 00 (open);
//   - P3 = Lc otherwise (cases 1, 3, 4): SELECT, UPDATE BINARY/RECORD, SEARCH RECORD,
//     INCREASE, VERIFY, AUTHENTICATE, GP GET STATUS (F2 with P1 80/40/20/10), INSTALL, LOAD,
//     DELETE, PUT KEY, SET STATUS, STORE DATA, ...; case 1 is written with P3 = 00.
// A case 4 command has no Le in T=0: the card answers 61XX and the response is fetched by a
// following GET RESPONSE (which is also how the pySim test card answers `01 612f` to a SELECT).
// This rule is the T=0 mapping; the TS 102 226 §5.1.1 text itself could not be read here, so a
// caller can supply its own p3_resolver.
//
// Expanded command (§5.2.1): Command Scripting template AA L (definite) or AE 80 ... 00 00
// (indefinite), holding definite TLVs 22 C-APDU, 81 Immediate Action, 82 Error Action,
// 83 Script Chaining. Expanded response (§5.2.2): AB L with 80 (number of executed command
// TLVs) first, then 23 R-APDU per executed C-APDU, optional 90 bad format, 81 immediate-action
// response, 83 script-chaining response; or AF 80 ... 00 00 without the 80 TLV.

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "codec/iso7816_apdu.hpp"

namespace otaflow::codec {

// ---------------------------------------------------------------------------------------------
// Compact format (§5.1)
// ---------------------------------------------------------------------------------------------

/// What P3 of a T=0 command TPDU carries.
enum class p3_kind {
  lc,  ///< P3 = Lc, P3 octets of data follow (00 = no data, ISO case 1)
  le,  ///< P3 = Le, no data follows (00 = 256)
};

/// Decides the meaning of P3 from CLA, INS and P1.
using p3_resolver = p3_kind (*)(std::uint8_t cla, std::uint8_t ins, std::uint8_t p1);

/// The rule listed at the top of this header (RFM file system and GlobalPlatform RAM commands).
[[nodiscard]] p3_kind default_p3_kind(std::uint8_t cla, std::uint8_t ins, std::uint8_t p1) noexcept;

/// Options of the compact-format codec.
struct compact_options {
  p3_resolver resolver = &default_p3_kind;
  /// A C-APDU with data and Le (ISO case 4) has no T=0 form: when true its Le is dropped (the
  /// card will answer 61XX); when false encoding it is an error.
  bool drop_case4_le = false;
};

/// Appends one C-APDU as a T=0 command TPDU.
[[nodiscard]] status encode_compact_command(const command_apdu& apdu, byte_writer& out,
                                            const compact_options& opts = {});
/// Builds a compact command script: the C-APDUs concatenated.
[[nodiscard]] result<bytes> compact_script(const std::vector<command_apdu>& commands,
                                           const compact_options& opts = {});
/// Splits a compact command script into its C-APDUs (an empty script is an error).
[[nodiscard]] result<std::vector<command_apdu>> decode_compact_script(
    byte_view in, const compact_options& opts = {});

/// Compact response (§5.1.2): commands executed, SW of the last one, its response data.
struct compact_response {
  std::uint8_t executed = 0;
  std::uint16_t last_sw = 0;
  bytes last_data;
  friend bool operator==(const compact_response&, const compact_response&) = default;
};

/// Appends a compact response.
void encode_compact_response(const compact_response& resp, byte_writer& out);
/// Encodes a compact response into a new buffer.
[[nodiscard]] bytes encode_compact_response(const compact_response& resp);
/// Decodes a compact response (at least 3 octets).
[[nodiscard]] result<compact_response> decode_compact_response(byte_view in);

// ---------------------------------------------------------------------------------------------
// Expanded format (§5.2)
// ---------------------------------------------------------------------------------------------

/// Tags of the expanded format (TS 102 226 §5.2, TS 101 220 Tables 7.18 and 7.19).
namespace tag226 {
inline constexpr std::uint8_t command_script = 0xAA;              ///< definite length
inline constexpr std::uint8_t command_script_indefinite = 0xAE;   ///< 80 ... 00 00
inline constexpr std::uint8_t response_script = 0xAB;             ///< definite length
inline constexpr std::uint8_t response_script_indefinite = 0xAF;  ///< 80 ... 00 00
inline constexpr std::uint8_t c_apdu = 0x22;
inline constexpr std::uint8_t immediate_action = 0x81;
inline constexpr std::uint8_t error_action = 0x82;
inline constexpr std::uint8_t script_chaining = 0x83;
inline constexpr std::uint8_t executed_count = 0x80;
inline constexpr std::uint8_t r_apdu = 0x23;
inline constexpr std::uint8_t bad_format = 0x90;
inline constexpr std::uint8_t immediate_action_response = 0x81;
inline constexpr std::uint8_t script_chaining_response = 0x83;
}  // namespace tag226

/// Definite (AA/AB L) or indefinite (AE/AF 80 ... 00 00) template.
enum class template_length { definite, indefinite };

/// Value of the Bad format TLV (tag 90) of an expanded response.
enum class bad_format : std::uint8_t {
  unknown_tag = 0x01,
  wrong_length = 0x02,
  length_missing = 0x03,
};

/// Immediate Action TLV (81); the value is kept as sent.
struct immediate_action {
  bytes value;
  friend bool operator==(const immediate_action&, const immediate_action&) = default;
};
/// Error Action TLV (82); the value is kept as sent (may be empty).
struct error_action {
  bytes value;
  friend bool operator==(const error_action&, const error_action&) = default;
};
/// Script Chaining TLV (83); the value is kept as sent.
struct script_chaining {
  bytes value;
  friend bool operator==(const script_chaining&, const script_chaining&) = default;
};

/// One TLV of a Command Scripting template, in order.
using command_item = std::variant<command_apdu, immediate_action, error_action, script_chaining>;

/// A Command Scripting template.
struct expanded_command {
  template_length form = template_length::definite;
  std::vector<command_item> items;

  /// The C-APDUs in order, without the other TLVs.
  [[nodiscard]] std::vector<command_apdu> commands() const;
  friend bool operator==(const expanded_command&, const expanded_command&) = default;
};

/// Builds an expanded command script holding only C-APDU TLVs.
[[nodiscard]] result<bytes> expanded_script(const std::vector<command_apdu>& commands,
                                            template_length form = template_length::definite);
/// Appends a Command Scripting template.
[[nodiscard]] status encode_expanded_command(const expanded_command& script, byte_writer& out);
/// Encodes a Command Scripting template into a new buffer.
[[nodiscard]] result<bytes> encode_expanded_command(const expanded_command& script);

/// The TLVs of a Command Scripting template up to the first malformed one, as a card that
/// reports Bad format (90) sees them.
struct expanded_command_scan {
  expanded_command script;          ///< items before the first malformed TLV
  std::optional<bad_format> error;  ///< why scanning stopped, if it did
};

/// Scans a Command Scripting template; a malformed template header is an error, a malformed
/// inner TLV ends the scan with `error` set. Trailing octets after the template are an error.
[[nodiscard]] result<expanded_command_scan> scan_expanded_command(byte_view in);
/// Decodes a Command Scripting template; any malformed TLV is an error (unknown tag:
/// errc::bad_value, wrong length: errc::bad_length, length missing or input cut short:
/// errc::truncated).
[[nodiscard]] result<expanded_command> decode_expanded_command(byte_view in);

/// Bad format TLV (90) of a response.
struct bad_format_response {
  bad_format code = bad_format::unknown_tag;
  friend bool operator==(const bad_format_response&, const bad_format_response&) = default;
};
/// Immediate Action Response TLV (81); the value is kept as sent.
struct immediate_action_response {
  bytes value;
  friend bool operator==(const immediate_action_response&,
                         const immediate_action_response&) = default;
};
/// Script Chaining Response TLV (83); the value is kept as sent.
struct script_chaining_response {
  bytes value;
  friend bool operator==(const script_chaining_response&,
                         const script_chaining_response&) = default;
};

/// One TLV of a Response Scripting template after the 80 TLV, in order.
using response_item = std::variant<response_apdu, bad_format_response, immediate_action_response,
                                   script_chaining_response>;

/// A Response Scripting template.
struct expanded_response {
  template_length form = template_length::definite;
  /// Number of executed command TLVs (80); required in the definite form, absent otherwise.
  std::optional<std::uint8_t> executed;
  std::vector<response_item> items;

  /// The R-APDUs in order.
  [[nodiscard]] std::vector<response_apdu> responses() const;
  /// The last R-APDU, if any.
  [[nodiscard]] std::optional<response_apdu> last_response() const;
  /// The Bad format code, if the card reported one.
  [[nodiscard]] std::optional<bad_format> bad_format_code() const;
  /// Executed command TLVs: the 80 TLV, or the number of R-APDUs in the indefinite form.
  [[nodiscard]] std::size_t executed_count() const;
  /// Whether the last R-APDU has SW 62F1 (data truncated, processing stopped; §5.2.1.1).
  [[nodiscard]] bool truncated() const;
  friend bool operator==(const expanded_response&, const expanded_response&) = default;
};

/// Appends a Response Scripting template.
[[nodiscard]] status encode_expanded_response(const expanded_response& resp, byte_writer& out);
/// Encodes a Response Scripting template into a new buffer.
[[nodiscard]] result<bytes> encode_expanded_response(const expanded_response& resp);
/// Decodes a Response Scripting template (AB or AF); trailing octets are an error.
[[nodiscard]] result<expanded_response> decode_expanded_response(byte_view in);

}  // namespace otaflow::codec
