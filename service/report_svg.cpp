#include "service/report_svg.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace otaflow::service::svg {
namespace {

constexpr std::string_view font =
    "font-family=\"system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif\"";
constexpr std::string_view axis_color = "#5f6b7a";
constexpr std::string_view grid_color = "#e3e7ec";

std::string coord(double v) {
  return fmt::format("{:.1f}", v);
}

std::string open_svg(const frame& f, std::string_view role_label) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" "
      "height=\"{1}\" role=\"img\" aria-label=\"{2}\" {3} font-size=\"11\">\n",
      coord(f.width), coord(f.height), escape(role_label), font);
}

// Horizontal grid lines with y tick labels, and the y axis label (rotated).
std::string y_axis(const frame& f, const std::vector<double>& ticks, std::string_view label) {
  std::string s;
  for (const double t : ticks) {
    const double y = f.py(t);
    s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\"/>\n",
                     coord(f.left), coord(y), coord(f.width - f.right), coord(y), grid_color);
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"{}\">{}</text>\n",
                     coord(f.left - 6), coord(y + 4), axis_color, escape(number_text(t)));
  }
  const double mid = (f.top + f.height - f.bottom) / 2;
  s += fmt::format(
      "<text x=\"14\" y=\"{0}\" transform=\"rotate(-90 14 {0})\" text-anchor=\"middle\" "
      "fill=\"{1}\">{2}</text>\n",
      coord(mid), axis_color, escape(label));
  return s;
}

// The frame's bottom and left axis lines.
std::string axis_lines(const frame& f) {
  const double y0 = f.height - f.bottom;
  return fmt::format(
      "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{4}\"/>\n"
      "<line x1=\"{0}\" y1=\"{3}\" x2=\"{0}\" y2=\"{1}\" stroke=\"{4}\"/>\n",
      coord(f.left), coord(y0), coord(f.width - f.right), coord(f.top), axis_color);
}

std::string x_tick(const frame& f, double x, std::string_view text) {
  const double y0 = f.height - f.bottom;
  return fmt::format(
      "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"{3}\"/>\n"
      "<text x=\"{0}\" y=\"{4}\" text-anchor=\"middle\" fill=\"{3}\">{5}</text>\n",
      coord(x), coord(y0), coord(y0 + 4), axis_color, coord(y0 + 16), escape(text));
}

std::string x_label(const frame& f, std::string_view label) {
  return fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{}\">{}</text>\n",
                     coord((f.left + f.width - f.right) / 2), coord(f.height - 8), axis_color,
                     escape(label));
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::vector<double> nice_ticks(double lo, double hi, int want) {
  if (!(hi > lo)) hi = lo + 1;
  want = std::max(want, 1);
  const double raw = (hi - lo) / want;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (const double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  std::vector<double> out;
  const double first = std::floor(lo / step) * step;
  for (double t = first; t < hi + step * 0.999; t += step) {
    out.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  }
  return out;
}

std::vector<std::int64_t> time_ticks(std::int64_t lo_ms, std::int64_t hi_ms, int want) {
  static constexpr std::array<std::int64_t, 17> steps = {
      1000,   2000,   5000,    10000,   15000,   30000,    60000,    120000,  300000,
      600000, 900000, 1800000, 3600000, 7200000, 21600000, 43200000, 86400000};
  const auto span = std::max<std::int64_t>(hi_ms - lo_ms, 1);
  std::int64_t step = steps.back();
  for (const auto s : steps) {
    if (span / s <= want) {
      step = s;
      break;
    }
  }
  std::vector<std::int64_t> out;
  for (auto t = (lo_ms + step - 1) / step * step; t <= hi_ms; t += step) out.push_back(t);
  return out;
}

std::string clock_text(std::int64_t ms, bool short_form) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return short_form ? fmt::format("{:02}:{:02}", tm.tm_hour, tm.tm_min)
                    : fmt::format("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string number_text(double v) {
  const double a = std::abs(v);
  if (a >= 1e6 && std::fmod(a, 1e5) == 0) return fmt::format("{:g}M", v / 1e6);
  if (a >= 1e4 && std::fmod(a, 100) == 0) return fmt::format("{:g}k", v / 1e3);
  if (v == std::floor(v)) return fmt::format("{:.0f}", v);
  return fmt::format("{:.3g}", v);
}

double frame::px(double x) const {
  const double span = x_max > x_min ? x_max - x_min : 1;
  return left + (x - x_min) / span * (width - left - right);
}

double frame::py(double y) const {
  const double span = y_max > y_min ? y_max - y_min : 1;
  return height - bottom - (y - y_min) / span * (height - top - bottom);
}

std::string band_points(const frame& f, const std::vector<double>& xs,
                        const std::vector<double>& lower, const std::vector<double>& upper) {
  std::string s;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (!s.empty()) s += ' ';
    s += coord(f.px(xs[i])) + ',' + coord(f.py(upper[i]));
  }
  for (std::size_t i = xs.size(); i-- > 0;) {
    s += ' ' + coord(f.px(xs[i])) + ',' + coord(f.py(lower[i]));
  }
  return s;
}

