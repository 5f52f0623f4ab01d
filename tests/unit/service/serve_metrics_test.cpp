// serve() with its metrics hooked in (what [http] listen does): every status event of the
// engine is counted per campaign, variant and state, the trigger loop's and the status
// producer's series are there, and the text stays what Prometheus accepts.

#include "service/serve_metrics.hpp"

#include "tests/unit/service/serve_test_util.hpp"

namespace otaflow::service::test {
namespace {

std::string scrape(const actors::run_metrics& rm, const serve_metrics& sm) {
  metrics::writer w;
  rm.collect(w);
  sm.collect(w);
  EXPECT_EQ(w.dropped(), 0u);
  return w.text();
}

TEST_F(service_fixture, MetricsCountEveryCardTheServiceRuns) {
  constexpr int n = 6;
  actors::run_metrics rm(nullptr);
  serve_metrics sm;
  hooks_.metrics = &rm;
  hooks_.serve = &sm;
  start();
  define("c1");
  for (int i = 0; i < n; ++i) send(i % 2, trigger("c1", i));
  const std::string done =
      "otaflow_campaign_cards{campaign=\"c1\",variant=\"default\",state=\"done\"} " +
      std::to_string(n) + "\n";
  std::string text;
  ASSERT_TRUE(eventually([&] {
    text = scrape(rm, sm);
    return text.find(done) != std::string::npos;
  })) << text;
  // Every card was seen queued first: its latency is observed; each PoR was 00.
  EXPECT_NE(text.find("otaflow_por_latency_seconds_count " + std::to_string(n) + "\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("otaflow_por_status_total{campaign=\"c1\",status=\"00\"} " +
                      std::to_string(n) + "\n"),
            std::string::npos);
  EXPECT_NE(text.find("otaflow_counters_reserved_total " + std::to_string(n) + "\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("otaflow_kafka_brokers_reachable{producer=\"status\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("state=\"queued\"} 0\n"), std::string::npos);
  // The trigger loop's counters arrive with its next tick: the campaign and the n triggers.
  ASSERT_TRUE(eventually([&] {
    text = scrape(rm, sm);
    return text.find("otaflow_trigger_records_total " + std::to_string(n + 1) + "\n") !=
           std::string::npos;
  })) << text;
  EXPECT_EQ(sm.brokers_down(), std::nullopt);
  // Every trigger read: no lag once the loop's position is past them (a tick later).
  ASSERT_TRUE(eventually([&] {
    text = scrape(rm, sm);
    return text.find("otaflow_kafka_consumer_lag 0\n") != std::string::npos;
  })) << text;

  auto ended = stop();
  ASSERT_TRUE(ended.has_value() && ended->ok());
  // After the stop the engine and producer are no longer read; the counts stay.
  text = scrape(rm, sm);
  EXPECT_NE(text.find(done), std::string::npos);
  EXPECT_EQ(text.find("otaflow_kafka_producer_queue"), std::string::npos);
  EXPECT_NE(text.find("otaflow_journal_backlog 0\n"), std::string::npos);
  EXPECT_EQ(sm.brokers_down(), "Kafka producer not started");
}

}  // namespace
}  // namespace otaflow::service::test
