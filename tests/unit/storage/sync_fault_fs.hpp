#pragma once
// A RocksDB FileSystem whose syncs fail on demand, for the storage fault tests: every
// writable file it opens (the write-ahead log, SST files, MANIFEST) answers Sync, Fsync and
// RangeSync with an I/O error while failing() is set, and so does every directory's Fsync.
// Plugged in through storage::db_options::env (sync_fault_fs::env()).

#include <atomic>
#include <memory>
#include <string>

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

namespace otaflow::storage::test {

class sync_fault_fs final : public rocksdb::FileSystemWrapper {
 public:
  sync_fault_fs() : rocksdb::FileSystemWrapper(rocksdb::FileSystem::Default()) {}

  /// An Env doing its file I/O through `fs` (db_options::env).
  static std::shared_ptr<rocksdb::Env> env(const std::shared_ptr<sync_fault_fs>& fs) {
    return std::shared_ptr<rocksdb::Env>(rocksdb::NewCompositeEnv(fs));
  }

  /// While set, every sync fails (and is counted).
  void set_failing(bool on) noexcept { failing_.store(on); }
  [[nodiscard]] bool failing() const noexcept { return failing_.load(); }
  /// Syncs that failed so far.
  [[nodiscard]] std::uint64_t failed_syncs() const noexcept { return failed_.load(); }

  const char* Name() const override { return "otaflow_sync_fault_fs"; }

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    return wrap(target()->NewWritableFile(f, o, r, dbg), r);
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* dbg) override {
    return wrap(target()->ReopenWritableFile(f, o, r, dbg), r);
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old,
                                      const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* dbg) override {
    return wrap(target()->ReuseWritableFile(f, old, o, r, dbg), r);
  }
  rocksdb::IOStatus NewDirectory(const std::string& name, const rocksdb::IOOptions& io,
                                 std::unique_ptr<rocksdb::FSDirectory>* r,
                                 rocksdb::IODebugContext* dbg) override {
    auto s = target()->NewDirectory(name, io, r, dbg);
    if (s.ok()) *r = std::make_unique<directory>(std::move(*r), *this);
    return s;
  }

  /// The error a sync answers while failing (retriable in RocksDB's eyes: an I/O error).
  rocksdb::IOStatus sync_result() {
    if (!failing_.load()) return rocksdb::IOStatus::OK();
    failed_.fetch_add(1);
    return rocksdb::IOStatus::IOError("injected fsync failure (sync_fault_fs)");
  }

 private:
  class file final : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    file(std::unique_ptr<rocksdb::FSWritableFile> t, sync_fault_fs& fs)
        : rocksdb::FSWritableFileOwnerWrapper(std::move(t)), fs_(fs) {}
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
      auto s = fs_.sync_result();
      return s.ok() ? target()->Sync(o, d) : s;
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
      auto s = fs_.sync_result();
      return s.ok() ? target()->Fsync(o, d) : s;
    }
    rocksdb::IOStatus RangeSync(std::uint64_t off, std::uint64_t n, const rocksdb::IOOptions& o,
                                rocksdb::IODebugContext* d) override {
      auto s = fs_.sync_result();
      return s.ok() ? target()->RangeSync(off, n, o, d) : s;
    }

   private:
    sync_fault_fs& fs_;
  };

  class directory final : public rocksdb::FSDirectory {
   public:
    directory(std::unique_ptr<rocksdb::FSDirectory> t, sync_fault_fs& fs)
        : target_(std::move(t)), fs_(fs) {}
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
      auto s = fs_.sync_result();
      return s.ok() ? target_->Fsync(o, d) : s;
    }
    rocksdb::IOStatus FsyncWithDirOptions(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d,
                                          const rocksdb::DirFsyncOptions& opts) override {
      auto s = fs_.sync_result();
      return s.ok() ? target_->FsyncWithDirOptions(o, d, opts) : s;
    }
    rocksdb::IOStatus Close(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
      return target_->Close(o, d);
    }
    std::size_t GetUniqueId(char* id, std::size_t max) const override {
      return target_->GetUniqueId(id, max);
    }

   private:
    std::unique_ptr<rocksdb::FSDirectory> target_;
    sync_fault_fs& fs_;
  };

  rocksdb::IOStatus wrap(rocksdb::IOStatus s, std::unique_ptr<rocksdb::FSWritableFile>* r) {
    if (s.ok()) *r = std::make_unique<file>(std::move(*r), *this);
    return s;
  }

  std::atomic<bool> failing_{false};
  std::atomic<std::uint64_t> failed_{0};
};

}  // namespace otaflow::storage::test
