#pragma once
// SMPP v3.4 (issue 1.2) constants: command ids (§5.1.2.1), command_status values (§5.1.3),
// optional parameter tags (§5.3.2), field values (§5.2), field size limits (§4).
// Section numbers refer to the SMPP v3.4 specification, issue 1.2 (12 Oct 1999).

#include <cstddef>
#include <cstdint>

namespace otaflow::codec::smpp {

/// command_id values (§5.1.2.1, table 5-1). A response id is the request id | 0x80000000.
enum class command_id : std::uint32_t {
  generic_nack = 0x80000000,
  bind_receiver = 0x00000001,
  bind_receiver_resp = 0x80000001,
  bind_transmitter = 0x00000002,
  bind_transmitter_resp = 0x80000002,
  query_sm = 0x00000003,
  query_sm_resp = 0x80000003,
  submit_sm = 0x00000004,
  submit_sm_resp = 0x80000004,
  deliver_sm = 0x00000005,
  deliver_sm_resp = 0x80000005,
  unbind = 0x00000006,
  unbind_resp = 0x80000006,
  replace_sm = 0x00000007,
  replace_sm_resp = 0x80000007,
  cancel_sm = 0x00000008,
  cancel_sm_resp = 0x80000008,
  bind_transceiver = 0x00000009,
  bind_transceiver_resp = 0x80000009,
  outbind = 0x0000000B,
  enquire_link = 0x00000015,
  enquire_link_resp = 0x80000015,
  submit_multi = 0x00000021,
  submit_multi_resp = 0x80000021,
  alert_notification = 0x00000102,
  data_sm = 0x00000103,
  data_sm_resp = 0x80000103,
};

/// Bit that marks a response command_id (§5.1.2.1).
inline constexpr std::uint32_t response_bit = 0x80000000;

/// command_status values (§5.1.3, table 5-2). Any other 32-bit value may appear on the wire
/// (0x400-0x4FF are SMSC vendor specific), so the enum is open.
enum class command_status : std::uint32_t {
  esme_rok = 0x00,            ///< No error
  esme_rinvmsglen = 0x01,     ///< Message length is invalid
  esme_rinvcmdlen = 0x02,     ///< Command length is invalid
  esme_rinvcmdid = 0x03,      ///< Invalid command id
  esme_rinvbndsts = 0x04,     ///< Incorrect bind status for given command
  esme_ralybnd = 0x05,        ///< ESME already in bound state
  esme_rinvprtflg = 0x06,     ///< Invalid priority flag
  esme_rinvregdlvflg = 0x07,  ///< Invalid registered delivery flag
  esme_rsyserr = 0x08,        ///< System error
  esme_rinvsrcadr = 0x0A,     ///< Invalid source address
  esme_rinvdstadr = 0x0B,     ///< Invalid destination address
  esme_rinvmsgid = 0x0C,      ///< Message id is invalid
  esme_rbindfail = 0x0D,      ///< Bind failed
  esme_rinvpaswd = 0x0E,      ///< Invalid password
  esme_rinvsysid = 0x0F,      ///< Invalid system id
  esme_rcancelfail = 0x11,    ///< cancel_sm failed
  esme_rreplacefail = 0x13,   ///< replace_sm failed
  esme_rmsgqful = 0x14,       ///< Message queue full
  esme_rinvsertyp = 0x15,     ///< Invalid service type
  esme_rinvnumdests = 0x33,   ///< Invalid number of destinations
  esme_rinvdlname = 0x34,     ///< Invalid distribution list name
  esme_rinvdestflag = 0x40,   ///< Destination flag is invalid (submit_multi)
  esme_rinvsubrep = 0x42,     ///< Invalid "submit with replace" request
  esme_rinvesmclass = 0x43,   ///< Invalid esm_class field data
  esme_rcntsubdl = 0x44,      ///< Cannot submit to distribution list
  esme_rsubmitfail = 0x45,    ///< submit_sm or submit_multi failed
  esme_rinvsrcton = 0x48,     ///< Invalid source address TON
  esme_rinvsrcnpi = 0x49,     ///< Invalid source address NPI
  // The 3.4 table jumps from 0x49 to 0x50 (smpplib agrees; smpp.io lists 0x4A/0x4B): see
  // docs/standards/smpp34.md §7 (CONFLICT). We follow the 3.4 table.
  esme_rinvdstton = 0x50,        ///< Invalid destination address TON
  esme_rinvdstnpi = 0x51,        ///< Invalid destination address NPI
  esme_rinvsystyp = 0x53,        ///< Invalid system_type field
  esme_rinvrepflag = 0x54,       ///< Invalid replace_if_present flag
  esme_rinvnummsgs = 0x55,       ///< Invalid number of messages
  esme_rthrottled = 0x58,        ///< Throttling error (ESME exceeded allowed message limits)
  esme_rinvsched = 0x61,         ///< Invalid scheduled delivery time
  esme_rinvexpiry = 0x62,        ///< Invalid message validity period (expiry time)
  esme_rinvdftmsgid = 0x63,      ///< Predefined message invalid or not found
  esme_rx_t_appn = 0x64,         ///< ESME receiver temporary application error
  esme_rx_p_appn = 0x65,         ///< ESME receiver permanent application error
  esme_rx_r_appn = 0x66,         ///< ESME receiver reject message error
  esme_rqueryfail = 0x67,        ///< query_sm request failed
  esme_rinvoptparstream = 0xC0,  ///< Error in the optional part of the PDU body
  esme_roptparnotallwd = 0xC1,   ///< Optional parameter not allowed
  esme_rinvparlen = 0xC2,        ///< Invalid parameter length
  esme_rmissingoptparam = 0xC3,  ///< Expected optional parameter missing
  esme_rinvoptparamval = 0xC4,   ///< Invalid optional parameter value
  esme_rdeliveryfailure = 0xFE,  ///< Delivery failure (data_sm_resp)
  esme_runknownerr = 0xFF,       ///< Unknown error
  /// Not in the 3.4 table: defined by SMPP v5.0 (smpp.pdu, pySim-smpp2sim use it).
  esme_rinvdcs = 0x104,
};

/// Optional parameter (TLV) tags (§5.3.2, table 5-3).
namespace tag {
inline constexpr std::uint16_t dest_addr_subunit = 0x0005;
inline constexpr std::uint16_t dest_network_type = 0x0006;
inline constexpr std::uint16_t dest_bearer_type = 0x0007;
inline constexpr std::uint16_t dest_telematics_id = 0x0008;
inline constexpr std::uint16_t source_addr_subunit = 0x000D;
inline constexpr std::uint16_t source_network_type = 0x000E;
inline constexpr std::uint16_t source_bearer_type = 0x000F;
inline constexpr std::uint16_t source_telematics_id = 0x0010;
inline constexpr std::uint16_t qos_time_to_live = 0x0017;
inline constexpr std::uint16_t payload_type = 0x0019;
inline constexpr std::uint16_t additional_status_info_text = 0x001D;
inline constexpr std::uint16_t receipted_message_id = 0x001E;  ///< C-string, 1..65 (§5.3.2.12)
inline constexpr std::uint16_t ms_msg_wait_facilities = 0x0030;
inline constexpr std::uint16_t privacy_indicator = 0x0201;
inline constexpr std::uint16_t source_subaddress = 0x0202;
inline constexpr std::uint16_t dest_subaddress = 0x0203;
inline constexpr std::uint16_t user_message_reference = 0x0204;  ///< 2 octets (§5.3.2.17)
inline constexpr std::uint16_t user_response_code = 0x0205;
inline constexpr std::uint16_t source_port = 0x020A;
inline constexpr std::uint16_t destination_port = 0x020B;
inline constexpr std::uint16_t sar_msg_ref_num = 0x020C;  ///< 2 octets (§5.3.2.22)
inline constexpr std::uint16_t language_indicator = 0x020D;
inline constexpr std::uint16_t sar_total_segments = 0x020E;    ///< 1 octet (§5.3.2.23)
inline constexpr std::uint16_t sar_segment_seqnum = 0x020F;    ///< 1 octet (§5.3.2.24)
inline constexpr std::uint16_t sc_interface_version = 0x0210;  ///< 1 octet (§5.3.2.25)
inline constexpr std::uint16_t callback_num_pres_ind = 0x0302;
inline constexpr std::uint16_t callback_num_atag = 0x0303;
inline constexpr std::uint16_t number_of_messages = 0x0304;
inline constexpr std::uint16_t callback_num = 0x0381;
inline constexpr std::uint16_t dpf_result = 0x0420;
inline constexpr std::uint16_t set_dpf = 0x0421;
inline constexpr std::uint16_t ms_availability_status = 0x0422;
inline constexpr std::uint16_t network_error_code = 0x0423;  ///< 3 octets (§5.3.2.31)
inline constexpr std::uint16_t message_payload = 0x0424;     ///< any length (§5.3.2.32)
inline constexpr std::uint16_t delivery_failure_reason = 0x0425;
inline constexpr std::uint16_t more_messages_to_send = 0x0426;
inline constexpr std::uint16_t message_state = 0x0427;  ///< 1 octet (§5.3.2.35)
inline constexpr std::uint16_t ussd_service_op = 0x0501;
inline constexpr std::uint16_t display_time = 0x1201;
inline constexpr std::uint16_t sms_signal = 0x1203;
inline constexpr std::uint16_t ms_validity = 0x1204;
inline constexpr std::uint16_t alert_on_message_delivery = 0x130C;
inline constexpr std::uint16_t its_reply_type = 0x1380;
inline constexpr std::uint16_t its_session_info = 0x1383;
}  // namespace tag

/// message_state values (§5.2.28, also the message_state TLV §5.3.2.35).
enum class message_state : std::uint8_t {
  /// Not in the 3.4 table (which starts at 1): defined by SMPP v5.0 (§4.7.15).
  scheduled = 0,
  enroute = 1,
  delivered = 2,
  expired = 3,
  deleted = 4,
  undeliverable = 5,
  accepted = 6,
  unknown = 7,
  rejected = 8,
};

/// esm_class bits (§5.2.12).
namespace esm_class {
inline constexpr std::uint8_t mode_mask = 0x03;  ///< bits 1..0: messaging mode
inline constexpr std::uint8_t mode_default = 0x00;
inline constexpr std::uint8_t mode_datagram = 0x01;
inline constexpr std::uint8_t mode_forward = 0x02;  ///< transaction mode
inline constexpr std::uint8_t mode_store_and_forward = 0x03;
inline constexpr std::uint8_t type_mask = 0x3C;  ///< bits 5..2: message type
inline constexpr std::uint8_t type_default = 0x00;
inline constexpr std::uint8_t type_delivery_receipt = 0x04;  ///< SMSC delivery receipt (deliver_sm)
inline constexpr std::uint8_t type_delivery_ack = 0x08;      ///< SME / ESME delivery ack
inline constexpr std::uint8_t type_user_ack = 0x10;          ///< SME / ESME manual/user ack
inline constexpr std::uint8_t type_conversation_abort = 0x18;
inline constexpr std::uint8_t type_intermediate_notification = 0x20;
inline constexpr std::uint8_t udhi = 0x40;        ///< bits 7..6 = 01: UDH indicator
inline constexpr std::uint8_t reply_path = 0x80;  ///< bits 7..6 = 10: set reply path
}  // namespace esm_class

/// registered_delivery bits (§5.2.17).
namespace registered_delivery {
inline constexpr std::uint8_t receipt_mask = 0x03;  ///< bits 1..0: SMSC delivery receipt
inline constexpr std::uint8_t receipt_none = 0x00;
inline constexpr std::uint8_t receipt_final = 0x01;    ///< on final success or failure
inline constexpr std::uint8_t receipt_failure = 0x02;  ///< on failure only
/// 11: reserved in 3.4; SMPP v5.0 gives it the meaning "on success only".
inline constexpr std::uint8_t receipt_success = 0x03;
inline constexpr std::uint8_t sme_delivery_ack = 0x04;
inline constexpr std::uint8_t sme_user_ack = 0x08;
inline constexpr std::uint8_t intermediate_notification = 0x10;
}  // namespace registered_delivery

/// data_coding values (§5.2.19).
namespace data_coding {
inline constexpr std::uint8_t smsc_default = 0x00;
inline constexpr std::uint8_t ia5 = 0x01;
inline constexpr std::uint8_t octet_unspecified = 0x02;  ///< 8-bit binary
inline constexpr std::uint8_t latin1 = 0x03;
inline constexpr std::uint8_t octet_unspecified_4 = 0x04;  ///< 8-bit binary
inline constexpr std::uint8_t jis = 0x05;
inline constexpr std::uint8_t cyrillic = 0x06;
inline constexpr std::uint8_t latin_hebrew = 0x07;
inline constexpr std::uint8_t ucs2 = 0x08;
inline constexpr std::uint8_t pictogram = 0x09;
inline constexpr std::uint8_t iso2022_jp = 0x0A;
inline constexpr std::uint8_t extended_kanji = 0x0D;
inline constexpr std::uint8_t ks_c_5601 = 0x0E;
/// 0xF0-0xFF carry a GSM message class (TS 23.038 group 1111); F6 = 8-bit, class 2.
inline constexpr std::uint8_t gsm_8bit_class2 = 0xF6;
}  // namespace data_coding

/// TON values for SMPP addresses (§5.2.5).
namespace ton {
inline constexpr std::uint8_t unknown = 0;
inline constexpr std::uint8_t international = 1;
inline constexpr std::uint8_t national = 2;
inline constexpr std::uint8_t network_specific = 3;
inline constexpr std::uint8_t subscriber_number = 4;
inline constexpr std::uint8_t alphanumeric = 5;
inline constexpr std::uint8_t abbreviated = 6;
}  // namespace ton

/// NPI values for SMPP addresses (§5.2.6).
namespace npi {
inline constexpr std::uint8_t unknown = 0;
inline constexpr std::uint8_t isdn = 1;  ///< E.163/E.164
inline constexpr std::uint8_t data = 3;  ///< X.121
inline constexpr std::uint8_t telex = 4;
inline constexpr std::uint8_t land_mobile = 6;  ///< E.212
inline constexpr std::uint8_t national = 8;
inline constexpr std::uint8_t private_plan = 9;
inline constexpr std::uint8_t ermes = 10;
inline constexpr std::uint8_t internet = 14;
inline constexpr std::uint8_t wap_client_id = 18;
}  // namespace npi

/// network_type of the network_error_code TLV (§5.3.2.31).
namespace network_type {
inline constexpr std::uint8_t ansi_136 = 1;
inline constexpr std::uint8_t is_95 = 2;
inline constexpr std::uint8_t gsm = 3;
}  // namespace network_type

/// interface_version for SMPP 3.4 (§5.2.4).
inline constexpr std::uint8_t interface_version_34 = 0x34;

/// Header and body limits. C-octet string sizes include the terminating NUL, as the "Var. max"
/// column of the §4 tables gives them.
inline constexpr std::size_t header_size = 16;
inline constexpr std::size_t max_system_id = 16;
inline constexpr std::size_t max_password = 9;
inline constexpr std::size_t max_system_type = 13;
inline constexpr std::size_t max_address_range = 41;
inline constexpr std::size_t max_service_type = 6;
inline constexpr std::size_t max_address = 21;          ///< source_addr / destination_addr
inline constexpr std::size_t max_data_sm_address = 65;  ///< data_sm addresses (§4.7.1)
inline constexpr std::size_t time_length = 17;          ///< schedule/validity: 17 or 1 (NULL)
inline constexpr std::size_t max_message_id = 65;
inline constexpr std::size_t max_short_message = 254;  ///< sm_length 0..254 (§4.4.1)
/// Upper bound a receiver applies to command_length; larger frames are malformed.
inline constexpr std::uint32_t default_max_command_length = 64 * 1024;

}  // namespace otaflow::codec::smpp
