#include "sim/smsc_message.hpp"

#include <fmt/format.h>

#include "codec/smpp34_receipt.hpp"
#include "codec/ts23040_tpdu.hpp"
#include "codec/ts23040_udh.hpp"

namespace otaflow::sim {
namespace {

namespace tp = codec::tpdu;
namespace esm = codec::smpp::esm_class;
namespace coding = codec::smpp::data_coding;

// SMPP 3.4 §5.2.19 data_coding values an OTA submit may carry (8-bit binary; F4-F7 and 16
// are also TS 23.038 DCS values meaning 8-bit data with a message class).
bool ota_data_coding(std::uint8_t dc) noexcept {
  return dc == coding::octet_unspecified || dc == coding::octet_unspecified_4 ||
         dc == tp::dcs_8bit_class2 || (dc >= 0xF4 && dc <= 0xF7);
}

/// Digits of an SMPP address usable as a TP address (a leading '+' means international).
bool digits_address(const proto::address& a, tp::address& out) {
  std::string_view s = a.addr;
  std::uint8_t ton = a.ton;
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    ton = tp::ton::international;
  }
  if (s.empty() || s.size() > tp::max_address_digits) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  if (ton > 7 || a.npi > 15 || ton == tp::ton::alphanumeric) return false;
  out.ton = ton;
  out.npi = a.npi;
  out.digits = std::string(s);
  return true;
}

error reject(std::uint32_t& status_out, std::uint32_t smpp_status, std::string message) {
  status_out = smpp_status;
  return make_error(errc::bad_value, std::move(message));
}

/// TP-PID and TP-DCS for a non-OTA message, and its TP-UD (GSM 7-bit packed when the
/// text maps to the default alphabet, else the octets as given under an 8-bit DCS).
void plain_coding(const proto::submit_request& req, smsc_message& m) {
  const std::uint8_t dc = req.data_coding;
  m.tp_pid = req.protocol_id;
  const bool seven_bit =
      dc == coding::smsc_default || dc == coding::ia5 || (dc >= 0xF0 && dc <= 0xF3);
  if (seven_bit && !m.udhi) {
    auto septets = tp::utf8_to_gsm7(
        std::string_view(reinterpret_cast<const char*>(req.payload.data()), req.payload.size()));
    if (septets && septets->size() <= tp::max_ud_septets) {
      m.tp_dcs = dc >= 0xF0 ? dc : tp::dcs_gsm7;
      m.ud_septets = static_cast<std::uint8_t>(septets->size());
      m.ud = tp::pack_septets(*septets);
      return;
    }
  }
  if (dc == coding::ucs2) {
    m.tp_dcs = tp::dcs_ucs2;  // UCS2 is the same value in SMPP 3.4 §5.2.19 and TS 23.038 §4
  } else if (ota_data_coding(dc) && dc != coding::octet_unspecified) {
    m.tp_dcs = dc;
  } else {
    m.tp_dcs = tp::dcs_8bit;
  }
  m.ud = req.payload;
}

/// A receipt date (UTC) with seconds (App. B allows YYMMDDhhmm; many SMSCs add ss).
codec::smpp::receipt_date receipt_date(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto day_start = floor<days>(secs);
  const year_month_day ymd{day_start};
  const hh_mm_ss hms{secs - day_start};
  codec::smpp::receipt_date d;
  d.year = static_cast<std::uint8_t>(static_cast<int>(ymd.year()) % 100);
  d.month = static_cast<std::uint8_t>(static_cast<unsigned>(ymd.month()));
  d.day = static_cast<std::uint8_t>(static_cast<unsigned>(ymd.day()));
  d.hour = static_cast<std::uint8_t>(hms.hours().count());
  d.minute = static_cast<std::uint8_t>(hms.minutes().count());
  d.second = static_cast<std::uint8_t>(hms.seconds().count());
  return d;
}

}  // namespace

void smsc_message::reset() {
  id = 0;
  bind_id = 0;
  system_id.clear();
  source = {};
  dest = {};
  esm_class = tp_pid = tp_dcs = smpp_dcs = registered_delivery = 0;
  ud_septets = 0;
  udhi = ota = false;
  ud.clear();
  user_message_reference.reset();
  submit_time = {};
  expiry = {};
  attempts = 0;
  last_error = 0;
  queued = false;
  result = verdict::none;
  to_esme.clear();
  pors = 0;
}

std::string message_id_text(std::uint64_t id) {
  return fmt::format("{:010d}", id);
}

