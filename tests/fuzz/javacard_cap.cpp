// Fuzz target for codec/javacard_cap.hpp: the CAP file (ZIP) reader. Whatever parses has a
// package AID of 5..16 octets and every mandatory component, and its load file starts with the
// Header component.

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "codec/javacard_cap.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace otaflow;
  auto cap = codec::javacard::parse_cap(byte_view(data, size));
  if (!cap) return 0;
  if (cap->package_aid.size() < 5 || cap->package_aid.size() > 16) __builtin_trap();
  const bytes lf = codec::javacard::cap_load_file(*cap);
  const bytes& header = cap->components.at("Header");
  if (lf.size() < header.size() || !std::equal(header.begin(), header.end(), lf.begin()))
    __builtin_trap();
  return 0;
}
