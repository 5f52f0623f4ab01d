#pragma once
// Counters of the SMSC simulator: written by its threads with relaxed atomics,
// read as a plain snapshot (smsc_summary) that prints itself.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace otaflow::sim {

/// The deliver_sm one bind was sent (first sends, so they add up to the global pors and
/// receipts; resends apart).
struct smsc_bind_summary {
  std::uint64_t link = 0;      ///< the link's id (as in the log lines "link N ...")
  std::string system_id;       ///< the account it bound to
  std::string peer;            ///< HOST:PORT of the ESME
  std::string kind;            ///< transmitter, receiver or transceiver
  bool open = true;            ///< false once the link closed
  std::uint64_t pors = 0;      ///< PoR deliver_sm sent on this bind
  std::uint64_t receipts = 0;  ///< delivery receipts sent on this bind
  std::uint64_t resent = 0;    ///< deliver_sm sent again on this bind (timeout, lost bind, nack)
};

/// A copy of the counters at one moment.
/// How the accepted submits asked to be handled, counted per value (text keys): the
/// validity_period ("" when absent), priority_flag, registered_delivery and source address as
/// "TON/NPI/address" (SMPP 3.4 §5.2.5-§5.2.17), so tests see the options that arrived.
struct smsc_submit_tally {
  std::map<std::string, std::uint64_t> validity_period, priority, registered_delivery, source;
};

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
  std::uint64_t pors_dropped = 0;          ///< PoRs lost by fault injection (por_drop_fraction)
  std::uint64_t receipts = 0;              ///< delivery receipts sent to an ESME
  std::uint64_t pors = 0;                  ///< PoR deliver_sm sent to an ESME (RP-ACK data or MO)
  std::uint64_t esme_nacks = 0;            ///< deliver_sm_resp with a non-zero status
  std::uint64_t resends = 0;               ///< deliver_sm sent again (timeout, lost bind)
  std::uint64_t injected_disconnects = 0;  ///< links dropped by fault injection
  /// Per bind, in bind order: the open binds and the last k_closed_binds_kept closed ones.
  std::vector<smsc_bind_summary> per_bind;
  /// Submit pacing as the SMSC saw it (an ESME's rate, e.g. one SMSC route's): the most
  /// submits received within one second of the steady clock (whole seconds), and the mean
  /// rate from the first submit to the last (0 with fewer than two).
  std::uint64_t peak_submits_per_s = 0;
  double mean_submits_per_s = 0;
  smsc_submit_tally submit_options;  ///< of the accepted submits

  /// A multi-line, human-readable table of the counters.
  [[nodiscard]] std::string to_string() const;
};

/// The live deliver_sm counters of one bind: the I/O thread bumps them, summaries copy them.
struct smsc_bind_counters {
  std::uint64_t link = 0;
  std::string system_id, peer, kind;  // fixed at bind time
  std::atomic<bool> open{true};
  std::atomic<std::uint64_t> pors{0}, receipts{0}, resent{0};
};

/// The live counters.
struct smsc_stats {
  /// Closed binds whose counters summaries still show (older ones are forgotten, so a
  /// long run with reconnecting ESMEs does not grow without bound).
  static constexpr std::size_t k_closed_binds_kept = 1024;

  std::atomic<std::uint64_t> connections{0}, binds{0}, bind_failures{0}, unbinds{0}, submits{0},
      accepted{0}, throttled{0}, queue_full{0}, rejected{0}, generic_nacks{0}, attempts{0},
      delivered{0}, absent{0}, busy{0}, failed{0}, expired{0}, dropped{0}, pors_dropped{0},
      receipts{0}, pors{0}, esme_nacks{0}, resends{0}, injected_disconnects{0};

  /// Records one submit at steady-clock millisecond `now_ms` (first and last time, the peak of
  /// a whole second). Relaxed: a bin may miss a count when two links cross its start.
  void note_submit(std::int64_t now_ms) noexcept;

  /// Adds one to a counter.
  static void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) noexcept {
    c.fetch_add(n, std::memory_order_relaxed);
  }
  /// Registers a bind that just succeeded; the I/O thread keeps the pointer to count its
  /// deliver_sm.
  [[nodiscard]] std::shared_ptr<smsc_bind_counters> add_bind(std::uint64_t link,
                                                             std::string system_id,
                                                             std::string peer, std::string kind);
  /// Marks a bind closed (its counters stay in summaries, within k_closed_binds_kept).
  void close_bind(smsc_bind_counters& b);
  /// Counts the options of one accepted submit.
  void note_submit(const std::string& validity_period, std::uint8_t priority,
                   std::uint8_t registered_delivery, const std::string& source);
  /// Copies every counter.
  [[nodiscard]] smsc_summary snapshot() const;

 private:
  std::atomic<std::int64_t> first_submit_ms_{-1}, last_submit_ms_{-1}, second_{-1};
  std::atomic<std::uint64_t> in_second_{0}, peak_per_s_{0};
  mutable std::mutex tally_mu_;
  smsc_submit_tally tally_;
  mutable std::mutex binds_mu_;
  std::vector<std::shared_ptr<smsc_bind_counters>> binds_;  // bind order
  std::size_t closed_ = 0;
};

}  // namespace otaflow::sim
