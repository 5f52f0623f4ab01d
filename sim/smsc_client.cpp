#include "sim/smsc_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace otaflow::sim {

namespace smpp = codec::smpp;

result<smsc_client> smsc_client::connect(const std::string& host, std::uint16_t port) {
  auto fd = tcp_connect(host, port);
  if (!fd) return fd.error();
  return smsc_client(std::move(*fd));
}

status smsc_client::send(const smpp::pdu& p) {
  auto b = smpp::encode(p);
  if (!b) return b.error();
  return send_raw(*b);
}

status smsc_client::send_raw(byte_view data) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd_.get(), data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(errc::io, std::string("send: ") + std::strerror(errno));
    off += static_cast<std::size_t>(n);
  }
  return {};
}

result<bytes> smsc_client::receive_raw(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto f = smpp::frame_length(buf_);
    if (!f) return f.error();
    if (f->has_value() && buf_.size() >= **f) {
      bytes out(buf_.begin(), buf_.begin() + **f);
      buf_.erase(buf_.begin(), buf_.begin() + **f);
      return out;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return make_error(errc::io, "no PDU within the timeout", error_class::retriable);
    }
    pollfd p{fd_.get(), POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) continue;
    std::uint8_t tmp[65536];
    const ssize_t n = ::read(fd_.get(), tmp, sizeof tmp);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return make_error(errc::io, "connection closed by the SMSC");
    if (n < 0) return make_error(errc::io, std::string("read: ") + std::strerror(errno));
    buf_.insert(buf_.end(), tmp, tmp + n);
  }
}

result<smpp::pdu> smsc_client::receive(std::chrono::milliseconds timeout) {
  auto raw = receive_raw(timeout);
  if (!raw) return raw.error();
  return smpp::decode(*raw);
}

result<std::uint32_t> smsc_client::bind(smpp::command_id kind, const std::string& system_id,
                                        const std::string& password,
                                        std::chrono::milliseconds timeout) {
  smpp::pdu p;
  p.sequence_number = next_sequence();
  switch (kind) {
    case smpp::command_id::bind_receiver:
      p.body = smpp::bind_receiver{system_id, password, "", smpp::interface_version_34, 0, 0, ""};
      break;
    case smpp::command_id::bind_transmitter:
      p.body =
          smpp::bind_transmitter{system_id, password, "", smpp::interface_version_34, 0, 0, ""};
      break;
    case smpp::command_id::bind_transceiver:
      p.body =
          smpp::bind_transceiver{system_id, password, "", smpp::interface_version_34, 0, 0, ""};
      break;
    default:
      return make_error(errc::bad_argument, "bind: not a bind command_id");
  }
  OTAFLOW_TRY(send(p));
  auto raw = receive_raw(timeout);
  if (!raw) return raw.error();
  byte_reader r(*raw);
  std::uint32_t len = 0, id = 0, st = 0, seq = 0;
  if (!r.u32(len) || !r.u32(id) || !r.u32(st) || !r.u32(seq)) {
    return make_error(errc::truncated, "bind response shorter than a header");
  }
  if (id != (static_cast<std::uint32_t>(kind) | smpp::response_bit) || seq != p.sequence_number) {
    return make_error(errc::bad_value, "unexpected answer to bind");
  }
  return st;
}

bool smsc_client::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    auto r = receive_raw(left);
    if (!r && !r.error().retriable()) return true;
    if (!r) return false;
  }
}

}  // namespace otaflow::sim
