#include "storage/kek_rotation.hpp"

#include <nlohmann/json.hpp>

#include "secure/key_cipher.hpp"
#include "storage/record_io.hpp"

namespace otaflow::storage {
namespace {

rocksdb::Slice slice(std::string_view s) {
  return {s.data(), s.size()};
}

result<bytes> seal_key(const secret& under, std::string_view aad, const secret& k) {
  return secure::seal(under.view(), detail::as_bytes(aad), k.view());
}

void stage_audit(state& st, rocksdb::WriteBatch& b, const kek_rotation_state& rs,
                 const std::string& event, const std::string& who) {
  nlohmann::ordered_json d = {
      {"event", event}, {"from", rs.from.origin}, {"to", rs.to.origin}, {"rows", rs.done}};
  if (!who.empty()) d["who"] = who;
  audit_event e;
  e.time_ms = now_ms();
  e.type = audit_type::kek_rotation;
  e.details = d.dump();
  (void)st.audit().stage(b, e);
}

// The data key `to` yields for the target side of a rotation in progress; nullopt if `to` is
// not that side's KEK.
std::optional<secret> target_key(const kek_side& side, kek_key& to) {
  if (side.wrapped && to.token) {
    auto k = to.token->unwrap(side.wrapped->wrapped, side.wrapped->mechanism);
    if (k) return std::move(*k);
    return std::nullopt;
  }
  if (!side.wrapped && !to.token) return to.direct;
  return std::nullopt;
}

// Starts a rotation: the new data key, both sides, kek_check under the new key; one synced batch.
result<kek_rotation_state> start(state& st, const std::string& from_origin, kek_key& to,
                                 const std::string& who) {
  auto& d = st.database();
  const secret old = d.kek();
  kek_rotation_state rs;
  secret next;
  if (to.token) {
    auto dk = new_wrapped_data_key(*to.token);
    if (!dk) return dk.error();
    next = std::move(dk->first);
    rs.to = {to.origin, std::move(dk->second)};
  } else {
    if (to.direct == old) {
      return make_error(errc::bad_argument, "rotate-kek: " + to.origin +
                                                " is the KEK this state directory is sealed under");
    }
    next = to.direct;
    rs.to = {to.origin, std::nullopt};
  }
  auto wrapped = d.get(column::meta, meta_kek_wrapped);
  if (!wrapped) return wrapped.error();
  if (wrapped->has_value()) {
    auto w = decode_wrapped_data_key(detail::as_bytes(**wrapped));
    if (!w) return w.error();
    rs.from = {describe(*w), std::move(*w)};
  } else {
    rs.from = {from_origin, std::nullopt};
  }
  auto n_o = seal_key(old, rotation_new_aad, next);
  auto o_n = seal_key(next, rotation_old_aad, old);
  auto check = db::make_kek_check(next);
  if (!n_o || !o_n || !check) return make_error(errc::internal, "rotate-kek: sealing failed");
  rs.new_under_old = std::move(*n_o);
  rs.old_under_new = std::move(*o_n);
  rs.started_ms = now_ms();
  rocksdb::WriteBatch b;
  b.Put(d.handle(column::meta), slice(meta_kek_rotation), slice(detail::as_chars(encode(rs))));
  b.Put(d.handle(column::meta), slice(db::kek_check_record), slice(detail::as_chars(*check)));
  stage_audit(st, b, rs, "started", who);
  OTAFLOW_TRY(d.commit(b, true));
  d.set_data_keys(std::move(next), old);
  return rs;
}

// Ends a rotation: the new side's wrapped data key (or none), no rotation record; synced.
status finish(state& st, kek_rotation_state& rs, const std::string& who) {
  auto& d = st.database();
  rocksdb::WriteBatch b;
  if (rs.to.wrapped) {
    b.Put(d.handle(column::meta), slice(meta_kek_wrapped),
          slice(detail::as_chars(encode(*rs.to.wrapped))));
  } else {
    b.Delete(d.handle(column::meta), slice(meta_kek_wrapped));
  }
  b.Delete(d.handle(column::meta), slice(meta_kek_rotation));
  stage_audit(st, b, rs, "finished", who);
  OTAFLOW_TRY(d.commit(b, true));
  d.set_data_keys(d.kek(), {});
  return {};
}

// Re-seals one row under `next` into `b`; false when it already was (written by a command run
// while the rotation was interrupted).
result<bool> reseal_row(db& d, rocksdb::WriteBatch& b, const std::string& row,
                        std::string_view value, const secret& next, const secret& old) {
  const bytes aad = key_store::row_aad(row);
  auto already = secure::unseal(next.view(), aad, detail::as_bytes(value));
  if (already) {
    secure_wipe(*already);
    return false;
  }
  auto plain = secure::unseal(old.view(), aad, detail::as_bytes(value));
  if (!plain) {
    const auto nul = row.find('\0');
    return make_error(errc::verification, "rotate-kek: a key row of card " + row.substr(0, nul) +
                                              " opens under neither data key");
  }
  auto sealed = secure::seal(next.view(), aad, *plain);
  secure_wipe(*plain);
  if (!sealed) return sealed.error();
  b.Put(d.handle(column::keys), slice(row), slice(detail::as_chars(*sealed)));
  return true;
}

}  // namespace

result<std::optional<kek_rotation_state>> rotation_in_progress(db& d) {
  auto raw = d.get(column::meta, meta_kek_rotation);
  if (!raw) return raw.error();
  if (!raw->has_value()) return std::optional<kek_rotation_state>();
  auto rs = decode_kek_rotation(detail::as_bytes(**raw));
  if (!rs) return rs.error();
  return std::optional<kek_rotation_state>(std::move(*rs));
}

result<kek_rotation_result> rotate_kek(state& st, const std::string& from_origin, kek_key& to,
                                       const kek_rotation_options& o) {
  if (o.batch_rows == 0 || o.batch_rows > 1'000'000) {
    return make_error(errc::bad_argument, "rotate-kek: batch of " + std::to_string(o.batch_rows) +
                                              " rows outside 1-1000000");
  }
  auto& d = st.database();
  auto current = rotation_in_progress(d);
  if (!current) return current.error();
  kek_rotation_result out;
  kek_rotation_state rs;
  if (current->has_value()) {
    rs = std::move(**current);
    out.resumed = true;
    auto n = target_key(rs.to, to);
    if (!n || !(*n == d.kek())) {
      return make_error(errc::conflict, "rotate-kek: a rotation from " + rs.from.origin + " to " +
                                            rs.to.origin + " is in progress; resume it with " +
                                            "that target, not " + to.origin);
    }
  } else {
    auto started = start(st, from_origin, to, o.who);
    if (!started) return started.error();
    rs = std::move(*started);
  }
  out.from = rs.from.origin;
  out.to = rs.to.origin;
  const secret next = d.kek();
  const secret old = d.previous_kek();

  auto it = d.iterate(column::keys);
  if (rs.cursor.empty()) {
    it->SeekToFirst();
  } else {
    it->Seek(slice(rs.cursor));
    if (it->Valid() && it->key().ToStringView() == rs.cursor) it->Next();
  }
  rocksdb::WriteBatch b;
  std::size_t in_batch = 0;
  auto commit = [&]() -> status {
    b.Put(d.handle(column::meta), slice(meta_kek_rotation), slice(detail::as_chars(encode(rs))));
    OTAFLOW_TRY(d.commit(b, true));
    b.Clear();
    in_batch = 0;
    if (o.progress) o.progress(rs.done);
    return {};
  };
  for (; it->Valid(); it->Next()) {
    const std::string row = it->key().ToString();
    const auto nul = row.find('\0');
    rs.cursor = row;
    if (nul == std::string::npos || row.substr(nul + 1) == "s") continue;  // not sealed
    auto changed = reseal_row(d, b, row, it->value().ToStringView(), next, old);
    if (!changed) return changed.error();
    if (!*changed) continue;
    ++rs.done;
    ++out.resealed;
    if (++in_batch == o.batch_rows) {
      OTAFLOW_TRY(commit());
      if (o.stop_after_rows != 0 && out.resealed >= o.stop_after_rows) {
        out.total = rs.done;
        return out;
      }
    }
  }
  if (!it->status().ok()) return rocksdb_error(it->status(), "scan of keys");
  if (in_batch > 0) OTAFLOW_TRY(commit());
  OTAFLOW_TRY(finish(st, rs, o.who));
  out.total = rs.done;
  out.finished = true;
  return out;
}

}  // namespace otaflow::storage
