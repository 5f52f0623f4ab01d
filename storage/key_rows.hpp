#pragma once
// Encoding helpers of the sealed key rows (storage/key_store.cpp, key_store_keysets.cpp): a
// secret as u8 length | octets inside a row's plaintext, and a guard that wipes a plaintext
// buffer on every path out of a decoder. Internal to storage.

#include <cstdint>

#include "base/bytes.hpp"
#include "storage/secret.hpp"

namespace otaflow::storage::detail {

inline void put_secret(byte_writer& w, const secret& s) {
  w.u8(static_cast<std::uint8_t>(s.size()));
  w.append(s.view());
}

[[nodiscard]] inline bool get_secret(byte_reader& r, secret& out) {
  std::uint8_t n = 0;
  byte_view v;
  if (!r.u8(n) || n > secret::max_size || !r.take(n, v)) return false;
  auto s = secret::from(v);
  if (!s) return false;
  out = std::move(*s);
  return true;
}

/// Wipes a plaintext buffer on every path out of the decoder.
struct wipe_guard {
  bytes& b;
  ~wipe_guard() { secure_wipe(b); }
};

}  // namespace otaflow::storage::detail
