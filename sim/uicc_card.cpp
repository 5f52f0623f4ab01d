#include "sim/uicc_card.hpp"

#include <algorithm>

#include "codec/ts31102_5gs.hpp"
#include "codec/ts31102_ef.hpp"

namespace otaflow::sim {

namespace ts = codec::ts31102;

ota_keyset::~ota_keyset() {
  secure_wipe(kic);
  secure_wipe(kid);
  secure_wipe(kik);
}

card_identity::~card_identity() {
  secure_wipe(ki);
  secure_wipe(opc);
}

const ota_keyset* card_identity::keyset(std::uint8_t v) const noexcept {
  for (const auto& k : keysets)
    if (k.version == v) return &k;
  return nullptr;
}

// ---- card_state ------------------------------------------------------------------------------

const bytes* card_state::file(std::uint32_t key) const noexcept {
  auto it = std::lower_bound(files_.begin(), files_.end(), key,
                             [](const file_entry& e, std::uint32_t k) { return e.first < k; });
  return it != files_.end() && it->first == key ? &it->second : nullptr;
}

void card_state::set_file(std::uint32_t key, bytes content) {
  auto it = std::lower_bound(files_.begin(), files_.end(), key,
                             [](const file_entry& e, std::uint32_t k) { return e.first < k; });
  if (it != files_.end() && it->first == key) {
    if (it->second == content) return;
    it->second = std::move(content);
  } else {
    files_.insert(it, {key, std::move(content)});
  }
  dirty_ = true;
}

void card_state::erase_file(std::uint32_t key) {
  auto it = std::lower_bound(files_.begin(), files_.end(), key,
                             [](const file_entry& e, std::uint32_t k) { return e.first < k; });
  if (it != files_.end() && it->first == key) {
    files_.erase(it);
    dirty_ = true;
  }
}

std::uint64_t card_state::counter(std::uint8_t keyset) const noexcept {
  for (const auto& [k, v] : counters_)
    if (k == keyset) return v;
  return 0;
}

void card_state::set_counter(std::uint8_t keyset, std::uint64_t value) {
  auto it = std::lower_bound(counters_.begin(), counters_.end(), keyset,
                             [](const auto& e, std::uint8_t k) { return e.first < k; });
  if (it != counters_.end() && it->first == keyset) {
    if (it->second == value) return;
    it->second = value;
  } else {
    counters_.insert(it, {keyset, value});
  }
  dirty_ = true;
}

void card_state::set_last_por_status(std::uint8_t s) {
  if (por_ == s) return;
  por_ = s;
  dirty_ = true;
}

void card_state::set_rotated_keys(const key16& ki, const key16& opc, std::uint32_t sequence) {
  rotated_ = std::make_pair(ki, opc);
  key_seq_ = sequence;
  dirty_ = true;
}

void card_state::set_sqn_ms(std::uint64_t sqn) {
  if (sqn_ms_ == sqn) return;
  sqn_ms_ = sqn;
  dirty_ = true;
}

void card_state::set_isd_state(bytes encoded) {
  if (isd_ == encoded) return;
  isd_ = std::move(encoded);
  dirty_ = true;
}

void card_state::set_keysets(std::vector<ota_keyset> keysets) {
  std::sort(keysets.begin(), keysets.end(),
            [](const ota_keyset& a, const ota_keyset& b) { return a.version < b.version; });
  keysets_ = std::move(keysets);
  dirty_ = true;
}

bool card_state::pristine() const noexcept {
  return files_.empty() && counters_.empty() && !rotated_ && sqn_ms_ == 0 && key_seq_ == 0 &&
         !por_ && isd_.empty() && !keysets_;
}

std::size_t card_state::approx_bytes() const noexcept {
  std::size_t n = sizeof(card_state) + files_.capacity() * sizeof(file_entry) +
                  counters_.capacity() * sizeof(counters_[0]);
  if (files_.capacity()) n += malloc_overhead;
  if (counters_.capacity()) n += malloc_overhead;
  for (const auto& f : files_) n += f.second.capacity() + malloc_overhead;
  if (isd_.capacity()) n += isd_.capacity() + malloc_overhead;
  if (keysets_)
    for (const auto& k : *keysets_) n += sizeof(k) + k.kic.size() + k.kid.size() + k.kik.size();
  return n;
}

// Serialised form, version 1 (big-endian):
//   u8 version (01) | u8 flags (b1 last PoR, b2 rotated keys, b3 ISD registry)
//   [u8 last PoR status] [Ki(16) OPc(16)]
//   u32 key file sequence | u48 SQN_MS
//   u8 n counters { u8 keyset, u40 counter }
//   u16 n files { u32 key, u16 length, content }
//   [u32 length | ISD registry (sim/card_isd.cpp)]   (b3 only: a personalised registry
//                                                     stores nothing)
//   [u8 n keysets { u8 version, u8 len, KIc, u8 len, KID, u8 len, KIK }]   (b4 only: keysets
//                                                     a PUT KEY changed; none: personalised)
bytes card_state::encode() const {
  byte_writer w;
  w.u8(1);
  w.u8(static_cast<std::uint8_t>((por_ ? 1 : 0) | (rotated_ ? 2 : 0) | (isd_.empty() ? 0 : 4) |
                                 (keysets_ ? 8 : 0)));
  if (por_) w.u8(*por_);
  if (rotated_) {
    w.append(rotated_->first);
    w.append(rotated_->second);
  }
  w.u32(key_seq_);
  w.uint_be(6, sqn_ms_);
  w.u8(static_cast<std::uint8_t>(counters_.size()));
  for (const auto& [k, v] : counters_) {
    w.u8(k);
    w.uint_be(5, v);
  }
  w.u16(static_cast<std::uint16_t>(files_.size()));
  for (const auto& [k, c] : files_) {
    w.u32(k);
    w.u16(static_cast<std::uint16_t>(c.size()));
    w.append(c);
  }
  if (!isd_.empty()) {
    w.u32(static_cast<std::uint32_t>(isd_.size()));
    w.append(isd_);
  }
  if (keysets_) {
    w.u8(static_cast<std::uint8_t>(keysets_->size()));
    for (const auto& k : *keysets_) {
      w.u8(k.version);
      for (const bytes* key : {&k.kic, &k.kid, &k.kik}) {
        w.u8(static_cast<std::uint8_t>(key->size()));
        w.append(*key);
      }
    }
  }
  return w.take();
}

result<card_state> card_state::decode(byte_view in) {
  byte_reader r(in);
  auto cut = [](const char* field) {
    return make_error(errc::truncated, std::string("card state: truncated at ") + field);
  };
  std::uint8_t version = 0, flags = 0;
  if (!r.u8(version)) return cut("version");
  if (version != 1)
    return make_error(errc::unsupported,
                      "card state: version " + std::to_string(version) + " (expected 1)");
  if (!r.u8(flags)) return cut("flags");
  if (flags & ~15u)
    return make_error(errc::bad_value, "card state: unknown flags " + std::to_string(flags));
  card_state s;
  if (flags & 1) {
    std::uint8_t p = 0;
    if (!r.u8(p)) return cut("last PoR status");
    s.por_ = p;
  }
  if (flags & 2) {
    byte_view a, b;
    if (!r.take(16, a) || !r.take(16, b)) return cut("rotated keys");
    key16 ki{}, opc{};
    std::copy(a.begin(), a.end(), ki.begin());
    std::copy(b.begin(), b.end(), opc.begin());
    s.rotated_ = std::make_pair(ki, opc);
    secure_wipe(ki);
    secure_wipe(opc);
  }
  std::uint64_t sqn = 0;
  if (!r.u32(s.key_seq_)) return cut("key file sequence");
  if (!r.uint_be(6, sqn)) return cut("SQN_MS");
  s.sqn_ms_ = sqn;
  std::uint8_t nc = 0;
  if (!r.u8(nc)) return cut("counter count");
  for (unsigned i = 0; i < nc; ++i) {
    std::uint8_t k = 0;
    std::uint64_t v = 0;
    if (!r.u8(k) || !r.uint_be(5, v)) return cut("counter");
    if (!s.counters_.empty() && s.counters_.back().first >= k)
      return make_error(errc::bad_value, "card state: counters not sorted by keyset");
    s.counters_.emplace_back(k, v);
  }
  std::uint16_t nf = 0;
  if (!r.u16(nf)) return cut("file count");
  for (unsigned i = 0; i < nf; ++i) {
    std::uint32_t k = 0;
    std::uint16_t len = 0;
    byte_view c;
    if (!r.u32(k) || !r.u16(len) || !r.take(len, c)) return cut("file");
    if (!s.files_.empty() && s.files_.back().first >= k)
      return make_error(errc::bad_value, "card state: files not sorted by key");
    s.files_.emplace_back(k, bytes(c.begin(), c.end()));
  }
  if (flags & 4) {
    std::uint32_t n = 0;
    byte_view v;
    if (!r.u32(n) || !r.take(n, v)) return cut("ISD registry");
    if (n == 0) return make_error(errc::bad_value, "card state: empty ISD registry");
    s.isd_.assign(v.begin(), v.end());
  }
  if (flags & 8) {
    std::uint8_t n = 0;
    if (!r.u8(n)) return cut("keyset count");
    std::vector<ota_keyset> sets(n);
    for (auto& k : sets) {
      if (!r.u8(k.version)) return cut("keyset");
      for (bytes* key : {&k.kic, &k.kid, &k.kik}) {
        std::uint8_t len = 0;
        byte_view v;
        if (!r.u8(len) || !r.take(len, v)) return cut("keyset key");
        key->assign(v.begin(), v.end());
      }
    }
    s.keysets_ = std::move(sets);
  }
  if (!r.empty())
    return make_error(errc::bad_length,
                      "card state: " + std::to_string(r.remaining()) + " trailing octets");
  return s;
}

// ---- uicc_data -------------------------------------------------------------------------------

uicc_data::uicc_data(card_identity id, card_state st) : id_(std::move(id)), st_(std::move(st)) {}

bytes uicc_data::default_content(const ts::ef_spec& ef) const {
  if (ts::find_ef(ts::fid::df_5gs, ef.fid) == &ef) {
    if (ef.fid == ts::fid::ef_suci_calc_info && id_.suci_calc_info &&
        id_.suci_calc_info->size() == ef.size)
      return *id_.suci_calc_info;
    std::optional<ts::plmn> hplmn;
    if (auto h = ts::plmn_from_imsi(id_.imsi, id_.mnc_length)) hplmn = *h;
    auto c = ts::default_5gs_content(ef, hplmn);
    if (!c) return bytes(ef.size, 0xFF);
    return std::move(*c);
  }
  ts::card_profile p;
  p.iccid = id_.iccid;
  p.imsi = id_.imsi;
  p.mnc_length = id_.mnc_length;
  p.msisdn = id_.msisdn;
  auto c = ts::default_content(ef, p);
  // The codec fails only for identities it cannot encode (validated when the card is
  // built); fall back to an erased file rather than throwing.
  if (!c) return bytes(ef.size, 0xFF);
  return std::move(*c);
}

bytes uicc_data::content(std::uint16_t df, const ts::ef_spec& ef) const {
  if (const bytes* b = st_.file(file_key(df, ef.fid))) return *b;
  return default_content(ef);
}

void uicc_data::store(std::uint16_t df, const ts::ef_spec& ef, bytes content) {
  const auto key = file_key(df, ef.fid);
  if (content == default_content(ef)) {
    st_.erase_file(key);
  } else {
    st_.set_file(key, std::move(content));
  }
}

const ota_keyset* uicc_data::keyset(std::uint8_t v) const noexcept {
  for (const auto& k : keysets())
    if (k.version == v) return &k;
  return nullptr;
}

const key16& uicc_data::ki() const noexcept {
  return st_.rotated_keys() ? st_.rotated_keys()->first : id_.ki;
}

const key16& uicc_data::opc() const noexcept {
  return st_.rotated_keys() ? st_.rotated_keys()->second : id_.opc;
}

std::size_t uicc_data::approx_bytes() const noexcept {
  auto str = [](const std::string& s) {
    return s.capacity() > 15 ? s.capacity() + 1 + malloc_overhead : 0;
  };
  std::size_t n = sizeof(uicc_data) - sizeof(card_state) + st_.approx_bytes() + str(id_.iccid) +
                  str(id_.imsi) + str(id_.msisdn) + id_.keysets.capacity() * sizeof(ota_keyset) +
                  malloc_overhead;
  for (const auto& k : id_.keysets)
    n += k.kic.capacity() + k.kid.capacity() + k.kik.capacity() + 3 * malloc_overhead;
  return n;
}

std::string file_path_text(std::uint32_t key) {
  const auto df = static_cast<std::uint16_t>(key >> 16);
  const auto ef = static_cast<std::uint16_t>(key & 0xFFFF);
  std::string text = "3F00/";
  if (df != ts::fid::mf) text += to_hex(df, 4, hex_case::upper) + "/";
  return text + to_hex(ef, 4, hex_case::upper);
}

const char* file_name(std::uint32_t key) noexcept {
  const auto* e =
      ts::find_ef(static_cast<std::uint16_t>(key >> 16), static_cast<std::uint16_t>(key & 0xFFFF));
  return e ? e->name : "?";
}

}  // namespace otaflow::sim
