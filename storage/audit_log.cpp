#include "storage/audit_log.hpp"

#include <chrono>

#include "storage/record_io.hpp"

namespace otaflow::storage {
namespace {

constexpr std::uint8_t record_version = 1;

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
  }
  return "unknown";
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
  } else if (!it->status().ok()) {
    return rocksdb_error(it->status(), "audit: reading the last record");
  }
  return log;
}

bytes audit_log::encode(const audit_event& e) {
  byte_writer w;
  w.u8(record_version);
  w.uint_be(8, static_cast<std::uint64_t>(e.time_ms));
  w.u8(static_cast<std::uint8_t>(e.type));
  detail::put_str(w, e.campaign);
  detail::put_str(w, e.iccid);
  detail::put_str(w, e.details);
  return w.take();
}

result<audit_event> audit_log::decode(byte_view value) {
  byte_reader r(value);
  std::uint8_t version = 0, type = 0;
  std::uint64_t t = 0;
  audit_event e;
  if (!r.u8(version) || version != record_version) {
    return make_error(errc::unsupported, "audit record: unknown version");
  }
  if (!r.uint_be(8, t) || !r.u8(type) || !detail::get_str(r, e.campaign) ||
      !detail::get_str(r, e.iccid) || !detail::get_str(r, e.details) || !r.empty()) {
    return make_error(errc::truncated, "audit record: truncated or trailing octets");
  }
  e.time_ms = static_cast<std::int64_t>(t);
  e.type = static_cast<audit_type>(type);
  return e;
}

std::uint64_t audit_log::stage(rocksdb::WriteBatch& b, const audit_event& e) {
  const std::uint64_t seq = next_.fetch_add(1);
  bytes v;
  if (e.time_ms == 0) {
    audit_event stamped = e;
    stamped.time_ms = now_ms();
    v = encode(stamped);
  } else {
    v = encode(e);
  }
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
    auto e = decode(detail::as_bytes(it->value().ToStringView()));
    if (!e) return detail::with_context(std::move(e).error(), "audit " + std::to_string(en.seq));
    en.event = std::move(*e);
    out.push_back(std::move(en));
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
    auto e = decode(detail::as_bytes(it->value().ToStringView()));
    if (!e) return detail::with_context(std::move(e).error(), "audit " + std::to_string(en.seq));
    en.event = std::move(*e);
    if (!fn(en)) return {};
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
