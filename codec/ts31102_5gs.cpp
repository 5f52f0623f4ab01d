#include "codec/ts31102_5gs.hpp"

#include <algorithm>
#include <string>

#include "codec/tlv.hpp"

namespace otaflow::codec::ts31102 {
namespace {

error truncated(const char* what, std::size_t need, std::size_t got) {
  return make_error(errc::truncated, std::string(what) + " needs " + std::to_string(need) +
                                         " bytes, got " + std::to_string(got));
}

error with_context(error e, const std::string& prefix) {
  e.message = prefix + e.message;
  return e;
}

bool all_ff(byte_view v) noexcept {
  return std::all_of(v.begin(), v.end(), [](std::uint8_t b) { return b == 0xFF; });
}

bool is_digits(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::uint32_t load24(byte_view v) noexcept {
  return (std::uint32_t{v[0]} << 16) | (std::uint32_t{v[1]} << 8) | v[2];
}

// The rest of a file or record after its content must be 'FF' padding.
status check_padding(byte_view rest, const char* file, std::size_t offset) {
  for (std::size_t i = 0; i < rest.size(); ++i)
    if (rest[i] != 0xFF)
      return make_error(errc::bad_value, std::string(file) + ": byte " +
                                             std::to_string(offset + i) + " is '" +
                                             to_hex(rest[i], 2, hex_case::upper) +
                                             "' after the content, expected 'FF'");
  return {};
}

// Appends a content built apart (so that a too-long content writes nothing) and pads it.
status pad_to(std::size_t file_size, const char* file, byte_writer& w, const bytes& scratch) {
  if (file_size != 0 && scratch.size() > file_size)
    return make_error(errc::too_long,
                      std::string(file) + ": content of " + std::to_string(scratch.size()) +
                          " bytes does not fit the file of " + std::to_string(file_size));
  w.append(scratch);
  if (file_size > scratch.size()) w.fill(file_size - scratch.size(), 0xFF);
  return {};
}

// A BER-TLV value of a fixed length, or empty (= absent).
status fixed_len(const ber_tlv_view& t, std::size_t want, const char* what) {
  if (!t.value.empty() && t.value.size() != want)
    return make_error(errc::bad_length, std::string(what) + " (tag '" +
                                            to_hex(t.tag & 0xFF, 2, hex_case::upper) +
                                            "') must be " + std::to_string(want) + " bytes, got " +
                                            std::to_string(t.value.size()));
  return {};
}

// ---- PLMN with the 'D' wildcard (TS 31.102 §4.2.59), for EF.OPL5G.

result<plmn> decode_plmn_wild(byte_view three) {
  const unsigned n[6] = {three[0] & 0xFu, static_cast<unsigned>(three[0] >> 4),
                         three[1] & 0xFu, static_cast<unsigned>(three[1] >> 4),
                         three[2] & 0xFu, static_cast<unsigned>(three[2] >> 4)};
  // MCC1 MCC2 MCC3 MNC3 MNC1 MNC2
  auto ch = [](unsigned v) -> char { return v == 0xD ? 'd' : static_cast<char>('0' + v); };
  auto ok = [](unsigned v) { return v <= 9 || v == 0xD; };
  if (!ok(n[0]) || !ok(n[1]) || !ok(n[2]) || !ok(n[4]) || !ok(n[5]) || !(ok(n[3]) || n[3] == 0xF))
    return make_error(errc::bad_value, "PLMN " + to_hex(three) +
                                           " has a digit that is neither 0-9 nor the wildcard D");
  plmn p;
  p.mcc = {ch(n[0]), ch(n[1]), ch(n[2])};
  p.mnc = {ch(n[4]), ch(n[5])};
  if (n[3] != 0xF) p.mnc.push_back(ch(n[3]));
  return p;
}

status encode_plmn_wild(const plmn& p, byte_writer& w) {
  auto ok = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= '0' && c <= '9') || c == 'd'; });
  };
  if (p.mcc.size() != 3 || (p.mnc.size() != 2 && p.mnc.size() != 3) || !ok(p.mcc) || !ok(p.mnc))
    return make_error(errc::bad_value, "PLMN " + p.mcc + "/" + p.mnc +
                                           ": MCC needs 3 and MNC 2 or 3 digits (0-9 or d)");
  auto v = [](char c) { return c == 'd' ? 0xDu : static_cast<unsigned>(c - '0'); };
  const unsigned mnc3 = p.mnc.size() == 3 ? v(p.mnc[2]) : 0xFu;
  w.u8(static_cast<std::uint8_t>((v(p.mcc[1]) << 4) | v(p.mcc[0])));
  w.u8(static_cast<std::uint8_t>((mnc3 << 4) | v(p.mcc[2])));
  w.u8(static_cast<std::uint8_t>((v(p.mnc[1]) << 4) | v(p.mnc[0])));
  return {};
}

