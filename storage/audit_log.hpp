#pragma once
// The audit log: an append-only record of what the engine did to which card
// (submit, delivery receipt, PoR, counter use, state change). Keys are a
// monotonically increasing sequence number (u64 big-endian, so RocksDB order
// is numeric order); the next number is recovered at open from the last key.
// Records are staged into the same WriteBatch as the state change they
// describe. Never put key material in `details`.
//
// Tamper evidence (docs/AUDIT.md): every record (format 2) carries `link`, the chain hash
// of the record staged before it; the chain hash of record N is SHA-256(be64(N) || its
// stored value). With a signing key, a `checkpoint` record signs (N, chain hash of N) with
// Ed25519 every `checkpoint_every` records and when the log closes. At open, sequence
// numbers staged but never committed before the previous process ended are declared in a
// `recovery` record. storage/audit_verify.hpp checks all of it.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "secure/signing.hpp"
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
  checkpoint = 11,     ///< a signed checkpoint of the chain (details: seq, hash, key, sig)
  recovery = 12,       ///< sequence numbers staged and never committed (details: missing ranges)
  campaign = 13,       ///< a campaign definition was stored or changed (details: SHA-256, who)
  import = 14,         ///< subscribers were imported (details: file, SHA-256, counts, who)
  kek_rotation = 15,   ///< a KEK rotation started or finished (details: from, to, rows, who)
};

/// "submit", "receipt", "por", "counter_use", "state", "key_resolution", "counter_set",
/// "undelivered", "control", "alert", "checkpoint", "recovery", "campaign", "import",
/// "kek_rotation".
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
  bool chained = false;          ///< format 2: `link` is set (format 1 predates the chain)
  secure::sha256_digest link{};  ///< the chain hash of the record staged before this one
};

/// The chain hash of record `seq` whose stored value is `value`: SHA-256(be64(seq) || value).
[[nodiscard]] secure::sha256_digest audit_chain_hash(std::uint64_t seq, byte_view value);
/// What a checkpoint signs: "otaflow-audit-checkpoint-v1" || be64(seq) || hash.
[[nodiscard]] bytes checkpoint_message(std::uint64_t seq, const secure::sha256_digest& hash);

/// Audit records older than the last checkpoint by up to this many sequence numbers may still
/// be declared missing at open (they were staged before the checkpoint and committed after).
inline constexpr std::uint64_t audit_recovery_margin = 4096;
/// At most this many records, counted back from the last one, are looked at by that
/// declaration: the batches in flight when a process ends are at the tail.
inline constexpr std::uint64_t audit_recovery_scan = 16384;

/// The audit family. Thread-safe; sequence numbers are unique, increasing in
/// staging order, and may have gaps (a staged batch that was never committed).
class audit_log {
 public:
  /// Opens the log: recovers the next sequence number and the chain head from the last
  /// record and (unless read-only) declares missing sequence numbers of the tail in a
  /// `recovery` record.
  [[nodiscard]] static result<std::unique_ptr<audit_log>> open(db& d);
  ~audit_log();
  audit_log(const audit_log&) = delete;
  audit_log& operator=(const audit_log&) = delete;

  /// Signs a checkpoint every `every` records (at least 1) and at close() from now on.
  void set_signer(std::shared_ptr<const secure::ed25519_signer> signer, std::uint64_t every);
  /// Appends a signed checkpoint of the chain head now (no-op without a signer or records).
  [[nodiscard]] status checkpoint(bool sync);

  /// Stages a record into a batch (and a checkpoint after it when one is due); returns its
  /// sequence number.
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
  /// The stored value of a record chained to `link` (format 2).
  [[nodiscard]] static bytes encode(const audit_event& e, const secure::sha256_digest& link);
  /// Parses a stored value.
  [[nodiscard]] static result<audit_event> decode(byte_view value);
  /// Parses a stored value with its link (format 1 or 2).
  [[nodiscard]] static result<audit_entry> decode_entry(std::uint64_t seq, byte_view value);

 private:
  explicit audit_log(db& d) : db_(d) {}
  status recover_tail();
  std::uint64_t stage_locked(rocksdb::WriteBatch& b, const audit_event& e);
  void stage_checkpoint_locked(rocksdb::WriteBatch& b);

  db& db_;
  std::atomic<std::uint64_t> next_{1};
  std::mutex mu_;                 // guards head_, next_ increments, the checkpoint fields
  secure::sha256_digest head_{};  // chain hash of the last staged record (zero: none)
  std::uint64_t head_seq_ = 0;
  std::shared_ptr<const secure::ed25519_signer> signer_;
  std::uint64_t checkpoint_every_ = 0;
  std::uint64_t last_checkpoint_ = 0;  // seq signed by the last checkpoint staged
};

/// Unix time now, in milliseconds.
[[nodiscard]] std::int64_t now_ms() noexcept;

}  // namespace otaflow::storage
