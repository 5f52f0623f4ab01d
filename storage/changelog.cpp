#include "storage/changelog.hpp"

#include <array>

#include "storage/record_io.hpp"

namespace otaflow::storage::changelog {
namespace {

rocksdb::Slice slice(std::string_view s) {
  return {s.data(), s.size()};
}

std::string_view before_nul(std::string_view s) noexcept {
  const auto nul = s.find('\0');
  return nul == std::string_view::npos ? s : s.substr(0, nul);
}

constexpr std::array<column, 7> partitioned_columns = {
    column::subscribers, column::keys,    column::counters,  column::jobs,
    column::by_msisdn,   column::by_imsi, column::card_files};

std::string checkpoint_key(std::string_view topic, std::int32_t partition) {
  return "changelog:" + std::string(topic) + ":" + std::to_string(partition);
}

// Collects a batch's operations (WriteBatch::Iterate).
class collector final : public rocksdb::WriteBatch::Handler {
 public:
  explicit collector(const db& d) : d_(d) {}

  rocksdb::Status PutCF(std::uint32_t id, const rocksdb::Slice& key,
                        const rocksdb::Slice& value) override {
    return add(id, key.ToStringView(), std::string(value.ToStringView()));
  }
  rocksdb::Status DeleteCF(std::uint32_t id, const rocksdb::Slice& key) override {
    return add(id, key.ToStringView(), std::nullopt);
  }
  rocksdb::Status SingleDeleteCF(std::uint32_t id, const rocksdb::Slice& key) override {
    return add(id, key.ToStringView(), std::nullopt);
  }
  rocksdb::Status DeleteRangeCF(std::uint32_t id, const rocksdb::Slice&,
                                const rocksdb::Slice&) override {
    return refuse(id, "a range delete");
  }
  rocksdb::Status MergeCF(std::uint32_t id, const rocksdb::Slice&, const rocksdb::Slice&) override {
    return refuse(id, "a merge");
  }

  std::vector<row_op> ops;
  std::optional<error> err;

 private:
  rocksdb::Status refuse(std::uint32_t id, std::string_view what) {
    const auto c = d_.column_of(id);
    if (c && !partitioned(*c)) return rocksdb::Status::OK();
    err = make_error(errc::unsupported, "changelog: " + std::string(what) + " on " +
                                            std::string(c ? column_name(*c) : "an unknown family") +
                                            " cannot be carried");
    return rocksdb::Status::Aborted();
  }

  rocksdb::Status add(std::uint32_t id, std::string_view key, std::optional<std::string> value) {
    const auto c = d_.column_of(id);
    if (!c) {
      err = make_error(errc::internal, "changelog: a write to column family id " +
                                           std::to_string(id) + " this build does not name");
      return rocksdb::Status::Aborted();
    }
    if (!partitioned(*c)) return rocksdb::Status::OK();
    std::string iccid(
        iccid_of(*c, key, value ? std::optional<std::string_view>(*value) : std::nullopt));
    if (iccid.empty() && !value && (*c == column::by_msisdn || *c == column::by_imsi)) {
      // An index row deleted: the card it pointed to is in the row being deleted.
      auto v = d_.get(*c, key);
      if (!v) {
        err = v.error();
        return rocksdb::Status::Aborted();
      }
      if (!v->has_value()) return rocksdb::Status::OK();  // nothing there: nothing to carry
      iccid = std::string(iccid_of(*c, key, std::optional<std::string_view>(**v)));
    }
    if (iccid.empty()) {
      err = make_error(errc::internal, "changelog: a row of " + std::string(column_name(*c)) +
                                           " whose card cannot be told");
      return rocksdb::Status::Aborted();
    }
    ops.push_back({*c, std::string(key), std::move(value), std::move(iccid)});
    return rocksdb::Status::OK();
  }

