#include "actors/alert_monitor.hpp"

#include <algorithm>
#include <cstdio>

#include "codec/smpp34_receipt.hpp"
#include "codec/ts102225_packet.hpp"

namespace otaflow::actors {
namespace {

using codec::por_status;
using codec::smpp::message_state;

bool waiting_for_por(job_state s) noexcept {
  return s == job_state::accepted || s == job_state::delivered;
}

std::string percent(double r) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f%%", r * 100.0);
  return b;
}

// The bad code seen most often in the window (the lowest on a tie).
std::pair<std::uint8_t, std::uint32_t> dominant(const std::array<std::uint32_t, 256>& codes) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < codes.size(); ++i) {
    if (codes[i] > codes[best]) best = i;
  }
  return {static_cast<std::uint8_t>(best), codes[best]};
}

}  // namespace

std::string_view to_string(alert_kind k) noexcept {
  switch (k) {
    case alert_kind::por_error:
      return "por_error";
    case alert_kind::undeliverable:
      return "undeliverable";
    case alert_kind::timeout:
      return "timeout";
    case alert_kind::throttle:
      return "throttle";
    case alert_kind::journal:
      return "journal";
    case alert_kind::produce:
      return "produce";
    case alert_kind::por_rejected:
      return "por_rejected";
  }
  return "unknown";
}

std::vector<alert_outcome> classify(const job_record& before, const job_event& ev) {
  std::vector<alert_outcome> out;
  if (const auto* p = std::get_if<ev_por>(&ev)) {
    if (is_terminal(before.state)) return out;
    const bool own_packet = std::find(before.counters.begin(), before.counters.end(), p->counter) !=
                            before.counters.end();
    // An unsecured error PoR answers the attempt in flight whatever counter it echoes (a card
    // that could not decipher the command sends zeros): the state machine takes it as a failed
    // attempt, so it is a PoR error here too.
    const bool unsecured_error =
        !p->verified && por_status_may_be_unsecured(p->status) && waiting_for_por(before.state);
    if (!own_packet && !unsecured_error) {
      return out;  // not one of this job's packets: the state machine ignores it too
    }
    // 08 / 0B / 0C announce the real answer (TS 102 225 §5.2.2, TS 31.115): not an outcome.
    const auto status = static_cast<por_status>(p->status);
    if (codec::response_follows(status)) return out;
    out.push_back({alert_kind::por_error, status != por_status::ok, p->status});
    if (waiting_for_por(before.state)) out.push_back({alert_kind::timeout, false, 0});
  } else if (const auto* r = std::get_if<ev_receipt>(&ev)) {
    if (!waiting_for_por(before.state)) return out;
    const auto s = static_cast<message_state>(r->message_state);
    if (s == message_state::delivered) {
      // Only the first receipt of the attempt (one per segment may come).
      if (before.state == job_state::accepted) {
        out.push_back({alert_kind::undeliverable, false, r->message_state});
      }
    } else if (s == message_state::expired || s == message_state::undeliverable ||
               s == message_state::rejected) {
      out.push_back({alert_kind::undeliverable, true, r->message_state});
    }
  } else if (const auto* t = std::get_if<ev_por_timeout>(&ev)) {
    if (waiting_for_por(before.state) && t->epoch == before.timer_epoch) {
      out.push_back({alert_kind::timeout, true, 0});
    }
  }
  return out;
}

alert_monitor::alert_monitor(std::string campaign, alert_policy policy)
    : campaign_(std::move(campaign)), policy_(policy) {}

double alert_monitor::threshold(alert_kind k) const noexcept {
  switch (k) {
    case alert_kind::por_error:
      return policy_.por_error_rate;
    case alert_kind::undeliverable:
      return policy_.undeliverable_rate;
    case alert_kind::timeout:
      return policy_.timeout_rate;
    case alert_kind::throttle:
      return policy_.throttle_rate;
    case alert_kind::por_rejected:
      return policy_.por_rejected_rate;
    case alert_kind::journal:
    case alert_kind::produce:
      return 0;  // not a rate: raised once per refused job or undeliverable record
  }
  return 0;
}

bool alert_monitor::active(alert_kind kind, const std::string& bind) const {
  auto it = windows_.find({bind, kind});
  return it != windows_.end() && it->second.active;
}

