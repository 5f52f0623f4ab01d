#include "actors/subscriber_fsm.hpp"

#include <algorithm>

#include "codec/gp_constants.hpp"
#include "codec/iso7816_sw.hpp"
#include "codec/smpp34_receipt.hpp"
#include "codec/ts102225_packet.hpp"

namespace otaflow::actors {
namespace {

using codec::por_status;
using codec::smpp::message_state;

constexpr auto counter_low = static_cast<std::uint8_t>(por_status::cntr_low);

// Bit 2 of job_record::step_flags (bits 0-1 and 3: model::step_flag): the job was resumed (a
// restart, a retry) after packets had been sent. The process before may have sent and the card
// executed steps the stored record does not know (the journal lags the packets), so a 6A86 / 6A88
// on a step's first send counts as "sent again" from then on. Kept here, not in model/job.hpp: only
// the state machine reads it; storage stores the octet as is (docs/storage.md).
constexpr std::uint8_t step_flag_resumed = 0x04;

// A script ran to its end when the last status word is a success or a warning
// that still completed the command (ISO 7816-4 §5.6: 90 00, 61 xx, 91 xx (TS 102 221
// §10.2.1.1), 62 xx / 63 xx warnings, 92 0x: written after x internal retries; 92 40, a
// memory problem, is an error: TS 51.011 §9.4.2).
bool script_sw_ok(std::uint16_t sw) noexcept {
  namespace s = codec::sw;
  using codec::sw1_is;
  return sw == s::ok || sw1_is(sw, s::response_available) || sw1_is(sw, s::proactive_pending) ||
         sw1_is(sw, s::warning_no_info) || sw1_is(sw, s::warning_changed) ||
         sw1_is(sw, s::sim_response_available) || (sw & 0xFFF0) == s::data_transfer_info;
}

class machine {
 public:
  machine(job_record& job, const job_policy& policy, std::int64_t now)
      : job_(job), policy_(policy), now_(now) {}

  std::vector<job_action> run(const job_event& ev) {
    std::visit([this](const auto& e) { on(e); }, ev);
    return std::move(actions_);
  }

 private:
  void enter(job_state s) {
    job_.state = s;
    note_state_change(job_, now_);
    actions_.emplace_back(act_persist{});
  }

  void begin_attempt() {
    // A job created by its first start (campaign run) was queued until now.
    if (job_.history.empty()) note_state_change(job_, now_);
    ++job_.attempt;
    if (job_.started_ms == 0) job_.started_ms = now_;
    job_.message_id.clear();
    job_.retry_at_ms = 0;
    enter(job_state::packaging);
    actions_.emplace_back(package());
  }

  // The skip after a PoR 02 goes with the first packet packaged after it (again after a
  // restart in packaging: a second reservation with the skip only wastes values).
  bool skip_pending() const {
    return job_.counter_skip_at != 0 && job_.counters.size() < job_.counter_skip_at;
  }

  act_package package() const {
    return act_package{skip_pending() ? std::uint64_t{policy_.counter_skip} : 0, job_.step,
                       job_.page};
  }

  // ---- multi-step jobs ----

  bool multi_step() const { return policy_.step_count() > 1; }

  step_kind kind() const {
    return job_.step < policy_.steps.size() ? policy_.steps[job_.step] : step_kind::script;
  }

  // "step 3 of 7: " in front of a multi-step job's failure reasons.
  std::string step_prefix() const {
    if (!multi_step()) return {};
    return "step " + std::to_string(job_.step + 1) + " of " + std::to_string(policy_.step_count()) +
           ": ";
  }

  // Starts the packet of `step` (or of the next page of the current list step): attempts and
  // resends count again; PoRs of packets sent before are ignored from now on.
  void start_step(std::uint16_t step, std::uint16_t page) {
    job_.step = step;
    job_.page = page;
    job_.step_at = static_cast<std::uint32_t>(job_.counters.size());
    job_.attempt = 0;
    job_.resends = 0;
    job_.reason.clear();
    begin_attempt();
  }

  // The step after the current one, or `done` after the last.
  void next_step() {
    if (job_.step + 1u >= policy_.step_count()) {
      job_.reason.clear();
      enter(job_state::done);
      return;
    }
    start_step(static_cast<std::uint16_t>(job_.step + 1), 0);
  }