// Reads one BER-TLV, prefixing errors with the file name.
result<ber_tlv_view> read_tlv(byte_reader& r, const char* file) {
  auto t = ber_read(r);
  if (!t) return with_context(std::move(t).error(), std::string(file) + ": ");
  return t;
}

}  // namespace

// =============================================================================================
// EF.5GS3GPPLOCI / EF.5GSN3GPPLOCI
// =============================================================================================

result<ef_5gs_loci> decode_5gs_loci(byte_view data) {
  if (data.size() < loci_5gs_size) return truncated("EF.5GS3GPPLOCI", loci_5gs_size, data.size());
  ef_5gs_loci out;
  const byte_view g = data.first(13);
  if (!all_ff(g)) {
    // TS 24.501 §9.11.3.4: length of contents '000B', then '1111 0 010' (5G-GUTI).
    if (g[0] != 0x00 || g[1] != 0x0B)
      return make_error(errc::bad_value,
                        "EF.5GS3GPPLOCI: 5G-GUTI length " + to_hex(g.first(2)) + " is not '000B'");
    if ((g[2] & 0x07) != 0x02)
      return make_error(errc::bad_value, "EF.5GS3GPPLOCI: identity type '" +
                                             to_hex(g[2], 2, hex_case::upper) +
                                             "' is not a 5G-GUTI (xxxx x010)");
    auto id = decode_plmn(g.subspan(3, 3));
    if (!id) return with_context(std::move(id).error(), "EF.5GS3GPPLOCI 5G-GUTI: ");
    guti_5g guti;
    guti.id = std::move(*id);
    guti.amf_region_id = g[6];
    guti.amf_set_id = static_cast<std::uint16_t>((g[7] << 2) | (g[8] >> 6));
    guti.amf_pointer = static_cast<std::uint8_t>(g[8] & 0x3F);
    guti.tmsi = (std::uint32_t{g[9]} << 24) | (std::uint32_t{g[10]} << 16) |
                (std::uint32_t{g[11]} << 8) | g[12];
    out.guti = std::move(guti);
  }
  auto tai_plmn = decode_plmn_entry(data.subspan(13, 3));
  if (!tai_plmn) return with_context(std::move(tai_plmn).error(), "EF.5GS3GPPLOCI TAI: ");
  out.tai.id = std::move(*tai_plmn);
  out.tai.tac = load24(data.subspan(16, 3));
  const unsigned st = data[19] & 0x07u;  // b8..b4 RFU
  if (st > 2)
    return make_error(errc::bad_value,
                      "EF.5GS3GPPLOCI: 5GS update status " + std::to_string(st) + " is reserved");
  out.status = static_cast<update_status_5gs>(st);
  return out;
}

status encode_5gs_loci(const ef_5gs_loci& loci, byte_writer& w) {
  byte_writer t;
  if (loci.guti) {
    const auto& g = *loci.guti;
    if (g.amf_set_id > 0x3FF)
      return make_error(errc::bad_value,
                        "5G-GUTI AMF set ID " + std::to_string(g.amf_set_id) + " exceeds 10 bits");
    if (g.amf_pointer > 0x3F)
      return make_error(errc::bad_value,
                        "5G-GUTI AMF pointer " + std::to_string(g.amf_pointer) + " exceeds 6 bits");
    t.u16(0x000B);
    t.u8(0xF2);
    OTAFLOW_TRY(encode_plmn(g.id, t));
    t.u8(g.amf_region_id);
    t.u8(static_cast<std::uint8_t>(g.amf_set_id >> 2));
    t.u8(static_cast<std::uint8_t>(((g.amf_set_id & 0x3) << 6) | g.amf_pointer));
    t.u32(g.tmsi);
  } else {
    t.fill(13, 0xFF);
  }
  if (loci.tai.tac > 0xFFFFFF)
    return make_error(errc::bad_value, "TAC " + std::to_string(loci.tai.tac) + " exceeds 24 bits");
  OTAFLOW_TRY(encode_plmn_entry(loci.tai.id, t));
  t.u24(loci.tai.tac);
  if (static_cast<unsigned>(loci.status) > 2)
    return make_error(
        errc::bad_value,
        "5GS update status " + std::to_string(static_cast<unsigned>(loci.status)) + " is reserved");
  t.u8(static_cast<std::uint8_t>(loci.status));
  w.append(t.data());
  return {};
}

