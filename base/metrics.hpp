#pragma once
// Prometheus metrics without a client library (none is packaged in Debian): a registry of
// collectors and the text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/). Pull model: a collector is
// a callback run at scrape time that reads the stats the code keeps anyway and writes
// samples, so hot paths are untouched; where a hot path must count something new it uses the
// relaxed atomics of `histogram` or its own. Names follow Prometheus' conventions:
// `otaflow_..._total` for counters, base units (`_seconds`, `_bytes`).

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace otaflow::metrics {

enum class metric_type : std::uint8_t { counter, gauge, histogram };

/// Label name and value pairs of one sample, in output order.
using labels = std::vector<std::pair<std::string, std::string>>;

/// A histogram's state: per-bucket (not cumulative) counts, the last one above every bound.
struct histogram_snapshot {
  std::vector<double> bounds;         ///< upper bounds, ascending
  std::vector<std::uint64_t> counts;  ///< bounds.size() + 1 entries
  double sum = 0;
  std::uint64_t count = 0;
};

/// A fixed-bucket histogram that many threads observe into (relaxed atomics, no lock).
class histogram {
 public:
  /// `bounds` ascending; a bound that is not larger than the one before is dropped.
  explicit histogram(std::vector<double> bounds);
  void observe(double value) noexcept;
  [[nodiscard]] histogram_snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

/// Collects the samples of one scrape, grouped by family, and renders them.
class writer {
 public:
  /// One counter or gauge sample. The family's HELP and TYPE come from its first sample; a
  /// sample whose type differs from its family's, or with an invalid metric or label name,
  /// is dropped (and counted in dropped()).
  void add(std::string_view name, metric_type type, std::string_view help, labels l, double value);
  void counter(std::string_view name, std::string_view help, labels l, double value) {
    add(name, metric_type::counter, help, std::move(l), value);
  }
  void gauge(std::string_view name, std::string_view help, labels l, double value) {
    add(name, metric_type::gauge, help, std::move(l), value);
  }
  /// One histogram: `name`_bucket{le=...} (cumulative, with +Inf), `name`_sum, `name`_count.
  void histogram(std::string_view name, std::string_view help, labels l,
                 const histogram_snapshot& h);

  /// The exposition text: families in the order they first appeared.
  [[nodiscard]] std::string text() const;
  [[nodiscard]] std::size_t dropped() const noexcept { return dropped_; }

 private:
  struct family {
    std::string name, help;
    metric_type type;
    std::string samples;  ///< rendered sample lines
  };
  family* find_or_add(std::string_view name, metric_type type, std::string_view help);

  std::vector<family> families_;
  std::size_t dropped_ = 0;
};

/// Collectors registered by the parts of a process; scrape() runs them all. Thread-safe.
class registry {
 public:
  using collector = std::function<void(writer&)>;
  /// Adds a collector; the id removes it.
  std::uint64_t add(collector c);
  void remove(std::uint64_t id);
  /// Runs every collector (in the order they were added) and renders the text.
  [[nodiscard]] std::string scrape() const;

 private:
  mutable std::mutex mu_;
  std::uint64_t next_ = 1;
  std::vector<std::pair<std::uint64_t, collector>> collectors_;
};

/// A metric name is [a-zA-Z_:][a-zA-Z0-9_:]*; a label name [a-zA-Z_][a-zA-Z0-9_]* and does
/// not start with "__".
[[nodiscard]] bool valid_metric_name(std::string_view name) noexcept;
[[nodiscard]] bool valid_label_name(std::string_view name) noexcept;
/// A value as the format writes it: shortest round-trip decimal, "+Inf", "-Inf", "NaN".
[[nodiscard]] std::string format_value(double v);
/// A label value escaped: backslash, double quote and line feed.
[[nodiscard]] std::string escape_label_value(std::string_view v);

/// Content-Type of the exposition text.
inline constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace otaflow::metrics
