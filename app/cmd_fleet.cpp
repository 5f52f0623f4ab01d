// `otaflow fleet generate --count N --seed S --out fleet.csv [--threads T]`: writes the CSV of
// a deterministic virtual UICC fleet (sim/fleet_generate.hpp; header exactly
// iccid,imsi,msisdn,ki,opc,kic1,kid1,kik1) and its sidecar fleet.csv.meta (seed, count,
// numbering), by which `otaflow smsc-sim --fleet` recognises it. Same seed and count, same
// bytes. Prints a JSON summary.

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/command.hpp"
#include "sim/fleet_generate.hpp"

namespace otaflow::app {
namespace {

struct options {
  std::uint64_t count = 0;
  std::string seed;
  std::string out;
  unsigned threads = 0;
};

void run_generate(const options& o) {
  const unsigned threads =
      o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  const auto t0 = std::chrono::steady_clock::now();
  auto s = sim::write_fleet_csv(o.out, o.seed, o.count, threads);
  if (!s) {
    std::fprintf(stderr, "otaflow: %s\n", s.error().message.c_str());
    exit_with(1);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::ordered_json j = {{"out", o.out},
                              {"meta", sim::fleet_meta_path(o.out).string()},
                              {"count", o.count},
                              {"seconds", secs}};
  std::cout << j.dump(2) << std::endl;
}

const command_registrar reg("fleet", [](CLI::App& root) {
  auto* cmd = root.add_subcommand("fleet", "Virtual UICC fleets");
  cmd->require_subcommand(1);
  auto o = std::make_shared<options>();
  auto* gen = cmd->add_subcommand("generate", "Write a deterministic fleet CSV and its .meta");
  gen->add_option("--count", o->count, "Number of cards (up to 100000000)")
      ->required()
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{100000000}));
  gen->add_option("--seed", o->seed, "Seed of every number and key (keep it secret)")->required();
  gen->add_option("--out", o->out, "CSV file to write (the sidecar is <out>.meta)")->required();
  gen->add_option("--threads", o->threads, "Derivation threads (default: all cores)");
  gen->callback([o] { run_generate(*o); });
});

}  // namespace
}  // namespace otaflow::app
