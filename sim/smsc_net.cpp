#include "sim/smsc_net.hpp"
#include "sim/smsc_worker_pool.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace otaflow::sim {
namespace {

error sys_error(const std::string& what) {
  return make_error(errc::io, what + ": " + std::strerror(errno), error_class::retriable);
}

result<sockaddr_in> make_addr(const std::string& host, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  const std::string h = (host.empty() || host == "localhost") ? "127.0.0.1" : host;
  if (inet_pton(AF_INET, h.c_str(), &a.sin_addr) != 1) {
    return make_error(errc::bad_argument, "host '" + host + "' is not an IPv4 address");
  }
  return a;
}

}  // namespace

void smsc_fd::reset() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

result<smsc_fd> tcp_listen(const std::string& host, std::uint16_t port) {
  auto addr = make_addr(host, port);
  if (!addr) return addr.error();
  smsc_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return sys_error("socket");
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(sockaddr_in)) != 0) {
    return sys_error("bind " + host + ":" + std::to_string(port));
  }
  if (::listen(fd.get(), 128) != 0) return sys_error("listen");
  return fd;
}

result<smsc_fd> tcp_connect(const std::string& host, std::uint16_t port) {
  auto addr = make_addr(host, port);
  if (!addr) return addr.error();
  smsc_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return sys_error("socket");
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(sockaddr_in)) != 0) {
    return sys_error("connect " + host + ":" + std::to_string(port));
  }
  const int one = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

result<std::uint16_t> local_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    return sys_error("getsockname");
  }
  return static_cast<std::uint16_t>(ntohs(a.sin_port));
}

status prepare_accepted(int fd) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return sys_error("fcntl");
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return {};
}

void smsc_eventfd_signal(int fd) noexcept {
  if (fd < 0) return;
  const std::uint64_t one = 1;
  // A full counter (EAGAIN) still leaves the fd readable, which is all the reader needs.
  [[maybe_unused]] const auto n = ::write(fd, &one, sizeof one);
}

std::string peer_name(const sockaddr_in& a) {
  char buf[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
  return std::string(buf) + ":" + std::to_string(ntohs(a.sin_port));
}

}  // namespace otaflow::sim
