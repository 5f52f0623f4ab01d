#pragma once
// Subcommands of the `otaflow` binary register themselves here, one file each
// (cmd_<name>.cpp), so adding a command touches no shared list.

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace otaflow::app {

/// Adds one subcommand (and its callback) to the root app.
using command_setup = std::function<void(CLI::App& root)>;

/// Registers a subcommand at static-initialisation time.
struct command_registrar {
  command_registrar(std::string name, command_setup setup);
};

/// Ends a command with this process exit code (0 ok, 1 check failed, 2 usage).
[[noreturn]] void exit_with(int code);

/// Reports a usage error naming the bad argument, then exits with code 2.
[[noreturn]] void usage_error(const std::string& message);

}  // namespace otaflow::app
