// Fuzz target: a campaign's JSON form (actors/campaign_def.hpp campaign_from_json): what a
// Kafka "campaign" event carries and what storage keeps, both read from outside the process.
//
// Checks beyond "no crash": an accepted campaign writes a canonical JSON form that reads back
// to the same form (to_json is a fixed point after one round); the signed reader counts no
// approval without approver keys.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "actors/campaign_approval.hpp"
#include "actors/campaign_def.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace otaflow::actors;
  if (size > 64 * 1024) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  // The signed reader (approvals beside the definition, actors/campaign_approval.hpp): no
  // crash, and with no approver keys configured no approval ever counts.
  if (auto s = signed_campaign_from_json(j)) {
    if (check_approvals(s->def, s->approvals, approval_policy{}).valid != 0) std::abort();
  }
  auto c = campaign_from_json(j);
  if (!c) {
    if (c.error().message.empty()) std::abort();
    return 0;
  }
  const auto canon = to_json(*c);
  auto back = campaign_from_json(canon);
  if (!back || to_json(*back) != canon) std::abort();
  return 0;
}
