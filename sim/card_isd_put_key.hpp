#pragma once
// The ISD's PUT KEY (GlobalPlatform Card Specification v2.3 §11.8, basic key data format) on
// the virtual card's OTA keysets (KIc = key id 1, KID = 2, KIK = 3 of a key version 1..15).
// The key components are unwrapped with the KIK of the keyset the command packet came under
// (`session_kvn`, TS 102 226 §8.2.1.5 / GP §11.8.2.3); each component's KCV, when present,
// must match. docs/standards/globalplatform.md §6 restates the rules and the status words:
//   P1 = 00: a new keyset `new_kvn` (absent on the card; all three keys), else the KVN replaced
//   (present; P1 != new KVN renames it; keys not carried are kept). P1 b8 (more PUT KEYs): 6A86.
//   P2 = first key id (1..3), b8 set for several keys; ids beyond 3: 6A80.
//   Response data: new KVN || the KCV (3 octets) of every key, 9000.
// The card protects the PoR of the packet under the keyset it came in under (its keys were
// read before the script ran), whatever the PUT KEY replaced.

#include <cstdint>
#include <vector>

#include "codec/iso7816_apdu.hpp"
#include "sim/uicc_card.hpp"

namespace otaflow::sim {

/// Runs one PUT KEY on `keysets` (changed only on success, 9000).
[[nodiscard]] codec::response_apdu isd_put_key(std::vector<ota_keyset>& keysets,
                                               std::uint8_t session_kvn,
                                               const codec::command_apdu& c);

}  // namespace otaflow::sim
