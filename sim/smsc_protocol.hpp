#pragma once
// The SMPP 3.4 PDUs the SMSC simulator reads and writes, as flat structs, over
// the codec (codec/smpp34_pdu.hpp). The server core sees only these, so it stays
// readable and the codec's full PDU model is used in one place.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "codec/smpp34_constants.hpp"

namespace otaflow::sim::proto {

/// command_id values as plain integers (switch labels), from codec/smpp34_constants.hpp.
namespace cmd {
using codec::smpp::command_id;
constexpr std::uint32_t v(command_id c) {
  return static_cast<std::uint32_t>(c);
}
inline constexpr std::uint32_t response_bit = codec::smpp::response_bit;
inline constexpr std::uint32_t generic_nack = v(command_id::generic_nack);
inline constexpr std::uint32_t bind_receiver = v(command_id::bind_receiver);
inline constexpr std::uint32_t bind_transmitter = v(command_id::bind_transmitter);
inline constexpr std::uint32_t bind_transceiver = v(command_id::bind_transceiver);
inline constexpr std::uint32_t submit_sm = v(command_id::submit_sm);
inline constexpr std::uint32_t submit_sm_resp = v(command_id::submit_sm_resp);
inline constexpr std::uint32_t deliver_sm = v(command_id::deliver_sm);
inline constexpr std::uint32_t deliver_sm_resp = v(command_id::deliver_sm_resp);
inline constexpr std::uint32_t data_sm = v(command_id::data_sm);
inline constexpr std::uint32_t data_sm_resp = v(command_id::data_sm_resp);
inline constexpr std::uint32_t unbind = v(command_id::unbind);
inline constexpr std::uint32_t unbind_resp = v(command_id::unbind_resp);
inline constexpr std::uint32_t enquire_link = v(command_id::enquire_link);
inline constexpr std::uint32_t enquire_link_resp = v(command_id::enquire_link_resp);
}  // namespace cmd

/// command_status values as plain integers, from codec/smpp34_constants.hpp.
namespace st {
using codec::smpp::command_status;
constexpr std::uint32_t v(command_status c) {
  return static_cast<std::uint32_t>(c);
}
inline constexpr std::uint32_t rok = v(command_status::esme_rok);
inline constexpr std::uint32_t rinvmsglen = v(command_status::esme_rinvmsglen);
inline constexpr std::uint32_t rinvcmdlen = v(command_status::esme_rinvcmdlen);
inline constexpr std::uint32_t rinvcmdid = v(command_status::esme_rinvcmdid);
inline constexpr std::uint32_t rinvbndsts = v(command_status::esme_rinvbndsts);
inline constexpr std::uint32_t ralybnd = v(command_status::esme_ralybnd);
inline constexpr std::uint32_t rsyserr = v(command_status::esme_rsyserr);
inline constexpr std::uint32_t rinvsrcadr = v(command_status::esme_rinvsrcadr);
inline constexpr std::uint32_t rinvdstadr = v(command_status::esme_rinvdstadr);
inline constexpr std::uint32_t rinvpaswd = v(command_status::esme_rinvpaswd);
inline constexpr std::uint32_t rinvsysid = v(command_status::esme_rinvsysid);
inline constexpr std::uint32_t rmsgqful = v(command_status::esme_rmsgqful);
inline constexpr std::uint32_t rinvesmclass = v(command_status::esme_rinvesmclass);
inline constexpr std::uint32_t rthrottled = v(command_status::esme_rthrottled);
inline constexpr std::uint32_t rinvsched = v(command_status::esme_rinvsched);
inline constexpr std::uint32_t rinvexpiry = v(command_status::esme_rinvexpiry);
inline constexpr std::uint32_t rx_t_appn = v(command_status::esme_rx_t_appn);
inline constexpr std::uint32_t roptparnotallwd = v(command_status::esme_roptparnotallwd);
}  // namespace st

/// message_state values (SMPP 3.4 §5.2.28) as octets.
namespace state {
using codec::smpp::message_state;
inline constexpr std::uint8_t delivered = static_cast<std::uint8_t>(message_state::delivered);
inline constexpr std::uint8_t expired = static_cast<std::uint8_t>(message_state::expired);
inline constexpr std::uint8_t undeliverable =
    static_cast<std::uint8_t>(message_state::undeliverable);
}  // namespace state

/// The 16-octet header (SMPP 3.4 §3.2).
struct header {
  std::uint32_t length = 0;
  std::uint32_t id = 0;
  std::uint32_t status = 0;
  std::uint32_t sequence = 0;
};

/// Where the next PDU of a stream buffer stands.
struct frame {
  enum class kind : std::uint8_t { need_more, ready, bad_length } k = kind::need_more;
  std::uint32_t length = 0;  ///< command_length (ready, bad_length)
};

/// Looks at the start of a stream buffer: a whole PDU, more bytes needed, or a
/// command_length below 16 or above max_length (answer RINVCMDLEN and close).
[[nodiscard]] frame next_frame(byte_view buffer, std::uint32_t max_length) noexcept;

/// Reads the header of a buffer of >= 16 octets.
[[nodiscard]] bool read_header(byte_view buffer, header& out) noexcept;

/// An SMPP address (TON, NPI, digits).
struct address {
  std::uint8_t ton = 0;
  std::uint8_t npi = 0;
  std::string addr;
};

/// bind_transmitter / bind_receiver / bind_transceiver.
struct bind_request {
  std::uint32_t command_id = 0;
  std::string system_id;
  std::string password;
  std::string system_type;
  std::uint8_t interface_version = 0;
};

/// submit_sm or data_sm, with the short message (or message_payload) in `payload`.
struct submit_request {
  bool data_sm = false;
  std::string service_type;
  address source;
  address dest;
  std::uint8_t esm_class = 0;
  std::uint8_t protocol_id = 0;  ///< data_sm has none: 0
  std::uint8_t registered_delivery = 0;
  std::uint8_t data_coding = 0;
  std::uint8_t priority_flag = 0;  ///< data_sm has none: 0
  std::string schedule_delivery_time;
  std::string validity_period;
  bytes payload;
  bool both_payloads = false;  ///< short_message and message_payload were both given
  std::optional<std::uint16_t> user_message_reference;
};

/// A PDU without a body the server acts on (enquire_link, unbind, their resps,
/// deliver_sm_resp, generic_nack from the peer, and requests it refuses).
struct plain {};

/// One decoded PDU from an ESME.
struct inbound {
  header hdr;
  std::variant<plain, bind_request, submit_request> body;
};

/// Decodes a whole PDU. On failure the error's message names the problem and
/// `status_out` holds the command_status to answer (RINVCMDID, RINVMSGLEN, ...).
[[nodiscard]] result<inbound> decode(byte_view pdu, std::uint32_t& status_out);

/// Appends a PDU with only a header (generic_nack, enquire_link_resp, unbind_resp,
/// and any resp with a non-zero status where SMPP 3.4 omits the body).
void write_header_only(bytes& out, std::uint32_t id, std::uint32_t status, std::uint32_t seq);

/// Appends a bind_*_resp with system_id and sc_interface_version 0x34 (status 0), or a
/// header-only resp (status != 0, SMPP 3.4 §4.1.2).
void write_bind_resp(bytes& out, std::uint32_t request_id, std::uint32_t status, std::uint32_t seq,
                     const std::string& system_id);

/// Appends a submit_sm_resp or data_sm_resp with message_id (status 0), or header-only.
void write_submit_resp(bytes& out, bool data_sm, std::uint32_t status, std::uint32_t seq,
                       const std::string& message_id);

/// A deliver_sm the SMSC originates (PoR or delivery receipt).
struct deliver {
  address source;
  address dest;
  std::uint8_t esm_class = 0;
  std::uint8_t protocol_id = 0;
  std::uint8_t data_coding = 0;
  bytes payload;  ///< > 254 octets go into message_payload
  std::optional<std::string> receipted_message_id;
  std::optional<std::uint8_t> message_state;
  std::optional<std::uint32_t> network_error_code;  ///< type << 16 | code (3 octets)
  std::optional<std::uint16_t> user_message_reference;
};

/// Encodes a deliver_sm with sequence number 0 (patched when it is sent).
[[nodiscard]] result<bytes> encode_deliver(const deliver& d);

/// Overwrites the sequence_number of an encoded PDU.
void patch_sequence(bytes& pdu, std::uint32_t seq) noexcept;

}  // namespace otaflow::sim::proto
