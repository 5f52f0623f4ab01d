#include "storage/key_resolution.hpp"

#include <nlohmann/json.hpp>

namespace otaflow::storage {

result<std::string> terminal_job_state(state& st, const std::string& iccid,
                                       const std::string& campaign, const char* what) {
  auto job = st.jobs().get(campaign, iccid);
  if (!job) return job.error();
  if (!job->has_value()) return std::string();
  const auto s = (*job)->state;
  if (!model::is_terminal(s)) {
    return make_error(errc::conflict, "card " + iccid + ", campaign " + campaign + ": the job is " +
                                          std::string(model::to_string(s)) +
                                          ", not terminal; resolve its " + what +
                                          " once it has ended");
  }
  return std::string(model::to_string(s));
}

result<std::string> commit_resolution(state& st, rocksdb::WriteBatch& b, const key_resolution& r,
                                      std::string details, const std::string& job_state) {
  if (!job_state.empty()) details += R"(,"job_state":")" + job_state + '"';
  if (!r.proof.empty()) details += R"(,"proof":)" + r.proof;
  if (!r.who.empty()) details += R"(,"who":)" + nlohmann::json(r.who).dump();
  details += '}';
  audit_event e;
  e.time_ms = now_ms();
  e.campaign = r.campaign;
  e.iccid = r.iccid;
  e.type = audit_type::key_resolution;
  e.details = details;
  (void)st.audit().stage(b, e);
  OTAFLOW_TRY(st.database().commit(b, true));
  return details;
}

result<pending_rotation> resolvable_rotation(state& st, const std::string& iccid,
                                             const std::string& campaign) {
  auto pending = st.keys().get_pending(iccid, campaign);
  if (!pending) return pending.error();
  if (!pending->has_value())
    return make_error(errc::not_found,
                      "card " + iccid + ", campaign " + campaign + ": no pending key rotation");
  auto job = terminal_job_state(st, iccid, campaign, "keys");
  if (!job) return job.error();
  return pending_rotation{campaign, (*pending)->sequence};
}

result<std::string> resolve_pending_keys(state& st, const key_resolution& r) {
  const bool word = !r.action.empty() &&
                    r.action.find_first_not_of("abcdefghijklmnopqrstuvwxyz-") == std::string::npos;
  if (!word) return make_error(errc::bad_argument, "key resolution: action '" + r.action + "'");
  auto rotation = resolvable_rotation(st, r.iccid, r.campaign);
  if (!rotation) return rotation.error();
  auto job = terminal_job_state(st, r.iccid, r.campaign, "keys");
  if (!job) return job.error();
  rocksdb::WriteBatch b;
  auto settled = r.adopt ? st.keys().stage_commit_pending(b, r.iccid, r.campaign)
                         : st.keys().stage_drop_pending(b, r.iccid, r.campaign);
  if (!settled) return settled.error();
  // The words are fixed (no escaping needed); the proof is the caller's JSON object.
  std::string details = R"({"action":")" + r.action + R"(","outcome":")" +
                        (r.adopt ? "adopted" : "discarded") + R"(","sequence":)" +
                        std::to_string(rotation->sequence);
  return commit_resolution(st, b, r, std::move(details), *job);
}

}  // namespace otaflow::storage
