#pragma once
// SMSC routes (issue 17): a carrier's several SMSCs (home network, MVNO hosts, an international
// hub), each a route with its own binds, account and rate, rules that pick the cards it
// carries, and fall-back routes taken while it is down. The definitions and the pure matcher
// live here; routed_transport.hpp sends by them; the TOML form is parsed by serve's
// configuration (service/serve_config.hpp, the same [[smsc]] keys), docs/OPERATIONS.md "Routes".

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "actors/smpp_client.hpp"
#include "base/error.hpp"
#include "storage/subscriber_store.hpp"

namespace otaflow::actors {

/// One match entry of a route: every key given must hold (an empty entry matches every card).
struct route_match {
  std::string imsi_prefix;    ///< IMSI starts with this (mcc_mnc = "262-01" becomes "26201")
  std::string msisdn_prefix;  ///< MSISDN (digits) starts with this
  std::map<std::string, std::string> attributes{};  ///< every pair present and equal

  /// Whether the card satisfies every key of this entry.
  [[nodiscard]] bool matches(const storage::subscriber& s) const;
};

/// One route: its SMSC binds, the cards it carries and where they go while it is down.
struct route_def {
  std::string name;                     ///< [A-Za-z0-9._-], at most 64 characters
  std::vector<smpp_options> binds;      ///< one per bind (an [[route.smsc]] of binds = 2 gives two)
  std::vector<route_match> match{};     ///< any entry selects the route; none: a catch-all
  std::vector<std::string> fallback{};  ///< routes tried in order while this one is down
  /// Every bind unbound for this long: the route is down and its cards take a fall-back.
  std::chrono::milliseconds down_after{10'000};
};

/// Routes in order (the first one whose match holds is a card's route).
class route_table {
 public:
  route_table() = default;
  /// Checks names, fall-backs (known, not itself, no cycle), binds and match keys; the error
  /// names the route and field.
  [[nodiscard]] static result<route_table> make(std::vector<route_def> routes);
  /// One catch-all route named `name` over `binds` (serve's [[smsc]] form, `campaign run --smsc`).
  [[nodiscard]] static route_table single(std::vector<smpp_options> binds,
                                          std::string name = "default");

  [[nodiscard]] const std::vector<route_def>& routes() const noexcept { return routes_; }
  [[nodiscard]] bool empty() const noexcept { return routes_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return routes_.size(); }
  /// The index of the first route whose match holds for the card; -1 when none does.
  [[nodiscard]] int route_of(const storage::subscriber& s) const;
  /// The index of the route named `name`; -1 when none is.
  [[nodiscard]] int index_of(std::string_view name) const;
  /// The fall-backs of route `i` as indices, in order.
  [[nodiscard]] const std::vector<std::size_t>& fallbacks(std::size_t i) const {
    return fallback_index_.at(i);
  }
  /// The binds of every route, route after route: bind numbers are global in this order.
  [[nodiscard]] std::vector<smpp_options> all_binds() const;

 private:
  std::vector<route_def> routes_;
  std::vector<std::vector<std::size_t>> fallback_index_;
};

/// "262-01" or "26201" (MCC 3 digits, MNC 2 or 3) as an IMSI prefix; an error names the text.
[[nodiscard]] result<std::string> mcc_mnc_prefix(std::string_view text);

}  // namespace otaflow::actors
