#pragma once
// A small pool of threads that run one function on batches of queued jobs and hand
// the finished jobs back. A worker takes up to `batch` queued jobs at once, so the
// function sees the messages that arrived together (the fleet opens their secured
// packets in one crypto batch). The producer/consumer is a single I/O thread; it
// learns that finished jobs wait through an eventfd (written only when the done list
// goes from empty to non-empty, so a burst costs one wake-up).

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

namespace otaflow::sim {

template <class Job>
class smsc_worker_pool {
 public:
  using work_fn = std::function<void(std::span<Job* const>)>;

  /// Starts `threads` workers running `fn` on batches of up to `batch` jobs (at least 1);
  /// notify_fd (an eventfd, or -1) is signalled when finished jobs are ready to be collected.
  smsc_worker_pool(unsigned threads, work_fn fn, int notify_fd, std::size_t batch = 16)
      : fn_(std::move(fn)),
        notify_fd_(notify_fd),
        batch_(std::max<std::size_t>(1, batch)),
        nthreads_(threads) {
    for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
  }
  smsc_worker_pool(const smsc_worker_pool&) = delete;
  smsc_worker_pool& operator=(const smsc_worker_pool&) = delete;
  ~smsc_worker_pool() { stop(); }

  /// Queues one job (the pool does not own it until it is handed back).
  void post(Job* job) {
    {
      std::lock_guard lk(mu_);
      jobs_.push_back(job);
    }
    cv_.notify_one();
  }

  /// Queues many jobs under one lock and wakes enough workers for them; clears `jobs`.
  void post_batch(std::vector<Job*>& jobs) {
    if (jobs.empty()) return;
    {
      std::lock_guard lk(mu_);
      jobs_.insert(jobs_.end(), jobs.begin(), jobs.end());
    }
    if (jobs.size() == 1) {
      cv_.notify_one();
    } else {
      cv_.notify_all();
    }
    jobs.clear();
  }

  /// Moves every finished job to `out` (appending); returns how many.
  std::size_t collect(std::vector<Job*>& out) {
    std::lock_guard lk(done_mu_);
    const std::size_t n = done_.size();
    out.insert(out.end(), done_.begin(), done_.end());
    done_.clear();
    return n;
  }

  /// Jobs queued and not yet taken by a worker.
  [[nodiscard]] std::size_t queued() const {
    std::lock_guard lk(mu_);
    return jobs_.size();
  }

  /// Stops the workers after their current job; queued jobs stay queued (see drain_queued).
  void stop() {
    {
      std::lock_guard lk(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

  /// After stop(): the jobs never started, so the owner can release them.
  void drain_queued(std::vector<Job*>& out) {
    std::lock_guard lk(mu_);
    out.insert(out.end(), jobs_.begin(), jobs_.end());
    jobs_.clear();
  }

 private:
  void run() {
    std::vector<Job*> batch;
    for (;;) {
      {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [this] { return stopping_ || !jobs_.empty(); });
        if (stopping_) return;
        // Take a batch at a time: fewer lock round trips, and the gateway sees together
        // what arrived together. With less queued than two batches, split it with the
        // other workers rather than leave them idle.
        std::size_t n = std::min<std::size_t>(jobs_.size(), batch_);
        if (jobs_.size() < 2 * batch_ && nthreads_ > 1)
          n = std::max<std::size_t>(1, std::min(n, (jobs_.size() + 1) / 2));
        batch.assign(jobs_.begin(), jobs_.begin() + static_cast<std::ptrdiff_t>(n));
        jobs_.erase(jobs_.begin(), jobs_.begin() + static_cast<std::ptrdiff_t>(n));
      }
      fn_(std::span<Job* const>(batch));
      bool was_empty = false;
      {
        std::lock_guard lk(done_mu_);
        was_empty = done_.empty();
        done_.insert(done_.end(), batch.begin(), batch.end());
      }
      if (was_empty) notify();
      batch.clear();
    }
  }

  void notify() const;

  work_fn fn_;
  int notify_fd_;
  std::size_t batch_;
  unsigned nthreads_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job*> jobs_;
  bool stopping_ = false;
  std::mutex done_mu_;
  std::vector<Job*> done_;
  std::vector<std::thread> threads_;
};

/// Adds one to an eventfd counter (no-op for fd < 0).
void smsc_eventfd_signal(int fd) noexcept;

template <class Job>
void smsc_worker_pool<Job>::notify() const {
  smsc_eventfd_signal(notify_fd_);
}

}  // namespace otaflow::sim
