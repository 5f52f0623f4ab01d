#include "storage/keyset_resolution.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace otaflow::storage {

result<bool> stage_commit_keyset(state& st, rocksdb::WriteBatch& b, const std::string& iccid,
                                 const std::string& campaign) {
  auto p = st.keys().get_pending_keyset(iccid, campaign);
  if (!p) return p.error();
  if (!p->has_value()) return false;
  const auto version = (*p)->version;
  const auto replaced = (*p)->replace;
  auto done = st.keys().stage_commit_pending_keyset(b, iccid, campaign);
  if (!done || !*done) return done;
  auto sub = st.subscribers().get(iccid);
  if (!sub) return sub.error();
  if (!sub->has_value()) return true;  // keys without a record: nothing lists versions
  storage::subscriber next = **sub;
  auto& kvns = next.keyset_versions;
  if (replaced != 0 && replaced != version) std::erase(kvns, replaced);
  if (std::find(kvns.begin(), kvns.end(), version) == kvns.end()) kvns.push_back(version);
  std::sort(kvns.begin(), kvns.end());
  if (kvns != (*sub)->keyset_versions) OTAFLOW_TRY(st.subscribers().stage_put(b, next, &**sub));
  return true;
}

result<pending_keyset_info> resolvable_keyset(state& st, const std::string& iccid,
                                              const std::string& campaign) {
  auto pending = st.keys().get_pending_keyset(iccid, campaign);
  if (!pending) return pending.error();
  if (!pending->has_value())
    return make_error(errc::not_found,
                      "card " + iccid + ", campaign " + campaign + ": no pending keyset");
  auto job = terminal_job_state(st, iccid, campaign, "keyset");
  if (!job) return job.error();
  const auto& k = **pending;
  return pending_keyset_info{campaign, k.version, k.replace, k.from, k.aes};
}

result<std::string> resolve_pending_keyset(state& st, const key_resolution& r) {
  const bool word = !r.action.empty() &&
                    r.action.find_first_not_of("abcdefghijklmnopqrstuvwxyz-") == std::string::npos;
  if (!word) return make_error(errc::bad_argument, "keyset resolution: action '" + r.action + "'");
  auto ks = resolvable_keyset(st, r.iccid, r.campaign);
  if (!ks) return ks.error();
  auto job = terminal_job_state(st, r.iccid, r.campaign, "keyset");
  if (!job) return job.error();
  rocksdb::WriteBatch b;
  auto settled = r.adopt ? stage_commit_keyset(st, b, r.iccid, r.campaign)
                         : st.keys().stage_drop_pending_keyset(b, r.iccid, r.campaign);
  if (!settled) return settled.error();
  std::string details = R"({"action":")" + r.action + R"(","outcome":")" +
                        (r.adopt ? "adopted" : "discarded") + R"(","keyset":)" +
                        std::to_string(ks->version) + R"(,"from":)" + std::to_string(ks->from);
  return commit_resolution(st, b, r, std::move(details), *job);
}

}  // namespace otaflow::storage
