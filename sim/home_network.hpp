#pragma once
// The home network of a virtual fleet for 5G subscription identifier privacy (TS 33.501 §6.12,
// Annex C): the key pairs whose public halves a generated fleet's cards list in
// EF.SUCI_Calc_Info (TS 31.102 §4.4.11.8) when personalised, derived from the fleet's seed so
// the SIDF side (tests, `otaflow suci fleet-keys`) can de-conceal the cards' SUCIs without a
// key file:
//
//   profile A (X25519),    key id 1, priority 1: private key = HMAC-SHA256(seed, "otaflow/hn/A/1")
//   profile B (secp256r1), key id 2, priority 2: private key = HMAC-SHA256(seed, "otaflow/hn/B/2")
//                          (if that is not a valid scalar, "otaflow/hn/B/2/1", "/2", ...; the
//                          public key is stored point-compressed, 33 octets)
//
// These are simulator keys: anyone with the seed has them. docs/virtual-sim.md documents them.

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "codec/ts31102_5gs.hpp"
#include "secure/suci.hpp"

namespace otaflow::sim {

/// One home network key pair with its identifier (the SUCI's Home Network Public Key
/// Identifier). The private key is wiped when the value dies.
struct hn_key_pair {
  secure::suci::scheme protection = secure::suci::scheme::profile_a;
  std::uint8_t key_id = 0;
  bytes private_key;
  bytes public_key;

  hn_key_pair() = default;
  hn_key_pair(const hn_key_pair&) = default;
  hn_key_pair(hn_key_pair&&) noexcept = default;
  hn_key_pair& operator=(const hn_key_pair&) = default;
  hn_key_pair& operator=(hn_key_pair&&) noexcept = default;
  ~hn_key_pair();
};

/// The home network keys of a generated fleet's seed, in priority order (A key id 1, then B
/// key id 2). Fails for an empty seed.
[[nodiscard]] result<std::vector<hn_key_pair>> derive_home_network_keys(std::string_view seed);

/// EF.SUCI_Calc_Info listing `keys` in the given priority order (one scheme entry per key,
/// key index = position in the key list).
[[nodiscard]] result<codec::ts31102::ef_suci_calc_info> suci_calc_info_for(
    std::span<const hn_key_pair> keys);

/// The personalised content of EF.SUCI_Calc_Info (the file's full size, 'FF' padded) for a
/// seed's home network keys; shared by every card of the fleet.
[[nodiscard]] result<std::shared_ptr<const bytes>> personalised_suci_calc_info(
    std::string_view seed);

/// The private keys as a SIDF holds them, for secure::suci::deconceal_imsi.
[[nodiscard]] std::vector<secure::suci::hn_private_key> sidf_keys(
    std::span<const hn_key_pair> keys);

}  // namespace otaflow::sim
