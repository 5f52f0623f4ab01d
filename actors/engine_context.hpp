#pragma once
// What every actor of one engine shares: the long-lived actors (crypto stage, journal,
// router, alerts), the packet factory, the clock, the job tag source and the journal's
// backlog gauge, with the small helpers built on them. Internal to actors/.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include <caf/all.hpp>

#include "actors/clock.hpp"
#include "actors/engine_ports.hpp"
#include "actors/messages.hpp"

namespace otaflow::actors {

struct shared_actors {
  caf::actor crypto;
  caf::actor journal;
  caf::actor router;
  packet_factory* factory = nullptr;
  caf::actor alerts{};
  const engine_clock* clock = nullptr;  // never null in a running engine
  // Job tags, unique across every campaign and the service of one engine: the router
  // keys routes and timers by tag, and several campaigns may run at once.
  std::atomic<std::uint64_t>* tags = nullptr;
  // State changes sent to the journal and not yet durable (to_journal), and the bound past
  // which campaigns and the service start no new card (0: none).
  std::atomic<std::uint64_t>* journal_backlog = nullptr;
  std::uint64_t journal_backlog_max = 0;
};

/// How a campaign or the service waits before looking at a congested journal again.
inline constexpr auto congestion_retry = std::chrono::milliseconds(2);

/// Sends a state change to the journal, counted in the backlog until it is durable.
void to_journal(caf::event_based_actor* self, const shared_actors& s, job_update u);

/// Whether the journal is so far behind that no new card should start.
[[nodiscard]] bool journal_congested(const shared_actors& s) noexcept;

/// The engine's wall clock (ms since the Unix epoch).
[[nodiscard]] std::int64_t wall_now(const shared_actors& s);

/// Asks the router to send `what` to `who` (tag 0) or to job `tag`'s subscriber after
/// `after`, on the engine's clock.
void arm_after(caf::event_based_actor* self, const shared_actors& s, std::uint64_t tag,
               std::chrono::milliseconds after, caf::message what, caf::actor who = {});

/// The name of a card's variant as jobs and status events carry it ("" when none applies).
[[nodiscard]] std::string variant_name(const campaign_ctx& ctx, const card_info& card);

}  // namespace otaflow::actors