ef_5gs_loci loci_5gs_reset(const std::optional<plmn>& hplmn) {
  ef_5gs_loci l;
  l.tai.id = hplmn;
  l.tai.tac = 0;
  l.status = update_status_5gs::not_updated;
  return l;
}

// =============================================================================================
// EF.5GS3GPPNSC / EF.5GSN3GPPNSC
// =============================================================================================

result<std::optional<nas_security_context_5gs>> decode_5gs_nsc(byte_view record) {
  constexpr const char* file = "EF.5GS3GPPNSC";
  if (record.empty()) return truncated(file, 2, 0);
  if (all_ff(record)) return std::optional<nas_security_context_5gs>{};
  byte_reader r(record);
  auto outer = read_tlv(r, file);
  if (!outer) return outer.error();
  if (outer->tag != 0xA0)
    return make_error(errc::bad_value, std::string(file) + ": expected tag 'A0', got '" +
                                           to_hex(outer->tag & 0xFF, 2, hex_case::upper) + "'");
  OTAFLOW_TRY(check_padding(r.rest(), file, r.position()));
  auto inner = ber_decode_all_views(outer->value);
  if (!inner) return with_context(std::move(inner).error(), std::string(file) + " 'A0': ");
  nas_security_context_5gs c;
  bool have_ksi = false;
  for (const auto& t : *inner) {
    switch (t.tag) {
      case 0x80:
        OTAFLOW_TRY(fixed_len(t, 1, "ngKSI"));
        if (t.value.empty()) break;
        if (t.value[0] > 0x0F)
          return make_error(errc::bad_value, "ngKSI '" + to_hex(t.value[0], 2, hex_case::upper) +
                                                 "' exceeds 4 bits");
        c.ngksi = t.value[0];
        have_ksi = true;
        break;
      case 0x81:
        OTAFLOW_TRY(fixed_len(t, 32, "K_AMF"));
        if (!t.value.empty()) {
          std::array<std::uint8_t, 32> k{};
          std::copy(t.value.begin(), t.value.end(), k.begin());
          c.k_amf = k;
        }
        break;
      case 0x82:
      case 0x83: {
        OTAFLOW_TRY(fixed_len(t, 4, t.tag == 0x82 ? "uplink NAS COUNT" : "downlink NAS COUNT"));
        if (t.value.empty()) break;
        const std::uint32_t v = (std::uint32_t{t.value[0]} << 24) |
                                (std::uint32_t{t.value[1]} << 16) |
                                (std::uint32_t{t.value[2]} << 8) | t.value[3];
        (t.tag == 0x82 ? c.uplink_count : c.downlink_count) = v;
        break;
      }
      case 0x84:
      case 0x85:
        OTAFLOW_TRY(fixed_len(t, 1, t.tag == 0x84 ? "NAS algorithms" : "EPS NAS algorithms"));
        if (!t.value.empty())
          (t.tag == 0x84 ? c.nas_algorithms : c.eps_nas_algorithms) = t.value[0];
        break;
      default:
        break;  // a later release's tag: ignored
    }
  }
  if (!have_ksi)
    return make_error(errc::bad_value, std::string(file) + ": 'A0' has no ngKSI (tag '80')");
  return std::optional<nas_security_context_5gs>{c};
}

