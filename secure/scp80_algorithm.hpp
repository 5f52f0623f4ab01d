#pragma once
// SCP80 (ETSI TS 102 225) cryptographic primitives: the ciphering algorithms selected by
// KIc (§5.1.2), the cryptographic checksums and redundancy checks selected by KID (§5.1.3),
// and a batch interface through which the engine's crypto stage runs many independent
// messages, each with its own key. Pure functions: no I/O, no logging, keys never appear in
// error messages.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace otaflow::secure {

/// Ciphering algorithms selectable by KIc (TS 102 225 §5.1.2).
enum class cipher_alg : std::uint8_t { des_cbc, tdes2_cbc, tdes3_cbc, des_ecb, aes_cbc };
/// Cryptographic checksum algorithms selectable by KID (§5.1.3) when SPI asks for CC.
enum class cc_alg : std::uint8_t { des_cbc_mac, tdes2_cbc_mac, tdes3_cbc_mac, aes_cmac };
/// Redundancy check algorithms selectable by KID when SPI asks for RC.
enum class rc_alg : std::uint8_t { crc16, crc32 };

/// The ciphering algorithm of a KIc octet; error for implicit (b2b1=00), proprietary or
/// reserved values.
[[nodiscard]] result<cipher_alg> cipher_from_kic(std::uint8_t kic);
/// The CC algorithm of a KID octet (SPI asks for CC); error for implicit/proprietary/reserved.
[[nodiscard]] result<cc_alg> cc_from_kid(std::uint8_t kid);
/// The RC algorithm of a KID octet (SPI asks for RC); error for implicit/proprietary/reserved.
[[nodiscard]] result<rc_alg> rc_from_kid(std::uint8_t kid);

/// Cipher block size in octets: 8 for DES/3DES, 16 for AES.
[[nodiscard]] std::size_t block_size(cipher_alg alg) noexcept;
/// Block size of the cipher underlying a CC algorithm: 8 for DES/3DES, 16 for AES.
[[nodiscard]] std::size_t block_size(cc_alg alg) noexcept;

/// Ok when key_len suits alg (DES 8, 3DES-2 16, 3DES-3 24, AES 16/24/32); the error names
/// the algorithm and the length, never the key.
[[nodiscard]] status check_key(cipher_alg alg, std::size_t key_len);
/// Ok when key_len suits the CC algorithm (same lengths as the underlying cipher).
[[nodiscard]] status check_key(cc_alg alg, std::size_t key_len);

/// Short printable name ("DES-CBC", "3DES-2KEY-CBC", ...).
[[nodiscard]] std::string_view name(cipher_alg alg) noexcept;
/// Short printable name ("DES-CBC-MAC", ..., "AES-CMAC").
[[nodiscard]] std::string_view name(cc_alg alg) noexcept;
/// Short printable name ("CRC16", "CRC32").
[[nodiscard]] std::string_view name(rc_alg alg) noexcept;

/// Encrypts data in place with a zero IV (TS 102 225 §5.1.2: the IV is all zero);
/// data.size() must be a multiple of block_size(alg).
[[nodiscard]] status encrypt(cipher_alg alg, byte_view key, std::span<std::uint8_t> data);
/// Decrypts data in place with a zero IV; data.size() must be a multiple of block_size(alg).
[[nodiscard]] status decrypt(cipher_alg alg, byte_view key, std::span<std::uint8_t> data);

/// Cryptographic checksum over data into out. DES/3DES CBC-MAC: the input is zero-padded
/// to a multiple of 8 internally, the MAC is the last cipher block truncated to out.size()
/// (4..8). AES-CMAC (RFC 4493 / NIST SP 800-38B): the leftmost out.size() octets (4..16).
[[nodiscard]] status compute_cc(cc_alg alg, byte_view key, byte_view data,
                                std::span<std::uint8_t> out);

/// CRC-32 as zlib computes it (ISO-HDLC: poly 0x04C11DB7 reflected, init and xorout FFFFFFFF).
[[nodiscard]] std::uint32_t crc32(byte_view data) noexcept;
/// CRC-16 of ISO/IEC 13239 (X.25 / IBM-SDLC: poly 0x1021 reflected, init and xorout FFFF).
[[nodiscard]] std::uint16_t crc16(byte_view data) noexcept;
/// Redundancy check over data, written big-endian into out (2 octets CRC16, 4 octets CRC32).
[[nodiscard]] status compute_rc(rc_alg alg, byte_view data, std::span<std::uint8_t> out);

/// One message to cipher in place; *result receives its outcome (result may be null).
struct cipher_job {
  cipher_alg alg;
  byte_view key;
  std::span<std::uint8_t> data;
  bool encrypt;
  status* result;
};

/// One cryptographic checksum to compute; *result receives its outcome (result may be null).
struct cc_job {
  cc_alg alg;
  byte_view key;
  byte_view data;
  std::span<std::uint8_t> out;
  status* result;
};

/// Runs many independent messages, each with its own key. Implementations (OpenSSL EVP,
/// later multi-buffer AES-NI or bitsliced 3DES) plug in here without changing callers.
/// A backend is not thread-safe; use one per thread.
class crypto_backend {
 public:
  virtual ~crypto_backend() = default;
  /// The backend's name, for logs and benchmarks.
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;
  /// Runs every cipher job; each job's status is written to *job.result.
  virtual void run(std::span<cipher_job> jobs) = 0;
  /// Runs every CC job; each job's status is written to *job.result.
  virtual void run(std::span<cc_job> jobs) = 0;
};

/// The OpenSSL EVP backend: contexts cached per backend (so per thread) and per algorithm,
/// re-keyed per job.
[[nodiscard]] std::unique_ptr<crypto_backend> make_openssl_backend();

}  // namespace otaflow::secure
