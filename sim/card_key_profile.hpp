#pragma once
// How a virtual card takes a new Ki/OPc over the air: its card profile's `key_profile`
// (docs/key-profiles.md). "otaflow-virtual" (the default) applies the otaflow key rotation file
// MF/7F66/6F01 (docs/formats/key-rotation-file.md, uicc_apdu.cpp); "example-apdu" is a
// fictional card vendor's proprietary command, the example of a vendor key profile that
// config/key-profiles/example-apdu.toml describes to the engine:
//
//   80 4E <KVN> 00 Lc  81 10 <AES-ECB(KIK, Ki)> 82 10 <AES-ECB(KIK, OPc)> 83 03 <KCV(Ki)>
//                      84 04 <sequence>
//
// KVN: the key version whose KIK (16/24/32 octets) wrapped Ki and OPc; KCV(Ki): the first 3
// octets of AES-128(Ki, 16 x 00); sequence: 4 octets, above the last one the card applied (the
// last one again with the same keys is accepted and changes nothing). A card of that profile
// refuses UPDATE BINARY of EF 6F01 (6982): its vendor takes keys through the command only.
// "example-record" is another fictional vendor's linear fixed EF 3F00/7F4F/6F20
// (example_record_apply); only cards of that key profile accept writes to it.

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/error.hpp"
#include "codec/iso7816_apdu.hpp"
#include "sim/uicc_card.hpp"

namespace otaflow::sim {

/// The key profiles a virtual card implements.
enum class card_key_profile : std::uint8_t { otaflow_virtual, example_apdu, example_record };

/// "otaflow-virtual", "example-apdu", "example-record".
[[nodiscard]] std::string_view name(card_key_profile k) noexcept;
/// The profile of a name (as name() prints it).
[[nodiscard]] result<card_key_profile> card_key_profile_from(std::string_view s);

/// CLA and INS of the example vendor's key command.
inline constexpr std::uint8_t example_key_cla = 0x80;
inline constexpr std::uint8_t example_key_ins = 0x4E;

/// Runs the example vendor's key command on a card (`adm`: the session has ADM rights).
/// SWs: 9000 applied; 6982 without ADM; 6B00 P2 not 00; 6700 data not the four TLVs;
/// 6A88 no keyset P1; 6A80 unwrapping or the KCV fails; 6985 an old sequence.
[[nodiscard]] codec::response_apdu example_key_command(uicc_data& card,
                                                       const codec::command_apdu& c, bool adm);

/// The example vendor's record file EF 6F20 under DF 7F4F (config/key-profiles/
/// example-record.toml), all four records of 16 octets: 1 = AES-ECB(KIK, Ki), 2 = AES-ECB(KIK,
/// OPc), 3 = KCV(Ki) then FF, 4 = the 4-octet sequence then FF. The card applies the keys when
/// record 4 is written: it unwraps with each keyset's KIK and takes the one whose Ki matches the
/// KCV (a real card knows the keyset of the OTA session). SWs as example_key_command: 9000,
/// 6A80 (no KIK gives the KCV), 6985 (an older sequence).
[[nodiscard]] std::uint16_t example_record_apply(uicc_data& card, byte_view content);

}  // namespace otaflow::sim
