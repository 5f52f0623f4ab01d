#include "demo/generated_csv.hpp"

#include <condition_variable>
#include <deque>
#include <istream>
#include <mutex>
#include <streambuf>
#include <thread>
#include <vector>

#include "sim/fleet.hpp"
#include "storage/csv_import.hpp"

namespace otaflow::demo {
namespace {

// The generated fleet as CSV text, read as a stream. A thread of its own derives the rows
// (keys are SHA-256 derivations) a few blocks ahead: the importer's reading thread also
// commits its batches, and generating there made it the slowest stage of the import. Rows
// hold keys: every block is wiped once read, and its buffer reused (reserved once, so it
// never reallocates and leaves a copy behind).
class generated_csv : public std::streambuf {
 public:
  generated_csv(sim::fleet_deriver& d, std::uint64_t first, std::uint64_t end)
      : d_(d), next_(first), end_(end), producer_([this] { produce(); }) {}
  ~generated_csv() override {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    producer_.join();
    wipe(buf_);
    for (auto& b : ready_) wipe(b);
  }
  generated_csv(const generated_csv&) = delete;
  generated_csv& operator=(const generated_csv&) = delete;

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    std::unique_lock lk(mu_);
    if (!buf_.empty()) {
      wipe(buf_);
      buf_.clear();
      free_.push_back(std::move(buf_));
      cv_.notify_all();
    }
    cv_.wait(lk, [&] { return !ready_.empty() || done_; });
    if (ready_.empty()) return traits_type::eof();
    buf_ = std::move(ready_.front());
    ready_.pop_front();
    cv_.notify_all();
    lk.unlock();
    setg(buf_.data(), buf_.data(), buf_.data() + buf_.size());
    return traits_type::to_int_type(*gptr());
  }

 private:
  static constexpr int rows_per_block = 1000;
  static constexpr std::size_t blocks_ahead = 8;
  static constexpr std::size_t block_reserve = 400 * rows_per_block;  // rows are ~214 octets

  static void wipe(std::string& b) {
    secure_wipe({reinterpret_cast<std::uint8_t*>(b.data()), b.size()});
  }

  void produce() {
    bool header = true;
    for (;;) {
      std::string b;
      {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [&] { return stop_ || ready_.size() < blocks_ahead; });
        if (stop_) return;
        if (!free_.empty()) {
          b = std::move(free_.back());
          free_.pop_back();
        }
      }
      if (b.capacity() < block_reserve) b.reserve(block_reserve);
      if (header) {
        b = sim::fleet_csv_header;
        b += '\n';
        header = false;
      }
      for (int i = 0; i < rows_per_block && next_ < end_; ++i) d_.csv_row(next_++, b);
      std::lock_guard lk(mu_);
      if (b.empty()) {
        done_ = true;
        cv_.notify_all();
        return;
      }
      ready_.push_back(std::move(b));
      cv_.notify_all();
    }
  }

  sim::fleet_deriver& d_;
  std::uint64_t next_, end_;  // the producer's alone
  std::string buf_;           // the block being read
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> ready_;  // blocks generated, not read yet
  std::vector<std::string> free_;  // wiped buffers for the producer to refill
  bool done_ = false, stop_ = false;
  std::thread producer_;  // last: starts once everything above is built
};

}  // namespace

status import_generated_fleet(storage::state& st, const std::string& seed, std::uint64_t count,
                              std::uint64_t first) {
  auto d = sim::fleet_deriver::create(seed);
  if (!d) return d.error();
  storage::import_options io;
  io.batch_size = 5000;
  io.bulk = true;  // a new repository, nothing else writing yet
  generated_csv rows(*d, first, count);
  std::istream in(&rows);
  auto r = storage::import_csv(st, in, io);
  if (!r) return r.error();
  if (r->rejected) {
    return make_error(errc::internal, "demo import rejected " + std::to_string(r->rejected) +
                                          " generated rows: " + r->errors.front().reason);
  }
  return {};
}

}  // namespace otaflow::demo