status encode_5gs_nsc(const std::optional<nas_security_context_5gs>& nsc, std::size_t record_len,
                      byte_writer& w) {
  bytes content;
  if (nsc) {
    if (nsc->ngksi > 0x0F)
      return make_error(errc::bad_value,
                        "ngKSI '" + to_hex(nsc->ngksi, 2, hex_case::upper) + "' exceeds 4 bits");
    byte_writer in;
    const std::uint8_t ksi[] = {nsc->ngksi};
    OTAFLOW_TRY(ber_encode(0x80, ksi, in));
    if (nsc->k_amf) OTAFLOW_TRY(ber_encode(0x81, *nsc->k_amf, in));
    for (auto [tag, v] :
         {std::pair{0x82u, nsc->uplink_count}, std::pair{0x83u, nsc->downlink_count}})
      if (v) {
        const std::uint8_t b[] = {
            static_cast<std::uint8_t>(*v >> 24), static_cast<std::uint8_t>(*v >> 16),
            static_cast<std::uint8_t>(*v >> 8), static_cast<std::uint8_t>(*v)};
        OTAFLOW_TRY(ber_encode(tag, b, in));
      }
    for (auto [tag, v] :
         {std::pair{0x84u, nsc->nas_algorithms}, std::pair{0x85u, nsc->eps_nas_algorithms}})
      if (v) {
        const std::uint8_t b[] = {*v};
        OTAFLOW_TRY(ber_encode(tag, b, in));
      }
    byte_writer out(content);
    OTAFLOW_TRY(ber_encode(0xA0, in.data(), out));
  }
  if (!nsc && record_len == 0)
    return make_error(errc::bad_argument, "EF.5GS3GPPNSC: an empty record needs a record length");
  return pad_to(record_len, "EF.5GS3GPPNSC record", w, content);
}

// =============================================================================================
// EF.5GAUTHKEYS
// =============================================================================================

result<ef_5g_auth_keys> decode_5g_auth_keys(byte_view data) {
  constexpr const char* file = "EF.5GAUTHKEYS";
  ef_5g_auth_keys out;
  byte_reader r(data);
  while (!r.empty()) {
    std::uint8_t b = 0;
    (void)r.peek(b);
    if (b == 0xFF) break;
    auto t = read_tlv(r, file);
    if (!t) return t.error();
    if (t->tag != 0x80 && t->tag != 0x81)
      return make_error(errc::bad_value, std::string(file) + ": unexpected tag '" +
                                             to_hex(t->tag & 0xFF, 2, hex_case::upper) + "'");
    const char* what = t->tag == 0x80 ? "K_AUSF" : "K_SEAF";
    OTAFLOW_TRY(fixed_len(*t, 32, what));
    auto& slot = t->tag == 0x80 ? out.k_ausf : out.k_seaf;
    if (slot)
      return make_error(errc::bad_value, std::string(file) + ": " + what + " appears twice");
    if (!t->value.empty()) {
      std::array<std::uint8_t, 32> k{};
      std::copy(t->value.begin(), t->value.end(), k.begin());
      slot = k;
    }
  }
  OTAFLOW_TRY(check_padding(r.rest(), file, r.position()));
  return out;
}

status encode_5g_auth_keys(const ef_5g_auth_keys& keys, std::size_t file_size, byte_writer& w) {
  bytes content;
  byte_writer t(content);
  if (keys.k_ausf) OTAFLOW_TRY(ber_encode(0x80, *keys.k_ausf, t));
  if (keys.k_seaf) OTAFLOW_TRY(ber_encode(0x81, *keys.k_seaf, t));
  return pad_to(file_size, "EF.5GAUTHKEYS", w, content);
}

// =============================================================================================
// EF.UAC_AIC
// =============================================================================================

result<ef_uac_aic> decode_uac_aic(byte_view data) {
  if (data.size() < uac_aic_size) return truncated("EF.UAC_AIC", uac_aic_size, data.size());
  return ef_uac_aic{(data[0] & 0x01) != 0, (data[0] & 0x02) != 0};
}

void encode_uac_aic(const ef_uac_aic& aic, byte_writer& w) {
  w.u8(static_cast<std::uint8_t>((aic.mps ? 0x01 : 0) | (aic.mcs ? 0x02 : 0)));
  w.fill(3, 0x00);
}

// =============================================================================================
// EF.SUCI_Calc_Info
// =============================================================================================

