#include "app/cmd_subscribers_keysets.hpp"

#include <cstdio>
#include <iostream>
#include <memory>

#include "app/command.hpp"
#include "app/state_dir.hpp"
#include "base/principal.hpp"
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
};

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "otaflow: %s\n", message.c_str());
  exit_with(1);
}

void run_resolve(const options& o) {
  if (int{o.adopt} + int{o.discard} != 1)
    usage_error("keys resolve-keyset: give exactly one of --adopt, --discard");
  auto st = open_state_or_exit(o.state_dir, o.kek_file, false);
  auto ks = storage::resolvable_keyset(*st, o.iccid, o.campaign);
  if (!ks) fail(ks.error().message);
  storage::key_resolution r{o.iccid, o.campaign,    o.adopt, o.adopt ? "adopt" : "discard",
                            "",      os_principal()};
  auto done = storage::resolve_pending_keyset(*st, r);
  if (!done) fail(done.error().message);
  nlohmann::ordered_json out = {
      {"iccid", o.iccid}, {"campaign", o.campaign}, {"keyset", ks->version},
      {"from", ks->from}, {"action", r.action},     {"outcome", o.adopt ? "adopted" : "discarded"}};
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
  res->add_option("iccid", o->iccid, "ICCID")->required();
  res->callback([o] { run_resolve(*o); });
  return res;
}

}  // namespace otaflow::app
