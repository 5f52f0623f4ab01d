// Fuzz target: every record otaflow reads from Kafka (kafka/events.hpp): trigger-topic records
// (campaign, trigger, pause/resume/cancel), status events, dead-letter records and alerts.
// Nothing from the network is trusted.
//
// Checks beyond "no crash": a record that parses writes JSON that parses again to the same
// value (trigger records: the same serialised text), and every accepted number is within the
// ranges docs/EVENTS.md documents.

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kafka/events.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace otaflow::kafka;
  if (size > 64 * 1024) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto t = parse_trigger_event(text)) {
    const auto s = serialise(*t);
    auto again = parse_trigger_event(s);
    if (!again || serialise(*again) != s) std::abort();
    if (const auto* tr = std::get_if<trigger_event>(&*t)) {
      if (tr->iccid.empty() == !tr->target.has_value()) std::abort();
      if (!tr->iccid.empty() && !valid_iccid(tr->iccid)) std::abort();
    }
  } else if (t.error().message.empty()) {
    std::abort();
  }
  if (auto s = parse_status_event(text)) {
    if (s->ts_ms < 0 || s->ts_ms > max_ts_ms) std::abort();
    auto again = parse_status_event(serialise(*s));
    if (!again || !(*again == *s)) std::abort();
  }
  if (auto d = parse_dlq_record(text)) {
    auto again = parse_dlq_record(serialise(*d));
    if (!again || !(*again == *d)) std::abort();
  }
  if (auto a = parse_alert_event(text)) {
    if (!std::isfinite(a->rate) || a->rate < 0 || a->rate > 1) std::abort();
    if (!std::isfinite(a->threshold) || a->threshold < 0 || a->threshold > 1) std::abort();
    if (a->count > a->sample || a->ts < 0 || a->ts > max_ts_ms) std::abort();
    auto again = parse_alert_event(serialise(*a));
    if (!again || !(*again == *a)) std::abort();
  }
  return 0;
}
