// Fuzz target: the key files otaflow reads: the key-rotation file image a card holds
// (codec/otaflow_keyfile.hpp, docs/formats/key-rotation-file.md) and the KEK file / OTAFLOW_KEK
// text (storage/kek.hpp parse_kek).
//
// The first input byte picks the reader. Checks beyond "no crash": a decoded key-rotation
// image encodes back to the same 64 bytes; an error about a KEK never repeats the text it was
// given (a secret must not reach an error message).

#include <algorithm>
#include <cctype>
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
    // No run of 16 hex digits of the input (key material) appears in the message. Other text
    // may: the fuzzer copies words of error messages into its inputs.
    const auto& msg = k.error().message;
    const auto is_hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
    for (std::size_t i = 0; i + 16 <= text.size(); ++i) {
      const auto window = text.substr(i, 16);
      if (std::all_of(window.begin(), window.end(), is_hex) &&
          msg.find(window) != std::string::npos) {
        std::abort();
      }
    }
  }
  return 0;
}
