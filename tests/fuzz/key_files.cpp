// Fuzz target: the key files otaflow reads: the key-rotation file image a card holds
// (codec/otaflow_keyfile.hpp, docs/formats/key-rotation-file.md) and the KEK file / OTAFLOW_KEK
// text (storage/kek.hpp parse_kek).
//
// The first input byte picks the reader. Checks beyond "no crash": a decoded key-rotation
// image encodes back to the same 64 bytes; an error about a KEK never repeats the text it was
// given (a secret must not reach an error message).

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "codec/otaflow_keyfile.hpp"
#include "storage/kek.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace otaflow;
  if (size == 0) return 0;
  const byte_view in(data + 1, size - 1);
  if (data[0] & 1) {
    (void)codec::keyfile::decode_header(in);
    auto f = codec::keyfile::decode(in);
    if (!f) return 0;
    byte_writer w;
    codec::keyfile::encode(*f, w);
    const auto out = w.take();
    if (in.size() < out.size() || !std::equal(out.begin(), out.end(), in.begin())) std::abort();
  } else {
    const std::string_view text(reinterpret_cast<const char*>(in.data()), in.size());
    auto k = storage::parse_kek(text, "fuzz");
    if (k) return 0;
    // Any run of 16 or more characters of the input must not appear in the message.
    const auto& msg = k.error().message;
    if (text.size() >= 16) {
      for (std::size_t i = 0; i + 16 <= text.size(); i += 8) {
        if (msg.find(text.substr(i, 16)) != std::string::npos) std::abort();
      }
    }
  }
  return 0;
}
