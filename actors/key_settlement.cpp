#include "actors/key_settlement.hpp"

namespace otaflow::actors {

std::string_view to_string(key_settlement s) noexcept {
  switch (s) {
    case key_settlement::none:
      return "none";
    case key_settlement::commit:
      return "commit";
    case key_settlement::drop:
      return "drop";
    case key_settlement::keep:
      return "keep";
  }
  return "?";
}

key_settlement settle_keys(const job_record& job, bool may_hold_keys) noexcept {
  if (!may_hold_keys || !is_terminal(job.state)) return key_settlement::none;
  if (job.state == job_state::done) return key_settlement::commit;
  return job.counters.empty() ? key_settlement::drop : key_settlement::keep;
}

bool note_keys_uncertain(std::string& reason) {
  if (reason.find(keys_uncertain_note) != std::string::npos) return false;
  if (!reason.empty()) reason += "; ";
  reason += keys_uncertain_note;
  return true;
}

bool note_keys_uncertain(job_record& job, bool may_hold_keys) {
  if (settle_keys(job, may_hold_keys) != key_settlement::keep) return false;
  return note_keys_uncertain(job.reason);
}

}  // namespace otaflow::actors
