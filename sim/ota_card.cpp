#include "sim/ota_card.hpp"

#include "codec/iso7816_sw.hpp"
#include "codec/tlv.hpp"
#include "codec/ts23040_tpdu.hpp"
#include "sim/ota_sms_pp.hpp"

namespace otaflow::sim {

namespace tp = codec::tpdu;
namespace sw = codec::sw;
using codec::command_apdu;
using codec::response_apdu;

namespace {

constexpr std::uint8_t type_send_short_message = 0x13;  // TS 102 223 §9.4

std::uint16_t sw_with_len(std::uint16_t base, std::size_t n) {
  return static_cast<std::uint16_t>(base | (n >= 256 ? 0 : n));
}

bytes report(const std::optional<std::uint8_t>& fcs, const tp::sms_deliver& d, const bytes& ud) {
  tp::sms_deliver_report r;
  r.fcs = fcs;
  if (!ud.empty()) {
    // TS 31.111 §7.1.1.2 / TS 51.014 §7.1.1: the RP-ACK carries the original PID and DCS
    // with the UICC's response data.
    r.pid = d.pid;
    r.dcs = d.dcs;
    r.ud = ud;
  }
  auto enc = tp::encode(r);
  if (enc) return std::move(*enc);
  // Too long for a report (the card keeps the PoR within max_report_ud): send it bare.
  r.pid.reset();
  r.dcs.reset();
  r.ud.reset();
  enc = tp::encode(r);
  return enc ? std::move(*enc) : bytes{};
}

}  // namespace

result<bytes> send_short_message_command(std::uint8_t number, byte_view submit_tpdu) {
  byte_writer inner;
  // Command details: number, type SEND SHORT MESSAGE, qualifier 00 (packing not required).
  OTAFLOW_TRY(codec::comprehension_tlv_encode(
      {0x01, true, false, {number, type_send_short_message, 0x00}}, inner));
  // Device identities: UICC (81) -> network (83).
  OTAFLOW_TRY(codec::comprehension_tlv_encode({0x02, true, false, {0x81, 0x83}}, inner));
  OTAFLOW_TRY(codec::comprehension_tlv_encode(
      {0x0B, true, false, bytes(submit_tpdu.begin(), submit_tpdu.end())}, inner));
  byte_writer w;
  OTAFLOW_TRY(codec::ber_encode(0xD0, inner.data(), w));
  return w.take();
}

virtual_card::virtual_card(card_identity id, card_state st, const card_profile& profile)
    : profile_(profile),
      data_(std::move(id), std::move(st)),
      terminal_(data_, profile_, profile.pin1_enabled ? access_level::always : access_level::pin1) {
}

std::size_t virtual_card::approx_bytes() const noexcept {
  std::size_t n = sizeof(virtual_card) - sizeof(uicc_data) + data_.approx_bytes() +
                  pending_.capacity() + proactive_.capacity() * sizeof(bytes);
  for (const auto& p : proactive_) n += p.capacity() + malloc_overhead;
  if (reassembler_) n += sizeof(codec::packet_reassembler) + reassembler_->pending() * 400;
  return n;
}

std::uint16_t virtual_card::toolkit_sw() const noexcept {
  if (proactive_.empty()) return sw::ok;
  return sw_with_len(sw::proactive_pending, proactive_.front().size());
}

response_apdu virtual_card::transmit(byte_view apdu) {
  auto c = codec::decode_command_apdu(apdu);
  if (!c) return {{}, sw::wrong_length};
  return transmit(*c);
}

response_apdu virtual_card::transmit(const command_apdu& c) {
  const bool toolkit_cla = c.cla == codec::cla::uicc || c.cla == codec::cla::gsm;
  if (c.ins == codec::ins::get_response && !pending_.empty()) {
    if (c.p1 != 0 || c.p2 != 0) return {{}, sw::wrong_p1p2};
    const std::size_t ne = c.le.value_or(256);
    if (ne > pending_.size() && ne != 256)
      return {{}, static_cast<std::uint16_t>(sw::wrong_le | pending_.size())};
    const std::size_t n = std::min(ne, pending_.size());
    bytes out(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
    if (!pending_.empty())
      return {std::move(out), sw_with_len(sw::response_available, pending_.size())};
    return {std::move(out), pending_sw_};
  }
  pending_.clear();
  switch (c.ins) {
    case codec::ins::envelope:
      if (!toolkit_cla) return {{}, sw::cla_not_supported};
      return envelope(c);
    case codec::ins::fetch:
      if (!toolkit_cla) return {{}, sw::cla_not_supported};
      return fetch(c);
    case codec::ins::terminal_response:
      if (!toolkit_cla) return {{}, sw::cla_not_supported};
      return terminal_response(c);
    case codec::ins::terminal_profile:
      if (!toolkit_cla) return {{}, sw::cla_not_supported};
      return {{}, toolkit_sw()};
    default:
      return terminal_.process(c);
  }
}

response_apdu virtual_card::envelope(const command_apdu& c) {
  if (c.p1 != 0 || c.p2 != 0) return {{}, sw::wrong_p1p2};
  if (c.data.empty()) return {{}, sw::wrong_length};
  if (profile_.envelope_status != 0) return {{}, profile_.envelope_status};
  if (!reassembler_) reassembler_ = std::make_unique<codec::packet_reassembler>(16);
  auto eo = sms_pp_download(data_, profile_, *reassembler_, c.data, preopened_);
  if (eo.status) sms_por_status_ = eo.status;
  if (reassembler_->pending() == 0) reassembler_.reset();
  for (const auto& s : eo.submits) {
    auto cmd = send_short_message_command(++command_number_, s);
    if (cmd) proactive_.push_back(std::move(*cmd));
  }
  if (eo.response.sw != sw::ok) return {{}, eo.response.sw};
  const std::uint16_t final_sw = toolkit_sw();
  if (eo.response.data.empty()) return {{}, final_sw};
  if (c.le) return {std::move(eo.response.data), final_sw};
  // T=0 (TS 102 221 §7.3.1.1.4): the data waits for GET RESPONSE.
  pending_ = std::move(eo.response.data);
  pending_sw_ = final_sw;
  return {
      {},
      sw_with_len(profile_.sim_response_sw ? sw::sim_response_available : sw::response_available,
                  pending_.size())};
}

response_apdu virtual_card::fetch(const command_apdu& c) {
  if (c.p1 != 0 || c.p2 != 0) return {{}, sw::wrong_p1p2};
  if (proactive_.empty()) return {{}, sw::conditions_not_satisfied};
  const std::size_t ne = c.le.value_or(256);
  if (ne != 256 && ne != proactive_.front().size())
    return {{}, static_cast<std::uint16_t>(sw::wrong_le | proactive_.front().size())};
  bytes cmd = std::move(proactive_.front());
  proactive_.erase(proactive_.begin());
  return {std::move(cmd), sw::ok};
}

response_apdu virtual_card::terminal_response(const command_apdu& c) {
  if (c.p1 != 0 || c.p2 != 0) return {{}, sw::wrong_p1p2};
  auto items = codec::comprehension_tlv_decode_all(c.data);
  if (!items) return {{}, sw::wrong_data};
  bool details = false;
  for (const auto& i : *items)
    if (i.tag == 0x01 && i.value.size() == 3) details = true;
  if (!details) return {{}, sw::wrong_data};
  return {{}, toolkit_sw()};
}

mt_outcome virtual_card::receive_sms(byte_view tpdu, preopened_command* preopened) {
  mt_outcome o;
  sms_por_status_.reset();
  auto d = tp::decode_deliver(tpdu);
  if (!d) {
    o.result = mt_outcome::kind::error;
    o.fcs = tp::fcs_unspecified;
    tp::sms_deliver_report r;
    r.fcs = o.fcs;
    if (auto enc = tp::encode(r)) o.deliver_report_tpdu = std::move(*enc);
    return o;
  }
  // TS 31.111 §7.1.1.1: PID (U)SIM data download and a class 2 DCS go to the UICC.
  if (d->pid != tp::pid_usim_data_download || tp::dcs_message_class(d->dcs) != 2) {
    o.result = mt_outcome::kind::ack;
    o.deliver_report_tpdu = report(std::nullopt, *d, {});
    return o;
  }
  auto env = sms_pp_envelope_data(tpdu, std::nullopt);
  if (!env) {
    o.result = mt_outcome::kind::error;
    o.fcs = tp::fcs_usim_data_download_error;
    o.deliver_report_tpdu = report(o.fcs, *d, {});
    return o;
  }
  preopened_ = preopened;
  response_apdu r =
      transmit(command_apdu{codec::cla::uicc, codec::ins::envelope, 0, 0, std::move(*env), {}});
  preopened_ = nullptr;
  bytes data = r.data;
  const auto more = [](std::uint16_t s) {
    return codec::sw1_is(s, sw::response_available) || codec::sw1_is(s, sw::sim_response_available);
  };
  for (int guard = 0; more(r.sw) && guard < 16; ++guard) {
    const std::uint8_t cla =
        codec::sw1_is(r.sw, sw::sim_response_available) ? codec::cla::gsm : codec::cla::iso;
    r = transmit(command_apdu{
        cla, codec::ins::get_response, 0, 0, {}, r.sw2() == 0 ? 256u : std::uint32_t{r.sw2()}});
    data.insert(data.end(), r.data.begin(), r.data.end());
  }
  if (r.sw == sw::ok || codec::sw1_is(r.sw, sw::proactive_pending) ||
      codec::sw1_is(r.sw, sw::warning_no_info) || codec::sw1_is(r.sw, sw::warning_changed)) {
    o.result = mt_outcome::kind::ack;
    o.deliver_report_tpdu = report(std::nullopt, *d, data);
  } else {
    o.result = mt_outcome::kind::error;
    o.fcs = r.sw == sw::toolkit_busy ? tp::fcs_usat_busy : tp::fcs_usim_data_download_error;
    o.deliver_report_tpdu = report(o.fcs, *d, data);
  }
  // Proactive session: FETCH, act, TERMINAL RESPONSE, while the card says 91XX.
  for (int guard = 0; codec::sw1_is(r.sw, sw::proactive_pending) && guard < 64; ++guard) {
    r = transmit(command_apdu{codec::cla::uicc,
                              codec::ins::fetch,
                              0,
                              0,
                              {},
                              r.sw2() == 0 ? 256u : std::uint32_t{r.sw2()}});
    if (r.sw != sw::ok) break;
    auto top = codec::ber_decode_view(r.data);
    bytes details{0x01, 0x00, 0x00};
    std::uint8_t result = 0x32;  // command data not understood by the terminal
    if (top && top->tag == 0xD0) {
      if (auto items = codec::comprehension_tlv_decode_all(top->value)) {
        const bytes* tpdu_item = nullptr;
        for (const auto& i : *items) {
          if (i.tag == 0x01 && i.value.size() == 3) details = i.value;
          if (i.tag == 0x0B) tpdu_item = &i.value;
        }
        if (details[1] != type_send_short_message) {
          result = 0x30;  // command beyond the terminal's capabilities
        } else if (tpdu_item) {
          o.mo.push_back({data_.identity().msisdn, *tpdu_item});
          result = 0x00;  // command performed successfully
        }
      }
    }
    byte_writer tr;
    (void)codec::comprehension_tlv_encode({0x01, true, false, details}, tr);
    (void)codec::comprehension_tlv_encode({0x02, true, false, {0x82, 0x81}}, tr);
    (void)codec::comprehension_tlv_encode({0x03, true, false, {result}}, tr);
    r = transmit(
        command_apdu{codec::cla::uicc, codec::ins::terminal_response, 0, 0, tr.take(), {}});
  }
  return o;
}

}  // namespace otaflow::sim
