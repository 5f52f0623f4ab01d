#include "sim/smsc_stats.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace otaflow::sim {

std::shared_ptr<smsc_bind_counters> smsc_stats::add_bind(std::uint64_t link, std::string system_id,
                                                         std::string peer, std::string kind) {
  auto b = std::make_shared<smsc_bind_counters>();
  b->link = link;
  b->system_id = std::move(system_id);
  b->peer = std::move(peer);
  b->kind = std::move(kind);
  std::lock_guard lk(binds_mu_);
  binds_.push_back(b);
  return b;
}

void smsc_stats::close_bind(smsc_bind_counters& b) {
  if (b.open.exchange(false, std::memory_order_relaxed) == false) return;
  std::lock_guard lk(binds_mu_);
  if (++closed_ <= k_closed_binds_kept) return;
  // Forget the oldest closed bind (closes are rare: a linear search is fine).
  auto it = std::find_if(binds_.begin(), binds_.end(),
                         [](const auto& p) { return !p->open.load(std::memory_order_relaxed); });
  if (it != binds_.end()) {
    binds_.erase(it);
    --closed_;
  }
}

void smsc_stats::note_submit(std::int64_t now_ms) noexcept {
  std::int64_t none = -1;
  first_submit_ms_.compare_exchange_strong(none, now_ms, std::memory_order_relaxed);
  auto last = last_submit_ms_.load(std::memory_order_relaxed);
  while (now_ms > last &&
         !last_submit_ms_.compare_exchange_weak(last, now_ms, std::memory_order_relaxed)) {
  }
  const auto sec = now_ms / 1000;
  auto cur = second_.load(std::memory_order_relaxed);
  if (cur != sec && second_.compare_exchange_strong(cur, sec, std::memory_order_relaxed)) {
    in_second_.store(0, std::memory_order_relaxed);
  }
  const auto n = in_second_.fetch_add(1, std::memory_order_relaxed) + 1;
  auto peak = peak_per_s_.load(std::memory_order_relaxed);
  while (n > peak && !peak_per_s_.compare_exchange_weak(peak, n, std::memory_order_relaxed)) {
  }
}

void smsc_stats::note_submit(const std::string& validity_period, std::uint8_t priority,
                             std::uint8_t registered_delivery, const std::string& source) {
  std::lock_guard lk(tally_mu_);
  ++tally_.validity_period[validity_period];
  ++tally_.priority[std::to_string(priority)];
  ++tally_.registered_delivery[std::to_string(registered_delivery)];
  ++tally_.source[source];
}

smsc_summary smsc_stats::snapshot() const {
  auto g = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  smsc_summary s;
  s.connections = g(connections);
  s.binds = g(binds);
  s.bind_failures = g(bind_failures);
  s.unbinds = g(unbinds);
  s.submits = g(submits);
  s.accepted = g(accepted);
  s.throttled = g(throttled);
  s.queue_full = g(queue_full);
  s.rejected = g(rejected);
  s.generic_nacks = g(generic_nacks);
  s.attempts = g(attempts);
  s.delivered = g(delivered);
  s.absent = g(absent);
  s.busy = g(busy);
  s.failed = g(failed);
  s.expired = g(expired);
  s.dropped = g(dropped);
  s.pors_dropped = g(pors_dropped);
  s.receipts = g(receipts);
  s.pors = g(pors);
  s.esme_nacks = g(esme_nacks);
  s.resends = g(resends);
  s.injected_disconnects = g(injected_disconnects);
  s.peak_submits_per_s = g(peak_per_s_);
  const auto first = first_submit_ms_.load(std::memory_order_relaxed);
  const auto last = last_submit_ms_.load(std::memory_order_relaxed);
  if (first >= 0 && last > first && s.submits > 1) {
    s.mean_submits_per_s =
        static_cast<double>(s.submits - 1) * 1000.0 / static_cast<double>(last - first);
  }
  {
    std::lock_guard tl(tally_mu_);
    s.submit_options = tally_;
  }
  std::lock_guard lk(binds_mu_);
  s.per_bind.reserve(binds_.size());
  for (const auto& b : binds_) {
    s.per_bind.push_back({b->link, b->system_id, b->peer, b->kind,
                          b->open.load(std::memory_order_relaxed), g(b->pors), g(b->receipts),
                          g(b->resent)});
  }
  return s;
}

std::string smsc_summary::to_string() const {
  std::string out = "SMSC simulator summary\n";
  auto row = [&out](const char* name, std::uint64_t v) {
    out += fmt::format("  {:<22}{:>12}\n", name, v);
  };
  row("connections", connections);
  row("binds", binds);
  row("bind failures", bind_failures);
  row("unbinds", unbinds);
  row("submits", submits);
  row("  peak per second", peak_submits_per_s);
  out += fmt::format("  {:<22}{:>12.1f}\n", "  mean per second", mean_submits_per_s);
  row("  accepted", accepted);
  row("  throttled", throttled);
  row("  queue full", queue_full);
  row("  rejected", rejected);
  row("generic_nacks", generic_nacks);
  row("delivery attempts", attempts);
  row("  delivered", delivered);
  row("  absent", absent);
  row("  SIM busy", busy);
  row("failed (UNDELIV)", failed);
  row("expired", expired);
  row("dropped (injected)", dropped);
  row("PoRs lost (injected)", pors_dropped);
  row("receipts sent", receipts);
  row("PoRs forwarded", pors);
  row("ESME nacks", esme_nacks);
  row("deliver_sm resent", resends);
  row("injected disconnects", injected_disconnects);
  if (!per_bind.empty()) {
    out += "deliver_sm per bind\n";
    for (const auto& b : per_bind) {
      out += fmt::format("  link {} system_id={} {} {}{}: {} PoRs, {} receipts, {} resent\n",
                         b.link, b.system_id, b.kind, b.peer, b.open ? "" : " (closed)", b.pors,
                         b.receipts, b.resent);
    }
  }
  return out;
}

}  // namespace otaflow::sim
