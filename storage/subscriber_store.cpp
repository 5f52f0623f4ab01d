#include "storage/subscriber_store.hpp"

#include <algorithm>

#include "storage/identifiers.hpp"
#include "storage/record_io.hpp"

namespace otaflow::storage {
namespace {

constexpr std::uint8_t record_version = 1;

rocksdb::Slice slice(std::string_view s) {
  return {s.data(), s.size()};
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Index entries are last-writer-wins; an old owner only removes an entry that
// still points at itself, so moving an MSISDN to a new card is safe in either
// order.
status stage_index_drop(const db& d, rocksdb::WriteBatch& b, column c, std::string_view value,
                        std::string_view iccid) {
  if (value.empty()) return {};
  auto cur = d.get(c, value);
  if (!cur) return cur.error();
  if (cur->has_value() && **cur == iccid) b.Delete(d.handle(c), slice(value));
  return {};
}

}  // namespace

bool subscriber_filter::matches(const subscriber& s) const {
  if (!starts_with(s.iccid, iccid_prefix) || !starts_with(s.imsi, imsi_prefix)) return false;
  for (const auto& [k, v] : attributes) {
    auto it = s.attributes.find(k);
    if (it == s.attributes.end() || it->second != v) return false;
  }
  return true;
}

status subscriber_store::validate(const subscriber& s) {
  OTAFLOW_TRY(validate_iccid(s.iccid));
  OTAFLOW_TRY(validate_imsi(s.imsi));
  if (!s.msisdn.empty()) OTAFLOW_TRY(validate_msisdn(s.msisdn));
  for (std::size_t i = 0; i < s.keyset_versions.size(); ++i) {
    const auto kvn = s.keyset_versions[i];
    if (kvn > 15) {
      return make_error(errc::bad_value, "subscriber " + s.iccid + ": keyset version " +
                                             std::to_string(kvn) + " outside 0-15");
    }
    if (i > 0 && kvn <= s.keyset_versions[i - 1]) {
      return make_error(errc::bad_value,
                        "subscriber " + s.iccid + ": keyset versions must be ascending and unique");
    }
  }
  return {};
}

bytes subscriber_store::encode(const subscriber& s) {
  byte_writer w;
  w.u8(record_version);
  detail::put_str(w, s.imsi);
  detail::put_str(w, s.msisdn);
  detail::put_varint(w, s.keyset_versions.size());
  for (auto v : s.keyset_versions) w.u8(v);
  detail::put_varint(w, s.attributes.size());
  for (const auto& [k, v] : s.attributes) {
    detail::put_str(w, k);
    detail::put_str(w, v);
  }
  return w.take();
}

result<subscriber> subscriber_store::decode(std::string_view iccid, byte_view value) {
  auto bad = [&](const char* what) {
    return make_error(errc::truncated,
                      "subscriber " + std::string(iccid) + ": stored record " + what);
  };
  byte_reader r(value);
  std::uint8_t version = 0;
  if (!r.u8(version)) return bad("is empty");
  if (version != record_version) {
    return make_error(errc::unsupported, "subscriber " + std::string(iccid) + ": record version " +
                                             std::to_string(version));
  }
  subscriber s;
  s.iccid = iccid;
  std::uint64_t n = 0;
  if (!detail::get_str(r, s.imsi) || !detail::get_str(r, s.msisdn) || !detail::get_varint(r, n) ||
      n > r.remaining()) {
    return bad("is truncated");
  }
  s.keyset_versions.resize(static_cast<std::size_t>(n));
  for (auto& v : s.keyset_versions) {
    if (!r.u8(v)) return bad("is truncated in keyset versions");
  }
  if (!detail::get_varint(r, n)) return bad("is truncated before attributes");
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string k, v;
    if (!detail::get_str(r, k) || !detail::get_str(r, v)) return bad("is truncated in attributes");
    s.attributes.emplace(std::move(k), std::move(v));
  }
  if (!r.empty()) return bad("has trailing octets");
  return s;
}

status subscriber_store::stage_put(rocksdb::WriteBatch& b, const subscriber& s,
                                   const subscriber* old) const {
  OTAFLOW_TRY(validate(s));
  if (old != nullptr) {
    if (old->msisdn != s.msisdn) {
      OTAFLOW_TRY(stage_index_drop(db_, b, column::by_msisdn, old->msisdn, s.iccid));
    }
    if (old->imsi != s.imsi) {
      OTAFLOW_TRY(stage_index_drop(db_, b, column::by_imsi, old->imsi, s.iccid));
    }
  }
  const auto value = encode(s);
  b.Put(db_.handle(column::subscribers), slice(s.iccid), slice(detail::as_chars(value)));
  if (!s.msisdn.empty()) b.Put(db_.handle(column::by_msisdn), slice(s.msisdn), slice(s.iccid));
  b.Put(db_.handle(column::by_imsi), slice(s.imsi), slice(s.iccid));
  return {};
}

status subscriber_store::put(const subscriber& s, bool sync) {
  auto old = get(s.iccid);
  if (!old) return old.error();
  rocksdb::WriteBatch b;
  OTAFLOW_TRY(stage_put(b, s, old->has_value() ? &**old : nullptr));
  return db_.commit(b, sync);
}

status subscriber_store::stage_erase(rocksdb::WriteBatch& b, const subscriber& old) const {
  OTAFLOW_TRY(stage_index_drop(db_, b, column::by_msisdn, old.msisdn, old.iccid));
  OTAFLOW_TRY(stage_index_drop(db_, b, column::by_imsi, old.imsi, old.iccid));
  b.Delete(db_.handle(column::subscribers), slice(old.iccid));
  return {};
}

status subscriber_store::erase(std::string_view iccid, bool sync) {
  auto old = get(iccid);
  if (!old) return old.error();
  if (!old->has_value()) {
    return make_error(errc::not_found, "subscriber " + std::string(iccid) + ": not found");
  }
  rocksdb::WriteBatch b;
  OTAFLOW_TRY(stage_erase(b, **old));
  return db_.commit(b, sync);
}

result<std::optional<subscriber>> subscriber_store::get(std::string_view iccid) const {
  auto v = db_.get(column::subscribers, iccid);
  if (!v) return v.error();
  if (!v->has_value()) return std::optional<subscriber>();
  auto s = decode(iccid, detail::as_bytes(**v));
  if (!s) return s.error();
  return std::optional<subscriber>(std::move(*s));
}

result<std::vector<std::optional<subscriber>>> subscriber_store::get_many(
    std::span<const std::string> iccids) const {
  const std::vector<std::string_view> keys(iccids.begin(), iccids.end());
  auto values = db_.get_many(column::subscribers, keys);
  if (!values) return values.error();
  std::vector<std::optional<subscriber>> out(iccids.size());
  for (std::size_t i = 0; i < iccids.size(); ++i) {
    if (!(*values)[i]) continue;
    auto s = decode(iccids[i], detail::as_bytes(*(*values)[i]));
    if (!s) return s.error();
    out[i] = std::move(*s);
  }
  return out;
}

result<subscriber_page> subscriber_store::scan(std::string_view after, std::size_t max_items,
                                               const subscriber_filter& filter,
                                               std::size_t max_examined) const {
  subscriber_page page;
  page.resume_after = after;
  auto it = db_.iterate(column::subscribers);
  const std::string_view prefix = filter.iccid_prefix;
  // Start at the later of `after` and the prefix: nothing before the prefix matches.
  if (!prefix.empty() && std::string_view(after) < prefix) {
    it->Seek(slice(prefix));
  } else {
    it->Seek(slice(after));
    if (it->Valid() && it->key().ToStringView() == after) it->Next();
  }
  std::size_t examined = 0;
  for (; it->Valid(); it->Next()) {
    const auto key = it->key().ToStringView();
    if (!prefix.empty() && !starts_with(key, prefix)) {
      page.end = true;
      return page;
    }
    if (page.items.size() >= max_items || examined >= max_examined) return page;
    ++examined;
    page.resume_after = key;
    auto s = decode(key, detail::as_bytes(it->value().ToStringView()));
    if (!s) return s.error();
    if (filter.matches(*s)) page.items.push_back(std::move(*s));
  }
  if (!it->status().ok()) return rocksdb_error(it->status(), "scan of subscribers");
  page.end = true;
  return page;
}

result<std::optional<std::string>> subscriber_store::find_by_msisdn(std::string_view msisdn) const {
  return db_.get(column::by_msisdn, msisdn);
}

result<std::optional<std::string>> subscriber_store::find_by_imsi(std::string_view imsi) const {
  return db_.get(column::by_imsi, imsi);
}

}  // namespace otaflow::storage
