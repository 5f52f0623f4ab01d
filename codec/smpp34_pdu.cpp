#include "codec/smpp34_pdu.hpp"

#include <algorithm>
#include <string>

namespace otaflow::codec::smpp {
namespace {

error fail(command_status s, std::string message) {
  return make_error(s, std::move(message));
}

class status_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "smpp34"; }
  std::string message(int v) const override {
    const auto s = static_cast<command_status>(static_cast<std::uint32_t>(v));
    const auto n = status_name(s);
    if (!n.empty()) return std::string(n);
    return "command_status 0x" + to_hex(static_cast<std::uint32_t>(v), 8);
  }
};

// ---- Field readers ----

// Reads a C-octet string of at most max_with_nul octets including its NUL (§3.1).
result<std::string> read_cstring(byte_reader& in, std::size_t max_with_nul, command_status too_long,
                                 std::string_view field) {
  const byte_view rest = in.rest();
  const std::size_t limit = std::min(rest.size(), max_with_nul);
  for (std::size_t i = 0; i < limit; ++i) {
    if (rest[i] == 0) {
      std::string s(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(i));
      (void)in.skip(i + 1);
      return s;
    }
  }
  if (rest.size() < max_with_nul) {
    return fail(command_status::esme_rinvcmdlen, std::string(field) +
                                                     ": body ends before the NUL terminator (" +
                                                     std::to_string(rest.size()) + " octets left)");
  }
  return fail(too_long, std::string(field) + ": no NUL within " + std::to_string(max_with_nul) +
                            " octets (the maximum)");
}

status write_cstring(byte_writer& out, std::string_view s, std::size_t max_with_nul,
                     command_status too_long, std::string_view field) {
  if (s.size() + 1 > max_with_nul) {
    return fail(too_long, std::string(field) + ": " + std::to_string(s.size()) +
                              " characters exceed the maximum of " +
                              std::to_string(max_with_nul - 1));
  }
  if (s.find('\0') != std::string_view::npos) {
    return fail(too_long, std::string(field) + ": contains a NUL character");
  }
  out.append(s);
  out.u8(0);
  return {};
}

// Absolute or relative time "YYMMDDhhmmsstnnp" (§7.1.1), or empty (NULL).
status check_time(std::string_view s, command_status bad, std::string_view field) {
  if (s.empty()) return {};
  bool ok = s.size() == time_length - 1;
  for (std::size_t i = 0; ok && i < 15; ++i) ok = s[i] >= '0' && s[i] <= '9';
  if (ok) ok = s[15] == '+' || s[15] == '-' || s[15] == 'R';
  if (!ok) {
    return fail(bad, std::string(field) + ": '" + std::string(s) +
                         "' is neither empty nor YYMMDDhhmmsstnnp");
  }
  return {};
}

result<std::string> read_time(byte_reader& in, command_status bad, std::string_view field) {
  auto s = read_cstring(in, time_length, bad, field);
  if (!s) return s;
  OTAFLOW_TRY(check_time(*s, bad, field));
  return s;
}

status write_time(byte_writer& out, std::string_view s, command_status bad,
                  std::string_view field) {
  OTAFLOW_TRY(check_time(s, bad, field));
  return write_cstring(out, s, time_length, bad, field);
}

status need_u8(byte_reader& in, std::uint8_t& v, std::string_view field) {
  if (!in.u8(v)) {
    return fail(command_status::esme_rinvcmdlen,
                "body ends before " + std::string(field) + " (command_length too short)");
  }
  return {};
}

// Known TLVs with a fixed size or form (§5.3.2); others pass unchecked.
status check_tlv(const tlv& t) {
  std::size_t want = 0;
  const char* name = nullptr;
  switch (t.tag) {
    case tag::sar_msg_ref_num:
      want = 2, name = "sar_msg_ref_num";
      break;
    case tag::user_message_reference:
      want = 2, name = "user_message_reference";
      break;
    case tag::sar_total_segments:
      want = 1, name = "sar_total_segments";
      break;
    case tag::sar_segment_seqnum:
      want = 1, name = "sar_segment_seqnum";
      break;
    case tag::message_state:
      want = 1, name = "message_state";
      break;
    case tag::sc_interface_version:
      want = 1, name = "sc_interface_version";
      break;
    case tag::network_error_code:
      want = 3, name = "network_error_code";
      break;
    case tag::receipted_message_id: {
      const bool ok = !t.value.empty() && t.value.size() <= max_message_id && t.value.back() == 0 &&
                      std::find(t.value.begin(), t.value.end() - 1, 0) == t.value.end() - 1;
      if (!ok) {
        return fail(command_status::esme_rinvparlen, "TLV 0x001e receipted_message_id: length " +
                                                         std::to_string(t.value.size()) +
                                                         " is not a C-string of 1..65 octets");
      }
      return {};
    }
    default:
      break;
  }
  if (t.value.size() > 0xFFFF) {
    return fail(command_status::esme_rinvparlen, "TLV 0x" + to_hex(t.tag, 4) + ": value of " +
                                                     std::to_string(t.value.size()) +
                                                     " octets exceeds 65535");
  }
  if (name != nullptr && t.value.size() != want) {
    return fail(command_status::esme_rinvparlen, "TLV 0x" + to_hex(t.tag, 4) + " " + name +
                                                     ": length " + std::to_string(t.value.size()) +
                                                     ", expected " + std::to_string(want));
  }
  return {};
}

