#pragma once
// Subscribers (one record per card, keyed by ICCID) and their secondary
// indexes by MSISDN (to correlate mobile-originated PoRs with a card) and by
// IMSI. Campaign targets over millions of cards are expanded lazily with
// scan(): pages of N subscribers after a given ICCID, optionally filtered.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "storage/db.hpp"

namespace otaflow::storage {

/// One card's profile. No key material here: keys live in key_store.
struct subscriber {
  std::string iccid;
  std::string imsi;
  std::string msisdn;                             ///< may be empty (data-only card)
  std::map<std::string, std::string> attributes;  ///< e.g. subscription_type, vendor, card_profile
  std::vector<std::uint8_t> keyset_versions;      ///< OTA keysets present (KVN 0-15), ascending

  friend bool operator==(const subscriber&, const subscriber&) = default;
};

/// Which subscribers a scan returns; empty members match everything.
struct subscriber_filter {
  std::string iccid_prefix;                       ///< ICCID starts with this
  std::string imsi_prefix;                        ///< IMSI starts with this (e.g. MCC+MNC)
  std::map<std::string, std::string> attributes;  ///< every pair must be present and equal

  /// Whether s passes the filter.
  [[nodiscard]] bool matches(const subscriber& s) const;
};

/// One page of a scan.
struct subscriber_page {
  std::vector<subscriber> items;  ///< in ICCID order
  std::string resume_after;       ///< the last ICCID examined: pass it as `after` to continue
  bool end = false;               ///< true when no subscriber is left after resume_after
};

/// Subscriber records and the MSISDN/IMSI indexes. Thread-safe, but writes of
/// the same ICCID must not run concurrently (index maintenance reads first).
class subscriber_store {
 public:
  explicit subscriber_store(db& d) : db_(d) {}

  /// Validates (ICCID Luhn, IMSI, MSISDN, KVNs) and writes one subscriber.
  [[nodiscard]] status put(const subscriber& s, bool sync = true);
  /// Stages a write into a batch; `old` is the stored record (nullptr if new)
  /// so that index entries it owned are moved.
  [[nodiscard]] status stage_put(rocksdb::WriteBatch& b, const subscriber& s,
                                 const subscriber* old) const;
  /// Stages the removal of a subscriber and of the index entries it owns.
  [[nodiscard]] status stage_erase(rocksdb::WriteBatch& b, const subscriber& old) const;
  /// Removes one subscriber (its keys and counters stay: see storage::state::erase_card).
  [[nodiscard]] status erase(std::string_view iccid, bool sync = true);

  /// One subscriber, or nullopt if unknown.
  [[nodiscard]] result<std::optional<subscriber>> get(std::string_view iccid) const;
  /// Many subscribers with one RocksDB MultiGet; entries align with iccids.
  [[nodiscard]] result<std::vector<std::optional<subscriber>>> get_many(
      std::span<const std::string> iccids) const;

  /// Up to max_items subscribers with ICCID > after (empty: from the first)
  /// that pass the filter, examining at most max_examined records so a
  /// selective filter cannot stall the caller; continue from resume_after.
  [[nodiscard]] result<subscriber_page> scan(std::string_view after, std::size_t max_items,
                                             const subscriber_filter& filter = {},
                                             std::size_t max_examined = 100000) const;

  /// The ICCID of the card that holds this MSISDN, or nullopt.
  [[nodiscard]] result<std::optional<std::string>> find_by_msisdn(std::string_view msisdn) const;
  /// The ICCID of the card that holds this IMSI, or nullopt.
  [[nodiscard]] result<std::optional<std::string>> find_by_imsi(std::string_view imsi) const;

  /// The stored value of a subscriber (the key, the ICCID, is not repeated).
  [[nodiscard]] static bytes encode(const subscriber& s);
  /// Parses a stored value; errc::truncated/bad_value name the ICCID.
  [[nodiscard]] static result<subscriber> decode(std::string_view iccid, byte_view value);
  /// Checks every field the store relies on.
  [[nodiscard]] static status validate(const subscriber& s);

 private:
  db& db_;
};

}  // namespace otaflow::storage
