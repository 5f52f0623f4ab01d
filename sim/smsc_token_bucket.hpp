#pragma once
// Token bucket for the per-bind TPS limit: `rate` tokens per second, at most
// `burst` stored. A submit that finds no token is answered ESME_RTHROTTLED.

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace otaflow::sim {

class smsc_token_bucket {
 public:
  using clock = std::chrono::steady_clock;

  /// rate <= 0 disables the limit; burst 0 means max(1, rate).
  smsc_token_bucket(double rate, std::uint32_t burst, clock::time_point now = clock::now())
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

  /// Tokens available at `now` (for tests and stats).
  [[nodiscard]] double available(clock::time_point now = clock::now()) {
    refill(now);
    return tokens_;
  }

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

}  // namespace otaflow::sim
