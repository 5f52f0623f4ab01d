#pragma once
// Internal to secure/: multi-buffer AES with AES-NI. CBC is sequential within one message,
// so one message alone leaves the AES unit idle most of the time (an AESENC result is needed
// by the next round of the same block). Here up to eight independent messages, each with its
// own key, advance together: round r of all eight blocks is issued before round r + 1 of any,
// which keeps the pipeline full.

#include <cstddef>
#include <cstdint>
#include <span>

namespace otaflow::secure::detail {

/// What an AES call does with every lane.
enum class aes_op : std::uint8_t {
  cbc_encrypt,  ///< in-place CBC encryption, zero IV
  cbc_decrypt,  ///< in-place CBC decryption, zero IV
  cmac,         ///< AES-CMAC (NIST SP 800-38B) of the input, leftmost out_len octets to out
};

/// One message of an AES call. The caller has validated the lengths.
struct aes_lane {
  const std::uint8_t* key;  ///< 16, 24 or 32 octets, the same length for all lanes of a call
  const std::uint8_t* in;   ///< input; for ciphering in == out
  std::size_t in_len;       ///< input octets (a multiple of 16 except for cmac)
  std::uint8_t* out;        ///< ciphering: in place; cmac: out_len octets
  std::size_t out_len;      ///< cmac: 1..16
  std::size_t blocks;       ///< in_len / 16, or for cmac max(1, ceil(in_len / 16))
};

/// Lanes run side by side per call of the AES kernel.
inline constexpr std::size_t aes_interleave = 8;

/// Runs every lane (any number, eight at a time, in the given order; sorting by length
/// wastes least). All lanes share key_len. Call only when the CPU has AES-NI and SSE4.1.
void aes_multibuffer_run(std::span<const aes_lane> lanes, std::size_t key_len, aes_op op);

}  // namespace otaflow::secure::detail
