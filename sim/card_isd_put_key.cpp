#include "sim/card_isd_put_key.hpp"

#include <algorithm>

#include "codec/gp_put_key.hpp"
#include "codec/iso7816_sw.hpp"
#include "secure/gp_key.hpp"

namespace otaflow::sim {
namespace {

namespace sw = codec::sw;

ota_keyset* find(std::vector<ota_keyset>& sets, std::uint8_t v) {
  auto it =
      std::find_if(sets.begin(), sets.end(), [v](const ota_keyset& k) { return k.version == v; });
  return it == sets.end() ? nullptr : &*it;
}

// Unwrapped keys, wiped on every way out.
struct clear_keys {
  std::vector<bytes> keys;
  ~clear_keys() {
    for (auto& k : keys) secure_wipe(k);
  }
};

}  // namespace

codec::response_apdu isd_put_key(std::vector<ota_keyset>& keysets, std::uint8_t session_kvn,
                                 const codec::command_apdu& c) {
  if (c.p1 & 0x80) return {{}, sw::wrong_p1p2_param};  // one PUT KEY per key set here
  auto cmd = codec::gp::parse_put_key(c);
  if (!cmd) return {{}, sw::wrong_data};
  const ota_keyset* session = find(keysets, session_kvn);
  if (!session) return {{}, sw::conditions_not_satisfied};
  const std::size_t n = cmd->keys.size();
  if (cmd->new_kvn < 1 || cmd->new_kvn > 15 || cmd->first_key_id < 1 || cmd->first_key_id + n > 4)
    return {{}, sw::wrong_data};
  const ota_keyset* target = cmd->replace_kvn ? find(keysets, cmd->replace_kvn) : nullptr;
  if (cmd->replace_kvn && !target) return {{}, sw::data_not_found};
  if (!cmd->replace_kvn && (n != 3 || find(keysets, cmd->new_kvn))) return {{}, sw::wrong_data};
  if (cmd->replace_kvn && cmd->new_kvn != cmd->replace_kvn && find(keysets, cmd->new_kvn))
    return {{}, sw::wrong_data};
  clear_keys clear;
  bytes response{cmd->new_kvn};
  for (const auto& k : cmd->keys) {
    auto key = secure::gp_unwrap_key(session->kik, k);  // checks the KCV the command carries
    if (!key) return {{}, sw::wrong_data};
    auto kcv = secure::gp_kcv(
        k.type == codec::gp::key_type::aes ? secure::gp_key_kind::aes : secure::gp_key_kind::des,
        *key);
    if (!kcv) return {{}, sw::wrong_data};
    response.insert(response.end(), kcv->begin(), kcv->end());
    clear.keys.push_back(std::move(*key));
  }
  ota_keyset next = target ? *target : ota_keyset{};
  next.version = cmd->new_kvn;
  bytes* slots[] = {&next.kic, &next.kid, &next.kik};
  for (std::size_t i = 0; i < n; ++i) *slots[cmd->first_key_id - 1 + i] = clear.keys[i];
  if (target) {
    const std::uint8_t old = target->version;
    std::erase_if(keysets, [old](const ota_keyset& k) { return k.version == old; });
  }
  keysets.push_back(std::move(next));
  return {std::move(response), sw::ok};
}

}  // namespace otaflow::sim
