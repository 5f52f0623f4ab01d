#pragma once
// A one-line progress display on stderr when it is a terminal; silent otherwise.

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>

#include "actors/engine.hpp"

namespace otaflow::app {

class progress_line {
 public:
  /// total 0 = unknown (no bar, counts only).
  explicit progress_line(std::uint64_t total = 0)
      : total_(total),
        tty_(::isatty(STDERR_FILENO) == 1),
        start_(std::chrono::steady_clock::now()) {}

  void update(const actors::campaign_progress& p) {
    if (!tty_) return;
    std::lock_guard lock(mu_);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = secs > 0 ? static_cast<double>(p.terminal) / secs : 0;
    if (total_ > 0) {
      constexpr int width = 30;
      const int filled =
          static_cast<int>(width * std::min<double>(1.0, static_cast<double>(p.terminal) /
                                                             static_cast<double>(total_)));
      std::fprintf(
          stderr, "\r[%.*s%*s] %llu/%llu  done %llu  failed %llu  in flight %llu  %.0f cards/s ",
          filled, "##############################", width - filled, "",
          static_cast<unsigned long long>(p.terminal), static_cast<unsigned long long>(total_),
          static_cast<unsigned long long>(p.done), static_cast<unsigned long long>(p.failed),
          static_cast<unsigned long long>(p.in_flight), rate);
    } else {
      std::fprintf(stderr, "\r%llu cards  done %llu  failed %llu  in flight %llu  %.0f cards/s ",
                   static_cast<unsigned long long>(p.terminal),
                   static_cast<unsigned long long>(p.done),
                   static_cast<unsigned long long>(p.failed),
                   static_cast<unsigned long long>(p.in_flight), rate);
    }
    std::fflush(stderr);
    dirty_ = true;
  }

  void finish() {
    if (tty_ && dirty_) std::fputc('\n', stderr);
    dirty_ = false;
  }

  actors::progress_fn callback() {
    return [this](const actors::campaign_progress& p) { update(p); };
  }

 private:
  std::uint64_t total_;
  bool tty_;
  bool dirty_ = false;
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
};

}  // namespace otaflow::app
