#pragma once
// Card keys at rest, sealed with AES-256-GCM under the KEK (key_cipher.hpp).
// One row per card and slot: the network authentication keys (Ki, OPc) and
// one row per OTA keyset version (KIc, KID, KIK of TS 102 225 §5.1.2/§5.1.3).
// The row key (ICCID + slot) is the associated data of the seal, so a value
// moved to another card's or keyset's row fails to open.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

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

/// Sealed key rows. Thread-safe.
class key_store {
 public:
  explicit key_store(db& d) : db_(d) {}

  /// Seals and writes a card's keys, replacing all its previous key rows.
  [[nodiscard]] status put(std::string_view iccid, const card_keys& keys, bool sync = true);
  /// Stages put() into a batch (reads the card's current rows to drop stale keysets).
  [[nodiscard]] status stage_put(rocksdb::WriteBatch& b, std::string_view iccid,
                                 const card_keys& keys) const;
  /// Stages the removal of every key row of a card.
  [[nodiscard]] status stage_erase(rocksdb::WriteBatch& b, std::string_view iccid) const;

  /// All keys of a card; errc::not_found if it has none, errc::verification
  /// if a row does not open under the KEK and its own row key.
  [[nodiscard]] result<card_keys> get(std::string_view iccid) const;
  /// One keyset (what the engine needs per packet); errc::not_found if absent.
  [[nodiscard]] result<keyset_keys> get_keyset(std::string_view iccid, std::uint8_t kvn) const;

  /// Row key of the Ki/OPc row: ICCID \0 'a'.
  [[nodiscard]] static std::string auth_row(std::string_view iccid);
  /// Row key of a keyset row: ICCID \0 'k' KVN.
  [[nodiscard]] static std::string keyset_row(std::string_view iccid, std::uint8_t kvn);

 private:
  [[nodiscard]] result<std::optional<bytes>> open_row(const std::string& row) const;
  db& db_;
};

}  // namespace otaflow::storage