namespace {

constexpr const char* suci_file = "EF.SUCI_Calc_Info";

// Key length rules per scheme (TS 33.501 C.3.4): A = X25519 32 octets; B = SEC 1 point.
status check_key_for_scheme(std::uint8_t scheme_id, const hn_public_key& k) {
  const std::string where = std::string(suci_file) + ": key id " + std::to_string(k.id);
  if (scheme_id == 1 && k.key.size() != 32)
    return make_error(errc::bad_length, where + " is used by profile A and must be 32 bytes, got " +
                                            std::to_string(k.key.size()));
  if (scheme_id == 2) {
    const bool ok = (k.key.size() == 33 && (k.key[0] == 0x02 || k.key[0] == 0x03)) ||
                    (k.key.size() == 65 && k.key[0] == 0x04);
    if (!ok)
      return make_error(errc::bad_value,
                        where +
                            " is used by profile B and must be a compressed (33 bytes, 02/03)"
                            " or uncompressed (65 bytes, 04) point, got " +
                            std::to_string(k.key.size()) + " bytes");
  }
  if (k.key.empty()) return make_error(errc::bad_value, where + " is empty");
  return {};
}

}  // namespace

status check_suci_calc_info(const ef_suci_calc_info& info) {
  for (std::size_t i = 0; i < info.keys.size(); ++i)
    for (std::size_t j = i + 1; j < info.keys.size(); ++j)
      if (info.keys[i].id == info.keys[j].id)
        return make_error(errc::conflict, std::string(suci_file) + ": home network public key id " +
                                              std::to_string(info.keys[i].id) + " appears twice");
  for (std::size_t i = 0; i < info.schemes.size(); ++i) {
    const auto& e = info.schemes[i];
    const std::string where = std::string(suci_file) + ": scheme entry " + std::to_string(i + 1) +
                              " (scheme " + std::to_string(e.scheme_id) + ", key index " +
                              std::to_string(e.key_index) + ")";
    if (e.scheme_id > 15) return make_error(errc::bad_value, where + ": scheme id exceeds 4 bits");
    if (e.scheme_id == 0) {
      if (e.key_index != 0)
        return make_error(errc::bad_value, where + ": the null scheme takes key index 0");
      continue;
    }
    if (e.key_index == 0) {
      if (e.scheme_id <= 2)
        return make_error(errc::bad_value, where + ": profile A and B need a key (index >= 1)");
      continue;  // an operator-specific scheme may do without a key
    }
    if (e.key_index > info.keys.size())
      return make_error(errc::bad_value,
                        where + ": the key list has " + std::to_string(info.keys.size()) + " keys");
    OTAFLOW_TRY(check_key_for_scheme(e.scheme_id, info.keys[e.key_index - 1u]));
  }
  for (const auto& k : info.keys)
    if (k.key.empty())
      return make_error(errc::bad_value,
                        std::string(suci_file) + ": key id " + std::to_string(k.id) + " is empty");
  return {};
}

result<ef_suci_calc_info> decode_suci_calc_info(byte_view data) {
  if (data.empty()) return truncated(suci_file, 2, 0);
  if (all_ff(data))
    return make_error(errc::not_found,
                      std::string(suci_file) + " is empty (all 'FF'): not provisioned");
  byte_reader r(data);
  auto a0 = read_tlv(r, suci_file);
  if (!a0) return a0.error();
  if (a0->tag != 0xA0)
    return make_error(errc::bad_value, std::string(suci_file) + ": first tag is '" +
                                           to_hex(a0->tag & 0xFF, 2, hex_case::upper) +
                                           "', expected 'A0' (Protection Scheme Identifier List)");
  if (a0->value.size() % 2 != 0)
    return make_error(errc::bad_length, std::string(suci_file) + ": 'A0' length " +
                                            std::to_string(a0->value.size()) +
                                            " is odd; entries are 2 bytes (scheme id, key index)");
  ef_suci_calc_info info;
  for (std::size_t i = 0; i < a0->value.size(); i += 2)
    info.schemes.push_back({a0->value[i], a0->value[i + 1]});

  std::uint8_t next = 0xFF;
  (void)r.peek(next);
  if (!r.empty() && next != 0xFF) {
    auto a1 = read_tlv(r, suci_file);
    if (!a1) return a1.error();
    if (a1->tag != 0xA1)
      return make_error(errc::bad_value, std::string(suci_file) + ": tag '" +
                                             to_hex(a1->tag & 0xFF, 2, hex_case::upper) +
                                             "' after 'A0', expected 'A1' (Home Network Public "
                                             "Key List)");
    auto objs = ber_decode_all_views(a1->value);
    if (!objs) return with_context(std::move(objs).error(), std::string(suci_file) + " 'A1': ");
    for (std::size_t i = 0; i < objs->size(); ++i) {
      const auto& id = (*objs)[i];
      if (id.tag != 0x80)
        return make_error(errc::bad_value, std::string(suci_file) + " 'A1': object " +
                                               std::to_string(i) + " has tag '" +
                                               to_hex(id.tag & 0xFF, 2, hex_case::upper) +
                                               "', expected '80' (key identifier)");
      if (id.value.size() != 1)
        return make_error(errc::bad_length, std::string(suci_file) +
                                                " 'A1': key identifier length " +
                                                std::to_string(id.value.size()) + ", expected 1");
      if (i + 1 >= objs->size() || (*objs)[i + 1].tag != 0x81)
        return make_error(errc::bad_value, std::string(suci_file) + " 'A1': key id " +
                                               std::to_string(id.value[0]) +
                                               " is not followed by a key (tag '81')");
      const auto& key = (*objs)[++i];
      info.keys.push_back({id.value[0], bytes(key.value.begin(), key.value.end())});
    }
  }
  OTAFLOW_TRY(check_padding(r.rest(), suci_file, r.position()));
  OTAFLOW_TRY(check_suci_calc_info(info));
  return info;
}

