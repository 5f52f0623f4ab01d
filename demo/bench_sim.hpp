#pragma once
// `otaflow bench sim`: OTA messages per second through the SMSC simulator and the virtual
// UICC fleet, end to end over loopback TCP, and the memory each changed card costs.
//
// One process: a generated fleet of F cards (seed "bench-sim"; card state in a temporary
// RocksDB directory, removed afterwards, unless in_memory), the SMSC simulator on 127.0.0.1
// (a port the OS picks) and an ESME bound as transceiver over a real TCP socket. Before the
// clock starts, N RFM command packets are secured with each card's keyset 1 and encoded as
// submit_sm: SPI 1621 (CC, 3DES ciphering, counter higher than; PoR always, by SMS-SUBMIT,
// unsecured), KIc/KID 15 (two-key 3DES), TAR B00010, a compact TS 102 226 script SELECT
// 3F00/7FFF/6F7B + UPDATE BINARY of EF_FPLMN; message i goes to card i % F with counter
// i / F + 1. The clock runs from the first submit_sm to the last PoR deliver_sm, with at most
// W messages between their submit and their PoR. Memory: RSS growth over the run divided by
// the cards that changed, next to the fleet's own accounting of its cached cards.
// Figures only: nothing is asserted on them.

#include <array>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace otaflow::demo {

/// What `bench sim` measures; the defaults are the command's.
struct bench_sim_options {
  std::uint64_t messages = 100000;   ///< OTA messages, one per card (N)
  std::uint64_t fleet = 0;           ///< cards in the fleet (F); 0: as many as messages
  std::uint32_t window = 4096;       ///< messages between submit and PoR at most (W)
  unsigned workers = 2;              ///< simulator worker threads
  std::uint32_t worker_batch = 256;  ///< messages a worker hands the fleet at once
  /// The fleet opens a worker's packets in one SIMD crypto batch (true, "batch"), or each
  /// card opens its own with OpenSSL (false, "openssl").
  bool batch_crypto = true;
  bool in_memory = false;  ///< no RocksDB for the card state
};

/// The figures of one run.
struct bench_sim_report {
  bench_sim_options options;
  std::uint64_t fleet_cards = 0;  ///< F as run
  std::uint32_t window = 0;       ///< W as run (at most F: a card's messages go in order)
  double prepare_seconds = 0;     ///< securing the packets, before the clock
  double seconds = 0;             ///< first submit_sm to last PoR
  double ota_msgs_per_s = 0;
  std::uint64_t pors = 0;
  std::uint64_t submit_errors = 0;
  std::array<std::uint64_t, 256> por_status{};  ///< PoRs by status octet
  std::uint64_t batch_opened = 0;               ///< packets the fleet opened in crypto batches
  std::uint64_t cards_changed = 0;
  std::uint64_t cards_in_memory = 0;
  std::uint64_t rss_before = 0;            ///< octets
  std::uint64_t rss_after = 0;             ///< octets
  std::uint64_t peak_rss = 0;              ///< octets
  double rss_growth_per_changed_card = 0;  ///< octets
  double fleet_bytes_per_cached_card = 0;  ///< octets, the fleet's own accounting
  std::uint64_t smsc_delivered = 0;
};

/// Runs the benchmark (see the file comment).
[[nodiscard]] result<bench_sim_report> run_bench_sim(const bench_sim_options& options);

/// The PoR statuses seen, as {"00": n, ...} (two hex digits each).
[[nodiscard]] nlohmann::ordered_json por_histogram(const bench_sim_report& r);
/// The report as the JSON object `otaflow bench sim --json` prints.
[[nodiscard]] nlohmann::ordered_json to_json(const bench_sim_report& r);

}  // namespace otaflow::demo
