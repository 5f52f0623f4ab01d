#pragma once
// The time the engine runs by. Two clocks in one: the wall clock (ms since the Unix epoch)
// that send windows, validity periods and job timestamps are judged by, and the monotonic
// clock of the engine's timers (PoR timeouts, retry back-offs, send-window wake-ups). The
// system clock is the default; tests drive a manual_clock, whose timers fire only when the
// test advances it, so a 30 s PoR timeout is tested in microseconds and without sleeps.

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace otaflow::actors {

class engine_clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~engine_clock() = default;
  /// Wall clock, ms since the Unix epoch (UTC).
  [[nodiscard]] virtual std::int64_t wall_ms() const = 0;
  /// Monotonic time of the engine's timers.
  [[nodiscard]] virtual time_point now() const = 0;
  /// Whether timers wait for the clock to be advanced (manual) rather than for real time.
  [[nodiscard]] virtual bool manual() const noexcept { return false; }
  /// Manual clocks: `fn` is called (from the advancing thread) after every advance, so the
  /// engine can look at its due timers. The system clock never calls it.
  virtual void on_advance(std::function<void()> /*fn*/) {}
};

/// The system's clocks.
class system_clock final : public engine_clock {
 public:
  [[nodiscard]] std::int64_t wall_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  [[nodiscard]] time_point now() const override { return std::chrono::steady_clock::now(); }
};

/// A clock that moves only when told (tests). Thread-safe.
class manual_clock final : public engine_clock {
 public:
  /// Starts at wall time `wall_ms`; the monotonic time starts at an arbitrary fixed point.
  explicit manual_clock(std::int64_t wall_ms = 1'800'000'000'000) : wall_(wall_ms) {}

  [[nodiscard]] std::int64_t wall_ms() const override {
    std::lock_guard lock(mu_);
    return wall_;
  }
  [[nodiscard]] time_point now() const override {
    std::lock_guard lock(mu_);
    return time_point{} + std::chrono::hours(1) + elapsed_;
  }
  [[nodiscard]] bool manual() const noexcept override { return true; }
  void on_advance(std::function<void()> fn) override {
    std::lock_guard lock(mu_);
    listeners_.push_back(std::move(fn));
  }

  /// Moves both clocks forward by `d`, then lets the engines using it fire their due timers.
  void advance(std::chrono::milliseconds d) {
    std::vector<std::function<void()>> listeners;
    {
      std::lock_guard lock(mu_);
      wall_ += d.count();
      elapsed_ += d;
      listeners = listeners_;
    }
    for (auto& fn : listeners) fn();
  }

 private:
  mutable std::mutex mu_;
  std::int64_t wall_;
  std::chrono::milliseconds elapsed_{0};
  std::vector<std::function<void()>> listeners_;
};

}  // namespace otaflow::actors