  // A LOAD step's first LOAD answered 6A86, "incorrect P1 P2": its block number is not the one
  // the card expects. After the step was sent again (its PoR lost) the card already has the
  // step's blocks: count it done. The next step's first attempt answered so means that guess
  // was wrong (the card is behind, its load reset): start again from INSTALL [for load], once.
  // A job resumed after a restart counts as sent again: the process before may have sent steps
  // its stored record does not know.
  void on_load_refused() {
    const bool first_here = job_.attempt <= 1 && job_.resends == 0;
    const bool assumed = (job_.step_flags & model::step_flag::assumed_done) != 0;
    if (first_here && assumed) {
      if (job_.step_flags & model::step_flag::load_restarted) {
        fail(step_prefix() +
             "LOAD refused with 6A86 again after the load was restarted from INSTALL [for load]");
        return;
      }
      std::uint16_t from = job_.step;
      while (from > 0 && policy_.steps[from] != step_kind::install_for_load) --from;
      if (policy_.steps[from] != step_kind::install_for_load) {
        fail(step_prefix() + "LOAD refused with 6A86 and no INSTALL [for load] step to restart");
        return;
      }
      job_.step_flags = static_cast<std::uint8_t>(
          (job_.step_flags & ~model::step_flag::assumed_done) | model::step_flag::load_restarted);
      start_step(from, 0);
      return;
    }
    if (!sent_before()) {
      fail(step_prefix() +
           "LOAD refused with 6A86 (wrong block number) on the step's first attempt: the "
           "card's load is not where the job's is");
      return;
    }
    job_.step_flags |= model::step_flag::assumed_done;
    const auto flags = job_.step_flags;
    next_step();
    job_.step_flags = flags;
  }

  // Whether the current step's packet may have reached the card before this one: an earlier
  // attempt or resend, or a process that ran the job before a restart.
  bool sent_before() const {
    return job_.attempt > 1 || job_.resends > 0 || (job_.step_flags & step_flag_resumed) != 0;
  }

  // A verified PoR OK of the current step of a multi-step job; true when handled here.
  bool on_step_por(const ev_por& e) {
    if (!e.script_sw) return false;
    if (kind() == step_kind::load && *e.script_sw == codec::gp::sw::wrong_p1p2 && e.executed == 1) {
      on_load_refused();
      return true;
    }
    if (kind() == step_kind::remove && *e.script_sw == codec::gp::sw::referenced_data_not_found &&
        e.executed == 1 && sent_before()) {
      next_step();  // the packet whose PoR was lost deleted it
      return true;
    }
    if (kind() == step_kind::list && *e.script_sw == codec::gp::sw::more_data) {
      if (job_.page >= max_pages) {
        fail(step_prefix() + "GET STATUS still answers 6310 after " + std::to_string(max_pages) +
             " pages");
        return true;
      }
      start_step(job_.step, static_cast<std::uint16_t>(job_.page + 1));
      return true;
    }
    return false;
  }

  static constexpr std::uint16_t max_pages = 32;

  // A list step's page answered (9000, or 6310 with more to come): its E3 entries go into the
  // job's listing, replacing the page if it was answered before.
  void keep_listing(const ev_por& e) {
    if (!e.script_sw || e.data.empty()) return;
    if (*e.script_sw != codec::gp::sw::more_data && *e.script_sw != 0x9000) return;
    // Past model::listing_max the page is dropped and step_flag::listing_truncated set (the
    // status view says so); the job goes on.
    (void)model::put_listing_page(job_, job_.step, job_.page, e.data);
  }

  void arm_por_timer() {
    ++job_.timer_epoch;
    actions_.emplace_back(act_arm_por_timer{policy_.por_timeout, job_.timer_epoch});
  }

  // A retriable failure of the current attempt: wait and try again, or give up.
  // The back-off's end is stored (retry_at_ms), so a job resumed after a restart waits out
  // the rest of it instead of retrying at once.
  void retry_or_fail(std::string reason) {
    if (job_.attempt < policy_.max_attempts) {
      const auto wait = backoff(policy_, job_.attempt);
      job_.reason = std::move(reason);
      job_.retry_at_ms = now_ + wait.count();
      ++job_.timer_epoch;
      enter(job_state::retry_wait);
      actions_.emplace_back(act_arm_retry_timer{wait, job_.timer_epoch});
    } else {
      fail("attempts exhausted (" + std::to_string(job_.attempt) + "): " + reason);
    }
  }

  void fail(std::string reason) {
    job_.reason = std::move(reason);
    enter(job_state::failed);
  }

  bool waiting_for_por() const {
    return job_.state == job_state::accepted || job_.state == job_state::delivered;
  }

