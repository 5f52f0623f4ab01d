#include "sim/smsc_stats.hpp"

#include <fmt/format.h>

namespace otaflow::sim {

smsc_summary smsc_stats::snapshot() const noexcept {
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
  s.receipts = g(receipts);
  s.pors = g(pors);
  s.esme_nacks = g(esme_nacks);
  s.resends = g(resends);
  s.injected_disconnects = g(injected_disconnects);
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
  row("receipts sent", receipts);
  row("PoRs forwarded", pors);
  row("ESME nacks", esme_nacks);
  row("deliver_sm resent", resends);
  row("injected disconnects", injected_disconnects);
  return out;
}

}  // namespace otaflow::sim