status encode_suci_calc_info(const ef_suci_calc_info& info, std::size_t file_size, byte_writer& w) {
  OTAFLOW_TRY(check_suci_calc_info(info));
  bytes list;
  for (const auto& e : info.schemes) {
    list.push_back(e.scheme_id);
    list.push_back(e.key_index);
  }
  bytes content;
  byte_writer out(content);
  OTAFLOW_TRY(ber_encode(0xA0, list, out));
  if (!info.keys.empty()) {
    byte_writer keys;
    for (const auto& k : info.keys) {
      const std::uint8_t id[] = {k.id};
      OTAFLOW_TRY(ber_encode(0x80, id, keys));
      OTAFLOW_TRY(ber_encode(0x81, k.key, keys));
    }
    OTAFLOW_TRY(ber_encode(0xA1, keys.data(), out));
  }
  return pad_to(file_size, suci_file, w, content);
}

result<selected_protection> select_protection(const ef_suci_calc_info& info,
                                              std::span<const std::uint8_t> supported) {
  OTAFLOW_TRY(check_suci_calc_info(info));
  for (const auto& e : info.schemes) {
    if (std::find(supported.begin(), supported.end(), e.scheme_id) == supported.end()) continue;
    selected_protection s;
    s.scheme_id = e.scheme_id;
    if (e.key_index != 0) {
      const auto& k = info.keys[e.key_index - 1u];
      s.key_id = k.id;
      s.key = k.key;
    }
    return s;
  }
  return make_error(errc::not_found, std::string(suci_file) + ": none of the " +
                                         std::to_string(info.schemes.size()) +
                                         " listed protection schemes is supported");
}

result<ef_suci_calc_info> rotate_hn_key(const ef_suci_calc_info& info, std::uint8_t scheme_id,
                                        const hn_public_key& new_key, bool keep_unused) {
  if (scheme_id == 0 || scheme_id > 15)
    return make_error(errc::bad_argument, "key rotation needs a scheme with keys, got scheme " +
                                              std::to_string(scheme_id));
  OTAFLOW_TRY(check_key_for_scheme(scheme_id, new_key));
  ef_suci_calc_info out = info;
  // Find or append the new key.
  std::size_t pos = out.keys.size();
  for (std::size_t i = 0; i < out.keys.size(); ++i)
    if (out.keys[i].id == new_key.id) {
      if (out.keys[i].key != new_key.key)
        return make_error(errc::conflict, std::string(suci_file) + ": key id " +
                                              std::to_string(new_key.id) +
                                              " already holds a different key; a rotation needs "
                                              "a new key id");
      pos = i;
    }
  if (pos == out.keys.size()) out.keys.push_back(new_key);
  const auto index = static_cast<std::uint8_t>(pos + 1);
  if (pos + 1 > 0xFF)
    return make_error(errc::too_long, std::string(suci_file) + ": more than 255 keys");
  bool listed = false;
  for (auto& e : out.schemes)
    if (e.scheme_id == scheme_id) {
      e.key_index = index;
      listed = true;
    }
  if (!listed) out.schemes.insert(out.schemes.begin(), {scheme_id, index});
  if (!keep_unused) {
    // Drop keys no entry references and renumber the indexes.
    std::vector<hn_public_key> kept;
    std::vector<std::uint8_t> remap(out.keys.size() + 1, 0);
    for (std::size_t i = 0; i < out.keys.size(); ++i) {
      const bool used = std::any_of(out.schemes.begin(), out.schemes.end(),
                                    [&](const auto& e) { return e.key_index == i + 1; });
      if (used) {
        kept.push_back(out.keys[i]);
        remap[i + 1] = static_cast<std::uint8_t>(kept.size());
      }
    }
    for (auto& e : out.schemes) e.key_index = remap[e.key_index];
    out.keys = std::move(kept);
  }
  OTAFLOW_TRY(check_suci_calc_info(out));
  return out;
}

