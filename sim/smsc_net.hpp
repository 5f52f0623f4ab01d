#pragma once
// Small POSIX socket helpers for the SMSC simulator (IPv4 TCP, non-blocking).

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <utility>

#include "base/error.hpp"

namespace otaflow::sim {

/// Owns a file descriptor; closes it on destruction.
class smsc_fd {
 public:
  smsc_fd() = default;
  explicit smsc_fd(int fd) noexcept : fd_(fd) {}
  smsc_fd(smsc_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  smsc_fd& operator=(smsc_fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  smsc_fd(const smsc_fd&) = delete;
  smsc_fd& operator=(const smsc_fd&) = delete;
  ~smsc_fd() { reset(); }

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  /// Closes the descriptor now.
  void reset() noexcept;

 private:
  int fd_ = -1;
};

/// A listening, non-blocking IPv4 socket on host:port (port 0 = any free port).
[[nodiscard]] result<smsc_fd> tcp_listen(const std::string& host, std::uint16_t port);
/// A blocking IPv4 TCP connection to host:port with TCP_NODELAY set.
[[nodiscard]] result<smsc_fd> tcp_connect(const std::string& host, std::uint16_t port);
/// The local port a socket is bound to.
[[nodiscard]] result<std::uint16_t> local_port(int fd);
/// Sets O_NONBLOCK and TCP_NODELAY on an accepted socket.
[[nodiscard]] status prepare_accepted(int fd);
/// "A.B.C.D:PORT" of an IPv4 peer (the simulator's logs and per-bind summary).
[[nodiscard]] std::string peer_name(const sockaddr_in& a);

}  // namespace otaflow::sim
