#include "storage/db.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>
#include <system_error>

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_buffer_manager.h>

#include "secure/key_cipher.hpp"
#include "storage/kek_envelope.hpp"
#include "storage/record_io.hpp"

namespace otaflow::storage {
namespace {

constexpr std::array<std::string_view, column_count> column_names = {
    "subscribers", "keys", "counters",  "campaigns", "jobs",
    "audit",       "meta", "by_msisdn", "by_imsi",   "card_files",
};

constexpr std::string_view meta_schema = "schema_version";
constexpr std::string_view meta_kek_check = "kek_check";
// The check value: this text sealed under the KEK. Opening it proves the KEK
// is the one the directory was created with, without storing anything about
// the KEK itself.
constexpr std::string_view kek_check_aad = "otaflow/meta/kek_check/v1";
constexpr std::string_view kek_check_text = "otaflow key-encryption key check";

rocksdb::Slice slice(std::string_view s) {
  return {s.data(), s.size()};
}

rocksdb::ColumnFamilyOptions family_options(std::string_view name,
                                            const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions o;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = cache;
  // Point lookups dominate (ICCID, MSISDN, counter): a bloom filter saves a
  // block read for every absent key (e.g. import checking for new cards).
  if (name != "audit" && name != "meta") {
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  }
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  // Sealed keys are random octets: compressing them only costs CPU.
  o.compression = name == "keys" ? rocksdb::kNoCompression : rocksdb::kLZ4Compression;
  // Writes arrive nearly in key order: audit keys are a rising sequence, and a campaign
  // walks its cards in ICCID order, so jobs, counters and files are written close to the
  // previous write. An empty prefix gives each memtable one insert hint (the last insert
  // position), so an insert starts its skip-list search there instead of at the head:
  // memtable inserts were 8 % of a demo's CPU. Hints need non-concurrent memtable writes
  // (DBOptions::allow_concurrent_memtable_write = false).
  o.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(0));
  return o;
}

// A private directory for the secondary instance's own files (its info log): RocksDB writes
// nothing of the secondary into the state directory itself.
result<std::filesystem::path> make_secondary_dir() {
  std::error_code ec;
  auto tmp = std::filesystem::temp_directory_path(ec);
  if (ec) return make_error(errc::io, "no temporary directory: " + ec.message());
  std::string templ = (tmp / "otaflow-secondary-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) {
    return make_error(errc::io, "cannot create " + templ + ": " + std::strerror(errno));
  }
  return std::filesystem::path(templ);
}

}  // namespace

std::string_view column_name(column c) noexcept {
  return column_names[static_cast<std::size_t>(c)];
}

error rocksdb_error(const rocksdb::Status& s, std::string_view what) {
  // A background error of hard severity or worse (e.g. after a failed WAL sync) stops every
  // later write until the database is reopened, even once the disk works again (RocksDB 7.8;
  // DB::Resume() answers the same error): retrying in this process cannot succeed.
  if (s.severity() >= rocksdb::Status::Severity::kHardError) {
    return make_error(errc::io,
                      std::string(what) + ": " + s.ToString() +
                          " (RocksDB stopped writing after this error; restart otaflow to "
                          "reopen the state directory)",
                      error_class::permanent);
  }
  const bool retry = s.IsIOError() || s.IsBusy() || s.IsTryAgain() || s.IsTimedOut() ||
                     s.IsNoSpace() || s.IsIncomplete();
  const errc code = s.IsNotFound() ? errc::not_found
                    : s.IsCorruption() || s.IsInvalidArgument() || s.IsNotSupported()
                        ? errc::internal
                        : errc::io;
  return make_error(code, std::string(what) + ": " + s.ToString(),
                    retry ? error_class::retriable : error_class::permanent);
}

result<std::unique_ptr<db>> db::open(const db_options& options, secret kek) {
  return open(options, direct_kek(std::move(kek)));
}

