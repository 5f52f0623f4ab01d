#include "storage/secret.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <mutex>
#include <string>
#include <vector>

namespace otaflow::storage {
namespace {

// Slots of max_size octets in 64 KiB chunks, each chunk mlock'ed and MADV_DONTDUMP'ed once when
// it is mapped (one syscall pair per 2048 secrets, not per secret: a per-secret mlock would
// lock and unlock the same stack and heap pages millions of times in a large campaign). When
// RLIMIT_MEMLOCK is too low the chunk stays unlocked and one warning goes to stderr.
class arena {
 public:
  static arena& get() {
    static arena* a = new arena;  // never destroyed: secrets in static objects outlive it
    return *a;
  }

  std::uint8_t* take() noexcept {
    std::lock_guard lock(mu_);
    if (free_.empty()) grow();
    auto* p = free_.back();
    free_.pop_back();
    ++in_use_;
    return p;
  }

  void give(std::uint8_t* p) noexcept {
    std::lock_guard lock(mu_);
    free_.push_back(p);
    --in_use_;
  }

  secret_arena_stats stats() noexcept {
    std::lock_guard lock(mu_);
    return {in_use_, mapped_, locked_};
  }

 private:
  static constexpr std::size_t chunk = 64 * 1024;

  void grow() noexcept {
    void* m = ::mmap(nullptr, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) std::terminate();  // out of memory: nothing sensible is left to do
    mapped_ += chunk;
    (void)::madvise(m, chunk, MADV_DONTDUMP);
    if (::mlock(m, chunk) == 0) {
      locked_ += chunk;
    } else if (!warned_) {
      warned_ = true;
      std::fprintf(stderr,
                   "otaflow: warning: key memory cannot be locked (mlock: RLIMIT_MEMLOCK too "
                   "low?); keys may reach swap\n");
    }
    auto* base = static_cast<std::uint8_t*>(m);
    free_.reserve(free_.size() + chunk / secret::max_size);
    for (std::size_t off = chunk; off >= secret::max_size; off -= secret::max_size) {
      free_.push_back(base + off - secret::max_size);
    }
  }

  std::mutex mu_;
  std::vector<std::uint8_t*> free_;
  std::size_t in_use_ = 0, mapped_ = 0, locked_ = 0;
  bool warned_ = false;
};

std::uint8_t* copy_of(const std::uint8_t* src, std::size_t n) noexcept {
  auto* p = arena::get().take();
  std::copy(src, src + n, p);
  return p;
}

}  // namespace

result<secret> secret::from(byte_view data) {
  if (data.size() > max_size) {
    return make_error(errc::bad_length, "secret: at most " + std::to_string(max_size) +
                                            " octets, got " + std::to_string(data.size()));
  }
  secret s;
  s.buf_ = copy_of(data.data(), data.size());
  s.size_ = static_cast<std::uint8_t>(data.size());
  return s;
}

secret::secret(const secret& other) noexcept : size_(other.size_) {
  if (other.buf_) buf_ = copy_of(other.buf_, other.size_);
}

secret& secret::operator=(const secret& other) noexcept {
  if (this != &other) {
    if (other.buf_ && !buf_) buf_ = arena::get().take();
    if (buf_) {
      secure_wipe({buf_, max_size});
      if (other.buf_) std::copy(other.buf_, other.buf_ + other.size_, buf_);
    }
    size_ = other.size_;
  }
  return *this;
}

secret::secret(secret&& other) noexcept : buf_(other.buf_), size_(other.size_) {
  other.buf_ = nullptr;
  other.size_ = 0;
}

secret& secret::operator=(secret&& other) noexcept {
  if (this != &other) {
    this->~secret();
    buf_ = other.buf_;
    size_ = other.size_;
    other.buf_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

secret::~secret() {
  if (buf_) {
    secure_wipe({buf_, max_size});
    arena::get().give(buf_);
    buf_ = nullptr;
  }
  size_ = 0;
}

void secret::clear() noexcept {
  if (buf_) secure_wipe({buf_, max_size});
  size_ = 0;
}

bool operator==(const secret& a, const secret& b) noexcept {
  return a.size_ == b.size_ && equal_ct(a.view(), b.view());
}

secret_arena_stats secret_arena_state() noexcept {
  return arena::get().stats();
}

}  // namespace otaflow::storage
