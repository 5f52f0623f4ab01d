#pragma once
// `otaflow bench crypto`: SCP80 crypto throughput of the batch stage against OpenSSL EVP,
// measured in the same run on one core. The workload is the engine's: 140-octet messages,
// each with its own keys; per message the CC over the 140 octets, then ciphering of the 140
// octets zero-padded to 144 in place.
//   3des   = two-key 3DES CBC + 3DES CBC-MAC      aes128 = AES-128 CBC + AES-CMAC
// "openssl" is make_openssl_backend() (EVP, one cached context per algorithm re-keyed per
// message); "batch" is make_best_backend() (secure/simd_backend.hpp). Rates are messages per
// second of this thread's CPU time, so that other processes on a shared machine do not skew
// them. Before timing, both backends must produce identical bytes (an error otherwise).

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace otaflow::demo {

/// What `bench crypto` measures; the defaults are the command's.
struct bench_crypto_options {
  std::size_t batch = 1024;  ///< messages per batch (1..2^20)
  double seconds = 1.0;      ///< minimum CPU seconds per measurement (0.01..600)
};

/// The rates of one algorithm pair.
struct crypto_rate {
  std::string algorithm;  ///< "3des" or "aes128"
  double openssl_msgs_per_s = 0;
  double batch_msgs_per_s = 0;
  double ratio = 0;  ///< batch / openssl
};

/// The figures of one run.
struct bench_crypto_report {
  std::size_t message_octets = 0;  ///< 140
  std::size_t batch = 0;
  std::string openssl_backend;  ///< the backends' names
  std::string batch_backend;
  std::vector<crypto_rate> rates;  ///< 3des, then aes128
};

/// Checks that both backends agree, then measures them (see the file comment).
[[nodiscard]] result<bench_crypto_report> run_bench_crypto(const bench_crypto_options& options);

/// The rates as the JSON object `otaflow bench crypto --json` prints.
[[nodiscard]] nlohmann::ordered_json to_json(const bench_crypto_report& r);

}  // namespace otaflow::demo