std::string stacked_area(const std::vector<std::int64_t>& times_ms,
                         const std::vector<series>& stack, std::string_view y_label,
                         const std::vector<marker>& markers, frame f) {
  const std::size_t n = times_ms.size();
  std::vector<double> xs(times_ms.begin(), times_ms.end());
  std::vector<double> lower(n, 0.0), upper(n, 0.0);
  double top_value = 0;
  for (const auto& s : stack) {
    for (std::size_t i = 0; i < n && i < s.values.size(); ++i) upper[i] += s.values[i];
  }
  for (const double v : upper) top_value = std::max(top_value, v);
  const auto yt = nice_ticks(0, std::max(top_value, 1.0), 5);
  f.bottom += 22;  // room for the legend
  f.y_min = 0;
  f.y_max = yt.back();
  f.x_min = n ? xs.front() : 0;
  f.x_max = n ? xs.back() : 1;
  std::string out = open_svg(f, y_label);
  out += y_axis(f, yt, y_label);
  std::fill(upper.begin(), upper.end(), 0.0);
  for (const auto& s : stack) {
    lower = upper;
    for (std::size_t i = 0; i < n && i < s.values.size(); ++i) upper[i] += s.values[i];
    if (n == 0 || upper == lower) continue;
    out += fmt::format(
        "<polygon points=\"{}\" fill=\"{}\" fill-opacity=\"0.85\" stroke=\"{}\" "
        "stroke-width=\"0.5\"><title>{}</title></polygon>\n",
        band_points(f, xs, lower, upper), s.color, s.color, escape(s.name));
  }
  out += axis_lines(f);
  double last_label_x = -1e9, label_y = f.top + 10;
  for (const auto& m : markers) {
    if (n == 0 || m.at_ms < times_ms.front() || m.at_ms > times_ms.back()) continue;
    const double x = f.px(static_cast<double>(m.at_ms));
    // Labels of markers close together go one line lower each, so they do not overlap.
    label_y = x - last_label_x < 60 ? label_y + 12 : f.top + 10;
    last_label_x = x;
    out += fmt::format(
        "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#1f2933\" "
        "stroke-dasharray=\"4 3\"/><text x=\"{3}\" y=\"{4}\" fill=\"#1f2933\">{5}</text>\n",
        coord(x), coord(f.top), coord(f.height - f.bottom), coord(x + 3), coord(label_y),
        escape(m.label));
  }
  const bool long_span = n && times_ms.back() - times_ms.front() >= 3 * 3600 * 1000;
  if (n) {
    for (const auto t : time_ticks(times_ms.front(), times_ms.back(), 8)) {
      out += x_tick(f, f.px(static_cast<double>(t)), clock_text(t, long_span));
    }
  }
  out += x_label(f, "time (UTC)");
  // Legend under the axis label, one swatch per series.
  double lx = f.left;
  const double ly = f.height - 24;
  for (const auto& s : stack) {
    out += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/>"
        "<text x=\"{}\" y=\"{}\" fill=\"#1f2933\">{}</text>\n",
        coord(lx), coord(ly - 9), s.color, coord(lx + 14), coord(ly), escape(s.name));
    lx += 22 + 6.5 * static_cast<double>(s.name.size()) + 8;
  }
  out += "</svg>\n";
  return out;
}

