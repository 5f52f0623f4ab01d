// Fuzz target: ETSI TS 102 225 command packet framing and opening (the card side).
// Any input must be parsed or rejected without reading past its end, and opening must
// never crash whatever the SPI, KIc, KID and lengths say.

#include <cstdint>
#include <cstdlib>

#include "codec/ts102225_packet.hpp"
#include "codec/ts31115_sms.hpp"
#include "secure/scp80.hpp"

namespace {

// pySim test_ota.py keysets: 3DES (version 3) and AES-128 (version 2).
const otaflow::secure::keyset tdes{3, otaflow::hex("300102030405060708090a0b0c0d0e0f"),
                                   otaflow::hex("301102030405060708090a0b0c0d0e0f")};
const otaflow::secure::keyset aes{2, otaflow::hex("200102030405060708090a0b0c0d0e0f"),
                                  otaflow::hex("201102030405060708090a0b0c0d0e0f")};

const otaflow::secure::keyset* lookup(std::uint32_t, std::uint8_t version) {
  if (version == 3) return &tdes;
  if (version == 2) return &aes;
  return nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace otaflow;
  const byte_view in(data, size);
  // Unciphered view: decode, then encode must give the input back.
  if (auto f = codec::decode_command_packet(in); f.ok()) {
    auto e = codec::encode_command_packet(*f);
    if (!e.ok() || *e != bytes(in.begin(), in.end())) std::abort();
  }
  auto r = secure::inspect_command(in, lookup);
  if (r.status == codec::por_status::ok && r.command.data.size() > size) std::abort();
  // The same bytes as a TP-UD.
  if (auto body = codec::command_from_tp_ud(in); body.ok())
    (void)secure::inspect_command(*body, lookup);
  return 0;
}
