#include "base/tls.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <csignal>

#include "base/secrets.hpp"

namespace otaflow {
namespace {

// OpenSSL's error queue as one line (it is per thread: drained here so that the next operation
// starts clean).
std::string ssl_errors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

error tls_error(const std::string& what) {
  const auto detail = ssl_errors();
  return make_error(errc::io, detail.empty() ? what : what + ": " + detail);
}

bool is_ip_address(const std::string& host) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// OpenSSL's socket BIO writes with write(2), not send(MSG_NOSIGNAL): a peer that closed would
// kill the process with SIGPIPE. Every other socket write of otaflow passes MSG_NOSIGNAL, so
// ignoring the signal process-wide changes nothing else (EPIPE is handled as a closed link).
void ignore_sigpipe() {
  std::signal(SIGPIPE, SIG_IGN);
}

status load_cert_and_key(SSL_CTX* ctx, const std::string& cert, const std::string& key) {
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1) {
    return tls_error("TLS certificate " + cert + " cannot be loaded");
  }
  OTAFLOW_TRY(check_private_file(key, "TLS key file"));
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return tls_error("TLS key file " + key + " cannot be loaded");
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return tls_error("TLS key file " + key + " does not match the certificate " + cert);
  }
  return {};
}

}  // namespace

struct tls_context::impl {
  SSL_CTX* ctx = nullptr;
  std::string server_name;  // client: the name to check instead of the host
  ~impl() {
    if (ctx) SSL_CTX_free(ctx);
  }
};

struct tls_session::ssl_holder {
  SSL* ssl = nullptr;
  ~ssl_holder() {
    if (ssl) SSL_free(ssl);
  }
};

