#include "app/fleet_card.hpp"

namespace otaflow::app {

result<std::unique_ptr<sim::card_source>> recorded_source(const nlohmann::json& meta) {
  if (meta.value("source", "") == "generated") {
    sim::fleet_numbering n;
    n.iccid_prefix = meta.value("iccid_prefix", n.iccid_prefix);
    n.imsi_prefix = meta.value("imsi_prefix", n.imsi_prefix);
    n.msisdn_prefix = meta.value("msisdn_prefix", n.msisdn_prefix);
    n.iccid_digits = meta.value("iccid_digits", n.iccid_digits);
    n.imsi_digits = meta.value("imsi_digits", n.imsi_digits);
    n.msisdn_digits = meta.value("msisdn_digits", n.msisdn_digits);
    auto s =
        sim::generated_source(meta.value("seed", ""), meta.value("count", std::uint64_t{0}), n);
    if (!s) return make_error(errc::bad_value, "state dir: " + s.error().message);
    return std::move(*s);
  }
  auto s = sim::csv_source(meta.value("csv", ""));
  return s ? std::move(*s) : std::unique_ptr<sim::card_source>();
}

result<std::unique_ptr<fleet_card>> open_fleet_card(const std::string& state_dir,
                                                    const std::string& iccid) {
  auto out = std::make_unique<fleet_card>();
  auto store = sim::fleet_store::open(state_dir, false);
  out->writable = store.ok();
  if (!store) store = sim::fleet_store::open(state_dir, true);
  if (!store) return store.error();
  out->store = std::move(*store);
  auto m = out->store->meta();
  if (!m) return m.error();
  if (!*m)
    return make_error(errc::not_found,
                      "state dir " + state_dir + ": no fleet recorded (never opened by a fleet)");
  const auto meta = nlohmann::json::parse(**m, nullptr, false);
  if (meta.is_discarded())
    return make_error(errc::bad_value, "state dir " + state_dir + ": unreadable fleet record");
  auto source = recorded_source(meta);
  if (!source) return source.error();
  if (!*source)
    return make_error(errc::not_found, "state dir " + state_dir + ": the fleet's CSV is gone");
  auto index = (*source)->find_iccid(iccid);
  if (!index) return make_error(errc::not_found, "iccid " + iccid + ": not a card of this fleet");
  auto id = (*source)->identity(*index);
  if (!id) return id.error();
  auto st = out->store->load(iccid);
  if (!st) return st.error();
  out->card = std::make_unique<sim::virtual_card>(std::move(*id), st->value_or(sim::card_state{}),
                                                  out->profile);
  return out;
}

result<bool> persist_fleet_card(fleet_card& c, const std::string& iccid) {
  auto& st = c.card->data().state();
  if (!c.writable || !st.dirty()) return false;
  OTAFLOW_TRY(c.store->save(iccid, st));
  st.clear_dirty();
  return true;
}

}  // namespace otaflow::app
