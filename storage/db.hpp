#pragma once
// The state directory: one RocksDB database with one column family per kind of
// record (docs/storage.md lists the key layout of each). Opening it checks the
// schema version and that the key-encryption key is the one the directory was
// created with. All methods are thread-safe (RocksDB's DB is).

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/statistics.h>
#include <rocksdb/write_batch.h>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "storage/kek.hpp"
#include "storage/secret.hpp"

namespace otaflow::storage {

/// The column families of the state directory.
enum class column : std::uint8_t {
  subscribers,  ///< ICCID -> subscriber record
  keys,         ///< ICCID \0 slot -> sealed key material
  counters,     ///< ICCID \0 KVN -> last OTA counter handed out (5 octets)
  campaigns,    ///< campaign id -> status + definition text
  jobs,         ///< campaign id \0 ICCID -> job record
  audit,        ///< sequence (u64 BE) -> audit record
  meta,         ///< name -> schema version, KEK check value
  by_msisdn,    ///< MSISDN -> ICCID
  by_imsi,      ///< IMSI -> ICCID
  card_files,   ///< ICCID \0 path -> file content a campaign wrote (PoR OK)
};
inline constexpr std::size_t column_count = 10;

/// The column family's name as stored in RocksDB ("subscribers", ...).
[[nodiscard]] std::string_view column_name(column c) noexcept;

/// Version of the key layout this build reads and writes (meta "schema_version").
inline constexpr std::uint32_t schema_version = 1;

/// Options of the state directory.
struct db_options {
  std::filesystem::path dir;                  ///< state directory (required)
  bool create_if_missing = true;              ///< default true: initialise a new directory
  std::size_t block_cache_bytes = 64u << 20;  ///< default 64 MiB, shared by all families
  /// Default 128 MiB: all families' memtables together. Without a budget each family may
  /// hold two 64 MiB memtables, so a long campaign's audit and job writes grew the process
  /// by several hundred MiB before the first flush.
  std::size_t memtable_budget_bytes = 128u << 20;
  int background_jobs = 2;  ///< default 2 flush/compaction threads
  bool statistics = false;  ///< default off: RocksDB tickers (tests, bench)
  /// Default true: memtables are flushed when the directory closes. False (a directory
  /// deleted right after, e.g. the demo's temporary one) skips that; what the write-ahead
  /// log holds would still be recovered by the next open.
  bool flush_on_close = true;
  /// Tests only (default none: RocksDB's default Env): the Env RocksDB does its file I/O
  /// through, e.g. one whose syncs fail on demand (tests/unit/storage/sync_fault_fs.hpp).
  /// The db keeps it alive while open.
  std::shared_ptr<rocksdb::Env> env;
  /// Default false. True opens the directory as a RocksDB secondary instance: it reads while
  /// another process (`campaign run`, `serve`) holds the directory, never creates it, and
  /// refuses every write (db::commit, apply, commit_unlogged, flush) with errc::unsupported.
  /// It sees the state as of open; catch_up() reads what the holder wrote since.
  bool read_only = false;
  /// Default none. An Ed25519 private key (PEM, mode 600) that signs the audit log's
  /// checkpoints (storage/audit_log.hpp) every `audit_checkpoint_every` records and at close.
  std::filesystem::path audit_key_file;
  std::uint64_t audit_checkpoint_every = 10'000;  ///< default 10,000 records
};

/// Maps a RocksDB status to an error naming what was being done; I/O, busy
/// and out-of-space failures are retriable, corruption is permanent.
[[nodiscard]] error rocksdb_error(const rocksdb::Status& s, std::string_view what);

/// Replaces db::commit while set (storage/changelog.hpp: serve's partition-owned mode mirrors
/// the partitioned rows of each batch to Kafka in a transaction before applying the batch).
/// Called with the batch and the sync flag; returns the commit's status.
using commit_hook = std::function<status(rocksdb::WriteBatch&, bool)>;

/// An open state directory.
class db {
 public:
  /// Opens (or creates) the directory; errors say if it is locked by another
  /// process, unreadable, of another schema, or sealed under another KEK.
  [[nodiscard]] static result<std::unique_ptr<db>> open(const db_options& options, secret kek);
  /// Opens with a loaded KEK: a direct one seals the keys itself, a token key unwraps the
  /// directory's data key (storage/kek_envelope.hpp); a new directory gets a random data key
  /// wrapped by the token. During an interrupted KEK rotation either side's KEK opens it.
  [[nodiscard]] static result<std::unique_ptr<db>> open(const db_options& options, kek_key kek);

  ~db();
  db(const db&) = delete;
  db& operator=(const db&) = delete;

