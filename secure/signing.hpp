#pragma once
// SHA-256 and Ed25519 for the tamper-evident audit log (docs/AUDIT.md): the chain hashes
// each record over the previous one, and checkpoints are signed with an Ed25519 key
// (RFC 8032) kept in a PEM file. OpenSSL stays behind this header.

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace otaflow::secure {

using sha256_digest = std::array<std::uint8_t, 32>;

/// SHA-256 (FIPS 180-4) of the concatenation of the parts.
[[nodiscard]] sha256_digest sha256(std::initializer_list<byte_view> parts);

/// SHA-1 (FIPS 180-4) of `data`: only for GlobalPlatform's Load File Data Block hash
/// (INSTALL [for load], GP 2.3 §11.5.2.3.1), which cards still ask for; never for signatures.
[[nodiscard]] std::array<std::uint8_t, 20> sha1(byte_view data);

/// SHA-256 of a file's content, read in blocks; the error names the file.
[[nodiscard]] result<sha256_digest> sha256_file(const std::filesystem::path& file);

/// An Ed25519 public key (32 octets, RFC 8032 §5.1.5).
using ed25519_public = std::array<std::uint8_t, 32>;
/// An Ed25519 signature (64 octets).
using ed25519_signature = std::array<std::uint8_t, 64>;

/// An Ed25519 private key loaded from a PEM file (PKCS#8, as `openssl genpkey -algorithm
/// ed25519` writes). The key stays inside OpenSSL's object; only signatures leave it.
class ed25519_signer {
 public:
  ~ed25519_signer();
  ed25519_signer(const ed25519_signer&) = delete;
  ed25519_signer& operator=(const ed25519_signer&) = delete;

  /// Loads the key. A file readable by group or others is refused, naming the path; so is
  /// a file that holds no Ed25519 private key.
  [[nodiscard]] static result<std::unique_ptr<ed25519_signer>> load(
      const std::filesystem::path& file);
  /// Generates a new key and writes it to `file` (mode 600, refused if it exists).
  [[nodiscard]] static result<std::unique_ptr<ed25519_signer>> generate(
      const std::filesystem::path& file);

  [[nodiscard]] ed25519_signature sign(byte_view message) const;
  [[nodiscard]] const ed25519_public& public_key() const noexcept { return pub_; }

 private:
  explicit ed25519_signer(void* pkey);
  void* pkey_;  // EVP_PKEY*
  ed25519_public pub_{};
};

/// Whether `sig` is a valid Ed25519 signature of `message` under `pub`.
[[nodiscard]] bool ed25519_verify(const ed25519_public& pub, byte_view message,
                                  byte_view sig) noexcept;

/// Reads a public key: 64 hex digits, or a PEM file (SubjectPublicKeyInfo, as
/// `openssl pkey -pubout` writes), or a private key PEM file (its public half).
[[nodiscard]] result<ed25519_public> read_ed25519_public(const std::string& text_or_file);

}  // namespace otaflow::secure
