#pragma once
// A key-encryption key held in a PKCS#11 token (an HSM; SoftHSM2 in the tests): an AES-256
// secret key that is sensitive and never extractable, found by token label and key label. It
// wraps and unwraps the state directory's data key (RFC 3394 AES key wrap, CKM_AES_KEY_WRAP,
// else CKM_AES_KEY_WRAP_PAD, as the token lists them in C_GetMechanismList); the key itself
// never leaves the token. The module is loaded with dlopen and C_GetFunctionList, once per
// process (a module is initialised once and stays loaded). docs/SECURITY.md "KEK in an HSM".

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "storage/secret.hpp"

namespace otaflow::storage {

/// The environment variable that names a PKCS#11 KEK for commands without a configuration file:
/// "module=PATH;token=LABEL;key=LABEL[;pin_file=PATH]" (no PIN in it: the PIN comes from
/// pin_file or OTAFLOW_PKCS11_PIN).
inline constexpr const char* pkcs11_env_var = "OTAFLOW_KEK_PKCS11";
/// The environment variable holding the token's user PIN when no pin_file is given (removed
/// from the environment and wiped once read).
inline constexpr const char* pkcs11_pin_env_var = "OTAFLOW_PKCS11_PIN";

/// Where a PKCS#11 KEK is.
struct pkcs11_config {
  std::string module;     ///< path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so
  std::string token;      ///< the token's label (CK_TOKEN_INFO label)
  std::string key_label;  ///< the AES-256 key's CKA_LABEL
  std::string pin_file;   ///< mode-600 file with the user PIN; empty: OTAFLOW_PKCS11_PIN

  friend bool operator==(const pkcs11_config&, const pkcs11_config&) = default;
};

/// Parses "module=PATH;token=LABEL;key=LABEL[;pin_file=PATH]"; `origin` names the text in
/// errors (e.g. "OTAFLOW_KEK_PKCS11"). module, token and key are required.
[[nodiscard]] result<pkcs11_config> parse_pkcs11_spec(std::string_view spec,
                                                      std::string_view origin);

/// "PKCS#11 token 'T' key 'K'" (what errors and the audit log call it; no PIN, no key bytes).
[[nodiscard]] std::string describe(const pkcs11_config& c);

/// The mechanism wrapped data keys are made with (stored beside them).
inline constexpr std::uint32_t pkcs11_aes_key_wrap = 0x2109;      // CKM_AES_KEY_WRAP
inline constexpr std::uint32_t pkcs11_aes_key_wrap_pad = 0x210a;  // CKM_AES_KEY_WRAP_PAD

/// An AES-256 key on a token, used through a logged-in session. Thread-safe (one mutex).
class pkcs11_key {
 public:
  /// Loads the module, finds the token, logs in and finds the key. Errors name the module, the
  /// token or the key label (never the PIN): no such token, login refused (wrong PIN, locked),
  /// no key with that label, a key that is not a 32-octet AES key or that is extractable.
  [[nodiscard]] static result<std::unique_ptr<pkcs11_key>> open(const pkcs11_config& c);
  /// As open(), but generates the key (C_GenerateKey: CKA_TOKEN, CKA_SENSITIVE, not
  /// CKA_EXTRACTABLE, CKA_WRAP/CKA_UNWRAP only) when the token has none with that label;
  /// `created` says which happened.
  [[nodiscard]] static result<std::unique_ptr<pkcs11_key>> open_or_create(const pkcs11_config& c,
                                                                          bool& created);

  ~pkcs11_key();
  pkcs11_key(const pkcs11_key&) = delete;
  pkcs11_key& operator=(const pkcs11_key&) = delete;

  /// The configuration it was opened with.
  [[nodiscard]] const pkcs11_config& config() const noexcept;
  /// The wrap mechanism chosen for this token (pkcs11_aes_key_wrap or _pad).
  [[nodiscard]] std::uint32_t mechanism() const noexcept;

  /// Wraps a 32-octet data key under the token key (the data key is a session object for the
  /// time of the call).
  [[nodiscard]] result<bytes> wrap(const secret& data_key, std::uint32_t mechanism);
  /// Unwraps a data key wrapped by wrap(); errc::verification when this token key did not wrap
  /// it (or it was altered).
  [[nodiscard]] result<secret> unwrap(byte_view wrapped, std::uint32_t mechanism);

  /// Tests: whether the token hands out the key's CKA_VALUE (it must not): true if it does.
  [[nodiscard]] result<bool> value_readable();

  struct impl;

 private:
  explicit pkcs11_key(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
};

}  // namespace otaflow::storage
