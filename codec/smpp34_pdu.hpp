#pragma once
// SMPP v3.4 (issue 1.2) PDUs: the 16-octet header (§3.2), the bodies of the bind, outbind,
// unbind, generic_nack, submit_sm, deliver_sm, data_sm, query_sm and enquire_link operations
// and their responses (§4), optional parameters (TLVs, §3.2.3 / §5.3), and stream framing by
// command_length.
//
// Decode errors carry the command_status a server answers with: their std::error_code is in
// smpp::status_category() and its value is the command_status (ESME_RINVCMDLEN for a bad length,
// ESME_RINVCMDID for an unknown command, ESME_RINVMSGLEN for a bad sm_length, ...).
// to_command_status() maps any error to the status to send.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <variant>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "codec/smpp34_constants.hpp"

namespace otaflow::codec::smpp {

// ---- Errors ----------------------------------------------------------------------------------

/// The error category whose codes are SMPP command_status values.
const std::error_category& status_category() noexcept;

/// An error code in status_category() (lets make_error take a command_status).
inline std::error_code make_error_code(command_status s) noexcept {
  return {static_cast<int>(s), status_category()};
}

/// The command_status to answer for an error: its own status when it came from this codec,
/// ESME_RINVCMDLEN for truncation, ESME_RSYSERR otherwise.
[[nodiscard]] command_status to_command_status(const error& e) noexcept;

/// "ESME_RINVCMDLEN" etc.; "" for a value outside the §5.1.3 table.
[[nodiscard]] std::string_view status_name(command_status s) noexcept;
/// "submit_sm" etc.; "" for an unknown id.
[[nodiscard]] std::string_view command_name(command_id id) noexcept;
/// Whether a command_id has the response bit set (§5.1.2.1).
[[nodiscard]] constexpr bool is_response(command_id id) noexcept {
  return (static_cast<std::uint32_t>(id) & response_bit) != 0;
}

// ---- Optional parameters (TLVs) --------------------------------------------------------------

/// One optional parameter: tag, and value (its length is value.size(), at most 65535).
struct tlv {
  std::uint16_t tag = 0;
  bytes value;
  bool operator==(const tlv&) const = default;
};
using tlv_list = std::vector<tlv>;

/// The first TLV with a tag, or nullptr.
[[nodiscard]] const tlv* find_tlv(const tlv_list& tlvs, std::uint16_t tag) noexcept;
/// A TLV holding one octet.
[[nodiscard]] tlv make_tlv_u8(std::uint16_t tag, std::uint8_t v);
/// A TLV holding a big-endian 16-bit integer.
[[nodiscard]] tlv make_tlv_u16(std::uint16_t tag, std::uint16_t v);
/// A TLV holding a C-octet string (the NUL is added).
[[nodiscard]] tlv make_tlv_cstring(std::uint16_t tag, std::string_view s);
/// The one-octet value of a TLV, if present; ESME_RINVPARLEN when its length is not 1.
[[nodiscard]] result<std::optional<std::uint8_t>> get_tlv_u8(const tlv_list& tlvs,
                                                             std::uint16_t tag);
/// The 16-bit value of a TLV, if present; ESME_RINVPARLEN when its length is not 2.
[[nodiscard]] result<std::optional<std::uint16_t>> get_tlv_u16(const tlv_list& tlvs,
                                                               std::uint16_t tag);
/// The C-octet string of a TLV, if present; ESME_RINVPARLEN when it lacks its NUL.
[[nodiscard]] result<std::optional<std::string>> get_tlv_cstring(const tlv_list& tlvs,
                                                                 std::uint16_t tag);

/// network_error_code value (§5.3.2.31): network type and a network specific error code.
struct network_error {
  std::uint8_t network_type = network_type::gsm;
  std::uint16_t error_code = 0;
  bool operator==(const network_error&) const = default;
};

/// message_payload 0x0424 (§5.3.2.32): the user data, replacing short_message.
[[nodiscard]] tlv make_message_payload(byte_view data);
/// The message_payload value, if present.
[[nodiscard]] std::optional<byte_view> get_message_payload(const tlv_list& tlvs) noexcept;
/// sar_msg_ref_num 0x020C (§5.3.2.22).
[[nodiscard]] tlv make_sar_msg_ref_num(std::uint16_t ref);
/// The sar_msg_ref_num value, if present.
[[nodiscard]] result<std::optional<std::uint16_t>> get_sar_msg_ref_num(const tlv_list& tlvs);
/// sar_total_segments 0x020E (§5.3.2.23).
[[nodiscard]] tlv make_sar_total_segments(std::uint8_t n);
/// The sar_total_segments value, if present.
[[nodiscard]] result<std::optional<std::uint8_t>> get_sar_total_segments(const tlv_list& tlvs);
/// sar_segment_seqnum 0x020F (§5.3.2.24).
[[nodiscard]] tlv make_sar_segment_seqnum(std::uint8_t i);
/// The sar_segment_seqnum value, if present.
[[nodiscard]] result<std::optional<std::uint8_t>> get_sar_segment_seqnum(const tlv_list& tlvs);
/// receipted_message_id 0x001E (§5.3.2.12), a C-string of at most 64 characters.
[[nodiscard]] tlv make_receipted_message_id(std::string_view id);
/// The receipted_message_id value, if present.
[[nodiscard]] result<std::optional<std::string>> get_receipted_message_id(const tlv_list& tlvs);
/// message_state 0x0427 (§5.3.2.35).
[[nodiscard]] tlv make_message_state(message_state s);
/// The message_state value, if present (any octet value is passed through).
[[nodiscard]] result<std::optional<message_state>> get_message_state(const tlv_list& tlvs);
/// network_error_code 0x0423 (§5.3.2.31).
[[nodiscard]] tlv make_network_error_code(network_error e);
/// The network_error_code value, if present.
[[nodiscard]] result<std::optional<network_error>> get_network_error_code(const tlv_list& tlvs);
/// user_message_reference 0x0204 (§5.3.2.17).
[[nodiscard]] tlv make_user_message_reference(std::uint16_t ref);
/// The user_message_reference value, if present.
[[nodiscard]] result<std::optional<std::uint16_t>> get_user_message_reference(const tlv_list& tlvs);
/// sc_interface_version 0x0210 (§5.3.2.25), sent in bind responses.
[[nodiscard]] tlv make_sc_interface_version(std::uint8_t version = interface_version_34);
/// The sc_interface_version value, if present.
[[nodiscard]] result<std::optional<std::uint8_t>> get_sc_interface_version(const tlv_list& tlvs);

// ---- PDU bodies (§4) -------------------------------------------------------------------------

/// bind_transmitter / bind_receiver / bind_transceiver (§4.1.1, §4.1.3, §4.1.5).
template <command_id Id>
struct bind_request {
  static constexpr command_id id = Id;
  std::string system_id;    ///< max 15 characters
  std::string password;     ///< max 8 characters
  std::string system_type;  ///< max 12 characters
  std::uint8_t interface_version = interface_version_34;
  std::uint8_t addr_ton = 0;
  std::uint8_t addr_npi = 0;
  std::string address_range;  ///< max 40 characters
  bool operator==(const bind_request&) const = default;
};

/// bind_*_resp (§4.1.2, §4.1.4, §4.1.6): SMSC system_id, optional sc_interface_version TLV.
template <command_id Id>
struct bind_response {
  static constexpr command_id id = Id;
  std::string system_id;
  tlv_list tlvs;
  bool operator==(const bind_response&) const = default;
};

/// Operations whose PDU is the header alone (unbind, enquire_link, their responses,
/// generic_nack: §4.2, §4.3, §4.11).
template <command_id Id>
struct header_only {
  static constexpr command_id id = Id;
  bool operator==(const header_only&) const = default;
};

/// submit_sm (§4.4.1) and deliver_sm (§4.6.1), which share one layout.
template <command_id Id>
struct short_message_pdu {
  static constexpr command_id id = Id;
  std::string service_type;  ///< max 5 characters
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string source_addr;  ///< max 20 characters
  std::uint8_t dest_addr_ton = 0;
  std::uint8_t dest_addr_npi = 0;
  std::string destination_addr;  ///< max 20 characters
  std::uint8_t esm_class = 0;
  std::uint8_t protocol_id = 0;
  std::uint8_t priority_flag = 0;
  std::string schedule_delivery_time;  ///< "" or 16 characters YYMMDDhhmmsstnnp (§7.1.1)
  std::string validity_period;         ///< "" or 16 characters YYMMDDhhmmsstnnp (§7.1.1)
  std::uint8_t registered_delivery = 0;
  std::uint8_t replace_if_present_flag = 0;
  std::uint8_t data_coding = 0;
  std::uint8_t sm_default_msg_id = 0;
  bytes short_message;  ///< 0..254 octets; sm_length is its size
  tlv_list tlvs;
  bool operator==(const short_message_pdu&) const = default;
};

/// submit_sm_resp / deliver_sm_resp / data_sm_resp (§4.4.2, §4.6.2, §4.7.2).
template <command_id Id>
struct message_id_response {
  static constexpr command_id id = Id;
  std::string message_id;  ///< max 64 characters; NULL (empty) in deliver_sm_resp
  tlv_list tlvs;
  bool operator==(const message_id_response&) const = default;
};

/// outbind (§4.1.7).
struct outbind {
  static constexpr command_id id = command_id::outbind;
  std::string system_id;
  std::string password;
  bool operator==(const outbind&) const = default;
};

/// data_sm (§4.7.1): addresses up to 64 characters; user data in message_payload.
struct data_sm {
  static constexpr command_id id = command_id::data_sm;
  std::string service_type;
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string source_addr;
  std::uint8_t dest_addr_ton = 0;
  std::uint8_t dest_addr_npi = 0;
  std::string destination_addr;
  std::uint8_t esm_class = 0;
  std::uint8_t registered_delivery = 0;
  std::uint8_t data_coding = 0;
  tlv_list tlvs;
  bool operator==(const data_sm&) const = default;
};

/// query_sm (§4.8.1).
struct query_sm {
  static constexpr command_id id = command_id::query_sm;
  std::string message_id;
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string source_addr;
  bool operator==(const query_sm&) const = default;
};

/// query_sm_resp (§4.8.2).
struct query_sm_resp {
  static constexpr command_id id = command_id::query_sm_resp;
  std::string message_id;
  std::string final_date;  ///< "" or 16 characters
  std::uint8_t message_state = 0;
  std::uint8_t error_code = 0;
  bool operator==(const query_sm_resp&) const = default;
};

using generic_nack = header_only<command_id::generic_nack>;
using bind_receiver = bind_request<command_id::bind_receiver>;
using bind_receiver_resp = bind_response<command_id::bind_receiver_resp>;
using bind_transmitter = bind_request<command_id::bind_transmitter>;
using bind_transmitter_resp = bind_response<command_id::bind_transmitter_resp>;
using bind_transceiver = bind_request<command_id::bind_transceiver>;
using bind_transceiver_resp = bind_response<command_id::bind_transceiver_resp>;
using submit_sm = short_message_pdu<command_id::submit_sm>;
using submit_sm_resp = message_id_response<command_id::submit_sm_resp>;
using deliver_sm = short_message_pdu<command_id::deliver_sm>;
using deliver_sm_resp = message_id_response<command_id::deliver_sm_resp>;
using data_sm_resp = message_id_response<command_id::data_sm_resp>;
using unbind = header_only<command_id::unbind>;
using unbind_resp = header_only<command_id::unbind_resp>;
using enquire_link = header_only<command_id::enquire_link>;
using enquire_link_resp = header_only<command_id::enquire_link_resp>;

/// Every body this codec reads and writes.
using pdu_body =
    std::variant<generic_nack, bind_receiver, bind_receiver_resp, bind_transmitter,
                 bind_transmitter_resp, bind_transceiver, bind_transceiver_resp, outbind, unbind,
                 unbind_resp, submit_sm, submit_sm_resp, deliver_sm, deliver_sm_resp, data_sm,
                 data_sm_resp, query_sm, query_sm_resp, enquire_link, enquire_link_resp>;

// ---- PDUs ------------------------------------------------------------------------------------

/// The 16-octet header (§3.2): all fields big-endian.
struct pdu_header {
  std::uint32_t command_length = 0;  ///< whole PDU, header included
  command_id id = command_id::generic_nack;
  command_status status = command_status::esme_rok;
  std::uint32_t sequence_number = 0;
  bool operator==(const pdu_header&) const = default;
};

/// A whole PDU: command_id follows from the body; command_length is computed on encode.
struct pdu {
  command_status status = command_status::esme_rok;
  std::uint32_t sequence_number = 0;
  pdu_body body;

