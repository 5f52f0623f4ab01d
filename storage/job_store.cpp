#include "storage/job_store.hpp"

#include "storage/campaign_store.hpp"
#include "storage/record_io.hpp"

namespace otaflow::storage {
namespace {

// Version 1: storage's own record (the last counter, no resends, epoch or SW); read only.
// Version 2: the engine's job_record, every field but counter_skip_at; read only.
// Version 3: version 2 followed by counter_skip_at (varint) (docs/storage.md).
// Version 4: version 3 followed by the history: a count (varint, at most job_history_max),
// then per entry the state octet (0x80 set: a PoR status octet follows), the attempt (varint)
// and the time as a zigzag varint delta from the entry before (the first: from 0).
constexpr std::uint8_t record_v1 = 1;
constexpr std::uint8_t record_v2 = 2;
constexpr std::uint8_t record_v3 = 3;
constexpr std::uint8_t record_v4 = 4;
// Version 5: version 4 followed by step, step_at, page (varints) and step_flags (octet); written
// only for a job of several steps (any of them not 0), so single-step jobs stay version 4.
// Then, when the job has a GET STATUS listing, its pages: a count (varint) and per page the step,
// the page (varints) and the data (varint length, octets), at most model::listing_max octets of
// data in all. A version-5 record that ends after step_flags has no listing (written before it).
constexpr std::uint8_t record_v5 = 5;
constexpr std::uint8_t history_has_por = 0x80;

rocksdb::Slice slice(std::string_view s) {
  return {s.data(), s.size()};
}

// Flags octet: which optional fields follow.
constexpr std::uint8_t has_por = 0x01;
constexpr std::uint8_t has_sw = 0x02;  // version 2 only

error malformed() {
  return make_error(errc::truncated, "job record: truncated or malformed");
}

std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

void put_history(byte_writer& w, const std::vector<model::job_history_entry>& h) {
  detail::put_varint(w, h.size());
  std::int64_t prev = 0;
  for (const auto& e : h) {
    w.u8(static_cast<std::uint8_t>(static_cast<std::uint8_t>(e.state) |
                                   (e.por_status ? history_has_por : 0)));
    if (e.por_status) w.u8(*e.por_status);
    detail::put_varint(w, e.attempt);
    // Wrapping subtraction: any two times encode, the decoder adds back the same way.
    detail::put_varint(w, zigzag(static_cast<std::int64_t>(static_cast<std::uint64_t>(e.at_ms) -
                                                           static_cast<std::uint64_t>(prev))));
    prev = e.at_ms;
  }
}

bool get_history(byte_reader& rd, std::vector<model::job_history_entry>& h) {
  std::uint64_t n = 0;
  if (!detail::get_varint(rd, n) || n > model::job_history_max) return false;
  h.resize(static_cast<std::size_t>(n));
  std::int64_t prev = 0;
  for (auto& e : h) {
    std::uint8_t st = 0;
    std::uint64_t attempt = 0, delta = 0;
    if (!rd.u8(st) || (st & ~history_has_por) >= model::job_state_count) return false;
    e.state = static_cast<job_state>(st & ~history_has_por);
    if (st & history_has_por) {
      std::uint8_t p = 0;
      if (!rd.u8(p)) return false;
      e.por_status = p;
    }
    if (!detail::get_varint(rd, attempt) || attempt > 0xFFFF || !detail::get_varint(rd, delta)) {
      return false;
    }
    e.attempt = static_cast<std::uint16_t>(attempt);
    e.at_ms = static_cast<std::int64_t>(static_cast<std::uint64_t>(prev) +
                                        static_cast<std::uint64_t>(unzigzag(delta)));
    prev = e.at_ms;
  }
  return true;
}

void put_listing(byte_writer& w, const std::vector<model::listing_page>& listing) {
  detail::put_varint(w, listing.size());
  for (const auto& p : listing) {
    detail::put_varint(w, p.step);
    detail::put_varint(w, p.page);
    detail::put_varint(w, p.data.size());
    w.append(p.data);
  }
}

bool get_listing(byte_reader& rd, std::vector<model::listing_page>& out) {
  std::uint64_t n = 0;
  if (!detail::get_varint(rd, n) || n > model::listing_max) return false;
  std::size_t total = 0;
  out.reserve(static_cast<std::size_t>(n));
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint64_t step = 0, page = 0, len = 0;
    byte_view v;
    if (!detail::get_varint(rd, step) || step > 0xFFFF || !detail::get_varint(rd, page) ||
        page > 0xFFFF || !detail::get_varint(rd, len) || len > model::listing_max - total ||
        !rd.take(static_cast<std::size_t>(len), v)) {
      return false;
    }
    total += v.size();
    out.push_back({static_cast<std::uint16_t>(step), static_cast<std::uint16_t>(page),
                   bytes(v.begin(), v.end())});
  }
  return true;
}

// The fields after the version octet of a version-1 record. Its states were numbered as the
// engine's are (counter_reserved = packaging, submitted = submitting), created_ms was the
// start of the first attempt, and it kept the last counter and the last submission's ids.
result<job_record> decode_v1(byte_reader& rd) {
  job_record r;
  std::uint8_t st = 0, flags = 0;
  if (!rd.u8(st) || st >= model::job_state_count || !rd.u8(flags)) return malformed();
  r.state = static_cast<job_state>(st);
  if (flags & has_por) {
    std::uint8_t p = 0;
    if (!rd.u8(p)) return malformed();
    r.por_status = p;
  }
  std::uint64_t attempt = 0, created = 0, updated = 0, retry = 0, counter = 0, n = 0;
  if (!detail::get_varint(rd, attempt) || attempt > 0xFFFF || !detail::get_varint(rd, created) ||
      !detail::get_varint(rd, updated) || !detail::get_varint(rd, retry) ||
      !detail::get_varint(rd, counter) || !detail::get_str(rd, r.reason) ||
      !detail::get_str(rd, r.variant) || !detail::get_varint(rd, n) || n > rd.remaining()) {
    return malformed();
  }
  r.attempt = static_cast<std::uint16_t>(attempt);
  r.started_ms = static_cast<std::int64_t>(created);
  r.updated_ms = static_cast<std::int64_t>(updated);
  r.retry_at_ms = static_cast<std::int64_t>(retry);
  if (counter != 0) r.counters = {counter};
  for (std::uint64_t i = 0; i < n; ++i) {
    if (!detail::get_str(rd, r.message_id)) return malformed();  // the last one stays
  }
  return r;
}

// Versions 2, 3 (which appends counter_skip_at) and 4 (which appends the history).
result<job_record> decode_v2(byte_reader& rd, std::uint8_t version) {
  job_record r;
  std::uint8_t st = 0, flags = 0;
  if (!rd.u8(st) || st >= model::job_state_count || !rd.u8(flags) ||
      (flags & ~(has_por | has_sw)) != 0) {
    return malformed();
  }
  r.state = static_cast<job_state>(st);
  if (flags & has_por) {
    std::uint8_t p = 0;
    if (!rd.u8(p)) return malformed();
    r.por_status = p;
  }
  if (flags & has_sw) {
    std::uint16_t sw = 0;
    if (!rd.u16(sw)) return malformed();
    r.last_sw = sw;
  }
  std::uint64_t attempt = 0, resends = 0, epoch = 0, started = 0, updated = 0, retry = 0, n = 0;
  if (!detail::get_varint(rd, attempt) || attempt > 0xFFFF || !detail::get_varint(rd, resends) ||
      resends > 0xFFFF || !detail::get_varint(rd, epoch) || epoch > 0xFFFFFFFF ||
      !detail::get_varint(rd, started) || !detail::get_varint(rd, updated) ||
      !detail::get_varint(rd, retry) || !detail::get_varint(rd, n) || n > rd.remaining()) {
    return malformed();
  }
  r.attempt = static_cast<std::uint16_t>(attempt);
  r.resends = static_cast<std::uint16_t>(resends);
  r.timer_epoch = static_cast<std::uint32_t>(epoch);
  r.started_ms = static_cast<std::int64_t>(started);
  r.updated_ms = static_cast<std::int64_t>(updated);
  r.retry_at_ms = static_cast<std::int64_t>(retry);
  r.counters.resize(static_cast<std::size_t>(n));
  for (auto& c : r.counters) {
    if (!detail::get_varint(rd, c)) return malformed();
  }
  if (!detail::get_str(rd, r.message_id) || !detail::get_str(rd, r.reason) ||
      !detail::get_str(rd, r.variant)) {
    return malformed();
  }
  if (version >= record_v3) {
    std::uint64_t skip_at = 0;
    if (!detail::get_varint(rd, skip_at) || skip_at > r.counters.size() + 1) return malformed();
    r.counter_skip_at = static_cast<std::uint32_t>(skip_at);
  }
  if (version >= record_v4 && !get_history(rd, r.history)) return malformed();
  if (version >= record_v5) {
    std::uint64_t step = 0, step_at = 0, page = 0;
    if (!detail::get_varint(rd, step) || step > 0xFFFF || !detail::get_varint(rd, step_at) ||
        step_at > r.counters.size() || !detail::get_varint(rd, page) || page > 0xFFFF ||
        !rd.u8(r.step_flags)) {
      return malformed();
    }
    r.step = static_cast<std::uint16_t>(step);
    r.step_at = static_cast<std::uint32_t>(step_at);
    r.page = static_cast<std::uint16_t>(page);
    if (!rd.empty() && !get_listing(rd, r.listing)) return malformed();
  }
  return r;
}

}  // namespace