std::vector<bin> histogram_bins(const std::vector<double>& values, int want) {
  if (values.empty()) return {};
  const double hi = *std::max_element(values.begin(), values.end());
  auto edges = nice_ticks(0, std::max(hi, 1.0), std::max(want, 1));
  if (edges.back() <= hi) edges.push_back(edges.back() + (edges[1] - edges[0]));
  std::vector<bin> out;
  for (std::size_t i = 0; i + 1 < edges.size(); ++i) out.push_back({edges[i], edges[i + 1], 0});
  const double width = edges[1] - edges[0];
  for (const double v : values) {
    auto i = static_cast<std::size_t>(std::max(v, 0.0) / width);
    ++out[std::min(i, out.size() - 1)].count;
  }
  return out;
}

std::string histogram(const std::vector<bin>& bins, std::string_view x_lab, std::string_view y_lab,
                      frame f) {
  std::uint64_t most = 1;
  for (const auto& b : bins) most = std::max(most, b.count);
  const auto yt = nice_ticks(0, static_cast<double>(most), 5);
  f.y_min = 0;
  f.y_max = yt.back();
  f.x_min = bins.empty() ? 0 : bins.front().lo;
  f.x_max = bins.empty() ? 1 : bins.back().hi;
  std::string out = open_svg(f, x_lab);
  out += y_axis(f, yt, y_lab);
  for (const auto& b : bins) {
    const double x0 = f.px(b.lo) + 1, x1 = f.px(b.hi) - 1;
    const double y = f.py(static_cast<double>(b.count));
    out += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#3b6ea8\"><title>{} - {}: "
        "{}</title></rect>\n",
        coord(x0), coord(y), coord(std::max(x1 - x0, 0.5)), coord(f.py(0) - y), number_text(b.lo),
        number_text(b.hi), b.count);
  }
  out += axis_lines(f);
  if (!bins.empty()) {
    for (const double t : nice_ticks(f.x_min, f.x_max, 8)) {
      if (t >= f.x_min && t <= f.x_max) out += x_tick(f, f.px(t), number_text(t));
    }
  }
  out += x_label(f, x_lab);
  out += "</svg>\n";
  return out;
}

std::string hbars(const std::vector<std::pair<std::string, std::uint64_t>>& rows,
                  const std::string& color, double width) {
  std::uint64_t most = 1;
  for (const auto& r : rows) most = std::max(most, r.second);
  const double row_h = 24, label_w = 220, value_w = 80;
  const double height = row_h * static_cast<double>(rows.size()) + 8;
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" "
      "height=\"{1}\" role=\"img\" {2} font-size=\"12\">\n",
      coord(width), coord(height), font);
  double y = 4;
  for (const auto& [label, count] : rows) {
    const double w =
        (width - label_w - value_w) * static_cast<double>(count) / static_cast<double>(most);
    out += fmt::format(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#1f2933\">{}</text>"
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>"
        "<text x=\"{}\" y=\"{}\" fill=\"#1f2933\">{}</text>\n",
        coord(label_w - 8), coord(y + 15), escape(label), coord(label_w), coord(y + 3),
        coord(std::max(w, 1.0)), coord(row_h - 6), color, coord(label_w + w + 6), coord(y + 15),
        count);
    y += row_h;
  }
  out += "</svg>\n";
  return out;
}

}  // namespace otaflow::service::svg