// =============================================================================================
// EF.OPL5G
// =============================================================================================

result<std::optional<opl5g_entry>> decode_opl5g(byte_view record) {
  if (record.size() < opl5g_record_size)
    return truncated("EF.OPL5G record", opl5g_record_size, record.size());
  if (all_ff(record)) return std::optional<opl5g_entry>{};
  auto id = decode_plmn_wild(record.first(3));
  if (!id) return with_context(std::move(id).error(), "EF.OPL5G: ");
  opl5g_entry e;
  e.id = std::move(*id);
  e.tac_start = load24(record.subspan(3, 3));
  e.tac_end = load24(record.subspan(6, 3));
  e.pnn_record = record[9];
  return std::optional<opl5g_entry>{e};
}

status encode_opl5g(const std::optional<opl5g_entry>& entry, byte_writer& w) {
  if (!entry) {
    w.fill(opl5g_record_size, 0xFF);
    return {};
  }
  if (entry->tac_start > 0xFFFFFF || entry->tac_end > 0xFFFFFF)
    return make_error(errc::bad_value, "EF.OPL5G: TAC range " + std::to_string(entry->tac_start) +
                                           ".." + std::to_string(entry->tac_end) +
                                           " exceeds 24 bits");
  byte_writer t;
  OTAFLOW_TRY(encode_plmn_wild(entry->id, t));
  t.u24(entry->tac_start);
  t.u24(entry->tac_end);
  t.u8(entry->pnn_record);
  w.append(t.data());
  return {};
}

// =============================================================================================
// EF.SUPI_NAI
// =============================================================================================

result<ef_supi_nai> decode_supi_nai(byte_view data) {
  constexpr const char* file = "EF.SUPI_NAI";
  ef_supi_nai out;
  byte_reader r(data);
  while (!r.empty()) {
    std::uint8_t b = 0;
    (void)r.peek(b);
    if (b == 0xFF) break;
    auto t = read_tlv(r, file);
    if (!t) return t.error();
    std::optional<std::string>* slot = t->tag == 0x80   ? &out.nsi
                                       : t->tag == 0x81 ? &out.gli
                                       : t->tag == 0x82 ? &out.gci
                                                        : nullptr;
    if (!slot)
      return make_error(errc::bad_value, std::string(file) + ": unexpected tag '" +
                                             to_hex(t->tag & 0xFF, 2, hex_case::upper) + "'");
    if (*slot)
      return make_error(errc::bad_value, std::string(file) + ": tag '" +
                                             to_hex(t->tag & 0xFF, 2, hex_case::upper) +
                                             "' appears twice");
    if (t->value.empty()) continue;
    *slot = std::string(t->value.begin(), t->value.end());
  }
  OTAFLOW_TRY(check_padding(r.rest(), file, r.position()));
  return out;
}

status encode_supi_nai(const ef_supi_nai& nai, std::size_t file_size, byte_writer& w) {
  bytes content;
  byte_writer t(content);
  for (auto [tag, v] :
       {std::pair{0x80u, &nai.nsi}, std::pair{0x81u, &nai.gli}, std::pair{0x82u, &nai.gci}})
    if (*v) {
      if ((*v)->empty())
        return make_error(errc::bad_value, "EF.SUPI_NAI: tag '" + to_hex(tag, 2, hex_case::upper) +
                                               "' value is empty");
      OTAFLOW_TRY(ber_encode(
          tag, byte_view(reinterpret_cast<const std::uint8_t*>((*v)->data()), (*v)->size()), t));
    }
  return pad_to(file_size, "EF.SUPI_NAI", w, content);
}

