#include "actors/engine_metrics.hpp"

#include "actors/campaign_runner.hpp"

#include <thread>

#include <gtest/gtest.h>

namespace otaflow::actors {
namespace {

using model::job_state;

status_event ev(std::string iccid, job_state s, std::int64_t ts, std::string variant = "v1",
                std::optional<std::uint8_t> por = std::nullopt) {
  return status_event{"c1", std::move(iccid), s, 1, por, "", std::move(variant), ts};
}

// The lines of `text` that start with `prefix`, joined.
std::string lines(const std::string& text, const std::string& prefix) {
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    auto end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    const auto line = text.substr(at, end - at);
    if (line.starts_with(prefix)) out += line + "\n";
    at = end + 1;
  }
  return out;
}

std::string scrape(const status_metrics& m) {
  metrics::writer w;
  m.collect(w);
  EXPECT_EQ(w.dropped(), 0u);
  return w.text();
}

TEST(StatusMetrics, CardsMoveBetweenStatesAndEndWithTheirPorAndLatency) {
  counting_sink inner;
  status_metrics m(&inner);
  const std::vector<status_event> batch1 = {
      ev("A", job_state::queued, 1000), ev("B", job_state::queued, 1000),
      ev("A", job_state::packaging, 1001), ev("A", job_state::submitting, 1002),
      ev("B", job_state::packaging, 1002)};
  m.emit(batch1);
  const std::vector<status_event> batch2 = {
      ev("A", job_state::accepted, 1100), ev("A", job_state::done, 2500, "v1", 0x00),
      ev("B", job_state::failed, 9000, "v1", 0x01), ev("C", job_state::skipped, 9000, ""),
      // A card first seen in a later state (a resumed run) only enters it; no latency.
      ev("D", job_state::retry_wait, 9100, "v2"), ev("D", job_state::done, 9200, "v2", 0x00)};
  m.emit(batch2);
  EXPECT_EQ(inner.count(), 11u);
  const auto text = scrape(m);
  EXPECT_EQ(lines(text, "otaflow_campaign_cards{campaign=\"c1\",variant=\"v1\""),
            "otaflow_campaign_cards{campaign=\"c1\",variant=\"v1\",state=\"queued\"} 0\n"
            "otaflow_campaign_cards{campaign=\"c1\",variant=\"v1\",state=\"packaging\"} 0\n"
            "otaflow_campaign_cards{campaign=\"c1\",variant=\"v1\",state=\"submitting\"} 0\n"
            "otaflow_campaign_cards{campaign=\"c1\",variant=\"v1\",state=\"accepted\"} 0\n"
            "otaflow_campaign_cards{campaign=\"c1\",variant=\"v1\",state=\"delivered\"} 0\n"
            "otaflow_campaign_cards{campaign=\"c1\",variant=\"v1\",state=\"retry_wait\"} 0\n"
            "otaflow_campaign_cards{campaign=\"c1\",variant=\"v1\",state=\"done\"} 1\n"
            "otaflow_campaign_cards{campaign=\"c1\",variant=\"v1\",state=\"failed\"} 1\n"
            "otaflow_campaign_cards{campaign=\"c1\",variant=\"v1\",state=\"skipped\"} 0\n");
  EXPECT_NE(text.find("otaflow_campaign_cards{campaign=\"c1\",variant=\"\",state=\"skipped\"} 1\n"),
            std::string::npos);
  EXPECT_NE(
      text.find("otaflow_campaign_cards{campaign=\"c1\",variant=\"v2\",state=\"retry_wait\"} 0\n"),
      std::string::npos);
  EXPECT_NE(text.find("otaflow_campaign_cards{campaign=\"c1\",variant=\"v2\",state=\"done\"} 1\n"),
            std::string::npos);
  EXPECT_EQ(lines(text, "otaflow_por_status_total{"),
            "otaflow_por_status_total{campaign=\"c1\",status=\"00\"} 2\n"
            "otaflow_por_status_total{campaign=\"c1\",status=\"01\"} 1\n");
  // A: 1.5 s, B: 8 s.
  EXPECT_EQ(lines(text, "otaflow_por_latency_seconds_"),
            "otaflow_por_latency_seconds_bucket{le=\"0.05\"} 0\n"
            "otaflow_por_latency_seconds_bucket{le=\"0.1\"} 0\n"
            "otaflow_por_latency_seconds_bucket{le=\"0.25\"} 0\n"
            "otaflow_por_latency_seconds_bucket{le=\"0.5\"} 0\n"
            "otaflow_por_latency_seconds_bucket{le=\"1\"} 0\n"
            "otaflow_por_latency_seconds_bucket{le=\"2.5\"} 1\n"
            "otaflow_por_latency_seconds_bucket{le=\"5\"} 1\n"
            "otaflow_por_latency_seconds_bucket{le=\"10\"} 2\n"
            "otaflow_por_latency_seconds_bucket{le=\"30\"} 2\n"
            "otaflow_por_latency_seconds_bucket{le=\"60\"} 2\n"
            "otaflow_por_latency_seconds_bucket{le=\"120\"} 2\n"
            "otaflow_por_latency_seconds_bucket{le=\"300\"} 2\n"
            "otaflow_por_latency_seconds_bucket{le=\"900\"} 2\n"
            "otaflow_por_latency_seconds_bucket{le=\"3600\"} 2\n"
            "otaflow_por_latency_seconds_bucket{le=\"+Inf\"} 2\n"
            "otaflow_por_latency_seconds_sum 9.5\n"
            "otaflow_por_latency_seconds_count 2\n");
  EXPECT_NE(text.find("otaflow_status_events_total 11\n"), std::string::npos);
}

TEST(StatusMetrics, LatencyStartsAtTheFirstPackagingWhereQueuedIsNotJournaled) {
  status_metrics m;
  const std::vector<status_event> a = {ev("A", job_state::packaging, 1000),
                                       ev("A", job_state::done, 1200, "v1", 0x00)};
  m.emit(a);
  const auto text = scrape(m);
  EXPECT_NE(text.find("otaflow_por_latency_seconds_bucket{le=\"0.25\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("otaflow_por_latency_seconds_sum 0.2\n"), std::string::npos);
}

TEST(StatusMetrics, CountsStayExactUnderConcurrentEmitters) {
  status_metrics m;
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&m, t] {
      for (int i = 0; i < 500; ++i) {
        const auto id = std::to_string(t) + "-" + std::to_string(i);
        const std::vector<status_event> a = {ev(id, job_state::queued, 0)};
        m.emit(a);
        const std::vector<status_event> b = {ev(id, job_state::submitting, 10),
                                             ev(id, job_state::done, 20, "v1", 0)};
        m.emit(b);
      }
    });
  }
  for (auto& t : ts) t.join();
  const auto text = scrape(m);
  EXPECT_NE(text.find("state=\"done\"} 2000\n"), std::string::npos);
  EXPECT_NE(text.find("state=\"queued\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("state=\"submitting\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("otaflow_por_status_total{campaign=\"c1\",status=\"00\"} 2000\n"),
            std::string::npos);
}

TEST(StatusMetrics, AlertsAreCountedByCampaignAndKind) {
  status_metrics m;
  alert a;
  a.campaign = "c1";
  a.kind = alert_kind::por_error;
  m.on_alert(a);
  m.on_alert(a);
  const auto text = scrape(m);
  EXPECT_NE(text.find("otaflow_alerts_total{campaign=\"c1\",kind=\"" +
                      std::string(to_string(alert_kind::por_error)) + "\"} 2\n"),
            std::string::npos)
      << text;
}

class fixed_factory final : public packet_factory {
 public:
  std::vector<result<packaged>> package(std::span<const package_request> requests) override {
    std::vector<result<packaged>> out;
    for (const auto& r : requests) {
      if (r.tag % 2 == 0) {
        out.emplace_back(packaged{r.tag, {}});
      } else {
        out.emplace_back(make_error(errc::bad_value, "odd"));
      }
    }
    return out;
  }
  result<por_info> open_por(const card_info&, const campaign_ctx&, byte_view) override {
    return make_error(errc::unsupported, "none");
  }
  std::uint64_t por_rejected() const noexcept override { return 7; }
};

TEST(PackagingMetrics, BatchSizesAndReservedCounters) {
  fixed_factory inner;
  packaging_metrics pm;
  metered_packet_factory f(inner, pm);
  std::vector<package_request> reqs;
  for (std::uint64_t i = 0; i < 5; ++i) reqs.push_back({i, nullptr, nullptr});
  EXPECT_EQ(f.package(reqs).size(), 5u);
  EXPECT_EQ(f.package(std::span(reqs).first(1)).size(), 1u);
  EXPECT_EQ(f.por_rejected(), 7u);
  metrics::writer w;
  pm.collect(w);
  const auto text = w.text();
  EXPECT_EQ(lines(text, "otaflow_crypto_batch_size_"),
            "otaflow_crypto_batch_size_bucket{le=\"1\"} 1\n"
            "otaflow_crypto_batch_size_bucket{le=\"4\"} 1\n"
            "otaflow_crypto_batch_size_bucket{le=\"16\"} 2\n"
            "otaflow_crypto_batch_size_bucket{le=\"64\"} 2\n"
            "otaflow_crypto_batch_size_bucket{le=\"256\"} 2\n"
            "otaflow_crypto_batch_size_bucket{le=\"1024\"} 2\n"
            "otaflow_crypto_batch_size_bucket{le=\"2048\"} 2\n"
            "otaflow_crypto_batch_size_bucket{le=\"4096\"} 2\n"
            "otaflow_crypto_batch_size_bucket{le=\"+Inf\"} 2\n"
            "otaflow_crypto_batch_size_sum 6\n"
            "otaflow_crypto_batch_size_count 2\n");
  // Tags 0, 2, 4 and 0 again succeed.
  EXPECT_NE(text.find("otaflow_counters_reserved_total 4\n"), std::string::npos);
  EXPECT_NE(text.find("otaflow_packaging_failures_total 2\n"), std::string::npos);
}

TEST(SmppMetrics, OneSeriesSetPerBind) {
  smpp_stats a;
  a.submits = 10;
  a.submit_ok = 8;
  a.throttled = 2;
  a.receipts = 8;
  a.mo = 7;
  a.disconnects = 1;
  a.window = 3;
  a.bound = true;
  smpp_stats b;
  metrics::writer w;
  collect_smpp(w, {"h:1/0", "h:1/1"}, {a, b});
  const auto text = w.text();
  EXPECT_EQ(lines(text, "otaflow_smpp_submit_responses_total"),
            "otaflow_smpp_submit_responses_total{bind=\"h:1/0\",result=\"ok\"} 8\n"
            "otaflow_smpp_submit_responses_total{bind=\"h:1/0\",result=\"failed\"} 0\n"
            "otaflow_smpp_submit_responses_total{bind=\"h:1/0\",result=\"throttled\"} 2\n"
            "otaflow_smpp_submit_responses_total{bind=\"h:1/1\",result=\"ok\"} 0\n"
            "otaflow_smpp_submit_responses_total{bind=\"h:1/1\",result=\"failed\"} 0\n"
            "otaflow_smpp_submit_responses_total{bind=\"h:1/1\",result=\"throttled\"} 0\n");
  EXPECT_EQ(lines(text, "otaflow_smpp_bound"),
            "otaflow_smpp_bound{bind=\"h:1/0\"} 1\notaflow_smpp_bound{bind=\"h:1/1\"} 0\n");
  EXPECT_NE(text.find("otaflow_smpp_reconnects_total{bind=\"h:1/0\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("otaflow_smpp_window{bind=\"h:1/0\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("otaflow_smpp_mo_total{bind=\"h:1/0\"} 7\n"), std::string::npos);
}

TEST(RouteMetrics, OneSeriesSetPerRoute) {
  route_stats home;
  home.name = "home";
  home.submitted = 12;
  home.accepted = 11;
  home.fallback_out = 4;
  home.up = false;
  route_stats hub;
  hub.name = "hub";
  hub.submitted = 4;
  hub.fallback_in = 4;
  hub.receipts = 3;
  hub.up = true;
  metrics::writer w;
  collect_routes(w, {home, hub});
  const auto text = w.text();
  EXPECT_EQ(lines(text, "otaflow_route_up"),
            "otaflow_route_up{route=\"home\"} 0\notaflow_route_up{route=\"hub\"} 1\n");
  EXPECT_EQ(lines(text, "otaflow_route_submitted_total"),
            "otaflow_route_submitted_total{route=\"home\"} 12\n"
            "otaflow_route_submitted_total{route=\"hub\"} 4\n");
  EXPECT_NE(text.find("otaflow_route_fallbacks_total{route=\"home\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("otaflow_route_fallback_carried_total{route=\"hub\"} 4\n"),
            std::string::npos);
  EXPECT_NE(text.find("otaflow_route_receipts_total{route=\"hub\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("otaflow_route_accepted_total{route=\"home\"} 11\n"), std::string::npos);
}

}  // namespace
}  // namespace otaflow::actors