status prepare_message(const proto::submit_request& req, smsc_message& m,
                       std::uint32_t& smpp_status) {
  namespace st = proto::st;
  if (req.both_payloads) {
    return reject(smpp_status, st::roptparnotallwd, "short_message and message_payload both given");
  }
  if ((req.esm_class & esm::type_mask) != 0) {
    return reject(
        smpp_status, st::rinvesmclass,
        fmt::format("esm_class 0x{:02x}: a submit cannot set a message type", req.esm_class));
  }
  tp::address probe;
  if (!digits_address(req.dest, probe)) {
    return reject(smpp_status, st::rinvdstadr,
                  "destination_addr '" + req.dest.addr + "' is not an MSISDN");
  }
  if (!digits_address(req.source, probe)) {
    return reject(smpp_status, st::rinvsrcadr,
                  "source_addr '" + req.source.addr + "' is not a numeric address");
  }
  m.source = req.source;
  m.dest = req.dest;
  if (!m.dest.addr.empty() && m.dest.addr.front() == '+') {
    m.dest.addr.erase(0, 1);
    m.dest.ton = tp::ton::international;
  }
  m.esm_class = req.esm_class;
  m.smpp_dcs = req.data_coding;
  m.registered_delivery = req.registered_delivery;
  m.user_message_reference = req.user_message_reference;
  m.udhi = (req.esm_class & esm::udhi) != 0;
  // data_sm has no protocol_id (SMPP 3.4 §4.7.1): UDHI + 8-bit coding counts as OTA there.
  const std::uint8_t pid = req.data_sm ? tp::pid_usim_data_download : req.protocol_id;
  m.ota = pid == tp::pid_usim_data_download && m.udhi && ota_data_coding(req.data_coding);
  if (m.ota) {
    m.tp_pid = tp::pid_usim_data_download;
    // 02/04 are SMPP's "8-bit binary" codings without a class: an SMS-PP download needs
    // class 2, so they become F6 as pySim sends (docs/standards/smpp34.md §9).
    const bool classless = req.data_coding == coding::octet_unspecified ||
                           req.data_coding == coding::octet_unspecified_4;
    m.tp_dcs = classless ? tp::dcs_8bit_class2_f : req.data_coding;
    m.ud = req.payload;
  } else {
    plain_coding(req, m);
    if (req.data_sm) m.tp_pid = tp::pid_default;
  }
  if (m.ud.size() > tp::max_ud_octets) {
    return reject(
        smpp_status, st::rinvmsglen,
        fmt::format("short message of {} octets exceeds the 140 of one SMS", m.ud.size()));
  }
  if (m.udhi) {
    auto split = codec::split_ud(m.ud);
    if (!split) {
      return reject(
          smpp_status, st::rinvesmclass,
          "esm_class sets UDHI but the message has no valid UDH: " + split.error().message);
    }
  }
  return {};
}

result<bytes> build_sms_deliver(const smsc_message& m, std::chrono::system_clock::time_point now,
                                std::int8_t tz_quarters) {
  tp::sms_deliver d;
  d.mms = true;  // TP-MMS = 1: no more messages waiting (TS 23.040 §9.2.3.2)
  d.udhi = m.udhi;
  if (!digits_address(m.source, d.oa)) {
    return make_error(errc::bad_value, "source_addr '" + m.source.addr + "' is not numeric");
  }
  d.pid = m.tp_pid;
  d.dcs = m.tp_dcs;
  auto ts = tp::timestamp_from_utc(std::chrono::floor<std::chrono::seconds>(now), tz_quarters);
  if (!ts) return ts.error();
  d.scts = *ts;
  d.ud = m.ud;
  d.ud_septets = m.ud_septets;
  return tp::encode(d);
}

bool wants_receipt(std::uint8_t registered_delivery, bool success) noexcept {
  // SMPP 3.4 §5.2.17 bits 1-0: 01 = on success or failure, 10 = on failure only; 11 is
  // reserved in 3.4 and means "success only" in SMPP 5.0, which we follow.
  namespace rd = codec::smpp::registered_delivery;
  switch (registered_delivery & rd::receipt_mask) {
    case rd::receipt_final:
      return true;
    case rd::receipt_failure:
      return !success;
    case rd::receipt_success:
      return success;
    default:
      return false;
  }
}

