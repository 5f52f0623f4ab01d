// Fuzz target for codec/smpp34_pdu and codec/smpp34_receipt: frames the input as a stream,
// decodes each PDU; whatever decodes must encode again and decode to the same value.
// Receipt text in a deliver_sm goes through parse_receipt / format_receipt likewise, and a
// submit_sm's relative validity_period through decode_relative_time / encode_relative_time.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <variant>

#include "codec/smpp34_pdu.hpp"
#include "codec/smpp34_receipt.hpp"
#include "codec/smpp34_time.hpp"

namespace {

using namespace otaflow;
using namespace otaflow::codec::smpp;

void check_receipt(std::string_view text) {
  auto r = parse_receipt(text);
  if (!r.ok()) return;
  auto again = parse_receipt(format_receipt(*r));
  if (!again.ok() || !(*again == *r)) std::abort();
}

void check_relative_time(std::string_view text) {
  auto d = decode_relative_time(text);
  if (!d.ok()) return;
  auto t = encode_relative_time(*d);
  const bool in_range = d->count() >= 1 && *d <= max_relative_time;
  if (t.ok() != in_range) std::abort();
  if (!t.ok()) return;
  auto again = decode_relative_time(*t);
  if (!again.ok() || *again != *d) std::abort();
}

void check_pdu(byte_view whole) {
  (void)decode_header(whole);
  auto p = decode(whole);
  if (!p.ok()) {
    (void)to_command_status(p.error());
    return;
  }
  auto b = encode(*p);
  if (!b.ok()) std::abort();  // a decoded PDU must be encodable
  auto again = decode(*b);
  if (!again.ok() || !(*again == *p)) std::abort();
  if (const auto* s = std::get_if<submit_sm>(&p->body)) check_relative_time(s->validity_period);
  if (const auto* d = std::get_if<deliver_sm>(&p->body)) {
    check_receipt(std::string_view(reinterpret_cast<const char*>(d->short_message.data()),
                                   d->short_message.size()));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  byte_view stream(data, size);
  // The whole input as one PDU, whatever its command_length says.
  check_pdu(stream);
  // The input as a TCP stream of PDUs.
  while (true) {
    auto n = frame_length(stream);
    if (!n.ok() || !n->has_value() || **n > stream.size()) break;
    check_pdu(stream.first(**n));
    stream = stream.subspan(**n);
  }
  check_receipt(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
