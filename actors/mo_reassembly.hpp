#pragma once
// MO short messages that carry one PoR in several concatenated SMs (TS 23.040 §9.2.3.24.1 IEI
// 00, §9.2.3.24.8 IEI 08; TS 31.115 §4: a response packet larger than one SM comes
// concatenated, `71 00` on part 1 only) are put back together before they reach the
// subscribers: keyed by originator and reference, all parts needed, in any order. Incomplete
// sets are bounded in number (the oldest goes) and in age (expire()); both are counted. A bad
// part (duplicate, total that disagrees, no 71 on part 1, ...) is rejected and counted, like
// any PoR that does not open. The router owns one (not thread-safe).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/bytes.hpp"
#include "codec/ts31115_sms.hpp"

namespace otaflow::actors {

/// Counts of an mo_reassembly.
struct mo_reassembly_stats {
  std::uint64_t reassembled = 0;  ///< PoRs rebuilt from several SMs
  std::uint64_t rejected = 0;     ///< parts refused (the codec's error, logged)
  std::uint64_t expired = 0;      ///< incomplete sets dropped by age
  std::uint64_t evicted = 0;      ///< incomplete sets dropped for room (max_pending)
};

class mo_reassembly {
 public:
  /// max_pending: incomplete sets kept at most; max_age_ms: expire() drops sets whose first
  /// part came longer ago than that.
  explicit mo_reassembly(std::size_t max_pending = 4096, std::int64_t max_age_ms = 600'000)
      : parts_(max_pending), max_age_ms_(max_age_ms) {}

  /// One MO TP-UD from `from` at now_ms (monotonic ms). Not a concatenation part: returned
  /// as it is. A part: nullopt while the set is incomplete (or the part was rejected), then
  /// the whole PoR as one TP-UD `02 71 00 ‖ packet` (over 140 octets: it never goes on air).
  [[nodiscard]] std::optional<bytes> add(std::string_view from, bytes ud, std::int64_t now_ms);

  /// Drops the incomplete sets older than max_age_ms at now_ms; returns how many.
  std::size_t expire(std::int64_t now_ms);

  [[nodiscard]] mo_reassembly_stats stats() const noexcept;
  /// Incomplete sets held.
  [[nodiscard]] std::size_t pending() const noexcept { return parts_.pending(); }

 private:
  codec::packet_reassembler parts_;
  std::int64_t max_age_ms_;
  mo_reassembly_stats stats_;
};

}  // namespace otaflow::actors
