#include "sim/fleet_store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

namespace otaflow::sim {

namespace {

constexpr std::string_view meta_key = "m";

std::string card_key(std::string_view iccid) {
  std::string k = "c";
  k += iccid;
  return k;
}

error rocks_error(const rocksdb::Status& s, const std::string& what) {
  return make_error(errc::io, "fleet state: " + what + ": " + s.ToString(),
                    s.IsBusy() || s.IsTryAgain() ? error_class::retriable : error_class::permanent);
}

}  // namespace

struct fleet_store::impl {
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::WriteOptions wo;
};

fleet_store::fleet_store(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
fleet_store::~fleet_store() = default;

result<std::unique_ptr<fleet_store>> fleet_store::open(const std::filesystem::path& dir,
                                                       bool read_only, bool sync,
                                                       bool flush_on_close) {
  rocksdb::Options o;
  o.create_if_missing = !read_only;
  rocksdb::BlockBasedTableOptions t;
  // Most lookups are first touches of cards never stored: a Bloom filter answers them.
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  o.IncreaseParallelism(2);
  // Cards are mostly delivered in ICCID order: one memtable insert hint (empty prefix) lets
  // each insert start from the previous one (storage/db.cpp does the same).
  o.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(0));
  o.allow_concurrent_memtable_write = false;
  o.avoid_flush_during_shutdown = !flush_on_close;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  if (read_only) {
    s = rocksdb::DB::OpenForReadOnly(o, dir.string(), &raw);
  } else {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    s = rocksdb::DB::Open(o, dir.string(), &raw);
  }
  if (!s.ok()) return rocks_error(s, "open " + dir.string());
  auto p = std::make_unique<impl>();
  p->db.reset(raw);
  p->wo.sync = sync;
  return std::unique_ptr<fleet_store>(new fleet_store(std::move(p)));
}

result<std::optional<std::string>> fleet_store::meta() const {
  std::string v;
  auto s =
      impl_->db->Get(rocksdb::ReadOptions(), rocksdb::Slice(meta_key.data(), meta_key.size()), &v);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return rocks_error(s, "read meta");
  return std::optional<std::string>(std::move(v));
}

status fleet_store::put_meta(std::string_view json) {
  rocksdb::WriteOptions wo = impl_->wo;
  wo.sync = true;
  auto s = impl_->db->Put(wo, rocksdb::Slice(meta_key.data(), meta_key.size()),
                          rocksdb::Slice(json.data(), json.size()));
  if (!s.ok()) return rocks_error(s, "write meta");
  return {};
}

result<std::optional<card_state>> fleet_store::load(std::string_view iccid) const {
  std::string v;
  auto s = impl_->db->Get(rocksdb::ReadOptions(), card_key(iccid), &v);
  if (s.IsNotFound()) return std::optional<card_state>();
  if (!s.ok()) return rocks_error(s, "read card " + std::string(iccid));
  auto st =
      card_state::decode(byte_view(reinterpret_cast<const std::uint8_t*>(v.data()), v.size()));
  if (!st) return error{st.error().code, "card " + std::string(iccid) + ": " + st.error().message};
  return std::optional<card_state>(std::move(*st));
}

status fleet_store::save(std::string_view iccid, const card_state& st) {
  const bytes b = st.encode();
  auto s = impl_->db->Put(impl_->wo, card_key(iccid),
                          rocksdb::Slice(reinterpret_cast<const char*>(b.data()), b.size()));
  if (!s.ok()) return rocks_error(s, "write card " + std::string(iccid));
  return {};
}

status fleet_store::save_encoded(std::span<const std::pair<std::string_view, byte_view>> cards) {
  rocksdb::WriteBatch b;
  for (const auto& [iccid, state] : cards) {
    b.Put(card_key(iccid),
          rocksdb::Slice(reinterpret_cast<const char*>(state.data()), state.size()));
  }
  auto s = impl_->db->Write(impl_->wo, &b);
  if (!s.ok()) {
    return rocks_error(s, "write " + std::to_string(cards.size()) + " card states");
  }
  return {};
}

result<bool> fleet_store::holds_cards() const {
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions()));
  it->Seek("c");
  if (!it->status().ok()) return rocks_error(it->status(), "scan");
  return it->Valid() && it->key().starts_with("c");
}

status fleet_store::for_each(
    const std::function<void(std::string_view, const card_state&)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("c"); it->Valid() && it->key().starts_with("c"); it->Next()) {
    const auto v = it->value();
    auto st =
        card_state::decode(byte_view(reinterpret_cast<const std::uint8_t*>(v.data()), v.size()));
    const std::string_view iccid(it->key().data() + 1, it->key().size() - 1);
    if (!st)
      return error{st.error().code, "card " + std::string(iccid) + ": " + st.error().message};
    fn(iccid, *st);
  }
  if (!it->status().ok()) return rocks_error(it->status(), "scan");
  return {};
}

status fleet_store::flush() {
  auto s = impl_->db->Flush(rocksdb::FlushOptions());
  if (!s.ok()) return rocks_error(s, "flush");
  return {};
}

}  // namespace otaflow::sim
