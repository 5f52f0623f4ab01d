// Fuzz target: the virtual card's Issuer Security Domain (sim/card_isd.hpp). The first octet
// picks the entry point:
//   0: a stored registry (isd_registry::decode); what decodes must encode to the same octets
//   1: a Load File Data Block (cap_modules)
//   2: a sequence of C-APDUs, each u1 length | CLA INS P1 P2 data, to one ISD session whose
//      registry starts personalised; the registry after them must round-trip its encoding

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "sim/card_isd.hpp"

using namespace otaflow;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const byte_view in(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto r = sim::isd_registry::decode(in);
      if (r && r->encode() != bytes(in.begin(), in.end())) std::abort();
      break;
    }
    case 1:
      (void)sim::cap_modules(in);
      break;
    default: {
      sim::isd_session s(sim::isd_registry::personalised(hex("a000000151000000")), {4096, 64});
      byte_reader r(in);
      std::uint8_t n = 0;
      byte_view one;
      while (r.u8(n) && r.take(n, one)) {
        if (one.size() < 4) continue;
        codec::command_apdu c{
            one[0], one[1], one[2], one[3], bytes(one.begin() + 4, one.end()), std::nullopt};
        (void)s.process(c);
      }
      auto back = sim::isd_registry::decode(s.registry().encode());
      if (!back || !(*back == s.registry())) std::abort();
      break;
    }
  }
  return 0;
}
