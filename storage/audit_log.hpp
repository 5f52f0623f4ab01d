#pragma once
// The audit log: an append-only record of what the engine did to which card
// (submit, delivery receipt, PoR, counter use, state change). Keys are a
// monotonically increasing sequence number (u64 big-endian, so RocksDB order
// is numeric order); the next number is recovered at open from the last key.
// Records are staged into the same WriteBatch as the state change they
// describe. Never put key material in `details`.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "storage/db.hpp"

namespace otaflow::storage {

/// What an audit record reports.
enum class audit_type : std::uint8_t {
  submit = 1,          ///< a packet was submitted (submit_sm)
  receipt = 2,         ///< a delivery receipt arrived
  por = 3,             ///< a Proof-of-Receipt arrived
  counter_use = 4,     ///< an OTA counter value was used
  state = 5,           ///< a job changed state
  key_resolution = 6,  ///< an operator resolved a card's pending key rotation (keys resolve)
  counter_set = 7,     ///< an operator raised OTA counters (`subscribers counters`)
  undelivered = 8,     ///< serve gave up producing a record (details: topic, key, payload, reason)
  control = 9,         ///< a campaign was paused, resumed or cancelled (details: JSON)
  alert = 10,          ///< an alert was raised or cleared (details: the alert as JSON)
};

/// "submit", "receipt", "por", "counter_use", "state", "key_resolution", "counter_set",
/// "undelivered", "control", "alert".
[[nodiscard]] std::string_view name(audit_type t) noexcept;

/// One audit record.
struct audit_event {
  std::int64_t time_ms = 0;  ///< Unix time in ms; 0 = filled in when staged
  std::string campaign;
  std::string iccid;
  audit_type type = audit_type::state;
  std::string details;  ///< free text or JSON; never key material

  friend bool operator==(const audit_event&, const audit_event&) = default;
};

/// A stored record with its sequence number.
struct audit_entry {
  std::uint64_t seq = 0;
  audit_event event;
};

/// The audit family. Thread-safe; sequence numbers are unique, increasing in
/// staging order, and may have gaps (a staged batch that was never committed).
class audit_log {
 public:
  /// Opens the log and recovers the next sequence number from the last record.
  [[nodiscard]] static result<std::unique_ptr<audit_log>> open(db& d);

  /// Stages a record into a batch; returns its sequence number.
  std::uint64_t stage(rocksdb::WriteBatch& b, const audit_event& e);
  /// Appends one record on its own.
  [[nodiscard]] status append(const audit_event& e, bool sync);
  /// Up to max records with seq >= from, in order.
  [[nodiscard]] result<std::vector<audit_entry>> read(std::uint64_t from, std::size_t max) const;
  /// Every record with seq >= from, in order, through `fn` (a scan; false from fn stops it).
  [[nodiscard]] status scan(std::uint64_t from,
                            const std::function<bool(const audit_entry&)>& fn) const;
  /// Number of records (a full scan: for operations and tests).
  [[nodiscard]] result<std::uint64_t> count() const;
  /// The number the next staged record gets.
  [[nodiscard]] std::uint64_t next_seq() const noexcept { return next_.load(); }

  /// The stored value of a record.
  [[nodiscard]] static bytes encode(const audit_event& e);
  /// Parses a stored value.
  [[nodiscard]] static result<audit_event> decode(byte_view value);

 private:
  explicit audit_log(db& d) : db_(d) {}
  db& db_;
  std::atomic<std::uint64_t> next_{1};
};

/// Unix time now, in milliseconds.
[[nodiscard]] std::int64_t now_ms() noexcept;

}  // namespace otaflow::storage
