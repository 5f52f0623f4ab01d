#include "codec/javacard_cap.hpp"

#include <zlib.h>

#include <array>
#include <string_view>
#include <utility>

namespace otaflow::codec::javacard {
namespace {

error bad(std::string message) {
  return make_error(errc::bad_value, std::move(message));
}

// ZIP (PKWARE APPNOTE 4.3): little-endian fields.
constexpr std::uint32_t sig_local = 0x04034b50;
constexpr std::uint32_t sig_central = 0x02014b50;
constexpr std::uint32_t sig_end = 0x06054b50;
constexpr std::size_t end_size = 22;

std::uint16_t le16(byte_view b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8));
}
std::uint32_t le32(byte_view b, std::size_t at) {
  return std::uint32_t{b[at]} | (std::uint32_t{b[at + 1]} << 8) | (std::uint32_t{b[at + 2]} << 16) |
         (std::uint32_t{b[at + 3]} << 24);
}

struct zip_entry {
  std::string name;
  std::uint16_t flags = 0, method = 0;
  std::uint32_t crc = 0, compressed = 0, size = 0, local_offset = 0;
};

result<std::size_t> find_end(byte_view zip) {
  if (zip.size() < end_size) return bad("CAP file: too short for a ZIP");
  const std::size_t lowest = zip.size() > end_size + 0xFFFF ? zip.size() - end_size - 0xFFFF : 0;
  for (std::size_t at = zip.size() - end_size + 1; at-- > lowest;)
    if (le32(zip, at) == sig_end) return at;
  return bad("CAP file: no ZIP end of central directory record");
}

result<std::vector<zip_entry>> read_directory(byte_view zip) {
  auto end = find_end(zip);
  if (!end) return std::move(end).error();
  const std::size_t count = le16(zip, *end + 10);
  const std::size_t dir_size = le32(zip, *end + 12), dir_offset = le32(zip, *end + 16);
  if (count == 0xFFFF || dir_offset == 0xFFFFFFFF) return bad("CAP file: ZIP64 is not supported");
  if (count > cap_max_entries)
    return bad("CAP file: " + std::to_string(count) + " ZIP entries, at most " +
               std::to_string(cap_max_entries));
  if (dir_offset > *end || dir_size > *end - dir_offset)
    return bad("CAP file: the ZIP central directory lies outside the file");
  std::vector<zip_entry> out;
  std::size_t at = dir_offset;
  for (std::size_t i = 0; i < count; ++i) {
    if (at + 46 > *end || le32(zip, at) != sig_central)
      return bad("CAP file: ZIP central directory entry " + std::to_string(i + 1) + " is broken");
    zip_entry e;
    e.flags = le16(zip, at + 8);
    e.method = le16(zip, at + 10);
    e.crc = le32(zip, at + 16);
    e.compressed = le32(zip, at + 20);
    e.size = le32(zip, at + 24);
    const std::size_t n = le16(zip, at + 28), x = le16(zip, at + 30), c = le16(zip, at + 32);
    e.local_offset = le32(zip, at + 42);
    if (at + 46 + n + x + c > *end)
      return bad("CAP file: ZIP central directory entry " + std::to_string(i + 1) +
                 " is cut short");
    e.name.assign(reinterpret_cast<const char*>(zip.data() + at + 46), n);
    out.push_back(std::move(e));
    at += 46 + n + x + c;
  }
  return out;
}

result<bytes> inflate_raw(byte_view in, std::size_t size, const std::string& name) {
  bytes out(size);
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return bad("CAP file: " + name + ": zlib init failed");
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_FINISH);
  const std::size_t produced = z.total_out;
  inflateEnd(&z);
  if (rc != Z_STREAM_END || produced != size)
    return bad("CAP file: " + name + ": deflate data is corrupt or not of the declared size " +
               std::to_string(size));
  return out;
}

result<bytes> read_entry(byte_view zip, const zip_entry& e) {
  if (e.flags & 0x0001) return bad("CAP file: " + e.name + " is encrypted");
  if (e.size > cap_max_entry)
    return bad("CAP file: " + e.name + " of " + std::to_string(e.size) + " octets exceeds " +
               std::to_string(cap_max_entry));
  const std::size_t at = e.local_offset;
  if (at > zip.size() || zip.size() - at < 30 || le32(zip, at) != sig_local)
    return bad("CAP file: " + e.name + ": no local header where the directory points");
  const std::size_t data = at + 30 + le16(zip, at + 26) + le16(zip, at + 28);
  if (data > zip.size() || zip.size() - data < e.compressed)
    return bad("CAP file: " + e.name + ": data runs past the end of the file");
  const byte_view raw = zip.subspan(data, e.compressed);
  bytes out;
  if (e.method == 0) {
    if (e.compressed != e.size) return bad("CAP file: " + e.name + ": stored sizes disagree");
    out.assign(raw.begin(), raw.end());
  } else if (e.method == 8) {
    auto r = inflate_raw(raw, e.size, e.name);
    if (!r) return std::move(r).error();
    out = std::move(*r);
  } else {
    return bad("CAP file: " + e.name + ": compression method " + std::to_string(e.method) +
               " (only stored and deflate)");
  }
  const auto crc = static_cast<std::uint32_t>(
      ::crc32(::crc32(0L, Z_NULL, 0), out.data(), static_cast<uInt>(out.size())));
  if (crc != e.crc) return bad("CAP file: " + e.name + ": CRC-32 mismatch");
  return out;
}

