#pragma once
// Shared helpers of the virtual UICC tests: a card with known keys, and the sending side
// built from the engine-independent encoder (secure::secure_command + codec).

#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "codec/ts102225_spi.hpp"
#include "codec/ts23040_tpdu.hpp"
#include "codec/ts31115_sms.hpp"
#include "secure/scp80.hpp"
#include "sim/fleet_generate.hpp"
#include "sim/uicc_card.hpp"

namespace otaflow::sim::test {

// Keysets of pySim's test_ota.py (sysmoISIM-SJA5), used as keyset 3 (KIc/KID 35) and an AES
// keyset 2 (KIc/KID 22); keyset 1 is 3DES with keys of our own.
inline const bytes sja5_kic = hex("300102030405060708090a0b0c0d0e0f");
inline const bytes sja5_kid = hex("301102030405060708090a0b0c0d0e0f");
inline const bytes aes_kic = hex("200102030405060708090a0b0c0d0e0f");
inline const bytes aes_kid = hex("201102030405060708090a0b0c0d0e0f");
inline const bytes ks1_kic = hex("11111111111111112222222222222222");
inline const bytes ks1_kid = hex("33333333333333334444444444444444");
inline const bytes ks1_kik = hex("000102030405060708090a0b0c0d0e0f");
inline const bytes ks2_kik = hex("f0e0d0c0b0a090807060504030201000");

/// TS 35.208 Test Set 1 (docs/standards/milenage-suci.md §1).
inline const bytes set1_k = hex("465b5ce8b199b49faa5f0a2ee238a6bc");
inline const bytes set1_opc = hex("cd63cb71954a9f4e48a5994e37a02baf");

/// a followed by b.
inline bytes cat(const bytes& a, const bytes& b) {
  bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

inline key16 k16(const bytes& b) {
  key16 k{};
  std::copy_n(b.begin(), 16, k.begin());
  return k;
}

/// A card: ICCID 8946990000000000001+Luhn, IMSI 001010000000001, MSISDN 467000000001,
/// Ki/OPc of our own (not Test Set 1), keysets 1 (3DES), 2 (AES), 3 (SJA5 3DES).
inline card_identity test_identity() {
  card_identity id;
  id.iccid = "894699000000000001";
  id.iccid.push_back(luhn_check_digit(id.iccid));
  id.imsi = "001010000000001";
  id.msisdn = "467000000001";
  id.ki = k16(hex("000102030405060708090a0b0c0d0e0f"));
  id.opc = k16(hex("0f0e0d0c0b0a09080706050403020100"));
  id.keysets.emplace_back(1, ks1_kic, ks1_kid, ks1_kik);
  id.keysets.emplace_back(2, aes_kic, aes_kid, ks2_kik);
  id.keysets.emplace_back(3, sja5_kic, sja5_kid, ks1_kik);
  return id;
}

/// The keys of a keyset of test_identity().
inline const bytes& kic_of(std::uint8_t v) {
  return v == 1 ? ks1_kic : v == 2 ? aes_kic : sja5_kic;
}
inline const bytes& kid_of(std::uint8_t v) {
  return v == 1 ? ks1_kid : v == 2 ? aes_kid : sja5_kid;
}

/// A secured command packet (from CPL) as the sending entity builds it.
inline bytes command_packet(std::uint16_t spi, std::uint8_t kic_kid, std::uint32_t tar,
                            std::uint64_t counter, const bytes& data,
                            const bytes* kic_key = nullptr, const bytes* kid_key = nullptr) {
  secure::command_params p;
  p.spi = *codec::decode_spi(spi);
  p.kic = kic_kid;
  p.kid = kic_kid;
  p.tar = tar;
  p.counter = counter;
  const std::uint8_t v = kic_kid >> 4;
  p.kic_key = kic_key ? *kic_key : kic_of(v);
  p.kid_key = kid_key ? *kid_key : kid_of(v);
  auto r = secure::secure_command(p, data);
  return r ? *r : bytes{};
}

/// The protection a PoR to such a command must be opened with.
inline secure::response_security por_security(std::uint16_t spi, std::uint8_t kic_kid) {
  secure::response_security s;
  s.spi = *codec::decode_spi(spi);
  s.kic = kic_kid;
  s.kid = kic_kid;
  const std::uint8_t v = kic_kid >> 4;
  s.kic_key = kic_of(v);
  s.kid_key = kid_of(v);
  return s;
}

/// The originating address of the OTA server in the tests.
inline codec::tpdu::address ota_server() {
  return {codec::tpdu::ton::international, codec::tpdu::npi::isdn, "4670999999"};
}

/// An SMS-DELIVER carrying a TP-UD (8-bit, class 2, PID 7F, UDHI) as the SMSC delivers it.
inline bytes sms_deliver(const bytes& tp_ud, std::uint8_t dcs = 0xF6, std::uint8_t pid = 0x7F,
                         bool udhi = true) {
  codec::tpdu::sms_deliver d;
  d.mms = true;
  d.udhi = udhi;
  d.oa = ota_server();
  d.pid = pid;
  d.dcs = dcs;
  d.scts = {22, 7, 25, 0, 0, 0, 0};
  d.ud = tp_ud;
  auto r = codec::tpdu::encode(d);
  return r ? *r : bytes{};
}

/// SMS-DELIVERs carrying a command packet (concatenated when needed).
inline std::vector<bytes> command_sms(const bytes& packet, std::uint16_t reference = 7) {
  codec::concat_options o;
  o.reference = reference;
  std::vector<bytes> out;
  auto uds = codec::command_to_tp_ud(packet, o);
  if (!uds) return out;
  for (const auto& ud : *uds) out.push_back(sms_deliver(ud));
  return out;
}

}  // namespace otaflow::sim::test
