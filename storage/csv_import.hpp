#pragma once
// Import of a SIM vendor's personalisation output file (CSV):
//
//   iccid,imsi,msisdn,ki,opc,kic1,kid1,kik1[,kic2,kid2,kik2 ...][,extra...]
//
// Every field is validated (identifiers.hpp; keys are hex). A bad row is
// reported with its line number and the reason (never a key value) and
// skipped; the others are written in batches of synced WriteBatches, each card
// (subscriber record, indexes, sealed keys) atomically. Importing a card that
// exists replaces its record and keys (counters are kept). A row whose MSISDN or
// IMSI belongs to another card (earlier in the file, or in the repository) is
// rejected. Extra columns are refused unless known (vendor_csv.hpp: profile
// columns, declared attributes, PIN/PUK/ADM columns listed in ignored_columns);
// a column that looks like key material refuses the file.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <istream>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "storage/api.hpp"

namespace otaflow::storage {

/// A rejected row.
struct import_error {
  std::size_t line = 0;  ///< 1-based line of the file (the header is line 1)
  std::string reason;    ///< names the field, never its value if it is a key
};

/// What an import did.
struct import_summary {
  std::uint64_t imported = 0;                ///< new cards
  std::uint64_t updated = 0;                 ///< cards that existed and were replaced
  std::uint64_t rejected = 0;                ///< rows skipped
  std::vector<import_error> errors;          ///< the first max_errors rejections
  std::vector<std::string> ignored_columns;  ///< PIN/PUK/ADM columns, not read
};

/// Tuning of an import.
struct import_options {
  std::size_t batch_size = 1000;  ///< default 1000 cards per synced write (1-100000)
  std::size_t max_errors = 100;   ///< default 100 errors kept in the summary
  bool sync = true;               ///< default true: fsync each batch
  unsigned threads = 0;           ///< parsing and sealing workers; 0 = one per hardware thread
  /// Bulk load: batches skip the write-ahead log and the import ends with a flush of the
  /// memtables to disk. For a repository no other writer uses meanwhile (a crash during the
  /// import loses its unflushed part; importing the file again completes it).
  bool bulk = false;
  /// Extra columns to store as attributes besides subscription_type, vendor, card_profile
  /// (`--attribute NAME`); names that look like key material are refused.
  std::vector<std::string> attributes;
};

/// Key lengths accepted for KIc/KID/KIK: 3DES 2-key/AES-128, 3DES 3-key/AES-192, AES-256.
[[nodiscard]] bool ota_key_length_ok(std::size_t octets) noexcept;
/// Key lengths accepted for Ki/OPc: 128 bits (Milenage, TUAK) or 256 bits (TUAK).
[[nodiscard]] bool auth_key_length_ok(std::size_t octets) noexcept;

/// Imports CSV text; an error only for an unusable header or a failed write.
[[nodiscard]] result<import_summary> import_csv(state& st, std::istream& in,
                                                const import_options& options = {});
/// Opens and imports a file; errc::io if it cannot be read.
[[nodiscard]] result<import_summary> import_csv_file(state& st, const std::filesystem::path& file,
                                                     const import_options& options = {});

}  // namespace otaflow::storage