tls_context::tls_context(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
tls_context::~tls_context() = default;

result<std::shared_ptr<tls_context>> tls_context::client(const tls_client_options& o) {
  ignore_sigpipe();
  ERR_clear_error();
  auto p = std::make_unique<impl>();
  p->ctx = SSL_CTX_new(TLS_client_method());
  if (!p->ctx) return tls_error("TLS client context");
  SSL_CTX_set_min_proto_version(p->ctx, TLS1_2_VERSION);
  // SMPP frames its own PDUs: a TCP close without close_notify is a closed link, not an attack.
  SSL_CTX_set_options(p->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_verify(p->ctx, SSL_VERIFY_PEER, nullptr);
  if (o.ca_file.empty()) {
    if (SSL_CTX_set_default_verify_paths(p->ctx) != 1) {
      return tls_error("TLS: the system's trust store cannot be loaded");
    }
  } else if (SSL_CTX_load_verify_locations(p->ctx, o.ca_file.c_str(), nullptr) != 1) {
    return tls_error("TLS CA file " + o.ca_file + " cannot be loaded");
  }
  if (!o.cert_file.empty() || !o.key_file.empty()) {
    if (o.cert_file.empty() || o.key_file.empty()) {
      return make_error(errc::bad_argument,
                        "TLS client certificate: cert_file and key_file go together");
    }
    OTAFLOW_TRY(load_cert_and_key(p->ctx, o.cert_file, o.key_file));
  }
  p->server_name = o.server_name;
  return std::shared_ptr<tls_context>(new tls_context(std::move(p)));
}

result<std::shared_ptr<tls_context>> tls_context::server(const tls_server_options& o) {
  ignore_sigpipe();
  ERR_clear_error();
  if (o.cert_file.empty() || o.key_file.empty()) {
    return make_error(errc::bad_argument, "TLS server: a certificate and a key file are needed");
  }
  auto p = std::make_unique<impl>();
  p->ctx = SSL_CTX_new(TLS_server_method());
  if (!p->ctx) return tls_error("TLS server context");
  SSL_CTX_set_min_proto_version(p->ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(p->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
  OTAFLOW_TRY(load_cert_and_key(p->ctx, o.cert_file, o.key_file));
  return std::shared_ptr<tls_context>(new tls_context(std::move(p)));
}

tls_session::tls_session(std::shared_ptr<tls_context> ctx, std::unique_ptr<ssl_holder> ssl)
    : ctx_(std::move(ctx)), ssl_(std::move(ssl)) {}
tls_session::~tls_session() = default;

result<std::unique_ptr<tls_session>> tls_session::client(const std::shared_ptr<tls_context>& ctx,
                                                         int fd, const std::string& host) {
  ERR_clear_error();
  auto h = std::make_unique<ssl_holder>();
  h->ssl = SSL_new(ctx->impl_->ctx);
  if (!h->ssl || SSL_set_fd(h->ssl, fd) != 1) return tls_error("TLS session");
  // SSL_write returns after each record it could send (the caller keeps the rest) and accepts a
  // buffer that moved since a retry (the caller's output buffer grows).
  SSL_set_mode(h->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  const std::string& name = ctx->impl_->server_name.empty() ? host : ctx->impl_->server_name;
  // SSL_set1_host takes an IP address as one (matched against iPAddress SANs); SNI carries
  // DNS names only (RFC 6066 §3).
  if (SSL_set1_host(h->ssl, name.c_str()) != 1) {
    return tls_error("TLS: '" + name + "' cannot be set as the expected host name");
  }
  SSL_set_hostflags(h->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (!is_ip_address(name) && SSL_set_tlsext_host_name(h->ssl, name.c_str()) != 1) {
    return tls_error("TLS: SNI '" + name + "'");
  }
  SSL_set_connect_state(h->ssl);
  return std::unique_ptr<tls_session>(new tls_session(ctx, std::move(h)));
}

result<std::unique_ptr<tls_session>> tls_session::server(const std::shared_ptr<tls_context>& ctx,
                                                         int fd) {
  ERR_clear_error();
  auto h = std::make_unique<ssl_holder>();
  h->ssl = SSL_new(ctx->impl_->ctx);
  if (!h->ssl || SSL_set_fd(h->ssl, fd) != 1) return tls_error("TLS session");
  SSL_set_mode(h->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_set_accept_state(h->ssl);
  return std::unique_ptr<tls_session>(new tls_session(ctx, std::move(h)));
}

tls_io tls_session::outcome(int rc, const char* what) {
  switch (SSL_get_error(ssl_->ssl, rc)) {
    case SSL_ERROR_NONE:
      return tls_io::done;
    case SSL_ERROR_WANT_READ:
      return tls_io::want_read;
    case SSL_ERROR_WANT_WRITE:
      return tls_io::want_write;
    case SSL_ERROR_ZERO_RETURN:
      error_ = "the peer closed the TLS connection";
      return tls_io::closed;
    case SSL_ERROR_SYSCALL: {
      const auto detail = ssl_errors();
      error_ = detail.empty() ? std::string("connection closed during TLS ") + what
                              : std::string("TLS ") + what + ": " + detail;
      return detail.empty() ? tls_io::closed : tls_io::failed;
    }
    default:
      break;
  }
  const long v = SSL_get_verify_result(ssl_->ssl);
  if (v != X509_V_OK) {
    error_ = std::string("certificate verify failed: ") + X509_verify_cert_error_string(v);
    ERR_clear_error();
  } else {
    const auto detail = ssl_errors();
    error_ = std::string("TLS ") + what + " failed" + (detail.empty() ? "" : ": " + detail);
  }
  return tls_io::failed;
}

tls_io tls_session::handshake() {
  if (SSL_is_init_finished(ssl_->ssl)) return tls_io::done;
  ERR_clear_error();
  return outcome(SSL_do_handshake(ssl_->ssl), "handshake");
}

tls_io tls_session::read(std::uint8_t* buf, std::size_t n, std::size_t& got) {
  got = 0;
  ERR_clear_error();
  const int rc = SSL_read_ex(ssl_->ssl, buf, n, &got);
  return rc == 1 ? tls_io::done : outcome(rc, "read");
}

tls_io tls_session::write(const std::uint8_t* buf, std::size_t n, std::size_t& put) {
  put = 0;
  ERR_clear_error();
  const int rc = SSL_write_ex(ssl_->ssl, buf, n, &put);
  return rc == 1 ? tls_io::done : outcome(rc, "write");
}

void tls_session::shutdown() noexcept {
  if (SSL_is_init_finished(ssl_->ssl)) (void)SSL_shutdown(ssl_->ssl);
  ERR_clear_error();
}

bool tls_session::established() const noexcept {
  return SSL_is_init_finished(ssl_->ssl) != 0;
}

std::string tls_session::describe() const {
  const char* cipher = SSL_get_cipher_name(ssl_->ssl);
  return std::string(SSL_get_version(ssl_->ssl)) + " " + (cipher ? cipher : "?");
}

}  // namespace otaflow
