// `otaflow subscribers import --state DIR [--kek-file PATH] [--attribute NAME]... FILE.csv`: loads
// a SIM vendor's output file into the profile repository and prints a JSON summary; with
// `--brokers HOST:PORT[,...]` (or `--config` of serve) instead of `--state` it publishes the file
// to the subscribers topic for the serve instances (service/subscriber_publish.hpp). `otaflow
// subscribers show --state DIR ICCID` prints one card's record (never its keys). `otaflow
// subscribers auth-vector --state DIR --sqn N ICCID` prints an AKA vector from the card's Ki/OPc in
// force (the HSS's view, never the keys). `subscribers keys`: app/cmd_subscribers_keys.cpp. The
// KEK comes from OTAFLOW_KEK or --kek-file.

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/cmd_subscribers_keys.hpp"
#include "app/cmd_subscribers_keysets.hpp"
#include "app/command.hpp"
#include "app/state_dir.hpp"
#include "base/principal.hpp"
#include "secure/key_rotation.hpp"
#include "secure/milenage.hpp"
#include "secure/signing.hpp"
#include "service/serve_config.hpp"
#include "service/subscriber_publish.hpp"
#include "storage/api.hpp"
#include "storage/csv_import.hpp"

namespace otaflow::app {

void add_subscribers_counters(CLI::App& subscribers);  // cmd_subscribers_counters.cpp

namespace {

struct options {
  std::string state_dir;
  std::string kek_file;
  std::string file;
  std::string iccid;
  std::size_t batch_size = 1000;
  std::vector<std::string> attributes;  // import: extra columns stored as attributes
  std::uint64_t sqn = 0;                // auth-vector
  std::string rand_hex;                 // auth-vector
  std::string brokers;                  // import to Kafka
  std::string config;                   // import to Kafka: serve's configuration
  std::string topic;  // empty: the configuration's kafka.subscribers_topic, else the default
  std::string triggers_topic = "ota.triggers";
};

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "otaflow: %s\n", message.c_str());
  exit_with(1);
}

std::unique_ptr<storage::state> open_state(const options& o, bool create) {
  return open_state_or_exit(o.state_dir, o.kek_file, create);
}

nlohmann::ordered_json summary_json(const storage::import_summary& r) {
  nlohmann::ordered_json errors = nlohmann::ordered_json::array();
  for (const auto& e : r.errors) errors.push_back({{"line", e.line}, {"reason", e.reason}});
  nlohmann::ordered_json out = {{"imported", r.imported},
                                {"updated", r.updated},
                                {"rejected", r.rejected},
                                {"errors", errors}};
  if (!r.ignored_columns.empty()) out["ignored_columns"] = r.ignored_columns;
  return out;
}

// The Kafka side of `import`: serve's [kafka] section and KEK when --config is given, then
// --brokers, --triggers-topic and --kek-file over them.
void run_publish(const options& o, const storage::import_options& io) {
  kafka::kafka_options k;
  storage::kek_source ks;
  if (!o.config.empty()) {
    auto cfg = service::load_serve_config(o.config);
    if (!cfg) fail(cfg.error().message);
    k = cfg->kafka;
    ks = cfg->kek;
  } else {
    k.triggers_topic = o.triggers_topic;
  }
  if (!o.brokers.empty()) k.brokers = o.brokers;
  if (!o.kek_file.empty()) ks.file = o.kek_file;
  auto kek = storage::load_kek(ks);
  if (!kek) fail(kek.error().message);
  const std::string topic = o.topic.empty() ? k.subscribers_topic : o.topic;
  auto r = service::publish_subscribers(k, topic, o.file, *kek, io);
  if (!r) fail(r.error().message);
  auto out = summary_json(r->import);
  out["published"] = r->published;
  out["topic"] = topic;
  out["partitions"] = r->partitions;
  if (r->topic_created) out["topic_created"] = true;
  std::cout << out.dump(2) << std::endl;
}

