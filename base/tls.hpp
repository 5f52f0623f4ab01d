#pragma once
// TLS (OpenSSL 3) over a non-blocking socket, shared by the SMPP client (actors/smpp_client.cpp,
// a poll loop) and the SMSC simulator (sim/smsc_server.cpp, an epoll loop). A `tls_context`
// holds the certificates; a `tls_session` wraps one connected fd (which it does not own) and
// reports WANT_READ / WANT_WRITE so that the caller's loop polls for the right event. OpenSSL
// stays behind this header.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/error.hpp"

namespace otaflow {

/// A client's TLS settings (the ESME side).
struct tls_client_options {
  std::string ca_file;      ///< default empty: the system's trust store
  std::string cert_file;    ///< default empty: no client certificate (PEM, with its chain)
  std::string key_file;     ///< default empty; required with cert_file (PEM, mode 600)
  std::string server_name;  ///< default empty: the host connected to; checked in the certificate
};

/// A server's TLS settings (the SMSC simulator).
struct tls_server_options {
  std::string cert_file;  ///< PEM certificate (with its chain)
  std::string key_file;   ///< PEM private key, not readable by group or others
};

/// Certificates and settings shared by the sessions of one side (an OpenSSL SSL_CTX). Making
/// one sets SIGPIPE to SIG_IGN for the process (OpenSSL writes to sockets with write(2)).
class tls_context {
 public:
  /// A client context: peer verification on, TLS 1.2 at least. Fails naming the file that
  /// cannot be loaded, or a key file readable by group or others.
  [[nodiscard]] static result<std::shared_ptr<tls_context>> client(const tls_client_options& o);
  /// A server context with its certificate and key (checked to match).
  [[nodiscard]] static result<std::shared_ptr<tls_context>> server(const tls_server_options& o);

  ~tls_context();
  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;

  struct impl;

 private:
  explicit tls_context(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
  friend class tls_session;
};

/// What a TLS operation did.
enum class tls_io : std::uint8_t {
  done,        ///< bytes moved (or the handshake finished)
  want_read,   ///< retry once the fd is readable
  want_write,  ///< retry once the fd is writable
  closed,      ///< the peer closed the connection (close_notify or EOF)
  failed,      ///< a protocol or verification error: error() says which
};

/// One TLS connection over a connected non-blocking fd (not owned; close it after the session).
class tls_session {
 public:
  /// The client end; `host` is the name the certificate must hold (a DNS name, sent as SNI,
  /// or an IP address) unless the context's server_name overrides it.
  [[nodiscard]] static result<std::unique_ptr<tls_session>> client(
      const std::shared_ptr<tls_context>& ctx, int fd, const std::string& host);
  /// The server end (the handshake runs inside the first read or write, or handshake()).
  [[nodiscard]] static result<std::unique_ptr<tls_session>> server(
      const std::shared_ptr<tls_context>& ctx, int fd);

  ~tls_session();
  tls_session(const tls_session&) = delete;
  tls_session& operator=(const tls_session&) = delete;

  /// Advances the handshake.
  [[nodiscard]] tls_io handshake();
  /// Reads up to n bytes; on done, `got` holds how many.
  [[nodiscard]] tls_io read(std::uint8_t* buf, std::size_t n, std::size_t& got);
  /// Writes up to n bytes (partial writes allowed; the buffer may move between retries but
  /// must start with the same bytes); on done, `put` holds how many.
  [[nodiscard]] tls_io write(const std::uint8_t* buf, std::size_t n, std::size_t& put);
  /// Sends close_notify (best effort, never blocks).
  void shutdown() noexcept;
  /// Why the last operation failed: the certificate verification result when that was the
  /// cause ("certificate verify failed: unable to get local issuer certificate"), else
  /// OpenSSL's error queue.
  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  /// Whether the handshake has finished.
  [[nodiscard]] bool established() const noexcept;
  /// "TLSv1.3 TLS_AES_256_GCM_SHA384" once established.
  [[nodiscard]] std::string describe() const;

  struct ssl_holder;

 private:
  tls_session(std::shared_ptr<tls_context> ctx, std::unique_ptr<ssl_holder> ssl);
  tls_io outcome(int rc, const char* what);

  std::shared_ptr<tls_context> ctx_;
  std::unique_ptr<ssl_holder> ssl_;
  std::string error_;
};

}  // namespace otaflow
