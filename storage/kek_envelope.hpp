#pragma once
// Envelope encryption of the state directory (docs/SECURITY.md "KEK in an HSM"): card keys are
// sealed under a data key; with a direct KEK (kek_file, OTAFLOW_KEK) the data key is the KEK
// itself, with a PKCS#11 KEK it is 32 random octets wrapped by the token key and kept in meta
// ("kek_wrapped"), unwrapped once when the directory opens. A KEK rotation in progress keeps
// its state in meta ("kek_rotation"): both sides, the new data key sealed under the old one and
// the old under the new (whichever KEK opens the directory yields both), and its cursor.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "storage/kek.hpp"
#include "storage/secret.hpp"

namespace otaflow::storage {

inline constexpr std::string_view meta_kek_wrapped = "kek_wrapped";
inline constexpr std::string_view meta_kek_rotation = "kek_rotation";

/// A data key wrapped by a token key (meta "kek_wrapped").
struct wrapped_data_key {
  std::string module;     ///< the module it was wrapped through (for messages)
  std::string token;      ///< token label
  std::string key_label;  ///< the wrapping key's CKA_LABEL
  std::uint32_t mechanism = 0;
  bytes wrapped;

  friend bool operator==(const wrapped_data_key&, const wrapped_data_key&) = default;
};

/// One side of a rotation: a direct KEK (no `wrapped`) or a token key.
struct kek_side {
  std::string origin;  ///< "kek_file PATH", "OTAFLOW_KEK" or "PKCS#11 token 'T' key 'K'"
  std::optional<wrapped_data_key> wrapped;
};

/// A KEK rotation in progress (meta "kek_rotation").
struct kek_rotation_state {
  kek_side from;
  kek_side to;
  bytes new_under_old;  ///< the new data key sealed under the old one
  bytes old_under_new;  ///< the old data key sealed under the new one
  std::string cursor;   ///< the last keys row re-sealed ("" before the first)
  std::uint64_t done = 0;
  std::int64_t started_ms = 0;
};

[[nodiscard]] bytes encode(const wrapped_data_key& w);
[[nodiscard]] result<wrapped_data_key> decode_wrapped_data_key(byte_view b);
[[nodiscard]] bytes encode(const kek_rotation_state& r);
[[nodiscard]] result<kek_rotation_state> decode_kek_rotation(byte_view b);

/// describe() of the token key that wrapped `w`.
[[nodiscard]] std::string describe(const wrapped_data_key& w);

/// The data keys of an open directory: the one new values are sealed under, and during a
/// rotation the one the rows not yet re-sealed are under.
struct data_keys {
  secret current;
  secret previous;  ///< empty unless a rotation is in progress
};

/// The data keys from the meta records (each absent or present) and the KEK given: errors say
/// which KEK the directory needs (`where` names the directory).
[[nodiscard]] result<data_keys> resolve_data_keys(const std::optional<std::string>& wrapped,
                                                  const std::optional<std::string>& rotation,
                                                  kek_key& kek, const std::string& where);

/// A new data key for a token KEK: 32 random octets and their wrapped form.
[[nodiscard]] result<std::pair<secret, wrapped_data_key>> new_wrapped_data_key(pkcs11_key& token);

/// The associated data of the rotation's two sealed data keys.
inline constexpr std::string_view rotation_new_aad = "otaflow/meta/kek_rotation/new/v1";
inline constexpr std::string_view rotation_old_aad = "otaflow/meta/kek_rotation/old/v1";

}  // namespace otaflow::storage
