#pragma once
// The messages between the engine's actors (docs/DESIGN.md has the picture of who sends
// what to whom). All are local to one process: CAF 0.17 needs no serialisation for them, so
// each type is allowed explicitly at the end of this file.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/all.hpp>

#include "actors/alert_monitor.hpp"
#include "actors/engine.hpp"
#include "actors/engine_ports.hpp"
#include "actors/service.hpp"
#include "actors/subscriber_fsm.hpp"

namespace otaflow::actors::msg {

// ---- crypto stage ------------------------------------------------------------------------

/// Package one card's packet (counter + SCP80) and answer `reply_to` with a package_rep.
struct package_req {
  std::uint64_t tag;
  caf::actor reply_to;
  // Owned, not borrowed: the requester may be gone (its job released, e.g. after the journal
  // refused its row) while the request waits in the crypto stage's batch.
  std::shared_ptr<const card_info> card;
  std::shared_ptr<const campaign_ctx> campaign;
  std::uint64_t skip = 0;  ///< counter values to skip first (act_package::skip)
  std::uint16_t step = 0;  ///< act_package::step
  std::uint16_t page = 0;  ///< act_package::page
};
/// The crypto stage's answer.
struct package_rep {
  std::shared_ptr<result<packaged>> value;
};

// ---- journal -----------------------------------------------------------------------------

/// One durable state change; its status event leaves once it is durable.
struct journal_entry {
  job_update update;
};

// ---- subscriber -> its owner (campaign or service actor) ---------------------------------

/// A subscriber reached its terminal state.
struct job_finished {
  std::uint64_t tag;
  job_state state;
  std::optional<std::uint8_t> por_status;
  std::string reason;
  std::int64_t latency_ms;
  std::string variant{};
};

// ---- transport -> router -> subscriber ---------------------------------------------------

/// Every segment of a job's message was accepted; the SMSC's ids in segment order.
struct submitted {
  std::uint64_t tag;
  std::vector<std::string> ids;
};
/// A segment was refused with a final status.
struct submit_failed {
  std::uint64_t tag;
  std::uint32_t status;
  std::string reason;
  bool retriable;
};
/// A delivery receipt (SMPP 3.4 message_state).
struct receipt {
  std::string id;
  std::uint8_t state;
  std::string error;
};
/// A mobile-originated message (a PoR) from a card's MSISDN.
struct mo {
  std::string from;
  bytes ud;
};
/// How a bind answered one submit_sm of a job (alerts count throttling per bind).
struct bind_outcome {
  std::uint64_t tag;
  std::size_t bind;
  submit_outcome outcome;
  std::string route{};  ///< the SMSC route of the bind (the router fills it); empty: none
};

// ---- router: routes and timers -----------------------------------------------------------

/// Registers a subscriber: its tag and its card's MSISDN (PoRs name the card by MSISDN).
struct route {
  std::uint64_t tag;
  std::string msisdn;
  caf::actor who;
};
/// A timer kept by the router, so that no actor waits in CAF's delayed_send (which keeps
/// its receiver alive until it fires). With a tag, `what` goes to that job's subscriber,
/// and only while its route exists: PoR timeouts, retry back-offs, send-window wake-ups.
/// With tag 0, `what` goes to `who` (campaign and service actors: windows, validity).
struct arm_timer {
  std::uint64_t tag;
  std::chrono::steady_clock::time_point due;
  caf::message what;
  caf::actor who{};
};

// ---- service mode (engine::start_service) -------------------------------------------------

/// Registers or updates a campaign (ctx set), or changes its mode (ctx null, id set).
struct svc_campaign {
  std::string id;
  std::shared_ptr<const campaign_ctx> ctx;
  campaign_mode mode;
};
/// Cards to admit as jobs of a campaign.
struct svc_admit {
  std::string campaign;
  std::shared_ptr<target_cursor> cursor;
  std::uint64_t token;
  std::size_t cards = 1;  ///< how many cards it counts for in engine::waiting()
};
/// Drops queued admissions whose token the predicate selects.
struct svc_withdraw {
  std::shared_ptr<std::function<bool(std::uint64_t)>> which;
};

/// Jobs of the cards `which` selects stop here without a state of their own (their
/// partition moved to another instance, which resumes them from the changelog).
struct svc_release {
  std::shared_ptr<std::function<bool(std::string_view)>> which;
};

/// The cards `which` selects belong to this instance again (their partition was assigned and
/// restored from the changelog): refusals remembered for them are forgotten.
struct svc_reclaim {
  std::shared_ptr<std::function<bool(std::string_view)>> which;
};

// ---- alerts --------------------------------------------------------------------------------

/// Outcomes of one job's events for the alerts actor.
struct alert_feed {
  std::string campaign;
  std::optional<std::size_t> bind;
  std::vector<alert_outcome> outcomes;
};
/// Registers (or updates) a campaign's alert policy and the actor that pauses it.
struct alert_register {
  std::string campaign;
  alert_policy policy;
  caf::actor controller;
};
/// The campaign's run ended: its windows go.
struct alert_unregister {
  std::string campaign;
};
/// An alert raised for a campaign, told to its controller.
struct alert_fired {
  alert a;
};
/// The store refused a job's row for good (journal -> alerts actor -> the campaign's
/// controller): the job failed with `reason` (`persisted`: that failed state is durable;
/// else the store holds its last good state) and its later entries are dropped. Its
/// owner releases it.
struct journal_refused {
  std::string campaign;
  std::string iccid;
  std::string reason;
  bool persisted = false;
};

// ---- atoms ---------------------------------------------------------------------------------

using start_atom = caf::atom_constant<caf::atom("start")>;      // begin (subscriber, campaign)
using flush_atom = caf::atom_constant<caf::atom("flush")>;      // a batching actor's batch is due
using sync_atom = caf::atom_constant<caf::atom("sync")>;        // answer once all before is durable
using refill_atom = caf::atom_constant<caf::atom("refill")>;    // an owner looks for more cards
using lost_atom = caf::atom_constant<caf::atom("lost")>;        // a submit lost with its connection
using unroute_atom = caf::atom_constant<caf::atom("unroute")>;  // a job ended: drop its route
using por_atom = caf::atom_constant<caf::atom("por")>;          // an MO for a subscriber to open
using tick_atom = caf::atom_constant<caf::atom("tick")>;        // the router's timers are due
using pause_atom = caf::atom_constant<caf::atom("pause")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
using park_atom = caf::atom_constant<caf::atom("park")>;      // a job holds before an attempt
using unpark_atom = caf::atom_constant<caf::atom("unpark")>;  // a held job goes on
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using gate_atom = caf::atom_constant<caf::atom("gate")>;      // look at the time gate again
using expire_atom = caf::atom_constant<caf::atom("expire")>;  // not_after may have passed
using wake_atom = caf::atom_constant<caf::atom("wake")>;      // a parked job's window opened

}  // namespace otaflow::actors::msg

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::package_req)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::package_rep)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::journal_entry)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::job_finished)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::submitted)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::submit_failed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::receipt)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::mo)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::route)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::arm_timer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::job_event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::submit_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::campaign_summary)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::svc_campaign)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::svc_admit)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::svc_withdraw)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::svc_release)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::svc_reclaim)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<std::uint64_t>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::bind_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::alert_feed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::alert_register)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::alert_unregister)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::alert_fired)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otaflow::actors::msg::journal_refused)
