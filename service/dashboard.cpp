#include "service/dashboard.hpp"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace otaflow::service {
namespace {

constexpr std::int64_t rate_window_ms = 60'000;
constexpr std::size_t max_failures = 20;
constexpr std::size_t max_alerts = 50;

using counts = std::array<std::uint64_t, model::job_state_count>;

nlohmann::json states_json(const counts& c) {
  auto j = nlohmann::json::object();
  for (std::size_t i = 0; i < c.size(); ++i) {
    j[std::string(model::to_string(static_cast<model::job_state>(i)))] = c[i];
  }
  return j;
}

std::uint64_t total(const counts& c) {
  std::uint64_t n = 0;
  for (auto v : c) n += v;
  return n;
}

std::string por_code(std::uint8_t code) {
  char buf[3];
  std::snprintf(buf, sizeof buf, "%02x", code);
  return buf;
}

}  // namespace

std::uint64_t finished_cards(const counts& states) noexcept {
  return states[static_cast<std::size_t>(model::job_state::done)] +
         states[static_cast<std::size_t>(model::job_state::failed)] +
         states[static_cast<std::size_t>(model::job_state::skipped)];
}

void dashboard_history::sample(const dashboard_snapshot& s) {
  point p;
  p.t_ms = s.now_ms;
  for (const auto& c : s.campaigns) {
    for (std::size_t i = 0; i < p.states.size(); ++i) p.states[i] += c.states[i];
  }
  p.finished = finished_cards(p.states);
  std::lock_guard lock(mu_);
  points_.push_back(p);
  while (points_.size() > capacity_) points_.pop_front();
  for (const auto& c : s.campaigns) {
    auto& q = finished_[c.id];
    q.emplace_back(s.now_ms, finished_cards(c.states));
    while (q.size() > 1 && q.front().first < s.now_ms - rate_window_ms) q.pop_front();
  }
  // Campaigns no longer reported (a registry that forgot them) are dropped with their history.
  for (auto it = finished_.begin(); it != finished_.end();) {
    const bool present =
        std::any_of(s.campaigns.begin(), s.campaigns.end(),
                    [&](const dashboard_campaign& c) { return c.id == it->first; });
    it = present ? std::next(it) : finished_.erase(it);
  }
}

std::string dashboard_history::render(const dashboard_snapshot& s) const {
  nlohmann::json j;
  j["instance"] = s.instance;
  j["mode"] = s.mode;
  j["started_ms"] = s.started_ms;
  j["now_ms"] = s.now_ms;

  counts all{};
  auto campaigns = nlohmann::json::array();
  std::lock_guard lock(mu_);
  for (const auto& c : s.campaigns) {
    for (std::size_t i = 0; i < all.size(); ++i) all[i] += c.states[i];
    const std::uint64_t cards = std::max(total(c.states), c.targets);
    double rate = 0;
    if (auto it = finished_.find(c.id); it != finished_.end() && it->second.size() > 1) {
      const auto& [t0, f0] = it->second.front();
      const auto& [t1, f1] = it->second.back();
      if (t1 > t0 && f1 >= f0)
        rate = static_cast<double>(f1 - f0) * 1000.0 / static_cast<double>(t1 - t0);
    }
    const std::uint64_t remaining = cards - finished_cards(c.states);
    nlohmann::json eta = nullptr;
    if (remaining == 0) {
      eta = 0;
    } else if (rate > 0 && c.status == "running") {
      eta = static_cast<double>(remaining) / rate;
    }
    campaigns.push_back({{"id", c.id},
                         {"status", c.status},
                         {"cards", cards},
                         {"targets", c.targets},
                         {"states", states_json(c.states)},
                         {"rate_per_s", rate},
                         {"eta_s", eta}});
  }
  j["campaigns"] = std::move(campaigns);
  std::uint64_t all_cards = 0;
  for (const auto& c : s.campaigns) all_cards += std::max(total(c.states), c.targets);
  j["totals"] = {{"cards", all_cards}, {"states", states_json(all)}};

  auto t_ms = nlohmann::json::array();
  auto finished_rate = nlohmann::json::array();
  std::array<nlohmann::json, model::job_state_count> per_state;
  for (auto& a : per_state) a = nlohmann::json::array();
  const point* prev = nullptr;
  for (const auto& p : points_) {
    t_ms.push_back(p.t_ms);
    for (std::size_t i = 0; i < per_state.size(); ++i) per_state[i].push_back(p.states[i]);
    double r = 0;
    if (prev != nullptr && p.t_ms > prev->t_ms && p.finished >= prev->finished) {
      r = static_cast<double>(p.finished - prev->finished) * 1000.0 /
          static_cast<double>(p.t_ms - prev->t_ms);
    }
    finished_rate.push_back(r);
    prev = &p;
  }
  nlohmann::json series_states = nlohmann::json::object();
  for (std::size_t i = 0; i < per_state.size(); ++i) {
    series_states[std::string(model::to_string(static_cast<model::job_state>(i)))] =
        std::move(per_state[i]);
  }
  j["series"] = {{"t_ms", std::move(t_ms)},
                 {"states", std::move(series_states)},
                 {"finished_per_s", std::move(finished_rate)}};

  j["latency"] = {{"le", s.latency_le}, {"counts", s.latency_counts}};
  auto por = nlohmann::json::object();
  for (const auto& [code, n] : s.por) por[por_code(code)] = n;
  j["por"] = std::move(por);

  auto failures = s.failures;
  std::stable_sort(failures.begin(), failures.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (failures.size() > max_failures) failures.resize(max_failures);
  auto fj = nlohmann::json::array();
  for (const auto& [reason, n] : failures) fj.push_back({{"reason", reason}, {"count", n}});
  j["failures"] = std::move(fj);

  auto aj = nlohmann::json::array();
  const std::size_t first = s.alerts.size() > max_alerts ? s.alerts.size() - max_alerts : 0;
  for (std::size_t i = first; i < s.alerts.size(); ++i) {
    const auto& a = s.alerts[i];
    aj.push_back({{"at_ms", a.at_ms},
                  {"severity", a.severity},
                  {"campaign", a.campaign},
                  {"message", a.message}});
  }
  j["alerts"] = std::move(aj);

  auto bj = nlohmann::json::array();
  for (const auto& b : s.binds) {
    bj.push_back({{"name", b.name},
                  {"up", b.up},
                  {"submits", b.submits},
                  {"receipts", b.receipts},
                  {"throttled", b.throttled},
                  {"reconnects", b.reconnects}});
  }
  j["binds"] = std::move(bj);
  // Reasons come from cards and SMSCs: replace invalid UTF-8 rather than fail the request.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace otaflow::service
