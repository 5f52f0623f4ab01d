#pragma once
// One card as a Kafka record of the subscribers topic (`ota.subscribers`, key = ICCID): every
// row the vendor import (csv_import.hpp) writes for that card, so another instance can apply
// the import's outcome to its own state directory. Sealed key rows travel as they are (sealed
// under the KEK, bound to their row key): keys are never in clear. Pending rotations ('p'),
// the issued sequence ('s'), counters, jobs and card files are the instance's own and never
// travel. Layout (docs/storage.md "Card records"):
//
//   01 · n × (column octet · str row key · str row value)
//
// with the column octet of storage::column (subscribers 00, keys 01, by_msisdn 07, by_imsi 08).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/write_batch.h>

#include "base/error.hpp"
#include "storage/api.hpp"

namespace otaflow::storage {

/// Version octet of an encoded card record.
inline constexpr std::uint8_t card_record_version = 1;

/// One row of a card record, as stored in its column family.
struct card_row {
  column col = column::subscribers;
  std::string key;
  std::string value;

  friend bool operator==(const card_row&, const card_row&) = default;
};

/// A card's rows: its subscriber record, its index rows, its sealed Ki/OPc and keyset rows.
struct card_record {
  std::string iccid;
  std::vector<card_row> rows;

  friend bool operator==(const card_record&, const card_record&) = default;
};

/// What apply_card did.
enum class apply_outcome {
  added,      ///< the card was new to the state directory
  replaced,   ///< the card existed; its record and keys were replaced (counters kept)
  unchanged,  ///< the same record and the same keys were there already: nothing staged
};

/// The name of an outcome ("added", "replaced", "unchanged").
[[nodiscard]] std::string_view outcome_name(apply_outcome o) noexcept;

/// Encodes the card's rows read from `d` (the record value of the subscribers topic);
/// errc::not_found if it has no subscriber record, errc::conflict if an index row of its
/// MSISDN or IMSI names another card.
[[nodiscard]] result<std::string> encode_card(const db& d, std::string_view iccid);

/// Decodes and checks a record of the subscribers topic: `iccid_key` is the record's key.
/// Strict: version, lengths, families, exactly one subscriber row keyed by the ICCID, index
/// rows matching its MSISDN/IMSI, key rows ICCID \0 'a' or ICCID \0 'k' KVN matching its keyset
/// versions. Errors name the ICCID and what is wrong, never a key row's value.
[[nodiscard]] result<card_record> decode_card(std::string_view iccid_key, std::string_view value);

/// Stages into `out` what the local vendor import does for this card: replaces its subscriber
/// record (moving index rows when its MSISDN or IMSI changed) and its Ki/OPc and keyset rows,
/// keeping pending rotations, the issued sequence and counters. errc::conflict (naming the
/// ICCID, the identifier and its holder) if the MSISDN or IMSI belongs to another card;
/// errc::verification if a key row does not open under this state's KEK. `unchanged` (nothing
/// staged) when the stored record and the stored keys, opened, equal the record's. Reads the
/// committed state: commit `out` before applying a later record of the same card or numbers.
[[nodiscard]] result<apply_outcome> apply_card(state& st, const card_record& rec,
                                               rocksdb::WriteBatch& out);

}  // namespace otaflow::storage