// =============================================================================================
// EF.Routing_Indicator
// =============================================================================================

result<std::optional<std::string>> decode_routing_indicator(byte_view data) {
  if (data.size() < routing_indicator_size)
    return truncated("EF.Routing_Indicator", routing_indicator_size, data.size());
  if (data[0] == 0xFF && data[1] == 0xFF) return std::optional<std::string>{};
  const unsigned d[4] = {data[0] & 0xFu, static_cast<unsigned>(data[0] >> 4), data[1] & 0xFu,
                         static_cast<unsigned>(data[1] >> 4)};
  std::string out;
  for (unsigned i = 0; i < 4; ++i) {
    if (d[i] == 0xF) {
      for (unsigned j = i + 1; j < 4; ++j)
        if (d[j] != 0xF)
          return make_error(errc::bad_value, "EF.Routing_Indicator " + to_hex(data.first(2)) +
                                                 ": digit after the 'F' filler");
      break;
    }
    if (d[i] > 9)
      return make_error(errc::bad_value,
                        "EF.Routing_Indicator " + to_hex(data.first(2)) + " is not BCD");
    out.push_back(static_cast<char>('0' + d[i]));
  }
  return std::optional<std::string>{out};
}

status encode_routing_indicator(const std::optional<std::string>& digits, byte_writer& w) {
  if (!digits) {
    w.fill(routing_indicator_size, 0xFF);
    return {};
  }
  if (digits->empty() || digits->size() > 4 || !is_digits(*digits))
    return make_error(errc::bad_value, "routing indicator \"" + *digits +
                                           "\" must be 1 to 4 decimal digits (TS 24.501 "
                                           "§9.11.3.4)");
  unsigned d[4] = {0xF, 0xF, 0xF, 0xF};
  for (std::size_t i = 0; i < digits->size(); ++i) d[i] = static_cast<unsigned>((*digits)[i] - '0');
  w.u8(static_cast<std::uint8_t>((d[1] << 4) | d[0]));
  w.u8(static_cast<std::uint8_t>((d[3] << 4) | d[2]));
  w.fill(2, 0xFF);  // RFU
  return {};
}

// =============================================================================================
// Default contents
// =============================================================================================

result<bytes> default_5gs_content(const ef_spec& spec, const std::optional<plmn>& hplmn) {
  byte_writer w;
  switch (spec.fid) {
    case fid::ef_5gs3gpp_loci:
    case fid::ef_5gsn3gpp_loci:
      OTAFLOW_TRY(encode_5gs_loci(loci_5gs_reset(hplmn), w));
      break;
    case fid::ef_5gs3gpp_nsc:
    case fid::ef_5gsn3gpp_nsc:
      for (unsigned i = 0; i < record_count(spec); ++i)
        OTAFLOW_TRY(encode_5gs_nsc(nas_security_context_5gs{}, spec.record_len, w));
      break;
    case fid::ef_uac_aic:
      encode_uac_aic({}, w);
      break;
    case fid::ef_suci_calc_info: {
      ef_suci_calc_info null_only;
      null_only.schemes.push_back({0, 0});
      OTAFLOW_TRY(encode_suci_calc_info(null_only, spec.size, w));
      break;
    }
    case fid::ef_routing_indicator:
      OTAFLOW_TRY(encode_routing_indicator(std::string("0"), w));
      break;
    case fid::ef_5g_auth_keys:
    case fid::ef_opl5g:
    case fid::ef_supi_nai:
      w.fill(spec.size, 0xFF);
      break;
    default:
      return make_error(errc::not_found, std::string(spec.name) + " (" +
                                             to_hex(spec.fid, 4, hex_case::upper) +
                                             ") is not a DF.5GS file");
  }
  if (w.size() < spec.size) w.fill(spec.size - w.size(), 0xFF);
  if (w.size() != spec.size)
    return make_error(errc::internal, std::string(spec.name) + ": default content of " +
                                          std::to_string(w.size()) + " bytes for a file of " +
                                          std::to_string(spec.size));
  return w.take();
}

}  // namespace otaflow::codec::ts31102
