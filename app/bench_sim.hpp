#pragma once
// `otaflow bench sim`: the SMSC simulator and the virtual UICC fleet end to end on loopback
// (bench_sim.cpp).

#include <CLI/CLI.hpp>

namespace otaflow::app {

/// Adds the `sim` subcommand to the `bench` command.
void add_bench_sim(CLI::App& bench);

}  // namespace otaflow::app
