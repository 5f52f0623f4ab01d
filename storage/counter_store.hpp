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
};

/// The counter store is the only writer of the counters family; it caches
/// values after their first read. Thread-safe: batches are serialised.
class counter_store {
 public:
  /// At most `cache_limit` counters stay cached (default 262,144: about 30 MB); past it the
  /// cache is emptied after a batch, so memory does not grow with the campaign's size.
  explicit counter_store(db& d, std::size_t cache_limit = 1u << 18)
      : db_(d), cache_limit_(cache_limit) {}

  /// The next counter for every request (a card asked twice gets two
  /// successive values), persisted in one synced write before returning. If
  /// any counter would pass 2^40-1 nothing is written and the error names the
  /// card and keyset (errc::conflict, permanent).
  [[nodiscard]] result<std::vector<std::uint64_t>> next(std::span<const counter_request> requests);
  /// The last counter handed out for a card's keyset (0 if none).
  [[nodiscard]] result<std::uint64_t> get(std::string_view iccid, std::uint8_t kvn);
  /// Sets a counter (synced), e.g. to skip ahead after a card reported
  /// "counter low"; lowering it is refused (errc::conflict): it would reuse values.
  [[nodiscard]] status set(std::string_view iccid, std::uint8_t kvn, std::uint64_t value);
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
