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
  return k == card_key_profile::otaflow_virtual ? "otaflow-virtual" : "example-apdu";
}

result<card_key_profile> card_key_profile_from(std::string_view s) {
  for (auto k : {card_key_profile::otaflow_virtual, card_key_profile::example_apdu})
    if (s == name(k)) return k;
  return make_error(errc::bad_value,
                    "'" + std::string(s) + "' is not otaflow-virtual or example-apdu");
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
  auto done = [&](std::uint16_t s) {
    secure_wipe(new_ki);
    secure_wipe(new_opc);
    return reply(s);
  };
  if (!kcv_ok) return done(sw::wrong_data);
  const std::uint32_t seq = (std::uint32_t{(*seq_b)[0]} << 24) |
                            (std::uint32_t{(*seq_b)[1]} << 16) | (std::uint32_t{(*seq_b)[2]} << 8) |
                            (*seq_b)[3];
  const std::uint32_t last = card.state().key_file_sequence();
  if (seq <= last) {
    // The command applied last, delivered again (its PoR was lost): nothing changes.
    const auto& cur = card.state().rotated_keys();
    const bool repeat =
        seq == last && cur && equal_ct(new_ki, cur->first) && equal_ct(new_opc, cur->second);
    return done(repeat ? sw::ok : sw::conditions_not_satisfied);
  }
  card.state().set_rotated_keys(new_ki, new_opc, seq);
  return done(sw::ok);
}

}  // namespace otaflow::sim
