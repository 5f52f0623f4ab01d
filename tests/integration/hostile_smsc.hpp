#pragma once
// A small SMPP 3.4 SMSC written for the hostile-SMSC tests (hostile_smsc_test.cpp): one
// transceiver bind at a time on 127.0.0.1 (ephemeral port), PDUs through codec/smpp34_pdu,
// and a per-test script that decides, for every submit_sm, whether to answer it, refuse it
// (generic_nack, ESME_RTHROTTLED), withhold the answer, drop the connection, or deliver it to
// the virtual card (sim::fleet) whose genuine PoR (and a delivery receipt) then comes back.
// The test can inject deliver_sm PDUs (forged or replayed PoRs, receipts for any message id)
// from any thread. Every submit's OTA counter is read back by deciphering the command packet
// with the card's keys, so the tests can check that no counter is ever used twice.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/bytes.hpp"
#include "codec/smpp34_pdu.hpp"
#include "sim/fleet.hpp"
#include "sim/smsc_net.hpp"

namespace otaflow::hostile {

/// One submit_sm as the SMSC received it.
struct submit_seen {
  std::uint64_t n = 0;  ///< 0-based number of this submit_sm over the SMSC's life
  std::string msisdn;
  std::uint32_t sequence = 0;
  bytes ud;                              ///< TP-UD as submitted (UDH included)
  std::optional<std::uint64_t> counter;  ///< CNTR, deciphered with the card's keys
};

/// What the SMSC does with a submit_sm.
enum class reply : std::uint8_t {
  deliver,   ///< submit_sm_resp OK; the card gets the SM; its receipt and PoR come back
  early,     ///< as deliver, but the receipt and PoR go out before the submit_sm_resp
  accept,    ///< submit_sm_resp OK and nothing more (the test injects what it wants)
  nack,      ///< generic_nack ESME_RINVCMDID (final) with the submit's sequence number
  throttle,  ///< submit_sm_resp ESME_RTHROTTLED (the session resends the same packet)
  withhold,  ///< no answer at all
  drop,      ///< close the connection without answering
};

/// One SM delivered to a card (reply::deliver) and what came back from it.
struct delivery {
  submit_seen submit;
  std::string message_id;
  std::vector<bytes> pors;  ///< TP-UD (UDH included) of each PoR the card sent
};

class hostile_smsc {
 public:
  using policy_fn = std::function<reply(const submit_seen&)>;
  /// Called on the SMSC thread after an accepted submit's submit_sm_resp (and, for
  /// reply::deliver, the card's receipt and PoRs) went out: may inject more PDUs.
  using after_fn = std::function<void(const delivery&)>;
  /// Rewrites a genuine PoR before it is sent (wrong CC, ...); identity by default.
  using mangle_fn = std::function<bytes(const delivery&, bytes por)>;

  /// Listens on 127.0.0.1 (ephemeral port) and serves `fleet`'s cards, whose identities
  /// (keys) come from fleet.source().
  explicit hostile_smsc(sim::fleet& fleet);
  ~hostile_smsc();
  hostile_smsc(const hostile_smsc&) = delete;
  hostile_smsc& operator=(const hostile_smsc&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  /// Set before the engine connects (read on the SMSC thread).
  void set_policy(policy_fn f);
  void set_after_answer(after_fn f);
  void set_mangle(mangle_fn f);
  /// The source_addr of the card's PoRs (default: the MSISDN the submit was for).
  void set_por_source(std::function<std::string(const std::string& msisdn)> f);

  // ---- injections (thread-safe; dropped when no bind is up) ----------------------------
  /// A mobile-originated deliver_sm from `from` carrying `ud` (UDHI set): a PoR.
  void send_mo(const std::string& from, const bytes& ud);
  /// A delivery receipt (esm_class 04) for `message_id`, with TLVs and the App. B text.
  void send_receipt(const std::string& message_id, codec::smpp::message_state state);
  /// A receipt whose text is garbage and that has no TLVs.
  void send_garbage_receipt();
  /// A generic_nack with any sequence number.
  void send_nack(codec::smpp::command_status s, std::uint32_t sequence);

  // ---- what happened -------------------------------------------------------------------
  /// Counters of every packet handed to the SMSC per MSISDN, in arrival order (a throttled
  /// submit, resent as the same packet, counts once: when it is answered otherwise).
  [[nodiscard]] std::map<std::string, std::vector<std::uint64_t>> counters() const;
  [[nodiscard]] std::vector<delivery> deliveries() const;
  [[nodiscard]] std::uint64_t submits() const noexcept { return submits_.load(); }
  [[nodiscard]] std::uint64_t binds() const noexcept { return binds_.load(); }
  /// submit_sm PDUs that could not be read back (no counter): always 0 in these tests.
  [[nodiscard]] std::uint64_t unreadable() const noexcept { return unreadable_.load(); }

 private:
  void loop();
  void on_pdu(const codec::smpp::pdu& p);
  void on_submit(const codec::smpp::pdu& p, const codec::smpp::submit_sm& sm);
  void deliver(delivery& rec);
  std::optional<std::uint64_t> counter_of(const std::string& msisdn, const bytes& ud);
  void send(const codec::smpp::pdu& p);
  void send_deliver(codec::smpp::deliver_sm d);
  void close_conn();

  sim::fleet& fleet_;
  sim::smsc_fd listener_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};

  std::mutex write_mu_;  // conn_ (replaced only on the SMSC thread) and seq_
  sim::smsc_fd conn_;
  std::uint32_t seq_ = 1;
  mutable std::mutex mu_;  // the hooks and the records below; never held while calling a hook
  policy_fn policy_;
  after_fn after_;
  mangle_fn mangle_;
  std::function<std::string(const std::string&)> por_source_;
  std::map<std::string, std::vector<std::uint64_t>> counters_;
  std::vector<delivery> deliveries_;
  std::atomic<std::uint64_t> submits_{0}, binds_{0}, unreadable_{0};
  bytes inbuf_;  // SMSC thread only
};

}  // namespace otaflow::hostile