result<tlv_list> read_tlvs(byte_reader& in) {
  tlv_list out;
  while (!in.empty()) {
    std::uint16_t t = 0;
    std::uint16_t len = 0;
    if (!in.u16(t) || !in.u16(len)) {
      return fail(command_status::esme_rinvoptparstream,
                  "optional parameters: " + std::to_string(in.remaining()) +
                      " octets left, too few for a tag and length");
    }
    byte_view v;
    if (!in.take(len, v)) {
      return fail(command_status::esme_rinvoptparstream,
                  "TLV 0x" + to_hex(t, 4) + ": length " + std::to_string(len) + " but " +
                      std::to_string(in.remaining()) + " octets left");
    }
    tlv x{t, bytes(v.begin(), v.end())};
    OTAFLOW_TRY(check_tlv(x));
    out.push_back(std::move(x));
  }
  return out;
}

status write_tlvs(byte_writer& out, const tlv_list& tlvs) {
  for (const auto& t : tlvs) {
    OTAFLOW_TRY(check_tlv(t));
    out.u16(t.tag);
    out.u16(static_cast<std::uint16_t>(t.value.size()));
    out.append(t.value);
  }
  return {};
}

status check_end(const byte_reader& in, std::string_view what) {
  if (!in.empty()) {
    return fail(
        command_status::esme_rinvcmdlen,
        std::string(what) + ": " + std::to_string(in.remaining()) + " octets after the body");
  }
  return {};
}

// ---- Bodies ----
// Each body has read_body/write_body overloads; the template parameters select the layout.

#define OTAFLOW_ASSIGN(lhs, expr)                          \
  do {                                                     \
    auto otaflow_r_ = (expr);                              \
    if (!otaflow_r_) return std::move(otaflow_r_).error(); \
    lhs = std::move(*otaflow_r_);                          \
  } while (0)

template <command_id Id>
status read_body(byte_reader& in, bind_request<Id>& b) {
  using cs = command_status;
  OTAFLOW_ASSIGN(b.system_id, read_cstring(in, max_system_id, cs::esme_rinvsysid, "system_id"));
  OTAFLOW_ASSIGN(b.password, read_cstring(in, max_password, cs::esme_rinvpaswd, "password"));
  OTAFLOW_ASSIGN(b.system_type,
                 read_cstring(in, max_system_type, cs::esme_rinvsystyp, "system_type"));
  OTAFLOW_TRY(need_u8(in, b.interface_version, "interface_version"));
  OTAFLOW_TRY(need_u8(in, b.addr_ton, "addr_ton"));
  OTAFLOW_TRY(need_u8(in, b.addr_npi, "addr_npi"));
  OTAFLOW_ASSIGN(b.address_range,
                 read_cstring(in, max_address_range, cs::esme_rinvsrcadr, "address_range"));
  return check_end(in, command_name(Id));
}

template <command_id Id>
status write_body(byte_writer& out, const bind_request<Id>& b) {
  using cs = command_status;
  OTAFLOW_TRY(write_cstring(out, b.system_id, max_system_id, cs::esme_rinvsysid, "system_id"));
  OTAFLOW_TRY(write_cstring(out, b.password, max_password, cs::esme_rinvpaswd, "password"));
  OTAFLOW_TRY(
      write_cstring(out, b.system_type, max_system_type, cs::esme_rinvsystyp, "system_type"));
  out.u8(b.interface_version);
  out.u8(b.addr_ton);
  out.u8(b.addr_npi);
  return write_cstring(out, b.address_range, max_address_range, cs::esme_rinvsrcadr,
                       "address_range");
}

template <command_id Id>
status read_body(byte_reader& in, bind_response<Id>& b) {
  OTAFLOW_ASSIGN(b.system_id,
                 read_cstring(in, max_system_id, command_status::esme_rinvsysid, "system_id"));
  OTAFLOW_ASSIGN(b.tlvs, read_tlvs(in));
  return {};
}

template <command_id Id>
status write_body(byte_writer& out, const bind_response<Id>& b) {
  OTAFLOW_TRY(
      write_cstring(out, b.system_id, max_system_id, command_status::esme_rinvsysid, "system_id"));
  return write_tlvs(out, b.tlvs);
}

