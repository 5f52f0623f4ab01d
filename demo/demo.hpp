#pragma once
// `otaflow demo` as a library: the whole chain in one process, no outside services. A
// generated fleet of virtual UICCs behind the SMSC simulator (real SMPP over loopback TCP),
// the profile repository in a fresh RocksDB directory, status events to librdkafka's
// embedded mock cluster, and one realistic campaign (an EF_FPLMN update under SPI 1621, 3DES
// keyset 1) run to a terminal state for every card. Some cards are absent for a while (the
// SMSC stores and forwards), a few are unknown to the network (the engine retries, then
// fails them with the reason). At the end every card's EF_FPLMN is read back through APDUs.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "actors/campaign_runner.hpp"
#include "base/error.hpp"
#include "service/metrics_endpoint.hpp"
#include "sim/smsc_stats.hpp"

namespace otaflow::demo {

/// What the demo runs; the defaults are the command's.
struct options {
  std::uint64_t cards = 10'000;       ///< cards in the fleet (>= 1)
  std::uint64_t unknown = 3;          ///< extra subscribers unknown to the network
  double absent = 0.005;              ///< fraction of cards absent at first (0..1)
  std::string seed = "otaflow-demo";  ///< fleet seed
  /// State directory; empty: a temporary one, removed at the end unless `keep`.
  std::filesystem::path state_dir;
  bool keep = false;            ///< keep the temporary state directory
  int binds = 2;                ///< SMPP binds (at least 1 is used)
  std::uint32_t window = 4000;  ///< cards in flight
  /// The campaign's PoR timeout: long ones show that finished jobs' timers are released
  /// (bench/timer_count.sh).
  std::chrono::milliseconds por_timeout{20'000};
};

/// Told how the run goes; every member optional.
struct hooks {
  /// The fleet was generated and imported into the repository under `dir`.
  std::function<void(std::uint64_t cards, double seconds, const std::filesystem::path& dir)>
      imported;
  /// Campaign progress, every few hundred cards.
  actors::progress_fn progress;
  /// An HTTP endpoint (`--http`, borrowed, started): the run's metrics, and the embedded
  /// Kafka producer's queue while it lives.
  service::run_endpoint* endpoint = nullptr;
};

/// What a demo run did.
struct report {
  actors::runner_result run;            ///< the campaign's summary and SMPP counters
  std::uint64_t expected_cards = 0;     ///< cards + unknown: each must end terminal
  std::uint64_t verified = 0;           ///< cards whose EF_FPLMN reads back updated
  std::uint64_t mismatched = 0;         ///< cards whose EF_FPLMN does not
  std::uint64_t status_events = 0;      ///< produced to the embedded Kafka
  std::uint64_t status_acked = 0;       ///< acknowledged by it
  sim::smsc_summary smsc;               ///< the SMSC simulator's counters
  double peak_rss_mb = 0;               ///< of this process
  std::uint64_t peak_timers_armed = 0;  ///< most engine timers seen in a progress report
  std::uint64_t peak_in_flight = 0;     ///< most cards in flight seen in a progress report
  double setup_seconds = 0;             ///< fleet + repository import
  double status_flush_seconds = 0;      ///< Kafka acknowledgements still due after the campaign
  double verify_seconds = 0;            ///< EF_FPLMN read back from every card
  double total_seconds = 0;
  std::filesystem::path state_dir;  ///< where the state was (gone if it was temporary)

  /// Every card reached a terminal state and each one on the network holds the update.
  [[nodiscard]] bool complete() const noexcept {
    return run.summary.cards == expected_cards && mismatched == 0;
  }
};

/// Runs the demo (see the file comment). An error when a part of the chain could not start
/// or the campaign could not run; cards that fail are counted in the report, not errors.
[[nodiscard]] result<report> run(const options& opts, const hooks& h = {});

/// The report as the JSON object `otaflow demo` prints (the campaign summary's fields and
/// the demo's own).
[[nodiscard]] nlohmann::json to_json(const report& r);

}  // namespace otaflow::demo
