#pragma once
// The SMPP password and TLS options of the commands that bind or serve SMPP (`campaign run`,
// `smsc-sim`). No password on the command line: `--password` is refused (`ps` shows every
// process's arguments to every user); it comes from `--password-file FILE` (mode 600) or the
// environment variable OTAFLOW_SMPP_PASSWORD, which is removed once read.

#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "actors/smpp_client.hpp"

namespace otaflow::app {

/// The environment variable that may hold the SMPP password.
inline constexpr const char* smpp_password_env = "OTAFLOW_SMPP_PASSWORD";
/// The error of `--password PW`.
inline constexpr const char* password_on_command_line =
    "a password on the command line is visible to every user (ps); use --password-file FILE or "
    "OTAFLOW_SMPP_PASSWORD";

/// The password options of one command (filled by CLI11).
struct password_args {
  std::string refused;  ///< --password, kept only to be refused
  std::string file;     ///< --password-file
  CLI::Option* refused_option = nullptr;
};

/// Adds `--password-file` and a hidden `--password` that password_from refuses.
void add_password_options(CLI::App* cmd, password_args& a);

/// The password from --password-file or OTAFLOW_SMPP_PASSWORD (nullopt: neither); a usage
/// error (exit 2) for --password, a file readable by group or others, or one longer than 8.
[[nodiscard]] std::optional<std::string> password_from(const password_args& a);

/// `campaign run`'s TLS options (filled by CLI11).
struct tls_args {
  bool tls = false;
  tls_client_options options;  ///< any of them set implies --tls
};

/// Adds --tls, --tls-ca, --tls-cert, --tls-key and --tls-server-name.
void add_tls_options(CLI::App* cmd, tls_args& a);

/// For commands that hold keys or passwords (campaign run, serve, smsc-sim with a fleet, demo):
/// no core dump, not dumpable (base/secrets.hpp harden_process); a warning when that fails.
void harden_key_process();

}  // namespace otaflow::app