template <command_id Id>
status read_body(byte_reader& in, header_only<Id>&) {
  return check_end(in, command_name(Id));
}

template <command_id Id>
status write_body(byte_writer&, const header_only<Id>&) {
  return {};
}

template <command_id Id>
status read_body(byte_reader& in, short_message_pdu<Id>& b) {
  using cs = command_status;
  OTAFLOW_ASSIGN(b.service_type,
                 read_cstring(in, max_service_type, cs::esme_rinvsertyp, "service_type"));
  OTAFLOW_TRY(need_u8(in, b.source_addr_ton, "source_addr_ton"));
  OTAFLOW_TRY(need_u8(in, b.source_addr_npi, "source_addr_npi"));
  OTAFLOW_ASSIGN(b.source_addr, read_cstring(in, max_address, cs::esme_rinvsrcadr, "source_addr"));
  OTAFLOW_TRY(need_u8(in, b.dest_addr_ton, "dest_addr_ton"));
  OTAFLOW_TRY(need_u8(in, b.dest_addr_npi, "dest_addr_npi"));
  OTAFLOW_ASSIGN(b.destination_addr,
                 read_cstring(in, max_address, cs::esme_rinvdstadr, "destination_addr"));
  OTAFLOW_TRY(need_u8(in, b.esm_class, "esm_class"));
  OTAFLOW_TRY(need_u8(in, b.protocol_id, "protocol_id"));
  OTAFLOW_TRY(need_u8(in, b.priority_flag, "priority_flag"));
  OTAFLOW_ASSIGN(b.schedule_delivery_time,
                 read_time(in, cs::esme_rinvsched, "schedule_delivery_time"));
  OTAFLOW_ASSIGN(b.validity_period, read_time(in, cs::esme_rinvexpiry, "validity_period"));
  OTAFLOW_TRY(need_u8(in, b.registered_delivery, "registered_delivery"));
  OTAFLOW_TRY(need_u8(in, b.replace_if_present_flag, "replace_if_present_flag"));
  OTAFLOW_TRY(need_u8(in, b.data_coding, "data_coding"));
  OTAFLOW_TRY(need_u8(in, b.sm_default_msg_id, "sm_default_msg_id"));
  std::uint8_t sm_length = 0;
  OTAFLOW_TRY(need_u8(in, sm_length, "sm_length"));
  if (sm_length > max_short_message) {
    return fail(cs::esme_rinvmsglen,
                "sm_length " + std::to_string(sm_length) + " exceeds the maximum of 254");
  }
  byte_view sm;
  if (!in.take(sm_length, sm)) {
    return fail(cs::esme_rinvmsglen, "sm_length " + std::to_string(sm_length) + " but only " +
                                         std::to_string(in.remaining()) + " octets left");
  }
  b.short_message.assign(sm.begin(), sm.end());
  OTAFLOW_ASSIGN(b.tlvs, read_tlvs(in));
  return {};
}

template <command_id Id>
status write_body(byte_writer& out, const short_message_pdu<Id>& b) {
  using cs = command_status;
  OTAFLOW_TRY(
      write_cstring(out, b.service_type, max_service_type, cs::esme_rinvsertyp, "service_type"));
  out.u8(b.source_addr_ton);
  out.u8(b.source_addr_npi);
  OTAFLOW_TRY(write_cstring(out, b.source_addr, max_address, cs::esme_rinvsrcadr, "source_addr"));
  out.u8(b.dest_addr_ton);
  out.u8(b.dest_addr_npi);
  OTAFLOW_TRY(
      write_cstring(out, b.destination_addr, max_address, cs::esme_rinvdstadr, "destination_addr"));
  out.u8(b.esm_class);
  out.u8(b.protocol_id);
  out.u8(b.priority_flag);
  OTAFLOW_TRY(
      write_time(out, b.schedule_delivery_time, cs::esme_rinvsched, "schedule_delivery_time"));
  OTAFLOW_TRY(write_time(out, b.validity_period, cs::esme_rinvexpiry, "validity_period"));
  out.u8(b.registered_delivery);
  out.u8(b.replace_if_present_flag);
  out.u8(b.data_coding);
  out.u8(b.sm_default_msg_id);
  if (b.short_message.size() > max_short_message) {
    return fail(cs::esme_rinvmsglen, "short_message of " + std::to_string(b.short_message.size()) +
                                         " octets exceeds 254 (use message_payload)");
  }
  out.u8(static_cast<std::uint8_t>(b.short_message.size()));
  out.append(b.short_message);
  return write_tlvs(out, b.tlvs);
}

template <command_id Id>
status read_body(byte_reader& in, message_id_response<Id>& b) {
  OTAFLOW_ASSIGN(b.message_id,
                 read_cstring(in, max_message_id, command_status::esme_rinvmsgid, "message_id"));
  OTAFLOW_ASSIGN(b.tlvs, read_tlvs(in));
  return {};
}

