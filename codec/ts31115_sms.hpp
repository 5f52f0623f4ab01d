#pragma once
// The SMS-PP binding of secured packets (3GPP TS 31.115 §4, formerly GSM 03.48 §6):
// a command packet rides in the TP-UD after a UDH holding the command packet identifier
// IE `70 00`; a response packet (PoR) after `71 00`.
//
// One short message:   02 70 00 | CPL ... (at most 137 octets of packet)
// Concatenated (TS 23.040 §9.2.3.24.1 / .8), the whole packet secured first, then split:
//   first SM:          07 70 00 00 03 ref n 1 | first 132 octets (CPL, header, ...)
//                      (or 08 70 00 08 04 rrrr n 1 | 131 octets with a 16-bit reference)
//   following SMs:     05 00 03 ref n i | next 134 octets (or 06 08 04 rrrr n i | 133)
// The identifier IE appears in the first SM only. UNCONFIRMED against the TS 31.115 §4.3
// text (not found in any source we could read; see docs/formats/ts31115-concatenation.md):
// the reading above is the one docs/standards/ts23040-ts31115-sms.md §5 records and the one
// onomondo-uicc's card implementation enforces ("TS 23.048 section 6.2 puts the CPI IE only
// on part 1"; it reassembles by concatenating the SM bodies after their UDHs). The order of
// the two IEs in the first SM is a switch; the receiving side here accepts either order.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "codec/ts23040_udh.hpp"

namespace otaflow::codec {

/// Order of the IEs in the first SM of a concatenated packet.
enum class first_sm_order : std::uint8_t {
  identifier_first,  ///< 07 70 00 00 03 ref n 1 (default)
  concat_first,      ///< 07 00 03 ref n 1 70 00
};

/// How to concatenate a packet that does not fit one SM.
struct concat_options {
  std::uint16_t reference = 0;  ///< concatenation reference (<= 255 unless ref16)
  bool ref16 = false;           ///< IEI 08 with a 16-bit reference instead of IEI 00
  first_sm_order order = first_sm_order::identifier_first;
};

/// Most packet octets one SM carries after `02 70 00`.
inline constexpr std::size_t max_single_packet = max_tp_ud - 3;

/// TP-UDs (each with its UDH, each at most 140 octets) carrying a command packet (from
/// CPL): one when it fits, else a concatenated series. Errors when more than 255 SMs would
/// be needed or the reference does not fit 8 bits without ref16.
[[nodiscard]] result<std::vector<bytes>> command_to_tp_ud(byte_view packet,
                                                          const concat_options& opts = {});
/// TP-UDs carrying a response packet (from RPL) after `71 00`, concatenated like a command
/// when it does not fit (GSM 03.48 §6.1 allows a concatenated PoR by SMS-SUBMIT).
[[nodiscard]] result<std::vector<bytes>> response_to_tp_ud(byte_view packet,
                                                           const concat_options& opts = {});

/// The command packet of a single (not concatenated) SM's TP-UD: the UDH must hold `70`
/// and no concatenation IE.
[[nodiscard]] result<byte_view> command_from_tp_ud(byte_view tp_ud);

/// The response packet of a PoR. Accepts the TP-UD with its UDH (one holding `71`, the
/// card cannot set TP-UDHI so the header is parsed regardless: GSM 03.48 §6.1), or the
/// bare packet from RPL when the SMSC stripped the UDH: a UDH is assumed only when it
/// parses and holds IE 71.
[[nodiscard]] result<byte_view> response_from_tp_ud(byte_view tp_ud_or_packet);

/// Whether a reassembled packet was announced by `70` or `71`.
enum class packet_kind : std::uint8_t { command, response };

/// A packet rebuilt from one or more SMs.
struct reassembled_packet {
  packet_kind kind = packet_kind::command;
  bytes packet;           ///< from CPL / RPL
  std::size_t parts = 1;  ///< number of SMs it came in
};

/// Rebuilds packets from SMs that may arrive in any order, keyed by (originator,
/// reference, reference width). Not thread-safe. Pure: the caller gives the time (now_ms, any
/// monotonic ms; 0 when it does not care); a bounded number of incomplete packets is kept and
/// the oldest is dropped when a new one would exceed it (evicted()); expire() drops the ones
/// whose first part is too old.
class packet_reassembler {
 public:
  /// max_pending: incomplete packets kept at most (at least 1).
  explicit packet_reassembler(std::size_t max_pending = 1024);

  /// Feeds the TP-UD (TP-UDHI set) of one SM from originator. Returns the packet when it
  /// is complete and nullopt while parts are missing. Errors, which leave the state as it
  /// was: no UDH identifier on a single SM or on part 1, an invalid concatenation IE
  /// (total 0, sequence 0 or > total), a duplicate part, a total that disagrees with the
  /// earlier parts, or a TP-UD over 140 octets.
  [[nodiscard]] result<std::optional<reassembled_packet>> add(std::string_view originator,
                                                              byte_view tp_ud,
                                                              std::int64_t now_ms = 0);

  /// Drops the incomplete packets whose first part arrived before `before_ms` (add's now_ms);
  /// returns how many.
  std::size_t expire(std::int64_t before_ms);
  /// Incomplete packets dropped so far to make room for a new one (max_pending).
  [[nodiscard]] std::uint64_t evicted() const noexcept { return evicted_; }

  /// Incomplete packets held.
  [[nodiscard]] std::size_t pending() const noexcept { return pending_.size(); }
  /// Drops every incomplete packet.
  void clear() noexcept { pending_.clear(); }

 private:
  struct key {
    std::string originator;
    std::uint16_t reference;
    bool ref16;
    auto operator<=>(const key&) const = default;
  };
  struct partial {
    std::uint8_t total = 0;
    std::size_t received = 0;
    std::optional<packet_kind> kind;
    std::vector<std::optional<bytes>> parts;
    std::uint64_t age = 0;      ///< insertion order, for eviction
    std::int64_t first_ms = 0;  ///< add's now_ms of the first part received, for expire()
  };

  std::size_t max_pending_;
  std::uint64_t next_age_ = 0;
  std::uint64_t evicted_ = 0;
  std::map<key, partial> pending_;
};

}  // namespace otaflow::codec