std::vector<alert> alert_monitor::observe(const alert_outcome& o, const std::string& bind,
                                          std::int64_t now_ms) {
  std::vector<alert> out;
  if (!policy_.enabled || threshold(o.kind) <= 0) return out;
  // Throttling is a bind's matter; PoR errors are the cards' answer, whatever the bind.
  if (o.kind != alert_kind::throttle) {
    if (auto a = feed(windows_[{std::string(), o.kind}], o, {}, now_ms)) {
      out.push_back(std::move(*a));
    }
  }
  // A bind that carries rejected PoRs points at a forging or corrupting SMSC or link.
  if (!bind.empty() && (o.kind == alert_kind::throttle || o.kind == alert_kind::undeliverable ||
                        o.kind == alert_kind::por_rejected)) {
    if (auto a = feed(windows_[{bind, o.kind}], o, bind, now_ms)) out.push_back(std::move(*a));
  }
  return out;
}

std::optional<alert> alert_monitor::feed(window& w, const alert_outcome& o, const std::string& bind,
                                         std::int64_t now_ms) {
  const std::size_t cap = std::max<std::uint32_t>(1, policy_.window);
  const auto entry = static_cast<std::uint16_t>((o.bad ? 0x100 : 0) | o.code);
  if (w.ring.size() < cap) {
    w.ring.push_back(entry);
  } else {
    // The window is full (or shrank with a new policy): the oldest outcome leaves.
    if (w.ring.size() > cap) {
      w.ring.clear();
      w.next = 0;
      w.bad = 0;
      w.bad_codes.fill(0);
      w.ring.push_back(entry);
    } else {
      const auto old = w.ring[w.next];
      if (old & 0x100) {
        --w.bad;
        --w.bad_codes[old & 0xFF];
      }
      w.ring[w.next] = entry;
      w.next = (w.next + 1) % cap;
    }
  }
  if (o.bad) {
    ++w.bad;
    ++w.bad_codes[o.code];
  }
  const auto sample = w.ring.size();
  if (sample < std::max<std::uint32_t>(1, policy_.min_cards)) return std::nullopt;
  const double t = threshold(o.kind);
  const double rate = static_cast<double>(w.bad) / static_cast<double>(sample);
  const bool raise = !w.active && rate >= t;
  const bool clear = w.active && rate < t / 2;
  if (!raise && !clear) return std::nullopt;
  w.active = raise;

  alert a;
  a.campaign = campaign_;
  if (!bind.empty()) a.bind = bind;
  a.kind = o.kind;
  a.rate = rate;
  a.threshold = t;
  a.sample = sample;
  a.count = w.bad;
  a.paused = raise && policy_.pause_on_alert && bind.empty();
  a.ts_ms = now_ms;
  a.cleared = clear;
  const auto n = std::to_string(sample);
  const auto [code, times] = dominant(w.bad_codes);
  std::string what;
  switch (o.kind) {
    case alert_kind::por_error: {
      what = w.bad == 0 ? "no PoR error in " + n + " PoRs"
                        : "PoR " + to_hex(code, 2, hex_case::upper) + " on " +
                              std::to_string(times) + " of " + n + " PoRs (" +
                              codec::describe(static_cast<por_status>(code)) + ")";
      what += "; PoR errors " + percent(rate);
      break;
    }
    case alert_kind::undeliverable:
      what = w.bad == 0
                 ? "no failed receipt in " + n + " final receipts"
                 : "receipt " +
                       std::string(codec::smpp::state_name(static_cast<message_state>(code))) +
                       " on " + std::to_string(times) + " of " + n + " final receipts";
      what += "; failed receipts " + percent(rate);
      break;
    case alert_kind::timeout:
      what = "no PoR within the timeout on " + std::to_string(w.bad) + " of " + n + " attempts";
      what += "; timeouts " + percent(rate);
      break;
    case alert_kind::throttle:
      what = "ESME_RTHROTTLED on " + std::to_string(w.bad) + " of " + n + " submit_sm";
      what += "; throttled " + percent(rate);
      break;
    case alert_kind::por_rejected:
      what = std::to_string(w.bad) + " of " + n +
             " PoRs rejected (RC/CC/DS missing or wrong: forged or corrupted)";
      what += "; rejected " + percent(rate);
      break;
    case alert_kind::journal:
    case alert_kind::produce:
      break;  // never fed (threshold 0)
  }
  what += clear ? ", below half the threshold " + percent(t) + ": cleared"
                : " >= threshold " + percent(t);
  if (!bind.empty()) what = "bind " + bind + ": " + what;
  a.message = std::move(what);
  return a;
}

}  // namespace otaflow::actors
