#pragma once
// Helpers shared by the repositories to encode their records: LEB128 varints
// and varint-length-prefixed strings on top of base/bytes.hpp. Every record
// starts with a format version octet so the layout can evolve.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace otaflow::storage::detail {

/// The same error with context put in front of its message.
inline error with_context(error e, std::string_view context) {
  e.message = std::string(context) + ": " + e.message;
  return e;
}

/// Appends v as an unsigned LEB128 varint (1 octet below 128).
inline void put_varint(byte_writer& w, std::uint64_t v) {
  while (v >= 0x80) {
    w.u8(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  w.u8(static_cast<std::uint8_t>(v));
}

/// Reads an unsigned LEB128 varint of at most 10 octets.
[[nodiscard]] inline bool get_varint(byte_reader& r, std::uint64_t& out) {
  std::uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    std::uint8_t b = 0;
    if (!r.u8(b)) return false;
    v |= std::uint64_t{b & 0x7Fu} << shift;
    if ((b & 0x80) == 0) {
      out = v;
      return true;
    }
  }
  return false;
}

/// Appends a varint length and the string's octets.
inline void put_str(byte_writer& w, std::string_view s) {
  put_varint(w, s.size());
  w.append(s);
}

/// Reads a varint-length-prefixed string.
[[nodiscard]] inline bool get_str(byte_reader& r, std::string& out) {
  std::uint64_t n = 0;
  byte_view v;
  if (!get_varint(r, n) || n > r.remaining() || !r.take(static_cast<std::size_t>(n), v)) {
    return false;
  }
  out.assign(reinterpret_cast<const char*>(v.data()), v.size());
  return true;
}

/// Reads a u64 stored as 8 big-endian octets.
[[nodiscard]] inline bool get_u64(byte_reader& r, std::uint64_t& out) {
  return r.uint_be(8, out);
}

/// The octets of a std::string (RocksDB values) as a byte view.
inline byte_view as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// A byte vector as a string view (for RocksDB slices).
inline std::string_view as_chars(const bytes& b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

/// 8 big-endian octets: keys that sort in numeric order.
inline std::string be64(std::uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i) {
    s[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
  return s;
}

/// Parses 8 big-endian octets; false if the size is not 8.
[[nodiscard]] inline bool parse_be64(std::string_view s, std::uint64_t& out) {
  if (s.size() != 8) return false;
  std::uint64_t v = 0;
  for (char c : s) v = (v << 8) | static_cast<std::uint8_t>(c);
  out = v;
  return true;
}

}  // namespace otaflow::storage::detail
