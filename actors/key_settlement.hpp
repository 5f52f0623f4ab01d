#pragma once
// What the end of a (campaign, card) job does with the Ki/OPc an update.keys campaign drew for
// the card and keeps pending in the key store (storage/key_store.hpp; docs/storage.md, "pending
// keys"). Pure: the subscriber actor notes the outcome in the job's reason, the job store
// (actors/storage_ports.cpp) commits, drops or keeps the keys in the same batch as the record.
//
// "May a packet have left?" is answered by `job.counters`: a counter is reserved (durably)
// before the packet carrying the keys is built. That is conservative: a job whose counter was
// reserved but whose packet never left (the process died in between, the SMSC refused the
// submit) keeps its keys too. Keeping keys the card never got costs an operator a
// resolution; dropping keys the card did get leaves a card nobody can authenticate.

#include <cstdint>
#include <string_view>

#include "actors/job_state.hpp"

namespace otaflow::actors {

/// What a job update does with its pending keys.
enum class key_settlement : std::uint8_t {
  none,    ///< not terminal, or the card's variant rotates no keys: nothing
  commit,  ///< `done`: the card's verified PoR OK says it installed them
  drop,    ///< terminal and no counter was ever reserved: no packet carried them
  keep,    ///< terminal otherwise: the card may hold them; kept for `subscribers keys resolve`
};

/// "none", "commit", "drop", "keep".
[[nodiscard]] std::string_view to_string(key_settlement s) noexcept;

/// The settlement of a job as it stands; `may_hold_keys`: its variant rotates Ki/OPc.
[[nodiscard]] key_settlement settle_keys(const job_record& job, bool may_hold_keys) noexcept;

/// What the reason of a job that keeps its pending keys says (never a key).
inline constexpr std::string_view keys_uncertain_note =
    "card keys uncertain: pending keys kept, resolve with `otaflow subscribers keys resolve`";

/// Appends "; " and keys_uncertain_note to `reason` (the note alone when it is empty) unless it
/// holds the note already. Returns whether it changed the reason.
bool note_keys_uncertain(std::string& reason);

/// note_keys_uncertain(job.reason) when settle_keys(job, may_hold_keys) is `keep`.
bool note_keys_uncertain(job_record& job, bool may_hold_keys);

}  // namespace otaflow::actors