result<std::unique_ptr<db>> db::open(const db_options& options, kek_key kek) {
  if (!kek.is_token() && kek.direct.size() != 32) {
    return make_error(errc::bad_length, "key-encryption key: 32 octets needed, got " +
                                            std::to_string(kek.direct.size()));
  }
  const auto& dir = options.dir;
  const std::string where = "state directory " + dir.string();
  if (dir.empty()) return make_error(errc::bad_argument, "state directory: no path given");
  std::error_code ec;
  const bool exists = std::filesystem::exists(dir, ec);
  if (ec) return make_error(errc::io, where + ": cannot be examined: " + ec.message());
  if (exists && !std::filesystem::is_directory(dir, ec)) {
    return make_error(errc::bad_argument, where + " is not a directory");
  }
  const bool initialised = exists && std::filesystem::exists(dir / "CURRENT", ec);
  if (!initialised && (!options.create_if_missing || options.read_only)) {
    return make_error(errc::not_found, where + " holds no otaflow state (no RocksDB CURRENT file)");
  }

  std::unique_ptr<db> d(new db());
  d->dir_ = dir;

  rocksdb::DBOptions dbo;
  d->read_only_ = options.read_only;
  dbo.create_if_missing = options.create_if_missing && !options.read_only;
  dbo.create_missing_column_families = !options.read_only;
  if (options.read_only) dbo.max_open_files = -1;  // required of a secondary instance
  dbo.max_background_jobs = options.background_jobs;
  dbo.keep_log_file_num = 5;
  dbo.avoid_flush_during_shutdown = !options.flush_on_close;
  dbo.allow_concurrent_memtable_write = false;  // needed by the insert hints (family_options)
  if (options.env) {
    d->env_ = options.env;
    dbo.env = d->env_.get();
  }
  if (options.statistics) {
    d->stats_ = rocksdb::CreateDBStatistics();
    dbo.statistics = d->stats_;
  }
  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  if (options.memtable_budget_bytes > 0) {
    dbo.write_buffer_manager =
        std::make_shared<rocksdb::WriteBufferManager>(options.memtable_budget_bytes);
  }

  // Open every family the directory has (a newer build may have added some),
  // plus ours; RocksDB refuses to open a directory with a family left out.
  std::vector<std::string> names(column_names.begin(), column_names.end());
  if (initialised) {
    std::vector<std::string> existing;
    auto s = rocksdb::DB::ListColumnFamilies(dbo, dir.string(), &existing);
    if (!s.ok()) {
      return make_error(errc::io, "cannot open " + where + ": " + s.ToString());
    }
    const std::set<std::string> ours(names.begin(), names.end());
    for (auto& n : existing) {
      if (!ours.count(n) && n != rocksdb::kDefaultColumnFamilyName) names.push_back(n);
    }
    // A secondary instance cannot create a family an older build did not have.
    const std::set<std::string> have(existing.begin(), existing.end());
    for (auto n : column_names) {
      if (options.read_only && !have.count(std::string(n))) {
        return make_error(errc::unsupported,
                          where + " has no column family '" + std::string(n) +
                              "' (written by an older otaflow): it cannot be read read-only "
                              "until a writing command has opened it once");
      }
    }
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  descs.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (auto& n : names) descs.emplace_back(n, family_options(n, cache));

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s;
  if (options.read_only) {
    auto sec = make_secondary_dir();
    if (!sec) return make_error(errc::io, where + " (read-only): " + sec.error().message);
    d->secondary_dir_ = *sec;
    s = rocksdb::DB::OpenAsSecondary(dbo, dir.string(), sec->string(), descs, &handles, &d->db_);
    if (s.ok()) s = d->db_->TryCatchUpWithPrimary();
  } else {
    s = rocksdb::DB::Open(dbo, dir.string(), descs, &handles, &d->db_);
  }
  if (!s.ok()) {
    const std::string msg = s.ToString();
    if (s.IsIOError() && msg.find("lock") != std::string::npos) {
      return make_error(errc::conflict,
                        where + " is in use by another process (its RocksDB LOCK is held): " + msg,
                        error_class::retriable);
    }
    return make_error(errc::io, std::string("cannot open ") + where +
                                    (options.read_only ? " read-only: " : ": ") + msg);
  }
  // handles[0] is "default"; then ours in enum order; then any extra ones.
  for (std::size_t i = 0; i < handles.size(); ++i) {
    if (i >= 1 && i <= column_count) {
      d->handles_[i - 1] = handles[i];
    } else {
      d->extra_handles_.push_back(handles[i]);
    }
  }
  OTAFLOW_TRY(d->init_meta(kek));
  return d;
}

result<bytes> db::make_kek_check(const secret& k) {
  return secure::seal(k.view(), detail::as_bytes(kek_check_aad), detail::as_bytes(kek_check_text));
}

result<bytes> db::seal(byte_view aad, byte_view plain) const {
  return secure::seal(kek_.view(), aad, plain);
}

result<bytes> db::unseal(byte_view aad, byte_view sealed) const {
  auto plain = secure::unseal(kek_.view(), aad, sealed);
  // Try-new-then-old during a rotation: the GCM tag tells which key a value is under.
  if (!plain && !previous_kek_.empty() && plain.error().code == make_error_code(errc::verification))
    return secure::unseal(previous_kek_.view(), aad, sealed);
  return plain;
}

status db::init_meta(kek_key& kek) {
  const std::string where = "state directory " + dir_.string();
  auto schema = get(column::meta, meta_schema);
  if (!schema) return schema.error();
  auto check = get(column::meta, meta_kek_check);
  if (!check) return check.error();

  if (!schema->has_value() && !check->has_value()) {
    if (read_only_) {
      return make_error(errc::not_found, where + " holds no otaflow meta records yet");
    }
    // A new directory: record the layout version and the KEK check value; a token KEK wraps a
    // new random data key.
    rocksdb::WriteBatch b;
    if (kek.is_token()) {
      auto dk = new_wrapped_data_key(*kek.token);
      if (!dk) return detail::with_context(std::move(dk).error(), where);
      kek_ = std::move(dk->first);
      b.Put(handle(column::meta), slice(meta_kek_wrapped),
            slice(detail::as_chars(encode(dk->second))));
    } else {
      kek_ = kek.direct;
    }
    auto sealed = secure::seal(kek_.view(), detail::as_bytes(kek_check_aad),
                               detail::as_bytes(kek_check_text));
    if (!sealed) return sealed.error();
    const std::string v = detail::be64(schema_version).substr(4);
    b.Put(handle(column::meta), slice(meta_schema), slice(v));
    b.Put(handle(column::meta), slice(meta_kek_check), slice(detail::as_chars(*sealed)));
    return commit(b, true);
  }
  if (!schema->has_value() || !check->has_value()) {
    return make_error(errc::internal,
                      where + ": meta holds " +
                          (schema->has_value() ? "no kek_check" : "no schema_version") +
                          "; the directory is damaged");
  }
  const std::string& sv = **schema;
  std::uint32_t version = 0;
  if (sv.size() != 4) return make_error(errc::internal, where + ": malformed schema_version");
  for (char c : sv) version = (version << 8) | static_cast<std::uint8_t>(c);
  if (version != schema_version) {
    return make_error(errc::unsupported, where + " has schema version " + std::to_string(version) +
                                             ", this build reads version " +
                                             std::to_string(schema_version));
  }
  auto wrapped = get(column::meta, meta_kek_wrapped);
  if (!wrapped) return wrapped.error();
  auto rotation = get(column::meta, meta_kek_rotation);
  if (!rotation) return rotation.error();
  auto keys = resolve_data_keys(*wrapped, *rotation, kek, where);
  if (!keys) return keys.error();
  kek_ = std::move(keys->current);
  previous_kek_ = std::move(keys->previous);
  // kek_check is re-sealed under the new data key when a rotation starts.
  auto plain =
      secure::unseal(kek_.view(), detail::as_bytes(kek_check_aad), detail::as_bytes(**check));
  if (!plain || detail::as_chars(*plain) != kek_check_text) {
    return make_error(
        errc::verification,
        "the key-encryption key does not match this state directory (" + dir_.string() + ")");
  }
  return {};
}

db::~db() {
  if (db_ != nullptr) {
    for (auto* h : handles_) {
      if (h != nullptr) (void)db_->DestroyColumnFamilyHandle(h);
    }
    for (auto* h : extra_handles_) (void)db_->DestroyColumnFamilyHandle(h);
    (void)db_->Close();
    delete db_;
  }
  if (!secondary_dir_.empty()) {  // also when the open failed
    std::error_code ec;
    std::filesystem::remove_all(secondary_dir_, ec);
  }
}

status db::refuse_write(std::string_view what) const {
  return make_error(errc::unsupported, std::string(what) + " refused: state directory " +
                                           dir_.string() +
                                           " is open read-only (another process holds it)");
}

status db::catch_up() {
  if (!read_only_) return {};
  auto s = db_->TryCatchUpWithPrimary();
  if (!s.ok()) return rocksdb_error(s, "catching up with the holder of " + dir_.string());
  return {};
}

status db::commit(rocksdb::WriteBatch& batch, bool sync) {
  if (read_only_) return refuse_write("write");
  if (hook_) return hook_(batch, sync);
  return apply(batch, sync);
}

std::optional<column> db::column_of(std::uint32_t family_id) const noexcept {
  for (std::size_t i = 0; i < column_count; ++i) {
    if (handles_[i] != nullptr && handles_[i]->GetID() == family_id) return static_cast<column>(i);
  }
  return std::nullopt;
}

status db::apply(rocksdb::WriteBatch& batch, bool sync) {
  if (read_only_) return refuse_write("write");
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  auto s = db_->Write(wo, &batch);
  if (!s.ok()) return rocksdb_error(s, "write to " + dir_.string());
  commits_.fetch_add(1, std::memory_order_relaxed);
  return {};
}

status db::commit_unlogged(rocksdb::WriteBatch& batch) {
  if (read_only_) return refuse_write("write");
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  auto s = db_->Write(wo, &batch);
  if (!s.ok()) return rocksdb_error(s, "write to " + dir_.string());
  commits_.fetch_add(1, std::memory_order_relaxed);
  return {};
}

result<std::optional<std::string>> db::get(column c, std::string_view key) const {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), handle(c), slice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return rocksdb_error(s, "read from " + std::string(column_name(c)));
  return std::optional<std::string>(std::move(value));
}

