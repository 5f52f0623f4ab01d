#include "actors/admission.hpp"

namespace otaflow::actors {

std::string_view to_string(admission a) noexcept {
  switch (a) {
    case admission::already_terminal:
      return "already_terminal";
    case admission::already_active:
      return "already_active";
    case admission::skip:
      return "skip";
    case admission::expire:
      return "expire";
    case admission::cancel:
      return "cancel";
    case admission::hold_paused:
      return "hold_paused";
    case admission::hold_window:
      return "hold_window";
    case admission::start:
      return "start";
  }
  return "unknown";
}

admission decide_admission(const admission_input& in) noexcept {
  if (in.active) return admission::already_active;
  if (in.job && is_terminal(in.job->state)) return admission::already_terminal;
  if (in.skip) return admission::skip;
  if (in.mode == campaign_mode::cancelled) return admission::cancel;
  if (in.gate.kind == time_gate::expired) return admission::expire;
  if (in.mode == campaign_mode::paused) return admission::hold_paused;
  if (in.gate.kind == time_gate::wait) return admission::hold_window;
  return admission::start;
}

std::optional<job_record> admission_record(admission decision, const job_record* job,
                                           std::string_view variant, std::string_view skip_reason,
                                           const job_policy& policy, std::int64_t now_ms) {
  job_record rec = job ? *job : job_record{};
  rec.variant = std::string(variant);
  switch (decision) {
    case admission::skip:
      (void)transition(rec, ev_skip{std::string(skip_reason)}, policy, now_ms);
      return rec;
    case admission::expire:
      (void)transition(rec, ev_expired{}, policy, now_ms);
      return rec;
    case admission::cancel:
      (void)transition(rec, ev_cancel{"campaign cancelled"}, policy, now_ms);
      return rec;
    case admission::hold_paused:
    case admission::hold_window:
      // A stored job keeps its state (queued or retry_wait) for when the campaign runs.
      if (job) return std::nullopt;
      note_state_change(rec, now_ms);
      return rec;
    case admission::already_terminal:
    case admission::already_active:
    case admission::start:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace otaflow::actors
