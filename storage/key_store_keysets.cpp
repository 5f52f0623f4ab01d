// Pending OTA keysets of PUT KEY campaigns (update.keyset): the 'q' rows of the keys family.
// Plaintext of a row (sealed like every key row, its row key the AAD):
//   u8 version · u8 replace · u8 from · u8 type (0 DES, 1 AES) · u8 first key id · u8 count ·
//   len KIc · KIc · len KID · KID · len KIK · KIK
// docs/storage.md "pending keysets".

#include "storage/key_rows.hpp"
#include "storage/key_store.hpp"
#include "storage/record_io.hpp"

namespace otaflow::storage {
namespace {

using detail::get_secret;
using detail::put_secret;
using detail::wipe_guard;

rocksdb::Slice slice(std::string_view s) {
  return {s.data(), s.size()};
}

std::string who(std::string_view iccid, std::string_view campaign) {
  return "pending keyset of " + std::string(iccid) + " for " + std::string(campaign);
}

bool valid_name(std::string_view s) {
  return !s.empty() && s.find('\0') == std::string_view::npos;
}

}  // namespace

std::string key_store::pending_keyset_row(std::string_view iccid, std::string_view campaign) {
  return std::string(iccid) + '\0' + 'q' + std::string(campaign);
}

result<std::optional<pending_keyset>> key_store::get_pending_keyset(
    std::string_view iccid, std::string_view campaign) const {
  auto plain = open_row(pending_keyset_row(iccid, campaign));
  if (!plain) return detail::with_context(std::move(plain).error(), who(iccid, campaign));
  if (!plain->has_value()) return std::optional<pending_keyset>();
  wipe_guard g{**plain};
  byte_reader r(**plain);
  pending_keyset p;
  std::uint8_t type = 0;
  if (!r.u8(p.version) || !r.u8(p.replace) || !r.u8(p.from) || !r.u8(type) ||
      !r.u8(p.first_key_id) || !r.u8(p.count) || !get_secret(r, p.keys.kic) ||
      !get_secret(r, p.keys.kid) || !get_secret(r, p.keys.kik) || !r.empty() || type > 1) {
    return make_error(errc::internal, who(iccid, campaign) + ": malformed record");
  }
  p.aes = type == 1;
  return std::optional<pending_keyset>(std::move(p));
}

result<bool> key_store::has_pending_keyset(std::string_view iccid,
                                           std::string_view campaign) const {
  auto v = db_.get(column::keys, pending_keyset_row(iccid, campaign));
  if (!v) return v.error();
  return v->has_value();
}

result<std::vector<pending_keyset_info>> key_store::list_pending_keysets(
    std::string_view iccid) const {
  const std::string prefix = std::string(iccid) + '\0' + 'q';
  std::vector<std::string> campaigns;
  auto it = db_.iterate(column::keys);
  for (it->Seek(slice(prefix)); it->Valid() && it->key().starts_with(slice(prefix)); it->Next())
    campaigns.emplace_back(it->key().ToStringView().substr(prefix.size()));
  if (!it->status().ok()) return rocksdb_error(it->status(), "scan of keys");
  std::vector<pending_keyset_info> out;
  for (auto& c : campaigns) {
    auto p = get_pending_keyset(iccid, c);  // the versions are sealed with the keys
    if (!p) return p.error();
    if (!p->has_value()) continue;
    const auto& k = **p;
    out.push_back({std::move(c), k.version, k.replace, k.from, k.aes});
  }
  return out;
}

status key_store::stage_pending_keyset(rocksdb::WriteBatch& b, std::string_view iccid,
                                       std::string_view campaign, const pending_keyset& ks) const {
  if (!valid_name(iccid) || !valid_name(campaign))
    return make_error(errc::bad_argument, "pending keyset: ICCID or campaign empty or holding NUL");
  if (ks.version < 1 || ks.version > 15 || ks.replace > 15 || ks.from < 1 || ks.from > 15)
    return make_error(errc::bad_argument, who(iccid, campaign) + ": key versions " +
                                              std::to_string(ks.version) + "/" +
                                              std::to_string(ks.replace) + "/" +
                                              std::to_string(ks.from) + " outside 1-15");
  if (ks.first_key_id < 1 || ks.count < 1 || ks.first_key_id + ks.count > 4)
    return make_error(errc::bad_argument, who(iccid, campaign) + ": key ids " +
                                              std::to_string(ks.first_key_id) + " + " +
                                              std::to_string(ks.count) + " outside 1-3");
  for (const secret* k : {&ks.keys.kic, &ks.keys.kid, &ks.keys.kik}) {
    if (k->size() != 16 && k->size() != 24 && k->size() != 32)
      return make_error(errc::bad_argument, who(iccid, campaign) + ": a key of " +
                                                std::to_string(k->size()) +
                                                " octets (16, 24 or 32 expected)");
  }
  byte_writer w;
  w.u8(ks.version);
  w.u8(ks.replace);
  w.u8(ks.from);
  w.u8(ks.aes ? 1 : 0);
  w.u8(ks.first_key_id);
  w.u8(ks.count);
  put_secret(w, ks.keys.kic);
  put_secret(w, ks.keys.kid);
  put_secret(w, ks.keys.kik);
  bytes plain = w.take();
  return stage_sealed(b, pending_keyset_row(iccid, campaign), plain);
}

result<bool> key_store::stage_commit_pending_keyset(rocksdb::WriteBatch& b, std::string_view iccid,
                                                    std::string_view campaign) const {
  auto p = get_pending_keyset(iccid, campaign);
  if (!p) return p.error();
  if (!p->has_value()) return false;
  // The card holds the new keyset as `version`; a keyset replaced under another number
  // (P1 != version) is gone from the card, so its row goes too. A new KVN keeps the old row:
  // that keyset is still on the card.
  byte_writer w;
  put_secret(w, (*p)->keys.kic);
  put_secret(w, (*p)->keys.kid);
  put_secret(w, (*p)->keys.kik);
  bytes plain = w.take();
  OTAFLOW_TRY(stage_sealed(b, keyset_row(iccid, (*p)->version), plain));
  if ((*p)->replace != 0 && (*p)->replace != (*p)->version)
    b.Delete(db_.handle(column::keys), slice(keyset_row(iccid, (*p)->replace)));
  b.Delete(db_.handle(column::keys), slice(pending_keyset_row(iccid, campaign)));
  return true;
}

result<bool> key_store::stage_drop_pending_keyset(rocksdb::WriteBatch& b, std::string_view iccid,
                                                  std::string_view campaign) const {
  return stage_erase_row(b, pending_keyset_row(iccid, campaign));
}

}  // namespace otaflow::storage
