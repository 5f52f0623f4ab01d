// Fuzz target for codec/ts31102_ef.hpp and codec/otaflow_keyfile.hpp: every EF decoder on
// the same input. Whatever decodes and re-encodes must decode to the same value; no decoder
// may read past its input. The key file is also opened with a fixed KIK, which must fail
// cleanly on anything but a sealed image.

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "codec/otaflow_keyfile.hpp"
#include "codec/ts31102_ef.hpp"
#include "secure/key_rotation.hpp"

namespace {

using namespace otaflow;
using namespace otaflow::codec::ts31102;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// decode -> encode (when the encoder accepts the value) -> decode must give the same value.
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

  round_trip<plmn_act_list>(in, decode_plmn_act_list, [&](const plmn_act_list& l, byte_writer& w) {
    return encode_plmn_act_list(l, 0, w);
  });
  round_trip<fplmn_list>(in, decode_fplmn,
                         [](const fplmn_list& l, byte_writer& w) { return encode_fplmn(l, 0, w); });
  round_trip<std::string>(in, decode_imsi,
                          [](const std::string& s, byte_writer& w) { return encode_imsi(s, w); });
  round_trip<ef_spn>(in, decode_spn, encode_spn);
  round_trip<std::uint16_t>(in, decode_acc,
                            [](std::uint16_t v, byte_writer& w) { return encode_acc(v, w); });
  round_trip<ef_loci>(in, decode_loci, encode_loci);
  round_trip<ef_ad>(in, decode_ad, encode_ad);
  round_trip<std::string>(in, decode_iccid,
                          [](const std::string& s, byte_writer& w) { return encode_iccid(s, w); });
  round_trip<alpha_text>(in, decode_alpha, [&](const alpha_text& t, byte_writer& w) {
    return encode_alpha(t, in.size(), w);
  });
  round_trip<ef_smsp>(in, decode_smsp, [&](const ef_smsp& s, byte_writer& w) {
    return encode_smsp(s, in.size(), w);
  });
  round_trip<std::optional<dialling_number>>(
      in, decode_dialling_number, [&](const std::optional<dialling_number>& n, byte_writer& w) {
        return encode_dialling_number(n, in.size(), w);
      });
  if (auto h = decode_hpplmn(in)) (void)hpplmn_minutes(*h);
  (void)service_available(in, size % 200);

  // Key file: the layout must re-encode to the very same bytes.
  if (auto f = codec::keyfile::decode(in)) {
    byte_writer w;
    codec::keyfile::encode(*f, w);
    check(w.data().size() == in.size() && std::equal(in.begin(), in.end(), w.data().begin()));
  }
  static const bytes kik = hex("404142434445464748494a4b4c4d4e4f");
  (void)secure::open_key_file(kik, in, 0);
  return 0;
}
