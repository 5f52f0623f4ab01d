#pragma once
// Opening the state directory for a command: the RocksDB directory and the KEK that seals the
// keys in it (a file when --kek-file is given, else the PKCS#11 key OTAFLOW_KEK_PKCS11 names,
// else OTAFLOW_KEK; never a command-line value; storage/kek.hpp).

#include <memory>
#include <string>

#include "base/error.hpp"
#include "storage/api.hpp"

namespace otaflow::app {

/// OTAFLOW_AUDIT_KEY_FILE: the Ed25519 key (PEM file) that signs the audit log's checkpoints
/// (docs/AUDIT.md); empty when unset. Every command that writes the state directory uses it.
[[nodiscard]] std::string audit_key_file_from_env();

/// Opens `dir`; `create` makes a new state directory when none is there.
[[nodiscard]] result<std::unique_ptr<storage::state>> open_state(const std::string& dir,
                                                                 const std::string& kek_file,
                                                                 bool create);

/// open_state, or prints "otaflow: <error>" and exits with code 1.
[[nodiscard]] std::unique_ptr<storage::state> open_state_or_exit(const std::string& dir,
                                                                 const std::string& kek_file,
                                                                 bool create);

/// Opens `dir` read-only for commands that only read (campaign status and list, subscribers
/// show): works while `campaign run` or `serve` holds the directory (a RocksDB secondary
/// instance; storage::db_options::read_only), and any write through it is refused.
[[nodiscard]] result<std::unique_ptr<storage::state>> open_state_read_only(
    const std::string& dir, const std::string& kek_file);

/// open_state_read_only, or prints "otaflow: <error>" and exits with code 1.
[[nodiscard]] std::unique_ptr<storage::state> open_state_read_only_or_exit(
    const std::string& dir, const std::string& kek_file);

}  // namespace otaflow::app