  void on(const ev_start&) {
    const bool started_before = job_.state != job_state::queued || !job_.counters.empty();
    if (multi_step() && started_before && !is_terminal(job_.state))
      job_.step_flags |= step_flag_resumed;
    switch (job_.state) {
      case job_state::queued:
        begin_attempt();
        break;
      case job_state::retry_wait:
        // Resumed while backing off (a restart, a job read back): wait what is left of the
        // back-off, never more than retry_max (the wall clock may have gone back). The timers
        // armed before are gone; a new epoch also ignores any left.
        if (job_.retry_at_ms > now_) {
          ++job_.timer_epoch;
          const auto rest = std::min(duration{job_.retry_at_ms - now_}, policy_.retry_max);
          actions_.emplace_back(act_arm_retry_timer{rest, job_.timer_epoch});
        } else {
          begin_attempt();
        }
        break;
      case job_state::packaging:
      case job_state::submitting:
        // Restart after a crash: the old packet may have left. Its counter stays in
        // `counters`, so its PoR is still recognised; the new packet gets a new counter.
        ++job_.resends;
        enter(job_state::packaging);
        actions_.emplace_back(package());
        break;
      case job_state::accepted:
      case job_state::delivered:
        arm_por_timer();
        break;
      case job_state::done:
      case job_state::failed:
      case job_state::skipped:
        break;
    }
  }

  void on(const ev_packaged& e) {
    if (job_.state != job_state::packaging) return;
    job_.counters.push_back(e.counter);
    enter(job_state::submitting);
    actions_.emplace_back(act_submit{});
  }

  void on(const ev_package_failed& e) {
    if (job_.state != job_state::packaging) return;
    if (e.retriable) {
      retry_or_fail("packaging: " + e.reason);
    } else {
      fail("packaging: " + e.reason);
    }
  }

  void on(const ev_submit_ok& e) {
    if (job_.state != job_state::submitting) return;
    job_.message_id = e.message_id;
    enter(job_state::accepted);
    arm_por_timer();
  }

  void on(const ev_submit_failed& e) {
    if (job_.state != job_state::submitting) return;
    auto reason = "submit_sm rejected: " + e.reason;
    if (e.retriable) {
      retry_or_fail(std::move(reason));
    } else {
      fail(std::move(reason));
    }
  }

  void on(const ev_submit_lost&) {
    if (job_.state != job_state::submitting) return;
    if (job_.resends >= policy_.max_resends) {
      fail("SMPP connection lost before submit_sm_resp " + std::to_string(job_.resends + 1) +
           " times");
      return;
    }
    ++job_.resends;
    enter(job_state::packaging);
    actions_.emplace_back(package());
  }

  void on(const ev_receipt& e) {
    if (!waiting_for_por()) return;
    const auto state = static_cast<message_state>(e.message_state);
    if (state == message_state::enroute || state == message_state::accepted) return;
    if (state == message_state::delivered) {
      if (job_.state == job_state::accepted) enter(job_state::delivered);
      return;
    }
    std::string reason = "delivery receipt ";
    reason += codec::smpp::state_name(state);
    if (!e.error.empty()) reason += " (err " + e.error + ")";
    retry_or_fail(std::move(reason));
  }

  void on(const ev_por& e) {
    if (is_terminal(job_.state)) return;
    if (!e.verified) {
      on_unproven_por(e);
      return;
    }
    const auto it = std::find(job_.counters.begin(), job_.counters.end(), e.counter);
    if (it == job_.counters.end()) return;  // not one of this job's packets
    // A late answer to a packet of an earlier step (or page) says nothing about this one.
    if (it - job_.counters.begin() < static_cast<std::ptrdiff_t>(job_.step_at)) return;
    job_.por_status = e.status;
    if (e.script_sw) job_.last_sw = e.script_sw;
    const auto status = static_cast<por_status>(e.status);
    if (codec::response_follows(status)) {
      // More time / response follows by SMS-SUBMIT or USSD: wait for the real answer.
      if (waiting_for_por()) arm_por_timer();
      return;
    }
    const std::string status_text =
        "PoR " + to_hex(e.status, 2, hex_case::upper) + " " + codec::describe(status);
    if (e.status == counter_low) {
      on_counter_low(e.counter, status_text);
      return;
    }
    if (status != por_status::ok) {
      if (por_status_retriable(e.status)) {
        retry_or_fail(status_text);
      } else {
        fail(status_text);
      }
      return;
    }
    if (kind() == step_kind::list) keep_listing(e);
    if (multi_step() && on_step_por(e)) return;
    if (e.script_sw && !script_sw_ok(*e.script_sw)) {
      fail(step_prefix() + "script stopped after " + std::to_string(e.executed) + " of " +
           std::to_string(e.expected) + " commands: SW " +
           to_hex(*e.script_sw, 4, hex_case::upper));
      return;
    }
    if (e.script_sw && e.expected != 0 && e.executed < e.expected) {
      fail(step_prefix() + "script stopped after " + std::to_string(e.executed) + " of " +
           std::to_string(e.expected) + " commands");
      return;
    }
    if (!e.failure.empty()) {
      fail(e.failure);
      return;
    }
    if (multi_step()) {
      job_.step_flags &= static_cast<std::uint8_t>(~model::step_flag::assumed_done);
      next_step();
      return;
    }
    job_.reason.clear();
    enter(job_state::done);
  }

