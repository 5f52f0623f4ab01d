#pragma once
// The process's HTTP endpoint (cpp-httplib): GET /metrics (Prometheus text 0.0.4 from a
// metrics::registry), GET /healthz (the process answers), GET /readyz (every readiness check
// passes: SMSC binds up, brokers reachable, state open; the failing ones' reasons otherwise),
// a JSON 404 for anything else, and more GET/POST routes registered by the code that owns
// them (the /api/v1 routes). It runs on its own threads; loopback by default (docs/OPERATIONS.md).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/metrics.hpp"

namespace otaflow::service {

/// "HOST:PORT" split: host (an IPv6 address in brackets loses them) and port (0 = any free).
struct listen_address {
  std::string host;
  std::uint16_t port = 0;
};
/// Parses "HOST:PORT" ("127.0.0.1:9464", "[::1]:0", ":9464" = loopback).
[[nodiscard]] result<listen_address> parse_listen(std::string_view text);

/// What a route handler sees.
struct http_request {
  std::string method;
  std::string path;
  std::string body;
  std::vector<std::string> matches;                 ///< the route pattern's capture groups
  std::multimap<std::string, std::string> params;   ///< query parameters
  std::multimap<std::string, std::string> headers;  ///< as sent (names as the client wrote them)
  std::string remote_addr;  ///< the client's IP address (the TCP peer: a proxy's, behind one)
};

/// What a route handler answers.
struct http_response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

using http_handler = std::function<http_response(const http_request&)>;
/// A readiness check: empty when ready, else why not ("SMSC bind 0 down").
using readiness_check = std::function<std::optional<std::string>()>;

class http_server {
 public:
  /// Serves `metrics` (borrowed: it outlives the server) on /metrics.
  explicit http_server(const metrics::registry& metrics);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Adds a route; `pattern` is an ECMAScript regex matched against the whole path, its
  /// groups go to http_request::matches. Routes may be added before or after start(); the
  /// first that matches answers. A handler that throws answers 500 with the message.
  void get(const std::string& pattern, http_handler handler);
  void post(const std::string& pattern, http_handler handler);
  /// Adds a readiness check named `name` (its reasons are prefixed with it).
  void add_readiness(std::string name, readiness_check check);

  /// Binds `listen` ("HOST:PORT") and serves on its own threads. Fails with the address when
  /// it cannot bind. Once.
  [[nodiscard]] status start(std::string_view listen);
  /// The bound address, "HOST:PORT" with the real port; empty before start().
  [[nodiscard]] std::string address() const;
  [[nodiscard]] std::uint16_t port() const noexcept;
  /// Stops serving and joins the threads. Idempotent; the destructor calls it.
  void stop();

  /// The /readyz answer now: 200 with {"ready":true,"reasons":[]} or 503 with the reasons.
  [[nodiscard]] http_response readiness() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace otaflow::service
