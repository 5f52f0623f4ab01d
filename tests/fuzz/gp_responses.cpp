// Fuzz target for codec/gp_commands.hpp and codec/gp_put_key.hpp: the GET STATUS response
// parser, the card-side decoders of INSTALL, DELETE, GET STATUS, LOAD and PUT KEY, and the PUT KEY
// response parser. Whatever
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

void commands(byte_view in) {
  auto apdu = decode_command_apdu(in);
  if (!apdu) return;
  if (auto l = gp::decode_install_for_load(*apdu)) {
    auto again = gp::build_install_for_load(*l);
    check(again.ok() && gp::decode_install_for_load(*again).ok());
  }
  if (auto i = gp::decode_install_for_install(*apdu)) {
    auto again = gp::build_install_for_install(*i);
    check(again.ok());
    auto back = gp::decode_install_for_install(*again);
    check(back.ok() && back->parameters.application == i->parameters.application);
  }
  if (auto d = gp::decode_delete(*apdu)) {
    auto again = gp::build_delete(d->aid, d->related);
    check(again.ok() && gp::decode_delete(*again).ok() && *gp::decode_delete(*again) == *d);
  }
  if (auto g = gp::decode_get_status_command(*apdu)) check(g->aid_prefix.size() <= gp::aid_max);
  gp::load_assembler a;
  if (a.add(*apdu).ok() && a.complete()) (void)a.finish();
  (void)gp::decode_load_data(in);
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
  commands(in);
  put_key_response(in);
  return 0;
}
