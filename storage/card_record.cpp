#include "storage/card_record.hpp"

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>

#include "storage/identifiers.hpp"
#include "storage/record_io.hpp"

namespace otaflow::storage {
namespace {

rocksdb::Slice slice(std::string_view s) {
  return {s.data(), s.size()};
}

// The slot of a key row (the octets after ICCID \0) the import writes: 'a' or 'k' KVN 0-15.
bool import_slot(std::string_view slot) {
  return slot == "a" ||
         (slot.size() == 2 && slot[0] == 'k' && static_cast<std::uint8_t>(slot[1]) <= 15);
}

// A slot named for an error message: its letter, and the KVN of a keyset row (never a value).
std::string slot_name(std::string_view slot) {
  if (slot.empty()) return "(empty)";
  if (slot[0] == 'k' && slot.size() == 2) {
    return "k" + std::to_string(static_cast<std::uint8_t>(slot[1]));
  }
  const auto c = static_cast<unsigned char>(slot[0]);
  if (c >= 0x21 && c < 0x7F) return std::string("'") + slot[0] + "'";
  return "octet " + std::to_string(c);
}

bool known_family(std::uint8_t c) {
  return c == static_cast<std::uint8_t>(column::subscribers) ||
         c == static_cast<std::uint8_t>(column::keys) ||
         c == static_cast<std::uint8_t>(column::by_msisdn) ||
         c == static_cast<std::uint8_t>(column::by_imsi);
}

error bad(std::string_view iccid, const std::string& what) {
  return make_error(errc::bad_value, "card record " + std::string(iccid) + ": " + what);
}

// Checks the rows of a record against its subscriber row (decode_card's part after parsing).
status check_rows(std::string_view iccid, const std::vector<card_row>& rows) {
  const card_row* sub_row = nullptr;
  for (const auto& r : rows) {
    if (r.col != column::subscribers) continue;
    if (r.key != iccid) return bad(iccid, "a subscriber row of another card");
    if (sub_row != nullptr) return bad(iccid, "two subscriber rows");
    sub_row = &r;
  }
  if (sub_row == nullptr) return bad(iccid, "no subscriber row");
  auto sub = subscriber_store::decode(iccid, detail::as_bytes(sub_row->value));
  if (!sub) return detail::with_context(std::move(sub).error(), "card record");
  if (auto v = subscriber_store::validate(*sub); !v) {
    return detail::with_context(std::move(v).error(), "card record");
  }
  const std::string prefix = std::string(iccid) + '\0';
  bool msisdn_row = false, imsi_row = false, auth_row = false;
  std::set<std::uint8_t> kvns;
  for (const auto& r : rows) {
    switch (r.col) {
      case column::by_msisdn:
        if (r.value != iccid) return bad(iccid, "a by_msisdn row naming another card");
        if (msisdn_row) return bad(iccid, "two by_msisdn rows");
        if (sub->msisdn.empty() || r.key != sub->msisdn) {
          return bad(iccid, "a by_msisdn row for " + r.key + " but the card's MSISDN is '" +
                                sub->msisdn + "'");
        }
        msisdn_row = true;
        break;
      case column::by_imsi:
        if (r.value != iccid) return bad(iccid, "a by_imsi row naming another card");
        if (imsi_row) return bad(iccid, "two by_imsi rows");
        if (r.key != sub->imsi) {
          return bad(iccid, "a by_imsi row for " + r.key + " but the card's IMSI is " + sub->imsi);
        }
        imsi_row = true;
        break;
      case column::keys: {
        if (!r.key.starts_with(prefix)) return bad(iccid, "a key row of another card");
        const std::string_view slot = std::string_view(r.key).substr(prefix.size());
        if (!import_slot(slot)) {
          return bad(iccid, "key row " + slot_name(slot) +
                                " is not one the import writes (only Ki/OPc and keysets)");
        }
        const bool fresh = slot == "a" ? !std::exchange(auth_row, true)
                                       : kvns.insert(static_cast<std::uint8_t>(slot[1])).second;
        if (!fresh) return bad(iccid, "key row " + slot_name(slot) + " twice");
        break;
      }
      default:
        break;
    }
  }
  if (!sub->msisdn.empty() && !msisdn_row) return bad(iccid, "no by_msisdn row");
  if (!imsi_row) return bad(iccid, "no by_imsi row");
  if (!std::equal(kvns.begin(), kvns.end(), sub->keyset_versions.begin(),
                  sub->keyset_versions.end())) {
    return bad(iccid, "keyset rows do not match the subscriber's keyset versions");
  }
  return {};
}

}  // namespace

std::string_view outcome_name(apply_outcome o) noexcept {
  switch (o) {
    case apply_outcome::added:
      return "added";
    case apply_outcome::replaced:
      return "replaced";
    case apply_outcome::unchanged:
      return "unchanged";
  }
  return "?";
}

result<std::string> encode_card(const db& d, std::string_view iccid) {
  OTAFLOW_TRY(validate_iccid(iccid));
  auto value = d.get(column::subscribers, iccid);
  if (!value) return value.error();
  if (!value->has_value()) {
    return make_error(errc::not_found, "card " + std::string(iccid) + ": no subscriber record");
  }
  auto sub = subscriber_store::decode(iccid, detail::as_bytes(**value));
  if (!sub) return sub.error();

  byte_writer w;
  w.u8(card_record_version);
  auto put = [&](column c, std::string_view key, std::string_view val) {
    w.u8(static_cast<std::uint8_t>(c));
    detail::put_str(w, key);
    detail::put_str(w, val);
  };
  put(column::subscribers, iccid, **value);
  // The index rows as the import wrote them; one naming another card means the state is not
  // what an import leaves, and publishing it would make the receiver's index lie.
  auto index = [&](column c, const char* what, const std::string& number) -> status {
    if (number.empty()) return {};
    auto owner = d.get(c, number);
    if (!owner) return owner.error();
    if (!owner->has_value() || **owner != iccid) {
      return make_error(errc::conflict, "card " + std::string(iccid) + ": " + what + " " + number +
                                            " is not indexed to it");
    }
    put(c, number, iccid);
    return {};
  };
  OTAFLOW_TRY(index(column::by_msisdn, "msisdn", sub->msisdn));
  OTAFLOW_TRY(index(column::by_imsi, "imsi", sub->imsi));

  const std::string prefix = std::string(iccid) + '\0';
  auto it = d.iterate(column::keys);
  for (it->Seek(slice(prefix)); it->Valid() && it->key().starts_with(slice(prefix)); it->Next()) {
    const std::string_view row = it->key().ToStringView();
    if (!import_slot(row.substr(prefix.size()))) continue;  // pending, sequence: the instance's
    put(column::keys, row, it->value().ToStringView());     // sealed: copied as it is
  }
  if (!it->status().ok()) return rocksdb_error(it->status(), "scan of keys");
  return std::string(detail::as_chars(w.data()));
}

result<card_record> decode_card(std::string_view iccid_key, std::string_view value) {
  if (auto v = validate_iccid(iccid_key); !v) {
    return detail::with_context(std::move(v).error(), "card record key");
  }
  byte_reader r(detail::as_bytes(value));
  std::uint8_t version = 0;
  if (!r.u8(version)) return bad(iccid_key, "empty value");
  if (version != card_record_version) {
    return make_error(errc::unsupported, "card record " + std::string(iccid_key) + ": version " +
                                             std::to_string(version) + ", expected " +
                                             std::to_string(card_record_version));
  }
  card_record rec;
  rec.iccid = iccid_key;
  while (!r.empty()) {
    const std::string n = std::to_string(rec.rows.size() + 1);
    std::uint8_t c = 0;
    card_row row;
    if (!r.u8(c)) return bad(iccid_key, "row " + n + " truncated");
    if (!known_family(c)) {
      return bad(iccid_key, "row " + n + ": column " + std::to_string(c) +
                                " is not one of subscribers, keys, by_msisdn, by_imsi");
    }
    row.col = static_cast<column>(c);
    if (!detail::get_str(r, row.key) || !detail::get_str(r, row.value)) {
      return make_error(errc::truncated, "card record " + std::string(iccid_key) + ": row " + n +
                                             " (" + std::string(column_name(row.col)) +
                                             ") truncated");
    }
    rec.rows.push_back(std::move(row));
  }
  OTAFLOW_TRY(check_rows(iccid_key, rec.rows));
  return rec;
}

namespace {

// Who holds `number` in the index `c` when it is not the card itself; nullopt otherwise.
result<std::optional<std::string>> other_holder(const db& d, column c, const std::string& number,
                                                std::string_view iccid) {
  if (number.empty()) return std::optional<std::string>();
  auto owner = d.get(c, number);
  if (!owner) return owner.error();
  if (owner->has_value() && **owner != iccid) return std::move(*owner);
  return std::optional<std::string>();
}

}  // namespace

result<apply_outcome> apply_card(state& st, const card_record& rec, rocksdb::WriteBatch& out) {
  OTAFLOW_TRY(check_rows(rec.iccid, rec.rows));  // a record built by hand gets the same checks
  std::optional<subscriber> sub;
  sealed_keys sealed;
  for (const auto& r : rec.rows) {
    if (r.col == column::subscribers) {
      auto s = subscriber_store::decode(rec.iccid, detail::as_bytes(r.value));
      if (!s) return s.error();
      sub = std::move(*s);
    } else if (r.col == column::keys) {
      sealed.rows.emplace_back(r.key, r.value);
    }
  }
  auto keys = st.keys().open_sealed(rec.iccid, sealed);
  if (!keys) return detail::with_context(std::move(keys).error(), "card record");

  for (const auto& [c, what, number] : {std::tuple{column::by_msisdn, "msisdn", &sub->msisdn},
                                        std::tuple{column::by_imsi, "imsi", &sub->imsi}}) {
    auto holder = other_holder(st.database(), c, *number, rec.iccid);
    if (!holder) return holder.error();
    if (holder->has_value()) {
      return make_error(errc::conflict, "card " + rec.iccid + ": " + what + " " + *number +
                                            " belongs to iccid " + **holder + " in the repository");
    }
  }

  auto prev = st.subscribers().get(rec.iccid);
  if (!prev) return prev.error();
  if (prev->has_value() && **prev == *sub) {
    auto stored = st.keys().get(rec.iccid);
    if (!stored && stored.error().code != make_error_code(errc::not_found)) return stored.error();
    const card_keys none;
    if ((stored ? *stored : none) == *keys) return apply_outcome::unchanged;
  }
  OTAFLOW_TRY(st.subscribers().stage_put(out, *sub, prev->has_value() ? &**prev : nullptr));
  // Always scan for old Ki/OPc and keyset rows: a keyset the record no longer has must go.
  OTAFLOW_TRY(st.keys().stage_sealed_rows(out, rec.iccid, sealed, true));
  return prev->has_value() ? apply_outcome::replaced : apply_outcome::added;
}

}  // namespace otaflow::storage
