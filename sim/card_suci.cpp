#include "sim/card_suci.hpp"

#include <array>

#include "codec/iso7816_sw.hpp"
#include "codec/tlv.hpp"
#include "codec/ts31102_5gs.hpp"
#include "codec/ts31102_ef.hpp"
#include "codec/ts31102_files.hpp"
#include "sim/ota_card.hpp"

namespace otaflow::sim {

namespace ts = codec::ts31102;
namespace suci = secure::suci;

namespace {

/// Tag of the SUCI TLV data object in the GET IDENTITY response (TS 31.102 §7.5.2).
constexpr std::uint32_t suci_tag = 0xA1;

/// The schemes the virtual ME implements (TS 33.501 Annex C: profiles A and B, null).
constexpr std::array<std::uint8_t, 3> me_schemes = {1, 2, 0};

bytes file_of(const uicc_data& card, std::uint16_t df, std::uint16_t ef) {
  const auto* spec = ts::find_ef(df, ef);
  return spec ? card.content(df, *spec) : bytes{};
}

}  // namespace

result<suci::suci> suci_from_files(byte_view ef_imsi, byte_view ef_ad, byte_view ef_suci_calc_info,
                                   byte_view ef_routing_indicator) {
  auto imsi = ts::decode_imsi(ef_imsi);
  if (!imsi) return make_error(errc::bad_value, "EF.IMSI: " + imsi.error().message);
  unsigned mnc_length = 2;
  if (auto ad = ts::decode_ad(ef_ad); ad && ad->mnc_length) mnc_length = *ad->mnc_length;
  std::string ri = "0";
  if (auto r = ts::decode_routing_indicator(ef_routing_indicator); r && *r) ri = **r;
  if (ef_suci_calc_info.empty())  // privacy not supported (service 124): the null scheme
    return suci::conceal_imsi(*imsi, mnc_length, ri, suci::scheme::null, 0, {});
  auto info = ts::decode_suci_calc_info(ef_suci_calc_info);
  if (!info) {
    // Never written: no parameters for subscription identifier privacy, the null scheme
    // (TS 31.121 §5.3.7). A corrupt file is an error, not a silent downgrade.
    if (info.error().code != make_error_code(errc::not_found))
      return make_error(errc::bad_value, "EF.SUCI_Calc_Info: " + info.error().message);
    return suci::conceal_imsi(*imsi, mnc_length, ri, suci::scheme::null, 0, {});
  }
  auto sel = ts::select_protection(*info, me_schemes);
  if (!sel) return make_error(errc::not_found, "EF.SUCI_Calc_Info: " + sel.error().message);
  auto sch = suci::scheme_from_id(sel->scheme_id);
  if (!sch) return sch.error();
  return suci::conceal_imsi(*imsi, mnc_length, ri, *sch, sel->key_id, sel->key);
}

result<suci::suci> usim_suci(const uicc_data& card) {
  return suci_from_files(file_of(card, ts::fid::adf_usim, ts::fid::ef_imsi),
                         file_of(card, ts::fid::adf_usim, ts::fid::ef_ad),
                         file_of(card, ts::fid::df_5gs, ts::fid::ef_suci_calc_info),
                         file_of(card, ts::fid::df_5gs, ts::fid::ef_routing_indicator));
}

result<bytes> encode_suci_tlv(const suci::suci& s) {
  byte_writer v;
  OTAFLOW_TRY(suci::encode_suci(s, v));
  byte_writer w;
  OTAFLOW_TRY(codec::ber_encode(suci_tag, v.data(), w));
  return w.take();
}

result<suci::suci> decode_suci_tlv(byte_view data) {
  auto t = codec::ber_decode(data);
  if (!t) return make_error(errc::bad_value, "GET IDENTITY response: " + t.error().message);
  if (t->tag != suci_tag)
    return make_error(errc::bad_value, "GET IDENTITY response: tag " + std::to_string(t->tag) +
                                           " where the SUCI TLV 'A1' belongs");
  return suci::decode_suci(t->value);
}

// ---- the handset's side ----------------------------------------------------------------

result<card_suci> virtual_card::compute_suci() {
  auto run = [&](std::uint8_t cla, std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, bytes data,
                 bool want) -> result<bytes> {
    codec::command_apdu c;
    c.cla = cla;
    c.ins = ins;
    c.p1 = p1;
    c.p2 = p2;
    c.data = std::move(data);
    if (want) c.le = 256;
    auto r = transmit(c);
    if (r.sw != codec::sw::ok && r.sw != codec::sw::end_of_file)
      return make_error(errc::verification,
                        "the card answered SW " + to_hex(bytes{static_cast<std::uint8_t>(r.sw >> 8),
                                                               static_cast<std::uint8_t>(r.sw)}));
    return std::move(r.data);
  };
  // READ BINARY of a transparent EF selected by path from the MF (SELECT P1 08, no FCP).
  auto read = [&](std::initializer_list<std::uint16_t> path) -> result<bytes> {
    bytes p;
    for (auto fid : path) {
      p.push_back(static_cast<std::uint8_t>(fid >> 8));
      p.push_back(static_cast<std::uint8_t>(fid));
    }
    auto s = run(codec::cla::iso, codec::ins::select, 0x08, 0x0C, std::move(p), false);
    if (!s) return s.error();
    return run(codec::cla::iso, codec::ins::read_binary, 0x00, 0x00, {}, true);
  };

  auto ust = read({ts::fid::adf_usim, ts::fid::ef_ust});
  if (!ust) return make_error(errc::verification, "reading EF.UST: " + ust.error().message);
  card_suci out;
  if (ts::service_available(*ust, ts::service::suci_privacy) &&
      ts::service_available(*ust, ts::service::suci_by_usim)) {
    // The USIM computes it: SELECT ADF.USIM, GET IDENTITY in SUCI context (P2 01).
    auto s = run(codec::cla::iso, codec::ins::select, 0x00, 0x0C, {0x7F, 0xFF}, false);
    if (!s) return make_error(errc::verification, "selecting ADF.USIM: " + s.error().message);
    auto r = run(codec::cla::uicc, codec::ins::get_identity, 0x00, 0x01, {}, true);
    if (!r) return make_error(errc::verification, "GET IDENTITY: " + r.error().message);
    auto v = decode_suci_tlv(*r);
    if (!v) return v.error();
    out.value = std::move(*v);
    out.by_usim = true;
  } else {
    auto imsi = read({ts::fid::adf_usim, ts::fid::ef_imsi});
    if (!imsi) return make_error(errc::verification, "reading EF.IMSI: " + imsi.error().message);
    auto ad = read({ts::fid::adf_usim, ts::fid::ef_ad});
    if (!ad) return make_error(errc::verification, "reading EF.AD: " + ad.error().message);
    if (!ts::service_available(*ust, ts::service::suci_privacy)) {
      // No subscription identifier privacy: the ME sends the null scheme (TS 33.501 §6.12.2).
      auto v = suci_from_files(*imsi, *ad, {}, {});
      if (!v) return v.error();
      out.value = std::move(*v);
    } else {
      auto info = read({ts::fid::adf_usim, ts::fid::df_5gs, ts::fid::ef_suci_calc_info});
      if (!info)
        return make_error(errc::verification, "reading EF.SUCI_Calc_Info: " + info.error().message);
      auto ri = read({ts::fid::adf_usim, ts::fid::df_5gs, ts::fid::ef_routing_indicator});
      if (!ri)
        return make_error(errc::verification,
                          "reading EF.Routing_Indicator: " + ri.error().message);
      auto v = suci_from_files(*imsi, *ad, *info, *ri);
      if (!v) return v.error();
      out.value = std::move(*v);
    }
  }
  auto text = suci::to_string(out.value);
  if (!text) return text.error();
  out.text = std::move(*text);
  return out;
}

}  // namespace otaflow::sim
