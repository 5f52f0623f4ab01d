#pragma once
// MILENAGE authentication and key generation functions f1, f1*, f2, f3, f4, f5, f5*
// (3GPP TS 35.206 §4.1) over AES-128 (the kernel E_K of TS 35.206 §4.1 is Rijndael with a
// 128-bit block and key), plus the USIM side of the UMTS AKA (TS 33.102 §6.3.3) that the
// virtual card runs for AUTHENTICATE.
//
// Bit numbering follows TS 35.206: bit 0 is the most significant bit of byte 0, so
// "bits 0-63" are bytes 0-7.

#include <array>
#include <cstdint>
#include <memory>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace otaflow::secure {

using block128 = std::array<std::uint8_t, 16>;  ///< K, OP, OPc, RAND, CK, IK, OUTn
using mac64 = std::array<std::uint8_t, 8>;      ///< MAC-A, MAC-S, RES
using sqn48 = std::array<std::uint8_t, 6>;      ///< SQN, AK, AK*
using amf16 = std::array<std::uint8_t, 2>;      ///< AMF

/// OPc = OP xor E_K(OP) (TS 35.206 §4.1). Errors name the bad length, never the key.
[[nodiscard]] result<block128> compute_opc(byte_view k, byte_view op);

/// f1 and f1* outputs (TS 35.206 §4.1: OUT1 bits 0-63 and 64-127).
struct f1_output {
  mac64 mac_a{};  ///< f1, network authentication code
  mac64 mac_s{};  ///< f1*, resynchronisation authentication code
};

/// f2..f5* outputs (TS 35.206 §4.1: OUT2..OUT5).
struct f2345_output {
  mac64 res{};      ///< f2: OUT2 bits 64-127
  block128 ck{};    ///< f3: OUT3
  block128 ik{};    ///< f4: OUT4
  sqn48 ak{};       ///< f5: OUT2 bits 0-47
  sqn48 ak_star{};  ///< f5*: OUT5 bits 0-47
};

/// MILENAGE for one subscriber: K and OPc kept in a pre-keyed AES-128 context.
/// Move-only; the context (and with it the expanded key) is freed on destruction.
class milenage {
 public:
  /// Builds the instance from K (16 bytes) and OPc (16 bytes).
  [[nodiscard]] static result<milenage> create(byte_view k, byte_view opc);
  /// Builds the instance from K and OP, deriving OPc first.
  [[nodiscard]] static result<milenage> create_from_op(byte_view k, byte_view op);

  milenage(milenage&&) noexcept;
  milenage& operator=(milenage&&) noexcept;
  milenage(const milenage&) = delete;
  milenage& operator=(const milenage&) = delete;
  ~milenage();

  /// f1 and f1* over RAND, SQN and AMF.
  [[nodiscard]] result<f1_output> f1(const block128& rand, const sqn48& sqn,
                                     const amf16& amf) const;
  /// f2, f3, f4, f5 and f5* over RAND.
  [[nodiscard]] result<f2345_output> f2345(const block128& rand) const;
  /// The OPc this instance uses (needed by callers that persist it).
  [[nodiscard]] const block128& opc() const noexcept { return opc_; }

 private:
  struct ctx_deleter {
    void operator()(void* ctx) const noexcept;
  };
  milenage(std::unique_ptr<void, ctx_deleter> ctx, const block128& opc) noexcept;
  [[nodiscard]] status encrypt(const block128& in, block128& out) const;

  std::unique_ptr<void, ctx_deleter> ctx_;  // EVP_CIPHER_CTX, AES-128-ECB, pre-keyed with K
  block128 opc_{};
};

/// What the USIM answers to AUTHENTICATE in 3G context (TS 33.102 §6.3.3, TS 31.102 §7.1.2).
enum class auth_status {
  success,       ///< AUTN accepted: RES, CK, IK are valid
  mac_failure,   ///< XMAC != MAC: the card answers 98 62
  sync_failure,  ///< SQN not acceptable: the card answers DC with AUTS
};

/// Result of authenticate_3g. Only the fields that belong to the status are filled.
struct auth_result {
  auth_status status = auth_status::mac_failure;
  mac64 res{};
  block128 ck{};
  block128 ik{};
  std::uint64_t sqn = 0;  ///< on success: the SQN the network sent (store it as the new SQN_MS)
  std::array<std::uint8_t, 14> auts{};  ///< on sync_failure: (SQN_MS xor AK*) || MAC-S
};

/// USIM side of AKA: AUTN = (SQN xor AK) || AMF || MAC-A. Verifies MAC-A, then checks SQN
/// against sqn_ms, the highest SQN accepted so far (48 bits). Simplification of TS 33.102
/// Annex C: a SQN is fresh when it is strictly greater than sqn_ms (no array of SEQ/IND
/// slots, no delta limit). A stale SQN yields AUTS computed with AMF* = 0000 (§6.3.3).
[[nodiscard]] result<auth_result> authenticate_3g(byte_view k, byte_view opc, byte_view rand,
                                                  byte_view autn, std::uint64_t sqn_ms);

/// Network side helper: AUTN = (SQN xor AK) || AMF || MAC-A for the given SQN (48 bits).
[[nodiscard]] result<std::array<std::uint8_t, 16>> make_autn(const milenage& m,
                                                             const block128& rand,
                                                             std::uint64_t sqn, const amf16& amf);

/// Network side of resynchronisation: recovers SQN_MS from AUTS and verifies MAC-S
/// (TS 33.102 §6.3.5). Fails with errc::verification when MAC-S does not match.
[[nodiscard]] result<std::uint64_t> sqn_ms_from_auts(const milenage& m, const block128& rand,
                                                     byte_view auts);

}  // namespace otaflow::secure
