#pragma once
// TLV codecs used on the card side of OTA:
//  - BER-TLV (ISO/IEC 7816-4 §5.2 / Annex D; the tag and length rules of
//    docs/standards/ts31102-files.md §6),
//    plus a helper for the indefinite-length templates of ETSI TS 102 226 (AE/AF 80 ... 00 00);
//  - SIMPLE-TLV (ISO/IEC 7816-4 §5.2.1);
//  - COMPACT-TLV (ISO/IEC 7816-4 §8.1.1.2, historical bytes);
//  - COMPREHENSION-TLV (ETSI TS 102 223 §7.1.1 and Annex C, CAT).
// Pure functions: decoders never read past their input; encoders append to a byte_writer.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace otaflow::codec {

// ---------------------------------------------------------------------------------------------
// BER-TLV
// ---------------------------------------------------------------------------------------------

/// Largest tag we accept, in octets (ISO 7816-4 uses at most 3).
inline constexpr std::size_t ber_max_tag_octets = 3;

/// A BER-TLV data object. `tag` holds the tag octets big-endian (0x9F01, 0xBF0C, 0x5F2D, 0x84).
struct ber_tlv {
  std::uint32_t tag = 0;
  bytes value;

  /// Whether bit 6 of the first tag octet is set (a constructed data object).
  [[nodiscard]] bool constructed() const noexcept;
  friend bool operator==(const ber_tlv&, const ber_tlv&) = default;
};

/// A BER-TLV data object whose value points into the decoded buffer (zero copy).
struct ber_tlv_view {
  std::uint32_t tag = 0;
  byte_view value;
  std::size_t encoded_size = 0;  ///< octets of tag + length + value in the input

  [[nodiscard]] bool constructed() const noexcept;
  /// Copies the value out.
  [[nodiscard]] ber_tlv to_owned() const { return {tag, bytes(value.begin(), value.end())}; }
};

/// Options for decoding a sequence of BER-TLV objects.
struct ber_options {
  /// ISO 7816-4 §5.2.2: '00' or 'FF' octets may occur before, between or after BER-TLV objects
  /// (e.g. in records erased to FF); when true they are skipped, when false they are an error.
  bool skip_padding = false;
};

/// Number of octets a tag value occupies (1..4; 0 for tag 0).
[[nodiscard]] std::size_t ber_tag_octets(std::uint32_t tag) noexcept;
/// Whether `tag` is a well-formed tag of at most 3 octets (the encoder's precondition).
[[nodiscard]] bool ber_tag_valid(std::uint32_t tag) noexcept;
/// Whether the first octet of `tag` has the constructed bit (b6) set.
[[nodiscard]] bool ber_tag_constructed(std::uint32_t tag) noexcept;

/// Reads a tag (1–3 octets); '00'/'FF' first octets and longer tags are errors.
[[nodiscard]] result<std::uint32_t> ber_read_tag(byte_reader& in);
/// Reads a definite length (00–7F, 81–84); 80 (indefinite) and 85–FF are errors.
[[nodiscard]] result<std::size_t> ber_read_length(byte_reader& in);
/// Reads one BER-TLV object, leaving `in` after it; the value must be present in full.
[[nodiscard]] result<ber_tlv_view> ber_read(byte_reader& in);

/// Decodes the first BER-TLV object of `in` (trailing bytes are allowed; see encoded_size).
[[nodiscard]] result<ber_tlv_view> ber_decode_view(byte_view in);
/// Decodes exactly one BER-TLV object; trailing bytes are an error.
[[nodiscard]] result<ber_tlv> ber_decode(byte_view in);
/// Decodes a sequence of BER-TLV objects filling `in` (zero copy).
[[nodiscard]] result<std::vector<ber_tlv_view>> ber_decode_all_views(byte_view in,
                                                                     ber_options opts = {});
/// Decodes a sequence of BER-TLV objects filling `in`.
[[nodiscard]] result<std::vector<ber_tlv>> ber_decode_all(byte_view in, ber_options opts = {});

/// First object with `tag` at the top level of a decoded sequence, if any.
[[nodiscard]] std::optional<ber_tlv_view> ber_find(const std::vector<ber_tlv_view>& objects,
                                                   std::uint32_t tag);
/// First object with `tag` at the top level of `in`; nullopt when absent, error when malformed.
[[nodiscard]] result<std::optional<ber_tlv_view>> ber_find(byte_view in, std::uint32_t tag,
                                                           ber_options opts = {});

