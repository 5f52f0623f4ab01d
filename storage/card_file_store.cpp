#include "storage/card_file_store.hpp"

#include "storage/record_io.hpp"

namespace otaflow::storage {
namespace {

constexpr std::uint8_t record_version = 1;

rocksdb::Slice slice(std::string_view s) {
  return {s.data(), s.size()};
}

}  // namespace

std::string card_file_store::row_key(std::string_view iccid, std::string_view path) {
  std::string k;
  k.reserve(iccid.size() + 1 + path.size());
  k.append(iccid);
  k += '\0';
  k.append(path);
  return k;
}

bytes card_file_store::encode(const known_file& f) {
  byte_writer w;
  w.u8(record_version);
  detail::put_varint(w, f.offset);
  detail::put_varint(w, f.data.size());
  w.append(byte_view(f.data));
  detail::put_str(w, f.campaign);
  detail::put_varint(w, static_cast<std::uint64_t>(f.written_ms));
  return w.take();
}

result<known_file> card_file_store::decode(byte_view value) {
  byte_reader rd(value);
  std::uint8_t version = 0;
  if (!rd.u8(version) || version != record_version) {
    return make_error(errc::unsupported, "card file record: unknown version");
  }
  known_file f;
  std::uint64_t offset = 0, n = 0, written = 0;
  byte_view data;
  if (!detail::get_varint(rd, offset) || offset > 0xFFFF || !detail::get_varint(rd, n) ||
      n > rd.remaining() || !rd.take(static_cast<std::size_t>(n), data) ||
      !detail::get_str(rd, f.campaign) || !detail::get_varint(rd, written) || !rd.empty()) {
    return make_error(errc::truncated, "card file record: truncated or malformed");
  }
  f.offset = static_cast<std::uint16_t>(offset);
  f.data.assign(data.begin(), data.end());
  f.written_ms = static_cast<std::int64_t>(written);
  return f;
}

status card_file_store::stage(rocksdb::WriteBatch& b, std::string_view iccid, std::string_view path,
                              const known_file& f) const {
  if (iccid.empty() || path.empty()) {
    return make_error(errc::bad_argument, "card file: ICCID and path are required");
  }
  const auto v = encode(f);
  b.Put(db_.handle(column::card_files), slice(row_key(iccid, path)), slice(detail::as_chars(v)));
  return {};
}

status card_file_store::put(std::string_view iccid, std::string_view path, const known_file& f,
                            bool sync) {
  rocksdb::WriteBatch b;
  OTAFLOW_TRY(stage(b, iccid, path, f));
  return db_.commit(b, sync);
}

result<std::optional<known_file>> card_file_store::get(std::string_view iccid,
                                                       std::string_view path) const {
  auto v = db_.get(column::card_files, row_key(iccid, path));
  if (!v) return v.error();
  if (!v->has_value()) return std::optional<known_file>();
  auto f = decode(detail::as_bytes(**v));
  if (!f) {
    return detail::with_context(std::move(f).error(),
                                "card file " + std::string(iccid) + "/" + std::string(path));
  }
  return std::optional<known_file>(std::move(*f));
}

}  // namespace otaflow::storage
