// `otaflow gp ...`: GlobalPlatform card content management commands (GP Card Specification
// v2.3 chapter 11, as ETSI TS 102 226 §8 carries them in RAM command packets), hex in and one
// JSON object out: {"apdu": HEX} or {"apdus": [HEX, ...]} (`load` of a CAP file adds its
// package and applet AIDs); `status-decode` turns a GET STATUS response into JSON. Exit 0 ok, 2 on
// bad usage with a message naming the bad argument. Keys given on the command line are for tests:
// `ps` shows them; use --kik-file/--key-file.

#include <charconv>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/command.hpp"
#include "base/bytes.hpp"
#include "base/secrets.hpp"
#include "codec/globalplatform.hpp"
#include "codec/javacard_cap.hpp"
#include "secure/gp_key.hpp"

namespace otaflow::app {
namespace {

using json = nlohmann::ordered_json;
namespace gp = codec::gp;

bytes hex_arg(const std::string& flag, const std::string& v) {
  auto b = from_hex(v);
  if (!b) usage_error(flag + ": " + b.error().message);
  return std::move(*b);
}

bytes aid_arg(const std::string& flag, const std::string& v) {
  bytes aid = hex_arg(flag, v);
  if (auto s = gp::check_aid(aid, flag); !s) usage_error(s.error().message);
  return aid;
}

/// A number given in decimal or as 0x-prefixed hex, at most `max`.
unsigned number_arg(const std::string& flag, const std::string& v, unsigned max) {
  const bool is_hex = v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X');
  const char* first = v.data() + (is_hex ? 2 : 0);
  unsigned out = 0;
  const auto [end, ec] = std::from_chars(first, v.data() + v.size(), out, is_hex ? 16 : 10);
  if (v.empty() || ec != std::errc{} || end != v.data() + v.size() || out > max)
    usage_error(flag + ": '" + v + "' must be a number 0.." + std::to_string(max) +
                " (decimal, or hex with 0x)");
  return out;
}

void print(const json& j) {
  std::printf("%s\n", j.dump().c_str());
}

void print_apdu(const result<codec::command_apdu>& c, const std::string& what) {
  if (!c) usage_error(what + ": " + c.error().message);
  auto b = codec::encode_command_apdu(*c);
  if (!b) usage_error(what + ": " + b.error().message);
  print(json{{"apdu", to_hex(*b)}});
}

struct gp_opts {
  std::string package, sd, hash, params, system_params, uicc_params, token, module, instance,
      privileges = "00";
  std::string file, aid, scope, kvn, replace_kvn = "0", key_id = "1", kik, kik_file, type, input;
  std::string aes_form = "length-prefixed";
  std::vector<std::string> keys, key_files;
  std::size_t block_size = 240;
  bool related = false, install_only = false, next = false, no_descriptor = false;
};

void run_install_for_load(const gp_opts& o) {
  gp::install_for_load in;
  in.load_file_aid = aid_arg("--package", o.package);
  if (!o.sd.empty()) in.sd_aid = aid_arg("--sd", o.sd);
  in.hash = hex_arg("--hash", o.hash);
  in.load_parameters = hex_arg("--params", o.params);
  in.token = hex_arg("--token", o.token);
  print_apdu(gp::build_install_for_load(in), "gp install-for-load");
}

void run_install_for_install(const gp_opts& o) {
  gp::install_for_install in;
  in.load_file_aid = aid_arg("--package", o.package);
  in.module_aid = aid_arg("--module", o.module);
  in.instance_aid = aid_arg("--instance", o.instance);
  in.privileges = hex_arg("--privileges", o.privileges);
  if (in.privileges.size() != 1 && in.privileges.size() != 3)
    usage_error("--privileges: 1 or 3 octets (GP 2.3 §11.1.2), got " +
                std::to_string(in.privileges.size()));
  in.parameters.application = hex_arg("--params", o.params);
  if (!o.system_params.empty())
    in.parameters.system_parameters = hex_arg("--system-params", o.system_params);
  if (!o.uicc_params.empty())
    in.parameters.uicc_parameters = hex_arg("--uicc-params", o.uicc_params);
  in.token = hex_arg("--token", o.token);
  in.make_selectable = !o.install_only;
  print_apdu(gp::build_install_for_install(in), "gp install-for-install");
}

bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) usage_error("--file: " + path + ": cannot be read");
  return bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void run_load(const gp_opts& o) {
  bytes file = read_file(o.file);
  json j;
  if (codec::javacard::looks_like_zip(file)) {
    auto cap = codec::javacard::parse_cap(file);
    if (!cap) usage_error("--file: " + o.file + ": " + cap.error().message);
    file = codec::javacard::cap_load_file(*cap, !o.no_descriptor);
    json applets = json::array();
    for (const auto& a : cap->applet_aids) applets.push_back(to_hex(a));
    j["package_aid"] = to_hex(cap->package_aid);
    j["applet_aids"] = applets;
    j["load_file_length"] = file.size();
  }
  auto data = gp::encode_load_data(file);
  if (!data) usage_error("--file: " + data.error().message);
  auto cmds = gp::build_load(*data, o.block_size);
  if (!cmds) usage_error("--block-size: " + cmds.error().message);
  json a = json::array();
  for (const auto& c : *cmds) {
    auto b = codec::encode_command_apdu(c);
    if (!b) usage_error("gp load: " + b.error().message);
    a.push_back(to_hex(*b));
  }
  j["apdus"] = a;
  print(j);
}

void run_delete(const gp_opts& o) {
  print_apdu(gp::build_delete(aid_arg("--aid", o.aid), o.related), "gp delete");
}

void run_get_status(const gp_opts& o) {
  std::uint8_t scope = 0;
  if (o.scope == "isd")
    scope = gp::status_scope::isd;
  else if (o.scope == "apps")
    scope = gp::status_scope::applications;
  else if (o.scope == "packages")
    scope = gp::status_scope::load_files;
  else if (o.scope == "modules")
    scope = gp::status_scope::load_files_modules;
  else
    usage_error("--scope: '" + o.scope + "' is not one of isd, apps, packages, modules");
  const bytes aid = hex_arg("--aid", o.aid);
  if (aid.size() > gp::aid_max)
    usage_error("--aid: at most 16 octets, got " + std::to_string(aid.size()));
  print_apdu(gp::build_get_status(scope, aid, o.next), "gp get-status");
}

json opt_hex(const std::optional<bytes>& v) {
  return v ? json(to_hex(*v)) : json(nullptr);
}

void run_status_decode(const gp_opts& o) {
  const bytes in = hex_arg("RESPONSE", o.input);
  auto entries = gp::parse_get_status(in);
  if (!entries) usage_error("RESPONSE: " + entries.error().message);
  json a = json::array();
  for (const auto& e : *entries) {
    json m = json::array();
    for (const auto& x : e.module_aids) m.push_back(to_hex(x));
    a.push_back(json{{"aid", to_hex(e.aid)},
                     {"life_cycle", to_hex(e.life_cycle, 2)},
                     {"privileges", opt_hex(e.privileges)},
                     {"load_file_aid", opt_hex(e.load_file_aid)},
                     {"load_file_version", opt_hex(e.load_file_version)},
                     {"module_aids", m},
                     {"associated_sd", opt_hex(e.associated_sd)}});
  }
  print(json{{"entries", a}});
}

/// Hex keys from the command line and from private files (several per file, whitespace apart).
std::vector<bytes> collect_keys(const gp_opts& o) {
  std::vector<bytes> out;
  for (const auto& k : o.keys) out.push_back(hex_arg("--key", k));
  for (const auto& path : o.key_files) {
    auto text = read_private_file(path, "--key-file");
    if (!text) usage_error(text.error().message);
    std::istringstream words(*text);
    std::string word;
    while (words >> word) {
      auto b = from_hex(word);
      if (!b) usage_error("--key-file " + path + ": " + b.error().message);
      out.push_back(std::move(*b));
      secure_wipe(word);
    }
    secure_wipe({reinterpret_cast<std::uint8_t*>(text->data()), text->size()});
  }
  return out;
}

bytes collect_kik(const gp_opts& o) {
  if (o.kik.empty() == o.kik_file.empty()) usage_error("--kik or --kik-file: give exactly one");
  if (!o.kik.empty()) return hex_arg("--kik", o.kik);
  auto text = read_private_file(o.kik_file, "--kik-file");
  if (!text) usage_error(text.error().message);
  auto b = from_hex(*text);
  secure_wipe({reinterpret_cast<std::uint8_t*>(text->data()), text->size()});
  if (!b) usage_error("--kik-file " + o.kik_file + ": " + b.error().message);
  return std::move(*b);
}

void run_put_key(const gp_opts& o) {
  (void)harden_process();  // keys in memory: no core dump, no ptrace by other processes
  secure::gp_put_key_request req;
  if (o.type == "des")
    req.kind = secure::gp_key_kind::des;
  else if (o.type == "aes")
    req.kind = secure::gp_key_kind::aes;
  else
    usage_error("--type: '" + o.type + "' is not des or aes");
  if (o.aes_form == "bare")
    req.aes_form = secure::gp_aes_form::bare;
  else if (o.aes_form != "length-prefixed")
    usage_error("--aes-form: '" + o.aes_form + "' is not length-prefixed or bare");
  req.new_kvn = static_cast<std::uint8_t>(number_arg("--kvn", o.kvn, gp::key_version_max));
  if (req.new_kvn == 0) usage_error("--kvn: must be 1..127");
  req.replace_kvn =
      static_cast<std::uint8_t>(number_arg("--replace-kvn", o.replace_kvn, gp::key_version_max));
  req.first_key_id = static_cast<std::uint8_t>(number_arg("--key-id", o.key_id, gp::key_id_max));
  bytes kik = collect_kik(o);
  std::vector<bytes> keys = collect_keys(o);
  if (keys.empty()) usage_error("--key or --key-file: at least one key");
  req.kik = kik;
  for (const auto& k : keys) req.keys.emplace_back(k);
  gp::put_key_command sent;
  auto c = secure::gp_put_key(req, &sent);
  secure_wipe(kik);
  for (auto& k : keys) secure_wipe(k);
  if (!c) usage_error("gp put-key: " + c.error().message);
  auto b = codec::encode_command_apdu(*c);
  if (!b) usage_error("gp put-key: " + b.error().message);
  json kcvs = json::array();
  for (const auto& k : sent.keys) kcvs.push_back(to_hex(k.kcv));
  print(json{{"apdu", to_hex(*b)}, {"kcvs", kcvs}});
}

void add_put_key(CLI::App* cmd, const std::shared_ptr<gp_opts>& o) {
  auto* pk = cmd->add_subcommand(
      "put-key",
      "PUT KEY (GP 2.3 §11.8): keys encrypted under the KIK, with key check values. A key on "
      "the command line (--kik, --key) is visible to other users through `ps`: use "
      "--kik-file/--key-file (mode 600) outside tests");
  pk->add_option("--kvn", o->kvn, "new key version number, 1..127 (decimal or 0x..)")->required();
  pk->add_option("--replace-kvn", o->replace_kvn, "key version to replace; 0 = new key set")
      ->capture_default_str();
  pk->add_option("--key-id", o->key_id, "identifier of the first key (P2)")->capture_default_str();
  pk->add_option("--kik", o->kik, "key-encryption key (hex; test only, visible to ps)");
  pk->add_option("--kik-file", o->kik_file, "file (mode 600) holding the KIK in hex");
  pk->add_option("--type", o->type, "des (2-key 3DES, type 80) or aes (type 88)")->required();
  pk->add_option("--aes-form", o->aes_form,
                 "AES key block: length-prefixed (88 11 10 <key>, Amendment D) or bare (88 10 "
                 "<key>, GP 2.3.1 Table 11-71)")
      ->capture_default_str();
  pk->add_option("--key", o->keys, "a key (hex; test only, visible to ps); repeat, in id order");
  pk->add_option("--key-file", o->key_files,
                 "file (mode 600) with one or more hex keys, whitespace apart; repeatable");
  pk->callback([o] { run_put_key(*o); });
}

void add_install(CLI::App* cmd, const std::shared_ptr<gp_opts>& o) {
  auto* il = cmd->add_subcommand("install-for-load", "INSTALL [for load] (GP 2.3 §11.5)");
  il->add_option("--package", o->package, "load file (package) AID, hex")->required();
  il->add_option("--sd", o->sd, "security domain AID to associate (default: none given)");
  il->add_option("--hash", o->hash, "Load File Data Block hash, hex");
  il->add_option("--params", o->params, "load parameters field as is, hex (e.g. EF04C6021000)");
  il->add_option("--token", o->token, "load token, hex");
  il->callback([o] { run_install_for_load(*o); });

  auto* ii = cmd->add_subcommand("install-for-install",
                                 "INSTALL [for install and make selectable] (GP 2.3 §11.5)");
  ii->add_option("--package", o->package, "load file (package) AID, hex")->required();
  ii->add_option("--module", o->module, "executable module (class) AID, hex")->required();
  ii->add_option("--instance", o->instance, "new application AID, hex")->required();
  ii->add_option("--privileges", o->privileges, "1 or 3 octets, hex")->capture_default_str();
  ii->add_option("--params", o->params, "application parameters (the value of C9), hex");
  ii->add_option("--system-params", o->system_params,
                 "system parameters (the value of EF: C6/C7/C8, TS 102 226 CA toolkit ones), hex");
  ii->add_option("--uicc-params", o->uicc_params,
                 "UICC system specific parameters (the value of EA, TS 102 226 §8.2.1.3.2), hex");
  ii->add_option("--token", o->token, "install token, hex");
  ii->add_flag("--install-only", o->install_only, "P1 04: install without making selectable");
  ii->callback([o] { run_install_for_install(*o); });
}

const command_registrar reg("gp", [](CLI::App& root) {
  auto* cmd = root.add_subcommand(
      "gp", "GlobalPlatform card content management commands (GP 2.3, ETSI TS 102 226 §8)");
  cmd->require_subcommand(1);
  auto o = std::make_shared<gp_opts>();
  add_install(cmd, o);

  auto* ld = cmd->add_subcommand("load", "LOAD commands carrying a load file (GP 2.3 §11.6)");
  ld->add_option("--file", o->file,
                 "a CAP file (ZIP: its components in load order) or a raw load file")
      ->required();
  ld->add_option("--block-size", o->block_size, "octets of load data per LOAD, 1..255")
      ->capture_default_str();
  ld->add_flag("--no-descriptor", o->no_descriptor,
               "leave the CAP's Descriptor component out of the load file");
  ld->callback([o] { run_load(*o); });

  auto* del = cmd->add_subcommand("delete", "DELETE a card content object (GP 2.3 §11.2)");
  del->add_option("--aid", o->aid, "AID to delete, hex")->required();
  del->add_flag("--related", o->related, "P2 80: with related objects (a package's instances)");
  del->callback([o] { run_delete(*o); });

  auto* gs = cmd->add_subcommand("get-status", "GET STATUS, TLV format (GP 2.3 §11.4)");
  gs->add_option("--scope", o->scope, "isd, apps, packages or modules")->required();
  gs->add_option("--aid", o->aid, "AID or AID prefix to search for (default: all)");
  gs->add_flag("--next", o->next, "P2 03: the next occurrences, after SW 6310");
  gs->callback([o] { run_get_status(*o); });

  auto* sd = cmd->add_subcommand("status-decode", "Decode a TLV GET STATUS response (E3 ...)");
  sd->add_option("RESPONSE", o->input, "response data without SW, hex")->required();
  sd->callback([o] { run_status_decode(*o); });

  add_put_key(cmd, o);
});

}  // namespace
}  // namespace otaflow::app
