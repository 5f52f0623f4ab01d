#include "sim/uicc_apdu.hpp"

#include <algorithm>
#include <cstring>

#include "codec/iso7816_sw.hpp"
#include "codec/otaflow_keyfile.hpp"
#include "codec/ts31102_5gs.hpp"
#include "codec/ts31102_ef.hpp"
#include "secure/key_rotation.hpp"
#include "secure/milenage.hpp"
#include "sim/card_suci.hpp"

namespace otaflow::sim {

namespace ts = codec::ts31102;
namespace sw = codec::sw;
namespace ins = codec::ins;
using codec::command_apdu;
using codec::response_apdu;

namespace {

const ts::df_spec* find_df(std::uint16_t fid) noexcept {
  for (const auto& d : ts::file_system)
    if (d.fid == fid) return &d;
  return nullptr;
}

std::uint16_t parent_of(std::uint16_t df) noexcept {
  const auto* d = find_df(df);
  return d ? d->parent : 0;
}

response_apdu reply(std::uint16_t s) {
  return {{}, s};
}

/// TS 51.011 §9.4 status words for a CLA A0 session.
std::uint16_t gsm_sw(std::uint16_t s) noexcept {
  switch (s) {
    case sw::file_not_found:
    case sw::wrong_p1p2_param:
      return sw::sim_file_not_found;
    case sw::security_not_satisfied:
      return sw::sim_access_not_fulfilled;
    case sw::no_ef_selected:
      return sw::sim_no_ef_selected;
    case sw::record_not_found:
      return sw::sim_out_of_range;
    case sw::incompatible_file_structure:
      return sw::sim_file_inconsistent;
    case sw::pin_blocked:
      return sw::sim_chv_blocked;
    default:
      break;
  }
  if ((s & 0xFFF0) == sw::retries_mask) return sw::sim_no_chv;  // 98 04 in TS 51.011 terms
  if ((s & 0xFF00) == sw::wrong_le) return 0x6700 | (s & 0xFF);
  return s;
}

/// EF.ARR record (TS 102 221 §9.5) describing an EF's (read, update) conditions.
std::uint8_t arr_record(ts::access read, ts::access update) noexcept {
  using enum ts::access;
  if (read == always && update == adm) return 1;
  if (read == pin1 && update == pin1) return 2;
  if (read == pin1 && update == adm) return 3;
  if (read == never && update == adm) return 4;
  if (read == always && update == never) return 5;
  if (read == always && update == pin1) return 6;
  return 7;
}

/// TS 51.011 §9.3 access condition nibble.
std::uint8_t gsm_ac(ts::access a) noexcept {
  switch (a) {
    case ts::access::always:
      return 0x0;
    case ts::access::pin1:
      return 0x1;
    case ts::access::adm:
      return 0x4;
    case ts::access::never:
      return 0xF;
  }
  return 0xF;
}

void tlv(byte_writer& w, std::uint8_t tag, byte_view v) {
  w.u8(tag);
  w.u8(static_cast<std::uint8_t>(v.size()));
  w.append(v);
}

std::uint16_t sw_with_len(std::uint16_t base, std::size_t n) {
  return static_cast<std::uint16_t>(base | (n >= 256 ? 0 : n));
}

}  // namespace

bytes file_control_parameters(const uicc_data& card, std::uint16_t df, const ts::ef_spec* ef,
                              bool pin1_enabled) {
  byte_writer in;
  if (ef) {
    // File descriptor (§11.1.1.4.3): 41 transparent, 42 linear fixed, 46 cyclic (working EF,
    // shareable), data coding byte 21; record EFs add record length (2 octets) and count.
    if (ef->structure == ts::ef_structure::transparent) {
      const std::uint8_t d[] = {0x41, 0x21};
      tlv(in, 0x82, d);
    } else {
      const std::uint8_t d[] = {
          static_cast<std::uint8_t>(ef->structure == ts::ef_structure::cyclic ? 0x46 : 0x42), 0x21,
          0x00, ef->record_len, static_cast<std::uint8_t>(ts::record_count(*ef))};
      tlv(in, 0x82, d);
    }
    const std::uint8_t id[] = {static_cast<std::uint8_t>(ef->fid >> 8),
                               static_cast<std::uint8_t>(ef->fid)};
    tlv(in, 0x83, id);
    const std::uint8_t lcsi[] = {0x05};  // operational state, activated (§11.1.1.4.9)
    tlv(in, 0x8A, lcsi);
    const std::uint16_t arr = df == ts::fid::mf ? 0x2F06 : 0x6F06;
    const std::uint8_t sec[] = {static_cast<std::uint8_t>(arr >> 8), static_cast<std::uint8_t>(arr),
                                arr_record(ef->read, ef->update)};
    tlv(in, 0x8B, sec);
    const std::uint8_t size[] = {static_cast<std::uint8_t>(ef->size >> 8),
                                 static_cast<std::uint8_t>(ef->size)};
    tlv(in, 0x80, size);
    // SFI (§11.1.1.4.8): b8-b4 of the value; an empty 88 means "no SFI".
    if (ef->sfi) {
      const std::uint8_t sfi[] = {static_cast<std::uint8_t>(ef->sfi << 3)};
      tlv(in, 0x88, sfi);
    } else {
      tlv(in, 0x88, {});
    }
  } else {
    const std::uint8_t d[] = {0x78, 0x21};  // DF or ADF, shareable
    tlv(in, 0x82, d);
    const std::uint8_t id[] = {static_cast<std::uint8_t>(df >> 8), static_cast<std::uint8_t>(df)};
    tlv(in, 0x83, id);
    if (df == ts::fid::adf_usim) tlv(in, 0x84, ts::usim_aid);
    const std::uint8_t lcsi[] = {0x05};
    tlv(in, 0x8A, lcsi);
    const std::uint8_t sec[] = {0x2F, 0x06, 0x01};
    tlv(in, 0x8B, sec);
    // PIN status template DO (§11.1.1.4.10): PS_DO b8 = PIN1 enabled; key references
    // 01 (PIN1) and 0A (ADM1).
    const std::uint8_t ps[] = {0x90, 0x01, static_cast<std::uint8_t>(pin1_enabled ? 0x80 : 0x00),
                               0x83, 0x01, 0x01,
                               0x83, 0x01, 0x0A};
    tlv(in, 0xC6, ps);
    std::uint32_t total = 0;
    if (const auto* d2 = find_df(df))
      for (const auto& e : d2->files) total += e.size;
    const std::uint8_t tot[] = {static_cast<std::uint8_t>(total >> 8),
                                static_cast<std::uint8_t>(total)};
    tlv(in, 0x81, tot);
  }
  (void)card;
  byte_writer out;
  out.u8(0x62);
  out.u8(static_cast<std::uint8_t>(in.size()));
  out.append(in.data());
  return out.take();
}

uicc_session::uicc_session(uicc_data& card, const card_profile& profile, access_level rights,
                           std::uint16_t start_df)
    : card_(card), profile_(profile), start_df_(start_df), df_(start_df) {
  adm_ok_ = rights == access_level::adm;
  pin1_ok_ = rights != access_level::always;
}

void uicc_session::reset() {
  df_ = start_df_;
  ef_ = nullptr;
  record_ = 0;
  pending_.clear();
}

bool uicc_session::allowed(ts::access ac) const noexcept {
  switch (ac) {
    case ts::access::always:
      return true;
    case ts::access::pin1:
      return pin1_ok_ || adm_ok_;
    case ts::access::adm:
      return adm_ok_;
    case ts::access::never:
      return false;
  }
  return false;
}

response_apdu uicc_session::answer(const command_apdu& c, bytes data, bool gsm, std::uint16_t s) {
  pending_.clear();
  if (data.empty()) return reply(s);
  const std::uint16_t more = gsm ? sw::sim_response_available : sw::response_available;
  if (!c.le) {
    // T=0 (TS 102 221 §7.3.1.1.4): a command without Le leaves its data for GET RESPONSE.
    pending_ = std::move(data);
    return reply(sw_with_len(more, pending_.size()));
  }
  const std::size_t ne = *c.le;
  if (data.size() > ne) {
    pending_.assign(data.begin() + static_cast<std::ptrdiff_t>(ne), data.end());
    data.resize(ne);
    return {std::move(data), sw_with_len(sw::response_available, pending_.size())};
  }
  return {std::move(data), s};
}

response_apdu uicc_session::process(const command_apdu& c) {
  const bool gsm = c.cla == codec::cla::gsm;
  const bool iso = (c.cla & 0xF0) == 0x00;
  const bool prop = (c.cla & 0xF0) == 0x80;
  if (!gsm && !iso && !prop) return reply(sw::cla_not_supported);
  if (!gsm && (c.cla & 0x03) != 0) return reply(sw::channel_not_supported);
  if (!gsm && (c.cla & 0x0C) != 0) return reply(sw::secure_messaging_not_supported);

  // A card vendor's key command (its card profile's key_profile, sim/card_key_profile.hpp).
  if (profile_.key_profile == card_key_profile::example_apdu && c.cla == example_key_cla &&
      c.ins == example_key_ins) {
    pending_.clear();
    return example_key_command(card_, c, adm_ok_);
  }
  // Which class each instruction uses: ISO (00) or TS 102 221 proprietary (80), plus A0.
  bool known = true;
  bool wants_iso = true;
  bool either = false;  // GET IDENTITY: CLA 0X or 8X accepted (docs/formats/suci.md)
  switch (c.ins) {
    case ins::select:
    case ins::read_binary:
    case ins::update_binary:
    case ins::read_record:
    case ins::update_record:
    case ins::get_response:
    case ins::verify:
    case ins::authenticate:
      break;
    case ins::status:
      wants_iso = false;
      break;
    case ins::get_identity:
      either = true;
      break;
    default:
      known = false;
  }
  if (!known) {
    pending_.clear();
    return reply(sw::ins_not_supported);
  }
  if (!gsm && !either && (wants_iso ? !iso : !prop)) return reply(sw::cla_not_supported);
  if (gsm && (c.ins == ins::authenticate || c.ins == ins::get_identity))
    return reply(sw::ins_not_supported);

  if (c.ins != ins::get_response) pending_.clear();
  response_apdu r;
  switch (c.ins) {
    case ins::select:
      r = select(c, gsm);
      break;
    case ins::status:
      r = status_cmd(c, gsm);
      break;
    case ins::read_binary:
      r = read_binary(c, gsm);
      break;
    case ins::update_binary:
      r = update_binary(c, gsm);
      break;
    case ins::read_record:
      r = read_record(c, gsm);
      break;
    case ins::update_record:
      r = update_record(c, gsm);
      break;
    case ins::get_response:
      r = get_response(c, gsm);
      break;
    case ins::authenticate:
      r = authenticate(c);
      break;
    case ins::get_identity:
      r = get_identity(c);
      break;
    case ins::verify:
      r = verify(c, gsm);
      break;
    default:
      r = reply(sw::ins_not_supported);
  }
  if (gsm) r.sw = gsm_sw(r.sw);
  return r;
}

// ---- SELECT ---------------------------------------------------------------------------------

bool uicc_session::resolve_fid(std::uint16_t fid, target& out) const {
  // TS 102 221 §8.4.1: the MF, the current DF, its parent, its child DFs, its EFs, the
  // DFs that are children of its parent, and 7FFF for the current application.
  if (fid == ts::fid::mf || fid == ts::fid::adf_usim || fid == df_) {
    out = {fid, nullptr};
    return true;
  }
  const std::uint16_t parent = parent_of(df_);
  if (fid == parent && parent != 0) {
    out = {parent, nullptr};
    return true;
  }
  for (const auto& d : ts::file_system)
    if (d.fid == fid && (d.parent == df_ || (parent != 0 && d.parent == parent))) {
      out = {fid, nullptr};
      return true;
    }
  if (const auto* e = ts::find_ef(df_, fid)) {
    out = {df_, e};
    return true;
  }
  return false;
}

void uicc_session::make_current(const target& t) {
  df_ = t.df;
  ef_ = t.ef;
  record_ = 0;
}

bytes uicc_session::fcp() const {
  return file_control_parameters(card_, df_, ef_, profile_.pin1_enabled);
}

bytes uicc_session::gsm_response() const {
  // TS 51.011 §9.2.1 response parameters of SELECT / STATUS.
  byte_writer w;
  if (ef_) {
    w.u16(0x0000);
    w.u16(ef_->size);
    w.u16(ef_->fid);
    w.u8(0x04);  // EF
    w.u8(0x00);
    w.u8(static_cast<std::uint8_t>((gsm_ac(ef_->read) << 4) | gsm_ac(ef_->update)));
    w.u8(0x44);  // INCREASE: ADM; RFU
    w.u8(0x44);  // REHABILITATE / INVALIDATE: ADM
    w.u8(0x01);  // not invalidated
    w.u8(0x02);
    w.u8(ef_->structure == ts::ef_structure::transparent    ? 0x00
         : ef_->structure == ts::ef_structure::linear_fixed ? 0x01
                                                            : 0x03);
    w.u8(ef_->record_len);
  } else {
    const auto* d = find_df(df_);
    std::uint8_t dfs = 0;
    for (const auto& x : ts::file_system)
      if (x.parent == df_) ++dfs;
    w.u16(0x0000);
    w.u16(0x0000);  // free memory: not reported
    w.u16(df_);
    w.u8(df_ == ts::fid::mf ? 0x01 : 0x02);
    w.fill(5, 0x00);
    w.u8(0x09);  // length of the GSM specific data that follows
    w.u8(0x00);  // file characteristics
    w.u8(dfs);
    w.u8(static_cast<std::uint8_t>(d ? d->files.size() : 0));
    w.u8(0x04);  // CHVs, UNBLOCK CHVs and administrative codes
    w.u8(0x00);
    w.u8(static_cast<std::uint8_t>(0x80 | pin1_tries_));  // CHV1 initialised, tries left
    w.u8(0x8A);                                           // UNBLOCK CHV1: 10 tries
    w.u8(0x83);                                           // CHV2
    w.u8(0x8A);                                           // UNBLOCK CHV2
  }
  return w.take();
}

response_apdu uicc_session::select(const command_apdu& c, bool gsm) {
  if (gsm) {
    // TS 51.011 §9.2.1: A0 A4 00 00 02 FID.
    if (c.p1 != 0 || c.p2 != 0) return reply(sw::wrong_p1p2);
    if (c.data.size() != 2) return reply(sw::wrong_length);
    target t;
    if (!resolve_fid(static_cast<std::uint16_t>((c.data[0] << 8) | c.data[1]), t))
      return reply(sw::file_not_found);
    make_current(t);
    return answer(c, gsm_response(), true);
  }
  // P2 (TS 102 221 §11.1.1.2): b4-b3 = 01 FCP, 11 no data; 00 (ISO FCI) answered with the
  // FCP too; b2-b1 must be 00 (first occurrence).
  const std::uint8_t ret = c.p2 & 0x0C;
  if ((c.p2 & 0xF3) != 0 || ret == 0x08) return reply(sw::wrong_p1p2_param);
  target t;
  switch (c.p1) {
    case 0x00: {  // by FID; empty data selects the MF
      if (c.data.empty()) {
        t = {ts::fid::mf, nullptr};
        break;
      }
      if (c.data.size() != 2) return reply(sw::wrong_length);
      if (!resolve_fid(static_cast<std::uint16_t>((c.data[0] << 8) | c.data[1]), t))
        return reply(sw::file_not_found);
      break;
    }
    case 0x01: {  // child DF of the current DF
      if (c.data.size() != 2) return reply(sw::wrong_length);
      const auto fid = static_cast<std::uint16_t>((c.data[0] << 8) | c.data[1]);
      const auto* d = find_df(fid);
      if (!d || (d->parent != df_ && !(fid == ts::fid::adf_usim && df_ == ts::fid::mf)))
        return reply(sw::file_not_found);
      t = {fid, nullptr};
      break;
    }
    case 0x02: {  // EF under the current DF
      if (c.data.size() != 2) return reply(sw::wrong_length);
      const auto* e = ts::find_ef(df_, static_cast<std::uint16_t>((c.data[0] << 8) | c.data[1]));
      if (!e) return reply(sw::file_not_found);
      t = {df_, e};
      break;
    }
    case 0x03: {  // parent DF
      if (!c.data.empty()) return reply(sw::wrong_length);
      const std::uint16_t p = parent_of(df_);
      if (p == 0) return reply(sw::file_not_found);
      t = {p, nullptr};
      break;
    }
    case 0x04: {  // by DF name (AID), right-truncated AIDs of at least the RID accepted
      if (c.data.size() < 5 || c.data.size() > ts::usim_aid.size())
        return reply(sw::file_not_found);
      if (!std::equal(c.data.begin(), c.data.end(), ts::usim_aid.begin()))
        return reply(sw::file_not_found);
      t = {ts::fid::adf_usim, nullptr};
      break;
    }
    case 0x08:    // path from the MF (without 3F00)
    case 0x09: {  // path from the current DF
      if (c.data.empty() || c.data.size() % 2 != 0) return reply(sw::wrong_length);
      std::uint16_t at = c.p1 == 0x08 ? ts::fid::mf : df_;
      std::size_t i = 0;
      // A leading 3F00 in a path from the MF is tolerated (some tools send it).
      if (c.p1 == 0x08 && c.data[0] == 0x3F && c.data[1] == 0x00) i = 2;
      if (i == c.data.size()) {
        t = {ts::fid::mf, nullptr};
        break;
      }
      for (; i < c.data.size(); i += 2) {
        const auto fid = static_cast<std::uint16_t>((c.data[i] << 8) | c.data[i + 1]);
        const bool last = i + 2 == c.data.size();
        const auto* d = find_df(fid);
        if (d && d->parent == at) {
          at = fid;
          if (last) t = {fid, nullptr};
          continue;
        }
        const auto* e = last ? ts::find_ef(at, fid) : nullptr;
        if (!e) return reply(sw::file_not_found);
        t = {at, e};
      }
      break;
    }
    default:
      return reply(sw::wrong_p1p2_param);
  }
  make_current(t);
  if (ret == 0x0C) return reply(sw::ok);
  return answer(c, fcp(), false);
}

response_apdu uicc_session::status_cmd(const command_apdu& c, bool gsm) {
  if (gsm) {
    if (c.p1 != 0 || c.p2 != 0) return reply(sw::wrong_p1p2);
    const auto saved = ef_;
    ef_ = nullptr;  // STATUS describes the current directory
    bytes r = gsm_response();
    ef_ = saved;
    return answer(c, std::move(r), true);
  }
  if (c.p1 > 0x02) return reply(sw::wrong_p1p2);
  switch (c.p2) {
    case 0x00:
      return answer(c, file_control_parameters(card_, df_, nullptr, profile_.pin1_enabled), false);
    case 0x01: {
      if (df_ != ts::fid::adf_usim) return answer(c, {}, false);
      byte_writer w;
      tlv(w, 0x84, ts::usim_aid);
      return answer(c, w.take(), false);
    }
    case 0x0C:
      return reply(sw::ok);
    default:
      return reply(sw::wrong_p1p2);
  }
}

// ---- Transparent EFs -------------------------------------------------------------------------

std::uint16_t uicc_session::select_sfi(std::uint8_t sfi) {
  const auto* e = ts::find_ef_by_sfi(df_, sfi);
  if (!e) return sw::file_not_found;
  make_current({df_, e});
  return sw::ok;
}

response_apdu uicc_session::read_binary(const command_apdu& c, bool gsm) {
  std::size_t offset = 0;
  if (!gsm && (c.p1 & 0x80)) {
    if (c.p1 & 0x60) return reply(sw::wrong_p1p2_param);
    if (auto s = select_sfi(c.p1 & 0x1F); s != sw::ok) return reply(s);
    offset = c.p2;
  } else {
    offset = (static_cast<std::size_t>(c.p1 & 0x7F) << 8) | c.p2;
  }
  if (!ef_) return reply(sw::no_ef_selected);
  if (ef_->structure != ts::ef_structure::transparent)
    return reply(sw::incompatible_file_structure);
  if (!allowed(ef_->read)) return reply(sw::security_not_satisfied);
  if (offset >= ef_->size) return reply(gsm ? sw::sim_out_of_range : sw::wrong_p1p2);
  const std::size_t ne = c.le.value_or(256);
  const bytes content = card_.content(df_, *ef_);
  const std::size_t n = std::min(ne, content.size() - offset);
  bytes out(content.begin() + static_cast<std::ptrdiff_t>(offset),
            content.begin() + static_cast<std::ptrdiff_t>(offset + n));
  // Ne = 256 (P3 00) asks for "everything up to 256"; a shorter explicit Ne past the end of
  // the file gets the octets there are with 6282 (ISO 7816-4 §7.2.3, end of file reached).
  const std::uint16_t s = (n < ne && ne != 256) ? sw::end_of_file : sw::ok;
  pending_.clear();
  return {std::move(out), s};
}

response_apdu uicc_session::update_binary(const command_apdu& c, bool gsm) {
  std::size_t offset = 0;
  if (!gsm && (c.p1 & 0x80)) {
    if (c.p1 & 0x60) return reply(sw::wrong_p1p2_param);
    if (auto s = select_sfi(c.p1 & 0x1F); s != sw::ok) return reply(s);
    offset = c.p2;
  } else {
    offset = (static_cast<std::size_t>(c.p1 & 0x7F) << 8) | c.p2;
  }
  if (!ef_) return reply(sw::no_ef_selected);
  if (ef_->structure != ts::ef_structure::transparent)
    return reply(sw::incompatible_file_structure);
  if (!allowed(ef_->update)) return reply(sw::security_not_satisfied);
  if (c.data.empty()) return reply(sw::wrong_length);
  if (offset >= ef_->size) return reply(gsm ? sw::sim_out_of_range : sw::wrong_p1p2);
  if (offset + c.data.size() > ef_->size) return reply(sw::wrong_length);
  bytes content = card_.content(df_, *ef_);
  std::copy(c.data.begin(), c.data.end(), content.begin() + static_cast<std::ptrdiff_t>(offset));
  if (df_ == ts::fid::df_otaflow && ef_->fid == ts::fid::ef_otaflow_keys) {
    // Only cards of the otaflow-virtual key profile take keys through this file.
    if (profile_.key_profile != card_key_profile::otaflow_virtual)
      return reply(sw::security_not_satisfied);
    return update_key_file(content);
  }
  card_.store(df_, *ef_, std::move(content));
  return reply(sw::ok);
}

response_apdu uicc_session::update_key_file(const bytes& image) {
  // docs/formats/key-rotation-file.md: an erased (all FF) image clears the file; any other
  // image must open under the KIK its header names, with a sequence number above the last
  // one applied, before it is stored and its Ki/OPc take effect.
  if (codec::keyfile::is_empty(image)) {
    card_.store(df_, *ef_, image);
    return reply(sw::ok);
  }
  auto hdr = codec::keyfile::decode_header(byte_view(image).first(codec::keyfile::header_size));
  if (!hdr) return reply(sw::wrong_data);
  const ota_keyset* ks = card_.keyset(hdr->kik_index);
  if (!ks) return reply(sw::data_not_found);
  const std::uint32_t last = card_.state().key_file_sequence();
  auto opened = secure::open_key_file(ks->kik, image, last);
  if (!opened && opened.error().code == make_error_code(errc::conflict) && last != 0 &&
      hdr->sequence == last && card_.state().rotated_keys()) {
    // The file applied last, delivered again (a retry whose first PoR was lost): it installs
    // the keys already in force, so it succeeds without changing anything. Any other file
    // with an old sequence stays a replay.
    auto again = secure::open_key_file(ks->kik, image, last - 1);
    const auto& cur = *card_.state().rotated_keys();
    if (again && equal_ct(again->keys.ki, cur.first) && equal_ct(again->keys.opc, cur.second))
      return reply(sw::ok);
  }
  if (!opened) {
    return reply(opened.error().code == make_error_code(errc::conflict)
                     ? sw::conditions_not_satisfied
                     : sw::wrong_data);
  }
  card_.store(df_, *ef_, image);
  card_.state().set_rotated_keys(opened->keys.ki, opened->keys.opc, opened->hdr.sequence);
  return reply(sw::ok);
}

// ---- Record EFs ------------------------------------------------------------------------------

response_apdu uicc_session::read_record(const command_apdu& c, bool gsm) {
  const std::uint8_t sfi = static_cast<std::uint8_t>(c.p2 >> 3);
  const std::uint8_t mode = c.p2 & 0x07;
  if (sfi && !gsm) {
    if (auto s = select_sfi(sfi); s != sw::ok) return reply(s);
  }
  if (!ef_) return reply(sw::no_ef_selected);
  if (ef_->structure == ts::ef_structure::transparent)
    return reply(sw::incompatible_file_structure);
  if (!allowed(ef_->read)) return reply(sw::security_not_satisfied);
  const unsigned n = ts::record_count(*ef_);
  unsigned rec = 0;
  switch (mode) {
    case 0x04:
      rec = c.p1 == 0 ? record_ : c.p1;
      break;
    case 0x02:
      if (c.p1 != 0) return reply(sw::wrong_p1p2);
      rec = record_ + 1;
      break;
    case 0x03:
      if (c.p1 != 0) return reply(sw::wrong_p1p2);
      rec = record_ == 0 ? n : record_ - 1;
      break;
    default:
      return reply(sw::wrong_p1p2_param);
  }
  if (rec == 0 || rec > n) return reply(sw::record_not_found);
  const std::size_t ne = c.le.value_or(256);
  if (ne != 256 && ne != ef_->record_len)
    return reply(static_cast<std::uint16_t>(sw::wrong_le | ef_->record_len));
  record_ = rec;
  const bytes content = card_.content(df_, *ef_);
  const auto off = static_cast<std::ptrdiff_t>((rec - 1) * ef_->record_len);
  return {bytes(content.begin() + off, content.begin() + off + ef_->record_len), sw::ok};
}

response_apdu uicc_session::update_record(const command_apdu& c, bool gsm) {
  const std::uint8_t sfi = static_cast<std::uint8_t>(c.p2 >> 3);
  const std::uint8_t mode = c.p2 & 0x07;
  if (sfi && !gsm) {
    if (auto s = select_sfi(sfi); s != sw::ok) return reply(s);
  }
  if (!ef_) return reply(sw::no_ef_selected);
  if (ef_->structure == ts::ef_structure::transparent)
    return reply(sw::incompatible_file_structure);
  if (!allowed(ef_->update)) return reply(sw::security_not_satisfied);
  const unsigned n = ts::record_count(*ef_);
  unsigned rec = 0;
  switch (mode) {
    case 0x04:
      rec = c.p1 == 0 ? record_ : c.p1;
      break;
    case 0x02:
      if (c.p1 != 0) return reply(sw::wrong_p1p2);
      rec = record_ + 1;
      break;
    case 0x03:
      if (c.p1 != 0) return reply(sw::wrong_p1p2);
      rec = record_ == 0 ? n : record_ - 1;
      break;
    default:
      return reply(sw::wrong_p1p2_param);
  }
  if (rec == 0 || rec > n) return reply(sw::record_not_found);
  if (c.data.size() != ef_->record_len) return reply(sw::wrong_length);
  // The example vendor's key file: only its cards take it, and apply it with record 4
  // (sim/card_key_profile.hpp).
  const bool vendor_keys =
      df_ == ts::fid::df_example_vendor && ef_->fid == ts::fid::ef_example_keys;
  if (vendor_keys && profile_.key_profile != card_key_profile::example_record)
    return reply(sw::security_not_satisfied);
  record_ = rec;
  bytes content = card_.content(df_, *ef_);
  std::copy(c.data.begin(), c.data.end(),
            content.begin() + static_cast<std::ptrdiff_t>((rec - 1) * ef_->record_len));
  const std::uint16_t s = vendor_keys && rec == 4 ? example_record_apply(card_, content) : sw::ok;
  card_.store(df_, *ef_, std::move(content));
  return reply(s);
}

// ---- GET RESPONSE, AUTHENTICATE, VERIFY ------------------------------------------------------

response_apdu uicc_session::get_response(const command_apdu& c, bool gsm) {
  if (c.p1 != 0 || c.p2 != 0) return reply(sw::wrong_p1p2);
  if (pending_.empty()) return reply(sw::conditions_not_satisfied);
  const std::size_t ne = c.le.value_or(256);
  if (ne > pending_.size() && ne != 256)
    return reply(static_cast<std::uint16_t>(sw::wrong_le | pending_.size()));
  const std::size_t n = std::min(ne, pending_.size());
  bytes out(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
  if (!pending_.empty())
    return {std::move(out), sw_with_len(gsm ? sw::sim_response_available : sw::response_available,
                                        pending_.size())};
  return {std::move(out), sw::ok};
}

response_apdu uicc_session::authenticate(const command_apdu& c) {
  // TS 31.102 §7.1.2: P1 00; P2 b8 = 1 (specific reference), b3-b1 = context: 001 3G,
  // 000 GSM (not supported here).
  if (c.p1 != 0) return reply(sw::wrong_p1p2);
  if (c.p2 == 0x80) return reply(sw::function_not_supported);
  if (c.p2 != 0x81) return reply(sw::wrong_p1p2_param);
  if (!allowed(ts::access::pin1)) return reply(sw::security_not_satisfied);
  // Data: L RAND(16) L AUTN(16).
  if (c.data.size() != 34 || c.data[0] != 16 || c.data[17] != 16) return reply(sw::wrong_length);
  const byte_view rand(c.data.data() + 1, 16);
  const byte_view autn(c.data.data() + 18, 16);
  auto r = secure::authenticate_3g(card_.ki(), card_.opc(), rand, autn, card_.state().sqn_ms());
  if (!r) return reply(sw::technical_problem);
  byte_writer w;
  switch (r->status) {
    case secure::auth_status::mac_failure:
      return reply(sw::authentication_error);
    case secure::auth_status::sync_failure:
      w.u8(0xDC);  // synchronisation failure tag
      w.u8(static_cast<std::uint8_t>(r->auts.size()));
      w.append(r->auts);
      break;
    case secure::auth_status::success:
      card_.state().set_sqn_ms(r->sqn);
      w.u8(0xDB);  // successful 3G authentication tag
      w.u8(static_cast<std::uint8_t>(r->res.size()));
      w.append(r->res);
      w.u8(static_cast<std::uint8_t>(r->ck.size()));
      w.append(r->ck);
      w.u8(static_cast<std::uint8_t>(r->ik.size()));
      w.append(r->ik);
      break;
  }
  return answer(c, w.take(), false);
}

response_apdu uicc_session::get_identity(const command_apdu& c) {
  // TS 102 221 §11.1.23 / TS 31.102 §7.5: P1 00; P2 01 = SUCI context (the only one here);
  // no command data; the USIM application must be selected.
  if (c.p1 != 0) return reply(sw::wrong_p1p2);
  if (c.p2 != 0x01) return reply(sw::wrong_p1p2_param);
  if (!c.data.empty()) return reply(sw::wrong_length);
  if (df_ != ts::fid::adf_usim && parent_of(df_) != ts::fid::adf_usim)
    return reply(sw::conditions_not_satisfied);
  if (!allowed(ts::access::pin1)) return reply(sw::security_not_satisfied);
  // Only a USIM with services 124 and 125 computes the SUCI; otherwise the ME does.
  const bytes ust =
      card_.content(ts::fid::adf_usim, *ts::find_ef(ts::fid::adf_usim, ts::fid::ef_ust));
  if (!ts::service_available(ust, ts::service::suci_privacy) ||
      !ts::service_available(ust, ts::service::suci_by_usim))
    return reply(sw::conditions_not_satisfied);
  auto s = usim_suci(card_);
  if (!s) return reply(sw::technical_problem);
  auto tlv_data = encode_suci_tlv(*s);
  if (!tlv_data) return reply(sw::technical_problem);
  return answer(c, std::move(*tlv_data), false);
}

response_apdu uicc_session::verify(const command_apdu& c, bool gsm) {
  if (c.p1 != 0) return reply(sw::wrong_p1p2);
  const bool pin1 = c.p2 == 0x01;
  const bool adm = !gsm && c.p2 == 0x0A;
  if (!pin1 && !adm) return reply(sw::data_not_found);
  std::uint8_t& tries = pin1 ? pin1_tries_ : adm_tries_;
  bool& ok = pin1 ? pin1_ok_ : adm_ok_;
  if (tries == 0) return reply(sw::pin_blocked);
  if (c.data.empty()) {
    // Retry counter query (TS 102 221 §11.1.9): 9000 when verification is not needed.
    if (ok) return reply(sw::ok);
    return reply(static_cast<std::uint16_t>(sw::retries_mask | tries));
  }
  if (c.data.size() != 8) return reply(sw::wrong_length);
  bytes expected(8, 0xFF);
  const std::string& value = pin1 ? profile_.pin1 : profile_.adm1;
  std::copy_n(value.begin(), std::min<std::size_t>(value.size(), 8), expected.begin());
  if (!equal_ct(expected, c.data)) {
    --tries;
    ok = false;
    if (tries == 0) return reply(sw::pin_blocked);
    return reply(static_cast<std::uint16_t>(sw::retries_mask | tries));
  }
  tries = 3;
  ok = true;
  return reply(sw::ok);
}

}  // namespace otaflow::sim
