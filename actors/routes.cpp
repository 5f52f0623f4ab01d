#include "actors/routes.hpp"

#include <algorithm>
#include <functional>
#include <set>

namespace otaflow::actors {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

error bad(const std::string& where, const std::string& what) {
  return make_error(errc::bad_value, "route " + where + ": " + what);
}

bool valid_name(std::string_view n) {
  return !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

status check_route(const route_def& r) {
  const auto where = "'" + r.name + "'";
  if (r.binds.empty()) return bad(where, "smsc: no binds (at least one [[route.smsc]] table)");
  for (std::size_t m = 0; m < r.match.size(); ++m) {
    const auto& e = r.match[m];
    const auto at = where + " match[" + std::to_string(m) + "]";
    if (!e.imsi_prefix.empty() && !digits(e.imsi_prefix))
      return bad(at, "imsi_prefix: digits expected, got '" + e.imsi_prefix + "'");
    if (!e.msisdn_prefix.empty() && !digits(e.msisdn_prefix))
      return bad(at, "msisdn_prefix: digits expected, got '" + e.msisdn_prefix + "'");
  }
  if (r.down_after.count() < 0) return bad(where, "down_after: must not be negative");
  return {};
}

}  // namespace

bool route_match::matches(const storage::subscriber& s) const {
  if (!starts_with(s.imsi, imsi_prefix) || !starts_with(s.msisdn, msisdn_prefix)) return false;
  for (const auto& [k, v] : attributes) {
    auto it = s.attributes.find(k);
    if (it == s.attributes.end() || it->second != v) return false;
  }
  return true;
}

result<std::string> mcc_mnc_prefix(std::string_view text) {
  std::string t(text);
  if (const auto dash = t.find('-'); dash != std::string::npos) {
    if (dash != 3) {
      return make_error(errc::bad_value, "mcc_mnc '" + t + "': expected MCC-MNC like 262-01");
    }
    t.erase(dash, 1);
  }
  if (!digits(t) || t.size() < 5 || t.size() > 6) {
    return make_error(errc::bad_value, "mcc_mnc '" + std::string(text) +
                                           "': expected 3 MCC digits and 2 or 3 MNC "
                                           "digits, like 262-01");
  }
  return t;
}

result<route_table> route_table::make(std::vector<route_def> routes) {
  if (routes.empty()) return bad("table", "no routes (at least one [[route]] table)");
  route_table t;
  std::map<std::string, std::size_t, std::less<>> index;
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const auto& r = routes[i];
    if (!valid_name(r.name)) {
      return bad("[" + std::to_string(i) + "]",
                 "name: '" + r.name + "' is not 1 to 64 of [A-Za-z0-9._-]");
    }
    if (!index.emplace(r.name, i).second) return bad("'" + r.name + "'", "name: duplicate");
    OTAFLOW_TRY(check_route(r));
  }
  t.fallback_index_.resize(routes.size());
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const auto& r = routes[i];
    std::set<std::size_t> seen;
    for (const auto& f : r.fallback) {
      auto it = index.find(f);
      if (it == index.end()) return bad("'" + r.name + "'", "fallback: unknown route '" + f + "'");
      if (it->second == i) return bad("'" + r.name + "'", "fallback: names the route itself");
      if (!seen.insert(it->second).second)
        return bad("'" + r.name + "'", "fallback: '" + f + "' listed twice");
      t.fallback_index_[i].push_back(it->second);
    }
  }
  // Fall-backs form no cycle: a route down sends to its fall-back, never back to itself.
  std::vector<int> mark(routes.size(), 0);  // 0 new, 1 on the path, 2 done
  std::function<status(std::size_t)> visit = [&](std::size_t i) -> status {
    mark[i] = 1;
    for (auto f : t.fallback_index_[i]) {
      if (mark[f] == 1) {
        return bad(
            "'" + routes[i].name + "'",
            "fallback: '" + routes[f].name + "' leads back to '" + routes[i].name + "' (a cycle)");
      }
      if (mark[f] == 0) OTAFLOW_TRY(visit(f));
    }
    mark[i] = 2;
    return {};
  };
  for (std::size_t i = 0; i < routes.size(); ++i) {
    if (mark[i] == 0) OTAFLOW_TRY(visit(i));
  }
  t.routes_ = std::move(routes);
  return t;
}

route_table route_table::single(std::vector<smpp_options> binds, std::string name) {
  route_table t;
  route_def r;
  r.name = std::move(name);
  r.binds = std::move(binds);
  t.routes_.push_back(std::move(r));
  t.fallback_index_.resize(1);
  return t;
}

int route_table::route_of(const storage::subscriber& s) const {
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const auto& m = routes_[i].match;
    if (m.empty() ||
        std::any_of(m.begin(), m.end(), [&](const route_match& e) { return e.matches(s); })) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

int route_table::index_of(std::string_view name) const {
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    if (routes_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::vector<smpp_options> route_table::all_binds() const {
  std::vector<smpp_options> out;
  for (const auto& r : routes_) out.insert(out.end(), r.binds.begin(), r.binds.end());
  return out;
}

}  // namespace otaflow::actors