template <command_id Id>
status write_body(byte_writer& out, const message_id_response<Id>& b) {
  OTAFLOW_TRY(write_cstring(out, b.message_id, max_message_id, command_status::esme_rinvmsgid,
                            "message_id"));
  return write_tlvs(out, b.tlvs);
}

status read_body(byte_reader& in, outbind& b) {
  using cs = command_status;
  OTAFLOW_ASSIGN(b.system_id, read_cstring(in, max_system_id, cs::esme_rinvsysid, "system_id"));
  OTAFLOW_ASSIGN(b.password, read_cstring(in, max_password, cs::esme_rinvpaswd, "password"));
  return check_end(in, "outbind");
}

status write_body(byte_writer& out, const outbind& b) {
  using cs = command_status;
  OTAFLOW_TRY(write_cstring(out, b.system_id, max_system_id, cs::esme_rinvsysid, "system_id"));
  return write_cstring(out, b.password, max_password, cs::esme_rinvpaswd, "password");
}

status read_body(byte_reader& in, data_sm& b) {
  using cs = command_status;
  OTAFLOW_ASSIGN(b.service_type,
                 read_cstring(in, max_service_type, cs::esme_rinvsertyp, "service_type"));
  OTAFLOW_TRY(need_u8(in, b.source_addr_ton, "source_addr_ton"));
  OTAFLOW_TRY(need_u8(in, b.source_addr_npi, "source_addr_npi"));
  OTAFLOW_ASSIGN(b.source_addr,
                 read_cstring(in, max_data_sm_address, cs::esme_rinvsrcadr, "source_addr"));
  OTAFLOW_TRY(need_u8(in, b.dest_addr_ton, "dest_addr_ton"));
  OTAFLOW_TRY(need_u8(in, b.dest_addr_npi, "dest_addr_npi"));
  OTAFLOW_ASSIGN(b.destination_addr,
                 read_cstring(in, max_data_sm_address, cs::esme_rinvdstadr, "destination_addr"));
  OTAFLOW_TRY(need_u8(in, b.esm_class, "esm_class"));
  OTAFLOW_TRY(need_u8(in, b.registered_delivery, "registered_delivery"));
  OTAFLOW_TRY(need_u8(in, b.data_coding, "data_coding"));
  OTAFLOW_ASSIGN(b.tlvs, read_tlvs(in));
  return {};
}

status write_body(byte_writer& out, const data_sm& b) {
  using cs = command_status;
  OTAFLOW_TRY(
      write_cstring(out, b.service_type, max_service_type, cs::esme_rinvsertyp, "service_type"));
  out.u8(b.source_addr_ton);
  out.u8(b.source_addr_npi);
  OTAFLOW_TRY(
      write_cstring(out, b.source_addr, max_data_sm_address, cs::esme_rinvsrcadr, "source_addr"));
  out.u8(b.dest_addr_ton);
  out.u8(b.dest_addr_npi);
  OTAFLOW_TRY(write_cstring(out, b.destination_addr, max_data_sm_address, cs::esme_rinvdstadr,
                            "destination_addr"));
  out.u8(b.esm_class);
  out.u8(b.registered_delivery);
  out.u8(b.data_coding);
  return write_tlvs(out, b.tlvs);
}

status read_body(byte_reader& in, query_sm& b) {
  using cs = command_status;
  OTAFLOW_ASSIGN(b.message_id, read_cstring(in, max_message_id, cs::esme_rinvmsgid, "message_id"));
  OTAFLOW_TRY(need_u8(in, b.source_addr_ton, "source_addr_ton"));
  OTAFLOW_TRY(need_u8(in, b.source_addr_npi, "source_addr_npi"));
  OTAFLOW_ASSIGN(b.source_addr, read_cstring(in, max_address, cs::esme_rinvsrcadr, "source_addr"));
  return check_end(in, "query_sm");
}

status write_body(byte_writer& out, const query_sm& b) {
  using cs = command_status;
  OTAFLOW_TRY(write_cstring(out, b.message_id, max_message_id, cs::esme_rinvmsgid, "message_id"));
  out.u8(b.source_addr_ton);
  out.u8(b.source_addr_npi);
  return write_cstring(out, b.source_addr, max_address, cs::esme_rinvsrcadr, "source_addr");
}

status read_body(byte_reader& in, query_sm_resp& b) {
  using cs = command_status;
  OTAFLOW_ASSIGN(b.message_id, read_cstring(in, max_message_id, cs::esme_rinvmsgid, "message_id"));
  OTAFLOW_ASSIGN(b.final_date, read_time(in, cs::esme_rsyserr, "final_date"));
  OTAFLOW_TRY(need_u8(in, b.message_state, "message_state"));
  OTAFLOW_TRY(need_u8(in, b.error_code, "error_code"));
  return check_end(in, "query_sm_resp");
}