std::string job_store::row_key(std::string_view campaign_id, std::string_view iccid) {
  std::string k;
  k.reserve(campaign_id.size() + 1 + iccid.size());
  k.append(campaign_id);
  k += '\0';
  k.append(iccid);
  return k;
}

bytes job_store::encode(const job_record& r) {
  byte_writer w;
  const bool steps =
      r.step != 0 || r.step_at != 0 || r.page != 0 || r.step_flags != 0 || !r.listing.empty();
  w.u8(steps ? record_v5 : record_v4);
  w.u8(static_cast<std::uint8_t>(r.state));
  w.u8(static_cast<std::uint8_t>((r.por_status ? has_por : 0) | (r.last_sw ? has_sw : 0)));
  if (r.por_status) w.u8(*r.por_status);
  if (r.last_sw) w.u16(*r.last_sw);
  detail::put_varint(w, r.attempt);
  detail::put_varint(w, r.resends);
  detail::put_varint(w, r.timer_epoch);
  detail::put_varint(w, static_cast<std::uint64_t>(r.started_ms));
  detail::put_varint(w, static_cast<std::uint64_t>(r.updated_ms));
  detail::put_varint(w, static_cast<std::uint64_t>(r.retry_at_ms));
  detail::put_varint(w, r.counters.size());
  for (const auto c : r.counters) detail::put_varint(w, c);
  detail::put_str(w, r.message_id);
  detail::put_str(w, r.reason);
  detail::put_str(w, r.variant);
  detail::put_varint(w, r.counter_skip_at);
  put_history(w, r.history);
  if (steps) {
    detail::put_varint(w, r.step);
    detail::put_varint(w, r.step_at);
    detail::put_varint(w, r.page);
    w.u8(r.step_flags);
    if (!r.listing.empty()) put_listing(w, r.listing);
  }
  return w.take();
}

