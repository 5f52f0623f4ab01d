// Fuzz target: codec/ts31115_sms.hpp response_from_tp_ud, the first step of every PoR that
// arrives in a deliver_sm (TP-UD with or without its UDH, or the bare packet).
//
// Checks beyond "no crash": the packet returned lies inside the input and is the input's tail
// (the UDH, when one is found, is a prefix).

#include <cstdint>
#include <cstdlib>

#include "codec/ts31115_sms.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace otaflow;
  const byte_view in(data, size);
  auto p = codec::response_from_tp_ud(in);
  if (!p) return 0;
  if (p->data() < in.data() || p->data() + p->size() != in.data() + in.size()) std::abort();
  return 0;
}
