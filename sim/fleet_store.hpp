#pragma once
// Where a fleet keeps the state of the cards it touched: a RocksDB under --state DIR with
//   "m"           -> the fleet's identity (JSON: source generated/csv, seed, count, CSV path)
//   "c" + ICCID   -> card_state::encode() of the card
// Writes are unsynced by default (a simulator may lose the last writes in a machine crash;
// a process crash loses nothing: RocksDB's WAL is written before Put returns).
// The state is a simulator's: rotated Ki/OPc are stored in clear.

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "base/error.hpp"
#include "sim/uicc_card.hpp"

namespace otaflow::sim {

/// The RocksDB of a fleet's card states. Thread-safe.
class fleet_store {
 public:
  /// Opens (creating when allowed) the store in dir; read_only opens without taking the
  /// lock, so a running simulator's store can be inspected.
  /// flush_on_close false skips flushing the memtables at close (a store deleted after).
  [[nodiscard]] static result<std::unique_ptr<fleet_store>> open(const std::filesystem::path& dir,
                                                                 bool read_only = false,
                                                                 bool sync = false,
                                                                 bool flush_on_close = true);
  ~fleet_store();
  fleet_store(const fleet_store&) = delete;
  fleet_store& operator=(const fleet_store&) = delete;

  /// The recorded fleet identity (JSON), if any.
  [[nodiscard]] result<std::optional<std::string>> meta() const;
  /// Records the fleet identity.
  [[nodiscard]] status put_meta(std::string_view json);
  /// The stored state of a card, nullopt when it was never touched.
  [[nodiscard]] result<std::optional<card_state>> load(std::string_view iccid) const;
  /// Stores a card's state.
  [[nodiscard]] status save(std::string_view iccid, const card_state& st);
  /// Stores encoded card states (card_state::encode()) in one atomic write.
  [[nodiscard]] status save_encoded(std::span<const std::pair<std::string_view, byte_view>> cards);
  /// Whether any card state is stored.
  [[nodiscard]] result<bool> holds_cards() const;
  /// Visits every stored card (ICCID, state) in key order.
  [[nodiscard]] status for_each(
      const std::function<void(std::string_view iccid, const card_state&)>& fn) const;
  /// Flushes memtables to disk.
  [[nodiscard]] status flush();

 private:
  struct impl;
  explicit fleet_store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace otaflow::sim