void run_import(const options& o) {
  storage::import_options io;
  io.batch_size = o.batch_size;
  io.attributes = o.attributes;
  if (!o.brokers.empty() || !o.config.empty()) return run_publish(o, io);
  if (o.state_dir.empty())
    usage_error("import: give --state DIR, or --brokers to publish to Kafka");
  auto st = open_state(o, true);
  auto r = storage::import_csv_file(*st, o.file, io);
  if (!r) fail(r.error().message);
  // Audited: which file (its SHA-256: the content, never the keys), how many cards, who.
  auto h = secure::sha256_file(o.file);
  if (!h) fail(h.error().message);
  storage::audit_event e;
  e.type = storage::audit_type::import;
  e.details =
      nlohmann::json{{"file", o.file},          {"sha256", to_hex(byte_view(h->data(), h->size()))},
                     {"imported", r->imported}, {"updated", r->updated},
                     {"rejected", r->rejected}, {"who", os_principal()}}
          .dump();
  if (auto s = st->audit().append(e, true); !s) fail(s.error().message);
  std::cout << summary_json(*r).dump(2) << std::endl;
}

void run_show(const options& o) {
  auto st = open_state_read_only_or_exit(o.state_dir, o.kek_file);
  auto s = st->subscribers().get(o.iccid);
  if (!s) fail(s.error().message);
  if (!s->has_value()) fail("subscriber " + o.iccid + ": not found");
  const auto& sub = **s;
  nlohmann::ordered_json counters = nlohmann::ordered_json::object();
  for (auto kvn : sub.keyset_versions) {
    auto c = st->counters().get(sub.iccid, kvn);
    if (!c) fail(c.error().message);
    counters[std::to_string(kvn)] = *c;
  }
  nlohmann::ordered_json out = {{"iccid", sub.iccid},
                                {"imsi", sub.imsi},
                                {"msisdn", sub.msisdn},
                                {"attributes", sub.attributes},
                                {"keyset_versions", sub.keyset_versions},
                                {"counters", counters}};
  auto pending = pending_rotations_json(*st, sub.iccid);  // campaign and sequence, no keys
  if (!pending) fail(pending.error().message);
  out["pending_key_rotations"] = *pending;
  auto keysets = pending_keysets_json(*st, sub.iccid);  // KVNs and campaign, no keys
  if (!keysets) fail(keysets.error().message);
  out["pending_keysets"] = *keysets;
  std::cout << out.dump(2) << std::endl;
}

// The HSS/AuC side of AKA (TS 33.102 §6.3.2) from the repository's Ki/OPc in force: RAND,
// AUTN for the given SQN (AMF 8000) and XRES. Shows which keys the repository holds (after a
// key rotation campaign: the rotated ones) without printing any key.
void run_auth_vector(const options& o) {
  auto st = open_state_read_only_or_exit(o.state_dir, o.kek_file);
  auto keys = st->keys().get(o.iccid);
  if (!keys) fail(keys.error().message);
  if (keys->ki.size() != 16 || keys->opc.size() != 16)
    fail("subscriber " + o.iccid + ": no 16-octet Ki and OPc in the repository");
  secure::block128 rand{};
  if (o.rand_hex.empty()) {
    if (!secure::random_bytes(rand).ok()) fail("cannot draw RAND");
  } else {
    auto r = from_hex(o.rand_hex);
    if (!r || r->size() != 16) usage_error("--rand: expected 32 hex digits");
    std::copy(r->begin(), r->end(), rand.begin());
  }
  if (o.sqn >= (std::uint64_t{1} << 48)) usage_error("--sqn: at most 48 bits");
  auto m = secure::milenage::create(keys->ki.view(), keys->opc.view());
  if (!m) fail(m.error().message);
  auto autn = secure::make_autn(*m, rand, o.sqn, {0x80, 0x00});
  auto out2345 = m->f2345(rand);
  if (!autn || !out2345) fail("Milenage failed");
  nlohmann::ordered_json out = {{"iccid", o.iccid},
                                {"rand", to_hex(rand)},
                                {"sqn", o.sqn},
                                {"autn", to_hex(*autn)},
                                {"xres", to_hex(out2345->res)}};
  std::cout << out.dump(2) << std::endl;
}

