#include "storage/audit_log.hpp"

#include <algorithm>
#include <chrono>
#include <map>

#include <nlohmann/json.hpp>

#include "storage/record_io.hpp"

namespace otaflow::storage {
namespace {

constexpr std::uint8_t record_v1 = 1;  // before the chain
constexpr std::uint8_t record_v2 = 2;  // + link (32 octets) at the end

rocksdb::Slice slice(std::string_view s) {
  return {s.data(), s.size()};
}

}  // namespace

std::int64_t now_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view name(audit_type t) noexcept {
  switch (t) {
    case audit_type::submit:
      return "submit";
    case audit_type::receipt:
      return "receipt";
    case audit_type::por:
      return "por";
    case audit_type::counter_use:
      return "counter_use";
    case audit_type::state:
      return "state";
    case audit_type::key_resolution:
      return "key_resolution";
    case audit_type::counter_set:
      return "counter_set";
    case audit_type::undelivered:
      return "undelivered";
    case audit_type::control:
      return "control";
    case audit_type::alert:
      return "alert";
    case audit_type::checkpoint:
      return "checkpoint";
    case audit_type::recovery:
      return "recovery";
    case audit_type::campaign:
      return "campaign";
    case audit_type::import:
      return "import";
    case audit_type::kek_rotation:
      return "kek_rotation";
  }
  return "unknown";
}

secure::sha256_digest audit_chain_hash(std::uint64_t seq, byte_view value) {
  const auto key = detail::be64(seq);
  return secure::sha256({detail::as_bytes(key), value});
}

bytes checkpoint_message(std::uint64_t seq, const secure::sha256_digest& hash) {
  constexpr std::string_view tag = "otaflow-audit-checkpoint-v1";
  byte_writer w;
  w.append(tag);
  w.uint_be(8, seq);
  w.append(byte_view(hash.data(), hash.size()));
  return w.take();
}

audit_log::~audit_log() {
  bool due = false;
  {
    std::lock_guard lock(mu_);
    due = signer_ && head_seq_ > last_checkpoint_ && !db_.read_only();
  }
  if (due) (void)checkpoint(true);  // the head at close is signed; a failure shows at verify
}

result<std::unique_ptr<audit_log>> audit_log::open(db& d) {
  std::unique_ptr<audit_log> log(new audit_log(d));
  auto it = d.iterate(column::audit);
  it->SeekToLast();
  if (it->Valid()) {
    std::uint64_t last = 0;
    if (!detail::parse_be64(it->key().ToStringView(), last)) {
      return make_error(errc::internal, "audit: last key is not an 8-octet sequence number");
    }
    log->next_ = last + 1;
    log->head_seq_ = last;
    log->head_ = audit_chain_hash(last, detail::as_bytes(it->value().ToStringView()));
  } else if (!it->status().ok()) {
    return rocksdb_error(it->status(), "audit: reading the last record");
  }
  if (!d.read_only()) OTAFLOW_TRY(log->recover_tail());
  return log;
}

// Walks back from the last record to the last checkpoint (plus audit_recovery_margin), at
// most audit_recovery_scan records (an open must not read a whole log without checkpoints),
// and declares the sequence numbers missing there, unless a recovery record declared them before:
// records staged in a batch that was never committed when the previous process ended.
status audit_log::recover_tail() {
  std::map<std::uint64_t, std::uint64_t> missing;  // first -> last
  std::vector<std::pair<std::uint64_t, std::uint64_t>> declared;
  std::uint64_t stop_at = 0, prev = 0, read = 0;
  auto it = db_.iterate(column::audit);
  for (it->SeekToLast(); it->Valid() && read++ < audit_recovery_scan; it->Prev()) {
    std::uint64_t seq = 0;
    if (!detail::parse_be64(it->key().ToStringView(), seq)) break;
    if (prev != 0 && seq + 1 < prev) missing[seq + 1] = prev - 1;
    prev = seq;
    if (stop_at != 0 && seq <= stop_at) break;
    auto e = decode(detail::as_bytes(it->value().ToStringView()));
    if (!e) continue;
    if (e->type == audit_type::recovery) {
      auto j = nlohmann::json::parse(e->details, nullptr, false);
      if (j.is_object() && j.contains("missing") && j["missing"].is_array()) {
        for (const auto& r : j["missing"]) {
          if (r.is_array() && r.size() == 2 && r[0].is_number_unsigned() &&
              r[1].is_number_unsigned()) {
            declared.emplace_back(r[0].get<std::uint64_t>(), r[1].get<std::uint64_t>());
          }
        }
      }
    } else if (e->type == audit_type::checkpoint && stop_at == 0) {
      stop_at = seq > audit_recovery_margin ? seq - audit_recovery_margin : 1;
    }
  }
  if (!it->status().ok()) return rocksdb_error(it->status(), "audit: reading the tail");
  nlohmann::json ranges = nlohmann::json::array();
  for (const auto& [first, last] : missing) {
    bool known = false;
    for (const auto& [a, b] : declared) known = known || (a <= first && last <= b);
    if (!known) ranges.push_back({first, last});
  }
  if (ranges.empty()) return {};
  audit_event e;
  e.type = audit_type::recovery;
  e.details = nlohmann::json{{"missing", ranges},
                             {"reason", "staged and never committed before the process ended"}}
                  .dump();
  return append(e, true);
}

void audit_log::set_signer(std::shared_ptr<const secure::ed25519_signer> signer,
                           std::uint64_t every) {
  std::lock_guard lock(mu_);
  signer_ = std::move(signer);
  checkpoint_every_ = std::max<std::uint64_t>(every, 1);
  last_checkpoint_ = head_seq_;
}

status audit_log::checkpoint(bool sync) {
  rocksdb::WriteBatch b;
  {
    std::lock_guard lock(mu_);
    if (!signer_ || head_seq_ == 0) return {};
    stage_checkpoint_locked(b);
  }
  return db_.commit(b, sync);
}

void audit_log::stage_checkpoint_locked(rocksdb::WriteBatch& b) {
  const auto msg = checkpoint_message(head_seq_, head_);
  const auto sig = signer_->sign(msg);
  const auto& pub = signer_->public_key();
  audit_event cp;
  cp.type = audit_type::checkpoint;
  cp.details = nlohmann::json{{"seq", head_seq_},
                              {"hash", to_hex(byte_view(head_.data(), head_.size()))},
                              {"key", to_hex(byte_view(pub.data(), pub.size()))},
                              {"sig", to_hex(byte_view(sig.data(), sig.size()))}}
                   .dump();
  last_checkpoint_ = head_seq_;
  stage_locked(b, cp);
}

bytes audit_log::encode(const audit_event& e) {
  byte_writer w;
  w.u8(record_v1);
  w.uint_be(8, static_cast<std::uint64_t>(e.time_ms));
  w.u8(static_cast<std::uint8_t>(e.type));
  detail::put_str(w, e.campaign);
  detail::put_str(w, e.iccid);
  detail::put_str(w, e.details);
  return w.take();
}

bytes audit_log::encode(const audit_event& e, const secure::sha256_digest& link) {
  byte_writer w;
  w.u8(record_v2);
  w.uint_be(8, static_cast<std::uint64_t>(e.time_ms));
  w.u8(static_cast<std::uint8_t>(e.type));
  detail::put_str(w, e.campaign);
  detail::put_str(w, e.iccid);
  detail::put_str(w, e.details);
  w.append(byte_view(link.data(), link.size()));
  return w.take();
}

result<audit_entry> audit_log::decode_entry(std::uint64_t seq, byte_view value) {
  byte_reader r(value);
  std::uint8_t version = 0, type = 0;
  std::uint64_t t = 0;
  audit_entry en;
  en.seq = seq;
  auto& e = en.event;
  if (!r.u8(version) || (version != record_v1 && version != record_v2)) {
    return make_error(errc::unsupported, "audit record: unknown version");
  }
  if (!r.uint_be(8, t) || !r.u8(type) || !detail::get_str(r, e.campaign) ||
      !detail::get_str(r, e.iccid) || !detail::get_str(r, e.details)) {
    return make_error(errc::truncated, "audit record: truncated");
  }
  if (version == record_v2) {
    byte_view link;
    if (!r.take(en.link.size(), link)) return make_error(errc::truncated, "audit record: no link");
    std::copy(link.begin(), link.end(), en.link.begin());
    en.chained = true;
  }
  if (!r.empty()) return make_error(errc::truncated, "audit record: trailing octets");
  e.time_ms = static_cast<std::int64_t>(t);
  e.type = static_cast<audit_type>(type);
  return en;
}

result<audit_event> audit_log::decode(byte_view value) {
  auto en = decode_entry(0, value);
  if (!en) return std::move(en).error();
  return std::move(en->event);
}

std::uint64_t audit_log::stage(rocksdb::WriteBatch& b, const audit_event& e) {
  std::lock_guard lock(mu_);
  const auto seq = stage_locked(b, e);
  if (signer_ && seq - last_checkpoint_ >= checkpoint_every_) stage_checkpoint_locked(b);
  return seq;
}

std::uint64_t audit_log::stage_locked(rocksdb::WriteBatch& b, const audit_event& e) {
  const std::uint64_t seq = next_.fetch_add(1);
  bytes v;
  if (e.time_ms == 0) {
    audit_event stamped = e;
    stamped.time_ms = now_ms();
    v = encode(stamped, head_);
  } else {
    v = encode(e, head_);
  }
  head_ = audit_chain_hash(seq, v);
  head_seq_ = seq;
  b.Put(db_.handle(column::audit), slice(detail::be64(seq)), slice(detail::as_chars(v)));
  return seq;
}

status audit_log::append(const audit_event& e, bool sync) {
  rocksdb::WriteBatch b;
  stage(b, e);
  return db_.commit(b, sync);
}

result<std::vector<audit_entry>> audit_log::read(std::uint64_t from, std::size_t max) const {
  std::vector<audit_entry> out;
  auto it = db_.iterate(column::audit);
  for (it->Seek(slice(detail::be64(from))); it->Valid() && out.size() < max; it->Next()) {
    audit_entry en;
    if (!detail::parse_be64(it->key().ToStringView(), en.seq)) {
      return make_error(errc::internal, "audit: key is not an 8-octet sequence number");
    }
    auto e = decode_entry(en.seq, detail::as_bytes(it->value().ToStringView()));
    if (!e) return detail::with_context(std::move(e).error(), "audit " + std::to_string(en.seq));
    out.push_back(std::move(*e));
  }
  if (!it->status().ok()) return rocksdb_error(it->status(), "audit: read");
  return out;
}

status audit_log::scan(std::uint64_t from,
                       const std::function<bool(const audit_entry&)>& fn) const {
  auto it = db_.iterate(column::audit);
  for (it->Seek(slice(detail::be64(from))); it->Valid(); it->Next()) {
    audit_entry en;
    if (!detail::parse_be64(it->key().ToStringView(), en.seq)) {
      return make_error(errc::internal, "audit: key is not an 8-octet sequence number");
    }
    auto e = decode_entry(en.seq, detail::as_bytes(it->value().ToStringView()));
    if (!e) return detail::with_context(std::move(e).error(), "audit " + std::to_string(en.seq));
    if (!fn(*e)) return {};
  }
  if (!it->status().ok()) return rocksdb_error(it->status(), "audit: scan");
  return {};
}

result<std::uint64_t> audit_log::count() const {
  std::uint64_t n = 0;
  auto it = db_.iterate(column::audit);
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  if (!it->status().ok()) return rocksdb_error(it->status(), "audit: count");
  return n;
}

}  // namespace otaflow::storage
