#pragma once
// Secrets out of reach of other users of the machine: files that hold a secret (a password, the
// KEK, a private key, a configuration with a password) must not be readable by group or others;
// environment variables that hold one are removed once read (child processes and readers of
// /proc/PID/environ do not see them later); a process that holds keys writes no core dump and
// cannot be attached to by other processes of the same user (prctl PR_SET_DUMPABLE 0).

#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace otaflow {

/// Fails, naming `what` and the path, when the file cannot be inspected or is readable,
/// writable or executable by group or others ("chmod 600 it").
[[nodiscard]] status check_private_file(const std::string& path, std::string_view what);

/// check_private_file, then the file's text with surrounding whitespace (a trailing newline)
/// removed. Errors name `what` and the path, never the content.
[[nodiscard]] result<std::string> read_private_file(const std::string& path, std::string_view what);

/// Overwrites a string that held a secret (secure_wipe of its bytes; the size stays).
void secure_wipe(std::string& s) noexcept;

/// The value of an environment variable, removed from the environment; nullopt when unset.
[[nodiscard]] std::optional<std::string> take_env(const char* name);

/// Whether this process's core dumps are off and it is not dumpable (what harden_process sets).
struct hardening_report {
  bool core_limit_zero = false;
  bool not_dumpable = false;
};

/// For processes that hold keys: RLIMIT_CORE 0 and PR_SET_DUMPABLE 0 (no core file, no ptrace
/// by other processes of the same user, /proc/PID/mem closed). Never fails the caller: what it
/// could not set is reported.
hardening_report harden_process() noexcept;

}  // namespace otaflow
