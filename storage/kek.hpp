#pragma once
// The key-encryption key (KEK) that protects card keys at rest: 32 octets
// (AES-256), given as 64 hex digits in the environment variable OTAFLOW_KEK or
// in a file named by the configuration (kek_file); or an AES-256 key in a PKCS#11
// token (storage/pkcs11.hpp) that wraps the state directory's data key and never
// leaves the token. A missing or malformed KEK is a start-up error that says what
// is missing; the value is never echoed.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "storage/pkcs11.hpp"
#include "storage/secret.hpp"

namespace otaflow::storage {

/// Length of the KEK in octets (AES-256-GCM).
inline constexpr std::size_t kek_size = 32;
/// The environment variable read when no kek_file is configured.
inline constexpr const char* kek_env_var = "OTAFLOW_KEK";

/// Where the KEK comes from, first match wins: a file when configured, a PKCS#11 key when
/// configured, the PKCS#11 key named by OTAFLOW_KEK_PKCS11 when set, otherwise OTAFLOW_KEK.
struct kek_source {
  std::optional<std::filesystem::path> file;  ///< default: none (read OTAFLOW_KEK)
  std::optional<pkcs11_config> pkcs11;        ///< default: none (OTAFLOW_KEK_PKCS11, if set)
};

/// A loaded KEK: either the key itself (kek_file, OTAFLOW_KEK), which is then the key that
/// seals card keys, or a key on a token, which unwraps the state directory's data key.
struct kek_key {
  secret direct;                      ///< the key itself; empty for a token key
  std::shared_ptr<pkcs11_key> token;  ///< the token key; null for a direct key
  std::string origin;                 ///< "kek_file PATH", "OTAFLOW_KEK" or describe(pkcs11)

  [[nodiscard]] bool is_token() const noexcept { return token != nullptr; }
};

/// Opens the KEK of a source: reads the file or the environment, or loads the PKCS#11 module
/// and logs in to the token (errors name the token and key, never the PIN).
[[nodiscard]] result<kek_key> open_kek(const kek_source& source);

/// Opens a KEK given as a direct key already loaded (tests, the demo).
[[nodiscard]] kek_key direct_kek(secret k, std::string origin = "the KEK");

/// Loads the KEK from its source; errors name the source and the length found. A kek_file
/// readable by group or others is refused with its path; OTAFLOW_KEK is removed from the
/// environment once read (a second load in the same process finds it unset). A PKCS#11 source
/// is refused: its key never leaves the token (open_kek and the state directory use it).
[[nodiscard]] result<secret> load_kek(const kek_source& source);

/// Parses 64 hex digits (surrounding whitespace ignored); `origin` names the
/// source in errors, e.g. "OTAFLOW_KEK" or "kek_file /etc/otaflow/kek".
[[nodiscard]] result<secret> parse_kek(std::string_view text, std::string_view origin);

}  // namespace otaflow::storage