status write_body(byte_writer& out, const query_sm_resp& b) {
  using cs = command_status;
  OTAFLOW_TRY(write_cstring(out, b.message_id, max_message_id, cs::esme_rinvmsgid, "message_id"));
  OTAFLOW_TRY(write_time(out, b.final_date, cs::esme_rsyserr, "final_date"));
  out.u8(b.message_state);
  out.u8(b.error_code);
  return {};
}

#undef OTAFLOW_ASSIGN

template <class T>
result<pdu_body> decode_as(byte_view body, bool response) {
  T b{};
  // Responses with an empty body are accepted as the default body: SMSCs omit it on errors
  // (§4.4.2 says so for submit_sm_resp) and some even on success.
  if (response && body.empty()) return pdu_body(std::move(b));
  byte_reader in(body);
  OTAFLOW_TRY(read_body(in, b));
  return pdu_body(std::move(b));
}

// Templates cannot be instantiated for an id unknown at compile time: one switch maps them.
result<pdu_body> decode_body(command_id id, byte_view body) {
  using ci = command_id;
  const bool rsp = is_response(id);
  switch (id) {
    case ci::generic_nack:
      return decode_as<generic_nack>(body, rsp);
    case ci::bind_receiver:
      return decode_as<bind_receiver>(body, rsp);
    case ci::bind_receiver_resp:
      return decode_as<bind_receiver_resp>(body, rsp);
    case ci::bind_transmitter:
      return decode_as<bind_transmitter>(body, rsp);
    case ci::bind_transmitter_resp:
      return decode_as<bind_transmitter_resp>(body, rsp);
    case ci::bind_transceiver:
      return decode_as<bind_transceiver>(body, rsp);
    case ci::bind_transceiver_resp:
      return decode_as<bind_transceiver_resp>(body, rsp);
    case ci::outbind:
      return decode_as<outbind>(body, rsp);
    case ci::unbind:
      return decode_as<unbind>(body, rsp);
    case ci::unbind_resp:
      return decode_as<unbind_resp>(body, rsp);
    case ci::submit_sm:
      return decode_as<submit_sm>(body, rsp);
    case ci::submit_sm_resp:
      return decode_as<submit_sm_resp>(body, rsp);
    case ci::deliver_sm:
      return decode_as<deliver_sm>(body, rsp);
    case ci::deliver_sm_resp:
      return decode_as<deliver_sm_resp>(body, rsp);
    case ci::data_sm:
      return decode_as<data_sm>(body, rsp);
    case ci::data_sm_resp:
      return decode_as<data_sm_resp>(body, rsp);
    case ci::query_sm:
      return decode_as<query_sm>(body, rsp);
    case ci::query_sm_resp:
      return decode_as<query_sm_resp>(body, rsp);
    case ci::enquire_link:
      return decode_as<enquire_link>(body, rsp);
    case ci::enquire_link_resp:
      return decode_as<enquire_link_resp>(body, rsp);
    default:
      break;
  }
  const auto name = command_name(id);
  if (!name.empty()) {
    return fail(command_status::esme_rinvcmdid,
                "command_id 0x" + to_hex(static_cast<std::uint32_t>(id), 8) + " (" +
                    std::string(name) + ") is not supported");
  }
  return fail(command_status::esme_rinvcmdid,
              "unknown command_id 0x" + to_hex(static_cast<std::uint32_t>(id), 8));
}

}  // namespace

const std::error_category& status_category() noexcept {
  static const status_category_impl c;
  return c;
}

command_status to_command_status(const error& e) noexcept {
  if (e.code.category() == status_category()) {
    return static_cast<command_status>(static_cast<std::uint32_t>(e.code.value()));
  }
  if (e.code == make_error_code(errc::truncated)) return command_status::esme_rinvcmdlen;
  return command_status::esme_rsyserr;
}

