#pragma once
// The SIM vendor CSV format: line splitting, the header's column rules and one row's fields.
// Pure functions, no database: csv_import.cpp runs them on its workers, and the fuzz target
// tests/fuzz/csv_import.cpp feeds them arbitrary text.
//
// Columns (case-insensitive; docs/storage.md "Importing a vendor file"):
//   identity   iccid, imsi (required), msisdn (optional)
//   keys       ki, opc (required), kicN, kidN, kikN for keysets N = 1..15: sealed
//   profile    subscription_type, vendor, card_profile: stored as attributes
//   declared   any other name given as import_options::attributes (--attribute NAME)
//   unused     pin1, pin2, puk1, puk2, adm1..adm4: card secrets otaflow never needs,
//              read as nothing and listed in ignored_columns
// Any other column refuses the file. A column that looks like key material
// (key_material_word) and is not a key column above refuses the file even when declared.

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "storage/key_store.hpp"
#include "storage/subscriber_store.hpp"

namespace otaflow::storage::vendor_csv {

/// Highest keyset version with key columns (KVN is a 4-bit field of KIc/KID; 0 is unused).
inline constexpr std::size_t max_keysets = 15;

/// Extra columns stored as attributes without being declared (the conditions of
/// docs/CAMPAIGNS.md have shortcuts for them).
inline constexpr std::array<std::string_view, 3> profile_columns = {"subscription_type", "vendor",
                                                                    "card_profile"};

/// Card secrets vendor files carry that otaflow never uses: not read, listed as ignored.
inline constexpr std::array<std::string_view, 8> unused_secret_columns = {
    "pin1", "pin2", "puk1", "puk2", "adm1", "adm2", "adm3", "adm4"};

/// Words that mark a column as key material or another card secret.
inline constexpr std::array<std::string_view, 13> key_words = {
    "k", "ki", "eki", "op", "opc", "kic", "kid", "kik", "kek", "pin", "puk", "adm", "psk"};
/// Parts of a word that mark it the same way wherever they appear in it.
inline constexpr std::array<std::string_view, 3> key_word_parts = {"key", "secret", "pass"};

/// Why a column name looks like key material ("word 'opc'"), or nullopt. The name is
/// lower-cased and cut into words at every character that is not a letter (digits, '_',
/// '-', '.', spaces...); it looks like key material when one word is in key_words or
/// contains one of key_word_parts, or when its letters alone spell a key_words entry
/// ("k_i" -> "ki").
[[nodiscard]] std::optional<std::string> key_material_word(std::string_view column);

/// Splits one CSV line (RFC 4180 quoting within the line; fields are trimmed). nullopt: an
/// unterminated quote (fields spanning lines are not supported).
[[nodiscard]] std::optional<std::vector<std::string>> split_line(std::string_view line);

/// Where the columns of a file are.
struct layout {
  std::size_t columns = 0;
  std::size_t iccid = 0, imsi = 0, ki = 0, opc = 0;
  std::optional<std::size_t> msisdn;
  struct keyset_cols {
    std::uint8_t kvn;
    std::size_t kic, kid, kik;
  };
  std::vector<keyset_cols> keysets;
  std::vector<std::pair<std::size_t, std::string>> attributes;  ///< (column, lower-case name)
  std::vector<std::string> ignored;                             ///< unused_secret_columns present
};

/// Checks declared attribute names (import_options::attributes): not empty, not key material.
[[nodiscard]] status check_declared(std::span<const std::string> declared);

/// Reads the header line's fields. `declared`: extra columns to store as attributes. The
/// error names every refused column and why.
[[nodiscard]] result<layout> parse_header(const std::vector<std::string>& names,
                                          std::span<const std::string> declared = {});

/// One card read from a row.
struct card_row {
  subscriber sub;
  card_keys keys;
};

/// Validates one row's fields against the layout; errors name the field, never a key value.
[[nodiscard]] result<card_row> parse_row(const layout& l, const std::vector<std::string>& fields);

}  // namespace otaflow::storage::vendor_csv
