#pragma once
// Card keys at rest, sealed with AES-256-GCM under the KEK (secure/key_cipher.hpp).
// One row per card and slot: the network authentication keys (Ki, OPc) and
// one row per OTA keyset version (KIc, KID, KIK of TS 102 225 §5.1.2/§5.1.3).
// The row key (ICCID + slot) is the associated data of the seal, so a value
// moved to another card's or keyset's row fails to open.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "storage/db.hpp"
#include "storage/secret.hpp"

namespace otaflow::storage {

/// The keys of one OTA keyset version (the KVN in KIc/KID b8-b5).
struct keyset_keys {
  secret kic;  ///< ciphering key
  secret kid;  ///< cryptographic checksum key
  secret kik;  ///< key-encryption key of the card (for PUT KEY)

  friend bool operator==(const keyset_keys&, const keyset_keys&) = default;
};

/// All keys of one card.
struct card_keys {
  secret ki;                                    ///< subscriber key K (Milenage/TUAK); may be empty
  secret opc;                                   ///< OPc; may be empty
  std::map<std::uint8_t, keyset_keys> keysets;  ///< by keyset version 0-15

  friend bool operator==(const card_keys&, const card_keys&) = default;
};

/// A Ki/OPc drawn for a key rotation campaign (update.keys), held until the card's PoR says
/// it installed them (docs/storage.md "pending keys").
struct pending_auth_keys {
  secret ki;
  secret opc;
  std::uint32_t sequence = 0;  ///< of the key rotation file that carries them (1..2^32-1)

  friend bool operator==(const pending_auth_keys&, const pending_auth_keys&) = default;
};

/// A pending key rotation of a card, without its keys (what operators may see).
struct pending_rotation {
  std::string campaign;
  std::uint32_t sequence = 0;

  friend bool operator==(const pending_rotation&, const pending_rotation&) = default;
};

/// A new OTA keyset drawn for a PUT KEY campaign (update.keyset), held until the card's PoR
/// proves it (docs/storage.md "pending keysets"). `keys` is the whole keyset the card holds as
/// version `version` once the PUT KEY ran: the keys it carried and, for a keyset replaced in
/// place with fewer than three keys, the ones it kept.
struct pending_keyset {
  std::uint8_t version = 0;       ///< the new KVN (1..15)
  std::uint8_t replace = 0;       ///< PUT KEY P1: the KVN replaced, 0 = a new keyset
  std::uint8_t from = 0;          ///< the keyset the PUT KEY came under (its KIK wrapped the keys)
  bool aes = true;                ///< key type 88 (AES) or 80 (DES)
  std::uint8_t first_key_id = 1;  ///< the keys carried: ids first_key_id .. +count-1
  std::uint8_t count = 3;
  keyset_keys keys;

  friend bool operator==(const pending_keyset&, const pending_keyset&) = default;
};

/// A pending keyset of a card without its keys (what operators may see).
struct pending_keyset_info {
  std::string campaign;
  std::uint8_t version = 0;
  std::uint8_t replace = 0;
  std::uint8_t from = 0;
  bool aes = true;

  friend bool operator==(const pending_keyset_info&, const pending_keyset_info&) = default;
};

/// A card's key rows sealed under the KEK, ready to be staged. Sealing (AES-GCM) is the
/// costly part of an import; it runs on worker threads while one writer stages.
struct sealed_keys {
  std::vector<std::pair<std::string, std::string>> rows;  ///< (row key, sealed value)
};

/// Sealed key rows. Thread-safe.
class key_store {
 public:
  explicit key_store(db& d) : db_(d) {}

