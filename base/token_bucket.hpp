#pragma once
// Token bucket: `rate` tokens per second, at most `burst` stored. Used for SMPP
// pacing (segments per second per bind) on both sides of the link.

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace otaflow {

class token_bucket {
 public:
  using clock = std::chrono::steady_clock;

  /// rate <= 0 disables the limit; burst 0 means max(1, rate).
  explicit token_bucket(double rate = 0, std::uint32_t burst = 0,
                        clock::time_point now = clock::now())
      : rate_(rate),
        burst_(burst > 0 ? static_cast<double>(burst) : std::max(1.0, rate)),
        tokens_(burst_),
        last_(now) {}

  /// Takes one token if one is available at `now`.
  [[nodiscard]] bool try_take(clock::time_point now = clock::now()) {
    if (rate_ <= 0.0) return true;
    refill(now);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

  /// Tokens available at `now`.
  [[nodiscard]] double available(clock::time_point now = clock::now()) {
    refill(now);
    return tokens_;
  }

  /// How long until one token is available (zero if one is there now).
  [[nodiscard]] clock::duration wait_time(clock::time_point now = clock::now()) {
    if (rate_ <= 0.0) return clock::duration::zero();
    refill(now);
    if (tokens_ >= 1.0) return clock::duration::zero();
    return std::chrono::duration_cast<clock::duration>(
        std::chrono::duration<double>((1.0 - tokens_) / rate_));
  }

  [[nodiscard]] bool limited() const noexcept { return rate_ > 0.0; }

 private:
  void refill(clock::time_point now) {
    if (now <= last_) return;
    const double dt = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + dt * rate_);
    last_ = now;
  }

  double rate_;
  double burst_;
  double tokens_;
  clock::time_point last_;
};

}  // namespace otaflow
