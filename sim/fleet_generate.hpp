#pragma once
// Deterministic fleets: card i of a seed has
//   ICCID  = 894699 + i (12 digits) + Luhn check digit      (19 digits, ITU-T E.118)
//   IMSI   = 00101 + i (10 digits)                          (MCC 001, MNC 01 test network)
//   MSISDN = 4670 + i (8 digits)                            (12 digits)
//   Ki, OPc, KIc1, KID1, KIK1 = HMAC-SHA256(seed, i as 8 octets big-endian || label)[0..15]
//   with the labels "ki", "opc", "kic1", "kid1", "kik1".
// The index is parsed back from an MSISDN or ICCID, so a fleet of ten million cards needs no
// table. `otaflow fleet generate` writes the CSV (header exactly
// iccid,imsi,msisdn,ki,opc,kic1,kid1,kik1) and a sidecar <csv>.meta (JSON: seed, count,
// numbering) by which the fleet recognises a generated file.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "sim/uicc_card.hpp"

namespace otaflow::sim {

/// The CSV header of a generated fleet (also what storage's vendor import reads).
inline constexpr std::string_view fleet_csv_header = "iccid,imsi,msisdn,ki,opc,kic1,kid1,kik1";

/// Number layout of a generated fleet.
struct fleet_numbering {
  std::string iccid_prefix = "894699";  ///< 89 telecom, 46 country, 99 issuer
  std::string imsi_prefix = "00101";    ///< MCC 001 MNC 01 (test PLMN)
  std::string msisdn_prefix = "4670";
  unsigned iccid_digits = 19;  ///< including the Luhn check digit
  unsigned imsi_digits = 15;
  unsigned msisdn_digits = 12;

  /// Largest card count the layout can number.
  [[nodiscard]] std::uint64_t capacity() const noexcept;
  /// Ok when the prefixes are digits and leave room for an index in every number.
  [[nodiscard]] status check() const;
  friend bool operator==(const fleet_numbering&, const fleet_numbering&) = default;
};

/// The Luhn check digit ('0'..'9') to append to digits (ITU-T E.118 / ISO/IEC 7812-1).
[[nodiscard]] char luhn_check_digit(std::string_view digits) noexcept;
/// Whether the last digit of a number is its Luhn check digit.
[[nodiscard]] bool luhn_valid(std::string_view number) noexcept;

/// Derives the cards of a seed. Not thread-safe (it keeps a keyed HMAC context): one per
/// thread.
class fleet_deriver {
 public:
  /// A deriver for a non-empty seed and a checked numbering.
  [[nodiscard]] static result<fleet_deriver> create(std::string_view seed,
                                                    fleet_numbering numbering = {});
  fleet_deriver(fleet_deriver&&) noexcept;
  fleet_deriver& operator=(fleet_deriver&&) noexcept;
  ~fleet_deriver();

  /// Card i: numbers and keys (keyset 1 = kic1/kid1/kik1).
  [[nodiscard]] card_identity card(std::uint64_t index);
  /// One 16-octet key of card i for a label ("ki", "opc", "kic1", ...).
  [[nodiscard]] key16 key(std::uint64_t index, std::string_view label);
  /// Card i's numbers.
  [[nodiscard]] std::string iccid(std::uint64_t index) const;
  [[nodiscard]] std::string imsi(std::uint64_t index) const;
  [[nodiscard]] std::string msisdn(std::uint64_t index) const;
  /// The index of an MSISDN ('+' and the digits of the layout), or nullopt.
  [[nodiscard]] std::optional<std::uint64_t> index_of_msisdn(std::string_view msisdn) const;
  /// The index of an ICCID (prefix, digits and Luhn digit checked), or nullopt.
  [[nodiscard]] std::optional<std::uint64_t> index_of_iccid(std::string_view iccid) const;
  /// Appends card i's CSV row (with '\n').
  void csv_row(std::uint64_t index, std::string& out);

  [[nodiscard]] const fleet_numbering& numbering() const noexcept { return numbering_; }

 private:
  struct impl;
  explicit fleet_deriver(std::unique_ptr<impl> p, fleet_numbering n);
  std::unique_ptr<impl> impl_;
  fleet_numbering numbering_;
};

/// The sidecar of a generated CSV.
struct fleet_meta {
  std::string seed;
  std::uint64_t count = 0;
  fleet_numbering numbering;
};

/// The JSON text of a meta sidecar.
[[nodiscard]] std::string fleet_meta_json(const fleet_meta& m);
/// Parses a meta sidecar; errors name the field.
[[nodiscard]] result<fleet_meta> parse_fleet_meta(std::string_view json);
/// The sidecar path of a CSV: "<csv>.meta".
[[nodiscard]] std::filesystem::path fleet_meta_path(const std::filesystem::path& csv);
/// Reads the sidecar of a CSV; nullopt when there is none.
[[nodiscard]] result<std::optional<fleet_meta>> read_fleet_meta(const std::filesystem::path& csv);

/// Writes the CSV of cards 0..count-1 of a seed and its sidecar. Deterministic: the same
/// seed and count give the same bytes. threads > 1 derives in parallel.
[[nodiscard]] status write_fleet_csv(const std::filesystem::path& csv, std::string_view seed,
                                     std::uint64_t count, unsigned threads = 1);

}  // namespace otaflow::sim
