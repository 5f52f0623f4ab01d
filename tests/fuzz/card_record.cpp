// Fuzz target: card records of the subscribers topic (storage/card_record.hpp), which arrive
// from Kafka. A damaged or hostile record must give a clear error, never a crash or a read past
// the end. The record key is a fixed valid ICCID (the one the corpus entries were made for).
// Checks beyond "no crash": a record that decodes holds a subscriber row keyed by the ICCID,
// and its rows, encoded again in the same layout, decode to the same record.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "storage/card_record.hpp"
#include "storage/record_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace otaflow;
  static const std::string iccid = "8988200000000000014";
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  auto r = storage::decode_card(iccid, value);
  if (!r) {
    if (r.error().message.empty()) std::abort();
    return 0;
  }
  bool has_subscriber = false;
  byte_writer w;
  w.u8(storage::card_record_version);
  for (const auto& row : r->rows) {
    if (row.col == storage::column::subscribers && row.key == iccid) has_subscriber = true;
    w.u8(static_cast<std::uint8_t>(row.col));
    storage::detail::put_str(w, row.key);
    storage::detail::put_str(w, row.value);
  }
  if (!has_subscriber) std::abort();
  auto back = storage::decode_card(iccid, storage::detail::as_chars(w.data()));
  if (!back || !(*back == *r)) std::abort();
  return 0;
}
