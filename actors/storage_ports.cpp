#include "actors/storage_ports.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "actors/key_settlement.hpp"
#include "actors/keyset_update.hpp"
#include "storage/keyset_resolution.hpp"

namespace otaflow::actors {

result<std::optional<job_record>> storage_job_store::load(const std::string& campaign,
                                                          const std::string& iccid) {
  return state_.jobs().get(campaign, iccid);
}

result<std::vector<std::optional<job_record>>> storage_job_store::load_many(
    const std::string& campaign, std::span<const std::string_view> iccids) {
  return state_.jobs().get_many(campaign, iccids);
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

namespace {

// Stages what settle_keys() decided for the pending keys and keyset (update.keyset) of u's
// (campaign, card); returns the "key_rotation" value for the audit details ("" when nothing was
// pending). `keyset`: set when a pending keyset was among them.
result<std::string_view> stage_key_settlement(storage::state& st, rocksdb::WriteBatch& b,
                                              const job_update& u, key_settlement what,
                                              bool& keyset) {
  const auto& keys = st.keys();
  switch (what) {
    case key_settlement::none:
      return std::string_view();
    case key_settlement::commit: {
      auto settled = keys.stage_commit_pending(b, u.iccid, u.campaign);
      if (!settled) return settled.error();
      auto ks = storage::stage_commit_keyset(st, b, u.iccid, u.campaign);
      if (!ks) return ks.error();
      keyset = *ks;
      return *settled || *ks ? std::string_view("committed") : std::string_view();
    }
    case key_settlement::drop: {
      auto settled = keys.stage_drop_pending(b, u.iccid, u.campaign);
      if (!settled) return settled.error();
      auto ks = keys.stage_drop_pending_keyset(b, u.iccid, u.campaign);
      if (!ks) return ks.error();
      keyset = *ks;
      return *settled || *ks ? std::string_view("dropped") : std::string_view();
    }
    case key_settlement::keep: {
      auto held = keys.has_pending(u.iccid, u.campaign);
      if (!held) return held.error();
      auto ks = keys.has_pending_keyset(u.iccid, u.campaign);
      if (!ks) return ks.error();
      keyset = *ks;
      return *held || *ks ? std::string_view("uncertain") : std::string_view();
    }
  }
  return std::string_view();
}

}  // namespace

result<std::optional<job_record>> stage_job_effects(storage::state& st, rocksdb::WriteBatch& b,
                                                    const job_update& u, std::string& details) {
  std::optional<job_record> patched;
  const auto what = settle_keys(u.job, u.may_hold_keys);
  bool keyset = false;
  auto outcome = stage_key_settlement(st, b, u, what, keyset);
  if (!outcome) return outcome.error();
  if (!outcome->empty()) {
    const auto note = keyset ? keyset_uncertain_note : keys_uncertain_note;
    if (*outcome == "uncertain" && u.job.reason.find(note) == std::string::npos) {
      // An owner that could not tell the variant (a cancel at admission, `campaign cancel`)
      // sent the record without the note: the stored record gets it all the same.
      patched = u.job;
      if (keyset) {
        note_keyset_uncertain(patched->reason);
      } else {
        note_keys_uncertain(patched->reason);
      }
      details = audit_details(*patched);
    }
    if (!details.empty() && details.back() == '}') {
      details.pop_back();
      details += R"(,"key_rotation":")";
      details += *outcome;
      details += R"("})";
    }
  }
  // What the card now holds, for rules on known files: recorded with the job that wrote
  // it, so the known files never run ahead of (or behind) the job.
  for (const auto& f : u.written) {
    OTAFLOW_TRY(
        st.card_files().stage(b, u.iccid, path_text(f.path),
                              storage::known_file{f.offset, f.data, u.campaign, u.job.updated_ms}));
  }
  return patched;
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
  std::vector<std::size_t> row_index;  // of each update
  row_index.reserve(updates.size());
  for (const auto& u : updates) {
    auto [slot, fresh] = row_of.try_emplace(u.iccid, rows.size());
    if (!fresh && rows[slot->second].campaign_id != u.campaign) fresh = true;
    if (fresh) {
      slot->second = rows.size();
      rows.push_back({u.campaign, u.iccid, u.job});
    } else {
      rows[slot->second].record = u.job;
    }
    row_index.push_back(slot->second);
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
    auto patched = stage_job_effects(state_, b, updates[i], audit[i].details);
    if (!patched) return patched.error();
    auto& row = rows[row_index[i]].record;
    if (*patched && row == updates[i].job) {  // its row holds this update: store the patch
      row = std::move(**patched);
      extra = true;
    }
    extra = extra || b.Count() != before;
  }
  if (!extra) return state_.jobs().commit(rows, audit, state_.audit(), sync);
  for (const auto& r : rows) OTAFLOW_TRY(state_.jobs().stage(b, r));
  for (const auto& e : audit) (void)state_.audit().stage(b, e);
  return state_.database().commit(b, sync);
}

}  // namespace otaflow::actors
