// Fuzz target: ETSI TS 102 225 response packet (PoR) framing and opening, with and without
// its TP-UD header, under several SPI protections.

#include <cstdint>
#include <cstdlib>

#include "codec/ts102225_packet.hpp"
#include "codec/ts31115_sms.hpp"
#include "secure/scp80.hpp"

namespace {

const otaflow::bytes kic = otaflow::hex("300102030405060708090a0b0c0d0e0f");
const otaflow::bytes kid = otaflow::hex("301102030405060708090a0b0c0d0e0f");

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace otaflow;
  const byte_view in(data, size);
  if (auto f = codec::decode_response_packet(in); f.ok()) {
    auto e = codec::encode_response_packet(*f);
    if (!e.ok() || *e != bytes(in.begin(), in.end())) std::abort();
  }
  auto packet = codec::response_from_tp_ud(in);
  const byte_view p = packet.ok() ? *packet : in;
  // SPI octet 2 protections of pySim's tests: ciphered+CC, CC, none, RC (CRC32).
  for (std::uint16_t spi : {0x0619, 0x0609, 0x0601, 0x0615}) {
    secure::response_security sec;
    sec.spi = *codec::decode_spi(spi);
    sec.kic = 0x35;
    sec.kid = spi == 0x0615 ? 0x15 : 0x35;
    sec.kic_key = kic;
    sec.kid_key = kid;
    auto r = secure::inspect_response(p, sec);
    if (r.valid && r.response.data.size() > size) std::abort();
  }
  return 0;
}