std::string_view status_name(command_status s) noexcept {
  using cs = command_status;
  switch (s) {
    case cs::esme_rok:
      return "ESME_ROK";
    case cs::esme_rinvmsglen:
      return "ESME_RINVMSGLEN";
    case cs::esme_rinvcmdlen:
      return "ESME_RINVCMDLEN";
    case cs::esme_rinvcmdid:
      return "ESME_RINVCMDID";
    case cs::esme_rinvbndsts:
      return "ESME_RINVBNDSTS";
    case cs::esme_ralybnd:
      return "ESME_RALYBND";
    case cs::esme_rinvprtflg:
      return "ESME_RINVPRTFLG";
    case cs::esme_rinvregdlvflg:
      return "ESME_RINVREGDLVFLG";
    case cs::esme_rsyserr:
      return "ESME_RSYSERR";
    case cs::esme_rinvsrcadr:
      return "ESME_RINVSRCADR";
    case cs::esme_rinvdstadr:
      return "ESME_RINVDSTADR";
    case cs::esme_rinvmsgid:
      return "ESME_RINVMSGID";
    case cs::esme_rbindfail:
      return "ESME_RBINDFAIL";
    case cs::esme_rinvpaswd:
      return "ESME_RINVPASWD";
    case cs::esme_rinvsysid:
      return "ESME_RINVSYSID";
    case cs::esme_rcancelfail:
      return "ESME_RCANCELFAIL";
    case cs::esme_rreplacefail:
      return "ESME_RREPLACEFAIL";
    case cs::esme_rmsgqful:
      return "ESME_RMSGQFUL";
    case cs::esme_rinvsertyp:
      return "ESME_RINVSERTYP";
    case cs::esme_rinvnumdests:
      return "ESME_RINVNUMDESTS";
    case cs::esme_rinvdlname:
      return "ESME_RINVDLNAME";
    case cs::esme_rinvdestflag:
      return "ESME_RINVDESTFLAG";
    case cs::esme_rinvsubrep:
      return "ESME_RINVSUBREP";
    case cs::esme_rinvesmclass:
      return "ESME_RINVESMCLASS";
    case cs::esme_rcntsubdl:
      return "ESME_RCNTSUBDL";
    case cs::esme_rsubmitfail:
      return "ESME_RSUBMITFAIL";
    case cs::esme_rinvsrcton:
      return "ESME_RINVSRCTON";
    case cs::esme_rinvsrcnpi:
      return "ESME_RINVSRCNPI";
    case cs::esme_rinvdstton:
      return "ESME_RINVDSTTON";
    case cs::esme_rinvdstnpi:
      return "ESME_RINVDSTNPI";
    case cs::esme_rinvsystyp:
      return "ESME_RINVSYSTYP";
    case cs::esme_rinvrepflag:
      return "ESME_RINVREPFLAG";
    case cs::esme_rinvnummsgs:
      return "ESME_RINVNUMMSGS";
    case cs::esme_rthrottled:
      return "ESME_RTHROTTLED";
    case cs::esme_rinvsched:
      return "ESME_RINVSCHED";
    case cs::esme_rinvexpiry:
      return "ESME_RINVEXPIRY";
    case cs::esme_rinvdftmsgid:
      return "ESME_RINVDFTMSGID";
    case cs::esme_rx_t_appn:
      return "ESME_RX_T_APPN";
    case cs::esme_rx_p_appn:
      return "ESME_RX_P_APPN";
    case cs::esme_rx_r_appn:
      return "ESME_RX_R_APPN";
    case cs::esme_rqueryfail:
      return "ESME_RQUERYFAIL";
    case cs::esme_rinvoptparstream:
      return "ESME_RINVOPTPARSTREAM";
    case cs::esme_roptparnotallwd:
      return "ESME_ROPTPARNOTALLWD";
    case cs::esme_rinvparlen:
      return "ESME_RINVPARLEN";
    case cs::esme_rmissingoptparam:
      return "ESME_RMISSINGOPTPARAM";
    case cs::esme_rinvoptparamval:
      return "ESME_RINVOPTPARAMVAL";
    case cs::esme_rdeliveryfailure:
      return "ESME_RDELIVERYFAILURE";
    case cs::esme_runknownerr:
      return "ESME_RUNKNOWNERR";
    case cs::esme_rinvdcs:
      return "ESME_RINVDCS";
  }
  return "";
}

std::string_view command_name(command_id id) noexcept {
  using ci = command_id;
  switch (id) {
    case ci::generic_nack:
      return "generic_nack";
    case ci::bind_receiver:
      return "bind_receiver";
    case ci::bind_receiver_resp:
      return "bind_receiver_resp";
    case ci::bind_transmitter:
      return "bind_transmitter";
    case ci::bind_transmitter_resp:
      return "bind_transmitter_resp";
    case ci::query_sm:
      return "query_sm";
    case ci::query_sm_resp:
      return "query_sm_resp";
    case ci::submit_sm:
      return "submit_sm";
    case ci::submit_sm_resp:
      return "submit_sm_resp";
    case ci::deliver_sm:
      return "deliver_sm";
    case ci::deliver_sm_resp:
      return "deliver_sm_resp";
    case ci::unbind:
      return "unbind";
    case ci::unbind_resp:
      return "unbind_resp";
    case ci::replace_sm:
      return "replace_sm";
    case ci::replace_sm_resp:
      return "replace_sm_resp";
    case ci::cancel_sm:
      return "cancel_sm";
    case ci::cancel_sm_resp:
      return "cancel_sm_resp";
    case ci::bind_transceiver:
      return "bind_transceiver";
    case ci::bind_transceiver_resp:
      return "bind_transceiver_resp";
    case ci::outbind:
      return "outbind";
    case ci::enquire_link:
      return "enquire_link";
    case ci::enquire_link_resp:
      return "enquire_link_resp";
    case ci::submit_multi:
      return "submit_multi";
    case ci::submit_multi_resp:
      return "submit_multi_resp";
    case ci::alert_notification:
      return "alert_notification";
    case ci::data_sm:
      return "data_sm";
    case ci::data_sm_resp:
      return "data_sm_resp";
  }
  return "";
}

