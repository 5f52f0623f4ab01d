#include "actors/journal.hpp"

#include <algorithm>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "actors/key_settlement.hpp"
#include "actors/messages.hpp"
#include "base/log.hpp"

namespace otaflow::actors {
namespace {

using namespace msg;

struct journal_state : journal_setup {
  std::vector<job_update> pending;
  bool flush_scheduled = false;
  // sync requests answered by the next flush: every entry sent before a request is in the
  // mailbox before it, so in `pending` by then. Answering each request with its own flush
  // cut the batches at every request: serve's admissions ask once per chunk of 256 cards, and
  // with a Kafka transaction per save (partition-owned mode) the journal fell far behind.
  std::vector<caf::response_promise> sync_waiters;
  // Jobs whose rows the store refused, by campaign \0 ICCID: their later entries are dropped
  // (they failed; their owner releases them).
  std::unordered_map<std::string, std::string> refused;
  std::shared_ptr<spdlog::logger> log = log::get("engine");
};

using journal_actor = caf::stateful_actor<journal_state>;

std::string job_key(const job_update& u) {
  std::string k;
  k.reserve(u.campaign.size() + 1 + u.iccid.size());
  k += u.campaign;
  k += '\0';
  k += u.iccid;
  return k;
}

status_event event_of(const job_update& u) {
  return status_event{u.campaign,
                      u.iccid,
                      u.job.state,
                      u.job.attempt,
                      u.job.por_status,
                      u.job.reason,
                      u.job.variant,
                      u.job.updated_ms,
                      u.route,
                      u.steps > 1 ? u.job.step : std::uint16_t{0},
                      u.steps > 1 ? u.steps : std::uint16_t{0}};
}

// Saves `updates`, retrying a retriable error with a doubling back-off, at most `attempts`
// times in all.
status save_bounded(journal_state& st, std::span<const job_update> updates, std::size_t attempts) {
  status s;
  for (std::size_t attempt = 0; attempt < attempts; ++attempt) {
    if (attempt > 0) {
      const auto wait = st.retry_base * (1 << std::min<std::size_t>(attempt - 1, 10));
      std::this_thread::sleep_for(
          std::min<std::chrono::milliseconds>(wait, std::chrono::seconds(1)));
    }
    s = st.store->save(updates, true);
    if (s.ok()) return s;
    st.log->error("journal: saving {} job updates failed (attempt {} of {}): {}", updates.size(),
                  attempt + 1, attempts, s.error().describe());
    if (!s.error().retriable()) break;
  }
  return s;
}

// Passes the status events of the updates saved last to the sink: right after their save,
// since the outbox numbers them by that save's audit records.
void emit_saved(journal_state& st, std::span<const job_update> saved) {
  std::vector<status_event> events;
  events.reserve(saved.size());
  for (const auto& u : saved) events.push_back(event_of(u));
  st.sink->emit(events);
}

// The store refused one job's rows: fails the job (its failed state saved if the store
// takes it), drops its later entries and tells the alerts actor.
void refuse(journal_state& st, std::span<const job_update> rows, const error& why) {
  const auto& last = rows.back();
  auto reason =
      "journal: cannot save " + last.campaign + " / " + last.iccid + ": " + why.describe();
  job_update failed{last.campaign, last.iccid, last.job};
  failed.job.state = job_state::failed;
  failed.job.reason = reason;
  // Its pending keys are settled like any failed job's (actors/key_settlement.hpp): kept, and
  // the reason says so, once a packet may have carried them.
  failed.may_hold_keys =
      std::any_of(rows.begin(), rows.end(), [](const job_update& u) { return u.may_hold_keys; });
  note_keys_uncertain(failed.job, failed.may_hold_keys);
  const auto s = save_bounded(st, std::span(&failed, 1), 1);
  const bool persisted = s.ok();
  if (persisted) emit_saved(st, std::span(&failed, 1));
  st.log->error("journal: {} / {} failed: {}{}", last.campaign, last.iccid, reason,
                persisted ? "" : " (its failed state could not be saved either)");
  st.refused.emplace(job_key(last), reason);
  if (st.alerts) {
    caf::anon_send(st.alerts,
                   journal_refused{last.campaign, last.iccid, std::move(reason), persisted});
  }
}

// The batch could not be saved whole: saves it job by job (a job's updates in order, in one
// save) so that only the jobs whose rows are refused fail.
void save_each(journal_state& st) {
  std::unordered_map<std::string, std::vector<job_update>> by_job;
  std::vector<std::string> order;
  for (auto& u : st.pending) {
    auto key = job_key(u);
    auto [it, fresh] = by_job.try_emplace(key);
    if (fresh) order.push_back(std::move(key));
    it->second.push_back(u);
  }
  for (const auto& key : order) {
    const auto& rows = by_job[key];
    if (st.refused.count(key) > 0) continue;  // refused earlier in this batch
    const auto s = save_bounded(st, rows, std::min<std::size_t>(st.save_attempts, 2));
    if (s.ok()) {
      emit_saved(st, rows);
    } else {
      refuse(st, rows, s.error());
    }
  }
}

void answer_syncs(journal_state& st) {
  for (auto& rp : st.sync_waiters) rp.deliver(sync_atom::value);
  st.sync_waiters.clear();
}

void flush(journal_actor* self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.pending.empty()) {
    answer_syncs(st);
    return;
  }
  // The status events leave only once their state is durable: losing the state would
  // break exactly-one-terminal-state.
  if (save_bounded(st, st.pending, st.save_attempts).ok()) {
    emit_saved(st, st.pending);
  } else {
    save_each(st);
  }
  st.backlog->fetch_sub(st.pending.size(), std::memory_order_relaxed);
  st.pending.clear();
  answer_syncs(st);
}

caf::behavior journal(journal_actor* self, journal_setup setup) {
  static_cast<journal_setup&>(self->state) = std::move(setup);
  return {
      [=](journal_entry& e) {
        auto& st = self->state;
        if (!st.refused.empty() && st.refused.count(job_key(e.update)) > 0) {
          st.backlog->fetch_sub(1, std::memory_order_relaxed);  // a failed job's: dropped
          return;
        }
        st.pending.push_back(std::move(e.update));
        if (st.pending.size() >= st.batch_max) {
          flush(self);
        } else if (!st.flush_scheduled) {
          st.flush_scheduled = true;
          self->send(self, flush_atom::value);
        }
      },
      [=](flush_atom) { flush(self); },
      // Everything sent before this request is durable (or refused) when the answer arrives.
      [=](sync_atom) {
        auto& st = self->state;
        st.sync_waiters.push_back(self->make_response_promise());
        if (!st.flush_scheduled) {
          st.flush_scheduled = true;
          self->send(self, flush_atom::value);
        }
        return st.sync_waiters.back();
      },
  };
}

}  // namespace

caf::actor spawn_journal(caf::actor_system& sys, journal_setup setup) {
  setup.batch_max = std::max<std::size_t>(1, setup.batch_max);
  setup.save_attempts = std::max<std::size_t>(1, setup.save_attempts);
  return sys.spawn<caf::detached>(journal, std::move(setup));
}

}  // namespace otaflow::actors
