// SCP80 crypto throughput for 140-octet messages, each with its own key (the OTA engine's
// case: one key per card). Per message: the CC over the 140 octets, then ciphering of the
// 140 octets zero-padded to 144 (a multiple of both block sizes).
//   Fresh*    fresh EVP contexts per message (algorithms fetched once, outside the loop)
//   Batch*    make_openssl_backend(), 1024 jobs per run() (cached contexts, re-keyed per job)
//   Single*   the single-message functions (thread-local cached contexts)
//   Simd*     make_simd_backend() (secure/simd_backend.hpp), 1024 jobs per run(), in the same
//             binary and run as the OpenSSL figures: SimdBest picks the widest DES kernel the
//             CPU has, SimdAvx2 / SimdPortable pin narrower ones (skipped without the CPU
//             feature). Design and figures: docs/crypto-simd.md.
// Reported as items_per_second = messages/s. Debian's libbenchmark says "Library was built
// as DEBUG"; its overhead is small against these per-message costs.
#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "secure/scp80_algorithm.hpp"
#include "secure/simd_backend.hpp"

namespace {

using otaflow::bytes;
using namespace otaflow::secure;

constexpr std::size_t n_messages = 1024;
constexpr std::size_t msg_len = 140;
constexpr std::size_t ciphered_len = 144;

struct workload {
  std::vector<bytes> cipher_keys, cc_keys, messages, buffers, macs;
  workload(std::size_t key_len) {
    std::mt19937 rng(42);
    auto fill = [&](std::size_t n) {
      bytes b(n);
      for (auto& x : b) x = static_cast<std::uint8_t>(rng());
      return b;
    };
    for (std::size_t i = 0; i < n_messages; ++i) {
      cipher_keys.push_back(fill(key_len));
      cc_keys.push_back(fill(key_len));
      messages.push_back(fill(msg_len));
      bytes buf = messages.back();
      buf.resize(ciphered_len, 0);
      buffers.push_back(buf);
      macs.emplace_back(8);
    }
  }
};

void fail(benchmark::State& state, const char* what) {
  state.SkipWithError(what);
}

// (a) Fresh EVP contexts per message.
void fresh_contexts(benchmark::State& state, const char* cipher_name, bool cmac) {
  workload w(16);  // 3DES two-key and AES-128 keys are both 16 octets
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, cipher_name, nullptr);
  EVP_MAC* mac = cmac ? EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_CMAC, nullptr) : nullptr;
  if (cipher == nullptr || (cmac && mac == nullptr)) return fail(state, "fetch failed");
  const std::uint8_t iv[16] = {};
  std::uint8_t scratch[ciphered_len];
  for (auto _ : state) {
    for (std::size_t i = 0; i < n_messages; ++i) {
      // CC over the 140 octets.
      if (cmac) {
        EVP_MAC_CTX* m = EVP_MAC_CTX_new(mac);
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(
                                   OSSL_MAC_PARAM_CIPHER, const_cast<char*>("AES-128-CBC"), 0),
                               OSSL_PARAM_construct_end()};
        std::uint8_t out[16];
        std::size_t outl = 0;
        if (EVP_MAC_init(m, w.cc_keys[i].data(), 16, params) != 1 ||
            EVP_MAC_update(m, w.messages[i].data(), msg_len) != 1 ||
            EVP_MAC_final(m, out, &outl, sizeof out) != 1) {
          return fail(state, "CMAC failed");
        }
        std::memcpy(w.macs[i].data(), out, 8);
        EVP_MAC_CTX_free(m);
      } else {
        EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
        int outl = 0;
        std::uint8_t padded[ciphered_len] = {};
        std::memcpy(padded, w.messages[i].data(), msg_len);
        if (EVP_EncryptInit_ex2(c, cipher, w.cc_keys[i].data(), iv, nullptr) != 1 ||
            EVP_CIPHER_CTX_set_padding(c, 0) != 1 ||
            EVP_EncryptUpdate(c, scratch, &outl, padded, ciphered_len) != 1) {
          return fail(state, "CBC-MAC failed");
        }
        std::memcpy(w.macs[i].data(), scratch + ciphered_len - 8, 8);
        EVP_CIPHER_CTX_free(c);
      }
      // Ciphering of the padded message, in place.
      EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
      int outl = 0;
      if (EVP_EncryptInit_ex2(c, cipher, w.cipher_keys[i].data(), iv, nullptr) != 1 ||
          EVP_CIPHER_CTX_set_padding(c, 0) != 1 ||
          EVP_EncryptUpdate(c, w.buffers[i].data(), &outl, w.buffers[i].data(), ciphered_len) !=
              1) {
        return fail(state, "cipher failed");
      }
      EVP_CIPHER_CTX_free(c);
    }
    benchmark::DoNotOptimize(w.buffers.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n_messages));
  EVP_MAC_free(mac);
  EVP_CIPHER_free(cipher);
}

