// Fuzz target: arbitrary bytes reach a virtual UICC (sim/ota_card.hpp) the ways a handset or
// the network can deliver them. The first octet picks the entry point:
//   0: ENVELOPE data (80 C2 00 00 Lc data), then GET RESPONSE / FETCH as the card asks
//   1: an SMS-DELIVER TPDU through the handset (TS 31.111 §7.1.1)
//   2: a raw command APDU on the card's interface
//   3: a command packet (from CPL) straight to the OTA processing, with an open profile
//      (no minimum security level) so unsecured scripts reach the file system
// Two cards (default profile and open profile) live across inputs, as a real card would.

#include <cstddef>
#include <cstdint>

#include "codec/iso7816_apdu.hpp"
#include "sim/card_profile.hpp"
#include "sim/ota_card.hpp"
#include "sim/ota_sms_pp.hpp"

namespace {

using namespace otaflow;

sim::card_identity identity() {
  sim::card_identity id;
  id.iccid = "8946990000000000016";
  id.imsi = "001010000000001";
  id.msisdn = "467000000001";
  for (std::size_t i = 0; i < 16; ++i) {
    id.ki[i] = static_cast<std::uint8_t>(i);
    id.opc[i] = static_cast<std::uint8_t>(15 - i);
  }
  id.keysets.emplace_back(1, hex("11111111111111112222222222222222"),
                          hex("33333333333333334444444444444444"),
                          hex("000102030405060708090a0b0c0d0e0f"));
  id.keysets.emplace_back(3, hex("300102030405060708090a0b0c0d0e0f"),
                          hex("301102030405060708090a0b0c0d0e0f"),
                          hex("000102030405060708090a0b0c0d0e0f"));
  return id;
}

sim::card_profile open_profile() {
  sim::card_profile p = sim::default_card_profile();
  for (auto& a : p.applications) a.msl = {};
  p.applications.push_back({"ram", 0, 0, sim::app_kind::ram, sim::access_level::adm, {}, {}});
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const sim::card_profile def = sim::default_card_profile();
  static const sim::card_profile open = open_profile();
  static sim::virtual_card card(identity(), {}, def);
  static sim::virtual_card open_card(identity(), {}, open);
  if (size < 1) return 0;
  const byte_view in(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      if (in.size() > 255) return 0;
      auto r =
          card.transmit(codec::command_apdu{0x80, 0xC2, 0, 0, bytes(in.begin(), in.end()), {}});
      for (int i = 0; i < 8 && (r.sw1() == 0x61 || r.sw1() == 0x91); ++i) {
        const std::uint8_t ins = r.sw1() == 0x61 ? 0xC0 : 0x12;
        r = card.transmit(codec::command_apdu{static_cast<std::uint8_t>(ins == 0xC0 ? 0x00 : 0x80),
                                              ins,
                                              0,
                                              0,
                                              {},
                                              r.sw2() ? r.sw2() : 256u});
      }
      break;
    }
    case 1:
      (void)card.receive_sms(in);
      break;
    case 2:
      (void)open_card.transmit(in);
      break;
    case 3: {
      (void)sim::process_command_packet(open_card.data(), open, in, {1, 1, "4670999999"});
      break;
    }
  }
  return 0;
}
