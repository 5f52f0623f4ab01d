#include "codec/otaflow_keyfile.hpp"

#include <algorithm>
#include <string>

namespace otaflow::codec::keyfile {
void encode_header(const header& h, byte_writer& w) {
  w.u8(h.version);
  w.u8(h.algorithm);
  w.u8(h.kik_index);
  w.u8(h.flags);
  w.u32(h.sequence);
}

result<header> decode_header(byte_view data) {
  byte_reader r(data);
  header h;
  if (!r.u8(h.version) || !r.u8(h.algorithm) || !r.u8(h.kik_index) || !r.u8(h.flags) ||
      !r.u32(h.sequence))
    return make_error(errc::truncated,
                      "key file header needs 8 bytes, got " + std::to_string(data.size()));
  if (h.version != format_version)
    return make_error(errc::unsupported,
                      "key file version " + to_hex(h.version, 2, hex_case::upper) + " (only 01)");
  if (h.algorithm != alg_aes128_kw)
    return make_error(errc::unsupported, "key file algorithm " +
                                             to_hex(h.algorithm, 2, hex_case::upper) +
                                             " (only 01 = AES-128 KW)");
  if (h.kik_index < 1 || h.kik_index > 15)
    return make_error(errc::bad_value,
                      "key file KIK index " + std::to_string(h.kik_index) + " not in 1..15");
  if (h.flags != 0)
    return make_error(errc::bad_value, "key file flags " + to_hex(h.flags, 2, hex_case::upper) +
                                           " (RFU, must be 00)");
  if (h.sequence == 0) return make_error(errc::bad_value, "key file sequence 0 (must be >= 1)");
  return h;
}

void encode(const file& f, byte_writer& w) {
  encode_header(f.hdr, w);
  w.u8(static_cast<std::uint8_t>(wrapped_size));
  w.append(f.wrapped);
  w.append(f.kcv);
  w.fill(file_size - header_size - 1 - wrapped_size - kcv_size, 0xFF);
}

bool is_empty(byte_view data) noexcept {
  return !data.empty() &&
         std::all_of(data.begin(), data.end(), [](std::uint8_t b) { return b == 0xFF; });
}

result<file> decode(byte_view data) {
  if (is_empty(data)) return make_error(errc::not_found, "key file is erased (all FF)");
  if (data.size() < file_size)
    return make_error(errc::truncated, "key file needs " + std::to_string(file_size) +
                                           " bytes, got " + std::to_string(data.size()));
  if (data.size() > file_size)
    return make_error(errc::bad_length, "key file is " + std::to_string(file_size) +
                                            " bytes, got " + std::to_string(data.size()));
  file f;
  auto h = decode_header(data.first(header_size));
  if (!h) return std::move(h).error();
  f.hdr = *h;
  byte_reader r(data.subspan(header_size));
  std::uint8_t wlen = 0;
  byte_view wrapped, kcv;
  if (!r.u8(wlen) || !r.take(wrapped_size, wrapped) || !r.take(kcv_size, kcv))
    return make_error(errc::internal, "key file reader ran short");  // size checked above
  if (wlen != wrapped_size)
    return make_error(errc::bad_length, "key file wrapped length " + std::to_string(wlen) +
                                            " (must be " + std::to_string(wrapped_size) + ")");
  std::copy(wrapped.begin(), wrapped.end(), f.wrapped.begin());
  std::copy(kcv.begin(), kcv.end(), f.kcv.begin());
  const byte_view pad = r.rest();
  for (std::size_t i = 0; i < pad.size(); ++i)
    if (pad[i] != 0xFF)
      return make_error(errc::bad_value, "key file padding byte " +
                                             std::to_string(file_size - pad.size() + i) + " is " +
                                             to_hex(pad[i], 2, hex_case::upper) + ", must be FF");
  return f;
}

}  // namespace otaflow::codec::keyfile
