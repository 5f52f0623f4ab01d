#include "service/http_server.hpp"

#include <charconv>
#include <chrono>
#include <mutex>
#include <regex>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "base/log.hpp"

namespace otaflow::service {
namespace {

// Two worker threads answer requests: scrapes and API calls are rare and short, and the
// machine's cores belong to the engine.
constexpr std::size_t worker_threads = 2;

std::string json_error(int status, const std::string& message) {
  return nlohmann::json{{"error", message}, {"status", status}}.dump();
}

}  // namespace

result<listen_address> parse_listen(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return make_error(errc::bad_argument,
                      "HTTP listen address '" + std::string(text) + "': expected HOST:PORT");
  }
  listen_address out;
  out.host = std::string(text.substr(0, colon));
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  if (out.host.empty()) out.host = "127.0.0.1";
  const auto port = text.substr(colon + 1);
  unsigned value = 0;
  const auto r = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || r.ec != std::errc{} || r.ptr != port.data() + port.size() || value > 65535) {
    return make_error(errc::bad_argument, "HTTP listen address '" + std::string(text) +
                                              "': port '" + std::string(port) +
                                              "' is not a number in 0..65535");
  }
  out.port = static_cast<std::uint16_t>(value);
  return out;
}

struct http_server::impl {
  struct route {
    std::string method;
    std::regex pattern;
    http_handler handler;
  };

  const metrics::registry& metrics;
  httplib::Server server;
  std::thread thread;
  mutable std::mutex mu;  // routes, checks
  std::vector<route> routes;
  std::vector<std::pair<std::string, readiness_check>> checks;
  std::string host;
  std::uint16_t port = 0;
  bool started = false;
  std::shared_ptr<spdlog::logger> log = log::get("http");

  explicit impl(const metrics::registry& m) : metrics(m) {}

  void dispatch(const std::string& method, const httplib::Request& req, httplib::Response& res) {
    http_request in;
    in.method = method;
    in.path = req.path;
    in.body = req.body;
    in.remote_addr = req.remote_addr;
    for (const auto& [k, v] : req.params) in.params.emplace(k, v);
    for (const auto& [k, v] : req.headers) in.headers.emplace(k, v);
    http_handler handler;
    {
      std::lock_guard lock(mu);
      for (const auto& r : routes) {
        std::smatch m;
        if (r.method == method && std::regex_match(req.path, m, r.pattern)) {
          for (std::size_t i = 1; i < m.size(); ++i) in.matches.push_back(m[i].str());
          handler = r.handler;
          break;
        }
      }
    }
    http_response out;
    if (!handler) {
      out.status = 404;
      out.body = json_error(404, method + " " + req.path + ": no such route");
    } else {
      try {
        out = handler(in);
      } catch (const std::exception& e) {
        out = {500, "application/json", json_error(500, method + " " + req.path + ": " + e.what())};
      }
    }
    res.status = out.status;
    res.set_content(out.body, out.content_type.c_str());
  }
};

http_server::http_server(const metrics::registry& metrics)
    : impl_(std::make_unique<impl>(metrics)) {
  get("/metrics", [this](const http_request&) {
    return http_response{200, std::string(metrics::content_type), impl_->metrics.scrape()};
  });
  get("/healthz", [](const http_request&) {
    return http_response{200, "application/json", R"({"status":"alive"})"};
  });
  get("/readyz", [this](const http_request&) { return readiness(); });
}

http_server::~http_server() {
  stop();
}

void http_server::get(const std::string& pattern, http_handler handler) {
  std::lock_guard lock(impl_->mu);
  impl_->routes.push_back({"GET", std::regex(pattern), std::move(handler)});
}

void http_server::post(const std::string& pattern, http_handler handler) {
  std::lock_guard lock(impl_->mu);
  impl_->routes.push_back({"POST", std::regex(pattern), std::move(handler)});
}

void http_server::add_readiness(std::string name, readiness_check check) {
  std::lock_guard lock(impl_->mu);
  impl_->checks.emplace_back(std::move(name), std::move(check));
}

http_response http_server::readiness() const {
  std::vector<std::pair<std::string, readiness_check>> checks;
  {
    std::lock_guard lock(impl_->mu);
    checks = impl_->checks;
  }
  auto reasons = nlohmann::json::array();
  for (const auto& [name, check] : checks) {
    if (auto why = check()) reasons.push_back(name + ": " + *why);
  }
  const bool ready = reasons.empty();
  return {ready ? 200 : 503, "application/json",
          nlohmann::json{{"ready", ready}, {"reasons", reasons}}.dump()};
}

status http_server::start(std::string_view listen) {
  auto addr = parse_listen(listen);
  if (!addr) return addr.error();
  if (impl_->started) {
    return make_error(errc::conflict, "HTTP server already started on " + address());
  }
  auto& svr = impl_->server;
  svr.new_task_queue = [] { return new httplib::ThreadPool(worker_threads); };
  // httplib's default adds SO_REUSEPORT: a second process would share the port silently.
  svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  svr.Get(".*", [this](const httplib::Request& q, httplib::Response& r) {
    impl_->dispatch("GET", q, r);
  });
  svr.Post(".*", [this](const httplib::Request& q, httplib::Response& r) {
    impl_->dispatch("POST", q, r);
  });
  int port = addr->port;
  const bool bound = port == 0 ? (port = svr.bind_to_any_port(addr->host)) > 0
                               : svr.bind_to_port(addr->host, port);
  if (!bound) {
    return make_error(errc::io, "HTTP listen address '" + std::string(listen) +
                                    "': cannot bind (in use, or not an address of this host)");
  }
  impl_->host = addr->host;
  impl_->port = static_cast<std::uint16_t>(port);
  impl_->started = true;
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  // stop() only reaches a server that is running: wait until it is (a few ms at most).
  for (int i = 0; i < 5000 && !svr.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  impl_->log->info("HTTP endpoint on http://{} (/metrics, /healthz, /readyz)", address());
  return {};
}

std::string http_server::address() const {
  if (!impl_->started) return {};
  const bool v6 = impl_->host.find(':') != std::string::npos;
  return (v6 ? "[" + impl_->host + "]" : impl_->host) + ":" + std::to_string(impl_->port);
}

std::uint16_t http_server::port() const noexcept {
  return impl_->port;
}

void http_server::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->server.stop();
  impl_->thread.join();
}

}  // namespace otaflow::service
