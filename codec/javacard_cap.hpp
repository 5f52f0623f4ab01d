#pragma once
// Java Card CAP files (Java Card Platform Virtual Machine Specification §6, the compact format)
// as GlobalPlatform LOAD needs them: the CAP file is a ZIP (JAR) holding one `.cap` entry per
// component under `<package path>/javacard/`; the load file is the components concatenated in
// the order of JCVM §6.3. Read from bytes (no I/O): the ZIP's central directory, stored or
// deflated entries (zlib), their CRC-32, then each component's tag and size, the Header's
// magic DECAFFED and package AID, and the Applet component's applet AIDs.
// docs/standards/globalplatform.md §3.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace otaflow::codec::javacard {

/// Component tags (JCVM §6.1, Table 6-1).
namespace component {
inline constexpr std::uint8_t header = 1;
inline constexpr std::uint8_t directory = 2;
inline constexpr std::uint8_t applet = 3;
inline constexpr std::uint8_t import = 4;
inline constexpr std::uint8_t constant_pool = 5;
inline constexpr std::uint8_t class_ = 6;
inline constexpr std::uint8_t method = 7;
inline constexpr std::uint8_t static_field = 8;
inline constexpr std::uint8_t reference_location = 9;
inline constexpr std::uint8_t export_ = 10;
inline constexpr std::uint8_t descriptor = 11;
inline constexpr std::uint8_t debug = 12;
}  // namespace component

/// Limits that keep a hostile ZIP from exhausting memory.
inline constexpr std::size_t cap_max_entry = 1u << 20;  ///< 1 MiB per component
inline constexpr std::size_t cap_max_entries = 256;

/// A parsed CAP file.
struct cap_file {
  std::map<std::string, bytes> components;  ///< by name without ".cap": "Header", "Method", ...
  bytes package_aid;                        ///< from the Header component
  std::uint8_t package_major = 0, package_minor = 0;
  std::uint8_t cap_major = 0, cap_minor = 0;  ///< CAP format version
  std::vector<bytes> applet_aids;             ///< from the Applet component (may be empty)
};

/// Parses a CAP file (a ZIP). Errors name the entry or component and what is wrong with it:
/// not a ZIP, ZIP64, encryption, a compression other than stored/deflate, a CRC mismatch, a
/// missing mandatory component, a component whose tag or size disagrees with its name.
[[nodiscard]] result<cap_file> parse_cap(byte_view zip);

/// The load file: Header, Directory, Import, Applet, Class, Method, StaticField, Export,
/// ConstantPool, RefLocation (JCVM §6.3), then Descriptor when asked and present. Debug never.
[[nodiscard]] bytes cap_load_file(const cap_file& cap, bool include_descriptor = true);

/// Whether the bytes start like a ZIP (local file header "PK\3\4").
[[nodiscard]] bool looks_like_zip(byte_view data) noexcept;

}  // namespace otaflow::codec::javacard
