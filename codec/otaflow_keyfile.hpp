#pragma once
// Byte layout of the otaflow key rotation file: a proprietary transparent EF (DF 7F66 /
// EF 6F01, see codec/ts31102_files.hpp) that an OTA UPDATE BINARY fills with a new Ki and
// OPc wrapped under the card's KIK. This file holds only the layout; the cryptography
// (RFC 3394 AES key wrap, key check value) lives in secure/key_rotation.hpp.
// docs/formats/key-rotation-file.md describes every byte for carrier engineers.
//
//   offset  len  field
//   0       1    format version (01)
//   1       1    algorithm (01 = AES-128 key wrap RFC 3394 under a 16-byte KIK)
//   2       1    KIK key index (1..15, the key version of the KIK on the card)
//   3       1    flags (RFU, 00)
//   4       4    sequence number, big endian, 1..FFFFFFFF, strictly increasing per card
//   8       1    length of the wrapped block (30 = 48)
//   9       48   AES-KW(KIK, header bytes 0..7 || Ki(16) || OPc(16))
//   57      3    key check value: first 3 bytes of AES-128(Ki, 00..00)
//   60      4    FF padding
// Total 64 bytes. An all-FF file holds no pending rotation.

#include <array>
#include <cstdint>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace otaflow::codec::keyfile {

inline constexpr std::size_t file_size = 64;     ///< size of EF 6F01
inline constexpr std::size_t header_size = 8;    ///< bytes 0..7, also wrapped
inline constexpr std::size_t wrapped_size = 48;  ///< KW output for 40 bytes of input
inline constexpr std::size_t kcv_size = 3;       ///< key check value length
inline constexpr std::uint8_t format_version = 0x01;
inline constexpr std::uint8_t alg_aes128_kw = 0x01;  ///< RFC 3394 with AES-128 KIK

/// The authenticated header (bytes 0..7): travels in clear and inside the wrapped block.
struct header {
  std::uint8_t version = format_version;
  std::uint8_t algorithm = alg_aes128_kw;
  std::uint8_t kik_index = 1;  ///< 1..15
  std::uint8_t flags = 0;      ///< RFU, must be 0
  std::uint32_t sequence = 1;  ///< 1..FFFFFFFF

  friend bool operator==(const header&, const header&) = default;
};

/// The whole file: header, wrapped keys and the key check value of the new Ki.
struct file {
  header hdr;
  std::array<std::uint8_t, wrapped_size> wrapped{};
  std::array<std::uint8_t, kcv_size> kcv{};

  friend bool operator==(const file&, const file&) = default;
};

/// Appends the 8 header bytes (used both in clear and as the wrapped prefix).
void encode_header(const header& h, byte_writer& w);
/// Parses and validates the 8 header bytes.
[[nodiscard]] result<header> decode_header(byte_view data);
/// Appends the 64-byte file image.
void encode(const file& f, byte_writer& w);
/// Parses the 64-byte file image; an all-FF image fails with errc::not_found.
[[nodiscard]] result<file> decode(byte_view data);
/// True when the image is erased (all FF), i.e. no rotation is pending.
[[nodiscard]] bool is_empty(byte_view data) noexcept;

}  // namespace otaflow::codec::keyfile
