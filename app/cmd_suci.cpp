// `otaflow suci`: the home network's side of 5G subscription identifier privacy
// (TS 33.501 §6.12, Annex C), for operators preparing an `update.suci` campaign and for tests:
//
//   otaflow suci keygen --scheme A|B [--uncompressed]
//       a fresh home network key pair as JSON (private and public key, hex);
//   otaflow suci deconceal --scheme A|B --private-key HEX [--key-id N] SUCI
//       the IMSI behind a SUCI (string form), as the SIDF computes it; exit 1 when the key
//       does not open it (wrong scheme, key id or key: the MAC check fails);
//   otaflow suci fleet-keys --seed SEED
//       the home network key pairs a generated virtual fleet was personalised with
//       (sim/home_network.hpp).
//
// keygen and fleet-keys print private keys: that is their purpose (the operator moves the
// private key to its SIDF/HSM); nothing else in otaflow prints one.

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "app/command.hpp"
#include "base/bytes.hpp"
#include "secure/suci.hpp"
#include "sim/home_network.hpp"

namespace otaflow::app {
namespace {

namespace suci = secure::suci;

struct options {
  std::string scheme = "A";
  bool uncompressed = false;
  std::string private_key;
  int key_id = -1;
  std::string suci_text;
  std::string seed;
};

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "otaflow: %s\n", message.c_str());
  exit_with(1);
}

suci::scheme parse_scheme(const std::string& s) {
  if (s == "A" || s == "a" || s == "1") return suci::scheme::profile_a;
  if (s == "B" || s == "b" || s == "2") return suci::scheme::profile_b;
  usage_error("--scheme: expected A or B, got '" + s + "'");
}

const char* letter(suci::scheme s) {
  return s == suci::scheme::profile_a ? "A" : s == suci::scheme::profile_b ? "B" : "null";
}

void run_keygen(const options& o) {
  const auto s = parse_scheme(o.scheme);
  auto kp = suci::generate_key_pair(s, !o.uncompressed);
  if (!kp) fail(kp.error().message);
  nlohmann::ordered_json out = {{"scheme", letter(s)},
                                {"private_key", to_hex(kp->private_key)},
                                {"public_key", to_hex(kp->public_key)}};
  secure_wipe(kp->private_key);
  std::cout << out.dump(2) << std::endl;
}

void run_deconceal(const options& o) {
  const auto s = parse_scheme(o.scheme);
  auto key = from_hex(o.private_key);
  if (!key || key->size() != suci::private_key_size(s))
    usage_error("--private-key: expected " + std::to_string(2 * suci::private_key_size(s)) +
                " hex digits");
  auto parsed = suci::parse_suci(o.suci_text);
  if (!parsed) usage_error("SUCI: " + parsed.error().message);
  suci::hn_private_key k{s, parsed->hn_key_id, std::move(*key)};
  if (o.key_id >= 0) k.key_id = static_cast<std::uint8_t>(o.key_id);
  const suci::hn_private_key keys[] = {k};
  auto imsi = suci::deconceal_imsi(*parsed, keys);
  secure_wipe(k.private_key);
  if (!imsi) fail("cannot de-conceal: " + imsi.error().message);
  std::cout << *imsi << std::endl;
}

void run_fleet_keys(const options& o) {
  auto keys = sim::derive_home_network_keys(o.seed);
  if (!keys) fail(keys.error().message);
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& k : *keys)
    out.push_back({{"scheme", letter(k.protection)},
                   {"key_id", k.key_id},
                   {"private_key", to_hex(k.private_key)},
                   {"public_key", to_hex(k.public_key)}});
  std::cout << out.dump(2) << std::endl;
}

const command_registrar reg("suci", [](CLI::App& root) {
  auto* cmd = root.add_subcommand("suci", "5G SUCI home network keys (TS 33.501 Annex C)");
  cmd->require_subcommand(1);
  auto o = std::make_shared<options>();

  auto* keygen = cmd->add_subcommand("keygen", "Generate a home network key pair (JSON, hex)");
  keygen->add_option("--scheme", o->scheme, "A (X25519) or B (secp256r1)")->capture_default_str();
  keygen->add_flag("--uncompressed", o->uncompressed,
                   "Profile B: the 65-octet uncompressed public key (default compressed)");
  keygen->callback([o] { run_keygen(*o); });

  auto* dec = cmd->add_subcommand("deconceal", "Print the IMSI behind a SUCI (string form)");
  dec->add_option("--scheme", o->scheme, "A (X25519) or B (secp256r1)")->capture_default_str();
  dec->add_option("--private-key", o->private_key, "Home network private key, hex")->required();
  dec->add_option("--key-id", o->key_id,
                  "Key id the private key belongs to (default: the SUCI's own)");
  dec->add_option("suci", o->suci_text, "suci-0-<mcc>-<mnc>-<ri>-<scheme>-<key id>-<output>")
      ->required();
  dec->callback([o] { run_deconceal(*o); });

  auto* fk =
      cmd->add_subcommand("fleet-keys", "Print the home network keys of a generated virtual fleet");
  fk->add_option("--seed", o->seed, "The fleet's seed (otaflow fleet generate --seed)")->required();
  fk->callback([o] { run_fleet_keys(*o); });
});

}  // namespace
}  // namespace otaflow::app
