// `otaflow subscribers keys --state DIR ICCID`: the card's pending key rotations as JSON
// (campaign, sequence, job state; never a key). `otaflow subscribers keys resolve --state DIR
// ICCID --campaign ID --adopt|--discard|--prove-fleet FLEET_DIR`: settles the pending Ki/OPc a
// key update job kept because the card may hold them (docs/storage.md, "pending keys"):
// --adopt makes them the card's keys, --discard drops them, --prove-fleet asks the virtual
// card itself: AUTHENTICATE with a challenge from the keys in force and one from the pending
// keys; the one whose RES is the expected one decides. Refused while the job is not terminal.
// Every resolution writes an audit record (key_resolution). The KEK comes from OTAFLOW_KEK or
// --kek-file.

#include "app/cmd_subscribers_keys.hpp"

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "app/cmd_subscribers_keysets.hpp"
#include "app/command.hpp"
#include "app/fleet_card.hpp"
#include "app/state_dir.hpp"
#include "base/principal.hpp"
#include "codec/iso7816_apdu.hpp"
#include "codec/iso7816_sw.hpp"
#include "secure/key_rotation.hpp"
#include "secure/milenage.hpp"
#include "storage/key_resolution.hpp"

namespace otaflow::app {
namespace {

struct options {
  std::string state_dir;
  std::string kek_file;
  std::string iccid;
  std::string campaign;
  bool adopt = false;
  bool discard = false;
  std::string fleet_dir;
};

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "otaflow: %s\n", message.c_str());
  exit_with(1);
}

std::unique_ptr<storage::state> open_state(const options& o) {
  return open_state_or_exit(o.state_dir, o.kek_file, false);
}

void run_list(const options& o) {
  auto st = open_state_read_only_or_exit(o.state_dir, o.kek_file);
  auto s = st->subscribers().get(o.iccid);
  if (!s) fail(s.error().message);
  if (!s->has_value()) fail("subscriber " + o.iccid + ": not found");
  auto pending = pending_rotations_json(*st, o.iccid);
  if (!pending) fail(pending.error().message);
  nlohmann::ordered_json out = {{"iccid", o.iccid}, {"pending", *pending}};
  std::cout << out.dump(2) << std::endl;
}

// ---- proof on the virtual card ----------------------------------------------------------------

/// What the card answered to one challenge.
enum class answer { match, mismatch, mac_failure, sync_failure, error };

const char* name(answer a) {
  switch (a) {
    case answer::match:
      return "match";
    case answer::mismatch:
      return "res_mismatch";
    case answer::mac_failure:
      return "mac_failure";
    case answer::sync_failure:
      return "sync_failure";
    case answer::error:
      return "error";
  }
  return "?";
}

// AUTHENTICATE (TS 31.102 §7.1.2, 3G context) with a vector the HSS would build from `ki`/`opc`
// (TS 33.102 §6.3.2, AMF 8000) and an SQN above the card's SQN_MS, so a card holding these keys
// answers RES = XRES and no card answers a sync failure.
answer challenge(sim::virtual_card& card, byte_view ki, byte_view opc) {
  if (ki.size() != 16 || opc.size() != 16) return answer::error;
  const std::uint64_t sqn = card.data().state().sqn_ms() + 1;
  if (sqn >> 48) return answer::error;
  secure::block128 rand{};
  if (!secure::random_bytes(rand).ok()) return answer::error;
  auto m = secure::milenage::create(ki, opc);
  if (!m) return answer::error;
  auto autn = secure::make_autn(*m, rand, sqn, {0x80, 0x00});
  auto expected = m->f2345(rand);
  if (!autn || !expected) return answer::error;
  const codec::command_apdu sel{codec::cla::iso, codec::ins::select, 0x00, 0x0C,
                                {0x7F, 0xFF},    std::nullopt};
  if (card.transmit(sel).sw != codec::sw::ok) return answer::error;
  codec::command_apdu a{codec::cla::iso, codec::ins::authenticate, 0x00, 0x81, {}, 256};
  a.data.push_back(16);
  a.data.insert(a.data.end(), rand.begin(), rand.end());
  a.data.push_back(16);
  a.data.insert(a.data.end(), autn->begin(), autn->end());
  const auto r = card.transmit(a);
  if (r.sw == codec::sw::authentication_error) return answer::mac_failure;
  if (r.sw != codec::sw::ok) return answer::error;
  // DB L RES L CK L IK, or DC L AUTS (TS 31.102 §7.1.2.1).
  byte_reader rd(r.data);
  std::uint8_t tag = 0, n = 0;
  byte_view res;
  if (!rd.u8(tag)) return answer::error;
  if (tag == 0xDC) return answer::sync_failure;
  if (tag != 0xDB || !rd.u8(n) || !rd.take(n, res)) return answer::error;
  return equal_ct(res, byte_view(expected->res)) ? answer::match : answer::mismatch;
}

struct proof {
  answer current = answer::error;
  answer pending = answer::error;
  bool persisted = false;  // the card's new SQN_MS was written to its store
};

