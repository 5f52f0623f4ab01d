#pragma once
// SUCI computation on the virtual card (TS 33.501 §6.12.2, TS 31.102 §5.3.47 / §7.5):
//
//  - service n°124 (subscription identifier privacy) not available: the ME sends the null
//    scheme;
//  - 124 available, 125 (SUCI calculation by the USIM) not: the ME reads EF.IMSI, EF.AD,
//    DF.5GS/EF.SUCI_Calc_Info and EF.Routing_Indicator and conceals the MSIN with the
//    highest-priority scheme it supports (TS 31.121 §5.3.1);
//  - 124 and 125 available: the ME asks the USIM with GET IDENTITY (SUCI context) and the
//    USIM answers 'A1' L SUCI (the 5GS mobile identity from octet 4, TS 31.102 §7.5.2).
//
// The otaflow virtual USIM computes GET IDENTITY from the same DF.5GS/EF.SUCI_Calc_Info the
// ME would read, so one OTA update of that file re-keys both paths (real cards with service
// 125 may keep their parameters in a vendor file instead: docs/formats/suci.md).

#include <string>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "secure/suci.hpp"
#include "sim/uicc_card.hpp"

namespace otaflow::sim {

/// A SUCI the handset would send, and how it came about.
struct card_suci {
  secure::suci::suci value;
  std::string text;      ///< string form "suci-0-<mcc>-<mnc>-<ri>-<scheme>-<key id>-<output>"
  bool by_usim = false;  ///< true: GET IDENTITY; false: computed by the ME
};

/// The SUCI of a card's file contents (EF.IMSI, EF.AD, DF.5GS EF.SUCI_Calc_Info and
/// EF.Routing_Indicator): the first listed scheme the ME supports (A, B, null) with its key.
/// An empty or unwritten (all 'FF') EF.SUCI_Calc_Info gives the null scheme (TS 31.121
/// §5.3.7). A fresh ephemeral key is drawn per call.
[[nodiscard]] result<secure::suci::suci> suci_from_files(byte_view ef_imsi, byte_view ef_ad,
                                                         byte_view ef_suci_calc_info,
                                                         byte_view ef_routing_indicator);

/// What the USIM computes for GET IDENTITY: suci_from_files over the card's current files.
[[nodiscard]] result<secure::suci::suci> usim_suci(const uicc_data& card);

/// The GET IDENTITY response data for a SUCI: 'A1' L 5GS mobile identity (from octet 4).
[[nodiscard]] result<bytes> encode_suci_tlv(const secure::suci::suci& s);
/// Parses a GET IDENTITY response data ('A1' L SUCI).
[[nodiscard]] result<secure::suci::suci> decode_suci_tlv(byte_view data);

}  // namespace otaflow::sim
