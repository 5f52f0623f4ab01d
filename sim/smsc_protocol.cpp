#include "sim/smsc_protocol.hpp"

#include <type_traits>

#include "codec/smpp34_pdu.hpp"

namespace otaflow::sim::proto {
namespace {

namespace smpp = codec::smpp;

template <class T>
void copy_submit_fields(const T& b, submit_request& r) {
  r.service_type = b.service_type;
  r.source = address{b.source_addr_ton, b.source_addr_npi, b.source_addr};
  r.dest = address{b.dest_addr_ton, b.dest_addr_npi, b.destination_addr};
  r.esm_class = b.esm_class;
  r.registered_delivery = b.registered_delivery;
  r.data_coding = b.data_coding;
}

/// message_payload and user_message_reference of a submit (SMPP 3.4 §5.3.2.32, §5.3.2.17).
status read_submit_tlvs(const smpp::tlv_list& tlvs, submit_request& r, std::uint32_t& st_out) {
  if (auto p = smpp::get_message_payload(tlvs)) {
    if (!r.payload.empty()) r.both_payloads = true;
    r.payload.assign(p->begin(), p->end());
  }
  auto umr = smpp::get_user_message_reference(tlvs);
  if (!umr) {
    st_out = static_cast<std::uint32_t>(smpp::to_command_status(umr.error()));
    return umr.error();
  }
  r.user_message_reference = *umr;
  return {};
}

}  // namespace

frame next_frame(byte_view buffer, std::uint32_t max_length) noexcept {
  auto f = smpp::frame_length(buffer, max_length);
  if (!f) {
    frame out{frame::kind::bad_length, 0};
    byte_reader r(buffer);
    (void)r.u32(out.length);
    return out;
  }
  if (!f->has_value() || buffer.size() < **f) return frame{frame::kind::need_more, 0};
  return frame{frame::kind::ready, **f};
}

bool read_header(byte_view buffer, header& out) noexcept {
  byte_reader r(buffer);
  return r.u32(out.length) && r.u32(out.id) && r.u32(out.status) && r.u32(out.sequence);
}

result<inbound> decode(byte_view pdu, std::uint32_t& status_out) {
  inbound in;
  if (!read_header(pdu, in.hdr)) {
    status_out = st::rinvcmdlen;
    return make_error(errc::truncated, "PDU shorter than the 16-octet header");
  }
  auto d = smpp::decode(pdu);
  if (!d) {
    status_out = static_cast<std::uint32_t>(smpp::to_command_status(d.error()));
    return d.error();
  }
  status_out = st::rok;
  auto& body = d->body;
  if (auto* b = std::get_if<smpp::bind_transmitter>(&body)) {
    in.body = bind_request{cmd::bind_transmitter, b->system_id, b->password, b->system_type,
                           b->interface_version};
  } else if (auto* b = std::get_if<smpp::bind_receiver>(&body)) {
    in.body = bind_request{cmd::bind_receiver, b->system_id, b->password, b->system_type,
                           b->interface_version};
  } else if (auto* b = std::get_if<smpp::bind_transceiver>(&body)) {
    in.body = bind_request{cmd::bind_transceiver, b->system_id, b->password, b->system_type,
                           b->interface_version};
  } else if (auto* s = std::get_if<smpp::submit_sm>(&body)) {
    submit_request r;
    copy_submit_fields(*s, r);
    r.protocol_id = s->protocol_id;
    r.priority_flag = s->priority_flag;
    r.schedule_delivery_time = s->schedule_delivery_time;
    r.validity_period = s->validity_period;
    r.payload = std::move(s->short_message);
    OTAFLOW_TRY(read_submit_tlvs(s->tlvs, r, status_out));
    in.body = std::move(r);
  } else if (auto* s = std::get_if<smpp::data_sm>(&body)) {
    submit_request r;
    r.data_sm = true;
    copy_submit_fields(*s, r);
    OTAFLOW_TRY(read_submit_tlvs(s->tlvs, r, status_out));
    in.body = std::move(r);
  } else {
    in.body = plain{};
  }
  return in;
}

void write_header_only(bytes& out, std::uint32_t id, std::uint32_t status, std::uint32_t seq) {
  byte_writer w(out);
  w.u32(16);
  w.u32(id);
  w.u32(status);
  w.u32(seq);
}

void write_bind_resp(bytes& out, std::uint32_t request_id, std::uint32_t status, std::uint32_t seq,
                     const std::string& system_id) {
  const std::uint32_t resp_id = request_id | cmd::response_bit;
  if (status != st::rok) return write_header_only(out, resp_id, status, seq);
  smpp::pdu p;
  p.sequence_number = seq;
  smpp::tlv_list tlvs{smpp::make_sc_interface_version()};
  switch (request_id) {
    case cmd::bind_receiver:
      p.body = smpp::bind_receiver_resp{system_id, std::move(tlvs)};
      break;
    case cmd::bind_transmitter:
      p.body = smpp::bind_transmitter_resp{system_id, std::move(tlvs)};
      break;
    default:
      p.body = smpp::bind_transceiver_resp{system_id, std::move(tlvs)};
      break;
  }
  byte_writer w(out);
  if (!smpp::encode(p, w).ok()) write_header_only(out, resp_id, st::rsyserr, seq);
}

void write_submit_resp(bytes& out, bool data_sm, std::uint32_t status, std::uint32_t seq,
                       const std::string& message_id) {
  const std::uint32_t resp_id = data_sm ? cmd::data_sm_resp : cmd::submit_sm_resp;
  // SMPP 3.4 §4.4.2: no body when command_status is non-zero.
  if (status != st::rok) return write_header_only(out, resp_id, status, seq);
  smpp::pdu p;
  p.sequence_number = seq;
  if (data_sm) {
    p.body = smpp::data_sm_resp{message_id, {}};
  } else {
    p.body = smpp::submit_sm_resp{message_id, {}};
  }
  byte_writer w(out);
  if (!smpp::encode(p, w).ok()) write_header_only(out, resp_id, st::rsyserr, seq);
}

result<bytes> encode_deliver(const deliver& d) {
  smpp::deliver_sm b;
  b.source_addr_ton = d.source.ton;
  b.source_addr_npi = d.source.npi;
  b.source_addr = d.source.addr;
  b.dest_addr_ton = d.dest.ton;
  b.dest_addr_npi = d.dest.npi;
  b.destination_addr = d.dest.addr;
  b.esm_class = d.esm_class;
  b.protocol_id = d.protocol_id;
  b.data_coding = d.data_coding;
  if (d.payload.size() <= codec::smpp::max_short_message) {
    b.short_message = d.payload;
  } else {
    b.tlvs.push_back(smpp::make_message_payload(d.payload));  // §5.3.2.32
  }
  if (d.receipted_message_id) {
    b.tlvs.push_back(smpp::make_receipted_message_id(*d.receipted_message_id));
  }
  if (d.message_state) {
    b.tlvs.push_back(smpp::make_message_state(static_cast<smpp::message_state>(*d.message_state)));
  }
  if (d.network_error_code) {
    b.tlvs.push_back(smpp::make_network_error_code(
        smpp::network_error{static_cast<std::uint8_t>(*d.network_error_code >> 16),
                            static_cast<std::uint16_t>(*d.network_error_code & 0xFFFF)}));
  }
  if (d.user_message_reference) {
    b.tlvs.push_back(smpp::make_user_message_reference(*d.user_message_reference));
  }
  smpp::pdu p;
  p.body = std::move(b);
  return smpp::encode(p);
}

void patch_sequence(bytes& pdu, std::uint32_t seq) noexcept {
  if (pdu.size() < 16) return;
  pdu[12] = static_cast<std::uint8_t>(seq >> 24);
  pdu[13] = static_cast<std::uint8_t>(seq >> 16);
  pdu[14] = static_cast<std::uint8_t>(seq >> 8);
  pdu[15] = static_cast<std::uint8_t>(seq);
}

}  // namespace otaflow::sim::proto
