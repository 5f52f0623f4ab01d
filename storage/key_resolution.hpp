#pragma once
// An operator's resolution of a card's pending key rotation (`otaflow subscribers keys resolve`;
// docs/storage.md, "pending keys"): the pending Ki/OPc a key update job kept because the card
// may hold them become the card's keys (adopt) or are dropped (discard), with a
// `key_resolution` audit record in the same synced batch. How the outcome was decided (by hand,
// or by AUTHENTICATE on a virtual card) is the caller's; this checks and writes.

#include <cstdint>
#include <string>

#include "base/error.hpp"
#include "storage/api.hpp"

namespace otaflow::storage {

/// One resolution.
struct key_resolution {
  std::string iccid;
  std::string campaign;
  bool adopt = false;  ///< true: the pending keys become the card's Ki/OPc; false: dropped
  std::string action;  ///< how it was decided: "adopt", "discard", "prove-fleet"
  std::string proof;   ///< "" or a JSON object of the proof's answers (never a key)
  std::string who{};   ///< who asked (base/principal.hpp); "" leaves it out of the record
};

/// The pending rotation of (card, campaign) if it may be resolved now: errc::not_found when
/// nothing is pending, errc::conflict while the campaign's job of the card is not terminal.
[[nodiscard]] result<pending_rotation> resolvable_rotation(state& st, const std::string& iccid,
                                                           const std::string& campaign);

/// Checks like resolvable_rotation(), then commits or drops the pending keys and appends the
/// audit record (details: action, outcome, sequence, job_state, proof, who) in one synced batch.
/// Returns the audit record's details.
[[nodiscard]] result<std::string> resolve_pending_keys(state& st, const key_resolution& r);

/// Ends a resolution whose rows `b` holds: `details` (a JSON object's opening fields, the
/// outcome) gets the job state, the proof and who asked, goes into a `key_resolution` audit
/// record in the same batch, and the batch is committed synced. Returns the details.
[[nodiscard]] result<std::string> commit_resolution(state& st, rocksdb::WriteBatch& b,
                                                    const key_resolution& r, std::string details,
                                                    const std::string& job_state);

/// The (campaign, card) job's state name, "" when it has none; errc::conflict while it is not
/// terminal ("... resolve its `what` once it has ended"). Keys and keysets are settled only
/// after their job ended.
[[nodiscard]] result<std::string> terminal_job_state(state& st, const std::string& iccid,
                                                     const std::string& campaign, const char* what);

}  // namespace otaflow::storage
