// Fuzz target for codec/gp_commands.hpp and codec/gp_put_key.hpp: the GET STATUS response
// parser, the PUT KEY command parser (the card side) and the PUT KEY response parser. Whatever
// parses must hold its invariants, and a parsed PUT KEY that can be built again parses back to
// the same fields.

#include <cstddef>
#include <cstdint>

#include "codec/globalplatform.hpp"
#include "codec/iso7816_apdu.hpp"

namespace {

using namespace otaflow;
using namespace otaflow::codec;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void get_status(byte_view in) {
  auto entries = gp::parse_get_status(in);
  if (!entries) return;
  for (const auto& e : *entries) check(!e.aid.empty() && e.aid.size() <= gp::aid_max);
}

void put_key(byte_view in) {
  auto apdu = decode_command_apdu(in);
  if (!apdu) return;
  apdu->ins = gp::ins::put_key;
  auto cmd = gp::parse_put_key(*apdu);
  if (!cmd) return;
  check(!cmd->keys.empty());
  auto again = gp::build_put_key(*cmd);
  if (!again) return;
  auto back = gp::parse_put_key(*again);
  check(back.ok() && *back == *cmd);
}

void put_key_response(byte_view in) {
  auto r = gp::parse_put_key_response(in);
  if (!r) return;
  check(1 + 3 * r->kcvs.size() == in.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const byte_view in(data, size);
  get_status(in);
  put_key(in);
  put_key_response(in);
  return 0;
}
