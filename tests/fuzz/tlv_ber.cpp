// Fuzz target for codec/tlv.hpp: every TLV decoder on the same input; whatever decodes must
// re-encode and decode to the same objects, and no decoder may read past its input.

#include <cstddef>
#include <cstdint>

#include "codec/tlv.hpp"

namespace {

using namespace otaflow;
using namespace otaflow::codec;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void ber(byte_view in) {
  for (const bool pad : {false, true}) {
    auto seq = ber_decode_all(in, ber_options{.skip_padding = pad});
    if (!seq) continue;
    byte_writer w;
    for (const auto& t : *seq) check(ber_encode(t, w).ok());
    auto again = ber_decode_all(w.data());
    check(again.ok() && *again == *seq);
    // Walk one level into constructed objects, as parsers of FCP templates do.
    for (const auto& t : *seq) {
      if (t.constructed()) (void)ber_decode_all_views(t.value);
    }
  }
  auto one = ber_decode_view(in);
  if (one) check(one->encoded_size <= in.size());
  auto indef = ber_decode_indefinite(in);
  if (indef) {
    check(indef->encoded_size <= in.size());
    byte_writer w;
    check(ber_encode_indefinite(indef->tag, indef->content, w).ok());
    check(w.data().size() == indef->encoded_size);
  }
}

void simple(byte_view in) {
  auto seq = simple_tlv_decode_all(in);
  if (!seq) return;
  byte_writer w;
  for (const auto& t : *seq) check(simple_tlv_encode(t, w).ok());
  auto again = simple_tlv_decode_all(w.data());
  check(again.ok() && *again == *seq);
}

void compact(byte_view in) {
  auto seq = compact_tlv_decode_all(in);
  if (!seq) return;
  byte_writer w;
  for (const auto& t : *seq) check(compact_tlv_encode(t, w).ok());
  check(w.data() == bytes(in.begin(), in.end()));  // COMPACT-TLV has one encoding only
}

void comprehension(byte_view in) {
  auto seq = comprehension_tlv_decode_all(in);
  if (!seq) return;
  byte_writer w;
  for (const auto& t : *seq) check(comprehension_tlv_encode(t, w).ok());
  auto again = comprehension_tlv_decode_all(w.data());
  check(again.ok() && *again == *seq);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const otaflow::byte_view in(data, size);
  ber(in);
  simple(in);
  compact(in);
  comprehension(in);
  return 0;
}
