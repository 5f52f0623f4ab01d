#include "sim/card_key_profile.hpp"

#include <algorithm>
#include <string>

#include "codec/iso7816_sw.hpp"
#include "secure/key_profile_wrap.hpp"
#include "secure/key_rotation.hpp"

namespace otaflow::sim {
namespace {

namespace sw = codec::sw;

codec::response_apdu reply(std::uint16_t s) {
  return {{}, s};
}

// The value of tag `tag` (one-octet tag and length) at `at`, which moves past it.
std::optional<byte_view> take_tlv(byte_view data, std::size_t& at, std::uint8_t tag,
                                  std::size_t len) {
  if (at + 2 + len > data.size() || data[at] != tag || data[at + 1] != len) return std::nullopt;
  auto v = data.subspan(at + 2, len);
  at += 2 + len;
  return v;
}

}  // namespace

std::string_view name(card_key_profile k) noexcept {
  switch (k) {
    case card_key_profile::otaflow_virtual:
      return "otaflow-virtual";
    case card_key_profile::example_apdu:
      return "example-apdu";
    case card_key_profile::example_record:
      return "example-record";
  }
  return "?";
}

result<card_key_profile> card_key_profile_from(std::string_view s) {
  for (auto k : {card_key_profile::otaflow_virtual, card_key_profile::example_apdu,
                 card_key_profile::example_record})
    if (s == name(k)) return k;
  return make_error(
      errc::bad_value,
      "'" + std::string(s) + "' is not otaflow-virtual, example-apdu or example-record");
}

namespace {

// Installs unwrapped keys under a sequence: above the last one, or the last one again with the
// same keys (a repeat changes nothing).
std::uint16_t install(uicc_data& card, key16& ki, key16& opc, std::uint32_t seq) {
  const std::uint32_t last = card.state().key_file_sequence();
  std::uint16_t s = sw::ok;
  if (seq <= last) {
    const auto& cur = card.state().rotated_keys();
    const bool repeat =
        seq == last && cur && equal_ct(ki, cur->first) && equal_ct(opc, cur->second);
    s = repeat ? sw::ok : sw::conditions_not_satisfied;
  } else {
    card.state().set_rotated_keys(ki, opc, seq);
  }
  secure_wipe(ki);
  secure_wipe(opc);
  return s;
}

std::uint32_t be32(byte_view b) {
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
         b[3];
}

}  // namespace

std::uint16_t example_record_apply(uicc_data& card, byte_view content) {
  if (content.size() != 64) return sw::wrong_data;
  for (const auto& ks : card.identity().keysets) {
    auto ki = secure::unwrap_value(secure::key_wrap_alg::aes_ecb, secure::key_wrap_padding::none,
                                   ks.kik, content.subspan(0, 16));
    if (!ki || ki->size() != 16) continue;
    auto kcv = secure::key_check_value(*ki);
    if (!kcv || !equal_ct(*kcv, content.subspan(32, 3))) {
      secure_wipe(*ki);
      continue;
    }
    auto opc = secure::unwrap_value(secure::key_wrap_alg::aes_ecb, secure::key_wrap_padding::none,
                                    ks.kik, content.subspan(16, 16));
    if (!opc || opc->size() != 16) {
      secure_wipe(*ki);
      return sw::wrong_data;
    }
    key16 new_ki{}, new_opc{};
    std::copy(ki->begin(), ki->end(), new_ki.begin());
    std::copy(opc->begin(), opc->end(), new_opc.begin());
    secure_wipe(*ki);
    secure_wipe(*opc);
    return install(card, new_ki, new_opc, be32(content.subspan(48, 4)));
  }
  return sw::wrong_data;
}

codec::response_apdu example_key_command(uicc_data& card, const codec::command_apdu& c, bool adm) {
  if (!adm) return reply(sw::security_not_satisfied);
  if (c.p2 != 0x00) return reply(sw::wrong_p1p2);
  std::size_t at = 0;
  auto ki_w = take_tlv(c.data, at, 0x81, 16);
  auto opc_w = take_tlv(c.data, at, 0x82, 16);
  auto kcv = take_tlv(c.data, at, 0x83, 3);
  auto seq_b = take_tlv(c.data, at, 0x84, 4);
  if (!ki_w || !opc_w || !kcv || !seq_b || at != c.data.size()) return reply(sw::wrong_length);
  const ota_keyset* ks = card.identity().keyset(c.p1);
  if (!ks) return reply(sw::data_not_found);
  auto ki = secure::unwrap_value(secure::key_wrap_alg::aes_ecb, secure::key_wrap_padding::none,
                                 ks->kik, *ki_w);
  auto opc = secure::unwrap_value(secure::key_wrap_alg::aes_ecb, secure::key_wrap_padding::none,
                                  ks->kik, *opc_w);
  if (!ki || !opc || ki->size() != 16 || opc->size() != 16) return reply(sw::wrong_data);
  auto check = secure::key_check_value(*ki);
  const bool kcv_ok = check && std::equal(check->begin(), check->end(), kcv->begin());
  key16 new_ki{}, new_opc{};
  std::copy(ki->begin(), ki->end(), new_ki.begin());
  std::copy(opc->begin(), opc->end(), new_opc.begin());
  secure_wipe(*ki);
  secure_wipe(*opc);
  if (!kcv_ok) {
    secure_wipe(new_ki);
    secure_wipe(new_opc);
    return reply(sw::wrong_data);
  }
  // The command applied last, delivered again (its PoR was lost), changes nothing.
  return reply(install(card, new_ki, new_opc, be32(*seq_b)));
}

}  // namespace otaflow::sim
