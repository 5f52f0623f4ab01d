#include "storage/key_store.hpp"

#include "secure/key_cipher.hpp"
#include "storage/key_rows.hpp"
#include "storage/record_io.hpp"

namespace otaflow::storage {
namespace {

using detail::get_secret;
using detail::put_secret;
using detail::wipe_guard;

constexpr std::string_view aad_domain = "otaflow/keys/v1";

rocksdb::Slice slice(std::string_view s) {
  return {s.data(), s.size()};
}

std::string prefix_of(std::string_view iccid) {
  return std::string(iccid) + '\0';
}

// AAD = domain \0 row key: binds the value to its card and slot.
bytes aad_for(const std::string& row) {
  byte_writer w;
  w.append(aad_domain);
  w.u8(0);
  w.append(row);
  return w.take();
}

}  // namespace

bytes key_store::row_aad(const std::string& row) {
  return aad_for(row);
}

std::string key_store::auth_row(std::string_view iccid) {
  return prefix_of(iccid) + 'a';
}

std::string key_store::keyset_row(std::string_view iccid, std::uint8_t kvn) {
  return prefix_of(iccid) + 'k' + static_cast<char>(kvn);
}

std::string key_store::pending_row(std::string_view iccid, std::string_view campaign) {
  return prefix_of(iccid) + 'p' + std::string(campaign);
}

std::string key_store::sequence_row(std::string_view iccid) {
  return prefix_of(iccid) + 's';
}

status key_store::stage_erase_slots(rocksdb::WriteBatch& b, std::string_view iccid,
                                    bool (*drop)(std::string_view slot)) const {
  const std::string prefix = prefix_of(iccid);
  auto it = db_.iterate(column::keys);
  for (it->Seek(slice(prefix)); it->Valid() && it->key().starts_with(slice(prefix)); it->Next()) {
    if (drop(it->key().ToStringView().substr(prefix.size())))
      b.Delete(db_.handle(column::keys), it->key());
  }
  if (!it->status().ok()) return rocksdb_error(it->status(), "scan of keys");
  return {};
}

status key_store::stage_erase(rocksdb::WriteBatch& b, std::string_view iccid) const {
  return stage_erase_slots(b, iccid, [](std::string_view slot) { return slot != "s"; });
}

status key_store::stage_sealed(rocksdb::WriteBatch& b, const std::string& row, bytes& plain) const {
  wipe_guard g{plain};
  auto sealed = db_.seal(aad_for(row), plain);
  if (!sealed) return sealed.error();
  b.Put(db_.handle(column::keys), slice(row), slice(detail::as_chars(*sealed)));
  return {};
}

result<sealed_keys> key_store::seal_rows(std::string_view iccid, const card_keys& keys) const {
  if (iccid.empty() || iccid.find('\0') != std::string_view::npos) {
    return make_error(errc::bad_argument, "keys: ICCID empty or holding NUL");
  }
  sealed_keys out;
  auto add = [&](std::string row, bytes& plain) -> status {
    wipe_guard g{plain};
    auto sealed = db_.seal(aad_for(row), plain);
    if (!sealed) return sealed.error();
    out.rows.emplace_back(std::move(row), std::string(detail::as_chars(*sealed)));
    return {};
  };
  if (!keys.ki.empty() || !keys.opc.empty()) {
    byte_writer w;
    put_secret(w, keys.ki);
    put_secret(w, keys.opc);
    bytes plain = w.take();
    OTAFLOW_TRY(add(auth_row(iccid), plain));
  }
  for (const auto& [kvn, ks] : keys.keysets) {
    if (kvn > 15) {
      return make_error(errc::bad_value, "keys of " + std::string(iccid) + ": keyset version " +
                                             std::to_string(kvn) + " outside 0-15");
    }
    byte_writer w;
    put_secret(w, ks.kic);
    put_secret(w, ks.kid);
    put_secret(w, ks.kik);
    bytes plain = w.take();
    OTAFLOW_TRY(add(keyset_row(iccid, kvn), plain));
  }
  return out;
}

status key_store::stage_sealed_rows(rocksdb::WriteBatch& b, std::string_view iccid,
                                    const sealed_keys& rows, bool replace) const {
  if (replace) {
    // Drop the existing Ki/OPc and keyset rows first: a keyset missing from the new keys
    // must not survive a re-import. Later puts in the same batch win over these deletes.
    // Pending rotation keys and the issued sequence belong to campaigns, not to the vendor
    // file.
    OTAFLOW_TRY(stage_erase_slots(b, iccid, [](std::string_view slot) {
      return slot == "a" || (slot.size() == 2 && slot[0] == 'k');
    }));
  }
  for (const auto& [row, value] : rows.rows) {
    b.Put(db_.handle(column::keys), slice(row), slice(value));
  }
  return {};
}

status key_store::stage_put(rocksdb::WriteBatch& b, std::string_view iccid,
                            const card_keys& keys) const {
  auto rows = seal_rows(iccid, keys);
  if (!rows) return rows.error();
  return stage_sealed_rows(b, iccid, *rows, true);
}

status key_store::put(std::string_view iccid, const card_keys& keys, bool sync) {
  rocksdb::WriteBatch b;
  OTAFLOW_TRY(stage_put(b, iccid, keys));
  return db_.commit(b, sync);
}

result<std::optional<bytes>> key_store::open_row(const std::string& row) const {
  auto v = db_.get(column::keys, row);
  if (!v) return v.error();
  if (!v->has_value()) return std::optional<bytes>();
  auto plain = db_.unseal(aad_for(row), detail::as_bytes(**v));
  if (!plain) return plain.error();
  return std::optional<bytes>(std::move(*plain));
}

namespace {

// A keyset row's opened value (or its absence / the error opening it) as get_keyset answers.
result<keyset_keys> keyset_from(result<std::optional<bytes>> plain, std::string_view iccid,
                                std::uint8_t kvn) {
  if (!plain) {
    return detail::with_context(std::move(plain).error(),
                                "keyset " + std::to_string(kvn) + " of " + std::string(iccid));
  }
  if (!plain->has_value()) {
    return make_error(errc::not_found,
                      "card " + std::string(iccid) + " has no keyset " + std::to_string(kvn));
  }
  wipe_guard g{**plain};
  byte_reader r(**plain);
  keyset_keys ks;
  if (!get_secret(r, ks.kic) || !get_secret(r, ks.kid) || !get_secret(r, ks.kik) || !r.empty()) {
    return make_error(errc::internal, "keyset " + std::to_string(kvn) + " of " +
                                          std::string(iccid) + ": malformed record");
  }
  return ks;
}

}  // namespace

result<keyset_keys> key_store::get_keyset(std::string_view iccid, std::uint8_t kvn) const {
  return keyset_from(open_row(keyset_row(iccid, kvn)), iccid, kvn);
}

std::vector<result<keyset_keys>> key_store::get_keysets(
    std::span<const std::pair<std::string_view, std::uint8_t>> wanted) const {
  std::vector<std::string> rows;
  rows.reserve(wanted.size());
  for (const auto& [iccid, kvn] : wanted) rows.push_back(keyset_row(iccid, kvn));
  const std::vector<std::string_view> keys(rows.begin(), rows.end());
  const auto values = db_.get_many(column::keys, keys);
  std::vector<result<keyset_keys>> out;
  out.reserve(wanted.size());
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    result<std::optional<bytes>> plain = std::optional<bytes>();
    if (!values) {
      plain = values.error();  // the read failed for every card of the page
    } else if (const auto& v = (*values)[i]) {
      auto opened = db_.unseal(aad_for(rows[i]), detail::as_bytes(*v));
      if (opened) {
        plain = std::optional<bytes>(std::move(*opened));
      } else {
        plain = std::move(opened).error();
      }
    }
    out.push_back(keyset_from(std::move(plain), wanted[i].first, wanted[i].second));
  }
  return out;
}

