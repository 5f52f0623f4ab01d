#include "storage/campaign_store.hpp"

#include "storage/audit_log.hpp"
#include "storage/record_io.hpp"

namespace otaflow::storage {
namespace {

constexpr std::uint8_t record_version = 1;

rocksdb::Slice slice(std::string_view s) {
  return {s.data(), s.size()};
}

}  // namespace

std::string_view name(campaign_status s) noexcept {
  switch (s) {
    case campaign_status::paused:
      return "paused";
    case campaign_status::running:
      return "running";
    case campaign_status::cancelled:
      return "cancelled";
    case campaign_status::done:
      return "done";
  }
  return "unknown";
}

result<campaign_status> parse_campaign_status(std::string_view s) {
  for (auto c : {campaign_status::paused, campaign_status::running, campaign_status::cancelled,
                 campaign_status::done}) {
    if (name(c) == s) return c;
  }
  return make_error(errc::bad_value, "campaign status '" + std::string(s.substr(0, 32)) +
                                         "': expected paused, running, cancelled or done");
}

status validate_campaign_id(std::string_view id) {
  if (id.empty() || id.size() > 128) {
    return make_error(errc::bad_length,
                      "campaign id: 1-128 characters expected, got " + std::to_string(id.size()));
  }
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) {
      return make_error(errc::bad_value, "campaign id '" + std::string(id.substr(0, 64)) +
                                             "': only letters, digits and . _ : - allowed");
    }
  }
  return {};
}

bytes campaign_store::encode(const campaign_record& c) {
  byte_writer w;
  w.u8(record_version);
  w.u8(static_cast<std::uint8_t>(c.status));
  w.uint_be(8, static_cast<std::uint64_t>(c.created_ms));
  w.uint_be(8, static_cast<std::uint64_t>(c.updated_ms));
  detail::put_str(w, c.format);
  detail::put_str(w, c.definition);
  return w.take();
}

result<campaign_record> campaign_store::decode(std::string_view id, byte_view value) {
  byte_reader r(value);
  std::uint8_t version = 0, st = 0;
  std::uint64_t created = 0, updated = 0;
  campaign_record c;
  c.id = id;
  if (!r.u8(version) || version != record_version) {
    return make_error(errc::unsupported,
                      "campaign " + std::string(id) + ": unknown record version");
  }
  if (!r.u8(st) || st > 3 || !r.uint_be(8, created) || !r.uint_be(8, updated) ||
      !detail::get_str(r, c.format) || !detail::get_str(r, c.definition) || !r.empty()) {
    return make_error(errc::truncated, "campaign " + std::string(id) + ": malformed record");
  }
  c.status = static_cast<campaign_status>(st);
  c.created_ms = static_cast<std::int64_t>(created);
  c.updated_ms = static_cast<std::int64_t>(updated);
  return c;
}

status campaign_store::stage_put(rocksdb::WriteBatch& b, const campaign_record& c) const {
  OTAFLOW_TRY(validate_campaign_id(c.id));
  if (c.format != "toml" && c.format != "json") {
    return make_error(errc::bad_value, "campaign " + c.id + ": format '" + c.format.substr(0, 16) +
                                           "', expected toml or json");
  }
  const auto v = encode(c);
  b.Put(db_.handle(column::campaigns), slice(c.id), slice(detail::as_chars(v)));
  return {};
}

status campaign_store::put(const campaign_record& c, bool sync) {
  rocksdb::WriteBatch b;
  OTAFLOW_TRY(stage_put(b, c));
  return db_.commit(b, sync);
}

result<std::optional<campaign_record>> campaign_store::get(std::string_view id) const {
  auto v = db_.get(column::campaigns, id);
  if (!v) return v.error();
  if (!v->has_value()) return std::optional<campaign_record>();
  auto c = decode(id, detail::as_bytes(**v));
  if (!c) return c.error();
  return std::optional<campaign_record>(std::move(*c));
}

status campaign_store::set_status(std::string_view id, campaign_status s, bool sync) {
  auto c = get(id);
  if (!c) return c.error();
  if (!c->has_value()) {
    return make_error(errc::not_found, "campaign " + std::string(id) + ": not found");
  }
  auto rec = std::move(**c);
  rec.status = s;
  rec.updated_ms = now_ms();
  return put(rec, sync);
}

result<std::vector<campaign_record>> campaign_store::list() const {
  std::vector<campaign_record> out;
  auto it = db_.iterate(column::campaigns);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto c = decode(it->key().ToStringView(), detail::as_bytes(it->value().ToStringView()));
    if (!c) return c.error();
    out.push_back(std::move(*c));
  }
  if (!it->status().ok()) return rocksdb_error(it->status(), "campaigns: list");
  return out;
}

}  // namespace otaflow::storage
