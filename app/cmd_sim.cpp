// `otaflow sim show --state DIR --iccid ICCID`: one card of a virtual UICC fleet as JSON:
// its numbers, the files that differ from their personalised defaults (path, name, hex),
// the OTA counters per keyset, the last PoR status, the key rotation sequence and SQN_MS.
// The state directory records which fleet it belongs to (seed or CSV), so the command needs
// nothing else; it opens the store read-only and works while the simulator runs. Keys are
// never printed.

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "app/command.hpp"
#include "base/bytes.hpp"
#include "sim/fleet.hpp"
#include "sim/fleet_store.hpp"

namespace otaflow::app {
namespace {

struct options {
  std::string state_dir;
  std::string iccid;
};

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "otaflow: %s\n", message.c_str());
  exit_with(1);
}

/// The card source the state directory records (nullptr when its CSV is gone).
std::unique_ptr<sim::card_source> recorded_source(const nlohmann::json& meta) {
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
    if (!s) fail("state dir: " + s.error().message);
    return std::move(*s);
  }
  auto s = sim::csv_source(meta.value("csv", ""));
  return s ? std::move(*s) : nullptr;
}

void run_show(const options& o) {
  auto store = sim::fleet_store::open(o.state_dir, true);
  if (!store) fail(store.error().message);
  auto m = (*store)->meta();
  if (!m) fail(m.error().message);
  if (!*m) fail("state dir " + o.state_dir + ": no fleet recorded (never opened by a fleet)");
  const auto meta = nlohmann::json::parse(**m, nullptr, false);
  if (meta.is_discarded()) fail("state dir " + o.state_dir + ": unreadable fleet record");

  nlohmann::ordered_json out;
  out["iccid"] = o.iccid;
  auto source = recorded_source(meta);
  if (source) {
    auto index = source->find_iccid(o.iccid);
    if (!index) fail("iccid " + o.iccid + ": not a card of this fleet");
    auto id = source->identity(*index);
    if (!id) fail(id.error().message);
    out["index"] = *index;
    out["imsi"] = id->imsi;
    out["msisdn"] = id->msisdn;
  }
  nlohmann::ordered_json fleet = {{"source", meta.value("source", "")}};
  if (meta.contains("seed")) fleet["seed"] = meta["seed"];
  if (meta.contains("count")) fleet["count"] = meta["count"];
  if (meta.contains("csv")) fleet["csv"] = meta["csv"];
  out["fleet"] = fleet;

  auto st = (*store)->load(o.iccid);
  if (!st) fail(st.error().message);
  const sim::card_state state = st->value_or(sim::card_state{});
  out["stored"] = st->has_value();
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const auto& [key, content] : state.files())
    files.push_back({{"path", sim::file_path_text(key)},
                     {"name", sim::file_name(key)},
                     {"hex", to_hex(content)}});
  out["files"] = files;
  nlohmann::ordered_json counters = nlohmann::ordered_json::object();
  for (const auto& [ks, value] : state.counters()) counters[std::to_string(ks)] = value;
  out["counters"] = counters;
  if (auto p = state.last_por_status()) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%02x", *p);
    out["last_por_status"] = buf;
  } else {
    out["last_por_status"] = nullptr;
  }
  out["key_rotation_sequence"] = state.key_file_sequence();
  out["keys_rotated"] = state.rotated_keys().has_value();
  out["sqn_ms"] = state.sqn_ms();
  std::cout << out.dump(2) << std::endl;
}

const command_registrar reg("sim", [](CLI::App& root) {
  auto* cmd = root.add_subcommand("sim", "Inspect the virtual UICC fleet's cards");
  cmd->require_subcommand(1);
  auto o = std::make_shared<options>();
  auto* show = cmd->add_subcommand("show",
                                   "Print one card's changed files, counters and last "
                                   "PoR status as JSON");
  show->add_option("--state", o->state_dir, "The fleet's state directory (RocksDB)")->required();
  show->add_option("--iccid", o->iccid, "ICCID of the card")->required();
  show->callback([o] { run_show(*o); });
});

}  // namespace
}  // namespace otaflow::app
