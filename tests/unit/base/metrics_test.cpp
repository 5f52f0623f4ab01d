#include "base/metrics.hpp"

#include <cmath>
#include <limits>
#include <thread>

#include <gtest/gtest.h>

namespace otaflow::metrics {
namespace {

TEST(Metrics, CountersAndGaugesGroupByFamilyWithHelpAndTypeOnce) {
  writer w;
  w.counter("otaflow_smpp_submits_total", "submit_sm sent", {{"bind", "a:1/0"}}, 12);
  w.gauge("otaflow_window_in_flight", "cards in flight", {}, 3.5);
  w.counter("otaflow_smpp_submits_total", "ignored help", {{"bind", "a:1/1"}}, 0);
  EXPECT_EQ(w.text(),
            "# HELP otaflow_smpp_submits_total submit_sm sent\n"
            "# TYPE otaflow_smpp_submits_total counter\n"
            "otaflow_smpp_submits_total{bind=\"a:1/0\"} 12\n"
            "otaflow_smpp_submits_total{bind=\"a:1/1\"} 0\n"
            "# HELP otaflow_window_in_flight cards in flight\n"
            "# TYPE otaflow_window_in_flight gauge\n"
            "otaflow_window_in_flight 3.5\n");
  EXPECT_EQ(w.dropped(), 0u);
}

TEST(Metrics, LabelValuesAndHelpAreEscaped) {
  writer w;
  w.gauge("x", "a \\ b\nc \"q\"", {{"campaign", "a\\b\"c\nd"}, {"v", ""}}, 1);
  EXPECT_EQ(w.text(),
            "# HELP x a \\\\ b\\nc \"q\"\n"
            "# TYPE x gauge\n"
            "x{campaign=\"a\\\\b\\\"c\\nd\",v=\"\"} 1\n");
}

TEST(Metrics, InvalidNamesAndTypeConflictsAreDropped) {
  writer w;
  w.counter("1bad", "h", {}, 1);
  w.counter("ok_total", "h", {{"bad-label", "x"}}, 1);
  w.counter("ok_total", "h", {{"__reserved", "x"}}, 1);
  w.counter("ok_total", "h", {{"le", "x"}}, 1);
  w.counter("ok_total", "h", {}, 2);
  w.gauge("ok_total", "h", {}, 3);  // the family is a counter
  EXPECT_EQ(w.dropped(), 5u);
  EXPECT_EQ(w.text(), "# HELP ok_total h\n# TYPE ok_total counter\nok_total 2\n");
}

TEST(Metrics, ValuesUseShortestDecimalAndSpecialNames) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(2000), "2000");
  EXPECT_EQ(format_value(0.005), "0.005");
  EXPECT_EQ(format_value(-1.25), "-1.25");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
}

TEST(Metrics, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  histogram h({0.1, 1, 0.5 /* not ascending: dropped */, 5});
  for (const double v : {0.05, 0.1, 0.7, 3.0, 9.0, 9.0}) h.observe(v);
  const auto s = h.snapshot();
  ASSERT_EQ(s.bounds, (std::vector<double>{0.1, 1, 5}));
  EXPECT_EQ(s.counts, (std::vector<std::uint64_t>{2, 1, 1, 2}));
  EXPECT_EQ(s.count, 6u);
  writer w;
  w.histogram("otaflow_por_latency_seconds", "trigger to PoR", {{"campaign", "c1"}}, s);
  EXPECT_EQ(w.text(),
            "# HELP otaflow_por_latency_seconds trigger to PoR\n"
            "# TYPE otaflow_por_latency_seconds histogram\n"
            "otaflow_por_latency_seconds_bucket{campaign=\"c1\",le=\"0.1\"} 2\n"
            "otaflow_por_latency_seconds_bucket{campaign=\"c1\",le=\"1\"} 3\n"
            "otaflow_por_latency_seconds_bucket{campaign=\"c1\",le=\"5\"} 4\n"
            "otaflow_por_latency_seconds_bucket{campaign=\"c1\",le=\"+Inf\"} 6\n"
            "otaflow_por_latency_seconds_sum{campaign=\"c1\"} 21.85\n"
            "otaflow_por_latency_seconds_count{campaign=\"c1\"} 6\n");
}

TEST(Metrics, HistogramCountsEveryObservationFromManyThreads) {
  histogram h({1, 2});
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&h] {
      for (int i = 0; i < 10000; ++i) h.observe(i % 3);
    });
  }
  for (auto& t : ts) t.join();
  const auto s = h.snapshot();
  EXPECT_EQ(s.count, 40000u);
  // i % 3 == 0 or 1 land in le=1; 2 in le=2.
  EXPECT_EQ(s.counts[0], 4u * 6667u);
  EXPECT_EQ(s.counts[1], 4u * 3333u);
  EXPECT_EQ(s.counts[2], 0u);
  EXPECT_DOUBLE_EQ(s.sum, 4.0 * (3333 * 1 + 3333 * 2));
}

TEST(Metrics, RegistryRunsCollectorsInOrderAndForgetsRemovedOnes) {
  registry r;
  int scrapes = 0;
  const auto a = r.add([&](writer& w) { w.gauge("a", "first", {}, ++scrapes); });
  r.add([](writer& w) { w.counter("b_total", "second", {{"k", "v"}}, 7); });
  EXPECT_EQ(r.scrape(),
            "# HELP a first\n# TYPE a gauge\na 1\n"
            "# HELP b_total second\n# TYPE b_total counter\nb_total{k=\"v\"} 7\n");
  r.remove(a);
  EXPECT_EQ(r.scrape(), "# HELP b_total second\n# TYPE b_total counter\nb_total{k=\"v\"} 7\n");
  EXPECT_EQ(scrapes, 1);
}

}  // namespace
}  // namespace otaflow::metrics
