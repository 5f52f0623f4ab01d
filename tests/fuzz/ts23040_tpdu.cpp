// Fuzz target for codec/ts23040_tpdu: every TPDU decoder (and the address readers) runs on the
// input; whatever decodes must encode again and decode to the same value.

#include <cstdint>
#include <cstdlib>

#include "codec/ts23040_tpdu.hpp"

namespace {

using namespace otaflow;
using namespace otaflow::codec::tpdu;

template <class T, class Decode>
void check(const result<T>& r, Decode decode_again) {
  if (!r.ok()) return;
  auto b = encode(*r);
  if (!b.ok()) std::abort();  // a decoded TPDU must be encodable
  auto again = decode_again(*b);
  if (!again.ok() || !(*again == *r)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const byte_view in(data, size);
  check(decode_deliver(in), [](byte_view b) { return decode_deliver(b); });
  check(decode_submit(in), [](byte_view b) { return decode_submit(b); });
  for (bool rp_error : {false, true}) {
    check(decode_deliver_report(in, rp_error),
          [rp_error](byte_view b) { return decode_deliver_report(b, rp_error); });
    check(decode_submit_report(in, rp_error),
          [rp_error](byte_view b) { return decode_submit_report(b, rp_error); });
  }
  {
    // SC address then SMS-DELIVER, as an SMS-PP PDU arrives from a modem.
    byte_reader r(in);
    auto sc = decode_sc_address(r);
    if (sc.ok()) {
      byte_writer w;
      if (!encode_sc_address(*sc, w).ok()) std::abort();
      (void)decode_deliver(r.rest());
    }
  }
  {
    byte_reader r(in);
    auto a = decode_address(r);
    if (a.ok()) {
      byte_writer w;
      if (!encode_address(*a, w).ok()) std::abort();
      byte_reader r2(w.data());
      auto again = decode_address(r2);
      if (!again.ok() || !(*again == *a)) std::abort();
    }
  }
  return 0;
}
