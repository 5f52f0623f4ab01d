#include "app/cmd_subscribers_keysets.hpp"

#include <cstdio>
#include <iostream>
#include <memory>

#include "app/command.hpp"
#include "app/fleet_card.hpp"
#include "app/state_dir.hpp"
#include "base/principal.hpp"
#include "codec/ts102225_spi.hpp"
#include "codec/ts23040_tpdu.hpp"
#include "codec/ts31115_sms.hpp"
#include "secure/scp80.hpp"
#include "storage/keyset_resolution.hpp"

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

// ---- proof by a probe packet on the virtual card ------------------------------------------------

// The probe: GET STATUS of the ISD (GP 2.3 §11.4, P1 80, search 4F00), harmless, on TAR 000000,
// SPI 16 09: ciphered, counter higher, CC; PoR with a CC in the deliver report.
constexpr std::uint16_t probe_spi = 0x1609;
const bytes probe_script{0x80, 0xF2, 0x80, 0x00, 0x02, 0x4F, 0x00};

// What the card answered to a packet under the pending keyset: "match" (a PoR OK whose CC
// checks with the pending keys), "refused" (the error PoR a card sends when it lacks the keyset
// or its keys differ), else "no_answer" / "unreadable".
std::string probe(const options& o, storage::state& st, const storage::pending_keyset& ks) {
  auto c = open_fleet_card(o.fleet_dir, o.iccid);
  if (!c) fail("--prove-fleet " + o.fleet_dir + ": " + c.error().message);
  const storage::counter_request want{o.iccid, ks.version, 0};
  auto counters = st.counters().next(std::span(&want, 1));
  if (!counters || !(*counters)[0])
    fail("probe: reserving a counter of keyset " + std::to_string(ks.version) + " failed");
  const std::uint8_t alg = ks.aes ? 0x02 : 0x05;  // AES CBC / CMAC, 3DES 2-key CBC / MAC
  secure::command_params p;
  p.spi = *codec::decode_spi(probe_spi);
  p.kic = p.kid = static_cast<std::uint8_t>(ks.version << 4 | alg);
  p.tar = 0x000000;
  p.counter = *(*counters)[0];
  p.kic_key = ks.keys.kic.view();
  p.kid_key = ks.keys.kid.view();
  auto packet = secure::secure_command(p, probe_script);
  if (!packet) fail("probe: " + packet.error().message);
  auto uds = codec::command_to_tp_ud(*packet, {});
  if (!uds || uds->size() != 1) fail("probe: the packet does not fit one SMS");
  codec::tpdu::sms_deliver d;
  d.udhi = true;
  d.oa = {codec::tpdu::ton::international, codec::tpdu::npi::isdn, "0"};
  d.pid = codec::tpdu::pid_usim_data_download;
  d.dcs = codec::tpdu::dcs_8bit_class2_f;
  d.ud = (*uds)[0];
  auto tpdu = codec::tpdu::encode(d);
  if (!tpdu) fail("probe: " + tpdu.error().message);
  const auto out = (*c)->card->receive_sms(*tpdu, nullptr);
  auto saved = persist_fleet_card(**c, o.iccid);  // the card's counter moved
  if (!saved) fail("--prove-fleet " + o.fleet_dir + ": " + saved.error().message);
  auto report = codec::tpdu::decode_deliver_report(out.deliver_report_tpdu,
                                                   out.result != sim::mt_outcome::kind::ack);
  if (!report || !report->ud) return "no_answer";
  auto por = codec::response_from_tp_ud(*report->ud);
  if (!por) return "unreadable";
  secure::response_security rs;
  rs.spi = p.spi;
  rs.kic = p.kic;
  rs.kid = p.kid;
  rs.kic_key = p.kic_key;
  rs.kid_key = p.kid_key;
  const auto r = secure::inspect_response(*por, rs);
  if (r.valid && r.fields_known && r.response.secured && r.response.status == codec::por_status::ok)
    return "match";
  if (r.fields_known && r.response.status != codec::por_status::ok) return "refused";
  return "unreadable";
}

void run_resolve(const options& o) {
  if (int{o.adopt} + int{o.discard} + int{!o.fleet_dir.empty()} != 1)
    usage_error("keys resolve-keyset: give exactly one of --adopt, --discard, --prove-fleet");
  auto st = open_state_or_exit(o.state_dir, o.kek_file, false);
  auto ks = storage::resolvable_keyset(*st, o.iccid, o.campaign);
  if (!ks) fail(ks.error().message);
  const char* action = o.adopt ? "adopt" : o.discard ? "discard" : "prove-fleet";
  storage::key_resolution r{o.iccid, o.campaign, o.adopt, action, "", os_principal()};
  std::string answer;
  if (!o.fleet_dir.empty()) {
    auto pending = st->keys().get_pending_keyset(o.iccid, o.campaign);
    if (!pending || !*pending) fail("pending keyset of " + o.iccid + " vanished");
    answer = probe(o, *st, **pending);
    if (answer != "match" && answer != "refused")
      fail("card " + o.iccid + ", campaign " + o.campaign + ": the probe under keyset " +
           std::to_string(ks->version) + " got " + answer + "; nothing changed");
    r.adopt = answer == "match";
    r.proof = nlohmann::json{{"pending_keyset", answer}}.dump();
  }
  auto done = storage::resolve_pending_keyset(*st, r);
  if (!done) fail(done.error().message);
  nlohmann::ordered_json out = {
      {"iccid", o.iccid}, {"campaign", o.campaign}, {"keyset", ks->version},
      {"from", ks->from}, {"action", r.action},     {"outcome", r.adopt ? "adopted" : "discarded"}};
  if (!answer.empty()) out["proof"] = {{"pending_keyset", answer}};
  std::cout << out.dump(2) << std::endl;
}

}  // namespace

result<nlohmann::ordered_json> pending_keysets_json(storage::state& st, const std::string& iccid) {
  auto list = st.keys().list_pending_keysets(iccid);
  if (!list) return list.error();
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& p : *list) {
    auto job = st.jobs().get(p.campaign, iccid);
    if (!job) return job.error();
    nlohmann::ordered_json row = {{"campaign", p.campaign},
                                  {"keyset", p.version},
                                  {"replaces", p.replace},
                                  {"from", p.from},
                                  {"type", p.aes ? "aes" : "des"}};
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

CLI::App* add_subscribers_keyset_resolve(CLI::App& keys) {
  auto o = std::make_shared<options>();
  auto* res = keys.add_subcommand(
      "resolve-keyset",
      "Settle a card's pending OTA keyset (update.keyset) of one campaign whose job has ended: "
      "adopt it as the card's keyset, or discard it");
  res->add_option("--state", o->state_dir, "State directory (RocksDB)")->required();
  res->add_option("--kek-file", o->kek_file,
                  "File holding the key-encryption key; default: $OTAFLOW_KEK");
  res->add_option("--campaign", o->campaign, "Campaign id of the PUT KEY campaign")->required();
  res->add_flag("--adopt", o->adopt, "The pending keyset becomes the card's keyset");
  res->add_flag("--discard", o->discard, "The pending keyset is dropped");
  res->add_option("--prove-fleet", o->fleet_dir,
                  "The virtual fleet's state directory: a probe packet (GET STATUS on TAR "
                  "000000) under the pending keyset decides: a PoR OK under its keys adopts, an "
                  "error PoR discards");
  res->add_option("iccid", o->iccid, "ICCID")->required();
  res->callback([o] { run_resolve(*o); });
  return res;
}

}  // namespace otaflow::app