  // A PoR without the protection the campaign's SPI asks for (docs/standards/
  // ts102225-secured-packets.md §11): it proves nothing, so it never completes a job and never
  // ends one on its own. Only an error a card that could not process the command answers
  // unsecured counts, as a failed attempt of the packet in flight: its counter is not
  // compared (a card that could not decipher the command does not know it).
  void on_unproven_por(const ev_por& e) {
    if (!por_status_may_be_unsecured(e.status)) return;
    const bool ours =
        std::find(job_.counters.begin(), job_.counters.end(), e.counter) != job_.counters.end();
    if (e.status == 0x08) {
      if (ours && waiting_for_por()) arm_por_timer();
      return;
    }
    if (!waiting_for_por()) return;
    if (e.status == counter_low && ours && e.counter != job_.counters.back()) {
      // It names an earlier packet of this job (one a crashed instance had sent, delivered
      // late by the SMSC after the newer one): the newer packet's own PoR decides.
      return;
    }
    job_.por_status = e.status;
    if (e.status == counter_low) {
      on_counter_low(std::nullopt, std::string("unsecured PoR 02 ") +
                                       codec::describe(static_cast<por_status>(e.status)));
      return;
    }
    retry_or_fail("unsecured PoR " + to_hex(e.status, 2, hex_case::upper) + " " +
                  codec::describe(static_cast<por_status>(e.status)));
  }

  // PoR 02 "counter low": the card's counter for the keyset is above ours (state restored
  // from a backup, the keyset used by another platform). Sending again with the next counter
  // would only burn an attempt, so the first one in a job skips ahead and tries again at once,
  // even one attempt past max_attempts (ev_retry_due starts attempts without counting them);
  // a second one fails the job. The attempt goes through retry_wait with no back-off, so a
  // paused campaign or a closed send window holds it like any other. `counter` is the one a
  // verified PoR echoes (an unsecured one's is not known).
  void on_counter_low(std::optional<std::uint64_t> counter, const std::string& status_text) {
    // A newer packet is on its way (its counter is higher): its own PoR decides.
    if (job_.state == job_state::packaging || job_.state == job_state::submitting) return;
    const auto step = std::to_string(policy_.counter_skip);
    if (job_.counter_skip_at == 0) {
      job_.counter_skip_at = static_cast<std::uint32_t>(job_.counters.size() + 1);
      job_.reason = status_text + ": skipping the counter ahead by " + step;
      job_.retry_at_ms = now_;
      ++job_.timer_epoch;
      enter(job_state::retry_wait);
      actions_.emplace_back(act_arm_retry_timer{duration{0}, job_.timer_epoch});
      return;
    }
    if (skip_pending()) return;
    if (counter) {
      // A late answer to a packet sent before the skip says nothing about the skip.
      const auto it = std::find(job_.counters.begin(), job_.counters.end(), *counter);
      if (it - job_.counters.begin() < static_cast<std::ptrdiff_t>(job_.counter_skip_at) - 1) {
        return;
      }
    }
    fail("counter still low after skipping ahead by " + step + " (" + status_text + ")");
  }

  void on(const ev_por_timeout& e) {
    if (!waiting_for_por() || e.epoch != job_.timer_epoch) return;
    retry_or_fail("no PoR within " + std::to_string(policy_.por_timeout.count()) + " ms");
  }

  void on(const ev_retry_due& e) {
    if (job_.state != job_state::retry_wait || e.epoch != job_.timer_epoch) return;
    begin_attempt();
  }

  void on(const ev_cancel& e) {
    if (is_terminal(job_.state)) return;
    fail("cancelled: " + e.reason);
  }

  void on(const ev_expired&) {
    if (is_terminal(job_.state)) return;
    fail("validity expired");
  }

  void on(const ev_skip& e) {
    if (is_terminal(job_.state)) return;
    job_.reason = e.reason;
    enter(job_state::skipped);
  }

  job_record& job_;
  const job_policy& policy_;
  std::int64_t now_;
  std::vector<job_action> actions_;
};

}  // namespace

std::vector<job_action> transition(job_record& job, const job_event& event,
                                   const job_policy& policy, std::int64_t now_ms) {
  return machine(job, policy, now_ms).run(event);
}

duration backoff(const job_policy& policy, std::uint16_t attempt) noexcept {
  auto d = policy.retry_base;
  for (std::uint16_t i = 1; i < attempt && d < policy.retry_max; ++i) d *= 2;
  return std::min(d, policy.retry_max);
}

bool por_status_may_be_unsecured(std::uint8_t status) noexcept {
  return status >= 0x01 && status <= 0x0A;
}

bool por_status_retriable(std::uint8_t status) noexcept {
  // 07 (card memory full) may clear; the others say the packet itself or the keys are wrong,
  // so sending it again would burn counters for nothing.
  return static_cast<por_status>(status) == por_status::insufficient_memory;
}

}  // namespace otaflow::actors