const command_registrar reg("subscribers", [](CLI::App& root) {
  auto* cmd = root.add_subcommand("subscribers", "Manage the subscriber/profile repository");
  cmd->require_subcommand(1);
  auto o = std::make_shared<options>();

  auto* imp = cmd->add_subcommand(
      "import", "Import a SIM vendor CSV file into a state directory, or publish it to Kafka");
  auto* state_opt = imp->add_option("--state", o->state_dir, "State directory (RocksDB)");
  auto* brokers = imp->add_option("--brokers", o->brokers,
                                  "Publish to the subscribers topic of this Kafka cluster "
                                  "(HOST:PORT[,...]) for the serve instances, instead of --state");
  auto* config = imp->add_option("--config", o->config,
                                 "serve's configuration file: its [kafka] section and KEK "
                                 "(publishes to Kafka; --brokers overrides its brokers)");
  brokers->excludes(state_opt);
  config->excludes(state_opt);
  auto* triggers = imp->add_option("--triggers-topic", o->triggers_topic,
                                   "The triggers topic whose partition count the subscribers "
                                   "topic has")
                       ->capture_default_str();
  triggers->excludes(state_opt);
  triggers->excludes(config);
  imp->add_option("--topic", o->topic,
                  "The subscribers topic (created compacted if missing); default: "
                  "kafka.subscribers_topic of --config, else ota.subscribers")
      ->excludes(state_opt);
  imp->add_option("--kek-file", o->kek_file,
                  "File holding the key-encryption key (64 hex digits); default: $OTAFLOW_KEK");
  imp->add_option("--batch-size", o->batch_size, "Cards per synced write")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  imp->add_option("--attribute", o->attributes,
                  "Extra column to store as an attribute (repeatable); subscription_type, vendor "
                  "and card_profile need none. Any other column, and any name that looks like "
                  "key material, refuses the file")
      ->allow_extra_args(false);  // one name per --attribute: FILE stays the positional
  imp->add_option("file", o->file, "CSV file: iccid,imsi,msisdn,ki,opc,kic1,kid1,kik1,...")
      ->required();
  imp->callback([o] { run_import(*o); });

  auto* show = cmd->add_subcommand("show", "Print one subscriber as JSON (never its keys)");
  show->add_option("--state", o->state_dir, "State directory (RocksDB)")->required();
  show->add_option("--kek-file", o->kek_file,
                   "File holding the key-encryption key; default: $OTAFLOW_KEK");
  show->add_option("iccid", o->iccid, "ICCID")->required();
  show->callback([o] { run_show(*o); });

  auto* av = cmd->add_subcommand("auth-vector",
                                 "Print an authentication vector (RAND, AUTN, XRES) from the "
                                 "card's Ki/OPc in force (never the keys)");
  av->add_option("--state", o->state_dir, "State directory (RocksDB)")->required();
  av->add_option("--kek-file", o->kek_file,
                 "File holding the key-encryption key; default: $OTAFLOW_KEK");
  av->add_option("--sqn", o->sqn, "Sequence number (48 bits) the card must find fresh")->required();
  av->add_option("--rand", o->rand_hex, "RAND, 32 hex digits (default: random)");
  av->add_option("iccid", o->iccid, "ICCID")->required();
  av->callback([o] { run_auth_vector(*o); });

  add_subscribers_keys(*cmd);  // app/cmd_subscribers_keys.cpp
  add_subscribers_counters(*cmd);
});

}  // namespace
}  // namespace otaflow::app