struct known_component {
  std::string_view name;
  std::uint8_t tag;
  bool mandatory;
};

constexpr std::array<known_component, 12> known = {{
    {"Header", component::header, true},
    {"Directory", component::directory, true},
    {"Applet", component::applet, false},
    {"Import", component::import, true},
    {"ConstantPool", component::constant_pool, true},
    {"Class", component::class_, true},
    {"Method", component::method, true},
    {"StaticField", component::static_field, true},
    {"RefLocation", component::reference_location, true},
    {"Export", component::export_, false},
    {"Descriptor", component::descriptor, false},
    {"Debug", component::debug, false},
}};

status check_component(const std::string& name, const bytes& c) {
  for (const auto& k : known) {
    if (k.name != name) continue;
    if (c.size() < 3 || c[0] != k.tag)
      return bad("CAP file: " + name + ".cap does not start with its tag " + std::to_string(k.tag));
    const std::size_t size = (std::size_t{c[1]} << 8) | c[2];
    if (size != c.size() - 3)
      return bad("CAP file: " + name + ".cap says " + std::to_string(size) + " octets, holds " +
                 std::to_string(c.size() - 3));
    return {};
  }
  return {};  // components of later JCVM versions are kept as they are
}

status parse_header(cap_file& cap) {
  const bytes& h = cap.components.at("Header");
  byte_reader r(byte_view(h).subspan(3));
  std::uint32_t magic = 0;
  std::uint8_t flags = 0, aid_len = 0;
  byte_view aid;
  if (!r.u32(magic) || !r.u8(cap.cap_minor) || !r.u8(cap.cap_major) || !r.u8(flags) ||
      !r.u8(cap.package_minor) || !r.u8(cap.package_major) || !r.u8(aid_len) ||
      !r.take(aid_len, aid))
    return bad("CAP file: Header.cap is cut short");
  if (magic != 0xDECAFFED) return bad("CAP file: Header.cap lacks the magic DECAFFED");
  if (aid.size() < 5 || aid.size() > 16)
    return bad("CAP file: package AID of " + std::to_string(aid.size()) + " octets");
  cap.package_aid.assign(aid.begin(), aid.end());
  return {};
}

status parse_applets(cap_file& cap) {
  const auto it = cap.components.find("Applet");
  if (it == cap.components.end()) return {};
  byte_reader r(byte_view(it->second).subspan(3));
  std::uint8_t count = 0;
  if (!r.u8(count)) return bad("CAP file: Applet.cap is cut short");
  for (unsigned i = 0; i < count; ++i) {
    std::uint8_t len = 0;
    std::uint16_t offset = 0;
    byte_view aid;
    if (!r.u8(len) || !r.take(len, aid) || !r.u16(offset))
      return bad("CAP file: Applet.cap is cut short at applet " + std::to_string(i + 1));
    cap.applet_aids.emplace_back(aid.begin(), aid.end());
  }
  return {};
}

}  // namespace

bool looks_like_zip(byte_view data) noexcept {
  return data.size() >= 4 && data[0] == 'P' && data[1] == 'K' && data[2] == 3 && data[3] == 4;
}

result<cap_file> parse_cap(byte_view zip) {
  auto dir = read_directory(zip);
  if (!dir) return std::move(dir).error();
  cap_file cap;
  for (const auto& e : *dir) {
    const std::string_view n = e.name;
    if (n.ends_with(".capx"))
      return bad("CAP file: " + e.name + ": the extended format is not read");
    if (!n.ends_with(".cap")) continue;  // META-INF/MANIFEST.MF, .exp files, directories
    const std::size_t slash = n.rfind('/');
    const std::string base(
        n.substr(slash == std::string_view::npos ? 0 : slash + 1,
                 n.size() - 4 - (slash == std::string_view::npos ? 0 : slash + 1)));
    if (cap.components.count(base)) return bad("CAP file: two " + base + ".cap entries");
    auto data = read_entry(zip, e);
    if (!data) return std::move(data).error();
    OTAFLOW_TRY(check_component(base, *data));
    cap.components.emplace(base, std::move(*data));
  }
  for (const auto& k : known)
    if (k.mandatory && !cap.components.count(std::string(k.name)))
      return bad("CAP file: no " + std::string(k.name) + ".cap component");
  OTAFLOW_TRY(parse_header(cap));
  OTAFLOW_TRY(parse_applets(cap));
  return cap;
}

bytes cap_load_file(const cap_file& cap, bool include_descriptor) {
  static constexpr std::array<std::string_view, 11> order = {
      "Header",      "Directory", "Import",       "Applet",      "Class",     "Method",
      "StaticField", "Export",    "ConstantPool", "RefLocation", "Descriptor"};
  bytes out;
  for (const auto name : order) {
    if (name == "Descriptor" && !include_descriptor) continue;
    const auto it = cap.components.find(std::string(name));
    if (it != cap.components.end()) out.insert(out.end(), it->second.begin(), it->second.end());
  }
  return out;
}

}  // namespace otaflow::codec::javacard
