#pragma once
// Deterministic fault injection for the SMSC simulator. Each decision hashes
// (seed, subject, attempt, kind) with splitmix64, so the same submit order
// gives the same faults whatever the thread timing.

#include <chrono>
#include <cstdint>
#include <string_view>

#include "sim/smsc_config.hpp"

namespace otaflow::sim {

class smsc_fault_injector {
 public:
  explicit smsc_fault_injector(smsc_fault_config config) : c_(config) {}

  /// Whether the card at msisdn misses this attempt (0-based) as "absent subscriber".
  [[nodiscard]] bool card_absent(std::string_view msisdn, std::uint32_t attempt) const;
  /// Whether this attempt of the message meets a busy SIM (RP-ERROR, TP-FCS D4).
  [[nodiscard]] bool sim_busy(std::uint64_t message_id, std::uint32_t attempt) const;
  /// Whether the message is accepted but silently never delivered.
  [[nodiscard]] bool dropped(std::uint64_t message_id) const;
  /// Whether the PoRs of this attempt of the message are lost on the way back to the ESME.
  [[nodiscard]] bool por_dropped(std::uint64_t message_id, std::uint32_t attempt) const;
  /// Whether the n-th submit of the server is answered ESME_RTHROTTLED.
  [[nodiscard]] bool throttled(std::uint64_t submit_index) const;
  /// Whether the server drops the connection after the n-th request PDU.
  [[nodiscard]] bool disconnect(std::uint64_t request_index) const;
  /// The delay before this attempt of the message.
  [[nodiscard]] std::chrono::milliseconds delivery_delay(std::uint64_t message_id,
                                                         std::uint32_t attempt) const;
  [[nodiscard]] const smsc_fault_config& config() const noexcept { return c_; }

  /// splitmix64 finaliser (public for tests).
  [[nodiscard]] static std::uint64_t mix(std::uint64_t x) noexcept;
  /// A uniform number in [0, 1) from the seed and three inputs.
  [[nodiscard]] double uniform(std::uint64_t kind, std::uint64_t subject,
                               std::uint64_t attempt) const noexcept;

 private:
  smsc_fault_config c_;
};

}  // namespace otaflow::sim
