#pragma once
// The card side of codec/gp_commands.hpp: INSTALL, DELETE, GET STATUS and LOAD commands read
// back into the structs their builders take (GP Card Specification v2.3 chapter 11;
// docs/standards/globalplatform.md). For a card that answers RAM commands and for tests that
// round-trip the builders. Errors name the field; nothing reads past the data.

#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "codec/gp_commands.hpp"
#include "codec/iso7816_apdu.hpp"

namespace otaflow::codec::gp {

/// INSTALL [for load] (P1 02): the five LV fields. The AIDs are checked (5..16; SD may be empty).
[[nodiscard]] result<install_for_load> decode_install_for_load(const command_apdu& apdu);

/// INSTALL [for install] (P1 04 or 0C): the LV fields and the install parameters split into
/// C9 / EF / EA (C9 mandatory; other tags are an error).
[[nodiscard]] result<install_for_install> decode_install_for_install(const command_apdu& apdu);

/// The install parameters field of INSTALL [for install]: C9 [EF] [EA].
[[nodiscard]] result<install_parameters> decode_install_parameters(byte_view field);

/// DELETE of a card content object: the AID in 4F and whether P2 asks for related objects.
struct delete_command {
  bytes aid;
  bool related = false;
  friend bool operator==(const delete_command&, const delete_command&) = default;
};
[[nodiscard]] result<delete_command> decode_delete(const command_apdu& apdu);

/// GET STATUS: scope (P1), search AID (4F, may be empty), next occurrence (P2 b1). P2 without
/// the TLV bit (the deprecated format) is an error.
struct get_status_command {
  std::uint8_t scope = 0;
  bytes aid_prefix;
  bool next = false;
  friend bool operator==(const get_status_command&, const get_status_command&) = default;
};
[[nodiscard]] result<get_status_command> decode_get_status_command(const command_apdu& apdu);

/// The load data once all LOAD blocks are joined: DAP blocks (E2 ..., as sent) and the load
/// file from the C4 Load File Data Block, which must end the data.
struct load_data {
  bytes dap_blocks;
  bytes load_file;
  friend bool operator==(const load_data&, const load_data&) = default;
};
[[nodiscard]] result<load_data> decode_load_data(byte_view data);

/// Joins LOAD blocks as a card receives them: block numbers from 0 in order, P1 80 on the last.
class load_assembler {
 public:
  /// Takes one LOAD command; fails on a wrong INS, a block number out of order, a P1 other
  /// than 00/80, or a block after the last one.
  [[nodiscard]] status add(const command_apdu& apdu);
  /// Whether the last block (P1 80) has arrived.
  [[nodiscard]] bool complete() const noexcept { return done_; }
  /// The joined load data, decoded; an error before the last block.
  [[nodiscard]] result<load_data> finish() const;

 private:
  bytes data_;
  std::size_t next_ = 0;
  bool done_ = false;
};

}  // namespace otaflow::codec::gp
