#pragma once
// The GlobalPlatform card content management codec in one include: constants
// (gp_constants.hpp), INSTALL / LOAD / DELETE / GET STATUS (gp_commands.hpp) and PUT KEY
// (gp_put_key.hpp), and the card side's decoders of the commands (gp_command_parse.hpp). The key
// wrapping and key check values of PUT KEY need a cipher and live in secure/gp_key.hpp.
// docs/standards/globalplatform.md lists the facts these rely on.

#include "codec/gp_command_parse.hpp"  // IWYU pragma: export
#include "codec/gp_commands.hpp"       // IWYU pragma: export
#include "codec/gp_constants.hpp"      // IWYU pragma: export
#include "codec/gp_put_key.hpp"        // IWYU pragma: export