  /// The command_id of the body.
  [[nodiscard]] command_id id() const noexcept;
  bool operator==(const pdu&) const = default;
};

/// Frames a byte stream: nullopt until the 4-octet command_length is there, then the size of
/// the next PDU. A command_length below 16 or above max_length is an ESME_RINVCMDLEN error: the
/// peer is out of step, answer generic_nack and close.
[[nodiscard]] result<std::optional<std::uint32_t>> frame_length(
    byte_view stream, std::uint32_t max_length = default_max_command_length);

/// Reads the 16-octet header (ESME_RINVCMDLEN when fewer octets are given), e.g. to learn the
/// sequence number for a generic_nack when the body does not decode.
[[nodiscard]] result<pdu_header> decode_header(byte_view data);

/// Decodes one whole PDU; command_length must equal data.size().
[[nodiscard]] result<pdu> decode(byte_view whole_pdu);

/// Appends a PDU; fails (with the matching command_status) on an over-long field. On error
/// nothing is appended.
[[nodiscard]] status encode(const pdu& p, byte_writer& out);
/// The bytes of a PDU.
[[nodiscard]] result<bytes> encode(const pdu& p);

/// A generic_nack carrying a status (and the offending sequence number when known).
[[nodiscard]] pdu make_generic_nack(command_status s, std::uint32_t sequence_number = 0);

}  // namespace otaflow::codec::smpp

template <>
struct std::is_error_code_enum<otaflow::codec::smpp::command_status> : std::true_type {};
