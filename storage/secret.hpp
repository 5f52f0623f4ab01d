#pragma once
// Key material held in memory: a fixed inline buffer (no heap, so no copy is
// left behind by a reallocation) that is wiped when the value dies. It has no
// operator<<, no to_string and no fmt formatter on purpose: a key can only
// leave this type as a byte_view handed to a cipher.

#include <array>
#include <cstddef>
#include <cstdint>
#include <iosfwd>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace otaflow::storage {

/// A secret of at most 32 octets (AES-256 keys, the KEK) that wipes itself.
class secret {
 public:
  static constexpr std::size_t max_size = 32;

  secret() noexcept = default;
  /// Copies key bytes in; an error (naming only the length) if longer than 32.
  [[nodiscard]] static result<secret> from(byte_view data);

  secret(const secret& other) noexcept;
  secret& operator=(const secret& other) noexcept;
  /// Moving copies the bytes and wipes the source.
  secret(secret&& other) noexcept;
  secret& operator=(secret&& other) noexcept;
  ~secret();

  /// The key bytes, for handing to a cipher; never log or format them.
  [[nodiscard]] byte_view view() const noexcept { return {buf_.data(), size_}; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  /// Wipes the bytes and makes the secret empty.
  void clear() noexcept;

  /// Constant-time comparison (lengths are not secret).
  friend bool operator==(const secret& a, const secret& b) noexcept;
  /// Deliberately not printable.
  friend std::ostream& operator<<(std::ostream&, const secret&) = delete;

 private:
  std::array<std::uint8_t, max_size> buf_{};
  std::uint8_t size_ = 0;
};

}  // namespace otaflow::storage
