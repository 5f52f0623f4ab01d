// Fuzz target for codec/ts31102_5gs.hpp and secure/suci.hpp: every DF.5GS decoder, the binary
// and string SUCI parsers and SUCI de-concealment on the same input. Whatever decodes and
// re-encodes must decode to the same value; the binary SUCI must re-encode to the same bytes;
// de-concealment with the TS 33.501 Annex C.4 keys must fail cleanly on forged outputs.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "codec/ts31102_5gs.hpp"
#include "secure/suci.hpp"

namespace {

using namespace otaflow;
using namespace otaflow::codec::ts31102;
namespace suci = otaflow::secure::suci;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

template <class T, class Dec, class Enc>
void round_trip(byte_view in, Dec dec, Enc enc) {
  auto v = dec(in);
  if (!v) return;
  byte_writer w;
  if (!enc(static_cast<const T&>(*v), w).ok()) return;
  auto again = dec(w.data());
  check(again.ok() && *again == *v);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const byte_view in(data, size);

  round_trip<ef_5gs_loci>(in, decode_5gs_loci, encode_5gs_loci);
  round_trip<std::optional<nas_security_context_5gs>>(
      in, decode_5gs_nsc, [&](const std::optional<nas_security_context_5gs>& c, byte_writer& w) {
        return encode_5gs_nsc(c, size, w);
      });
  round_trip<ef_5g_auth_keys>(
      in, decode_5g_auth_keys,
      [&](const ef_5g_auth_keys& k, byte_writer& w) { return encode_5g_auth_keys(k, 0, w); });
  round_trip<ef_uac_aic>(in, decode_uac_aic, [](const ef_uac_aic& a, byte_writer& w) {
    encode_uac_aic(a, w);
    return status{};
  });
  round_trip<std::optional<opl5g_entry>>(in, decode_opl5g, encode_opl5g);
  round_trip<ef_supi_nai>(in, decode_supi_nai, [](const ef_supi_nai& n, byte_writer& w) {
    return encode_supi_nai(n, 0, w);
  });
  round_trip<std::optional<std::string>>(in, decode_routing_indicator, encode_routing_indicator);

  if (auto info = decode_suci_calc_info(in)) {
    byte_writer w;
    check(encode_suci_calc_info(*info, 0, w).ok());
    auto again = decode_suci_calc_info(w.data());
    check(again.ok() && *again == *info);
    const std::uint8_t supported[] = {0, 1, 2};
    (void)select_protection(*info, supported);
    const hn_public_key k{0xEE, bytes(32, 0x42)};
    if (auto r = rotate_hn_key(*info, 1, k)) {
      byte_writer rw;
      check(encode_suci_calc_info(*r, 0, rw).ok());
      auto ra = decode_suci_calc_info(rw.data());
      check(ra.ok() && *ra == *r);
      auto sel = select_protection(*r, std::span<const std::uint8_t>(supported + 1, 1));
      check(sel.ok() && sel->key_id == 0xEE);
    }
  }

  // Binary SUCI: canonical, so decode -> encode gives the input back.
  if (auto s = suci::decode_suci(in)) {
    byte_writer w;
    check(suci::encode_suci(*s, w).ok());
    check(w.data().size() == size && std::equal(in.begin(), in.end(), w.data().begin()));
    auto text = suci::to_string(*s);
    check(text.ok());
    auto parsed = suci::parse_suci(*text);
    check(parsed.ok() && *parsed == *s);
  }
  // String SUCI.
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto s = suci::parse_suci(text)) {
    auto again = suci::to_string(*s);
    check(again.ok());
    auto reparsed = suci::parse_suci(*again);
    check(reparsed.ok() && *reparsed == *s);
  }
  // De-concealment with the Annex C.4 home network keys.
  static const bytes a_priv =
      hex("c53c22208b61860b06c62e5406a7b330c2b577aa5558981510d128247d38bd1d");
  static const bytes b_priv =
      hex("f1ab1074477ebcc7f554ea1c5fc368b1616730155e0041ac447d6301975fecda");
  (void)suci::deconceal(suci::scheme::profile_a, a_priv, in);
  (void)suci::deconceal(suci::scheme::profile_b, b_priv, in);
  if (auto m = suci::bcd_to_msin(in)) {
    auto b = suci::msin_to_bcd(*m);
    check(b.ok() && *b == bytes(in.begin(), in.end()));
  }
  return 0;
}
