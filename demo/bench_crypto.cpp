#include "demo/bench_crypto.hpp"

#include <time.h>

#include <cstdint>
#include <memory>

#include "base/bytes.hpp"
#include "secure/scp80_algorithm.hpp"
#include "secure/simd_backend.hpp"

namespace otaflow::demo {
namespace {

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
result<double> measure(crypto_backend& b, cipher_alg calg, cc_alg ccalg, std::size_t n,
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
    return make_error(errc::internal, "a job failed in backend " + std::string(b.name()));
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

}  // namespace

result<bench_crypto_report> run_bench_crypto(const bench_crypto_options& args) {
  auto openssl = make_openssl_backend();
  auto batch = make_best_backend();
  struct algo {
    const char* key;
    cipher_alg calg;
    cc_alg ccalg;
  };
  const algo algos[] = {{"3des", cipher_alg::tdes2_cbc, cc_alg::tdes2_cbc_mac},
                        {"aes128", cipher_alg::aes_cbc, cc_alg::aes_cmac}};
  bench_crypto_report rep;
  rep.message_octets = msg_len;
  rep.batch = args.batch;
  rep.openssl_backend = openssl->name();
  rep.batch_backend = batch->name();
  for (const algo& a : algos) {
    if (!same_output(*openssl, *batch, a.calg, a.ccalg)) {
      return make_error(errc::verification, std::string(a.key) + ": batch stage " +
                                                rep.batch_backend + " differs from OpenSSL");
    }
    auto o = measure(*openssl, a.calg, a.ccalg, args.batch, args.seconds);
    if (!o) return o.error();
    auto s = measure(*batch, a.calg, a.ccalg, args.batch, args.seconds);
    if (!s) return s.error();
    rep.rates.push_back({a.key, *o, *s, *s / *o});
  }
  return rep;
}

nlohmann::ordered_json to_json(const bench_crypto_report& r) {
  auto out = nlohmann::ordered_json::object();
  for (const auto& rate : r.rates) {
    out[rate.algorithm] = {{"openssl_msgs_per_s", rate.openssl_msgs_per_s},
                           {"batch_msgs_per_s", rate.batch_msgs_per_s},
                           {"ratio", rate.ratio}};
  }
  return out;
}

}  // namespace otaflow::demo