proof prove(const options& o, const storage::card_keys& current,
            const storage::pending_auth_keys& pending) {
  auto c = open_fleet_card(o.fleet_dir, o.iccid);
  if (!c) fail("--prove-fleet " + o.fleet_dir + ": " + c.error().message);
  proof p;
  p.current = challenge(*(*c)->card, current.ki.view(), current.opc.view());
  p.pending = challenge(*(*c)->card, pending.ki.view(), pending.opc.view());
  auto saved = persist_fleet_card(**c, o.iccid);
  if (!saved) fail("--prove-fleet " + o.fleet_dir + ": " + saved.error().message);
  p.persisted = *saved;
  return p;
}

// ---- resolve ----------------------------------------------------------------------------------

void run_resolve(const options& o) {
  const int actions = int{o.adopt} + int{o.discard} + int{!o.fleet_dir.empty()};
  if (actions != 1)
    usage_error("keys resolve: give exactly one of --adopt, --discard, --prove-fleet");
  auto st = open_state(o);
  // Refused before the card is touched: nothing pending, or the job still running.
  auto rotation = storage::resolvable_rotation(*st, o.iccid, o.campaign);
  if (!rotation) fail(rotation.error().message);
  storage::key_resolution r{o.iccid, o.campaign,
                            o.adopt, o.adopt ? "adopt" : o.discard ? "discard" : "prove-fleet",
                            "",      os_principal()};
  nlohmann::ordered_json out = {{"iccid", o.iccid},
                                {"campaign", o.campaign},
                                {"sequence", rotation->sequence},
                                {"action", r.action}};
  if (!o.fleet_dir.empty()) {
    auto current = st->keys().get(o.iccid);
    if (!current) fail(current.error().message);
    auto pending = st->keys().get_pending(o.iccid, o.campaign);
    if (!pending || !pending->has_value()) fail("pending keys of " + o.iccid + " vanished");
    const auto p = prove(o, *current, **pending);
    out["proof"] = {{"current_keys", name(p.current)},
                    {"pending_keys", name(p.pending)},
                    {"card_state_persisted", p.persisted}};
    if (p.pending != answer::match && p.current != answer::match) {
      std::cout << out.dump(2) << std::endl;
      fail("card " + o.iccid + ", campaign " + o.campaign +
           ": the card answered neither the keys in force (" + name(p.current) +
           ") nor the pending keys (" + name(p.pending) + "); nothing changed");
    }
    r.adopt = p.pending == answer::match;  // both (the same keys): adopt
    r.proof = out["proof"].dump();
  }
  auto done = storage::resolve_pending_keys(*st, r);
  if (!done) fail(done.error().message);
  out["outcome"] = r.adopt ? "adopted" : "discarded";
  std::cout << out.dump(2) << std::endl;
}

}  // namespace

result<nlohmann::ordered_json> pending_rotations_json(storage::state& st,
                                                      const std::string& iccid) {
  auto list = st.keys().list_pending(iccid);
  if (!list) return list.error();
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& p : *list) {
    auto job = st.jobs().get(p.campaign, iccid);
    if (!job) return job.error();
    nlohmann::ordered_json row = {{"campaign", p.campaign}, {"sequence", p.sequence}};
    if (!job->has_value()) {
      row["job_state"] = nullptr;
      row["status"] = "no_job";
    } else {
      row["job_state"] = model::to_string((*job)->state);
      row["status"] = model::is_terminal((*job)->state) ? "uncertain" : "in_flight";
    }
    out.push_back(std::move(row));
  }
  return out;
}

void add_subscribers_keys(CLI::App& subscribers) {
  auto o = std::make_shared<options>();
  auto* keys = subscribers.add_subcommand(
      "keys",
      "List a card's pending key rotations as JSON (never the keys); `keys resolve` "
      "settles one");
  keys->add_option("--state", o->state_dir, "State directory (RocksDB)");
  keys->add_option("--kek-file", o->kek_file,
                   "File holding the key-encryption key; default: $OTAFLOW_KEK");
  keys->add_option("iccid", o->iccid, "ICCID");

  auto* res = keys->add_subcommand(
      "resolve",
      "Settle a card's pending Ki/OPc of one campaign whose job has ended: adopt, "
      "discard, or ask the virtual card (AUTHENTICATE)");
  res->add_option("--state", o->state_dir, "State directory (RocksDB)")->required();
  res->add_option("--kek-file", o->kek_file,
                  "File holding the key-encryption key; default: $OTAFLOW_KEK");
  res->add_option("--campaign", o->campaign, "Campaign id of the pending rotation")->required();
  res->add_flag("--adopt", o->adopt, "The pending keys become the card's Ki/OPc");
  res->add_flag("--discard", o->discard, "The pending keys are dropped");
  res->add_option("--prove-fleet", o->fleet_dir,
                  "The virtual fleet's state directory: AUTHENTICATE with the keys in force and "
                  "with the pending keys decides");
  res->add_option("iccid", o->iccid, "ICCID")->required();
  res->callback([o] { run_resolve(*o); });

  auto* res_keyset = add_subscribers_keyset_resolve(*keys);
  keys->callback([o, res, res_keyset] {
    if (res->parsed() || res_keyset->parsed()) return;  // `keys resolve[-keyset]` ran
    if (o->state_dir.empty()) usage_error("keys: --state is required");
    if (o->iccid.empty()) usage_error("keys: ICCID is required");
    run_list(*o);
  });
}

}  // namespace otaflow::app
