#pragma once
// The air interface between the SMSC simulator and the virtual handsets/UICCs.
// The SMSC hands one MT SMS-DELIVER (TS 23.040 §9.2.2.1) to a card and gets back
// what the handset answered on the RP layer (TS 24.011 §7.3: RP-ACK / RP-ERROR)
// plus any MO SMS-SUBMITs the UICC sent in reaction (PoR by SMS-SUBMIT, TS 31.115).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"

namespace otaflow::sim {

/// One MO short message a card sends (SMS-SUBMIT TPDU, TS 23.040 §9.2.2.2).
struct mo_message {
  std::string from_msisdn;  ///< the card's MSISDN
  bytes submit_tpdu;        ///< SMS-SUBMIT TPDU as the UICC built it (TP-DA is the OTA server)
};

/// The handset's answer to one MT short message.
struct mt_outcome {
  enum class kind : std::uint8_t {
    ack,                 ///< RP-ACK; deliver_report_tpdu may carry the PoR (SPI2.b6 = 0)
    error,               ///< RP-ERROR with TP-FCS (e.g. D4 toolkit busy, D5 data download error)
    absent,              ///< subscriber absent (MAP absent subscriber): store and forward
    unknown_subscriber,  ///< no such MSISDN: undeliverable
  };
  kind result = kind::ack;
  bytes deliver_report_tpdu;  ///< SMS-DELIVER-REPORT TPDU (RP-ACK or RP-ERROR form), may be empty
  std::uint8_t fcs = 0;       ///< TP-FCS for kind::error
  std::vector<mo_message> mo; ///< MO messages the UICC sent back (e.g. PoR by SMS-SUBMIT)
};

/// One MT short message of a batch (card_gateway::deliver_batch).
struct mt_delivery {
  std::string_view msisdn;
  byte_view sms_deliver_tpdu;
  mt_outcome outcome;  ///< written by deliver_batch
};

/// Delivers MT short messages to virtual cards. Implementations are thread-safe and
/// serialise the messages of one card.
class card_gateway {
 public:
  virtual ~card_gateway() = default;
  /// Delivers one SMS-DELIVER TPDU to the card reachable at msisdn.
  virtual mt_outcome deliver(std::string_view msisdn, byte_view sms_deliver_tpdu) = 0;
  /// Delivers the SMs of a batch in order (those of one card one after the other) and
  /// writes each outcome; the result equals deliver() on each in turn. The default does just
  /// that; the fleet opens the batch's secured packets in one crypto batch first.
  virtual void deliver_batch(std::span<mt_delivery> batch) {
    for (auto& d : batch) d.outcome = deliver(d.msisdn, d.sms_deliver_tpdu);
  }
};

}  // namespace otaflow::sim