namespace {

// Decodes one opened Ki/OPc ('a') or keyset ('k' KVN) row into `out`; false if malformed or
// of another slot.
bool parse_slot(std::string_view slot, const bytes& plain, card_keys& out) {
  byte_reader r(plain);
  if (slot == "a") return get_secret(r, out.ki) && get_secret(r, out.opc) && r.empty();
  if (slot.size() == 2 && slot[0] == 'k') {
    keyset_keys ks;
    if (!get_secret(r, ks.kic) || !get_secret(r, ks.kid) || !get_secret(r, ks.kik) || !r.empty())
      return false;
    out.keysets.emplace(static_cast<std::uint8_t>(slot[1]), std::move(ks));
    return true;
  }
  return false;
}

}  // namespace

result<card_keys> key_store::get(std::string_view iccid) const {
  card_keys out;
  bool any = false;
  const std::string prefix = prefix_of(iccid);
  auto it = db_.iterate(column::keys);
  for (it->Seek(slice(prefix)); it->Valid() && it->key().starts_with(slice(prefix)); it->Next()) {
    const std::string row = it->key().ToString();
    // Rotation bookkeeping (pending keys and keysets of a campaign, the issued sequence) is not
    // part of the card's keys in force.
    if (row.size() > prefix.size() &&
        (row[prefix.size()] == 'p' || row[prefix.size()] == 'q' || row[prefix.size()] == 's'))
      continue;
    auto plain = db_.unseal(aad_for(row), detail::as_bytes(it->value().ToStringView()));
    if (!plain) {
      return detail::with_context(std::move(plain).error(), "keys of " + std::string(iccid));
    }
    wipe_guard g{*plain};
    if (!parse_slot(std::string_view(row).substr(prefix.size()), *plain, out)) {
      return make_error(errc::internal, "keys of " + std::string(iccid) + ": malformed row");
    }
    any = true;
  }
  if (!it->status().ok()) return rocksdb_error(it->status(), "scan of keys");
  if (!any) return make_error(errc::not_found, "card " + std::string(iccid) + " has no keys");
  return out;
}

