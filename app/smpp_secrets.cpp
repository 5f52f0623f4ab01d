#include "app/smpp_secrets.hpp"

#include "app/command.hpp"
#include "base/log.hpp"
#include "base/secrets.hpp"

namespace otaflow::app {

void add_password_options(CLI::App* cmd, password_args& a) {
  a.refused_option = cmd->add_option("--password", a.refused, password_on_command_line)->group("");
  cmd->add_option("--password-file", a.file,
                  "File holding the SMPP password (mode 600; else OTAFLOW_SMPP_PASSWORD)");
}

std::optional<std::string> password_from(const password_args& a) {
  if (a.refused_option != nullptr && a.refused_option->count() > 0) {
    usage_error(password_on_command_line);
  }
  std::optional<std::string> pw;
  if (!a.file.empty()) {
    auto text = read_private_file(a.file, "--password-file");
    if (!text) usage_error(text.error().message);
    pw = std::move(*text);
    if (pw->size() > 8) {
      usage_error("--password-file " + a.file + ": the password has " + std::to_string(pw->size()) +
                  " characters, SMPP 3.4 allows 8");
    }
  } else if (auto env = take_env(smpp_password_env)) {
    if (env->size() > 8) {
      usage_error(std::string(smpp_password_env) + ": the password has " +
                  std::to_string(env->size()) + " characters, SMPP 3.4 allows 8");
    }
    pw = std::move(*env);
  }
  return pw;
}

void add_tls_options(CLI::App* cmd, tls_args& a) {
  cmd->add_flag("--tls", a.tls, "SMPP over TLS (the SMSC's certificate is verified)");
  cmd->add_option("--tls-ca", a.options.ca_file,
                  "PEM file of the CAs trusted for the SMSC (default: the system's store)");
  cmd->add_option("--tls-cert", a.options.cert_file, "PEM client certificate (with --tls-key)");
  cmd->add_option("--tls-key", a.options.key_file, "PEM client key (mode 600)");
  cmd->add_option("--tls-server-name", a.options.server_name,
                  "Name the SMSC's certificate must hold (default: the --smsc host)");
}

void harden_key_process() {
  const auto r = harden_process();
  if (!r.core_limit_zero || !r.not_dumpable) {
    log::get("app")->warn("core dumps could not be turned off (RLIMIT_CORE {}, PR_SET_DUMPABLE {})",
                          r.core_limit_zero ? "0" : "unchanged",
                          r.not_dumpable ? "0" : "unchanged");
  }
}

}  // namespace otaflow::app
