// Fuzz target for codec/ts102226_script.hpp and codec/iso7816_apdu.hpp: the decoders of remote
// APDU scripts and their responses, both formats; whatever decodes must round-trip.

#include <cstddef>
#include <cstdint>

#include "codec/iso7816_apdu.hpp"
#include "codec/ts102226_script.hpp"

namespace {

using namespace otaflow;
using namespace otaflow::codec;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void compact(byte_view in) {
  auto cmds = decode_compact_script(in);
  if (cmds) {
    // The default resolver decides each command's shape, so encoding gives back the input.
    auto enc = compact_script(*cmds);
    check(enc.ok() && *enc == bytes(in.begin(), in.end()));
  }
  auto resp = decode_compact_response(in);
  if (resp) check(encode_compact_response(*resp) == bytes(in.begin(), in.end()));
}

void expanded(byte_view in) {
  auto scan = scan_expanded_command(in);
  auto cmd = decode_expanded_command(in);
  check(scan.ok() || !cmd.ok());
  if (cmd) {
    check(scan.ok() && !scan->error && scan->script == *cmd);
    auto enc = encode_expanded_command(*cmd);
    check(enc.ok());
    auto again = decode_expanded_command(*enc);
    check(again.ok() && *again == *cmd);
  }
  auto resp = decode_expanded_response(in);
  if (resp) {
    auto enc = encode_expanded_response(*resp);
    check(enc.ok());
    auto again = decode_expanded_response(*enc);
    check(again.ok() && *again == *resp);
    (void)resp->truncated();
    (void)resp->executed_count();
  }
}

void apdu(byte_view in) {
  auto c = decode_command_apdu(in);
  if (c) {
    auto enc = encode_command_apdu(*c);
    check(enc.ok());
    auto again = decode_command_apdu(*enc);
    check(again.ok() && *again == *c);
  }
  auto r = decode_response_apdu(in);
  if (r) check(encode_response_apdu(*r) == bytes(in.begin(), in.end()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const otaflow::byte_view in(data, size);
  compact(in);
  expanded(in);
  apdu(in);
  return 0;
}
