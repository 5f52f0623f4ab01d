#pragma once
// The remote applications behind the TARs of a card (ETSI TS 102 226): RFM runs the
// C-APDUs of a verified command packet in a file-system session of its own, with the
// access rights and the start DF its card profile entry gives it; RAM verifies like RFM but
// this card has no GlobalPlatform content management, so every command answers 6D00.
//
// The script format is the first octet's business (TS 102 226 §5.2: the Command Scripting
// template tags AA and AE cannot begin a compact script, whose first octet is a CLA): AA/AE
// -> expanded format, answered with AB/AF; anything else -> compact format (§5.1), answered
// with executed count | last SW | last data. Execution stops after the first command whose
// SW is an error (iso7816_sw classify_sw: not 90XX/61XX/91XX/92XX/9FXX nor a 62XX/63XX
// warning); that command counts as executed. A compact command that cannot be split (P3 runs
// past the end) counts as executed with SW 6700; a malformed expanded TLV ends the script
// with a Bad format TLV (90).

#include "base/bytes.hpp"
#include "sim/card_profile.hpp"
#include "sim/uicc_card.hpp"

namespace otaflow::sim {

/// Whether secured data is an expanded-format script (first octet AA or AE).
[[nodiscard]] bool is_expanded_script(byte_view script) noexcept;

/// Runs a remote script for an application of the card and returns the TS 102 226
/// response data that goes into the PoR.
[[nodiscard]] bytes run_remote_script(uicc_data& card, const card_profile& profile,
                                      const tar_application& app, byte_view script);

}  // namespace otaflow::sim