result<card_keys> key_store::open_sealed(std::string_view iccid, const sealed_keys& rows) const {
  const std::string prefix = prefix_of(iccid);
  card_keys out;
  for (const auto& [row, value] : rows.rows) {
    if (!row.starts_with(prefix)) {
      return make_error(errc::bad_value,
                        "keys of " + std::string(iccid) + ": a row of another card");
    }
    const std::string_view slot = std::string_view(row).substr(prefix.size());
    auto plain = db_.unseal(aad_for(row), detail::as_bytes(value));
    if (!plain) {
      return detail::with_context(
          std::move(plain).error(),
          "keys of " + std::string(iccid) + ", slot " +
              (slot.empty() ? std::string("(none)") : std::string(1, slot[0])) +
              ": does not open under this KEK");
    }
    wipe_guard g{*plain};
    if (!parse_slot(slot, *plain, out)) {
      return make_error(errc::bad_value,
                        "keys of " + std::string(iccid) + ": malformed or unknown key row");
    }
  }
  return out;
}

// ---- key rotation ---------------------------------------------------------------------------
// Pending row plaintext: len Ki · Ki · len OPc · OPc · u32 sequence. Sequence row: u32, clear.

result<std::optional<pending_auth_keys>> key_store::get_pending(std::string_view iccid,
                                                                std::string_view campaign) const {
  auto plain = open_row(pending_row(iccid, campaign));
  if (!plain) {
    return detail::with_context(std::move(plain).error(), "pending keys of " + std::string(iccid) +
                                                              " for " + std::string(campaign));
  }
  if (!plain->has_value()) return std::optional<pending_auth_keys>();
  wipe_guard g{**plain};
  byte_reader r(**plain);
  pending_auth_keys p;
  if (!get_secret(r, p.ki) || !get_secret(r, p.opc) || !r.u32(p.sequence) || !r.empty()) {
    return make_error(errc::internal, "pending keys of " + std::string(iccid) + " for " +
                                          std::string(campaign) + ": malformed record");
  }
  return std::optional<pending_auth_keys>(std::move(p));
}