  /// Seals and writes a card's keys, replacing its previous Ki/OPc and keyset rows (pending
  /// rotation keys and the issued sequence stay).
  [[nodiscard]] status put(std::string_view iccid, const card_keys& keys, bool sync = true);
  /// Stages put() into a batch (reads the card's current rows to drop stale keysets).
  [[nodiscard]] status stage_put(rocksdb::WriteBatch& b, std::string_view iccid,
                                 const card_keys& keys) const;
  /// Seals a card's Ki/OPc and keyset rows without touching the database.
  [[nodiscard]] result<sealed_keys> seal_rows(std::string_view iccid, const card_keys& keys) const;
  /// Stages rows from seal_rows(). `replace`: the card may have rows already (its subscriber
  /// record exists), so its current Ki/OPc and keyset rows are dropped first; a card new to
  /// the repository has none and the scan is skipped.
  [[nodiscard]] status stage_sealed_rows(rocksdb::WriteBatch& b, std::string_view iccid,
                                         const sealed_keys& rows, bool replace) const;
  /// Stages the removal of every key row of a card except its issued rotation sequence
  /// (like its OTA counters, it must not restart should the ICCID come back).
  [[nodiscard]] status stage_erase(rocksdb::WriteBatch& b, std::string_view iccid) const;

  /// All keys of a card; errc::not_found if it has none, errc::verification
  /// if a row does not open under the KEK and its own row key.
  [[nodiscard]] result<card_keys> get(std::string_view iccid) const;
  /// Opens sealed Ki/OPc and keyset rows of `iccid` that are not (yet) in the database, e.g. a
  /// card record received from Kafka (storage/card_record.hpp): errc::verification if a row does
  /// not open under this KEK and its row key, errc::bad_value for a row of another card or slot.
  [[nodiscard]] result<card_keys> open_sealed(std::string_view iccid,
                                              const sealed_keys& rows) const;
  /// One keyset (what the engine needs per packet); errc::not_found if absent.
  [[nodiscard]] result<keyset_keys> get_keyset(std::string_view iccid, std::uint8_t kvn) const;
  /// One keyset of each of many cards, read together (one MultiGet): entry i is what
  /// get_keyset(wanted[i].first, wanted[i].second) answers.
  [[nodiscard]] std::vector<result<keyset_keys>> get_keysets(
      std::span<const std::pair<std::string_view, std::uint8_t>> wanted) const;

  // ---- key rotation (update.keys) -------------------------------------------------------
  // A campaign's new Ki/OPc for a card is staged as pending (sealed, bound to card and
  // campaign) before its packet leaves; the card's PoR OK makes it the card's Ki/OPc, a
  // job that ends before any packet could leave drops it; any other end keeps it (the card
  // may hold it) until an operator resolves it (`otaflow subscribers keys resolve`). The highest
  // key-file sequence ever issued to a card is kept apart and survives re-imports and erase_card,
  // so a sequence number is never issued twice.

  /// The pending Ki/OPc of (card, campaign), if any.
  [[nodiscard]] result<std::optional<pending_auth_keys>> get_pending(
      std::string_view iccid, std::string_view campaign) const;
  /// Whether pending keys of (card, campaign) exist (the row is not opened).
  [[nodiscard]] result<bool> has_pending(std::string_view iccid, std::string_view campaign) const;
  /// Every pending rotation of a card (campaign, sequence), by campaign id; never the keys.
  [[nodiscard]] result<std::vector<pending_rotation>> list_pending(std::string_view iccid) const;
  /// The highest key rotation file sequence issued to the card (0: none).
  [[nodiscard]] result<std::uint32_t> issued_sequence(std::string_view iccid) const;
  /// Stages pending keys of (card, campaign) and records their sequence as the card's highest.
  [[nodiscard]] status stage_pending(rocksdb::WriteBatch& b, std::string_view iccid,
                                     std::string_view campaign,
                                     const pending_auth_keys& keys) const;
  /// Stages making the pending keys of (card, campaign) the card's Ki/OPc (and removing the
  /// pending row); false when none were pending (nothing staged).
  [[nodiscard]] result<bool> stage_commit_pending(rocksdb::WriteBatch& b, std::string_view iccid,
                                                  std::string_view campaign) const;
  /// Stages dropping the pending keys of (card, campaign); false when none were pending.
  [[nodiscard]] result<bool> stage_drop_pending(rocksdb::WriteBatch& b, std::string_view iccid,
                                                std::string_view campaign) const;

