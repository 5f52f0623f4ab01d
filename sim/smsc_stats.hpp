#pragma once
// Counters of the SMSC simulator: written by its threads with relaxed atomics,
// read as a plain snapshot (smsc_summary) that prints itself.

#include <atomic>
#include <cstdint>
#include <string>

namespace otaflow::sim {

/// A copy of the counters at one moment.
struct smsc_summary {
  std::uint64_t connections = 0;           ///< TCP connections accepted
  std::uint64_t binds = 0;                 ///< successful binds
  std::uint64_t bind_failures = 0;         ///< binds refused (bad system_id/password, state)
  std::uint64_t unbinds = 0;               ///< unbind requests answered
  std::uint64_t submits = 0;               ///< submit_sm and data_sm received
  std::uint64_t accepted = 0;              ///< submits answered ESME_ROK
  std::uint64_t throttled = 0;             ///< submits answered ESME_RTHROTTLED
  std::uint64_t queue_full = 0;            ///< submits answered ESME_RMSGQFUL
  std::uint64_t rejected = 0;              ///< submits refused for another reason
  std::uint64_t generic_nacks = 0;         ///< generic_nack sent (malformed or unknown PDUs)
  std::uint64_t attempts = 0;              ///< delivery attempts to the gateway
  std::uint64_t delivered = 0;             ///< RP-ACK from the handset
  std::uint64_t absent = 0;                ///< attempts that met an absent subscriber
  std::uint64_t busy = 0;                  ///< attempts answered RP-ERROR FCS D4 (SIM busy)
  std::uint64_t failed = 0;                ///< messages that failed for good (UNDELIV)
  std::uint64_t expired = 0;               ///< messages out of validity or retries (EXPIRED)
  std::uint64_t dropped = 0;               ///< messages dropped by fault injection
  std::uint64_t receipts = 0;              ///< delivery receipts sent to an ESME
  std::uint64_t pors = 0;                  ///< PoR deliver_sm sent to an ESME (RP-ACK data or MO)
  std::uint64_t esme_nacks = 0;            ///< deliver_sm_resp with a non-zero status
  std::uint64_t resends = 0;               ///< deliver_sm sent again (timeout, lost bind)
  std::uint64_t injected_disconnects = 0;  ///< links dropped by fault injection

  /// A multi-line, human-readable table of the counters.
  [[nodiscard]] std::string to_string() const;
};

/// The live counters.
struct smsc_stats {
  std::atomic<std::uint64_t> connections{0}, binds{0}, bind_failures{0}, unbinds{0}, submits{0},
      accepted{0}, throttled{0}, queue_full{0}, rejected{0}, generic_nacks{0}, attempts{0},
      delivered{0}, absent{0}, busy{0}, failed{0}, expired{0}, dropped{0}, receipts{0}, pors{0},
      esme_nacks{0}, resends{0}, injected_disconnects{0};

  /// Adds one to a counter.
  static void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) noexcept {
    c.fetch_add(n, std::memory_order_relaxed);
  }
  /// Copies every counter.
  [[nodiscard]] smsc_summary snapshot() const noexcept;
};

}  // namespace otaflow::sim
