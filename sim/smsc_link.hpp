#pragma once
// The SMSC simulator's I/O-thread state: one ESME connection (link), the deliver_sm
// traffic towards one system_id (route) and the deliver_sm themselves. Internal to
// smsc_server.cpp; only its I/O thread touches these.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/bytes.hpp"
#include "base/tls.hpp"
#include "base/token_bucket.hpp"
#include "sim/smsc_net.hpp"
#include "sim/smsc_stats.hpp"

namespace otaflow::sim::smsc_io {

using steady = std::chrono::steady_clock;

/// A deliver_sm waiting for (or sent to) an ESME.
struct outbound {
  bytes pdu;
  std::uint64_t message_id = 0;
  bool receipt = false;
  std::uint8_t resends = 0;
  std::uint64_t origin = 0;  // the link that submitted the message (mo_delivery = origin)
};

struct sent_pdu {
  outbound ob;
  steady::time_point at;
};

enum class link_state : std::uint8_t { open, tx, rx, trx };

inline const char* state_name(link_state s) {
  switch (s) {
    case link_state::open:
      return "open";
    case link_state::tx:
      return "transmitter";
    case link_state::rx:
      return "receiver";
    case link_state::trx:
      return "transceiver";
  }
  return "?";
}

/// One ESME connection. Only the I/O thread touches it.
struct link {
  std::uint64_t id = 0;
  smsc_fd fd;
  std::unique_ptr<tls_session> tls;  // with [smsc] tls_cert: the link's TLS (over fd)
  bool tls_wants_write = false;      // a TLS read waits for the socket to be writable
  std::string peer;
  link_state state = link_state::open;
  std::string system_id;
  bytes in;
  std::size_t in_pos = 0;
  bytes out;
  std::size_t out_pos = 0;
  bool want_out = false;  // EPOLLOUT registered
  bool reading = true;    // EPOLLIN registered
  bool dirty = false;     // in dirty_links
  bool closing = false;   // close once `out` is flushed
  bool dead = false;
  token_bucket bucket{0, 0};
  steady::time_point opened;
  steady::time_point last_rx;
  std::uint32_t next_seq = 1;
  std::unordered_map<std::uint32_t, sent_pdu> sent;
  std::deque<outbound> pending;  // mo_delivery = origin: its own deliver_sm awaiting window room
  std::uint32_t queued = 0;      // its messages waiting for or inside a worker
  std::shared_ptr<smsc_bind_counters> counters;  // once bound: the deliver_sm it was sent

  [[nodiscard]] bool receives() const {
    return state == link_state::rx || state == link_state::trx;
  }
  [[nodiscard]] bool transmits() const {
    return state == link_state::tx || state == link_state::trx;
  }
  [[nodiscard]] std::size_t unsent() const { return out.size() - out_pos; }
};

/// One read from a link (through its TLS when it has one): bytes read, 0 when nothing is there
/// now, -1 when the link is closed or broken (why says which).
[[nodiscard]] std::ptrdiff_t link_read(link& l, std::uint8_t* buf, std::size_t n, std::string& why);
/// One write to a link: bytes written, 0 when it would block, -1 when it is broken (why).
[[nodiscard]] std::ptrdiff_t link_write(link& l, const std::uint8_t* buf, std::size_t n,
                                        std::string& why);

/// The deliver_sm traffic towards one system_id.
struct route {
  std::vector<link*> receivers;  // receiver and transceiver binds, in bind order
  std::deque<outbound> pending;  // for any of the receivers
  std::size_t rr = 0;            // index in receivers of the next one's turn
  bool dirty = false;
  std::uint64_t overflow = 0;
};

}  // namespace otaflow::sim::smsc_io
