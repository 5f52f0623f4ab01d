#pragma once
// The steps of a RAM campaign's card ([update.ram], ram_update.hpp), one TS 102 226 command
// packet each, built with codec/gp_commands: the DELETEs (one step each), INSTALL [for load],
// the LOADs (as many blocks per packet as fit in max_sms concatenated SMS), the INSTALLs
// [for install (and make selectable)], then one GET STATUS per listed scope. `campaign plan`
// counts the same steps and SMS (prepared_step::sms).

#include <cstddef>

#include "actors/engine_ports.hpp"

namespace otaflow::actors {

/// Fills out.steps and out.step_kinds for a variant with [update.ram]. Errors name the field
/// (a block that cannot fit max_sms SMS, more than 256 LOAD blocks, ...).
[[nodiscard]] status build_ram_steps(const variant_def& v, prepared_variant& out);

/// Short messages the command packet of `script` takes under `sec` (securing it with
/// throw-away keys of the right lengths: the length does not depend on the key values).
[[nodiscard]] result<std::size_t> packet_sms(const security_def& sec, byte_view script);

/// The script of a list step's page `page`: its GET STATUS and `page` GET STATUS "next"
/// (a card's GET STATUS cursor lives one command session only, GP 2.3 §11.4.2).
[[nodiscard]] result<bytes> list_page_script(const prepared_step& step, std::uint16_t page,
                                             script_format format);

}  // namespace otaflow::actors
