// Fuzz target: a campaign file's TOML text (actors/campaign_def.hpp campaign_from_toml), the
// form operators write. Every value is validated on the way in (durations, numbers, SPI,
// paths, variants).
//
// Checks beyond "no crash": an accepted campaign survives its canonical JSON form
// (campaign_from_json(to_json(c)) is accepted and writes the same JSON), so what storage keeps
// and Kafka events carry reads back as what the operator wrote.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "actors/campaign_def.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace otaflow::actors;
  if (size > 64 * 1024) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = campaign_from_toml(text, "fuzz");
  if (!c) {
    if (c.error().message.empty()) std::abort();
    return 0;
  }
  const auto j = to_json(*c);
  auto back = campaign_from_json(j);
  if (!back) std::abort();
  if (to_json(*back) != j) std::abort();
  return 0;
}