// ---- TLVs ----

const tlv* find_tlv(const tlv_list& tlvs, std::uint16_t t) noexcept {
  for (const auto& x : tlvs) {
    if (x.tag == t) return &x;
  }
  return nullptr;
}

tlv make_tlv_u8(std::uint16_t t, std::uint8_t v) {
  return tlv{t, bytes{v}};
}

tlv make_tlv_u16(std::uint16_t t, std::uint16_t v) {
  return tlv{t, bytes{static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)}};
}

tlv make_tlv_cstring(std::uint16_t t, std::string_view s) {
  tlv x{t, bytes(s.begin(), s.end())};
  x.value.push_back(0);
  return x;
}

namespace {
error bad_tlv_length(std::uint16_t t, std::size_t got, std::size_t want) {
  return fail(command_status::esme_rinvparlen, "TLV 0x" + to_hex(t, 4) + ": length " +
                                                   std::to_string(got) + ", expected " +
                                                   std::to_string(want));
}
}  // namespace

result<std::optional<std::uint8_t>> get_tlv_u8(const tlv_list& tlvs, std::uint16_t t) {
  const tlv* x = find_tlv(tlvs, t);
  if (x == nullptr) return std::optional<std::uint8_t>{};
  if (x->value.size() != 1) return bad_tlv_length(t, x->value.size(), 1);
  return std::optional<std::uint8_t>(x->value[0]);
}

result<std::optional<std::uint16_t>> get_tlv_u16(const tlv_list& tlvs, std::uint16_t t) {
  const tlv* x = find_tlv(tlvs, t);
  if (x == nullptr) return std::optional<std::uint16_t>{};
  if (x->value.size() != 2) return bad_tlv_length(t, x->value.size(), 2);
  return std::optional<std::uint16_t>(static_cast<std::uint16_t>((x->value[0] << 8) | x->value[1]));
}

result<std::optional<std::string>> get_tlv_cstring(const tlv_list& tlvs, std::uint16_t t) {
  const tlv* x = find_tlv(tlvs, t);
  if (x == nullptr) return std::optional<std::string>{};
  const auto nul = std::find(x->value.begin(), x->value.end(), 0);
  if (nul == x->value.end()) {
    return fail(command_status::esme_rinvparlen, "TLV 0x" + to_hex(t, 4) + ": C-string of " +
                                                     std::to_string(x->value.size()) +
                                                     " octets has no NUL terminator");
  }
  return std::optional<std::string>(std::string(x->value.begin(), nul));
}

tlv make_message_payload(byte_view data) {
  return tlv{tag::message_payload, bytes(data.begin(), data.end())};
}

std::optional<byte_view> get_message_payload(const tlv_list& tlvs) noexcept {
  const tlv* x = find_tlv(tlvs, tag::message_payload);
  if (x == nullptr) return std::nullopt;
  return byte_view(x->value);
}

tlv make_sar_msg_ref_num(std::uint16_t ref) {
  return make_tlv_u16(tag::sar_msg_ref_num, ref);
}
result<std::optional<std::uint16_t>> get_sar_msg_ref_num(const tlv_list& tlvs) {
  return get_tlv_u16(tlvs, tag::sar_msg_ref_num);
}

tlv make_sar_total_segments(std::uint8_t n) {
  return make_tlv_u8(tag::sar_total_segments, n);
}
result<std::optional<std::uint8_t>> get_sar_total_segments(const tlv_list& tlvs) {
  return get_tlv_u8(tlvs, tag::sar_total_segments);
}

tlv make_sar_segment_seqnum(std::uint8_t i) {
  return make_tlv_u8(tag::sar_segment_seqnum, i);
}
result<std::optional<std::uint8_t>> get_sar_segment_seqnum(const tlv_list& tlvs) {
  return get_tlv_u8(tlvs, tag::sar_segment_seqnum);
}

tlv make_receipted_message_id(std::string_view id) {
  return make_tlv_cstring(tag::receipted_message_id, id);
}
result<std::optional<std::string>> get_receipted_message_id(const tlv_list& tlvs) {
  return get_tlv_cstring(tlvs, tag::receipted_message_id);
}

tlv make_message_state(message_state s) {
  return make_tlv_u8(tag::message_state, static_cast<std::uint8_t>(s));
}
result<std::optional<message_state>> get_message_state(const tlv_list& tlvs) {
  auto v = get_tlv_u8(tlvs, tag::message_state);
  if (!v) return std::move(v).error();
  if (!*v) return std::optional<message_state>{};
  return std::optional<message_state>(static_cast<message_state>(**v));
}