result<job_record> job_store::decode(byte_view value) {
  byte_reader rd(value);
  std::uint8_t version = 0;
  if (!rd.u8(version)) return malformed();
  if (version < record_v1 || version > record_v5) {
    return make_error(errc::unsupported,
                      "job record: unknown version " + std::to_string(version) + " (know 1-5)");
  }
  auto r = version == record_v1 ? decode_v1(rd) : decode_v2(rd, version);
  if (r && !rd.empty()) return malformed();
  return r;
}

status job_store::stage(rocksdb::WriteBatch& b, const job_update& u) const {
  OTAFLOW_TRY(validate_campaign_id(u.campaign_id));
  if (u.iccid.empty())
    return make_error(errc::bad_argument, "job of " + u.campaign_id + ": no ICCID");
  const auto v = encode(u.record);
  b.Put(db_.handle(column::jobs), slice(row_key(u.campaign_id, u.iccid)),
        slice(detail::as_chars(v)));
  return {};
}

status job_store::commit(std::span<const job_update> updates, std::span<const audit_event> events,
                         audit_log& audit, bool sync) {
  rocksdb::WriteBatch b;
  for (const auto& u : updates) OTAFLOW_TRY(stage(b, u));
  for (const auto& e : events) audit.stage(b, e);
  return db_.commit(b, sync);
}

result<std::optional<job_record>> job_store::get(std::string_view campaign_id,
                                                 std::string_view iccid) const {
  auto v = db_.get(column::jobs, row_key(campaign_id, iccid));
  if (!v) return v.error();
  if (!v->has_value()) return std::optional<job_record>();
  auto r = decode(detail::as_bytes(**v));
  if (!r) {
    return detail::with_context(std::move(r).error(),
                                "job " + std::string(campaign_id) + "/" + std::string(iccid));
  }
  return std::optional<job_record>(std::move(*r));
}

