#include "sim/smsc_link.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace otaflow::sim::smsc_io {

std::ptrdiff_t link_read(link& l, std::uint8_t* buf, std::size_t n, std::string& why) {
  if (!l.tls) {
    while (true) {
      const auto r = ::read(l.fd.get(), buf, n);
      if (r > 0) return r;
      if (r == 0) {
        why = "peer closed the connection";
        return -1;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      if (errno == EINTR) continue;
      why = std::string("read failed: ") + std::strerror(errno);
      return -1;
    }
  }
  std::size_t got = 0;
  switch (l.tls->read(buf, n, got)) {
    case tls_io::done:
      return static_cast<std::ptrdiff_t>(got);
    case tls_io::want_write:
      l.tls_wants_write = true;
      return 0;
    case tls_io::want_read:
      return 0;
    case tls_io::closed:
      why = "peer closed the connection";
      return -1;
    case tls_io::failed:
      break;
  }
  why = l.tls->error();
  return -1;
}

std::ptrdiff_t link_write(link& l, const std::uint8_t* buf, std::size_t n, std::string& why) {
  if (!l.tls) {
    while (true) {
      const auto r = ::send(l.fd.get(), buf, n, MSG_NOSIGNAL);
      if (r >= 0) return r;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      if (errno == EINTR) continue;
      why = std::string("write failed: ") + std::strerror(errno);
      return -1;
    }
  }
  std::size_t put = 0;
  switch (l.tls->write(buf, n, put)) {
    case tls_io::done:
      return static_cast<std::ptrdiff_t>(put);
    case tls_io::want_write:
    case tls_io::want_read:  // renegotiation is off: a TLS 1.3 key update at most
      return 0;
    default:
      why = l.tls->error();
      return -1;
  }
}

}  // namespace otaflow::sim::smsc_io
