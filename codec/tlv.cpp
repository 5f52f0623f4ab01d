#include "codec/tlv.hpp"

#include <fmt/format.h>

#include <limits>

namespace otaflow::codec {
namespace {

[[nodiscard]] error truncated(std::string what) {
  return make_error(errc::truncated, std::move(what));
}

std::uint8_t tag_octet(std::uint32_t tag, std::size_t octets, std::size_t i) {
  return static_cast<std::uint8_t>(tag >> (8 * (octets - 1 - i)));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// BER-TLV
// ---------------------------------------------------------------------------------------------

std::size_t ber_tag_octets(std::uint32_t tag) noexcept {
  std::size_t n = 0;
  while (tag != 0) {
    ++n;
    tag >>= 8;
  }
  return n;
}

bool ber_tag_valid(std::uint32_t tag) noexcept {
  const std::size_t n = ber_tag_octets(tag);
  if (n == 0 || n > ber_max_tag_octets) return false;
  const std::uint8_t first = tag_octet(tag, n, 0);
  if (first == 0x00 || first == 0xFF) return false;
  const bool multi = (first & 0x1F) == 0x1F;
  if (n == 1) return !multi;
  if (!multi) return false;
  // ISO 7816-4 §5.2.2.1: subsequent octets have b8 = 1 except the last; the first subsequent
  // octet must not have b7-b1 all zero.
  for (std::size_t i = 1; i < n; ++i) {
    const std::uint8_t b = tag_octet(tag, n, i);
    const bool last = i + 1 == n;
    if (((b & 0x80) != 0) == last) return false;
    if (i == 1 && (b & 0x7F) == 0) return false;
  }
  return true;
}

bool ber_tag_constructed(std::uint32_t tag) noexcept {
  const std::size_t n = ber_tag_octets(tag);
  if (n == 0) return false;
  return (tag_octet(tag, n, 0) & 0x20) != 0;
}

bool ber_tlv::constructed() const noexcept {
  return ber_tag_constructed(tag);
}
bool ber_tlv_view::constructed() const noexcept {
  return ber_tag_constructed(tag);
}

result<std::uint32_t> ber_read_tag(byte_reader& in) {
  byte_reader r = in;
  std::uint8_t b = 0;
  if (!r.u8(b)) return truncated("BER-TLV tag: input ended before the tag");
  if (b == 0x00 || b == 0xFF) {
    return make_error(errc::bad_value,
                      fmt::format("BER-TLV tag: first octet {:02X} is padding, not a tag", b));
  }
  std::uint32_t tag = b;
  if ((b & 0x1F) == 0x1F) {
    for (std::size_t i = 1;; ++i) {
      if (i >= ber_max_tag_octets) {
        return make_error(
            errc::unsupported,
            fmt::format("BER-TLV tag {:X}..: longer than {} octets", tag, ber_max_tag_octets));
      }
      if (!r.u8(b)) {
        return truncated(
            fmt::format("BER-TLV tag {:X}: input ended inside a multi-octet tag", tag));
      }
      if (i == 1 && (b & 0x7F) == 0) {
        return make_error(
            errc::bad_value,
            fmt::format("BER-TLV tag {:X}{:02X}: first subsequent octet has b7-b1 = 0", tag, b));
      }
      tag = (tag << 8) | b;
      if ((b & 0x80) == 0) break;
    }
  }
  in = r;
  return tag;
}

result<std::size_t> ber_read_length(byte_reader& in) {
  byte_reader r = in;
  std::uint8_t b = 0;
  if (!r.u8(b)) return truncated("BER-TLV length: input ended before the length");
  std::size_t len = b;
  if (b == 0x80) {
    return make_error(errc::bad_value,
                      "BER-TLV length: indefinite form 80 is not allowed in ISO 7816 BER-TLV");
  }
  if (b > 0x80) {
    const std::size_t n = b & 0x7F;
    if (n > 4) {
      return make_error(
          errc::bad_value,
          fmt::format("BER-TLV length: first octet {:02X} is invalid (81-84 only)", b));
    }
    std::uint64_t v = 0;
    if (!r.uint_be(n, v)) {
      return truncated(fmt::format("BER-TLV length {:02X}: {} length octets missing", b, n));
    }
    if (v > std::numeric_limits<std::size_t>::max()) {
      return make_error(errc::too_long, fmt::format("BER-TLV length {} does not fit memory", v));
    }
    len = static_cast<std::size_t>(v);
  }
  in = r;
  return len;
}

result<ber_tlv_view> ber_read(byte_reader& in) {
  byte_reader r = in;
  const std::size_t start = r.position();
  auto tag = ber_read_tag(r);
  if (!tag) return std::move(tag).error();
  auto len = ber_read_length(r);
  if (!len) {
    auto e = std::move(len).error();
    e.message = fmt::format("BER-TLV {:X}: {}", *tag, e.message);
    return e;
  }
  ber_tlv_view v;
  v.tag = *tag;
  if (!r.take(*len, v.value)) {
    return truncated(fmt::format("BER-TLV {:X}: length {} but only {} octets remain", *tag, *len,
                                 r.remaining()));
  }
  v.encoded_size = r.position() - start;
  in = r;
  return v;
}

result<ber_tlv_view> ber_decode_view(byte_view in) {
  byte_reader r(in);
  return ber_read(r);
}

result<ber_tlv> ber_decode(byte_view in) {
  byte_reader r(in);
  auto v = ber_read(r);
  if (!v) return std::move(v).error();
  if (!r.empty()) {
    return make_error(errc::bad_length, fmt::format("BER-TLV {:X}: {} octets after the object",
                                                    v->tag, r.remaining()));
  }
  return v->to_owned();
}

result<std::vector<ber_tlv_view>> ber_decode_all_views(byte_view in, ber_options opts) {
  std::vector<ber_tlv_view> out;
  byte_reader r(in);
  while (!r.empty()) {
    if (opts.skip_padding) {
      std::uint8_t b = 0;
      (void)r.peek(b);
      if (b == 0x00 || b == 0xFF) {
        (void)r.skip(1);
        continue;
      }
    }
    auto v = ber_read(r);
    if (!v) {
      auto e = std::move(v).error();
      e.message = fmt::format("{} (object {} at offset {})", e.message, out.size(), r.position());
      return e;
    }
    out.push_back(*v);
  }
  return out;
}

result<std::vector<ber_tlv>> ber_decode_all(byte_view in, ber_options opts) {
  auto views = ber_decode_all_views(in, opts);
  if (!views) return std::move(views).error();
  std::vector<ber_tlv> out;
  out.reserve(views->size());
  for (const auto& v : *views) out.push_back(v.to_owned());
  return out;
}

std::optional<ber_tlv_view> ber_find(const std::vector<ber_tlv_view>& objects, std::uint32_t tag) {
  for (const auto& o : objects) {
    if (o.tag == tag) return o;
  }
  return std::nullopt;
}

result<std::optional<ber_tlv_view>> ber_find(byte_view in, std::uint32_t tag, ber_options opts) {
  auto views = ber_decode_all_views(in, opts);
  if (!views) return std::move(views).error();
  return ber_find(*views, tag);
}

status ber_write_tag(std::uint32_t tag, byte_writer& out) {
  if (!ber_tag_valid(tag)) {
    return make_error(errc::bad_argument, fmt::format("BER-TLV tag {:X} is not a valid tag", tag));
  }
  out.uint_be(ber_tag_octets(tag), tag);
  return {};
}

void ber_write_length(std::size_t length, byte_writer& out) {
  if (length < 0x80) {
    out.u8(static_cast<std::uint8_t>(length));
  } else if (length <= 0xFF) {
    out.u8(0x81);
    out.u8(static_cast<std::uint8_t>(length));
  } else if (length <= 0xFFFF) {
    out.u8(0x82);
    out.u16(static_cast<std::uint16_t>(length));
  } else if (length <= 0xFFFFFF) {
    out.u8(0x83);
    out.u24(static_cast<std::uint32_t>(length));
  } else {
    out.u8(0x84);
    out.u32(static_cast<std::uint32_t>(length));
  }
}

status ber_encode(std::uint32_t tag, byte_view value, byte_writer& out) {
  if (value.size() > 0xFFFFFFFFu) {
    return make_error(
        errc::too_long,
        fmt::format("BER-TLV {:X}: value of {} octets exceeds 84 xxxxxxxx", tag, value.size()));
  }
  OTAFLOW_TRY(ber_write_tag(tag, out));
  ber_write_length(value.size(), out);
  out.append(value);
  return {};
}

status ber_encode(const ber_tlv& tlv, byte_writer& out) {
  return ber_encode(tlv.tag, tlv.value, out);
}

result<bytes> ber_encode(const ber_tlv& tlv) {
  byte_writer w;
  OTAFLOW_TRY(ber_encode(tlv, w));
  return w.take();
}

result<ber_indefinite_view> ber_decode_indefinite(byte_view in) {
  byte_reader r(in);
  auto tag = ber_read_tag(r);
  if (!tag) return std::move(tag).error();
  if (!ber_tag_constructed(*tag)) {
    return make_error(errc::bad_value,
                      fmt::format("BER-TLV {:X}: indefinite length needs a constructed tag", *tag));
  }
  std::uint8_t len = 0;
  if (!r.u8(len))
    return truncated(fmt::format("BER-TLV {:X}: input ended before the length", *tag));
  if (len != 0x80) {
    return make_error(
        errc::bad_value,
        fmt::format("BER-TLV {:X}: expected indefinite length 80, got {:02X}", *tag, len));
  }
  const std::size_t start = r.position();
  for (std::size_t n = 0;; ++n) {
    const byte_view rest = r.rest();
    if (rest.empty()) {
      return truncated(fmt::format("BER-TLV {:X}: input ended before end-of-contents 00 00", *tag));
    }
    if (rest[0] == 0x00) {
      if (rest.size() < 2) {
        return truncated(
            fmt::format("BER-TLV {:X}: end-of-contents 00 00 cut after one octet", *tag));
      }
      if (rest[1] != 0x00) {
        return make_error(errc::bad_value,
                          fmt::format("BER-TLV {:X}: end-of-contents is 00 {:02X}, expected 00 00",
                                      *tag, rest[1]));
      }
      ber_indefinite_view v;
      v.tag = *tag;
      v.content = in.subspan(start, r.position() - start);
      v.encoded_size = r.position() + 2;
      return v;
    }
    auto inner = ber_read(r);
    if (!inner) {
      auto e = std::move(inner).error();
      e.message = fmt::format("BER-TLV {:X} (indefinite), inner object {}: {}", *tag, n, e.message);
      return e;
    }
  }
}

status ber_encode_indefinite(std::uint32_t tag, byte_view content, byte_writer& out) {
  if (!ber_tag_constructed(tag)) {
    return make_error(errc::bad_argument,
                      fmt::format("BER-TLV {:X}: indefinite length needs a constructed tag", tag));
  }
  OTAFLOW_TRY(ber_write_tag(tag, out));
  out.u8(0x80);
  out.append(content);
  out.u16(0x0000);
  return {};
}

// ---------------------------------------------------------------------------------------------
// SIMPLE-TLV
// ---------------------------------------------------------------------------------------------

result<simple_tlv> simple_tlv_read(byte_reader& in) {
  byte_reader r = in;
  std::uint8_t tag = 0;
  if (!r.u8(tag)) return truncated("SIMPLE-TLV: input ended before the tag");
  if (tag == 0x00 || tag == 0xFF) {
    return make_error(errc::bad_value,
                      fmt::format("SIMPLE-TLV: tag {:02X} is invalid (01-FE only)", tag));
  }
  std::uint8_t b = 0;
  if (!r.u8(b))
    return truncated(fmt::format("SIMPLE-TLV {:02X}: input ended before the length", tag));
  std::size_t len = b;
  if (b == 0xFF) {
    std::uint16_t l16 = 0;
    if (!r.u16(l16)) {
      return truncated(fmt::format("SIMPLE-TLV {:02X}: length FF needs 2 more octets", tag));
    }
    len = l16;
  }
  byte_view value;
  if (!r.take(len, value)) {
    return truncated(fmt::format("SIMPLE-TLV {:02X}: length {} but only {} octets remain", tag, len,
                                 r.remaining()));
  }
  in = r;
  return simple_tlv{tag, bytes(value.begin(), value.end())};
}

result<std::vector<simple_tlv>> simple_tlv_decode_all(byte_view in) {
  std::vector<simple_tlv> out;
  byte_reader r(in);
  while (!r.empty()) {
    auto t = simple_tlv_read(r);
    if (!t) return std::move(t).error();
    out.push_back(std::move(*t));
  }
  return out;
}

status simple_tlv_encode(const simple_tlv& tlv, byte_writer& out) {
  if (tlv.tag == 0x00 || tlv.tag == 0xFF) {
    return make_error(errc::bad_argument,
                      fmt::format("SIMPLE-TLV: tag {:02X} is invalid (01-FE only)", tlv.tag));
  }
  if (tlv.value.size() > 0xFFFF) {
    return make_error(errc::too_long, fmt::format("SIMPLE-TLV {:02X}: value of {} octets > 65535",
                                                  tlv.tag, tlv.value.size()));
  }
  out.u8(tlv.tag);
  if (tlv.value.size() < 0xFF) {
    out.u8(static_cast<std::uint8_t>(tlv.value.size()));
  } else {
    out.u8(0xFF);
    out.u16(static_cast<std::uint16_t>(tlv.value.size()));
  }
  out.append(tlv.value);
  return {};
}

// ---------------------------------------------------------------------------------------------
// COMPACT-TLV
// ---------------------------------------------------------------------------------------------

result<compact_tlv> compact_tlv_read(byte_reader& in) {
  byte_reader r = in;
  std::uint8_t b = 0;
  if (!r.u8(b)) return truncated("COMPACT-TLV: input ended before the tag/length octet");
  const std::size_t len = b & 0x0F;
  byte_view value;
  if (!r.take(len, value)) {
    return truncated(fmt::format("COMPACT-TLV {:02X}: length {} but only {} octets remain", b, len,
                                 r.remaining()));
  }
  in = r;
  return compact_tlv{static_cast<std::uint8_t>(b >> 4), bytes(value.begin(), value.end())};
}

result<std::vector<compact_tlv>> compact_tlv_decode_all(byte_view in) {
  std::vector<compact_tlv> out;
  byte_reader r(in);
  while (!r.empty()) {
    auto t = compact_tlv_read(r);
    if (!t) return std::move(t).error();
    out.push_back(std::move(*t));
  }
  return out;
}

status compact_tlv_encode(const compact_tlv& tlv, byte_writer& out) {
  if (tlv.tag > 0x0F) {
    return make_error(errc::bad_argument,
                      fmt::format("COMPACT-TLV: tag {:X} does not fit 4 bits", tlv.tag));
  }
  if (tlv.value.size() > 0x0F) {
    return make_error(errc::too_long, fmt::format("COMPACT-TLV {:X}: value of {} octets > 15",
                                                  tlv.tag, tlv.value.size()));
  }
  out.u8(static_cast<std::uint8_t>((tlv.tag << 4) | tlv.value.size()));
  out.append(tlv.value);
  return {};
}

// ---------------------------------------------------------------------------------------------
// COMPREHENSION-TLV
// ---------------------------------------------------------------------------------------------

result<comprehension_tlv> comprehension_tlv_read(byte_reader& in) {
  byte_reader r = in;
  comprehension_tlv t;
  std::uint8_t b = 0;
  if (!r.u8(b)) return truncated("COMPREHENSION-TLV: input ended before the tag");
  // TS 102 223 Annex C: '00' and 'FF' are not used, '80' is reserved; '7F' starts 3-octet tags.
  if (b == 0x00 || b == 0xFF || b == 0x80) {
    return make_error(errc::bad_value,
                      fmt::format("COMPREHENSION-TLV: tag octet {:02X} is not a valid tag", b));
  }
  if (b == 0x7F) {
    std::uint16_t v = 0;
    if (!r.u16(v)) return truncated("COMPREHENSION-TLV: tag 7F needs 2 more octets");
    t.cr = (v & 0x8000) != 0;
    t.tag = static_cast<std::uint16_t>(v & 0x7FFF);
    t.long_form = true;
    if (t.tag == 0) {
      return make_error(errc::bad_value,
                        fmt::format("COMPREHENSION-TLV: 3-octet tag 7F{:04X} has tag value 0", v));
    }
  } else {
    t.cr = (b & 0x80) != 0;
    t.tag = b & 0x7F;
  }
  std::uint8_t l = 0;
  if (!r.u8(l)) {
    return truncated(fmt::format("COMPREHENSION-TLV {:X}: input ended before the length", t.tag));
  }
  std::size_t len = l;
  if (l >= 0x80) {
    const std::size_t n = l & 0x7F;
    if (n < 1 || n > 3) {
      return make_error(errc::bad_value,
                        fmt::format("COMPREHENSION-TLV {:X}: length octet {:02X} is invalid "
                                    "(00-7F, 81, 82, 83)",
                                    t.tag, l));
    }
    std::uint64_t v = 0;
    if (!r.uint_be(n, v)) {
      return truncated(
          fmt::format("COMPREHENSION-TLV {:X}: length {:02X} needs {} more octets", t.tag, l, n));
    }
    len = static_cast<std::size_t>(v);
  }
  byte_view value;
  if (!r.take(len, value)) {
    return truncated(fmt::format("COMPREHENSION-TLV {:X}: length {} but only {} octets remain",
                                 t.tag, len, r.remaining()));
  }
  t.value.assign(value.begin(), value.end());
  in = r;
  return t;
}

result<std::vector<comprehension_tlv>> comprehension_tlv_decode_all(byte_view in) {
  std::vector<comprehension_tlv> out;
  byte_reader r(in);
  while (!r.empty()) {
    auto t = comprehension_tlv_read(r);
    if (!t) return std::move(t).error();
    out.push_back(std::move(*t));
  }
  return out;
}

status comprehension_tlv_encode(const comprehension_tlv& tlv, byte_writer& out) {
  if (tlv.tag == 0 || tlv.tag > 0x7FFF) {
    return make_error(errc::bad_argument,
                      fmt::format("COMPREHENSION-TLV: tag value {:X} is outside 1..7FFF", tlv.tag));
  }
  if (tlv.value.size() > 0xFFFFFF) {
    return make_error(errc::too_long, fmt::format("COMPREHENSION-TLV {:X}: value of {} octets",
                                                  tlv.tag, tlv.value.size()));
  }
  if (tlv.long_form || tlv.tag > 0x7E) {
    out.u8(0x7F);
    out.u16(static_cast<std::uint16_t>((tlv.cr ? 0x8000 : 0) | tlv.tag));
  } else {
    out.u8(static_cast<std::uint8_t>((tlv.cr ? 0x80 : 0) | tlv.tag));
  }
  const std::size_t n = tlv.value.size();
  if (n < 0x80) {
    out.u8(static_cast<std::uint8_t>(n));
  } else if (n <= 0xFF) {
    out.u8(0x81);
    out.u8(static_cast<std::uint8_t>(n));
  } else if (n <= 0xFFFF) {
    out.u8(0x82);
    out.u16(static_cast<std::uint16_t>(n));
  } else {
    out.u8(0x83);
    out.u24(static_cast<std::uint32_t>(n));
  }
  out.append(tlv.value);
  return {};
}

}  // namespace otaflow::codec
