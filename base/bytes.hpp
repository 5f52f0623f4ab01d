#pragma once
// Byte buffers: a bounds-checked reader (truncation is an error, never a read
// past the end; model: RocksDB util/coding.h) and an appending writer.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace otaflow {

using bytes = std::vector<std::uint8_t>;
using byte_view = std::span<const std::uint8_t>;

/// Reads big-endian fields from a byte span. Every getter returns false and
/// consumes nothing when fewer bytes remain than it needs.
class byte_reader {
 public:
  explicit byte_reader(byte_view data) noexcept : data_(data) {}

  [[nodiscard]] std::size_t remaining() const noexcept { return data_.size() - pos_; }
  [[nodiscard]] bool empty() const noexcept { return pos_ == data_.size(); }
  [[nodiscard]] std::size_t position() const noexcept { return pos_; }
  /// The bytes not yet consumed.
  [[nodiscard]] byte_view rest() const noexcept { return data_.subspan(pos_); }

  [[nodiscard]] bool u8(std::uint8_t& out) noexcept {
    if (remaining() < 1) return false;
    out = data_[pos_++];
    return true;
  }
  [[nodiscard]] bool u16(std::uint16_t& out) noexcept {
    if (remaining() < 2) return false;
    out = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  [[nodiscard]] bool u24(std::uint32_t& out) noexcept {
    if (remaining() < 3) return false;
    out = (std::uint32_t{data_[pos_]} << 16) | (std::uint32_t{data_[pos_ + 1]} << 8) |
          data_[pos_ + 2];
    pos_ += 3;
    return true;
  }
  [[nodiscard]] bool u32(std::uint32_t& out) noexcept {
    if (remaining() < 4) return false;
    out = (std::uint32_t{data_[pos_]} << 24) | (std::uint32_t{data_[pos_ + 1]} << 16) |
          (std::uint32_t{data_[pos_ + 2]} << 8) | data_[pos_ + 3];
    pos_ += 4;
    return true;
  }
  /// Big-endian unsigned integer of n (<= 8) bytes.
  [[nodiscard]] bool uint_be(std::size_t n, std::uint64_t& out) noexcept {
    if (n > 8 || remaining() < n) return false;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | data_[pos_ + i];
    pos_ += n;
    out = v;
    return true;
  }
  /// A view of the next n bytes.
  [[nodiscard]] bool take(std::size_t n, byte_view& out) noexcept {
    if (remaining() < n) return false;
    out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  [[nodiscard]] bool skip(std::size_t n) noexcept {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }
  /// Peeks at the next byte without consuming it.
  [[nodiscard]] bool peek(std::uint8_t& out) const noexcept {
    if (remaining() < 1) return false;
    out = data_[pos_];
    return true;
  }

 private:
  byte_view data_;
  std::size_t pos_ = 0;
};

/// Appends big-endian fields to a byte vector it owns or borrows.
class byte_writer {
 public:
  byte_writer() : buf_(&own_) {}
  explicit byte_writer(bytes& target) : buf_(&target) {}
  byte_writer(const byte_writer&) = delete;
  byte_writer& operator=(const byte_writer&) = delete;

  void u8(std::uint8_t v) { buf_->push_back(v); }
  void u16(std::uint16_t v) {
    buf_->push_back(static_cast<std::uint8_t>(v >> 8));
    buf_->push_back(static_cast<std::uint8_t>(v));
  }
  void u24(std::uint32_t v) {
    buf_->push_back(static_cast<std::uint8_t>(v >> 16));
    u16(static_cast<std::uint16_t>(v));
  }
  void u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v >> 16));
    u16(static_cast<std::uint16_t>(v));
  }
  /// Big-endian unsigned integer in n (<= 8) bytes.
  void uint_be(std::size_t n, std::uint64_t v) {
    for (std::size_t i = n; i > 0; --i)
      buf_->push_back(static_cast<std::uint8_t>(v >> (8 * (i - 1))));
  }
  void append(byte_view v) { buf_->insert(buf_->end(), v.begin(), v.end()); }
  void append(std::string_view s) { buf_->insert(buf_->end(), s.begin(), s.end()); }
  void fill(std::size_t n, std::uint8_t v) { buf_->insert(buf_->end(), n, v); }
  /// Overwrites two bytes at pos (for length fields known only at the end).
  void patch_u16(std::size_t pos, std::uint16_t v) {
    (*buf_)[pos] = static_cast<std::uint8_t>(v >> 8);
    (*buf_)[pos + 1] = static_cast<std::uint8_t>(v);
  }
  void patch_u8(std::size_t pos, std::uint8_t v) { (*buf_)[pos] = v; }

  [[nodiscard]] std::size_t size() const noexcept { return buf_->size(); }
  [[nodiscard]] const bytes& data() const noexcept { return *buf_; }
  /// Moves the owned buffer out (only meaningful for the owning form).
  [[nodiscard]] bytes take() { return std::move(*buf_); }

 private:
  bytes own_;
  bytes* buf_;
};

/// Letter case of the digits a-f that to_hex writes.
enum class hex_case : std::uint8_t { lower, upper };

/// Hex of the bytes, two digits per octet, no separators (lower case unless asked).
std::string to_hex(byte_view data, hex_case letters = hex_case::lower);
/// Appends the hex of the bytes to `out`, leaving no temporary copy (for key material that
/// `out` holds until it wipes it, and for rows built by the million).
void append_hex(std::string& out, byte_view data, hex_case letters = hex_case::lower);
/// Hex of an unsigned value, zero-padded to at least `digits` digits as printf's "%0*x"
/// writes it: to_hex(0x3F00, 4) is "3f00", to_hex(0x7, 2, hex_case::upper) is "07".
std::string to_hex(std::uint64_t value, std::size_t digits, hex_case letters = hex_case::lower);
/// Parses hex (either case, no separators; an odd length is an error).
result<bytes> from_hex(std::string_view hex);
/// Parses hex, for tests and constants known to be valid; aborts otherwise.
bytes hex(std::string_view hex);

/// Constant-time equality (for MACs and checksums).
[[nodiscard]] bool equal_ct(byte_view a, byte_view b) noexcept;

/// Overwrites a buffer holding a secret before it is released.
void secure_wipe(std::span<std::uint8_t> data) noexcept;

}  // namespace otaflow
