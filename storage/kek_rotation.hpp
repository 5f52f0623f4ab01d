#pragma once
// `otaflow keys rotate-kek`: re-seals every sealed value of a state directory (card keys,
// pending rotation keys, the KEK check value) under a new data key: from a kek_file to a token
// key, from a token key to another key label, from a token key to a kek_file, file to file.
// Resumable: the rotation's state is a meta record (storage/kek_envelope.hpp) updated in the
// same synced batch as each group of re-sealed rows, so a process killed mid-way resumes
// where its last batch ended; meanwhile either KEK opens the directory and reads try the new
// data key, then the old one. Each start and end is an audit record (kek_rotation).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "storage/api.hpp"
#include "storage/kek.hpp"
#include "storage/kek_envelope.hpp"

namespace otaflow::storage {

/// Options of a rotation.
struct kek_rotation_options {
  std::size_t batch_rows = 1000;  ///< default 1000: rows per synced batch (1..1,000,000)
  std::string who;                ///< the principal, for the audit records
  /// Called after each committed batch with the rows the whole rotation has re-sealed.
  std::function<void(std::uint64_t done)> progress;
  /// Tests: return after this many rows re-sealed by this call, as a process killed right after
  /// a commit would leave the directory (0, the default: never).
  std::uint64_t stop_after_rows = 0;
};

/// What a rotation did.
struct kek_rotation_result {
  bool resumed = false;        ///< an interrupted rotation was continued
  bool finished = false;       ///< false only when stop_after_rows stopped it
  std::uint64_t resealed = 0;  ///< rows re-sealed by this call
  std::uint64_t total = 0;     ///< rows re-sealed by the whole rotation
  std::string from;            ///< the old KEK's origin
  std::string to;              ///< the new KEK's origin
};

/// Rotates the KEK of a state opened (writable) with its current KEK, or with either KEK of an
/// interrupted rotation, to `to`. `from_origin` names the current KEK when it is a direct one.
/// A rotation in progress to another KEK than `to` is refused (errc::conflict), as is a direct
/// `to` equal to the current data key.
[[nodiscard]] result<kek_rotation_result> rotate_kek(state& st, const std::string& from_origin,
                                                     kek_key& to,
                                                     const kek_rotation_options& options);

/// The rotation in progress, if any (`keys rotate-kek --status`, tests).
[[nodiscard]] result<std::optional<kek_rotation_state>> rotation_in_progress(db& d);

}  // namespace otaflow::storage
