// `otaflow version`: the build's version and the versions of the libraries it uses.

#include <cstdio>

#include <openssl/crypto.h>

#include "app/command.hpp"

namespace otaflow::app {
namespace {

const command_registrar reg("version", [](CLI::App& root) {
  auto* cmd = root.add_subcommand("version", "Print the otaflow version");
  cmd->callback([] { std::printf("otaflow 0.1.0 (%s)\n", OpenSSL_version(OPENSSL_VERSION)); });
});

}  // namespace
}  // namespace otaflow::app