  const db& d_;
};

}  // namespace

bool partitioned(column c) noexcept {
  for (const auto p : partitioned_columns) {
    if (p == c) return true;
  }
  return false;
}

std::string record_key(column c, std::string_view row_key) {
  std::string k;
  k.reserve(1 + row_key.size());
  k += static_cast<char>(static_cast<std::uint8_t>(c));
  k.append(row_key);
  return k;
}

result<std::pair<column, std::string_view>> parse_record_key(std::string_view key) {
  if (key.size() < 2) {
    return make_error(errc::bad_length, "changelog record key of " + std::to_string(key.size()) +
                                            " octets (at least 2 needed)");
  }
  const auto n = static_cast<std::uint8_t>(key[0]);
  if (n >= column_count || !partitioned(static_cast<column>(n))) {
    return make_error(errc::bad_argument, "changelog record key names family " + std::to_string(n) +
                                              ", not a partitioned family of this build");
  }
  return std::pair<column, std::string_view>{static_cast<column>(n), key.substr(1)};
}

std::string_view iccid_of(column c, std::string_view key,
                          std::optional<std::string_view> value) noexcept {
  switch (c) {
    case column::subscribers:
    case column::keys:
    case column::counters:
    case column::card_files:
      return before_nul(key);
    case column::jobs: {
      const auto nul = key.find('\0');
      return nul == std::string_view::npos ? std::string_view() : key.substr(nul + 1);
    }
    case column::by_msisdn:
    case column::by_imsi:
      return value ? *value : std::string_view();
    default:
      return {};
  }
}

result<std::vector<row_op>> partitioned_ops(const db& d, const rocksdb::WriteBatch& batch) {
  collector c(d);
  auto s = batch.Iterate(&c);
  if (c.err) return *c.err;
  if (!s.ok()) return rocksdb_error(s, "changelog: reading a write batch");
  return std::move(c.ops);
}

status apply_records(const db& d, std::span<const record> records, rocksdb::WriteBatch& batch) {
  for (const auto& r : records) {
    auto k = parse_record_key(r.key);
    if (!k) return k.error();
    auto* h = d.handle(k->first);
    auto s = r.value ? batch.Put(h, slice(k->second), slice(*r.value))
                     : batch.Delete(h, slice(k->second));
    if (!s.ok()) return rocksdb_error(s, "changelog: applying a record");
  }
  return {};
}

result<std::uint64_t> wipe(db& d, const std::function<bool(std::string_view)>& belongs) {
  std::uint64_t n = 0;
  for (const auto c : partitioned_columns) {
    rocksdb::WriteBatch b;
    auto it = d.iterate(c);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const auto key = it->key().ToStringView();
      const auto iccid = iccid_of(c, key, it->value().ToStringView());
      if (iccid.empty() || !belongs(iccid)) continue;
      b.Delete(d.handle(c), it->key());
      ++n;
      if (b.Count() >= 10000) {
        OTAFLOW_TRY(d.apply(b, false));
        b.Clear();
      }
    }
    if (!it->status().ok()) return rocksdb_error(it->status(), "changelog: wiping a partition");
    if (b.Count() > 0) OTAFLOW_TRY(d.apply(b, false));
  }
  return n;
}

result<std::optional<std::int64_t>> checkpoint(const db& d, std::string_view topic,
                                               std::int32_t partition) {
  auto v = d.get(column::meta, checkpoint_key(topic, partition));
  if (!v) return v.error();
  if (!v->has_value()) return std::optional<std::int64_t>();
  std::uint64_t off = 0;
  byte_reader r(detail::as_bytes(**v));
  if ((*v)->size() != 8 || !detail::get_u64(r, off)) {
    return make_error(errc::internal, "changelog checkpoint of " + std::string(topic) + "[" +
                                          std::to_string(partition) + "] is malformed");
  }
  return std::optional<std::int64_t>(static_cast<std::int64_t>(off));
}

status set_checkpoint(db& d, std::string_view topic, std::int32_t partition, std::int64_t offset) {
  rocksdb::WriteBatch b;
  const auto key = checkpoint_key(topic, partition);
  if (offset < 0) {
    b.Delete(d.handle(column::meta), slice(key));
  } else {
    const auto v = detail::be64(static_cast<std::uint64_t>(offset));
    b.Put(d.handle(column::meta), slice(key), slice(v));
  }
  return d.apply(b, true);
}

}  // namespace otaflow::storage::changelog
