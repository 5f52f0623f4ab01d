#include "actors/storage_ports.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

namespace otaflow::actors {
namespace {

// The engine's states map one to one onto the stored ones.
storage::job_state to_stored(job_state s) {
  switch (s) {
    case job_state::queued:
      return storage::job_state::queued;
    case job_state::packaging:
      return storage::job_state::counter_reserved;
    case job_state::submitting:
      return storage::job_state::submitted;
    case job_state::accepted:
      return storage::job_state::accepted;
    case job_state::delivered:
      return storage::job_state::delivered;
    case job_state::retry_wait:
      return storage::job_state::retry_wait;
    case job_state::done:
      return storage::job_state::done;
    case job_state::failed:
      return storage::job_state::failed;
    case job_state::skipped:
      return storage::job_state::skipped;
  }
  return storage::job_state::queued;
}

job_state from_stored(storage::job_state s) {
  switch (s) {
    case storage::job_state::queued:
      return job_state::queued;
    case storage::job_state::counter_reserved:
      return job_state::packaging;
    case storage::job_state::submitted:
      return job_state::submitting;
    case storage::job_state::accepted:
      return job_state::accepted;
    case storage::job_state::delivered:
      return job_state::delivered;
    case storage::job_state::retry_wait:
      return job_state::retry_wait;
    case storage::job_state::done:
      return job_state::done;
    case storage::job_state::failed:
      return job_state::failed;
    case storage::job_state::skipped:
      return job_state::skipped;
  }
  return job_state::queued;
}

}  // namespace

storage::job_record to_stored(const job_record& j) {
  storage::job_record s;
  s.state = to_stored(j.state);
  s.attempt = j.attempt;
  s.por_status = j.por_status;
  s.reason = j.reason;
  s.created_ms = j.started_ms;
  s.updated_ms = j.updated_ms;
  s.counter = j.counters.empty() ? 0 : j.counters.back();
  if (!j.message_id.empty()) s.message_ids = {j.message_id};
  s.variant = j.variant;
  return s;
}

job_record from_stored(const storage::job_record& s) {
  job_record j;
  j.state = from_stored(s.state);
  j.attempt = s.attempt;
  j.por_status = s.por_status;
  j.reason = s.reason;
  j.started_ms = s.created_ms;
  j.updated_ms = s.updated_ms;
  if (s.counter != 0) j.counters = {s.counter};
  if (!s.message_ids.empty()) j.message_id = s.message_ids.back();
  j.variant = s.variant;
  return j;
}

result<std::optional<job_record>> storage_job_store::load(const std::string& campaign,
                                                          const std::string& iccid) {
  auto r = state_.jobs().get(campaign, iccid);
  if (!r) return r.error();
  if (!*r) return std::optional<job_record>{};
  return std::optional<job_record>{from_stored(**r)};
}

result<std::vector<std::optional<job_record>>> storage_job_store::load_many(
    const std::string& campaign, std::span<const std::string_view> iccids) {
  auto rows = state_.jobs().get_many(campaign, iccids);
  if (!rows) return rows.error();
  std::vector<std::optional<job_record>> out(rows->size());
  for (std::size_t i = 0; i < rows->size(); ++i) {
    if ((*rows)[i]) out[i] = from_stored(*(*rows)[i]);
  }
  return out;
}

namespace {

// A JSON string; printable ASCII without '"' and '\\' is copied as it is (the common case),
// anything else goes through nlohmann (escapes, and replaces invalid UTF-8).
void append_json_string(std::string& out, std::string_view s) {
  const bool plain = std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c >= 0x20 && c <= 0x7E && c != '"' && c != '\\';
  });
  if (plain) {
    out += '"';
    out += s;
    out += '"';
  } else {
    out += nlohmann::json(std::string(s))
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

}  // namespace

std::string audit_details(const job_record& job) {
  // In the order a nlohmann::json object dumps them (sorted keys). Built by hand: one per
  // state change of every card, the hottest serialisation of the journal.
  std::string d;
  d.reserve(96 + job.reason.size());
  d += R"({"attempt":)";
  d += std::to_string(job.attempt);
  if (!job.counters.empty()) {
    d += R"(,"counter":)";
    d += std::to_string(job.counters.back());
  }
  if (!job.message_id.empty()) {
    d += R"(,"message_id":)";
    append_json_string(d, job.message_id);
  }
  if (job.por_status) {
    d += R"(,"por_status":)";
    d += std::to_string(*job.por_status);
  }
  if (!job.reason.empty()) {
    d += R"(,"reason":)";
    append_json_string(d, job.reason);
  }
  d += R"(,"state":)";
  append_json_string(d, to_string(job.state));
  if (!job.variant.empty()) {
    d += R"(,"variant":)";
    append_json_string(d, job.variant);
  }
  d += '}';
  return d;
}

status stage_job_effects(storage::state& st, rocksdb::WriteBatch& b, const job_update& u,
                         std::string& details) {
  if (is_terminal(u.job.state) && u.may_hold_keys) {
    const bool done = u.job.state == job_state::done;
    auto settled = done ? st.keys().stage_commit_pending(b, u.iccid, u.campaign)
                        : st.keys().stage_drop_pending(b, u.iccid, u.campaign);
    if (!settled) return settled.error();
    if (*settled && !details.empty() && details.back() == '}') {
      details.pop_back();
      details += done ? R"(,"key_rotation":"committed"})" : R"(,"key_rotation":"dropped"})";
    }
  }
  // What the card now holds, for rules on known files: recorded with the job that wrote
  // it, so the known files never run ahead of (or behind) the job.
  for (const auto& f : u.written) {
    OTAFLOW_TRY(
        st.card_files().stage(b, u.iccid, path_text(f.path),
                              storage::known_file{f.offset, f.data, u.campaign, u.job.updated_ms}));
  }
  return {};
}

status storage_job_store::save(std::span<const job_update> updates, bool sync) {
  std::vector<storage::job_update> rows;
  std::vector<storage::audit_event> audit;
  rows.reserve(updates.size());
  audit.reserve(updates.size());
  // A job changes state several times within one batch (accepted, delivered and done
  // often arrive together): its row is written once, with the last state; the audit log
  // still gets every change.
  std::unordered_map<std::string_view, std::size_t> row_of;
  row_of.reserve(updates.size());
  for (const auto& u : updates) {
    auto [slot, fresh] = row_of.try_emplace(u.iccid, rows.size());
    if (!fresh && rows[slot->second].campaign_id != u.campaign) fresh = true;
    if (fresh) {
      slot->second = rows.size();
      rows.push_back({u.campaign, u.iccid, to_stored(u.job)});
    } else {
      rows[slot->second].record = to_stored(u.job);
    }
    storage::audit_event e;
    e.time_ms = u.job.updated_ms;
    e.campaign = u.campaign;
    e.iccid = u.iccid;
    e.type = storage::audit_type::state;
    e.details = audit_details(u.job);
    audit.push_back(std::move(e));
  }
  rocksdb::WriteBatch b;
  bool extra = false;
  for (std::size_t i = 0; i < updates.size(); ++i) {
    const auto before = b.Count();
    OTAFLOW_TRY(stage_job_effects(state_, b, updates[i], audit[i].details));
    extra = extra || b.Count() != before;
  }
  if (!extra) return state_.jobs().commit(rows, audit, state_.audit(), sync);
  for (const auto& r : rows) OTAFLOW_TRY(state_.jobs().stage(b, r));
  for (const auto& e : audit) (void)state_.audit().stage(b, e);
  return state_.database().commit(b, sync);
}

}  // namespace otaflow::actors