result<bytes> make_receipt(const smsc_message& m, std::uint8_t message_state,
                           std::uint32_t network_error,
                           std::chrono::system_clock::time_point done) {
  namespace smpp = codec::smpp;
  smpp::delivery_receipt r;
  r.id = message_id_text(m.id);
  r.submitted = 1;
  r.delivered = message_state == proto::state::delivered ? 1 : 0;
  r.submit_date = receipt_date(m.submit_time);
  r.done_date = receipt_date(done);
  r.stat = std::string(smpp::state_to_stat(static_cast<smpp::message_state>(message_state)));
  r.err = fmt::format("{:03d}", network_error & 0xFFFF);
  // App. B "text" (the first 20 characters) stays empty: OTA data is binary, and the
  // receipted_message_id / message_state TLVs are what an ESME should read.
  r.text = std::string();
  proto::deliver d;
  d.source = m.dest;
  d.dest = m.source;
  d.esm_class = esm::type_delivery_receipt;
  const std::string text = smpp::format_receipt(r);
  d.payload.assign(text.begin(), text.end());
  d.receipted_message_id = r.id;
  d.message_state = message_state;
  if (network_error != 0) d.network_error_code = network_error;
  d.user_message_reference = m.user_message_reference;
  return proto::encode_deliver(d);
}

void apply_outcome(smsc_message& m, const mt_outcome& outcome,
                   std::chrono::system_clock::time_point now) {
  namespace ms = proto::state;
  auto forward = [&m](const proto::address& from, bool udhi, std::uint8_t pid, std::uint8_t dcs,
                      const bytes& ud) {
    proto::deliver d;
    d.source = from;
    d.dest = m.source;
    // The SIM cannot set TP-UDHI in an RP-ACK (GSM 03.48 §6.1): a response packet header
    // (02 71 00, TS 31.115 §4.4) at the start counts as a UDH too.
    const bool por_header = ud.size() >= 3 && ud[0] == 0x02 && ud[1] == codec::iei::response_packet;
    d.esm_class = (udhi || por_header) ? esm::udhi : 0;
    d.protocol_id = pid;
    d.data_coding = dcs;
    d.payload = ud;
    d.user_message_reference = m.user_message_reference;
    auto pdu = proto::encode_deliver(d);
    if (pdu) {
      m.to_esme.push_back(std::move(*pdu));
      ++m.pors;
    }
  };
  const proto::address card{tp::ton::international, tp::npi::isdn, m.dest.addr};

  std::uint32_t net_error = 0;
  switch (outcome.result) {
    case mt_outcome::kind::ack:
      m.result = smsc_message::verdict::delivered;
      break;
    case mt_outcome::kind::error:
      net_error = smsc_net_error::fcs(outcome.fcs);
      // D4 = toolkit busy: the ME may succeed later (TS 51.014 §7.1.1), so retry.
      m.result = outcome.fcs == tp::fcs_usat_busy ? smsc_message::verdict::retry
                                                  : smsc_message::verdict::failed;
      break;
    case mt_outcome::kind::absent:
      net_error = smsc_net_error::absent_subscriber;
      m.result = smsc_message::verdict::retry;
      break;
    case mt_outcome::kind::unknown_subscriber:
      net_error = smsc_net_error::unknown_subscriber;
      m.result = smsc_message::verdict::failed;
      break;
  }
  m.last_error = net_error;

  // PoR in the DELIVER-REPORT user data (SPI2.b6 = 0, docs/standards/ts23040-ts31115-sms.md §7).
  if ((outcome.result == mt_outcome::kind::ack || outcome.result == mt_outcome::kind::error) &&
      !outcome.deliver_report_tpdu.empty()) {
    auto rep = tp::decode_deliver_report(outcome.deliver_report_tpdu,
                                         outcome.result == mt_outcome::kind::error);
    if (rep && rep->ud && !rep->ud->empty()) {
      forward(card, rep->udhi, rep->pid.value_or(m.tp_pid), rep->dcs.value_or(m.tp_dcs), *rep->ud);
    }
  }
  // PoR by MO SMS-SUBMIT (SPI2.b6 = 1), one deliver_sm per SM.
  for (const auto& mo : outcome.mo) {
    auto sub = tp::decode_submit(mo.submit_tpdu);
    if (!sub) continue;
    const proto::address from{tp::ton::international, tp::npi::isdn,
                              mo.from_msisdn.empty() ? m.dest.addr : mo.from_msisdn};
    forward(from, sub->udhi, sub->pid, sub->dcs, sub->ud);
  }

  if (m.result == smsc_message::verdict::retry) return;
  const bool ok = m.result == smsc_message::verdict::delivered;
  if (wants_receipt(m.registered_delivery, ok)) {
    auto r = make_receipt(m, ok ? ms::delivered : ms::undeliverable, net_error, now);
    if (r) m.to_esme.push_back(std::move(*r));
  }
}

}  // namespace otaflow::sim
