#include "actors/service_outbox.hpp"

#include <algorithm>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "actors/storage_ports.hpp"
#include "base/log.hpp"

namespace otaflow::actors {
namespace {

std::string be64(std::uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8)
    s[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xFF);
  return s;
}

}  // namespace

result<status_event> status_from_audit(const storage::audit_event& e) {
  if (e.type != storage::audit_type::state) {
    return make_error(errc::bad_value, "audit record is not a state change");
  }
  auto d = nlohmann::json::parse(e.details, nullptr, false);
  if (d.is_discarded() || !d.is_object() || !d.contains("state") || !d["state"].is_string()) {
    return make_error(errc::bad_value, "audit record of " + e.iccid + ": details without a state");
  }
  auto st = job_state_from_string(d["state"].get<std::string>());
  if (!st) {
    return make_error(errc::bad_value, "audit record of " + e.iccid + ": unknown state '" +
                                           d["state"].get<std::string>() + "'");
  }
  status_event ev;
  ev.campaign = e.campaign;
  ev.iccid = e.iccid;
  ev.state = *st;
  ev.ts_ms = e.time_ms;
  if (d.contains("attempt") && d["attempt"].is_number_unsigned()) {
    ev.attempt = static_cast<std::uint16_t>(d["attempt"].get<std::uint64_t>());
  }
  if (d.contains("por_status") && d["por_status"].is_number_unsigned()) {
    ev.por_status = static_cast<std::uint8_t>(d["por_status"].get<std::uint64_t>());
  }
  if (d.contains("reason") && d["reason"].is_string()) ev.reason = d["reason"].get<std::string>();
  if (d.contains("variant") && d["variant"].is_string()) {
    ev.variant = d["variant"].get<std::string>();
  }
  return ev;
}

status_outbox::status_outbox(storage::state& state, acked_sink& downstream, std::uint64_t watermark)
    : state_(state), downstream_(downstream), highest_(watermark), stored_(watermark) {}

result<std::unique_ptr<status_outbox>> status_outbox::open(storage::state& state,
                                                           acked_sink& downstream) {
  auto v = state.database().get(storage::column::meta, watermark_key);
  if (!v) return v.error();
  std::uint64_t w = 0;
  if (v->has_value()) {
    const auto& s = **v;
    if (s.size() != 8) {
      return make_error(errc::bad_length, std::string("meta ") + watermark_key +
                                              ": expected 8 octets, got " +
                                              std::to_string(s.size()));
    }
    for (char c : s) w = (w << 8) | static_cast<std::uint8_t>(c);
  } else {
    // First use of this directory as a service: history written before (by `campaign run`)
    // is not ours to publish. Stored at once, so a crash before the first checkpoint replays
    // from here.
    w = state.audit().next_seq() - 1;
    rocksdb::WriteBatch b;
    const auto v = be64(w);
    b.Put(state.database().handle(storage::column::meta), watermark_key,
          rocksdb::Slice(v.data(), v.size()));
    OTAFLOW_TRY(state.database().commit(b, true));
  }
  return std::unique_ptr<status_outbox>(new status_outbox(state, downstream, w));
}

result<std::optional<job_record>> status_outbox::load(const std::string& campaign,
                                                      const std::string& iccid) {
  return state_.jobs().get(campaign, iccid);
}

status status_outbox::save(std::span<const job_update> updates, bool sync) {
  rocksdb::WriteBatch b;
  last_seqs_.clear();
  last_seqs_.reserve(updates.size());
  // A job often changes state several times within one batch (packaging and submitting,
  // delivered and done): its row is written once, with the last state (the batch is atomic,
  // so nothing can observe the ones in between); the audit log still gets every change.
  std::unordered_map<std::string_view, std::size_t> last_of;  // ICCID -> index of its last update
  last_of.reserve(updates.size());
  bool other_campaigns = false;
  for (std::size_t i = 0; i < updates.size(); ++i) {
    auto [it, fresh] = last_of.try_emplace(updates[i].iccid, i);
    if (!fresh) {
      if (updates[it->second].campaign != updates[i].campaign) other_campaigns = true;
      it->second = i;
    }
  }
  for (std::size_t i = 0; i < updates.size(); ++i) {
    const auto& u = updates[i];
    storage::audit_event e;
    e.time_ms = u.job.updated_ms;
    e.campaign = u.campaign;
    e.iccid = u.iccid;
    e.type = storage::audit_type::state;
    e.details = audit_details(u.job);
    auto patched = stage_job_effects(state_, b, u, e.details);
    if (!patched) return patched.error();
    // A card in two campaigns of one batch: every row is written, in order (still correct).
    if (other_campaigns || last_of[u.iccid] == i) {
      OTAFLOW_TRY(state_.jobs().stage(b, {u.campaign, u.iccid, *patched ? **patched : u.job}));
    }
    last_seqs_.push_back(state_.audit().stage(b, e));
  }
  auto s = state_.database().commit(b, sync);
  if (!s) last_seqs_.clear();
  return s;
}

void status_outbox::track(std::uint64_t seq) {
  std::lock_guard lock(mu_);
  outstanding_.insert(seq);
  highest_ = std::max(highest_, seq);
}

void status_outbox::emit(std::span<const status_event> events) {
  if (events.size() != last_seqs_.size()) {
    // Not the batch saved last: cannot be numbered, so it is not tracked (never expected).
    log::get("engine")->error("outbox: {} events emitted after a save of {}", events.size(),
                              last_seqs_.size());
    for (const auto& e : events) downstream_.send(e, 0);
    return;
  }
  for (std::size_t i = 0; i < events.size(); ++i) track(last_seqs_[i]);
  for (std::size_t i = 0; i < events.size(); ++i) downstream_.send(events[i], last_seqs_[i]);
  last_seqs_.clear();
}

void status_outbox::acknowledge(std::uint64_t seq) {
  std::lock_guard lock(mu_);
  outstanding_.erase(seq);
}

std::uint64_t status_outbox::watermark() const {
  std::lock_guard lock(mu_);
  return outstanding_.empty() ? highest_ : *outstanding_.begin() - 1;
}

std::size_t status_outbox::unacknowledged() const {
  std::lock_guard lock(mu_);
  return outstanding_.size();
}

result<std::uint64_t> status_outbox::replay() {
  std::uint64_t from = watermark() + 1;
  std::uint64_t n = 0;
  while (true) {
    auto page = state_.audit().read(from, 4096);
    if (!page) return page.error();
    if (page->empty()) break;
    for (const auto& en : *page) {
      from = en.seq + 1;
      if (en.event.type != storage::audit_type::state) continue;
      auto ev = status_from_audit(en.event);
      if (!ev) {
        log::get("engine")->warn("outbox: audit record {} skipped: {}", en.seq, ev.error().message);
        continue;
      }
      track(en.seq);
      downstream_.send(*ev, en.seq);
      ++n;
    }
  }
  return n;
}

status status_outbox::checkpoint() {
  const auto w = watermark();
  {
    std::lock_guard lock(mu_);
    if (w == stored_) return {};
  }
  rocksdb::WriteBatch b;
  const auto v = be64(w);
  b.Put(state_.database().handle(storage::column::meta), watermark_key,
        rocksdb::Slice(v.data(), v.size()));
  // Unsynced: a lost watermark only means some statuses are sent again.
  OTAFLOW_TRY(state_.database().commit(b, false));
  std::lock_guard lock(mu_);
  stored_ = w;
  return {};
}

}  // namespace otaflow::actors
