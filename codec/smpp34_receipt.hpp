#pragma once
// SMSC delivery receipt text (SMPP v3.4 issue 1.2, Appendix B):
//   id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD
//   err:E text:...
// The spec calls the format SMSC vendor specific, so parsing is tolerant: keys in any order
// and any case, unknown keys skipped, fields missing, seconds in the dates, ids in hex or
// decimal (compare them with same_message_id). Prefer the receipted_message_id and
// message_state TLVs when a deliver_sm carries them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "codec/smpp34_constants.hpp"

namespace otaflow::codec::smpp {

/// A receipt date YYMMDDhhmm with optional seconds.
struct receipt_date {
  std::uint8_t year = 0;  ///< 0..99
  std::uint8_t month = 1;
  std::uint8_t day = 1;
  std::uint8_t hour = 0;
  std::uint8_t minute = 0;
  std::optional<std::uint8_t> second;
  bool operator==(const receipt_date&) const = default;
};

/// The fields of a receipt; absent fields are not written by format_receipt.
struct delivery_receipt {
  std::string id;                          ///< message id as the SMSC wrote it
  std::optional<std::uint32_t> submitted;  ///< sub: messages submitted (written as 3 digits)
  std::optional<std::uint32_t> delivered;  ///< dlvrd: messages delivered (3 digits)
  std::optional<receipt_date> submit_date;
  std::optional<receipt_date> done_date;
  std::string stat;                 ///< final state, e.g. "DELIVRD" (see stat_to_state)
  std::string err;                  ///< network specific error code, e.g. "000"
  std::optional<std::string> text;  ///< first characters of the message; always last
  bool operator==(const delivery_receipt&) const = default;
};

/// The receipt text in Appendix B's layout and key order.
[[nodiscard]] std::string format_receipt(const delivery_receipt& r);
/// Parses a receipt; only id: is required. Malformed numbers or dates are bad_value errors.
[[nodiscard]] result<delivery_receipt> parse_receipt(std::string_view text);

/// The message_state of an Appendix B stat value (DELIVRD, EXPIRED, DELETED, UNDELIV, ACCEPTD,
/// UNKNOWN, REJECTD, ENROUTE; case-insensitive).
[[nodiscard]] std::optional<message_state> stat_to_state(std::string_view stat) noexcept;
/// The Appendix B stat value of a message_state.
[[nodiscard]] std::string_view state_to_stat(message_state s) noexcept;
/// The §5.2.28 name of a message_state ("DELIVERED", "UNDELIVERABLE", ...; "SCHEDULED" for
/// SMPP v5.0's 0); "UNKNOWN" for a value outside the table.
[[nodiscard]] std::string_view state_name(message_state s) noexcept;

/// Whether two message ids denote the same message: equal ignoring case, or equal as numbers
/// when one is read as hex and the other as decimal (SMSCs answer submit_sm_resp in one base
/// and write receipts in the other).
[[nodiscard]] bool same_message_id(std::string_view a, std::string_view b) noexcept;

}  // namespace otaflow::codec::smpp
