#pragma once
// The engine's transport over SMSC routes (routes.hpp): one smpp_transport per route. A submit
// goes out on its card's preferred route while that route is up, else on the first of its
// fall-backs (in order, then theirs) that is up; with none up it waits in the preferred route's
// sessions (they queue while reconnecting). A route is down once every bind of it has been
// unbound for longer than its down_after; the submits it holds then move to a fall-back, and
// new ones come back to it as soon as it binds again. Bind numbers (on_submit_outcome,
// bind_name, bind_stats) are global: route after route, in table order. Receipts and PoRs go to
// the one listener whichever route and bind they arrive on. With several routes the SMSC message
// ids the listener sees are "ROUTE/ID" (each SMSC numbers its own; two may issue the same id).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "actors/routes.hpp"
#include "actors/smpp_client.hpp"

namespace otaflow::actors {

/// Counters of one route (monotonic) and its state now.
struct route_stats {
  std::string name;
  bool up = false;                 ///< now: bound, or unbound for less than down_after
  bool bound = false;              ///< now: at least one bind is bound
  std::size_t binds = 0;           ///< binds of the route
  std::uint64_t submitted = 0;     ///< messages (cards' attempts) handed to the route's sessions
  std::uint64_t accepted = 0;      ///< of which every segment was accepted
  std::uint64_t failed = 0;        ///< refused with a final or retriable status
  std::uint64_t lost = 0;          ///< on the wire when a connection dropped
  std::uint64_t receipts = 0;      ///< delivery receipts that arrived on the route's binds
  std::uint64_t mo = 0;            ///< MO messages (PoRs) that arrived on the route's binds
  std::uint64_t fallback_out = 0;  ///< messages of this route's cards sent on a fall-back
  std::uint64_t fallback_in = 0;   ///< messages this route carried for another route's cards
  std::uint64_t reclaimed = 0;     ///< queued messages handed on to a fall-back while it was down
};

class routed_transport final : public transport {
 public:
  /// Starts every route's sessions (the table holds at least one route).
  explicit routed_transport(route_table routes);
  ~routed_transport() override;
  routed_transport(const routed_transport&) = delete;
  routed_transport& operator=(const routed_transport&) = delete;

  void set_listener(transport_listener* listener) override;
  void submit(submit_request request) override;
  /// "HOST:PORT/N" of the route's session; "ROUTE:HOST:PORT/N" when there are several routes.
  [[nodiscard]] std::string bind_name(std::size_t bind) const override;
  [[nodiscard]] std::string route_of_bind(std::size_t bind) const override;

  /// Waits until every route has every bind bound, at most `timeout` in all. A route that did
  /// not bind is accepted (with a warning) when one of its fall-backs did; otherwise the error
  /// names the route.
  [[nodiscard]] status wait_bound(std::chrono::milliseconds timeout);
  /// Sums every session's counters.
  [[nodiscard]] smpp_stats stats() const;
  /// Each session's counters, global bind order; empty after stop().
  [[nodiscard]] std::vector<smpp_stats> bind_stats() const;
  /// Each route's counters, table order.
  [[nodiscard]] std::vector<route_stats> routes_stats() const;
  [[nodiscard]] const route_table& table() const noexcept { return table_; }
  /// Unbinds and stops every session.
  void stop();

 private:
  struct route_state;
  [[nodiscard]] bool up(std::size_t route, std::chrono::steady_clock::time_point now) const;
  /// The route a submit preferring `preferred` takes now.
  [[nodiscard]] std::size_t pick(std::size_t preferred,
                                 std::chrono::steady_clock::time_point now) const;
  /// Every 100 ms: a route down with a fall-back up gives its queued submits to it.
  void watch();

  route_table table_;
  std::size_t default_route_ = 0;
  std::vector<std::unique_ptr<route_state>> routes_;
  std::atomic<bool> stop_{false};
  /// Serialises stop() against the submits sessions hand back (reclaim_unsent's callback).
  std::shared_mutex gate_;
  std::thread watcher_;
};

}  // namespace otaflow::actors
