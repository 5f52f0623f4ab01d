#include "actors/engine_context.hpp"

namespace otaflow::actors {

void to_journal(caf::event_based_actor* self, const shared_actors& s, job_update u) {
  if (s.journal_backlog) s.journal_backlog->fetch_add(1, std::memory_order_relaxed);
  self->send(s.journal, msg::journal_entry{std::move(u)});
}

bool journal_congested(const shared_actors& s) noexcept {
  return s.journal_backlog && s.journal_backlog_max > 0 &&
         s.journal_backlog->load(std::memory_order_relaxed) >= s.journal_backlog_max;
}

std::int64_t wall_now(const shared_actors& s) {
  return s.clock->wall_ms();
}

void arm_after(caf::event_based_actor* self, const shared_actors& s, std::uint64_t tag,
               std::chrono::milliseconds after, caf::message what, caf::actor who) {
  self->send(s.router,
             msg::arm_timer{tag, s.clock->now() + after, std::move(what), std::move(who)});
}

std::string variant_name(const campaign_ctx& ctx, const card_info& card) {
  return card.variant >= 0 ? ctx.variant_of(card).def.name : std::string();
}

}  // namespace otaflow::actors
