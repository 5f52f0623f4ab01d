#pragma once
// One short message the SMSC simulator accepted, from submit to final state,
// and the pure steps applied to it: validation of the submit, the MT
// SMS-DELIVER built for each attempt, the PoR deliver_sm built from the
// handset's answer, and delivery receipts (docs/smsc-simulator.md).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "sim/card_gateway.hpp"
#include "sim/smsc_protocol.hpp"

namespace otaflow::sim {

/// SMPP 3.4 network_error_code TLV values used by the simulator: type 3 (GSM) in the
/// high byte, then a 16-bit code. MAP error codes (< 0x80) for MAP-level failures and the
/// TP-FCS (0x80..0xFF, TS 23.040 §9.2.3.22) for an RP-ERROR from the handset.
namespace smsc_net_error {
inline constexpr std::uint32_t gsm = 0x030000;
inline constexpr std::uint32_t unknown_subscriber = gsm | 1;  ///< MAP unknownSubscriber
inline constexpr std::uint32_t absent_subscriber = gsm | 6;   ///< MAP absentSubscriberSM
/// An RP-ERROR carrying this TP-FCS.
constexpr std::uint32_t fcs(std::uint8_t v) {
  return gsm | v;
}
}  // namespace smsc_net_error

/// A message from submit to final state. The I/O thread owns it except while a worker
/// runs one delivery attempt on it.
struct smsc_message {
  enum class verdict : std::uint8_t { none, delivered, failed, retry };

  std::uint64_t id = 0;       ///< message_id (decimal in submit_sm_resp and receipts)
  std::uint64_t bind_id = 0;  ///< the link that submitted it
  std::string system_id;      ///< PoRs and receipts go to a receiver bind of this system_id
  proto::address source;      ///< the submit's source (the SMS-DELIVER TP-OA)
  proto::address dest;        ///< the card's MSISDN
  std::uint8_t esm_class = 0;
  std::uint8_t tp_pid = 0;    ///< TP-PID of the SMS-DELIVER
  std::uint8_t tp_dcs = 0;    ///< TP-DCS of the SMS-DELIVER
  std::uint8_t smpp_dcs = 0;  ///< data_coding of the submit
  std::uint8_t registered_delivery = 0;
  bool udhi = false;
  bool ota = false;             ///< PID 7F + UDHI + 8-bit data coding: an SMS-PP data download
  bytes ud;                     ///< TP-UD (UDH included when udhi)
  std::uint8_t ud_septets = 0;  ///< TP-UDL when ud is packed GSM 7-bit text, else 0
  std::optional<std::uint16_t> user_message_reference;
  std::chrono::system_clock::time_point submit_time;
  std::chrono::steady_clock::time_point expiry;
  std::uint32_t attempts = 0;    ///< attempts made (faults included)
  std::uint32_t last_error = 0;  ///< network_error_code of the last failed attempt
  bool queued = false;           ///< counted in its bind's submit queue
  // Written by the worker that ran the last attempt:
  verdict result = verdict::none;
  std::vector<bytes> to_esme;  ///< deliver_sm PDUs (sequence 0): PoRs, then a receipt
  std::uint32_t pors = 0;      ///< how many of to_esme are PoRs

  /// Clears every field so the object can be reused for another message.
  void reset();
};

/// The message_id text of a message (10 decimal digits while it fits, SMPP 3.4 App. B).
[[nodiscard]] std::string message_id_text(std::uint64_t id);

/// Fills `m` from a submit_sm/data_sm (classification, TP-PID/TP-DCS, checks). On error
/// `status` holds the command_status to answer and the message names the field.
[[nodiscard]] status prepare_message(const proto::submit_request& req, smsc_message& m,
                                     std::uint32_t& smpp_status);

/// The MT SMS-DELIVER TPDU for one attempt (SCTS = now in the given time zone).
[[nodiscard]] result<bytes> build_sms_deliver(const smsc_message& m,
                                              std::chrono::system_clock::time_point now,
                                              std::int8_t tz_quarters);

/// Sets m.result from the handset's answer and appends the PoR deliver_sm (RP-ACK/RP-ERROR
/// user data, then each MO SMS-SUBMIT) and, when registered_delivery asks, the receipt.
void apply_outcome(smsc_message& m, const mt_outcome& outcome,
                   std::chrono::system_clock::time_point now);

/// Whether registered_delivery asks for a receipt for a success (or a failure).
[[nodiscard]] bool wants_receipt(std::uint8_t registered_delivery, bool success) noexcept;

/// The delivery receipt deliver_sm (esm_class 04, App. B text, 001E/0427/0423 TLVs).
[[nodiscard]] result<bytes> make_receipt(const smsc_message& m, std::uint8_t message_state,
                                         std::uint32_t network_error,
                                         std::chrono::system_clock::time_point done);

}  // namespace otaflow::sim
