#pragma once
// The plots of `otaflow campaign report`: inline SVG drawn by our own code (no scripts, no
// external assets), so a report is one file a compliance officer can archive and open
// offline. Pure functions over numbers; the HTML around them is report_html.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace otaflow::service::svg {

/// Escapes text for HTML and SVG (& < > " ').
[[nodiscard]] std::string escape(std::string_view text);

/// "Nice" axis ticks covering [lo, hi]: about `want` steps of 1, 2 or 5 x 10^k, from a
/// multiple of the step at or below lo to one at or above hi.
[[nodiscard]] std::vector<double> nice_ticks(double lo, double hi, int want);

/// Ticks of a time axis (Unix ms) at a round step (1 s .. 1 day), inside [lo, hi].
[[nodiscard]] std::vector<std::int64_t> time_ticks(std::int64_t lo_ms, std::int64_t hi_ms,
                                                   int want);

/// "HH:MM:SS" (UTC) of a Unix time in ms; "HH:MM" when `short_form`.
[[nodiscard]] std::string clock_text(std::int64_t ms, bool short_form = false);

/// A number as a tick label: integers plainly, else up to 3 significant decimals; k/M
/// suffixes from 10 000 on.
[[nodiscard]] std::string number_text(double v);

/// The plotting area of a chart and the data ranges it maps.
struct frame {
  double width = 760, height = 300;                     ///< whole SVG, px
  double left = 64, right = 16, top = 16, bottom = 48;  ///< margins, px
  double x_min = 0, x_max = 1, y_min = 0, y_max = 1;    ///< data ranges
  [[nodiscard]] double px(double x) const;              ///< data x -> SVG x
  [[nodiscard]] double py(double y) const;              ///< data y -> SVG y
};

/// One series of a stacked area chart: its values at the chart's x positions.
struct series {
  std::string name;
  std::string color;  ///< CSS colour, e.g. "#2e7d32"
  std::vector<double> values;
};

/// A labelled moment on a time axis (a pause, a resume).
struct marker {
  std::int64_t at_ms = 0;
  std::string label;
};

/// A stacked area chart over time: `times_ms` are the sample times (ascending), every
/// series has one value per time. Axes with ticks, labels, a legend, and a dashed vertical
/// line per marker inside the time range.
[[nodiscard]] std::string stacked_area(const std::vector<std::int64_t>& times_ms,
                                       const std::vector<series>& stack, std::string_view y_label,
                                       const std::vector<marker>& markers = {}, frame f = {});

/// The polygon (SVG "points" text) of one band of a stacked area: from `lower` up to
/// `upper` (cumulated values), one point per x, in the frame's coordinates.
[[nodiscard]] std::string band_points(const frame& f, const std::vector<double>& xs,
                                      const std::vector<double>& lower,
                                      const std::vector<double>& upper);

/// One bar of a histogram: [lo, hi) and its count.
struct bin {
  double lo = 0, hi = 0;
  std::uint64_t count = 0;
};

/// Bins for values (>= 0): about `want` bins of a nice width from 0 to the largest value.
[[nodiscard]] std::vector<bin> histogram_bins(const std::vector<double>& values, int want);

/// A histogram as vertical bars, with axes, ticks and labels.
[[nodiscard]] std::string histogram(const std::vector<bin>& bins, std::string_view x_label,
                                    std::string_view y_label, frame f = {});

/// Horizontal bars (label, count) with their values, e.g. PoR statuses.
[[nodiscard]] std::string hbars(const std::vector<std::pair<std::string, std::uint64_t>>& rows,
                                const std::string& color, double width = 760);

}  // namespace otaflow::service::svg
