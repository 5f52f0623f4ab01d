#pragma once
// A virtual handset with its UICC: the card's APDU interface (file system commands through
// uicc_session; ENVELOPE, FETCH, TERMINAL PROFILE and TERMINAL RESPONSE of the toolkit here)
// and the ME's part of SMS-PP data download (3GPP TS 31.111 §7.1.1,
// docs/standards/ts23040-ts31115-sms.md §6):
//
//  - an SMS-DELIVER with TP-PID 7F ((U)SIM data download) and a class 2 TP-DCS (TS 23.038
//    §4: 16, F6, ...) goes to the UICC in ENVELOPE D1; any other SM is an ordinary message
//    the handset acknowledges with an empty RP-ACK (class 2 SMs are not stored in EF.SMS);
//  - ENVELOPE answered 61XX / 9FXX: GET RESPONSE; then 9000, 91XX, 62XX, 63XX -> RP-ACK,
//    with the response data (the PoR from `02 71 00` on) and the original PID/DCS in the
//    SMS-DELIVER-REPORT (Rel-11+ ME of TS 31.124 §27.22.5.1.3); 9300 -> RP-ERROR with TP-FCS
//    D4 (toolkit busy); 6FXX and every other error -> RP-ERROR with TP-FCS D5 ((U)SIM data
//    download error);
//  - 91XX: the ME fetches the proactive commands; SEND SHORT MESSAGE (TS 102 223 §6.6.9,
//    how the card sends a PoR by SMS-SUBMIT) becomes an MO message, answered by a TERMINAL
//    RESPONSE "command performed successfully".
// The SIM cannot set TP-UDHI in the report (GSM 03.48 §6.1): it stays 0, the receiver
// parses the `02 71 00` header regardless.

#include <memory>
#include <optional>
#include <vector>

#include "base/bytes.hpp"
#include "codec/iso7816_apdu.hpp"
#include "codec/ts102225_packet.hpp"
#include "codec/ts31115_sms.hpp"
#include "sim/card_gateway.hpp"
#include "sim/card_profile.hpp"
#include "sim/card_suci.hpp"
#include "sim/ota_sms_pp.hpp"
#include "sim/uicc_apdu.hpp"
#include "sim/uicc_card.hpp"

namespace otaflow::sim {

/// A handset with its UICC. Not thread-safe: the fleet serialises per card.
class virtual_card {
 public:
  /// A card of `profile` (which must outlive it) with its identity and stored state.
  virtual_card(card_identity id, card_state st, const card_profile& profile);
  virtual_card(const virtual_card&) = delete;
  virtual_card& operator=(const virtual_card&) = delete;

  /// The card's APDU interface (what the handset sends over ISO 7816-3 T=0).
  [[nodiscard]] codec::response_apdu transmit(const codec::command_apdu& c);
  /// transmit() for encoded APDU bytes; undecodable bytes answer 6700.
  [[nodiscard]] codec::response_apdu transmit(byte_view apdu);

  /// The handset receives one SMS-DELIVER TPDU (TS 31.111 §7.1.1 as above). `preopened`
  /// (may be null): its command packet opened ahead in a crypto batch (ota_sms_pp.hpp).
  [[nodiscard]] mt_outcome receive_sms(byte_view sms_deliver_tpdu,
                                       preopened_command* preopened = nullptr);

  /// The status of the PoR the card computed for the SM of the last receive_sms() (nullopt
  /// when that SM completed no command packet): the fleet's PoR statistics.
  [[nodiscard]] std::optional<codec::por_status> last_sms_por_status() const noexcept {
    return sms_por_status_;
  }

  /// The SUCI the handset sends (sim/card_suci.hpp): GET IDENTITY when EF.UST has services
  /// 124 and 125, else computed by the ME from the USIM's files. Goes through transmit().
  [[nodiscard]] result<card_suci> compute_suci();

  /// The card's data (identity, state, contents).
  [[nodiscard]] uicc_data& data() noexcept { return data_; }
  [[nodiscard]] const uicc_data& data() const noexcept { return data_; }
  [[nodiscard]] const card_profile& profile() const noexcept { return profile_; }
  /// Approximate bytes of memory the card holds.
  [[nodiscard]] std::size_t approx_bytes() const noexcept;

 private:
  codec::response_apdu envelope(const codec::command_apdu& c);
  codec::response_apdu fetch(const codec::command_apdu& c);
  codec::response_apdu terminal_response(const codec::command_apdu& c);
  /// 9000, or 91XX when a proactive command is pending.
  [[nodiscard]] std::uint16_t toolkit_sw() const noexcept;

  const card_profile& profile_;
  uicc_data data_;
  uicc_session terminal_;
  std::unique_ptr<codec::packet_reassembler> reassembler_;
  std::vector<bytes> proactive_;  ///< pending proactive commands (D0 ...), oldest first
  std::uint8_t command_number_ = 0;
  bytes pending_;  ///< ENVELOPE response data waiting for GET RESPONSE
  std::uint16_t pending_sw_ = 0x9000;
  std::optional<codec::por_status> sms_por_status_;  ///< of the current/last receive_sms()
  preopened_command* preopened_ = nullptr;  ///< for the ENVELOPE of the current receive_sms()
};

/// The proactive command SEND SHORT MESSAGE (TS 102 223 §6.6.9) carrying an SMS-SUBMIT.
[[nodiscard]] result<bytes> send_short_message_command(std::uint8_t number, byte_view submit_tpdu);

}  // namespace otaflow::sim
