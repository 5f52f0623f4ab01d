#include "base/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace otaflow::metrics {
namespace {

bool name_char(char c, bool first, bool colon) noexcept {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  if (alpha || (colon && c == ':')) return true;
  return !first && c >= '0' && c <= '9';
}

std::string_view type_name(metric_type t) noexcept {
  switch (t) {
    case metric_type::counter:
      return "counter";
    case metric_type::gauge:
      return "gauge";
    case metric_type::histogram:
      return "histogram";
  }
  return "untyped";
}

// HELP text escapes backslash and line feed only (the format's rule).
std::string escape_help(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (const char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void append_sample(std::string& out, std::string_view name, const labels& l,
                   const std::pair<std::string, std::string>* extra, std::string_view value) {
  out += name;
  if (!l.empty() || extra != nullptr) {
    out += '{';
    bool first = true;
    const auto put = [&](const std::pair<std::string, std::string>& kv) {
      if (!first) out += ',';
      first = false;
      out += kv.first;
      out += "=\"";
      out += escape_label_value(kv.second);
      out += '"';
    };
    for (const auto& kv : l) put(kv);
    if (extra != nullptr) put(*extra);
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

bool valid_labels(const labels& l) noexcept {
  return std::all_of(l.begin(), l.end(),
                     [](const auto& kv) { return valid_label_name(kv.first) && kv.first != "le"; });
}

}  // namespace

bool valid_metric_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0, true)) return false;
  }
  return true;
}

bool valid_label_name(std::string_view name) noexcept {
  if (name.empty() || name.starts_with("__")) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0, false)) return false;
  }
  return true;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (const char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// ---- histogram ------------------------------------------------------------------------

histogram::histogram(std::vector<double> bounds) {
  for (const double b : bounds) {
    if (!std::isnan(b) && (bounds_.empty() || b > bounds_.back())) bounds_.push_back(b);
  }
  counts_ = std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1);
}

void histogram::observe(double value) noexcept {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  counts_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

histogram_snapshot histogram::snapshot() const {
  histogram_snapshot s;
  s.bounds = bounds_;
  s.counts.resize(bounds_.size() + 1);
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    s.counts[i] = counts_[i].load(std::memory_order_relaxed);
    s.count += s.counts[i];
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

// ---- writer ---------------------------------------------------------------------------

writer::family* writer::find_or_add(std::string_view name, metric_type type,
                                    std::string_view help) {
  for (auto& f : families_) {
    if (f.name == name) return f.type == type ? &f : nullptr;
  }
  families_.push_back(family{std::string(name), std::string(help), type, {}});
  return &families_.back();
}

void writer::add(std::string_view name, metric_type type, std::string_view help, labels l,
                 double value) {
  if (type == metric_type::histogram || !valid_metric_name(name) || !valid_labels(l)) {
    ++dropped_;
    return;
  }
  auto* f = find_or_add(name, type, help);
  if (f == nullptr) {
    ++dropped_;
    return;
  }
  append_sample(f->samples, name, l, nullptr, format_value(value));
}

void writer::histogram(std::string_view name, std::string_view help, labels l,
                       const histogram_snapshot& h) {
  if (!valid_metric_name(name) || !valid_labels(l) || h.counts.size() != h.bounds.size() + 1) {
    ++dropped_;
    return;
  }
  auto* f = find_or_add(name, metric_type::histogram, help);
  if (f == nullptr) {
    ++dropped_;
    return;
  }
  const std::string bucket = std::string(name) + "_bucket";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= h.bounds.size(); ++i) {
    cumulative += h.counts[i];
    const std::pair<std::string, std::string> le{
        "le", i < h.bounds.size() ? format_value(h.bounds[i]) : "+Inf"};
    append_sample(f->samples, bucket, l, &le, std::to_string(cumulative));
  }
  append_sample(f->samples, std::string(name) + "_sum", l, nullptr, format_value(h.sum));
  append_sample(f->samples, std::string(name) + "_count", l, nullptr, std::to_string(cumulative));
}

std::string writer::text() const {
  std::string out;
  for (const auto& f : families_) {
    out += "# HELP ";
    out += f.name;
    out += ' ';
    out += escape_help(f.help);
    out += "\n# TYPE ";
    out += f.name;
    out += ' ';
    out += type_name(f.type);
    out += '\n';
    out += f.samples;
  }
  return out;
}

// ---- registry -------------------------------------------------------------------------

std::uint64_t registry::add(collector c) {
  std::lock_guard lock(mu_);
  collectors_.emplace_back(next_, std::move(c));
  return next_++;
}

void registry::remove(std::uint64_t id) {
  std::lock_guard lock(mu_);
  std::erase_if(collectors_, [id](const auto& e) { return e.first == id; });
}

std::string registry::scrape() const {
  writer w;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, c] : collectors_) c(w);
  }
  return w.text();
}

}  // namespace otaflow::metrics