  /// The meta record that proves a data key ("kek_check"), sealed under `k`.
  [[nodiscard]] static result<bytes> make_kek_check(const secret& k);
  /// Its name in the meta family.
  static constexpr std::string_view kek_check_record = "kek_check";

  /// The RocksDB handle, for the repositories.
  [[nodiscard]] rocksdb::DB& raw() noexcept { return *db_; }
  /// The handle of a column family.
  [[nodiscard]] rocksdb::ColumnFamilyHandle* handle(column c) const noexcept {
    return handles_[static_cast<std::size_t>(c)];
  }
  /// The data key new values are sealed under (the KEK itself for a direct KEK).
  [[nodiscard]] const secret& kek() const noexcept { return kek_; }
  /// During a KEK rotation: the data key the rows not yet re-sealed are under; else empty.
  [[nodiscard]] const secret& previous_kek() const noexcept { return previous_kek_; }
  /// Seals a value under kek() (secure/key_cipher.hpp).
  [[nodiscard]] result<bytes> seal(byte_view aad, byte_view plain) const;
  /// Opens a value sealed under kek(), or during a rotation under previous_kek().
  [[nodiscard]] result<bytes> unseal(byte_view aad, byte_view sealed) const;
  /// The KEK rotation (storage/kek_rotation.hpp) switches the data keys; not synchronised with
  /// readers: called while the rotation is the directory's only user in the process.
  void set_data_keys(secret current, secret previous) {
    kek_ = std::move(current);
    previous_kek_ = std::move(previous);
  }
  /// The state directory.
  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_; }

  /// Applies a batch atomically; with sync the WAL is fsynced before return. With a commit
  /// hook set, the hook does it (it ends with apply()).
  [[nodiscard]] status commit(rocksdb::WriteBatch& batch, bool sync);
  /// Applies a batch to RocksDB itself, never through the hook.
  [[nodiscard]] status apply(rocksdb::WriteBatch& batch, bool sync);
  /// Sets (or clears, with an empty function) the commit hook. Set it before the writers start
  /// and clear it after they stopped: it is not synchronised with commit().
  void set_commit_hook(commit_hook hook) { hook_ = std::move(hook); }
  /// The column of a RocksDB column family id; nullopt for a family this build does not name.
  [[nodiscard]] std::optional<column> column_of(std::uint32_t family_id) const noexcept;
  /// Applies a batch without the write-ahead log (bulk loads); durable only after flush().
  [[nodiscard]] status commit_unlogged(rocksdb::WriteBatch& batch);
  /// Reads one value; nullopt if absent.
  [[nodiscard]] result<std::optional<std::string>> get(column c, std::string_view key) const;
  /// Reads many values in one MultiGet, in the order of `keys`; nullopt for each one absent.
  [[nodiscard]] result<std::vector<std::optional<std::string>>> get_many(
      column c, std::span<const std::string_view> keys) const;
  /// An iterator over one column family.
  [[nodiscard]] std::unique_ptr<rocksdb::Iterator> iterate(
      column c, const rocksdb::ReadOptions& ro = rocksdb::ReadOptions()) const;
  /// Flushes memtables to SST files (operations, tests).
  [[nodiscard]] status flush();

  /// Whether the directory was opened read-only (db_options::read_only).
  [[nodiscard]] bool read_only() const noexcept { return read_only_; }
  /// Read-only handles: reads what the process holding the directory wrote since the open or
  /// the last catch_up (RocksDB TryCatchUpWithPrimary). A no-op on a writable handle.
  [[nodiscard]] status catch_up();

  /// Number of batches applied through commit() since open.
  [[nodiscard]] std::uint64_t commits() const noexcept { return commits_.load(); }
  /// WAL fsyncs since open (RocksDB ticker WAL_FILE_SYNCED); 0 without statistics.
  [[nodiscard]] std::uint64_t wal_syncs() const noexcept;

 private:
  db() = default;
  status init_meta(kek_key& kek);
  status refuse_write(std::string_view what) const;

  std::filesystem::path dir_;
  secret kek_;
  secret previous_kek_;
  std::shared_ptr<rocksdb::Statistics> stats_;
  std::shared_ptr<rocksdb::Env> env_;  // db_options::env, outlives db_
  rocksdb::DB* db_ = nullptr;
  std::array<rocksdb::ColumnFamilyHandle*, column_count> handles_{};
  std::vector<rocksdb::ColumnFamilyHandle*> extra_handles_;  // families of later versions
  std::atomic<std::uint64_t> commits_{0};
  commit_hook hook_;
  bool read_only_ = false;
  std::filesystem::path secondary_dir_;  // read-only: RocksDB's own files of the secondary
};

}  // namespace otaflow::storage
