#pragma once
// A minimal blocking SMPP 3.4 ESME client over the codec, for the simulator's
// tests and benchmark (and quick manual checks): connect, send PDUs, read PDUs
// with a deadline. Not a production ESME (no windowing or reconnects of its own).

#include <chrono>
#include <cstdint>
#include <string>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "codec/smpp34_pdu.hpp"
#include "sim/smsc_net.hpp"

namespace otaflow::sim {

class smsc_client {
 public:
  /// Connects to host:port.
  [[nodiscard]] static result<smsc_client> connect(const std::string& host, std::uint16_t port);

  /// Encodes and sends one PDU (sequence_number as given).
  [[nodiscard]] status send(const codec::smpp::pdu& p);
  /// Sends raw bytes (garbage, hand-made PDUs).
  [[nodiscard]] status send_raw(byte_view data);
  /// The next PDU, as raw bytes; errc::io with retriable class on timeout, errc::io permanent
  /// when the peer closed the connection.
  [[nodiscard]] result<bytes> receive_raw(std::chrono::milliseconds timeout);
  /// The next PDU, decoded.
  [[nodiscard]] result<codec::smpp::pdu> receive(std::chrono::milliseconds timeout);
  /// Binds; returns the command_status of the bind response (0 = bound).
  [[nodiscard]] result<std::uint32_t> bind(codec::smpp::command_id kind,
                                           const std::string& system_id,
                                           const std::string& password,
                                           std::chrono::milliseconds timeout);
  /// Whether the peer closes the connection within the timeout (other PDUs are skipped).
  [[nodiscard]] bool wait_closed(std::chrono::milliseconds timeout);
  /// A fresh sequence number (1, 2, ...).
  std::uint32_t next_sequence() noexcept { return seq_++; }
  /// The socket, for poll() in benchmarks.
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }
  /// Closes the connection.
  void close() noexcept { fd_.reset(); }

 private:
  explicit smsc_client(smsc_fd fd) : fd_(std::move(fd)) {}
  smsc_fd fd_;
  bytes buf_;
  std::uint32_t seq_ = 1;
};

}  // namespace otaflow::sim
