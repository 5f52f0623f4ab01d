#pragma once
// Small pieces of the SMPP client (smpp_client.cpp) that need none of its session state: how
// a submit_sm_resp status reads and whether it is worth a retry, and the MSISDN of an MO.

#include <string>

#include "codec/smpp34_constants.hpp"

namespace otaflow::actors::detail {

/// The card's MSISDN as the repository stores it (digits only, storage::validate_msisdn):
/// SMSCs write an international originator with or without a leading '+'.
[[nodiscard]] std::string mo_originator(const std::string& source_addr);
/// Whether a final submit_sm_resp status may succeed when the job tries again (a system
/// error, a failed submit, an application error, an unknown error).
[[nodiscard]] bool status_retriable(codec::smpp::command_status s);
/// "ESME_RSYSERR (0x00000008)", or the hex alone for a status SMPP 3.4 does not name.
[[nodiscard]] std::string status_text(codec::smpp::command_status s);

}  // namespace otaflow::actors::detail
