#pragma once
// The remote applications behind the TARs of a card (ETSI TS 102 226): RFM runs the
// C-APDUs of a verified command packet in a file-system session of its own, with the
// access rights and the start DF its card profile entry gives it; RAM runs them on the
// card's Issuer Security Domain (sim/card_isd.hpp: INSTALL, LOAD, DELETE, GET STATUS) and
// stores the registry back in the card state when it changed.
//
// The script format is the first octet's business (TS 102 226 §5.2: the Command Scripting
// template tags AA and AE cannot begin a compact script, whose first octet is a CLA): AA/AE
// -> expanded format, answered with AB/AF; anything else -> compact format (§5.1), answered
// with executed count | last SW | last data. Execution stops after the first command whose
// SW is an error (iso7816_sw classify_sw: not 90XX/61XX/91XX/92XX/9FXX nor a 62XX/63XX
// warning); that command counts as executed. A compact command that cannot be split (P3 runs
// past the end) counts as executed with SW 6700; a malformed expanded TLV ends the script
// with a Bad format TLV (90).

#include <functional>

#include "base/bytes.hpp"
#include "codec/iso7816_apdu.hpp"
#include "sim/card_profile.hpp"
#include "sim/uicc_card.hpp"

namespace otaflow::sim {

/// Whether secured data is an expanded-format script (first octet AA or AE).
[[nodiscard]] bool is_expanded_script(byte_view script) noexcept;

/// What executes the C-APDUs of a script: an RFM file-system session or the ISD.
using apdu_handler = std::function<codec::response_apdu(const codec::command_apdu&)>;

/// Runs a TS 102 226 command script (compact or expanded, by its first octet) through a
/// handler and returns the response data for the PoR.
[[nodiscard]] bytes run_command_script(const apdu_handler& handler, byte_view script);

/// Runs a remote script for an application of the card and returns the TS 102 226
/// response data that goes into the PoR. `keyset`: the key version the command packet came
/// under (a PUT KEY on the ISD unwraps its keys with that keyset's KIK; 0: none).
[[nodiscard]] bytes run_remote_script(uicc_data& card, const card_profile& profile,
                                      const tar_application& app, byte_view script,
                                      std::uint8_t keyset = 0);

}  // namespace otaflow::sim