// (b) The batch backend, 1024 jobs per run().
void batch_backend(benchmark::State& state, cipher_alg calg, cc_alg ccalg,
                   std::unique_ptr<crypto_backend> backend = make_openssl_backend()) {
  workload w(16);
  std::vector<otaflow::status> cc_results(n_messages), cipher_results(n_messages);
  std::vector<cc_job> cc_jobs;
  std::vector<cipher_job> cipher_jobs;
  for (std::size_t i = 0; i < n_messages; ++i) {
    cc_jobs.push_back({ccalg, w.cc_keys[i], w.messages[i], w.macs[i], &cc_results[i]});
    cipher_jobs.push_back({calg, w.cipher_keys[i], w.buffers[i], true, &cipher_results[i]});
  }
  for (auto _ : state) {
    backend->run(cc_jobs);
    backend->run(cipher_jobs);
    benchmark::DoNotOptimize(w.buffers.data());
    benchmark::ClobberMemory();
  }
  for (std::size_t i = 0; i < n_messages; ++i) {
    if (!cc_results[i].ok() || !cipher_results[i].ok()) return fail(state, "job failed");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n_messages));
  state.SetLabel(std::string(backend->name()));
}

// (d) The SIMD backend, pinned to a DES level (AES always on AES-NI when the CPU has it).
void simd_backend(benchmark::State& state, cipher_alg calg, cc_alg ccalg, simd_level level) {
  if (level > best_simd_level()) return state.SkipWithError("CPU lacks this level");
  simd_options o;
  o.max_des_level = level;
  batch_backend(state, calg, ccalg, make_simd_backend(o));
}

// (c) The single-message functions.
void single_calls(benchmark::State& state, cipher_alg calg, cc_alg ccalg) {
  workload w(16);
  for (auto _ : state) {
    for (std::size_t i = 0; i < n_messages; ++i) {
      if (!compute_cc(ccalg, w.cc_keys[i], w.messages[i], w.macs[i]).ok() ||
          !encrypt(calg, w.cipher_keys[i], w.buffers[i]).ok()) {
        return fail(state, "call failed");
      }
    }
    benchmark::DoNotOptimize(w.buffers.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n_messages));
}

void BM_Tdes2CbcMac_FreshContexts(benchmark::State& s) {
  fresh_contexts(s, "DES-EDE-CBC", false);
}
void BM_Tdes2CbcMac_BatchBackend(benchmark::State& s) {
  batch_backend(s, cipher_alg::tdes2_cbc, cc_alg::tdes2_cbc_mac);
}
void BM_Tdes2CbcMac_SingleCalls(benchmark::State& s) {
  single_calls(s, cipher_alg::tdes2_cbc, cc_alg::tdes2_cbc_mac);
}
void BM_Aes128CbcCmac_FreshContexts(benchmark::State& s) {
  fresh_contexts(s, "AES-128-CBC", true);
}
void BM_Aes128CbcCmac_BatchBackend(benchmark::State& s) {
  batch_backend(s, cipher_alg::aes_cbc, cc_alg::aes_cmac);
}
void BM_Aes128CbcCmac_SingleCalls(benchmark::State& s) {
  single_calls(s, cipher_alg::aes_cbc, cc_alg::aes_cmac);
}

void BM_Tdes2CbcMac_SimdBest(benchmark::State& s) {
  simd_backend(s, cipher_alg::tdes2_cbc, cc_alg::tdes2_cbc_mac, best_simd_level());
}
void BM_Tdes2CbcMac_SimdAvx2(benchmark::State& s) {
  simd_backend(s, cipher_alg::tdes2_cbc, cc_alg::tdes2_cbc_mac, simd_level::avx2);
}
void BM_Tdes2CbcMac_SimdPortable(benchmark::State& s) {
  simd_backend(s, cipher_alg::tdes2_cbc, cc_alg::tdes2_cbc_mac, simd_level::portable);
}
void BM_Aes128CbcCmac_SimdBest(benchmark::State& s) {
  simd_backend(s, cipher_alg::aes_cbc, cc_alg::aes_cmac, best_simd_level());
}

BENCHMARK(BM_Tdes2CbcMac_FreshContexts)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Tdes2CbcMac_BatchBackend)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Tdes2CbcMac_SingleCalls)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Tdes2CbcMac_SimdBest)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Tdes2CbcMac_SimdAvx2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Tdes2CbcMac_SimdPortable)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Aes128CbcCmac_FreshContexts)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Aes128CbcCmac_BatchBackend)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Aes128CbcCmac_SingleCalls)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Aes128CbcCmac_SimdBest)->Unit(benchmark::kMillisecond);

}  // namespace
