#pragma once
// The key-encryption key (KEK) that protects card keys at rest: 32 octets
// (AES-256), given as 64 hex digits in the environment variable OTAFLOW_KEK or
// in a file named by the configuration (kek_file). A missing or malformed KEK
// is a start-up error that says what is missing; the value is never echoed.

#include <filesystem>
#include <optional>
#include <string_view>

#include "base/error.hpp"
#include "storage/secret.hpp"

namespace otaflow::storage {

/// Length of the KEK in octets (AES-256-GCM).
inline constexpr std::size_t kek_size = 32;
/// The environment variable read when no kek_file is configured.
inline constexpr const char* kek_env_var = "OTAFLOW_KEK";

/// Where the KEK comes from: a file when configured, otherwise OTAFLOW_KEK.
struct kek_source {
  std::optional<std::filesystem::path> file;  ///< default: none (read OTAFLOW_KEK)
};

/// Loads the KEK from its source; errors name the source and the length found. A kek_file
/// readable by group or others is refused with its path; OTAFLOW_KEK is removed from the
/// environment once read (a second load in the same process finds it unset).
[[nodiscard]] result<secret> load_kek(const kek_source& source);

/// Parses 64 hex digits (surrounding whitespace ignored); `origin` names the
/// source in errors, e.g. "OTAFLOW_KEK" or "kek_file /etc/otaflow/kek".
[[nodiscard]] result<secret> parse_kek(std::string_view text, std::string_view origin);

}  // namespace otaflow::storage
