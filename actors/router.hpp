#pragma once
// The router: between the subscribers and the SMPP transport, and the keeper of the jobs'
// timers. It maps job tags, SMSC message ids and MSISDNs to subscriber actors, forwards
// submits to the transport, and delivers what the transport learns (submit results,
// receipts, PoRs) to the job they belong to. Timers (msg::arm_timer) are kept here by tag,
// on the engine's clock, so that a finished job leaves no timer holding its actor alive.

#include <atomic>
#include <cstdint>

#include <caf/all.hpp>

#include "actors/clock.hpp"
#include "actors/engine_ports.hpp"

namespace otaflow::actors {

/// Spawns the router of an engine. `armed` (may be null) follows the number of timers kept.
[[nodiscard]] caf::actor spawn_router(caf::actor_system& sys, transport* tp,
                                      const engine_clock* clock, std::atomic<std::uint64_t>* armed);

/// Tells the router that a manual clock moved: due timers fire.
void tick_router(const caf::actor& router);

/// Forwards transport callbacks (from transport threads) into the router's mailbox.
class router_listener final : public transport_listener {
 public:
  explicit router_listener(caf::actor router) : router_(std::move(router)) {}
  void on_submitted(std::uint64_t tag, std::vector<std::string> ids) override;
  void on_submit_failed(std::uint64_t tag, std::uint32_t status, std::string reason,
                        bool retriable) override;
  void on_submit_lost(std::uint64_t tag) override;
  void on_receipt(std::string id, std::uint8_t state, std::string error) override;
  void on_mo(std::string from, bytes ud) override;
  void on_submit_outcome(std::uint64_t tag, std::size_t bind, submit_outcome o) override;

 private:
  caf::actor router_;
};

}  // namespace otaflow::actors
