// The campaign report's pieces: escaping, plot geometry, histogram bins, the samples of the
// state plot from job histories, the HTML sections and the cards CSV (RFC 4180).

#include "service/report.hpp"

#include <gtest/gtest.h>

#include "service/report_svg.hpp"

namespace otaflow::service {
namespace {

using model::job_record;
using model::job_state;

std::size_t occurrences(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

job_record job(job_state st, std::string reason, std::vector<model::job_history_entry> h) {
  job_record j;
  j.state = st;
  j.reason = std::move(reason);
  j.variant = "default";
  j.history = std::move(h);
  j.attempt = j.history.empty() ? 0 : j.history.back().attempt;
  j.updated_ms = j.history.empty() ? 0 : j.history.back().at_ms;
  return j;
}

TEST(ReportSvg, EscapesMarkup) {
  EXPECT_EQ(svg::escape("PoR <01> & \"x\" 'y'"), "PoR &lt;01&gt; &amp; &quot;x&quot; &#39;y&#39;");
  EXPECT_EQ(svg::escape("plain"), "plain");
}

TEST(ReportSvg, BandPointsMapDataToTheFrame) {
  svg::frame f;
  f.width = 100;
  f.height = 100;
  f.left = f.right = f.top = f.bottom = 0;
  f.x_min = 0;
  f.x_max = 10;
  f.y_min = 0;
  f.y_max = 10;
  EXPECT_DOUBLE_EQ(f.px(5), 50);
  EXPECT_DOUBLE_EQ(f.py(2.5), 75);
  // Upper edge left to right, then the lower edge back.
  EXPECT_EQ(svg::band_points(f, {0, 10}, {0, 2}, {5, 10}),
            "0.0,50.0 100.0,0.0 100.0,80.0 0.0,100.0");
  f.left = 10;  // the plot area shrinks to 90 px wide
  EXPECT_DOUBLE_EQ(f.px(10), 100);
  EXPECT_DOUBLE_EQ(f.px(0), 10);
}

TEST(ReportSvg, TicksAreRound) {
  EXPECT_EQ(svg::nice_ticks(0, 19, 2), (std::vector<double>{0, 10, 20}));
  EXPECT_EQ(svg::nice_ticks(0, 1000, 5), (std::vector<double>{0, 200, 400, 600, 800, 1000}));
  // 10 s span, about 5 ticks: every 2 s on whole seconds.
  EXPECT_EQ(svg::time_ticks(1500, 11500, 5),
            (std::vector<std::int64_t>{2000, 4000, 6000, 8000, 10000}));
  EXPECT_EQ(svg::clock_text(1700000000123), "22:13:20");
  EXPECT_EQ(svg::number_text(12000), "12k");
  EXPECT_EQ(svg::number_text(7), "7");
}

TEST(ReportSvg, HistogramBinsCountEveryValue) {
  const auto bins = svg::histogram_bins({0, 5, 9, 10, 19}, 2);
  ASSERT_EQ(bins.size(), 2u);
  EXPECT_EQ(bins[0].lo, 0);
  EXPECT_EQ(bins[0].hi, 10);
  EXPECT_EQ(bins[0].count, 3u);
  EXPECT_EQ(bins[1].count, 2u);
  // A maximum on an edge still gets a bin of its own.
  const auto edge = svg::histogram_bins({10, 20}, 2);
  ASSERT_EQ(edge.size(), 3u);
  EXPECT_EQ(edge[2].count, 1u);
  const auto chart = svg::histogram(bins, "latency (ms)", "cards");
  EXPECT_EQ(occurrences(chart, "<rect"), 2u);
  EXPECT_NE(chart.find(">latency (ms)</text>"), std::string::npos);
}

TEST(ReportSvg, StackedAreaDrawsOneBandPerSeriesWithALegend) {
  const std::vector<std::int64_t> t = {1700000000000, 1700000005000, 1700000010000};
  const auto chart =
      svg::stacked_area(t, {{"done", "#2e8540", {0, 1, 2}}, {"failed <&>", "#c62828", {1, 1, 0}}},
                        "cards", {{1700000005000, "pause"}, {1800000000000, "outside"}});
  EXPECT_EQ(occurrences(chart, "<polygon"), 2u);
  // The default frame: x 64..744 px, y 230 (0 cards) .. 16 (2 cards, the top tick).
  EXPECT_NE(chart.find("points=\"64.0,230.0 404.0,123.0 744.0,16.0 744.0,230.0 404.0,230.0 "
                       "64.0,230.0\""),
            std::string::npos)
      << chart;
  EXPECT_NE(chart.find("points=\"64.0,123.0 404.0,16.0 744.0,16.0 744.0,16.0 404.0,123.0 "
                       "64.0,230.0\""),
            std::string::npos);
  // The pause at the middle of the range: a dashed line at x 404; a marker outside: none.
  EXPECT_NE(chart.find("<line x1=\"404.0\" y1=\"16.0\" x2=\"404.0\" y2=\"230.0\" "
                       "stroke=\"#1f2933\" stroke-dasharray"),
            std::string::npos);
  EXPECT_NE(chart.find(">pause</text>"), std::string::npos);
  EXPECT_EQ(chart.find("outside"), std::string::npos);
  EXPECT_NE(chart.find(">failed &lt;&amp;&gt;</text>"), std::string::npos);
  EXPECT_EQ(chart.find("<&>"), std::string::npos);
  EXPECT_NE(chart.find(">22:13:24</text>"), std::string::npos);  // a tick on the x axis
  EXPECT_NE(chart.find(">time (UTC)</text>"), std::string::npos);
}

TEST(Report, SamplesFollowTheHistories) {
  campaign_report r;
  add_job(r, job(job_state::done, "",
                 {{job_state::queued, 1000, 0, {}},
                  {job_state::packaging, 1000, 1, {}},
                  {job_state::done, 2000, 1, 0x00}}));
  add_job(r, job(job_state::failed, "x",
                 {{job_state::queued, 1000, 0, {}}, {job_state::failed, 3000, 0, {}}}));
  EXPECT_EQ(r.first_ms, 1000);
  EXPECT_EQ(r.last_ms, 3000);
  make_samples(r, 3);
  EXPECT_EQ(r.sample_ms, (std::vector<std::int64_t>{1000, 2000, 3000}));
  add_to_samples(r, job(job_state::done, "",
                        {{job_state::queued, 1000, 0, {}},
                         {job_state::packaging, 1000, 1, {}},
                         {job_state::done, 2000, 1, 0x00}}));
  add_to_samples(r, job(job_state::failed, "x",
                        {{job_state::queued, 1000, 0, {}}, {job_state::failed, 3000, 0, {}}}));
  // groups: queued 0, sending 1, awaiting 2, retry 3, done 4, failed 5, skipped 6
  EXPECT_EQ(r.samples[0], (std::array<std::uint64_t, 7>{1, 1, 0, 0, 0, 0, 0}));
  EXPECT_EQ(r.samples[1], (std::array<std::uint64_t, 7>{1, 0, 0, 0, 1, 0, 0}));
  EXPECT_EQ(r.samples[2], (std::array<std::uint64_t, 7>{0, 0, 0, 0, 1, 1, 0}));
  EXPECT_EQ(r.latency_ms, std::vector<double>{1000});
}

TEST(Report, HtmlShowsCountsAndEscapesReasons) {
  campaign_report r;
  r.id = "fplmn-<2026>";
  r.status = "done";
  r.facts.emplace_back("Targets", "all cards");
  r.variants.push_back({"default", "SPI 1621 · KIc 15", "UPDATE BINARY 3F00/7FFF/6F7B", {}});
  for (int i = 0; i < 3; ++i) {
    add_job(r, job(job_state::done, "",
                   {{job_state::queued, 1000, 0, {}}, {job_state::done, 1500 + i, 1, 0x00}}));
  }
  auto failed = job(job_state::failed, "PoR <01> & \"RC/CC/DS failed\"",
                    {{job_state::queued, 1000, 0, {}}, {job_state::failed, 4000, 2, 0x01}});
  failed.por_status = 0x01;
  add_job(r, failed);
  r.controls.push_back({2000, "pause", "running → paused (by cli)"});
  make_samples(r, 10);
  const auto html = render_html(r);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // no external asset
  EXPECT_NE(html.find("<h1>fplmn-&lt;2026&gt;"), std::string::npos);
  EXPECT_NE(
      html.find("<td>PoR &lt;01&gt; &amp; &quot;RC/CC/DS failed&quot;</td><td class=\"n\">1<"),
      std::string::npos);
  EXPECT_EQ(html.find("PoR <01>"), std::string::npos);
  // The variant's counts: 4 cards, 3 done, 1 failed, 0 skipped.
  EXPECT_NE(html.find("<td class=\"n\">4</td><td class=\"n\">3</td><td class=\"n\">1</td>"
                      "<td class=\"n\">0</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<td>running → paused (by cli)</td>"), std::string::npos);
  EXPECT_NE(html.find("No alert was raised."), std::string::npos);
  EXPECT_GE(occurrences(html, "<svg"), 3u);  // states over time, latency, PoR statuses
}

TEST(Report, CsvRowsFollowRfc4180) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a, \"b\""), "\"a, \"\"b\"\"\"");
  EXPECT_EQ(csv_field("line\nbreak"), "\"line\nbreak\"");
  EXPECT_EQ(iso8601(1700000000123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(iso8601(0), "");
  auto j =
      job(job_state::failed, "attempts exhausted (2): PoR 01, \"x\"",
          {{job_state::queued, 1700000000000, 0, {}}, {job_state::failed, 1700000004500, 2, 0x01}});
  j.counters = {5, 6};
  j.por_status = 0x01;
  EXPECT_EQ(cards_csv_row("8988211000000000001", j),
            "8988211000000000001,default,failed,2,5 6,01,"
            "\"attempts exhausted (2): PoR 01, \"\"x\"\"\","
            "2023-11-14T22:13:20.000Z,2023-11-14T22:13:24.500Z\r\n");
  EXPECT_EQ(cards_csv_header(),
            "iccid,variant,state,attempts,counters,por_status,reason,first_at,last_at\r\n");
}

}  // namespace
}  // namespace otaflow::service