tlv make_network_error_code(network_error e) {
  return tlv{tag::network_error_code,
             bytes{e.network_type, static_cast<std::uint8_t>(e.error_code >> 8),
                   static_cast<std::uint8_t>(e.error_code)}};
}
result<std::optional<network_error>> get_network_error_code(const tlv_list& tlvs) {
  const tlv* x = find_tlv(tlvs, tag::network_error_code);
  if (x == nullptr) return std::optional<network_error>{};
  if (x->value.size() != 3) return bad_tlv_length(tag::network_error_code, x->value.size(), 3);
  return std::optional<network_error>(
      network_error{x->value[0], static_cast<std::uint16_t>((x->value[1] << 8) | x->value[2])});
}

tlv make_user_message_reference(std::uint16_t ref) {
  return make_tlv_u16(tag::user_message_reference, ref);
}
result<std::optional<std::uint16_t>> get_user_message_reference(const tlv_list& tlvs) {
  return get_tlv_u16(tlvs, tag::user_message_reference);
}

tlv make_sc_interface_version(std::uint8_t version) {
  return make_tlv_u8(tag::sc_interface_version, version);
}
result<std::optional<std::uint8_t>> get_sc_interface_version(const tlv_list& tlvs) {
  return get_tlv_u8(tlvs, tag::sc_interface_version);
}

// ---- PDUs ----

command_id pdu::id() const noexcept {
  return std::visit([](const auto& b) { return std::decay_t<decltype(b)>::id; }, body);
}

result<std::optional<std::uint32_t>> frame_length(byte_view stream, std::uint32_t max_length) {
  byte_reader in(stream);
  std::uint32_t len = 0;
  if (!in.u32(len)) return std::optional<std::uint32_t>{};
  if (len < header_size) {
    return fail(command_status::esme_rinvcmdlen,
                "command_length " + std::to_string(len) + " is below the 16-octet header");
  }
  if (len > max_length) {
    return fail(command_status::esme_rinvcmdlen, "command_length " + std::to_string(len) +
                                                     " exceeds the limit of " +
                                                     std::to_string(max_length));
  }
  return std::optional<std::uint32_t>(len);
}

result<pdu_header> decode_header(byte_view data) {
  byte_reader in(data);
  pdu_header h;
  std::uint32_t id = 0;
  std::uint32_t st = 0;
  if (!in.u32(h.command_length) || !in.u32(id) || !in.u32(st) || !in.u32(h.sequence_number)) {
    return fail(command_status::esme_rinvcmdlen,
                "header: " + std::to_string(data.size()) + " octets, 16 needed");
  }
  h.id = static_cast<command_id>(id);
  h.status = static_cast<command_status>(st);
  return h;
}

result<pdu> decode(byte_view whole_pdu) {
  auto h = decode_header(whole_pdu);
  if (!h) return std::move(h).error();
  if (h->command_length != whole_pdu.size()) {
    return fail(command_status::esme_rinvcmdlen,
                "command_length " + std::to_string(h->command_length) + " but the PDU has " +
                    std::to_string(whole_pdu.size()) + " octets");
  }
  auto body = decode_body(h->id, whole_pdu.subspan(header_size));
  if (!body) return std::move(body).error();
  return pdu{h->status, h->sequence_number, std::move(*body)};
}

status encode(const pdu& p, byte_writer& out) {
  byte_writer w;
  w.u32(0);  // command_length, patched below
  w.u32(static_cast<std::uint32_t>(p.id()));
  w.u32(static_cast<std::uint32_t>(p.status));
  w.u32(p.sequence_number);
  // §4.4.2: submit_sm_resp carries no body when command_status is an error; we omit it when
  // there is nothing to say (the default body).
  const auto* resp = std::get_if<submit_sm_resp>(&p.body);
  const bool omit =
      resp != nullptr && p.status != command_status::esme_rok && *resp == submit_sm_resp{};
  if (!omit) {
    OTAFLOW_TRY(std::visit([&](const auto& b) { return write_body(w, b); }, p.body));
  }
  bytes data = w.take();
  const auto len = static_cast<std::uint32_t>(data.size());
  data[0] = static_cast<std::uint8_t>(len >> 24);
  data[1] = static_cast<std::uint8_t>(len >> 16);
  data[2] = static_cast<std::uint8_t>(len >> 8);
  data[3] = static_cast<std::uint8_t>(len);
  out.append(data);
  return {};
}

result<bytes> encode(const pdu& p) {
  byte_writer w;
  OTAFLOW_TRY(encode(p, w));
  return w.take();
}

pdu make_generic_nack(command_status s, std::uint32_t sequence_number) {
  return pdu{s, sequence_number, generic_nack{}};
}

}  // namespace otaflow::codec::smpp
