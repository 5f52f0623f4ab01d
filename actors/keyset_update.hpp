#pragma once
// The engine's side of a keyset rotation campaign ([update.keyset], actors/keyset_def.hpp):
// a new keyset drawn per card (OpenSSL's CSPRNG), kept pending in the key store
// (storage/key_store.hpp, 'q' rows), carried by one GlobalPlatform PUT KEY (GP 2.3 §11.8) whose
// key data is wrapped under the KIK of the keyset the packet travels under, and checked on the
// PoR: the response data (KVN and one KCV per key, §11.8.3) must match the keys sent.
// The packet factory (ota_packets.cpp, keyset_update.cpp) calls these; they are pure so the
// unit tests can pin their bytes. docs/CAMPAIGNS.md "Keyset rotation".

#include <optional>
#include <string>

#include "actors/keyset_def.hpp"
#include "base/bytes.hpp"
#include "base/error.hpp"
#include "codec/iso7816_apdu.hpp"
#include "storage/key_store.hpp"

namespace otaflow::actors {

/// Draws the keyset a card gets: random keys for those `def` carries, the others (a keyset
/// replaced in place with fewer than three keys) from `target`, the card's current keyset of
/// version def.version (nullopt: the card has none, so all three keys must be carried).
/// `from` is the keyset the PUT KEY travels under. Errors name what is missing, never a key.
[[nodiscard]] result<storage::pending_keyset> draw_keyset(
    const keyset_update_def& def, std::uint8_t from,
    const std::optional<storage::keyset_keys>& target);

/// The PUT KEY C-APDU of a pending keyset, its keys wrapped under `kik` (the KIK of keyset
/// `ks.from`), with their KCVs.
[[nodiscard]] result<codec::command_apdu> put_key_apdu(const storage::pending_keyset& ks,
                                                       byte_view kik);

/// Checks a PUT KEY response (its data: KVN || KCV ...) against the pending keyset: the KVN and
/// every KCV must be those of the keys sent. The error says which differs, never a key.
[[nodiscard]] status check_put_key_response(const storage::pending_keyset& ks, byte_view data);

/// What a job's reason says when a keyset update ends other than done after a counter was
/// reserved: both keysets stay in the repository.
inline constexpr std::string_view keyset_uncertain_note =
    "card keyset uncertain: current and pending keysets kept, resolve with `otaflow subscribers "
    "keys resolve-keyset`";

/// Appends "; " and keyset_uncertain_note to `reason` unless it holds it. Returns whether it
/// changed the reason.
bool note_keyset_uncertain(std::string& reason);

}  // namespace otaflow::actors
