// Approved campaigns (four eyes; docs/SECURITY.md, docs/CAMPAIGNS.md "Approvals"):
// `otaflow approvals keygen --out FILE`: an operator's Ed25519 approval key (PEM, mode 600).
// `otaflow campaign sign --key FILE [--name NAME] CAMPAIGN`: appends the operator's approval of
// the campaign as it is now ([[approval]] table) to the file.
// `otaflow campaign approvals [--approvals-config FILE] [--state DIR] CAMPAIGN`: what the
// campaign needs and has; exit 0 when `campaign run` would accept it, 1 when it would refuse.

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "actors/campaign_approval.hpp"
#include "app/approvals.hpp"
#include "app/command.hpp"
#include "secure/signing.hpp"

namespace otaflow::app {

result<actors::approval_policy> approval_policy_for(const std::string& config_file,
                                                    const std::string& state_dir) {
  if (!config_file.empty()) return actors::load_approval_policy(config_file);
  if (!state_dir.empty()) {
    const auto in_state = std::filesystem::path(state_dir) / "approvals.toml";
    std::error_code ec;
    if (std::filesystem::exists(in_state, ec)) return actors::load_approval_policy(in_state);
  }
  return actors::approval_policy{};
}

namespace {

int keygen(const std::string& out) {
  auto k = secure::ed25519_signer::generate(out);
  if (!k) {
    std::fprintf(stderr, "otaflow: approvals keygen: %s\n", k.error().message.c_str());
    return 1;
  }
  const auto& pub = (*k)->public_key();
  std::cout << nlohmann::json{{"key_file", out},
                              {"public_key", to_hex(byte_view(pub.data(), pub.size()))},
                              {"key_id", actors::approval_key_id(pub)}}
                   .dump()
            << '\n';
  return 0;
}

// Writes `text` to `path` through a temporary file beside it and a rename, keeping its mode.
status replace_file(const std::string& path, const std::string& text) {
  struct stat st {};
  const mode_t mode = ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;
  const auto tmp = path + ".signing";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return make_error(errc::io, tmp + ": write failed");
  }
  ::chmod(tmp.c_str(), mode);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return make_error(errc::io, path + ": cannot replace it: " + ec.message());
  return {};
}

struct sign_args {
  std::string key_file;
  std::string name;
  std::string campaign_file;
};

int sign(const sign_args& a) {
  if (a.name.size() > 64 || std::any_of(a.name.begin(), a.name.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20;
      })) {
    usage_error("--name: at most 64 characters, no control characters");
  }
  auto c = actors::load_signed_campaign_file(a.campaign_file);
  if (!c) {
    std::fprintf(stderr, "otaflow: %s\n", c.error().message.c_str());
    return 2;
  }
  auto key = secure::ed25519_signer::load(a.key_file);  // refused when others may read it
  if (!key) {
    std::fprintf(stderr, "otaflow: --key: %s\n", key.error().message.c_str());
    return 2;
  }
  const auto id = actors::approval_key_id((*key)->public_key());
  for (const auto& old : c->approvals) {
    if (old.key_id == id) {
      std::fprintf(stderr,
                   "otaflow: %s already carries an approval by key %s%s%s: one key approves "
                   "once (remove that [[approval]] table to sign this version again)\n",
                   a.campaign_file.c_str(), id.c_str(), old.name.empty() ? "" : ", ",
                   old.name.c_str());
      return 1;
    }
  }
  const auto approval = actors::sign_campaign(c->def, **key, a.name);
  std::ifstream in(a.campaign_file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  auto text = ss.str();
  if (!text.empty() && text.back() != '\n') text += '\n';
  text += actors::approval_toml(approval);
  if (auto s = replace_file(a.campaign_file, text); !s) {
    std::fprintf(stderr, "otaflow: %s\n", s.error().message.c_str());
    return 1;
  }
  // Read back: the file parses and the new approval verifies against what it now holds.
  auto back = actors::load_signed_campaign_file(a.campaign_file);
  if (!back || actors::campaign_digest(back->def) != actors::campaign_digest(c->def)) {
    std::fprintf(stderr, "otaflow: %s: the signed file does not read back as the same campaign\n",
                 a.campaign_file.c_str());
    return 1;
  }
  std::cout << nlohmann::json{{"campaign", c->def.id},
                              {"key_id", id},
                              {"name", a.name},
                              {"sha256", approval.campaign_sha256},
                              {"approvals", back->approvals.size()}}
                   .dump()
            << '\n';
  return 0;
}

struct show_args {
  std::string approvals_config;
  std::string state_dir;
  std::string campaign_file;
};

int show(const show_args& a) {
  auto c = actors::load_signed_campaign_file(a.campaign_file);
  if (!c) {
    std::fprintf(stderr, "otaflow: %s\n", c.error().message.c_str());
    return 2;
  }
  auto policy = approval_policy_for(a.approvals_config, a.state_dir);
  if (!policy) {
    std::fprintf(stderr, "otaflow: %s\n", policy.error().message.c_str());
    return 2;
  }
  const auto check = actors::check_approvals(c->def, c->approvals, *policy);
  std::cout << actors::approval_check_json(check).dump() << '\n';
  if (!check.ok()) {
    std::fprintf(stderr, "otaflow: %s\n", check.error_text().c_str());
    return 1;
  }
  return 0;
}

const command_registrar reg_keygen("approvals", [](CLI::App& root) {
  auto* approvals = root.add_subcommand("approvals", "Operator keys that approve campaigns");
  approvals->require_subcommand(1);
  auto out = std::make_shared<std::string>();
  auto* kg = approvals->add_subcommand(
      "keygen", "Create an operator's Ed25519 approval key (list its public key in [approvals])");
  kg->add_option("--out", *out, "Private key file to create (PEM, mode 600)")->required();
  kg->callback([out] { exit_with(keygen(*out)); });
});

const command_registrar reg_campaign("campaign_approvals", [](CLI::App& root) {
  auto* campaign = root.get_subcommand("campaign");
  auto s = std::make_shared<sign_args>();
  auto* sign_cmd = campaign->add_subcommand(
      "sign", "Approve a campaign file as it is now: append this operator's signature to it");
  sign_cmd
      ->add_option("--key", s->key_file,
                   "The operator's Ed25519 private key (PEM, mode 600; `otaflow approvals keygen`)")
      ->required();
  sign_cmd->add_option("--name", s->name, "Who signs (informative; the configuration names keys)");
  sign_cmd->add_option("campaign", s->campaign_file, "Campaign file (TOML)")->required();
  sign_cmd->callback([s] { exit_with(sign(*s)); });

  auto a = std::make_shared<show_args>();
  auto* show_cmd = campaign->add_subcommand(
      "approvals", "What approvals a campaign file needs and which of its approvals count");
  show_cmd->add_option("--approvals-config", a->approvals_config, approvals_config_help);
  show_cmd->add_option("--state", a->state_dir, "State directory (for STATE/approvals.toml)");
  show_cmd->add_option("campaign", a->campaign_file, "Campaign file (TOML)")->required();
  show_cmd->callback([a] { exit_with(show(*a)); });
});

}  // namespace
}  // namespace otaflow::app
