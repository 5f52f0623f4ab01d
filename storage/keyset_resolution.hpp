#pragma once
// Settling a card's pending OTA keyset (update.keyset; storage/key_store.hpp 'q' rows): the
// commit a proven PUT KEY makes (the keyset row and the subscriber record's key versions in one
// batch), and an operator's resolution of a keyset a job kept because the card may hold it
// (`otaflow subscribers keys resolve-keyset`; docs/storage.md "pending keysets"), with a
// `key_resolution` audit record in the same synced batch.

#include <string>

#include "base/error.hpp"
#include "storage/api.hpp"
#include "storage/key_resolution.hpp"

namespace otaflow::storage {

/// Stages making the pending keyset of (card, campaign) the card's keyset: its row (key_store::
/// stage_commit_pending_keyset) and the subscriber record's keyset_versions (the new KVN listed,
/// a KVN the PUT KEY renamed dropped), so the next campaign on that KVN selects the card.
/// false when nothing was pending.
[[nodiscard]] result<bool> stage_commit_keyset(state& st, rocksdb::WriteBatch& b,
                                               const std::string& iccid,
                                               const std::string& campaign);

/// The pending keyset of (card, campaign) if it may be resolved now: errc::not_found when none
/// is pending, errc::conflict while the campaign's job of the card is not terminal.
[[nodiscard]] result<pending_keyset_info> resolvable_keyset(state& st, const std::string& iccid,
                                                            const std::string& campaign);

/// Checks like resolvable_keyset(), then commits (r.adopt) or drops the pending keyset and
/// appends the audit record (details: action, outcome, keyset, job_state, proof, who) in one
/// synced batch. Returns the audit record's details.
[[nodiscard]] result<std::string> resolve_pending_keyset(state& st, const key_resolution& r);

}  // namespace otaflow::storage