  // ---- keyset rotation (update.keyset; key_store_keysets.cpp) ---------------------------
  // The same life as pending Ki/OPc: staged (synced) before the PUT KEY leaves, made the card's
  // keyset row `version` by a PoR OK whose KCVs match, dropped when no packet could have left,
  // kept otherwise beside the current keyset until `subscribers keys resolve` settles it.

  /// The pending keyset of (card, campaign), if any.
  [[nodiscard]] result<std::optional<pending_keyset>> get_pending_keyset(
      std::string_view iccid, std::string_view campaign) const;
  /// Whether a pending keyset of (card, campaign) exists (the row is not opened).
  [[nodiscard]] result<bool> has_pending_keyset(std::string_view iccid,
                                                std::string_view campaign) const;
  /// Every pending keyset of a card, by campaign id; never the keys.
  [[nodiscard]] result<std::vector<pending_keyset_info>> list_pending_keysets(
      std::string_view iccid) const;
  /// Stages a pending keyset of (card, campaign). Errors name the field (version, key sizes).
  [[nodiscard]] status stage_pending_keyset(rocksdb::WriteBatch& b, std::string_view iccid,
                                            std::string_view campaign,
                                            const pending_keyset& ks) const;
  /// Stages making the pending keyset the card's keyset row `version` (and removing the
  /// pending row); false when none was pending.
  [[nodiscard]] result<bool> stage_commit_pending_keyset(rocksdb::WriteBatch& b,
                                                         std::string_view iccid,
                                                         std::string_view campaign) const;
  /// Stages dropping the pending keyset of (card, campaign); false when none was pending.
  [[nodiscard]] result<bool> stage_drop_pending_keyset(rocksdb::WriteBatch& b,
                                                       std::string_view iccid,
                                                       std::string_view campaign) const;
  /// Row key of a pending keyset: ICCID \0 'q' campaign id.
  [[nodiscard]] static std::string pending_keyset_row(std::string_view iccid,
                                                      std::string_view campaign);

  /// The associated data a row's value is sealed with (the KEK rotation re-seals with it).
  [[nodiscard]] static bytes row_aad(const std::string& row);
  /// Row key of the Ki/OPc row: ICCID \0 'a'.
  [[nodiscard]] static std::string auth_row(std::string_view iccid);
  /// Row key of a keyset row: ICCID \0 'k' KVN.
  [[nodiscard]] static std::string keyset_row(std::string_view iccid, std::uint8_t kvn);
  /// Row key of a pending Ki/OPc: ICCID \0 'p' campaign id.
  [[nodiscard]] static std::string pending_row(std::string_view iccid, std::string_view campaign);
  /// Row key of the highest issued key rotation sequence: ICCID \0 's' (not sealed).
  [[nodiscard]] static std::string sequence_row(std::string_view iccid);

 private:
  [[nodiscard]] result<std::optional<bytes>> open_row(const std::string& row) const;
  /// Stages deleting `row` when it exists; false when it does not (nothing staged).
  [[nodiscard]] result<bool> stage_erase_row(rocksdb::WriteBatch& b, const std::string& row) const;
  /// Stages deleting the card's rows whose slot (the octets after ICCID \0) `drop` selects.
  [[nodiscard]] status stage_erase_slots(rocksdb::WriteBatch& b, std::string_view iccid,
                                         bool (*drop)(std::string_view slot)) const;
  [[nodiscard]] status stage_sealed(rocksdb::WriteBatch& b, const std::string& row,
                                    bytes& plain) const;
  db& db_;
};

}  // namespace otaflow::storage
