#pragma once
// The SMSC simulator: an SMPP 3.4 server over TCP (one epoll I/O thread plus a
// small pool of workers calling the card gateway) that turns OTA submits into
// TS 23.040 SMS-DELIVERs, stores and forwards them to absent cards, and returns
// PoRs and delivery receipts to the ESME as deliver_sm. See docs/smsc-simulator.md.

#include <cstdint>
#include <memory>

#include "base/error.hpp"
#include "sim/card_gateway.hpp"
#include "sim/smsc_config.hpp"
#include "sim/smsc_stats.hpp"

namespace otaflow::sim {

class smsc_server {
 public:
  /// A server that will deliver through `gateway` (which must outlive it).
  smsc_server(smsc_config config, card_gateway& gateway);
  ~smsc_server();
  smsc_server(const smsc_server&) = delete;
  smsc_server& operator=(const smsc_server&) = delete;

  /// Validates the config, listens, and starts the I/O thread and the workers.
  [[nodiscard]] status start();
  /// The port it listens on (after start; useful with listen_port 0).
  [[nodiscard]] std::uint16_t port() const noexcept;
  /// Closes every link and joins the threads; messages not yet final are discarded.
  void stop();
  /// The counters now (with the deliver_sm each bind was sent).
  [[nodiscard]] smsc_summary summary() const;
  /// Messages accepted and not yet in a final state (queued, in delay or awaiting a retry).
  [[nodiscard]] std::uint64_t messages_in_flight() const noexcept;
  /// The configuration in use.
  [[nodiscard]] const smsc_config& config() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace otaflow::sim