result<std::vector<std::optional<std::string>>> db::get_many(
    column c, std::span<const std::string_view> keys) const {
  std::vector<rocksdb::Slice> ks(keys.begin(), keys.end());
  std::vector<rocksdb::ColumnFamilyHandle*> cfs(keys.size(), handle(c));
  std::vector<std::string> values;
  const auto statuses = db_->MultiGet(rocksdb::ReadOptions(), cfs, ks, &values);
  std::vector<std::optional<std::string>> out(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok())
      return rocksdb_error(statuses[i], "read from " + std::string(column_name(c)));
    out[i] = std::move(values[i]);
  }
  return out;
}

std::unique_ptr<rocksdb::Iterator> db::iterate(column c, const rocksdb::ReadOptions& ro) const {
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(ro, handle(c)));
}

status db::flush() {
  if (read_only_) return refuse_write("flush");
  std::vector<rocksdb::ColumnFamilyHandle*> hs(handles_.begin(), handles_.end());
  auto s = db_->Flush(rocksdb::FlushOptions(), hs);
  if (!s.ok()) return rocksdb_error(s, "flush of " + dir_.string());
  return {};
}

std::uint64_t db::wal_syncs() const noexcept {
  return stats_ ? stats_->getTickerCount(rocksdb::WAL_FILE_SYNCED) : 0;
}

}  // namespace otaflow::storage
