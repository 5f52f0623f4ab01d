#include "service/campaign_tally.hpp"

#include <algorithm>

namespace otaflow::service {
namespace {

constexpr std::int64_t kMinuteMs = 60'000;

void decrement(std::map<model::job_state, std::uint64_t>& m, model::job_state s) {
  auto it = m.find(s);
  if (it == m.end()) return;
  if (--it->second == 0) m.erase(it);
}

void decrement(std::map<std::uint8_t, std::uint64_t>& m, std::uint8_t s) {
  auto it = m.find(s);
  if (it == m.end()) return;
  if (--it->second == 0) m.erase(it);
}

}  // namespace

status campaign_tally::load(storage::state& state, std::string_view campaign_id,
                            std::int64_t now_ms) {
  campaign c;
  // The scan runs under the lock: events of the campaign wait for it, so none falls between
  // the scan and the start of counting.
  std::lock_guard lock(mu_);
  auto counts = count_jobs(
      state, campaign_id, now_ms, [&](std::string_view iccid, const model::job_record& j) {
        if (!model::is_terminal(j.state)) {
          c.active.emplace(std::string(iccid), card{j.state, j.variant, j.por_status});
        } else if (j.updated_ms > now_ms - kMinuteMs) {
          c.ended.push_back(j.updated_ms);
        }
        if (j.updated_ms >= now_ms - recent_ms_) c.seen.emplace(std::string(iccid), j.updated_ms);
      });
  if (!counts) return counts.error();
  c.counts = std::move(*counts);
  std::sort(c.ended.begin(), c.ended.end());
  campaigns_.insert_or_assign(std::string(campaign_id), std::move(c));
  return {};
}

bool campaign_tally::counts_campaign(std::string_view campaign_id) const {
  std::lock_guard lock(mu_);
  return campaigns_.find(campaign_id) != campaigns_.end();
}

std::optional<job_counts> campaign_tally::counts(std::string_view campaign_id,
                                                 std::int64_t now_ms) const {
  std::lock_guard lock(mu_);
  auto it = campaigns_.find(campaign_id);
  if (it == campaigns_.end()) return std::nullopt;
  job_counts out = it->second.counts;
  out.terminal_last_minute = static_cast<std::uint64_t>(
      std::count_if(it->second.ended.begin(), it->second.ended.end(),
                    [&](std::int64_t t) { return t > now_ms - kMinuteMs && t <= now_ms; }));
  return out;
}

void campaign_tally::apply(campaign& c, const actors::status_event& e) {
  if (auto s = c.seen.find(e.iccid); s != c.seen.end()) {
    if (e.ts_ms <= s->second) return;  // the load's scan already holds this state
    c.seen.erase(s);
  }
  auto& k = c.counts;
  auto a = c.active.find(e.iccid);
  if (a != c.active.end()) {
    decrement(k.by_state, a->second.state);
    decrement(k.by_variant[a->second.variant], a->second.state);
    if (k.by_variant[a->second.variant].empty()) k.by_variant.erase(a->second.variant);
    if (a->second.por) decrement(k.por_status, *a->second.por);
  } else {
    ++k.cards;  // a card this campaign had no job for
  }
  ++k.by_state[e.state];
  ++k.by_variant[e.variant][e.state];
  if (e.por_status) ++k.por_status[*e.por_status];
  if (k.first_started_ms == 0) k.first_started_ms = e.ts_ms;
  k.last_updated_ms = std::max(k.last_updated_ms, e.ts_ms);
  if (model::is_terminal(e.state)) {
    if (e.state == model::job_state::failed) ++k.failure_reasons[e.reason];
    if (a != c.active.end()) c.active.erase(a);
    c.ended.push_back(e.ts_ms);
  } else if (a != c.active.end()) {
    a->second = card{e.state, e.variant, e.por_status};
  } else {
    c.active.emplace(e.iccid, card{e.state, e.variant, e.por_status});
  }
  // Keep the terminal times of about the last minute (events come nearly in time order).
  while (!c.ended.empty() && c.ended.front() <= c.counts.last_updated_ms - kMinuteMs) {
    c.ended.pop_front();
  }
}

void campaign_tally::emit(std::span<const actors::status_event> events) {
  {
    std::lock_guard lock(mu_);
    for (const auto& e : events) {
      auto it = campaigns_.find(e.campaign);
      if (it != campaigns_.end()) apply(it->second, e);
    }
  }
  if (next_ != nullptr) next_->emit(events);
}

}  // namespace otaflow::service
