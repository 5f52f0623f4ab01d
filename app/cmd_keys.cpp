// `otaflow keys init-hsm [--pkcs11 SPEC]`: creates the AES-256 KEK in a PKCS#11 token (sensitive,
// never extractable, wrap/unwrap only) unless the token has a key of that label already.
// `otaflow keys rotate-kek --state DIR [--kek-file PATH] (--to-kek-file PATH | --to-pkcs11 SPEC)
// [--batch N]`: re-seals every sealed value of the state directory under a new data key
// (storage/kek_rotation.hpp); a progress line on stderr after each synced batch; run again after
// a crash, it resumes. SPEC is "module=PATH;token=LABEL;key=LABEL[;pin_file=PATH]" (the PIN from
// pin_file or OTAFLOW_PKCS11_PIN, never the command line). docs/SECURITY.md "KEK in an HSM".

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "app/command.hpp"
#include "app/state_dir.hpp"
#include "base/principal.hpp"
#include "base/secrets.hpp"
#include "storage/kek_rotation.hpp"
#include "storage/pkcs11.hpp"

namespace otaflow::app {
namespace {

struct options {
  std::string state_dir;
  std::string kek_file;
  std::string to_kek_file;
  std::string to_pkcs11;
  std::string pkcs11;
  std::size_t batch = 1000;
};

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "otaflow: %s\n", message.c_str());
  exit_with(1);
}

storage::pkcs11_config spec_or_env(const std::string& spec, const char* flag) {
  std::string text = spec;
  std::string origin = flag;
  if (text.empty()) {
    const char* e = std::getenv(storage::pkcs11_env_var);
    if (e == nullptr || *e == '\0') {
      usage_error(std::string(flag) + " or " + storage::pkcs11_env_var + " is required");
    }
    text = e;
    origin = storage::pkcs11_env_var;
  }
  auto c = storage::parse_pkcs11_spec(text, origin);
  if (!c) usage_error(c.error().message);
  return *c;
}

const char* mechanism_name(std::uint32_t m) {
  return m == storage::pkcs11_aes_key_wrap ? "CKM_AES_KEY_WRAP" : "CKM_AES_KEY_WRAP_PAD";
}

void run_init_hsm(const options& o) {
  (void)harden_process();
  const auto c = spec_or_env(o.pkcs11, "--pkcs11");
  bool created = false;
  auto k = storage::pkcs11_key::open_or_create(c, created);
  if (!k) fail(k.error().message);
  nlohmann::ordered_json out = {{"token", c.token},
                                {"key_label", c.key_label},
                                {"created", created},
                                {"mechanism", mechanism_name((*k)->mechanism())}};
  std::cout << out.dump(2) << std::endl;
}

void run_rotate(const options& o) {
  (void)harden_process();
  if (o.to_kek_file.empty() == o.to_pkcs11.empty()) {
    usage_error("rotate-kek: give the new KEK as --to-kek-file PATH or --to-pkcs11 SPEC");
  }
  storage::kek_source from_src;
  if (!o.kek_file.empty()) from_src.file = o.kek_file;
  auto from = storage::open_kek(from_src);
  if (!from) fail(from.error().message);
  const std::string from_origin = from->origin;

  storage::kek_source to_src;
  if (!o.to_kek_file.empty()) {
    to_src.file = o.to_kek_file;
  } else {
    to_src.pkcs11 = spec_or_env(o.to_pkcs11, "--to-pkcs11");
  }
  auto to = storage::open_kek(to_src);
  if (!to) fail("the new KEK: " + to.error().message);

  storage::db_options dbo;
  dbo.dir = o.state_dir;
  dbo.create_if_missing = false;
  dbo.audit_key_file = audit_key_file_from_env();
  auto st = storage::state::open(dbo, std::move(*from));
  if (!st) fail(st.error().message);

  storage::kek_rotation_options ro;
  ro.batch_rows = o.batch;
  ro.who = os_principal();
  ro.progress = [](std::uint64_t done) {
    std::fprintf(stderr, "rotate-kek: %llu rows re-sealed\n",
                 static_cast<unsigned long long>(done));
    std::fflush(stderr);
  };
  auto r = storage::rotate_kek(**st, from_origin, *to, ro);
  if (!r) fail(r.error().message);
  nlohmann::ordered_json out = {{"from", r->from},
                                {"to", r->to},
                                {"resumed", r->resumed},
                                {"finished", r->finished},
                                {"rows_resealed", r->resealed},
                                {"rows_total", r->total}};
  std::cout << out.dump(2) << std::endl;
}

const command_registrar reg{
    "keys", [](CLI::App& root) {
      auto o = std::make_shared<options>();
      auto* keys = root.add_subcommand(
          "keys", "The key-encryption key: create it in a PKCS#11 token, rotate it");
      keys->require_subcommand(1);

      auto* init = keys->add_subcommand(
          "init-hsm", "Create the AES-256 KEK in a PKCS#11 token (never extractable) if absent");
      init->add_option("--pkcs11", o->pkcs11,
                       "module=PATH;token=LABEL;key=LABEL[;pin_file=PATH] (default: "
                       "$OTAFLOW_KEK_PKCS11); PIN from pin_file or $OTAFLOW_PKCS11_PIN");
      init->callback([o] { run_init_hsm(*o); });

      auto* rot = keys->add_subcommand(
          "rotate-kek",
          "Re-seal every key of a state directory under a new KEK; resumes an interrupted one");
      rot->add_option("--state", o->state_dir, "State directory (RocksDB)")->required();
      rot->add_option(
          "--kek-file", o->kek_file,
          "File holding the current KEK; default: $OTAFLOW_KEK_PKCS11, else $OTAFLOW_KEK");
      rot->add_option("--to-kek-file", o->to_kek_file, "File holding the new KEK (64 hex digits)");
      rot->add_option("--to-pkcs11", o->to_pkcs11,
                      "The new KEK in a token: module=PATH;token=LABEL;key=LABEL[;pin_file=PATH]");
      rot->add_option("--batch", o->batch, "Rows per synced batch (1-1000000)")
          ->capture_default_str();
      rot->callback([o] { run_rotate(*o); });
    }};

}  // namespace
}  // namespace otaflow::app
