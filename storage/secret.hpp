#pragma once
// Key material held in memory: a fixed 32-octet slot of a locked arena (pages mlock'ed and
// excluded from core dumps, so key bytes never reach swap or a core file; no reallocation
// leaves a copy behind), wiped when the value dies. It has no operator<<, no to_string and
// no fmt formatter on purpose: a key can only leave this type as a byte_view handed to a
// cipher.

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

  secret() noexcept = default;  ///< empty, no slot
  /// Copies key bytes in; an error (naming only the length) if longer than 32.
  [[nodiscard]] static result<secret> from(byte_view data);

  secret(const secret& other) noexcept;
  secret& operator=(const secret& other) noexcept;
  /// Moving takes the source's slot (no copy of the bytes); the source is empty.
  secret(secret&& other) noexcept;
  secret& operator=(secret&& other) noexcept;
  ~secret();

  /// The key bytes, for handing to a cipher; never log or format them.
  [[nodiscard]] byte_view view() const noexcept { return {buf_, size_}; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  /// Wipes the bytes and makes the secret empty.
  void clear() noexcept;

  /// Constant-time comparison (lengths are not secret).
  friend bool operator==(const secret& a, const secret& b) noexcept;
  /// Deliberately not printable.
  friend std::ostream& operator<<(std::ostream&, const secret&) = delete;

 private:
  std::uint8_t* buf_ = nullptr;  // a max_size slot of the locked arena (secret_arena.cpp)
  std::uint8_t size_ = 0;
};

/// The locked arena's state, for tests and start-up reports.
struct secret_arena_stats {
  std::size_t slots_in_use = 0;
  std::size_t bytes_mapped = 0;
  std::size_t bytes_locked = 0;  ///< < bytes_mapped when RLIMIT_MEMLOCK was too low
};
[[nodiscard]] secret_arena_stats secret_arena_state() noexcept;

}  // namespace otaflow::storage
