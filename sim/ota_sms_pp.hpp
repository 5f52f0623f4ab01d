#pragma once
// The card side of SMS-PP data download (3GPP TS 31.111 §7.1.1) and of the secured packets
// it carries (ETSI TS 102 225, 3GPP TS 31.115): ENVELOPE 'D1' parsing, reassembly of
// concatenated command packets, TAR routing by card profile, minimum security level,
// verification and deciphering (secure::inspect_command), the counter check per keyset,
// execution (ota_rfm.hpp) and the Proof of Receipt, secured as SPI octet 2 asks and
// returned as ENVELOPE response data (for the DELIVER-REPORT) or as SMS-SUBMITs.
//
// Order of checks, and what each failure answers (docs/virtual-sim.md):
//   header not understood (framing, reserved SPI bits, algorithm, keyset)  -> PoR 06
//   TAR not served by the profile                                          -> PoR 09
//   SPI below the application's minimum security level                     -> PoR 0A
//   RC/CC mismatch                                                         -> PoR 01
//   deciphering failed / impossible PCNTR                                  -> PoR 05
//   counter check (per keyset, all four SPI modes)                          -> PoR 02/03/04
//   PoR protection the card cannot produce (SPI2 vs KIc/KID/keys)          -> PoR 06
// PoRs for 00, 02, 03 and 04 (the command was authenticated) are secured as SPI octet 2
// asks; 01, 05, 06, 09 and 0A are sent unciphered and without RC/CC (the sender may hold the
// wrong keys, or none were checked); docs/standards/ts102225-secured-packets.md §11 leaves
// 01-05 open, and the engine's secure::open_response accepts both.
//
// Counter: after the check passes the card stores the received counter for the keyset
// (modes "higher" and "one higher"); mode "no check" stores it only when it is higher than
// the stored one, so that a later checked packet cannot replay it; mode "no counter" leaves
// it. The keyset of a packet is the KID key version when it carries RC/CC, else the KIc key
// version when ciphered, else 0.
//
// Batch opening (issue 6: the batch crypto stage serves the card side too): the fleet hands
// the SMs a worker took together to preopen_commands(), which deciphers and checks the CC of
// every single-SMS command packet among them in one secure::inspect_commands() batch. Each
// card then gets its preopened_command with the SM; process_command_packet() uses its report
// instead of opening the packet again only when the packet it reassembled is the same octets
// and the card's key lookup gives the same keys, so the outcome and the PoR octets are exactly
// those of the one-at-a-time path.

#include <optional>
#include <span>
#include <vector>

#include "base/bytes.hpp"
#include "codec/iso7816_apdu.hpp"
#include "codec/ts102225_packet.hpp"
#include "codec/ts23040_tpdu.hpp"
#include "codec/ts31115_sms.hpp"
#include "secure/scp80.hpp"
#include "sim/card_profile.hpp"
#include "sim/uicc_card.hpp"

namespace otaflow::sim {

/// What the card did with one command packet.
struct packet_outcome {
  std::optional<codec::por_status> status;  ///< status of the PoR the card computed
  bytes report_ud;                          ///< ENVELOPE response data: `02 71 00` + PoR, or empty
  std::vector<bytes> submits;               ///< SMS-SUBMIT TPDUs to send (PoR by SMS-SUBMIT)
};

/// A command packet opened ahead of its card (preopen_commands): the report
/// secure::inspect_command gives for it with the card's keys, and the keysets the lookup
/// gave, so that the card can tell whether the report still applies. Keys are wiped.
struct preopened_command {
  bytes packet;                           ///< the command packet (from CPL)
  secure::command_report report;          ///< what opening it gave
  std::optional<secure::keyset> kic_set;  ///< keyset of KIc's key version, if the card has it
  std::optional<secure::keyset> kid_set;  ///< keyset of KID's key version, if the card has it
  bool used = false;                      ///< the card took the report instead of opening

  preopened_command() = default;
  preopened_command(preopened_command&&) noexcept = default;
  preopened_command& operator=(preopened_command&&) noexcept = default;
  ~preopened_command();
  /// Whether this is the opening of `p` with these keys (key lookup of the card's TAR).
  [[nodiscard]] bool matches(byte_view p, const secure::keyset* kic,
                             const secure::keyset* kid) const noexcept;
};

/// One SM of a batch whose command packet may be opened ahead of its card.
struct preopen_request {
  const card_identity* identity = nullptr;  ///< the card's keys (must outlive the call)
  byte_view sms_deliver_tpdu;
};

/// Opens, in one crypto batch on `backend`, the command packets of the SMs that hold a whole
/// command packet in one SM (TP-PID 7F, class 2 8-bit data, UDH with IE 70 and no
/// concatenation) for an application of `profile` whose minimum security level the SPI
/// meets; the others (nullopt) are left to the card.
[[nodiscard]] std::vector<std::optional<preopened_command>> preopen_commands(
    std::span<const preopen_request> requests, const card_profile& profile,
    secure::crypto_backend& backend);

/// Processes one secured command packet (from CPL) from `originator` (the TP-OA of the SM,
/// the TP-DA of a PoR by SMS-SUBMIT). With `preopened` matching the packet and the card's
/// keys, its report stands for opening the packet (and is moved out).
[[nodiscard]] packet_outcome process_command_packet(uicc_data& card, const card_profile& profile,
                                                    byte_view packet,
                                                    const codec::tpdu::address& originator,
                                                    preopened_command* preopened = nullptr);

/// What the card answers to an SMS-PP download ENVELOPE.
struct envelope_outcome {
  codec::response_apdu response;            ///< data (the PoR for the DELIVER-REPORT) and SW
  std::vector<bytes> submits;               ///< SMS-SUBMIT TPDUs the card wants sent
  std::optional<codec::por_status> status;  ///< PoR status, when a packet was complete
};

/// Processes the data field of an ENVELOPE (TS 31.111 §7.1.1.2: D1 { 82 device identities,
/// [86 address], 8B SMS-DELIVER TPDU }). A malformed BER-TLV or a missing 8B answers 6A80,
/// an undecodable SMS-DELIVER 6F00; an SM that is not a command packet (no UDHI / IE 70, not
/// 8-bit data) or a part of an incomplete concatenation answers 9000 without data.
/// `preopened` (may be null) goes to process_command_packet.
[[nodiscard]] envelope_outcome sms_pp_download(uicc_data& card, const card_profile& profile,
                                               codec::packet_reassembler& reassembler,
                                               byte_view envelope_data,
                                               preopened_command* preopened = nullptr);

/// Builds the ENVELOPE data D1 { 82 02 83 81, [86 service centre], 8B tpdu } an ME sends
/// (TS 31.111 §7.1.1.2; the service centre address is optional here: nullopt omits 86).
[[nodiscard]] result<bytes> sms_pp_envelope_data(
    byte_view sms_deliver_tpdu, const std::optional<codec::tpdu::address>& service_centre);

}  // namespace otaflow::sim
