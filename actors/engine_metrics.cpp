#include "actors/engine_metrics.hpp"

#include <algorithm>
#include <functional>

#include "base/bytes.hpp"

namespace otaflow::actors {
namespace {

bool terminal(model::job_state s) noexcept {
  return s == model::job_state::done || s == model::job_state::failed ||
         s == model::job_state::skipped;
}

}  // namespace

// ---- status_metrics -------------------------------------------------------------------

status_metrics::status_metrics(status_sink* inner) : inner_(inner) {}

void status_metrics::emit(std::span<const status_event> events) {
  for (const auto& e : events) {
    auto& s = stripes_[std::hash<std::string>{}(e.iccid) % stripes];
    std::lock_guard lock(s.mu);
    observe(s, e);
  }
  events_.fetch_add(events.size(), std::memory_order_relaxed);
  if (inner_ != nullptr) inner_->emit(events);
}

void status_metrics::observe(stripe& s, const status_event& e) {
  const auto st = static_cast<std::size_t>(e.state);
  if (st >= model::job_state_count) return;
  auto cit = s.campaigns.find(std::string_view(e.campaign));
  if (cit == s.campaigns.end()) cit = s.campaigns.emplace(e.campaign, campaign_part{}).first;
  auto& part = cit->second;
  auto vit = part.variants.find(std::string_view(e.variant));
  if (vit == part.variants.end()) vit = part.variants.emplace(e.variant, state_counts{}).first;
  state_counts* counted = &vit->second;
  auto it = part.cards.find(std::string_view(e.iccid));
  std::int64_t first_ms = -1;
  if (it != part.cards.end()) {
    --(*it->second.counted)[static_cast<std::size_t>(it->second.state)];
    first_ms = it->second.first_ms;
  } else if (e.state == model::job_state::queued ||
             (e.state == model::job_state::packaging && e.attempt <= 1)) {
    // A card's first state: `queued` in serve, the first `packaging` in a campaign run (its
    // queued state is not journaled).
    first_ms = e.ts_ms;
  }
  ++(*counted)[st];
  if (terminal(e.state)) {
    if (e.por_status) ++part.por[*e.por_status];
    if (e.state == model::job_state::failed) {
      auto fit = part.failures.find(std::string_view(e.reason));
      if (fit != part.failures.end()) {
        ++fit->second;
      } else if (part.failures.size() < max_reasons) {
        part.failures.emplace(e.reason, 1);
      } else {
        ++part.failures["other reasons"];
      }
    }
    if (e.por_status && first_ms >= 0 && e.state != model::job_state::skipped) {
      latency_.observe(static_cast<double>(e.ts_ms - first_ms) / 1000.0);
    }
    if (it != part.cards.end()) part.cards.erase(it);
    return;
  }
  if (it == part.cards.end()) {
    part.cards.emplace(e.iccid, card{counted, first_ms, e.state});
  } else {
    it->second = card{counted, first_ms, e.state};
  }
}

void status_metrics::on_alert(const alert& a) {
  std::lock_guard lock(alerts_mu_);
  ++alerts_[{a.campaign, std::string(to_string(a.kind))}];
  recent_alerts_.push_back(a);
  if (recent_alerts_.size() > max_recent_alerts) recent_alerts_.pop_front();
}

status_metrics::view status_metrics::snapshot() const {
  view v;
  for (const auto& s : stripes_) {
    std::lock_guard lock(s.mu);
    for (const auto& [campaign, part] : s.campaigns) {
      auto& sum = v.campaigns[campaign];
      for (const auto& [variant, counts] : part.variants) {
        // A stripe's count of a state may be negative for a moment (a card counted in
        // another stripe's variant); the sum over stripes is not.
        for (std::size_t i = 0; i < counts.size(); ++i) {
          sum[i] = static_cast<std::uint64_t>(static_cast<std::int64_t>(sum[i]) + counts[i]);
        }
      }
      for (const auto& [status, n] : part.por) v.por[status] += n;
      for (const auto& [reason, n] : part.failures) v.failures[reason] += n;
    }
  }
  v.latency = latency_.snapshot();
  std::lock_guard lock(alerts_mu_);
  v.alerts.assign(recent_alerts_.begin(), recent_alerts_.end());
  return v;
}

void status_metrics::collect(metrics::writer& w) const {
  std::map<std::pair<std::string, std::string>, state_counts> states;
  std::map<std::pair<std::string, std::uint8_t>, std::uint64_t> por;
  for (const auto& s : stripes_) {
    std::lock_guard lock(s.mu);
    for (const auto& [campaign, part] : s.campaigns) {
      for (const auto& [variant, counts] : part.variants) {
        auto& sum = states[{campaign, variant}];
        for (std::size_t i = 0; i < counts.size(); ++i) sum[i] += counts[i];
      }
      for (const auto& [status, n] : part.por) por[{campaign, status}] += n;
    }
  }
  for (const auto& [k, counts] : states) {
    for (std::size_t i = 0; i < counts.size(); ++i) {
      w.gauge("otaflow_campaign_cards",
              "Cards of a campaign per update variant and job state, from the status events "
              "this process emitted",
              {{"campaign", k.first},
               {"variant", k.second},
               {"state", std::string(to_string(static_cast<model::job_state>(i)))}},
              static_cast<double>(counts[i]));
    }
  }
  for (const auto& [k, n] : por) {
    w.counter("otaflow_por_status_total",
              "Cards that ended with a PoR, by the PoR's status code (hex, TS 102 225 5.1.2)",
              {{"campaign", k.first}, {"status", to_hex(k.second, 2, hex_case::upper)}},
              static_cast<double>(n));
  }
  w.histogram("otaflow_por_latency_seconds",
              "Time from a card's trigger (queued) to its terminal state with a PoR", {},
              latency_.snapshot());
  w.counter("otaflow_status_events_total", "Status events emitted (state changes made durable)", {},
            static_cast<double>(events_.load(std::memory_order_relaxed)));
  std::lock_guard lock(alerts_mu_);
  for (const auto& [k, n] : alerts_) {
    w.counter("otaflow_alerts_total", "Alerts raised, by campaign and kind",
              {{"campaign", k.first}, {"kind", k.second}}, static_cast<double>(n));
  }
}

// ---- packaging ------------------------------------------------------------------------

std::vector<result<packaged>> metered_packet_factory::package(
    std::span<const package_request> requests) {
  auto out = inner_.package(requests);
  m_.batch_sizes.observe(static_cast<double>(requests.size()));
  std::uint64_t ok = 0;
  for (const auto& r : out) ok += r ? 1 : 0;
  m_.packaged.fetch_add(ok, std::memory_order_relaxed);
  m_.refused.fetch_add(out.size() - ok, std::memory_order_relaxed);
  return out;
}

void packaging_metrics::collect(metrics::writer& w) const {
  w.histogram("otaflow_crypto_batch_size", "Packaging requests per crypto stage batch", {},
              batch_sizes.snapshot());
  w.counter("otaflow_counters_reserved_total",
            "Packets secured, each with an OTA counter reserved durably", {},
            static_cast<double>(packaged.load(std::memory_order_relaxed)));
  w.counter("otaflow_packaging_failures_total",
            "Packaging requests refused (counter row, key or script errors)", {},
            static_cast<double>(refused.load(std::memory_order_relaxed)));
}

// ---- SMPP -----------------------------------------------------------------------------

void collect_smpp(metrics::writer& w, const std::vector<std::string>& names,
                  const std::vector<smpp_stats>& stats) {
  for (std::size_t i = 0; i < stats.size() && i < names.size(); ++i) {
    const auto& s = stats[i];
    const metrics::labels b = {{"bind", names[i]}};
    const auto with = [&](const char* k, const char* v) {
      auto l = b;
      l.emplace_back(k, v);
      return l;
    };
    w.counter("otaflow_smpp_submits_total", "submit_sm sent (one per SMS segment)", b,
              static_cast<double>(s.submits));
    const char* resp_help = "submit_sm_resp received, by result";
    w.counter("otaflow_smpp_submit_responses_total", resp_help, with("result", "ok"),
              static_cast<double>(s.submit_ok));
    w.counter("otaflow_smpp_submit_responses_total", resp_help, with("result", "failed"),
              static_cast<double>(s.submit_failed));
    w.counter("otaflow_smpp_submit_responses_total", resp_help, with("result", "throttled"),
              static_cast<double>(s.throttled));
    w.counter("otaflow_smpp_submits_lost_total",
              "submit_sm unanswered when their connection dropped", b, static_cast<double>(s.lost));
    w.counter("otaflow_smpp_receipts_total", "Delivery receipts received", b,
              static_cast<double>(s.receipts));
    w.counter("otaflow_smpp_mo_total", "Mobile-originated messages (PoRs) received", b,
              static_cast<double>(s.mo));
    w.counter("otaflow_smpp_connects_total", "TCP connections opened to the SMSC", b,
              static_cast<double>(s.connects));
    w.counter("otaflow_smpp_reconnects_total", "Connections lost after being opened", b,
              static_cast<double>(s.disconnects));
    w.counter("otaflow_smpp_bind_failures_total", "Binds the SMSC refused", b,
              static_cast<double>(s.bind_failures));
    w.gauge("otaflow_smpp_window", "submit_sm awaiting their submit_sm_resp", b,
            static_cast<double>(s.window));
    w.gauge("otaflow_smpp_bound", "1 while the bind is up", b, s.bound ? 1 : 0);
  }
}

// ---- run_metrics ----------------------------------------------------------------------

void run_metrics::attach_engine(const engine* eng) {
  std::lock_guard lock(mu_);
  eng_ = eng;
}

void run_metrics::detach_engine() {
  std::lock_guard lock(mu_);
  if (eng_ != nullptr) last_timers_ = eng_->timers_armed();
  eng_ = nullptr;
  in_flight.store(0, std::memory_order_relaxed);
}

void collect_routes(metrics::writer& w, const std::vector<route_stats>& routes) {
  for (const auto& r : routes) {
    const metrics::labels l{{"route", r.name}};
    w.counter("otaflow_route_submitted_total", "Messages handed to the route's SMSC binds", l,
              static_cast<double>(r.submitted));
    w.counter("otaflow_route_accepted_total", "Messages the route's SMSC accepted", l,
              static_cast<double>(r.accepted));
    w.counter("otaflow_route_failed_total", "Messages the route's SMSC refused", l,
              static_cast<double>(r.failed));
    w.counter("otaflow_route_lost_total", "Messages lost with a connection of the route", l,
              static_cast<double>(r.lost));
    w.counter("otaflow_route_receipts_total", "Delivery receipts that came on the route", l,
              static_cast<double>(r.receipts));
    w.counter("otaflow_route_fallbacks_total",
              "Messages of the route's cards sent on a fall-back route", l,
              static_cast<double>(r.fallback_out));
    w.counter("otaflow_route_fallback_carried_total",
              "Messages the route carried for another route's cards", l,
              static_cast<double>(r.fallback_in));
    w.gauge("otaflow_route_up",
            "1 while the route takes its cards (bound, or down for less than "
            "its down_after)",
            l, r.up ? 1 : 0);
  }
}

void run_metrics::attach_transport(const routed_transport* tp) {
  std::lock_guard lock(mu_);
  tp_ = tp;
  bind_names_.clear();
  if (tp != nullptr) {
    const auto n = tp->bind_stats().size();
    for (std::size_t i = 0; i < n; ++i) bind_names_.push_back(tp->bind_name(i));
  }
}

void run_metrics::detach_transport() {
  std::lock_guard lock(mu_);
  if (tp_ != nullptr) {
    last_binds_ = tp_->bind_stats();
    for (auto& b : last_binds_) {
      b.bound = false;
      b.window = 0;
    }
    last_routes_ = tp_->routes_stats();
    for (auto& r : last_routes_) r.up = r.bound = false;
  }
  tp_ = nullptr;
}

void run_metrics::collect(metrics::writer& w) const {
  statuses.collect(w);
  packaging.collect(w);
  std::lock_guard lock(mu_);
  const auto binds = tp_ != nullptr ? tp_->bind_stats() : last_binds_;
  collect_smpp(w, bind_names_, binds);
  collect_routes(w, tp_ != nullptr ? tp_->routes_stats() : last_routes_);
  // campaign run reports its cards in flight by progress; serve's service actor counts them.
  const auto running = std::max(in_flight.load(std::memory_order_relaxed),
                                eng_ != nullptr ? eng_->stats().in_flight : 0);
  w.gauge("otaflow_cards_in_flight", "Cards in flight (jobs running)", {},
          static_cast<double>(running));
  w.gauge("otaflow_journal_backlog", "State changes sent to the journal, not durable yet", {},
          eng_ != nullptr ? static_cast<double>(eng_->journal_backlog()) : 0.0);
  w.gauge("otaflow_timers_armed", "Engine timers armed (PoR timeouts, back-offs, wake-ups)", {},
          static_cast<double>(eng_ != nullptr ? eng_->timers_armed() : last_timers_));
}

std::vector<std::pair<std::string, smpp_stats>> run_metrics::binds() const {
  std::lock_guard lock(mu_);
  const auto stats = tp_ != nullptr ? tp_->bind_stats() : last_binds_;
  std::vector<std::pair<std::string, smpp_stats>> out;
  for (std::size_t i = 0; i < stats.size(); ++i) {
    out.emplace_back(i < bind_names_.size() ? bind_names_[i] : std::to_string(i), stats[i]);
  }
  return out;
}

std::vector<route_stats> run_metrics::routes() const {
  std::lock_guard lock(mu_);
  return tp_ != nullptr ? tp_->routes_stats() : last_routes_;
}

std::optional<std::string> run_metrics::binds_down() const {
  std::lock_guard lock(mu_);
  if (tp_ == nullptr) return "no SMSC transport running";
  const auto binds = tp_->bind_stats();
  std::string down;
  for (std::size_t i = 0; i < binds.size(); ++i) {
    if (binds[i].bound) continue;
    if (!down.empty()) down += ", ";
    down += i < bind_names_.size() ? bind_names_[i] : std::to_string(i);
  }
  if (down.empty()) return std::nullopt;
  return "SMSC binds down: " + down;
}

}  // namespace otaflow::actors
