// `otaflow bench crypto [--json]`: SCP80 crypto throughput of the batch stage against OpenSSL
// EVP, measured in the same run on one core. The workload is the engine's: 140-octet
// messages, each with its own keys; per message the CC over the 140 octets, then ciphering of
// the 140 octets zero-padded to 144 in place.
//   3des   = two-key 3DES CBC + 3DES CBC-MAC      aes128 = AES-128 CBC + AES-CMAC
// "openssl" is make_openssl_backend() (EVP, one cached context per algorithm re-keyed per
// message); "batch" is make_best_backend() (secure/simd_backend.hpp). Rates are messages per
// second of this thread's CPU time, so that other processes on a shared machine do not skew
// them. Before timing, both backends must produce identical bytes (exit 1 otherwise).
// `otaflow bench sim`: the SMSC simulator and the fleet end to end (app/bench_sim.cpp).

#include <time.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/bench_sim.hpp"
#include "app/command.hpp"
#include "base/bytes.hpp"
#include "secure/scp80_algorithm.hpp"
#include "secure/simd_backend.hpp"

namespace otaflow::app {
namespace {

using json = nlohmann::ordered_json;
using namespace otaflow::secure;

constexpr std::size_t msg_len = 140;
constexpr std::size_t ciphered_len = 144;  // a multiple of both block sizes

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// n messages with their own CC and cipher keys (deterministic pseudo-random contents).
struct workload {
  std::vector<bytes> cc_keys, cipher_keys, messages, buffers, macs;
  std::vector<status> cc_status, cipher_status;
  std::vector<cc_job> cc_jobs;
  std::vector<cipher_job> cipher_jobs;

  workload(std::size_t n, cipher_alg calg, cc_alg ccalg) : cc_status(n), cipher_status(n) {
    std::uint64_t x = 0x9E3779B97F4A7C15ull;
    auto fill = [&x](std::size_t len) {
      bytes b(len);
      for (auto& o : b) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        o = static_cast<std::uint8_t>(x);
      }
      return b;
    };
    for (std::size_t i = 0; i < n; ++i) {
      cc_keys.push_back(fill(16));  // two-key 3DES and AES-128 keys are both 16 octets
      cipher_keys.push_back(fill(16));
      messages.push_back(fill(msg_len));
      bytes buf = messages.back();
      buf.resize(ciphered_len, 0);
      buffers.push_back(std::move(buf));
      macs.emplace_back(8);
    }
    for (std::size_t i = 0; i < n; ++i) {
      cc_jobs.push_back({ccalg, cc_keys[i], messages[i], macs[i], &cc_status[i]});
      cipher_jobs.push_back({calg, cipher_keys[i], buffers[i], true, &cipher_status[i]});
    }
  }

  void run(crypto_backend& b) {
    b.run(std::span<cc_job>(cc_jobs));
    b.run(std::span<cipher_job>(cipher_jobs));
  }

  bool all_ok() const {
    for (std::size_t i = 0; i < cc_status.size(); ++i)
      if (!cc_status[i].ok() || !cipher_status[i].ok()) return false;
    return true;
  }
};

/// Messages per CPU second of backend b over batches of n, for at least min_seconds.
double measure(crypto_backend& b, cipher_alg calg, cc_alg ccalg, std::size_t n,
               double min_seconds) {
  workload w(n, calg, ccalg);
  w.run(b);  // warm-up: contexts, page faults, caches
  std::size_t rounds = 0;
  const double start = thread_cpu_seconds();
  double elapsed = 0;
  do {
    w.run(b);
    ++rounds;
    elapsed = thread_cpu_seconds() - start;
  } while (elapsed < min_seconds);
  if (!w.all_ok()) {
    std::fprintf(stderr, "bench crypto: a job failed in backend %s\n",
                 std::string(b.name()).c_str());
    exit_with(1);
  }
  return static_cast<double>(rounds * n) / elapsed;
}

/// Both backends must give the same CCs and cipher texts on the same workload.
bool same_output(crypto_backend& a, crypto_backend& b, cipher_alg calg, cc_alg ccalg) {
  workload wa(257, calg, ccalg), wb(257, calg, ccalg);  // 257: a full batch plus leftovers
  wa.run(a);
  wb.run(b);
  return wa.all_ok() && wb.all_ok() && wa.macs == wb.macs && wa.buffers == wb.buffers;
}

struct bench_args {
  bool json_out = false;
  std::size_t batch = 1024;
  double seconds = 1.0;
};

void run_crypto(const bench_args& args) {
  auto openssl = make_openssl_backend();
  auto batch = make_best_backend();
  struct algo {
    const char* key;
    cipher_alg calg;
    cc_alg ccalg;
  };
  const algo algos[] = {{"3des", cipher_alg::tdes2_cbc, cc_alg::tdes2_cbc_mac},
                        {"aes128", cipher_alg::aes_cbc, cc_alg::aes_cmac}};
  json out = json::object();
  for (const algo& a : algos) {
    if (!same_output(*openssl, *batch, a.calg, a.ccalg)) {
      std::fprintf(stderr, "bench crypto: %s: batch stage %s differs from OpenSSL\n", a.key,
                   std::string(batch->name()).c_str());
      exit_with(1);
    }
    const double o = measure(*openssl, a.calg, a.ccalg, args.batch, args.seconds);
    const double s = measure(*batch, a.calg, a.ccalg, args.batch, args.seconds);
    out[a.key] = {{"openssl_msgs_per_s", o}, {"batch_msgs_per_s", s}, {"ratio", s / o}};
  }
  if (args.json_out) {
    std::printf("%s\n", out.dump().c_str());
    return;
  }
  std::printf(
      "SCP80 crypto, %zu-octet messages each with its own keys, %zu per batch, one core\n"
      "(messages per second of thread CPU time; CC then ciphering per message)\n"
      "openssl: %s   batch: %s\n\n",
      msg_len, args.batch, std::string(openssl->name()).c_str(),
      std::string(batch->name()).c_str());
  std::printf("%-8s %16s %16s %8s\n", "", "openssl msgs/s", "batch msgs/s", "ratio");
  for (const algo& a : algos) {
    const json& r = out[a.key];
    std::printf("%-8s %16.0f %16.0f %7.1fx\n", a.key, r["openssl_msgs_per_s"].get<double>(),
                r["batch_msgs_per_s"].get<double>(), r["ratio"].get<double>());
  }
}

const command_registrar reg("bench", [](CLI::App& root) {
  auto* cmd = root.add_subcommand("bench", "Measure throughput of otaflow's hot paths");
  cmd->require_subcommand(1);
  auto args = std::make_shared<bench_args>();
  auto* crypto = cmd->add_subcommand(
      "crypto", "SCP80 crypto: OpenSSL EVP vs the batch stage (3des, aes128), one core");
  crypto->add_flag("--json", args->json_out, "Print one JSON object");
  crypto->add_option("--batch", args->batch, "Messages per batch (default 1024)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20));
  crypto->add_option("--seconds", args->seconds, "Minimum CPU seconds per measurement (default 1)")
      ->check(CLI::Range(0.01, 600.0));
  crypto->callback([args] { run_crypto(*args); });
  add_bench_sim(*cmd);
});

}  // namespace
}  // namespace otaflow::app
