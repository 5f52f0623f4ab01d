#pragma once
// OTA counters (TS 102 225 §5.1.1 CNTR, 5 octets) per card and keyset
// version. Rule of the engine: a counter value is persisted (synced) before the
// packet that uses it leaves the process, so a crash never reuses one. The
// engine asks for a whole batch of cards at once and next() commits the batch
// with ONE synced RocksDB write (group commit: ~0.4 ms per synced write, so
// per-card writes would cap the engine near 2.5k packets/s).
//
// Stored value: the last counter handed out; 0 (or no row) means none yet, so
// the first packet carries 1.

#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/error.hpp"
#include "storage/db.hpp"

namespace otaflow::storage {

/// Largest counter: 40 bits (5 octets, TS 102 225 §5.1.1).
inline constexpr std::uint64_t counter_max = 0xFF'FFFF'FFFFull;

/// One counter wanted: the card and the keyset version whose counter advances.
/// The ICCID is borrowed: it must outlive the call.
struct counter_request {
  std::string_view iccid;
  std::uint8_t kvn = 0;
  /// Values to skip before this one (a card answered PoR 02 "counter low"): the request gets
  /// last + 1 + skip, and the values in between are never used.
  std::uint64_t skip = 0;
};

/// One stored counter row, as a scan finds it.
struct counter_row {
  std::string iccid;
  std::uint8_t kvn = 0;
  std::uint64_t value = 0;  ///< the last counter handed out
  std::string problem;      ///< non-empty: the row cannot be read (value is 0)
};

/// A counter to raise to at least `value` (never lowered). The ICCID is borrowed.
struct counter_raise {
  std::string_view iccid;
  std::uint8_t kvn = 0;
  std::uint64_t value = 0;
};

/// The counter store is the only writer of the counters family; it caches
/// values after their first read. Thread-safe: batches are serialised.
class counter_store {
 public:
  /// At most `cache_limit` counters stay cached (default 262,144: about 30 MB); past it the
  /// cache is emptied after a batch, so memory does not grow with the campaign's size.
  explicit counter_store(db& d, std::size_t cache_limit = 1u << 18)
      : db_(d), cache_limit_(cache_limit) {}

  /// The next counter for every request, one result each (a card asked twice gets two
  /// successive values), the good ones persisted in one synced write before returning. A
  /// request that cannot get one fails alone, its error naming the card and keyset
  /// (permanent): a bad request, a stored row that does not decode (errc::internal), a
  /// counter that would pass 2^40-1 (errc::conflict). The outer error (a failed read or
  /// synced write) means no counter of the batch was handed out.
  [[nodiscard]] result<std::vector<result<std::uint64_t>>> next(
      std::span<const counter_request> requests);
  /// The last counter handed out for a card's keyset (0 if none).
  [[nodiscard]] result<std::uint64_t> get(std::string_view iccid, std::uint8_t kvn);
  /// Sets a counter (synced), e.g. to skip ahead after a card reported
  /// "counter low"; lowering it is refused (errc::conflict): it would reuse values.
  [[nodiscard]] status set(std::string_view iccid, std::uint8_t kvn, std::uint64_t value);
  /// Raises counters to at least the given values in one synced write, with `extra` (e.g.
  /// an audit record staged by the caller) in the same batch; returns each row's value
  /// before. A row already at or above its value is left as it is; a bad request or an
  /// unreadable row fails the whole call and writes nothing.
  [[nodiscard]] result<std::vector<std::uint64_t>> raise(std::span<const counter_raise> raises,
                                                         rocksdb::WriteBatch& extra);
  /// Every stored row whose ICCID is `iccid` (all rows when empty), in key order.
  [[nodiscard]] result<std::vector<counter_row>> scan(std::string_view iccid = {}) const;
  /// The same, one row at a time (an export of every card's counters).
  [[nodiscard]] status scan(std::string_view iccid,
                            const std::function<void(const counter_row&)>& visit) const;
  /// Drops cached values (memory); the next use rereads them.
  void clear_cache();
  /// Number of cached counters.
  [[nodiscard]] std::size_t cached() const;

  /// Row key: ICCID \0 KVN.
  [[nodiscard]] static std::string row_key(std::string_view iccid, std::uint8_t kvn);

 private:
  [[nodiscard]] result<std::uint64_t> load_locked(const std::string& key);

  db& db_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::uint64_t> cache_;
  std::size_t cache_limit_;
};

}  // namespace otaflow::storage
