#include "actors/journal.hpp"

#include <algorithm>
#include <thread>
#include <vector>

#include "actors/messages.hpp"
#include "base/log.hpp"

namespace otaflow::actors {
namespace {

using namespace msg;

struct journal_state {
  std::vector<job_update> pending;
  bool flush_scheduled = false;
  std::shared_ptr<spdlog::logger> log = log::get("engine");
};

using journal_actor = caf::stateful_actor<journal_state>;

void flush(journal_actor* self, job_store* store, status_sink* sink,
           std::atomic<std::uint64_t>* backlog) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.pending.empty()) return;
  // A failed write is retried: the status events must not leave before the state is
  // durable, and losing the state would break exactly-one-terminal-state.
  for (int attempt = 0;; ++attempt) {
    auto s = store->save(st.pending, true);
    if (s.ok()) break;
    st.log->error("journal: saving {} job updates failed (attempt {}): {}", st.pending.size(),
                  attempt + 1, s.error().describe());
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::min(1000, 10 << std::min(attempt, 6))));
  }
  std::vector<status_event> events;
  events.reserve(st.pending.size());
  for (auto& u : st.pending) {
    events.push_back(status_event{u.campaign, u.iccid, u.job.state, u.job.attempt, u.job.por_status,
                                  u.job.reason, u.job.variant, u.job.updated_ms});
  }
  sink->emit(events);
  backlog->fetch_sub(st.pending.size(), std::memory_order_relaxed);
  st.pending.clear();
}

caf::behavior journal(journal_actor* self, job_store* store, status_sink* sink,
                      std::size_t batch_max, std::atomic<std::uint64_t>* backlog) {
  return {
      [=](journal_entry& e) {
        auto& st = self->state;
        st.pending.push_back(std::move(e.update));
        if (st.pending.size() >= batch_max) {
          flush(self, store, sink, backlog);
        } else if (!st.flush_scheduled) {
          st.flush_scheduled = true;
          self->send(self, flush_atom::value);
        }
      },
      [=](flush_atom) { flush(self, store, sink, backlog); },
      // Everything sent before this request is durable when the answer arrives.
      [=](sync_atom) {
        flush(self, store, sink, backlog);
        return sync_atom::value;
      },
  };
}

}  // namespace

caf::actor spawn_journal(caf::actor_system& sys, job_store* store, status_sink* sink,
                         std::size_t batch_max, std::atomic<std::uint64_t>* backlog) {
  return sys.spawn<caf::detached>(journal, store, sink, std::max<std::size_t>(1, batch_max),
                                  backlog);
}

}  // namespace otaflow::actors
