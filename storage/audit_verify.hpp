#pragma once
// `otaflow audit verify`: checks the audit log's chain and signed checkpoints
// (storage/audit_log.hpp, docs/AUDIT.md) and names each record that was changed, removed,
// reordered or inserted.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "secure/signing.hpp"
#include "storage/db.hpp"

namespace otaflow::storage {

/// One finding: the record it names and what is wrong.
struct audit_problem {
  std::uint64_t seq = 0;
  std::string what;
};

struct audit_verification {
  std::uint64_t records = 0;            ///< records read
  std::uint64_t legacy = 0;             ///< format 1 records (before the chain): not verifiable
  std::uint64_t declared_missing = 0;   ///< sequence numbers a recovery record declared
  std::uint64_t checkpoints = 0;        ///< checkpoints whose signature and hash hold
  std::uint64_t last_checkpoint = 0;    ///< the last record a valid checkpoint covers
  std::uint64_t unsigned_tail = 0;      ///< chained records after it (chain only)
  std::vector<std::string> signers;     ///< hex public keys of valid checkpoints
  std::vector<audit_problem> problems;  ///< at most max_problems, in order
  std::uint64_t more_problems = 0;      ///< problems beyond max_problems
  [[nodiscard]] bool ok() const noexcept { return problems.empty(); }
};

/// Problems listed in full; the rest are counted.
inline constexpr std::size_t max_audit_problems = 100;

/// Reads the whole log. With `trusted` keys, a checkpoint signed by any other key is a
/// problem; without, any valid signature counts and the signers are listed.
[[nodiscard]] result<audit_verification> verify_audit(
    const db& d, std::span<const secure::ed25519_public> trusted);

}  // namespace otaflow::storage
