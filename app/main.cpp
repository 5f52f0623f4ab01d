// The one otaflow binary: subcommands register themselves (app/command.hpp).

#include <cstdio>
#include <map>
#include <memory>

#include "app/command.hpp"
#include "base/log.hpp"

namespace otaflow::app {
namespace {

std::map<std::string, command_setup>& registry() {
  static std::map<std::string, command_setup> r;
  return r;
}

}  // namespace

command_registrar::command_registrar(std::string name, command_setup setup) {
  registry().emplace(std::move(name), std::move(setup));
}

void exit_with(int code) {
  throw CLI::RuntimeError(code);
}

void usage_error(const std::string& message) {
  std::fprintf(stderr, "otaflow: %s\n", message.c_str());
  throw CLI::RuntimeError(2);
}

}  // namespace otaflow::app

int main(int argc, char** argv) {
  CLI::App root{"otaflow: SIM/USIM over-the-air campaign engine (ETSI TS 102 225/226, SMPP 3.4)"};
  root.require_subcommand(1);
  std::string level = "info";
  root.add_option("--log-level", level, "trace, debug, info, warn, error, off")
      ->capture_default_str();
  root.parse_complete_callback([&] {
    if (!otaflow::log::set_level(level))
      otaflow::app::usage_error("--log-level: unknown level '" + level + "'");
  });
  for (auto& [name, setup] : otaflow::app::registry()) setup(root);
  try {
    root.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();
  } catch (const CLI::CallForHelp& e) {
    return root.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return root.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return root.exit(e);
  } catch (const CLI::ParseError& e) {
    root.exit(e);
    return 2;
  }
  return 0;
}
