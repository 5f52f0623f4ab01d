// Fuzz target: the vendor CSV parser of `subscribers import` (storage/vendor_csv.hpp): the
// first line is the header, the others rows. Pure parsing, no RocksDB: the import's database
// side is covered by tests/unit/storage/csv_import_test.cpp.
//
// Checks beyond "no crash": a refused header names a column or a missing one; a column the
// header accepted as an attribute never looks like key material; a parsed row carries no key
// material in its attributes.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "storage/vendor_csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace otaflow::storage;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> lines;
  while (!in.empty() && lines.size() < 64) {
    const auto nl = in.find('\n');
    lines.push_back(in.substr(0, nl));
    if (nl == std::string_view::npos) break;
    in.remove_prefix(nl + 1);
  }
  if (lines.empty()) return 0;
  auto header = vendor_csv::split_line(lines[0]);
  if (!header) return 0;
  for (const auto& n : *header) (void)vendor_csv::key_material_word(n);
  // Declare the header's own names: key-looking ones must still be refused.
  const std::vector<std::string> declared(header->begin(), header->end());
  auto l = vendor_csv::parse_header(*header,
                                    {declared.data(), std::min<std::size_t>(declared.size(), 3)});
  if (!l) {
    if (l.error().message.rfind("--attribute", 0) != 0 &&
        l.error().message.find("header: ") == std::string::npos) {
      std::abort();
    }
    l = vendor_csv::parse_header(*header);
    if (!l) return 0;
  }
  for (const auto& [idx, name] : l->attributes) {
    if (idx >= header->size() || vendor_csv::key_material_word(name)) std::abort();
  }
  for (std::size_t i = 1; i < lines.size(); ++i) {
    auto fields = vendor_csv::split_line(lines[i]);
    if (!fields) continue;
    auto row = vendor_csv::parse_row(*l, *fields);
    if (!row) continue;
    for (const auto& [k, v] : row->sub.attributes) {
      if (vendor_csv::key_material_word(k)) std::abort();
    }
    if (row->sub.keyset_versions.empty() || row->keys.keysets.empty()) std::abort();
  }
  return 0;
}
