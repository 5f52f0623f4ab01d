#include "sim/smsc_fault.hpp"

#include <cmath>

namespace otaflow::sim {
namespace {

// Distinct salts keep the decisions of one message independent of each other.
enum : std::uint64_t {
  k_absent = 0xA5,
  k_busy = 0xB5,
  k_drop = 0xD7,
  k_throttle = 0x7E,
  k_disconnect = 0xDC,
  k_delay = 0xDE,
  k_por_drop = 0x9D,
};

std::uint64_t hash_text(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64
  for (char ch : s) {
    h ^= static_cast<unsigned char>(ch);
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace

std::uint64_t smsc_fault_injector::mix(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

double smsc_fault_injector::uniform(std::uint64_t kind, std::uint64_t subject,
                                    std::uint64_t attempt) const noexcept {
  const std::uint64_t h = mix(mix(mix(c_.seed ^ (kind << 56)) ^ subject) ^ attempt);
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

bool smsc_fault_injector::card_absent(std::string_view msisdn, std::uint32_t attempt) const {
  if (c_.absent_fraction <= 0.0 || attempt >= c_.absent_attempts) return false;
  return uniform(k_absent, hash_text(msisdn), 0) < c_.absent_fraction;
}

bool smsc_fault_injector::sim_busy(std::uint64_t message_id, std::uint32_t attempt) const {
  return c_.sim_busy_fraction > 0.0 && uniform(k_busy, message_id, attempt) < c_.sim_busy_fraction;
}

bool smsc_fault_injector::dropped(std::uint64_t message_id) const {
  return c_.drop_fraction > 0.0 && uniform(k_drop, message_id, 0) < c_.drop_fraction;
}

bool smsc_fault_injector::por_dropped(std::uint64_t message_id, std::uint32_t attempt) const {
  return c_.por_drop_fraction > 0.0 &&
         uniform(k_por_drop, message_id, attempt) < c_.por_drop_fraction;
}

bool smsc_fault_injector::throttled(std::uint64_t submit_index) const {
  return c_.throttle_fraction > 0.0 && uniform(k_throttle, submit_index, 0) < c_.throttle_fraction;
}

bool smsc_fault_injector::disconnect(std::uint64_t request_index) const {
  return c_.disconnect_fraction > 0.0 &&
         uniform(k_disconnect, request_index, 0) < c_.disconnect_fraction;
}

std::chrono::milliseconds smsc_fault_injector::delivery_delay(std::uint64_t message_id,
                                                              std::uint32_t attempt) const {
  const auto& d = c_.delivery_delay;
  double ms = d.fixed_ms;
  switch (d.dist) {
    case smsc_delay_config::distribution::none:
      break;
    case smsc_delay_config::distribution::exponential: {
      const double u = uniform(k_delay, message_id, attempt);
      ms += -std::log1p(-u) * d.mean_ms;  // inverse CDF; u < 1 so log1p(-u) is finite
      break;
    }
    case smsc_delay_config::distribution::uniform: {
      const double u = uniform(k_delay, message_id, attempt);
      ms += d.min_ms + u * (d.max_ms - d.min_ms);
      break;
    }
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

}  // namespace otaflow::sim
