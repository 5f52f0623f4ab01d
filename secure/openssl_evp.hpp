#pragma once
// Internal to secure/: the OpenSSL EVP engine behind both the single-message functions of
// scp80_algorithm.hpp and the batch backend. It caches one EVP cipher context per algorithm
// (and AES key size) and re-keys it per message, which is what makes many small messages with
// different keys cheap. AES-CMAC runs on the cached AES-CBC context too (one key schedule per
// message, no EVP_MAC parameter handling): about 2x the messages/s of fresh EVP contexts.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "secure/scp80_algorithm.hpp"

// Forward declarations keep <openssl/*.h> out of the callers.
struct evp_cipher_ctx_st;

namespace otaflow::secure::detail {

/// Checks key length and data length of a cipher job (no OpenSSL involved).
[[nodiscard]] status validate_cipher(cipher_alg alg, std::size_t key_len, std::size_t data_len);
/// Checks key length and output length of a CC job (no OpenSSL involved).
[[nodiscard]] status validate_cc(cc_alg alg, std::size_t key_len, std::size_t out_len);

/// Cached EVP contexts, re-keyed per message. Not thread-safe: one per thread.
class evp_engine {
 public:
  evp_engine() = default;
  ~evp_engine();
  evp_engine(const evp_engine&) = delete;
  evp_engine& operator=(const evp_engine&) = delete;

  /// Ciphers data in place with a zero IV; the arguments must have passed validate_cipher.
  [[nodiscard]] status cipher(cipher_alg alg, byte_view key, std::span<std::uint8_t> data,
                              bool encrypt);
  /// Computes a CC into out; the arguments must have passed validate_cc.
  [[nodiscard]] status cc(cc_alg alg, byte_view key, byte_view data, std::span<std::uint8_t> out);

  /// Number of cipher slots: DES-CBC, DES-ECB, DES-EDE-CBC, DES-EDE3-CBC, AES-128/192/256-CBC.
  static constexpr std::size_t cipher_slots = 7;

 private:
  evp_cipher_ctx_st* cipher_ctx(std::size_t slot, status& err);
  status cbc_mac(std::size_t slot, byte_view key, byte_view data, std::span<std::uint8_t> out);
  status aes_cmac(byte_view key, byte_view data, std::span<std::uint8_t> out);
  status run_cipher(std::size_t slot, byte_view key, std::span<std::uint8_t> data, bool encrypt);

  std::array<evp_cipher_ctx_st*, cipher_slots> cipher_{};
};

}  // namespace otaflow::secure::detail