result<std::vector<std::optional<job_record>>> job_store::get_many(
    std::string_view campaign_id, std::span<const std::string_view> iccids) const {
  std::vector<std::string> rows;
  rows.reserve(iccids.size());
  for (auto iccid : iccids) rows.push_back(row_key(campaign_id, iccid));
  const std::vector<std::string_view> keys(rows.begin(), rows.end());
  auto values = db_.get_many(column::jobs, keys);
  if (!values) return values.error();
  std::vector<std::optional<job_record>> out(iccids.size());
  for (std::size_t i = 0; i < iccids.size(); ++i) {
    if (!(*values)[i]) continue;
    auto r = decode(detail::as_bytes(*(*values)[i]));
    if (!r) {
      return detail::with_context(std::move(r).error(),
                                  "job " + std::string(campaign_id) + "/" + std::string(iccids[i]));
    }
    out[i] = std::move(*r);
  }
  return out;
}

result<job_page> job_store::list(std::string_view campaign_id, std::string_view after,
                                 std::size_t max_items, bool active_only,
                                 std::size_t max_examined) const {
  job_page page;
  page.resume_after = after;
  const std::string prefix = row_key(campaign_id, "");
  const std::string start = row_key(campaign_id, after);
  auto it = db_.iterate(column::jobs);
  it->Seek(slice(start));
  if (!after.empty() && it->Valid() && it->key().ToStringView() == start) it->Next();
  std::size_t examined = 0;
  for (; it->Valid(); it->Next()) {
    const auto key = it->key().ToStringView();
    if (key.substr(0, prefix.size()) != prefix) break;
    if (page.items.size() >= max_items || examined >= max_examined) return page;
    ++examined;
    const auto iccid = key.substr(prefix.size());
    page.resume_after = iccid;
    auto r = decode(detail::as_bytes(it->value().ToStringView()));
    if (!r) {
      return detail::with_context(std::move(r).error(),
                                  "job " + std::string(campaign_id) + "/" + std::string(iccid));
    }
    if (active_only && is_terminal(r->state)) continue;
    page.items.push_back({std::string(iccid), std::move(*r)});
  }
  if (!it->status().ok()) return rocksdb_error(it->status(), "jobs: list");
  page.end = true;
  return page;
}

result<std::map<job_state, std::uint64_t>> job_store::count_by_state(
    std::string_view campaign_id) const {
  std::map<job_state, std::uint64_t> out;
  const std::string prefix = row_key(campaign_id, "");
  auto it = db_.iterate(column::jobs);
  for (it->Seek(slice(prefix)); it->Valid(); it->Next()) {
    const auto key = it->key().ToStringView();
    if (key.substr(0, prefix.size()) != prefix) break;
    // The state is the second octet of a record of either version: no need to decode it all.
    const auto v = it->value().ToStringView();
    if (v.size() < 2 || static_cast<std::uint8_t>(v[1]) >= model::job_state_count) {
      return make_error(errc::internal,
                        "jobs of " + std::string(campaign_id) + ": malformed record");
    }
    ++out[static_cast<job_state>(v[1])];
  }
  if (!it->status().ok()) return rocksdb_error(it->status(), "jobs: count");
  return out;
}

result<std::map<std::string, std::map<job_state, std::uint64_t>>> job_store::count_by_variant(
    std::string_view campaign_id) const {
  std::map<std::string, std::map<job_state, std::uint64_t>> out;
  const std::string prefix = row_key(campaign_id, "");
  auto it = db_.iterate(column::jobs);
  for (it->Seek(slice(prefix)); it->Valid(); it->Next()) {
    const auto key = it->key().ToStringView();
    if (key.substr(0, prefix.size()) != prefix) break;
    auto r = decode(detail::as_bytes(it->value().ToStringView()));
    if (!r) {
      return detail::with_context(std::move(r).error(), "job " + std::string(campaign_id) + "/" +
                                                            std::string(key.substr(prefix.size())));
    }
    ++out[r->variant][r->state];
  }
  if (!it->status().ok()) return rocksdb_error(it->status(), "jobs: count by variant");
  return out;
}

}  // namespace otaflow::storage