result<bool> key_store::has_pending(std::string_view iccid, std::string_view campaign) const {
  auto v = db_.get(column::keys, pending_row(iccid, campaign));
  if (!v) return v.error();
  return v->has_value();
}

result<std::vector<pending_rotation>> key_store::list_pending(std::string_view iccid) const {
  const std::string prefix = prefix_of(iccid) + 'p';
  std::vector<std::string> campaigns;
  auto it = db_.iterate(column::keys);
  for (it->Seek(slice(prefix)); it->Valid() && it->key().starts_with(slice(prefix)); it->Next())
    campaigns.emplace_back(it->key().ToStringView().substr(prefix.size()));
  if (!it->status().ok()) return rocksdb_error(it->status(), "scan of keys");
  std::vector<pending_rotation> out;
  out.reserve(campaigns.size());
  for (auto& c : campaigns) {
    auto p = get_pending(iccid, c);  // the sequence is sealed with the keys
    if (!p) return p.error();
    if (p->has_value()) out.push_back({std::move(c), (*p)->sequence});
  }
  return out;
}

result<std::uint32_t> key_store::issued_sequence(std::string_view iccid) const {
  auto v = db_.get(column::keys, sequence_row(iccid));
  if (!v) return v.error();
  if (!v->has_value()) return std::uint32_t{0};
  byte_reader r(detail::as_bytes(**v));
  std::uint32_t seq = 0;
  if (!r.u32(seq) || !r.empty())
    return make_error(errc::internal,
                      "key rotation sequence of " + std::string(iccid) + ": malformed record");
  return seq;
}

status key_store::stage_pending(rocksdb::WriteBatch& b, std::string_view iccid,
                                std::string_view campaign, const pending_auth_keys& keys) const {
  if (iccid.empty() || iccid.find('\0') != std::string_view::npos || campaign.empty() ||
      campaign.find('\0') != std::string_view::npos) {
    return make_error(errc::bad_argument, "pending keys: ICCID or campaign empty or holding NUL");
  }
  if (keys.sequence == 0)
    return make_error(errc::bad_argument, "pending keys of " + std::string(iccid) +
                                              ": key rotation sequence 0 is never issued");
  byte_writer w;
  put_secret(w, keys.ki);
  put_secret(w, keys.opc);
  w.u32(keys.sequence);
  bytes plain = w.take();
  OTAFLOW_TRY(stage_sealed(b, pending_row(iccid, campaign), plain));
  byte_writer seq;
  seq.u32(keys.sequence);
  b.Put(db_.handle(column::keys), slice(sequence_row(iccid)), slice(detail::as_chars(seq.data())));
  return {};
}

result<bool> key_store::stage_commit_pending(rocksdb::WriteBatch& b, std::string_view iccid,
                                             std::string_view campaign) const {
  auto p = get_pending(iccid, campaign);
  if (!p) return p.error();
  if (!p->has_value()) return false;
  byte_writer w;
  put_secret(w, (*p)->ki);
  put_secret(w, (*p)->opc);
  bytes plain = w.take();
  OTAFLOW_TRY(stage_sealed(b, auth_row(iccid), plain));
  b.Delete(db_.handle(column::keys), slice(pending_row(iccid, campaign)));
  return true;
}

result<bool> key_store::stage_drop_pending(rocksdb::WriteBatch& b, std::string_view iccid,
                                           std::string_view campaign) const {
  return stage_erase_row(b, pending_row(iccid, campaign));
}

result<bool> key_store::stage_erase_row(rocksdb::WriteBatch& b, const std::string& row) const {
  auto v = db_.get(column::keys, row);
  if (!v) return v.error();
  if (!v->has_value()) return false;
  b.Delete(db_.handle(column::keys), slice(row));
  return true;
}

}  // namespace otaflow::storage
