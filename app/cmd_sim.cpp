// `otaflow sim suci --state DIR --iccid ICCID [--json]`: the SUCI the card's handset sends
// (sim/card_suci.hpp). `otaflow sim authenticate --state DIR --iccid ICCID --rand HEX --autn
// HEX`: the card's answer to AUTHENTICATE (RES/CK/IK, AUTS or a MAC failure); the new SQN_MS
// is persisted unless a running simulator holds the state directory.
// `otaflow sim show --state DIR --iccid ICCID`: one card of a virtual UICC fleet as JSON:
// its numbers, the files that differ from their personalised defaults (path, name, hex),
// the OTA counters per keyset, the last PoR status, the key rotation sequence and SQN_MS, and
// the Issuer Security Domain's registry (sim/card_isd.hpp): packages with their modules,
// applet instances with life cycle and privileges, and an unfinished load.
// The state directory records which fleet it belongs to (seed or CSV), so the command needs
// nothing else; it opens the store read-only and works while the simulator runs. Keys are
// never printed.

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "app/command.hpp"
#include "app/fleet_card.hpp"
#include "base/bytes.hpp"
#include "codec/iso7816_apdu.hpp"
#include "codec/iso7816_sw.hpp"
#include "secure/suci.hpp"
#include "sim/card_isd.hpp"
#include "sim/fleet.hpp"
#include "sim/fleet_store.hpp"
#include "sim/ota_card.hpp"

namespace otaflow::app {
namespace {

struct options {
  std::string state_dir;
  std::string iccid;
  std::string rand_hex;  // authenticate
  std::string autn_hex;  // authenticate
  bool json = false;     // suci
};

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "otaflow: %s\n", message.c_str());
  exit_with(1);
}

std::string aid_hex(byte_view aid) {
  return to_hex(aid, hex_case::upper);
}

/// The ISD part of `sim show`: the registry the card holds (the personalised one when its
/// state stores none).
nlohmann::ordered_json isd_json(const sim::card_state& state, const std::string& iccid) {
  const sim::card_profile profile = sim::default_card_profile();
  auto reg = sim::card_registry(state.isd_state(), profile.isd_aid);
  if (!reg) fail("iccid " + iccid + ": " + reg.error().message);
  nlohmann::ordered_json isd;
  isd["aid"] = aid_hex(reg->isd_aid);
  isd["life_cycle"] = sim::card_life_cycle_name(reg->card_life_cycle);
  isd["privileges"] = to_hex(reg->isd_privileges, hex_case::upper);
  isd["registry"] = state.isd_state().empty() ? "personalised" : "changed";
  nlohmann::ordered_json packages = nlohmann::ordered_json::array();
  for (const auto& e : reg->elfs) {
    nlohmann::ordered_json modules = nlohmann::ordered_json::array();
    for (const auto& m : e.modules) modules.push_back(aid_hex(m));
    packages.push_back({{"aid", aid_hex(e.aid)},
                        {"life_cycle", sim::app_life_cycle_name(e.life_cycle)},
                        {"modules", modules}});
  }
  isd["packages"] = packages;
  nlohmann::ordered_json applets = nlohmann::ordered_json::array();
  for (const auto& a : reg->apps)
    applets.push_back({{"aid", aid_hex(a.aid)},
                       {"package", aid_hex(a.elf)},
                       {"module", aid_hex(a.module)},
                       {"life_cycle", sim::app_life_cycle_name(a.life_cycle)},
                       {"privileges", to_hex(a.privileges, hex_case::upper)},
                       {"install_params", to_hex(a.install_params, hex_case::upper)}});
  isd["applets"] = applets;
  if (reg->load) {
    isd["load_in_progress"] = {{"package", aid_hex(reg->load->elf)},
                               {"next_block", reg->load->next_block},
                               {"received", reg->load->data.size()},
                               {"expected", reg->load->expected},
                               {"hash", to_hex(reg->load->hash, hex_case::upper)}};
  } else {
    isd["load_in_progress"] = nullptr;
  }
  return isd;
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
  auto src = recorded_source(meta);
  if (!src) fail(src.error().message);
  if (auto& source = *src) {
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
    out["last_por_status"] = to_hex(*p, 2);
  } else {
    out["last_por_status"] = nullptr;
  }
  out["key_rotation_sequence"] = state.key_file_sequence();
  out["keys_rotated"] = state.rotated_keys().has_value();
  out["sqn_ms"] = state.sqn_ms();
  out["isd"] = isd_json(state, o.iccid);
  std::cout << out.dump(2) << std::endl;
}

std::unique_ptr<fleet_card> open_card(const options& o) {
  auto c = open_fleet_card(o.state_dir, o.iccid);
  if (!c) fail(c.error().message);
  return std::move(*c);
}

bool persist(fleet_card& c, const std::string& iccid) {
  auto p = persist_fleet_card(c, iccid);
  if (!p) fail(p.error().message);
  return *p;
}

