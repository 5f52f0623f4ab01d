// `otaflow bench crypto [--json]`: SCP80 crypto throughput of the batch stage against OpenSSL
// EVP on one core (demo/bench_crypto.hpp says how it is measured).
// `otaflow bench sim [--cards N] [--fleet F] [--window W] [--workers K] [--worker-batch B]
// [--card-crypto batch|openssl] [--in-memory] [--json]`: the SMSC simulator and the virtual
// UICC fleet end to end over loopback TCP (demo/bench_sim.hpp).
// Both exit 1 when the run fails (for crypto: when the backends' outputs differ).

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "app/command.hpp"
#include "demo/bench_crypto.hpp"
#include "demo/bench_sim.hpp"

namespace otaflow::app {
namespace {

struct crypto_args {
  demo::bench_crypto_options run;
  bool json_out = false;
};

void run_crypto(const crypto_args& args) {
  auto r = demo::run_bench_crypto(args.run);
  if (!r) {
    std::fprintf(stderr, "bench crypto: %s\n", r.error().message.c_str());
    exit_with(1);
  }
  if (args.json_out) {
    std::printf("%s\n", demo::to_json(*r).dump().c_str());
    return;
  }
  std::printf(
      "SCP80 crypto, %zu-octet messages each with its own keys, %zu per batch, one core\n"
      "(messages per second of thread CPU time; CC then ciphering per message)\n"
      "openssl: %s   batch: %s\n\n",
      r->message_octets, r->batch, r->openssl_backend.c_str(), r->batch_backend.c_str());
  std::printf("%-8s %16s %16s %8s\n", "", "openssl msgs/s", "batch msgs/s", "ratio");
  for (const auto& rate : r->rates) {
    std::printf("%-8s %16.0f %16.0f %7.1fx\n", rate.algorithm.c_str(), rate.openssl_msgs_per_s,
                rate.batch_msgs_per_s, rate.ratio);
  }
}

struct sim_args {
  demo::bench_sim_options run;
  std::string card_crypto = "batch";
  bool json_out = false;
};

void print_sim(const demo::bench_sim_report& r) {
  const auto& a = r.options;
  std::printf(
      "SMSC simulator + virtual UICC fleet, end to end over loopback TCP\n"
      "%llu OTA messages (SPI 1621, 3DES, RFM UPDATE BINARY) to %llu cards, window %u, "
      "%u workers taking up to %u messages at once, card state %s,\n"
      "card-side opening: %s (%llu packets opened in crypto batches)\n\n",
      static_cast<unsigned long long>(a.messages), static_cast<unsigned long long>(r.fleet_cards),
      r.window, a.workers, a.worker_batch, a.in_memory ? "in memory" : "in RocksDB",
      a.batch_crypto ? "batch (secure::make_best_backend)" : "one at a time (OpenSSL)",
      static_cast<unsigned long long>(r.batch_opened));
  std::printf("  securing before the clock     %10.2f s\n", r.prepare_seconds);
  std::printf("  submit -> last PoR            %10.2f s\n", r.seconds);
  std::printf("  OTA messages/s                %10.0f\n", r.ota_msgs_per_s);
  std::printf("  PoR statuses                  %s\n", demo::por_histogram(r).dump().c_str());
  std::printf("  cards changed                 %10llu\n",
              static_cast<unsigned long long>(r.cards_changed));
  const double growth = static_cast<double>(r.rss_after) - static_cast<double>(r.rss_before);
  std::printf("  RSS growth per changed card   %10.0f octets (%.1f MiB over the run)\n",
              r.rss_growth_per_changed_card, growth / (1 << 20));
  std::printf("  fleet's own bytes per card    %10.0f octets (%llu cards cached)\n",
              r.fleet_bytes_per_cached_card, static_cast<unsigned long long>(r.cards_in_memory));
  std::printf("  peak RSS                      %10.1f MiB\n",
              static_cast<double>(r.peak_rss) / (1 << 20));
}

void run_sim(sim_args& a) {
  a.run.batch_crypto = a.card_crypto == "batch";
  auto r = demo::run_bench_sim(a.run);
  if (!r) {
    std::fprintf(stderr, "otaflow bench sim: %s\n", r.error().message.c_str());
    exit_with(1);
  }
  if (a.json_out) {
    std::printf("%s\n", demo::to_json(*r).dump().c_str());
    return;
  }
  print_sim(*r);
}

void add_bench_sim(CLI::App& bench) {
  auto a = std::make_shared<sim_args>();
  auto* c = bench.add_subcommand(
      "sim", "SMSC simulator + virtual fleet end to end on loopback: OTA messages/s, memory/card");
  c->add_option("--cards", a->run.messages, "OTA messages to send, one per card (default 100000)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100000000}));
  c->add_option("--fleet", a->run.fleet, "cards in the fleet (default: as many as messages)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100000000}));
  c->add_option("--window", a->run.window, "messages between submit and PoR at most (default 4096)")
      ->check(CLI::Range(1u, 1000000u));
  c->add_option("--workers", a->run.workers, "simulator worker threads (default 2)")
      ->check(CLI::Range(1u, 64u));
  c->add_option("--worker-batch", a->run.worker_batch,
                "messages a worker hands the fleet at once (default 256)")
      ->check(CLI::Range(1u, 4096u));
  c->add_option("--card-crypto", a->card_crypto,
                "batch: the fleet opens a worker's packets in one SIMD crypto batch (default); "
                "openssl: each card opens its own")
      ->check(CLI::IsMember({"batch", "openssl"}));
  c->add_flag("--in-memory", a->run.in_memory, "no RocksDB for the card state");
  c->add_flag("--json", a->json_out, "print one JSON object");
  c->callback([a] { run_sim(*a); });
}

const command_registrar reg("bench", [](CLI::App& root) {
  auto* cmd = root.add_subcommand("bench", "Measure throughput of otaflow's hot paths");
  cmd->require_subcommand(1);
  auto args = std::make_shared<crypto_args>();
  auto* crypto = cmd->add_subcommand(
      "crypto", "SCP80 crypto: OpenSSL EVP vs the batch stage (3des, aes128), one core");
  crypto->add_flag("--json", args->json_out, "Print one JSON object");
  crypto->add_option("--batch", args->run.batch, "Messages per batch (default 1024)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20));
  crypto
      ->add_option("--seconds", args->run.seconds,
                   "Minimum CPU seconds per measurement (default 1)")
      ->check(CLI::Range(0.01, 600.0));
  crypto->callback([args] { run_crypto(*args); });
  add_bench_sim(*cmd);
});

}  // namespace
}  // namespace otaflow::app