/// Appends the tag octets; fails for a malformed tag.
[[nodiscard]] status ber_write_tag(std::uint32_t tag, byte_writer& out);
/// Appends a length in its minimal definite form (00–7F, 81 xx, 82 xxxx, 83, 84).
void ber_write_length(std::size_t length, byte_writer& out);
/// Appends tag, minimal length and value.
[[nodiscard]] status ber_encode(std::uint32_t tag, byte_view value, byte_writer& out);
/// Appends a BER-TLV object with a minimal length.
[[nodiscard]] status ber_encode(const ber_tlv& tlv, byte_writer& out);
/// Encodes a BER-TLV object into a new buffer.
[[nodiscard]] result<bytes> ber_encode(const ber_tlv& tlv);

/// An indefinite-length template `T 80 <definite TLVs> 00 00` (TS 102 226 §5.2, tags AE/AF).
struct ber_indefinite_view {
  std::uint32_t tag = 0;
  byte_view content;             ///< the inner TLVs, without the 00 00 end-of-contents
  std::size_t encoded_size = 0;  ///< octets up to and including the 00 00
};

/// Decodes `T 80 ... 00 00` at the start of `in`: the content must be a sequence of
/// definite-length BER-TLVs ended by 00 00 (inner objects of TS 102 226 are always definite).
[[nodiscard]] result<ber_indefinite_view> ber_decode_indefinite(byte_view in);
/// Appends `tag 80 content 00 00` (content must already be encoded definite TLVs).
[[nodiscard]] status ber_encode_indefinite(std::uint32_t tag, byte_view content, byte_writer& out);

// ---------------------------------------------------------------------------------------------
// SIMPLE-TLV (ISO/IEC 7816-4 §5.2.1): tag 01–FE; length 00–FE, or FF followed by 2 octets.
// ---------------------------------------------------------------------------------------------

struct simple_tlv {
  std::uint8_t tag = 0;
  bytes value;
  friend bool operator==(const simple_tlv&, const simple_tlv&) = default;
};

/// Reads one SIMPLE-TLV object.
[[nodiscard]] result<simple_tlv> simple_tlv_read(byte_reader& in);
/// Decodes a sequence of SIMPLE-TLV objects filling `in`.
[[nodiscard]] result<std::vector<simple_tlv>> simple_tlv_decode_all(byte_view in);
/// Appends a SIMPLE-TLV object (length in 1 octet below 255, else FF + 2 octets).
[[nodiscard]] status simple_tlv_encode(const simple_tlv& tlv, byte_writer& out);

// ---------------------------------------------------------------------------------------------
// COMPACT-TLV (ISO/IEC 7816-4 §8.1.1.2): one octet, tag in the high nibble and length in the
// low nibble, then `length` octets. Tag 4X with length 0Y is written as XY.
// ---------------------------------------------------------------------------------------------

struct compact_tlv {
  std::uint8_t tag = 0;  ///< 0..15
  bytes value;           ///< 0..15 octets
  friend bool operator==(const compact_tlv&, const compact_tlv&) = default;
};

/// Reads one COMPACT-TLV object.
[[nodiscard]] result<compact_tlv> compact_tlv_read(byte_reader& in);
/// Decodes a sequence of COMPACT-TLV objects filling `in`.
[[nodiscard]] result<std::vector<compact_tlv>> compact_tlv_decode_all(byte_view in);
/// Appends a COMPACT-TLV object; fails for tag > 15 or more than 15 value octets.
[[nodiscard]] status compact_tlv_encode(const compact_tlv& tlv, byte_writer& out);

// ---------------------------------------------------------------------------------------------
// COMPREHENSION-TLV (ETSI TS 102 223 §7.1.1, Annex C)
//   tag: 1 octet (b8 = CR, b7-b1 = tag 01..7E) or 7F + 2 octets (b16 = CR, 15-bit tag);
//   length: 00–7F, 81 80–FF, and (TS 102 223) 82 xxxx, 83 xxxxxx.
// ---------------------------------------------------------------------------------------------

struct comprehension_tlv {
  std::uint16_t tag = 0;   ///< tag value without the CR bit (1..0x7E short, 1..0x7FFF long)
  bool cr = false;         ///< comprehension required
  bool long_form = false;  ///< written as 7F + 2 octets (forced for tags above 0x7E)
  bytes value;
  friend bool operator==(const comprehension_tlv&, const comprehension_tlv&) = default;
};

/// Reads one COMPREHENSION-TLV object.
[[nodiscard]] result<comprehension_tlv> comprehension_tlv_read(byte_reader& in);
/// Decodes a sequence of COMPREHENSION-TLV objects filling `in`.
[[nodiscard]] result<std::vector<comprehension_tlv>> comprehension_tlv_decode_all(byte_view in);
/// Appends a COMPREHENSION-TLV object with a minimal length.
[[nodiscard]] status comprehension_tlv_encode(const comprehension_tlv& tlv, byte_writer& out);

}  // namespace otaflow::codec