void run_suci(const options& o) {
  auto c = open_card(o);
  auto s = c->card->compute_suci();
  if (!s) fail("iccid " + o.iccid + ": " + s.error().message);
  if (!o.json) {
    std::cout << s->text << std::endl;
    return;
  }
  nlohmann::ordered_json out;
  out["iccid"] = o.iccid;
  out["suci"] = s->text;
  out["scheme"] = s->value.scheme_id;
  auto sch = secure::suci::scheme_from_id(s->value.scheme_id);
  out["scheme_name"] = sch ? secure::suci::scheme_name(*sch) : "?";
  out["key_id"] = s->value.hn_key_id;
  out["routing_indicator"] = s->value.routing_indicator;
  out["computed_by"] = s->by_usim ? "usim" : "me";
  std::cout << out.dump(2) << std::endl;
}

void run_authenticate(const options& o) {
  auto rand = from_hex(o.rand_hex);
  if (!rand || rand->size() != 16) usage_error("--rand: expected 32 hex digits");
  auto autn = from_hex(o.autn_hex);
  if (!autn || autn->size() != 16) usage_error("--autn: expected 32 hex digits");
  auto c = open_card(o);
  // TS 31.102 §7.1.2: AUTHENTICATE, 3G context (P2 81), data = L RAND L AUTN; the handset has
  // selected the USIM and verified PIN1 (the fleet's terminal session has PIN1 rights).
  codec::command_apdu sel{codec::cla::iso, codec::ins::select, 0x00, 0x0C,
                          {0x7F, 0xFF},    std::nullopt};
  if (auto r = c->card->transmit(sel); r.sw != codec::sw::ok) fail("selecting ADF.USIM failed");
  codec::command_apdu a{codec::cla::iso, codec::ins::authenticate, 0x00, 0x81, {}, 256};
  a.data.push_back(16);
  a.data.insert(a.data.end(), rand->begin(), rand->end());
  a.data.push_back(16);
  a.data.insert(a.data.end(), autn->begin(), autn->end());
  const auto r = c->card->transmit(a);
  nlohmann::ordered_json out;
  out["iccid"] = o.iccid;
  out["sw"] = to_hex(r.sw, 4);
  // Response (TS 31.102 §7.1.2.1): DB L RES L CK L IK, or DC L AUTS.
  byte_reader rd(r.data);
  std::uint8_t tag = 0, n = 0;
  byte_view v;
  if (r.sw == codec::sw::ok && rd.u8(tag) && tag == 0xDB) {
    out["status"] = "success";
    for (const char* name : {"res", "ck", "ik"}) {
      if (!rd.u8(n) || !rd.take(n, v)) fail("malformed AUTHENTICATE response");
      out[name] = to_hex(v);
    }
  } else if (r.sw == codec::sw::ok && tag == 0xDC && rd.u8(n) && rd.take(n, v)) {
    out["status"] = "sync_failure";
    out["auts"] = to_hex(v);
  } else if (r.sw == codec::sw::authentication_error) {
    out["status"] = "mac_failure";
  } else {
    out["status"] = "error";
  }
  out["persisted"] = persist(*c, o.iccid);
  std::cout << out.dump(2) << std::endl;
}

const command_registrar reg("sim", [](CLI::App& root) {
  auto* cmd = root.add_subcommand("sim", "Inspect the virtual UICC fleet's cards");
  cmd->require_subcommand(1);
  auto o = std::make_shared<options>();
  auto* show = cmd->add_subcommand("show",
                                   "Print one card's changed files, counters, last PoR "
                                   "status and ISD registry (packages, applets) as JSON");
  show->add_option("--state", o->state_dir, "The fleet's state directory (RocksDB)")->required();
  show->add_option("--iccid", o->iccid, "ICCID of the card")->required();
  show->callback([o] { run_show(*o); });

  auto* suci = cmd->add_subcommand("suci",
                                   "Print the SUCI the card's handset sends (GET IDENTITY when "
                                   "the USIM computes it, else the ME's computation)");
  suci->add_option("--state", o->state_dir, "The fleet's state directory (RocksDB)")->required();
  suci->add_option("--iccid", o->iccid, "ICCID of the card")->required();
  suci->add_flag("--json", o->json, "Print JSON with the scheme, key id and routing indicator");
  suci->callback([o] { run_suci(*o); });

  auto* auth = cmd->add_subcommand("authenticate",
                                   "Send AUTHENTICATE (3G context) to the card and print its "
                                   "answer as JSON");
  auth->add_option("--state", o->state_dir, "The fleet's state directory (RocksDB)")->required();
  auth->add_option("--iccid", o->iccid, "ICCID of the card")->required();
  auth->add_option("--rand", o->rand_hex, "RAND, 32 hex digits")->required();
  auth->add_option("--autn", o->autn_hex, "AUTN, 32 hex digits")->required();
  auth->callback([o] { run_authenticate(*o); });
});

}  // namespace
}  // namespace otaflow::app
