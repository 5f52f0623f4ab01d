// Fuzz target: TS 23.040 User Data Header parsing and the TS 31.115 reassembler.

#include <cstdint>
#include <cstdlib>

#include "codec/ts23040_udh.hpp"
#include "codec/ts31115_sms.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace otaflow;
  const byte_view in(data, size);
  if (auto s = codec::split_ud(in); s.ok()) {
    // Re-encoding the header and appending the body gives the input back.
    byte_writer w;
    if (!codec::encode(s->header, w).ok()) std::abort();
    w.append(s->body);
    if (w.data() != bytes(in.begin(), in.end())) std::abort();
    (void)codec::find_concat(s->header);
  }
  // Feed the input, and its halves, to one reassembler.
  codec::packet_reassembler r(4);
  (void)r.add("a", in);
  (void)r.add("a", in.first(size / 2));
  (void)r.add("b", in.subspan(size / 2));
  (void)r.add("a", in);
  return 0;
}
