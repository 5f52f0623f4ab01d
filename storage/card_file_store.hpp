#pragma once
// What the engine knows of a card's files: the content a campaign wrote to a transparent EF
// (UPDATE BINARY) and the card confirmed with a PoR OK. Campaign rules read it back to pick
// a card's update variant ("only cards whose EF_FPLMN is not already the new list"). One row
// per (card, file), written in the batch that makes the job `done`; the last write wins.
// Key: ICCID \0 path ("3F00/7FFF/6F7B", upper-case FIDs). docs/storage.md.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "storage/db.hpp"

namespace otaflow::storage {

/// The last content a campaign wrote to one file of one card.
struct known_file {
  std::uint16_t offset = 0;  ///< UPDATE BINARY offset of `data`
  bytes data;                ///< what was written at `offset`
  std::string campaign;      ///< the campaign that wrote it
  std::int64_t written_ms = 0;

  friend bool operator==(const known_file&, const known_file&) = default;
};

/// The card_files family. Thread-safe.
class card_file_store {
 public:
  explicit card_file_store(db& d) : db_(d) {}

  /// Stages the write of one file's known content.
  [[nodiscard]] status stage(rocksdb::WriteBatch& b, std::string_view iccid, std::string_view path,
                             const known_file& f) const;
  /// Writes one file's known content on its own.
  [[nodiscard]] status put(std::string_view iccid, std::string_view path, const known_file& f,
                           bool sync = true);
  /// The known content of a card's file, or nullopt when no campaign wrote it.
  [[nodiscard]] result<std::optional<known_file>> get(std::string_view iccid,
                                                      std::string_view path) const;

  /// Row key: ICCID \0 path.
  [[nodiscard]] static std::string row_key(std::string_view iccid, std::string_view path);
  /// The stored value: 01 · varint offset · str data · str campaign · varint written_ms.
  [[nodiscard]] static bytes encode(const known_file& f);
  /// Parses a stored value.
  [[nodiscard]] static result<known_file> decode(byte_view value);

 private:
  db& db_;
};

}  // namespace otaflow::storage
