#pragma once
// The engine's SMPP 3.4 client (ESME): one thread per bind with a non-blocking
// socket. It binds as transceiver, keeps a window of outstanding submit_sm, paces
// segments with a token bucket, backs off on ESME_RTHROTTLED / ESME_RMSGQFUL,
// answers deliver_sm (receipts and MO PoRs) and enquire_link, sends enquire_link
// when idle, and reconnects with back-off. Submits that were on the wire when a
// connection dropped are reported lost (the job re-packages them with a new
// counter). A pool of sessions implements the engine's `transport` port.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "actors/engine_ports.hpp"
#include "base/tls.hpp"
#include "codec/smpp34_constants.hpp"

namespace otaflow::actors {

/// One SMSC bind. Every field has a default; `host`, `system_id` and `password` come
/// from the command line or the configuration.
struct smpp_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 2775;
  std::string system_id;  ///< at most 15 characters
  /// [route.submit]: the route's submit options (validity, priority, source, receipts); a
  /// campaign's [policy.submit] overrides each field it sets.
  submit_options submit{};
  std::string password;              ///< at most 8 characters
  std::string system_type = "OTA";   ///< at most 12 characters
  std::string source_addr = "8500";  ///< the OTA server's address; PoRs come back to it
  std::uint8_t source_ton = codec::smpp::ton::unknown;
  std::uint8_t source_npi = codec::smpp::npi::isdn;
  std::uint8_t dest_ton = codec::smpp::ton::international;
  std::uint8_t dest_npi = codec::smpp::npi::isdn;  ///< ISDN/E.164
  /// 8-bit, class 2 (TS 23.038 §4)
  std::uint8_t data_coding = codec::smpp::data_coding::gsm_8bit_class2;
  /// receipt on final success or failure
  std::uint8_t registered_delivery = codec::smpp::registered_delivery::receipt_final;
  std::size_t window = 512;  ///< outstanding submit_sm (1..65535)
  double rate = 0;           ///< segments per second; 0 = unpaced
  std::chrono::milliseconds enquire_link_interval{30'000};
  std::chrono::milliseconds response_timeout{30'000};  ///< for any request we sent
  std::chrono::milliseconds reconnect_min{200};
  std::chrono::milliseconds reconnect_max{10'000};
  std::chrono::milliseconds throttle_min{20};
  std::chrono::milliseconds throttle_max{5'000};
  /// Default false: SMPP over TLS (OpenSSL 3); the SMSC's certificate is verified against
  /// `tls_options.ca_file` (default: the system's store) and must name `host` (or
  /// `tls_options.server_name`). A verification failure ends wait_bound with its reason.
  bool tls = false;
  tls_client_options tls_options;  ///< CA file, client certificate and key, server name
};

/// Counters of a session (monotonic), and two values of now.
struct smpp_stats {
  std::uint64_t connects = 0, binds = 0, bind_failures = 0, disconnects = 0;
  std::uint64_t submits = 0, submit_ok = 0, submit_failed = 0, throttled = 0, lost = 0;
  std::uint64_t receipts = 0, mo = 0, enquire_links = 0;
  std::uint64_t window = 0;  ///< now: submit_sm sent and not answered yet
  bool bound = false;        ///< now: the session is bound (a sum: every session is)
};

/// Adds `x`'s counters (and window) into `into`; `bound` is left to the caller.
smpp_stats& operator+=(smpp_stats& into, const smpp_stats& x) noexcept;

/// A pool of SMPP sessions; submits are spread over them by destination, so one
/// card's messages always take the same bind, in order.
class smpp_transport final : public transport {
 public:
  /// Starts one session per options entry (at least one).
  explicit smpp_transport(std::vector<smpp_options> binds);
  ~smpp_transport() override;
  smpp_transport(const smpp_transport&) = delete;
  smpp_transport& operator=(const smpp_transport&) = delete;

  void set_listener(transport_listener* listener) override;
  void submit(submit_request request) override;
  /// "HOST:PORT/N": the SMSC address and the session's number.
  [[nodiscard]] std::string bind_name(std::size_t bind) const override;

  /// Waits until every session is bound. Fails with the reason (connection refused,
  /// ESME_RINVPASWD, ...) when a session cannot bind within the timeout.
  [[nodiscard]] status wait_bound(std::chrono::milliseconds timeout);
  /// Sums the sessions' counters.
  [[nodiscard]] smpp_stats stats() const;
  /// Whether a session is bound now, else since when every one has been unbound (the latest
  /// loss, or the start). Cheap (atomics): routed_transport asks it for every submit.
  struct link_state {
    bool bound = false;
    std::chrono::steady_clock::time_point unbound_since{};
  };
  [[nodiscard]] link_state link() const;
  /// Sessions not bound hand the submits queued and not sent yet to `to`, from their threads,
  /// soon after the call (a session bound by then keeps them): a route that went down gives
  /// its waiting cards to a fall-back.
  void reclaim_unsent(const std::function<void(submit_request)>& to);
  /// Each session's counters, in bind order (bind_name() names them); empty after stop().
  [[nodiscard]] std::vector<smpp_stats> bind_stats() const;
  /// Unbinds and stops every session.
  void stop();

  class session;

 private:
  std::vector<std::unique_ptr<session>> sessions_;
};

}  // namespace otaflow::actors
