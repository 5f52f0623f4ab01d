// `otaflow demo`: the whole chain in one process, no outside services. A generated fleet
// of virtual UICCs behind the SMSC simulator (real SMPP over loopback TCP), the profile
// repository in a fresh RocksDB directory, status events to librdkafka's embedded mock
// cluster, and one realistic campaign (an EF_FPLMN update under SPI 1621, 3DES keyset 1)
// run to a terminal state for every card. Some cards are absent for a while (the SMSC
// stores and forwards), a few are unknown to the network (the engine retries, then fails
// them with the reason). At the end every card's EF_FPLMN is read back through APDUs.

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <streambuf>
#include <thread>

#include <openssl/rand.h>
#include <nlohmann/json.hpp>

#include "actors/campaign_runner.hpp"
#include "app/command.hpp"
#include "app/progress.hpp"
#include "base/log.hpp"
#include "codec/iso7816_apdu.hpp"
#include "kafka/mock_cluster.hpp"
#include "kafka/producer.hpp"
#include "service/kafka_status_sink.hpp"
#include "sim/fleet.hpp"
#include "sim/smsc_server.hpp"
#include "storage/csv_import.hpp"

namespace otaflow::app {
namespace {

namespace fs = std::filesystem;

struct demo_args {
  std::uint64_t cards = 10'000;
  std::uint64_t unknown = 3;
  double absent = 0.005;
  std::string seed = "otaflow-demo";
  std::string state_dir;
  bool keep = false;
  bool json = false;
  int binds = 2;
  std::uint32_t window = 4000;
};

// The campaign every card gets: add 001/01's neighbour 001/02 to the forbidden list.
constexpr const char* kFplmn = "00F120FFFFFFFFFFFFFFFFFF";

actors::campaign_def demo_campaign(std::uint32_t window) {
  actors::campaign_def c;
  c.id = "demo-fplmn";
  c.security.spi = 0x1621;  // counter higher, ciphered, CC; PoR by SMS-SUBMIT
  c.security.kic = 0x15;    // keyset 1, 3DES two-key CBC
  c.security.kid = 0x15;
  c.security.tar = 0xB00010;
  c.target.all = true;
  c.update.files.push_back({{0x3F00, 0x7FFF, 0x6F7B}, hex(kFplmn), 0});
  c.policy.window = window;
  c.policy.rate = 0;  // the SMSC simulator is not throttled in the demo
  c.policy.job.max_attempts = 3;
  c.policy.job.por_timeout = std::chrono::seconds(20);
  c.policy.job.retry_base = std::chrono::milliseconds(500);
  return c;
}

// The generated fleet as the SIM vendor's CSV, produced as the importer reads (the file of
// 1M cards is 214 MB; it never exists whole). A thread of its own derives the rows (keys are
// SHA-256 derivations) a few blocks ahead: the importer's reading thread also commits its
// batches, and generating there made it the slowest stage of the import. Rows hold keys:
// every block is wiped once read, and its buffer reused (reserved once, so it never
// reallocates and leaves a copy behind).
class generated_csv : public std::streambuf {
 public:
  generated_csv(sim::fleet_deriver& d, std::uint64_t first, std::uint64_t end)
      : d_(d), next_(first), end_(end), producer_([this] { produce(); }) {}
  ~generated_csv() override {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    producer_.join();
    wipe(buf_);
    for (auto& b : ready_) wipe(b);
  }
  generated_csv(const generated_csv&) = delete;
  generated_csv& operator=(const generated_csv&) = delete;

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    std::unique_lock lk(mu_);
    if (!buf_.empty()) {
      wipe(buf_);
      buf_.clear();
      free_.push_back(std::move(buf_));
      cv_.notify_all();
    }
    cv_.wait(lk, [&] { return !ready_.empty() || done_; });
    if (ready_.empty()) return traits_type::eof();
    buf_ = std::move(ready_.front());
    ready_.pop_front();
    cv_.notify_all();
    lk.unlock();
    setg(buf_.data(), buf_.data(), buf_.data() + buf_.size());
    return traits_type::to_int_type(*gptr());
  }

 private:
  static constexpr int rows_per_block = 1000;
  static constexpr std::size_t blocks_ahead = 8;
  static constexpr std::size_t block_reserve = 400 * rows_per_block;  // rows are ~214 octets

  static void wipe(std::string& b) {
    secure_wipe({reinterpret_cast<std::uint8_t*>(b.data()), b.size()});
  }

  void produce() {
    bool header = true;
    for (;;) {
      std::string b;
      {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [&] { return stop_ || ready_.size() < blocks_ahead; });
        if (stop_) return;
        if (!free_.empty()) {
          b = std::move(free_.back());
          free_.pop_back();
        }
      }
      if (b.capacity() < block_reserve) b.reserve(block_reserve);
      if (header) {
        b = sim::fleet_csv_header;
        b += '\n';
        header = false;
      }
      for (int i = 0; i < rows_per_block && next_ < end_; ++i) d_.csv_row(next_++, b);
      std::lock_guard lk(mu_);
      if (b.empty()) {
        done_ = true;
        cv_.notify_all();
        return;
      }
      ready_.push_back(std::move(b));
      cv_.notify_all();
    }
  }

  sim::fleet_deriver& d_;
  std::uint64_t next_, end_;  // the producer's alone
  std::string buf_;           // the block being read
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> ready_;  // blocks generated, not read yet
  std::vector<std::string> free_;  // wiped buffers for the producer to refill
  bool done_ = false, stop_ = false;
  std::thread producer_;  // last: starts once everything above is built
};

status import_fleet(storage::state& st, const std::string& seed, std::uint64_t count,
                    std::uint64_t first) {
  auto d = sim::fleet_deriver::create(seed);
  if (!d) return d.error();
  storage::import_options io;
  io.batch_size = 5000;
  io.bulk = true;  // a new repository, nothing else writing yet
  generated_csv rows(*d, first, count);
  std::istream in(&rows);
  auto r = storage::import_csv(st, in, io);
  if (!r) return r.error();
  if (r->rejected) {
    return make_error(errc::internal, "demo import rejected " + std::to_string(r->rejected) +
                                          " generated rows: " + r->errors.front().reason);
  }
  return {};
}

// Reads EF_FPLMN of card i through the UICC's APDU interface.
result<bytes> read_fplmn(sim::fleet& f, std::uint64_t i) {
  bytes out;
  std::uint16_t sw = 0;
  auto s = f.visit(i, [&](sim::virtual_card& card) {
    for (std::uint16_t fid : {0x3F00, 0x7FFF, 0x6F7B}) {
      codec::command_apdu sel;
      sel.cla = 0x00;
      sel.ins = 0xA4;
      sel.p2 = 0x0C;
      sel.data = {static_cast<std::uint8_t>(fid >> 8), static_cast<std::uint8_t>(fid)};
      sw = card.transmit(sel).sw;
      if (sw != 0x9000) return;
    }
    codec::command_apdu rd;
    rd.cla = 0x00;
    rd.ins = 0xB0;
    rd.le = 12;
    auto r = card.transmit(rd);
    sw = r.sw;
    out = r.data;
  });
  if (!s) return s.error();
  if (sw != 0x9000) {
    char b[8];
    std::snprintf(b, sizeof b, "%04X", sw);
    return make_error(errc::verification, std::string("reading EF_FPLMN: SW ") + b);
  }
  return out;
}

double peak_rss_mb() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

int run_demo(const demo_args& a) {
  auto log = log::get("demo");
  if (a.cards == 0) usage_error("--cards must be at least 1");
  const bool temp = a.state_dir.empty();
  fs::path dir = a.state_dir;
  if (temp) {
    std::string tmpl = (fs::temp_directory_path() / "otaflow-demo-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) {
      std::fprintf(stderr, "otaflow demo: cannot create a temporary directory\n");
      return 1;
    }
    dir = tmpl;
  } else {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      std::fprintf(stderr, "otaflow demo: cannot create %s: %s\n", dir.string().c_str(),
                   ec.message().c_str());
      return 1;
    }
  }
  auto cleanup = [&] {
    if (temp && !a.keep) {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  };
  auto fail = [&](const std::string& what, const error& e) {
    std::fprintf(stderr, "otaflow demo: %s: %s\n", what.c_str(), e.message.c_str());
    cleanup();
    return 1;
  };

  // 1. The profile repository, under a key-encryption key made for this run.
  std::uint8_t kek_bytes[32];
  if (RAND_bytes(kek_bytes, sizeof kek_bytes) != 1) {
    std::fprintf(stderr, "otaflow demo: no randomness for the KEK\n");
    return 1;
  }
  auto kek = storage::secret::from(kek_bytes);
  secure_wipe(kek_bytes);
  storage::db_options dbo;
  dbo.dir = dir / "engine";
  // A temporary directory is deleted at the end: flushing its memtables would be wasted.
  const bool discarded = temp && !a.keep;
  dbo.flush_on_close = !discarded;
  auto st = storage::state::open(dbo, std::move(kek).value());
  if (!st) return fail("opening the state directory", st.error());

  // 2. The fleet (the cards) and the SIM vendor's file imported into the repository; a
  //    few extra cards exist in the repository but not on the network.
  const auto t0 = std::chrono::steady_clock::now();
  sim::fleet_options fo;
  fo.state_dir = dir / "fleet";
  fo.flush_on_close = !discarded;
  auto fleet = sim::fleet::generated(a.seed, a.cards, fo);
  if (!fleet) return fail("creating the fleet", fleet.error());
  if (auto s = import_fleet(**st, a.seed, a.cards + a.unknown, 0); !s) {
    return fail("importing subscribers", s.error());
  }
  const double import_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!a.json) {
    std::fprintf(stderr, "demo: %llu cards generated and imported in %.1f s (state in %s)\n",
                 static_cast<unsigned long long>(a.cards + a.unknown), import_s,
                 dir.string().c_str());
  }

  // 3. The SMSC simulator on a free loopback port.
  sim::smsc_config sc;
  sc.listen_host = "127.0.0.1";
  sc.listen_port = 0;
  sc.accounts = {{"otaflow", "demo"}};
  sc.workers = 2;
  sc.submit_queue_limit = 0;
  sc.retry_schedule_ms = {200, 500, 1000};
  sc.faults.seed = 7;
  sc.faults.absent_fraction = a.absent;
  sc.faults.absent_attempts = 1;
  sim::smsc_server smsc(sc, **fleet);
  if (auto s = smsc.start(); !s) return fail("starting the SMSC simulator", s.error());

  // 4. Status events to the embedded Kafka mock cluster.
  auto cluster = kafka::mock_cluster::create(1);
  if (!cluster) return fail("starting the embedded Kafka cluster", cluster.error());
  if (auto s = (*cluster)->create_topic("ota.status", 4); !s) {
    return fail("creating ota.status", s.error());
  }
  if (auto s = (*cluster)->create_topic("ota.alerts", 1); !s) {
    return fail("creating ota.alerts", s.error());
  }
  kafka::kafka_options ko;
  ko.brokers = (*cluster)->bootstraps();
  std::atomic<std::uint64_t> delivered{0}, delivery_errors{0};
  auto producer = kafka::producer::create(ko, [&](const kafka::delivery_report& r) {
    if (r.err) {
      ++delivery_errors;
    } else {
      ++delivered;
    }
  });
  if (!producer) return fail("creating the Kafka producer", producer.error());
  service::kafka_status_sink sink(**producer, "ota.status");

  // 5. The campaign.
  const auto def = demo_campaign(a.window);
  actors::runner_options ro;
  for (int i = 0; i < std::max(1, a.binds); ++i) {
    actors::smpp_options o;
    o.host = "127.0.0.1";
    o.port = smsc.port();
    o.system_id = "otaflow";
    o.password = "demo";
    o.window = 1024;
    ro.binds.push_back(o);
  }
  // Alerts (docs/EVENTS.md) go to the embedded cluster's alerts topic and the summary.
  ro.on_alert = [&](const actors::alert& al) {
    (void)(*producer)->produce("ota.alerts", al.campaign, kafka::serialise(service::to_kafka(al)));
  };
  progress_line bar(a.json ? 0 : a.cards + a.unknown);
  auto r =
      actors::run_campaign(**st, def, ro, sink, a.json ? actors::progress_fn{} : bar.callback());
  bar.finish();
  if (!r) return fail("running the campaign", r.error());
  const auto t_campaign_end = std::chrono::steady_clock::now();
  (void)(*producer)->flush(std::chrono::seconds(30));
  const auto t_flushed = std::chrono::steady_clock::now();

  // 6. Proof on the cards: read EF_FPLMN back through the UICC's APDU interface.
  // Every card is read (most from the fleet's RocksDB store, evicted from memory long ago),
  // split over the cores: visit() locks one card at a time.
  std::atomic<std::uint64_t> verified{0}, mismatched{0};
  const auto want = hex(kFplmn);
  {
    const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    auto check = [&](unsigned w) {
      std::uint64_t ok = 0, bad = 0;
      for (std::uint64_t i = w; i < a.cards; i += threads) {
        auto got = read_fplmn(**fleet, i);
        (got && *got == want ? ok : bad)++;
      }
      verified += ok;
      mismatched += bad;
    };
    std::vector<std::thread> pool;
    for (unsigned w = 1; w < threads; ++w) pool.emplace_back(check, w);
    check(0);
    for (auto& t : pool) t.join();
  }
  const auto t_verified = std::chrono::steady_clock::now();
  const auto smsc_sum = smsc.summary();
  smsc.stop();

  auto j = actors::summary_json(r->summary);
  j["verified_on_cards"] = verified.load();
  j["not_updated_on_cards"] = mismatched.load();
  j["status_events"] = sink.produced();
  j["status_events_acked_by_kafka"] = delivered.load();
  j["peak_rss_mb"] = std::round(peak_rss_mb());
  j["setup_seconds"] = std::round(import_s * 10) / 10;  // fleet + repository import
  const auto tenths = [](auto d) {
    return std::round(std::chrono::duration<double>(d).count() * 10) / 10;
  };
  j["status_flush_seconds"] = tenths(t_flushed - t_campaign_end);  // Kafka acks still due
  j["verify_seconds"] = tenths(t_verified - t_flushed);            // EF_FPLMN read back
  j["total_seconds"] =
      std::round(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() *
                 10) /
      10;
  j["smsc"] = {{"submits", smsc_sum.submits},
               {"delivered", smsc_sum.delivered},
               {"absent_attempts", smsc_sum.absent},
               {"failed", smsc_sum.failed},
               {"pors", smsc_sum.pors},
               {"receipts", smsc_sum.receipts}};
  j["smpp_client"] = {
      {"submits", r->smpp.submits}, {"throttled", r->smpp.throttled}, {"lost", r->smpp.lost}};
  if (!a.json) {
    std::fprintf(stderr,
                 "demo: %llu of %llu cards done, %llu failed; EF_FPLMN verified on %llu cards; "
                 "p50 %.0f ms, p99 %.0f ms; peak RSS %.0f MiB\n",
                 static_cast<unsigned long long>(r->summary.done),
                 static_cast<unsigned long long>(r->summary.cards),
                 static_cast<unsigned long long>(r->summary.failed),
                 static_cast<unsigned long long>(verified.load()), r->summary.latency_p50_ms,
                 r->summary.latency_p99_ms, peak_rss_mb());
    for (const auto& [reason, n] : r->summary.failure_reasons) {
      std::fprintf(stderr, "demo:   failed x%llu: %s\n", static_cast<unsigned long long>(n),
                   reason.c_str());
    }
  }
  std::cout << j.dump() << std::endl;
  cleanup();
  if (r->summary.paused) return 3;  // paused by an alert (or a pause request): like campaign run
  return r->summary.cards == a.cards + a.unknown && mismatched == 0 ? 0 : 1;
}

const command_registrar reg("demo", [](CLI::App& root) {
  auto a = std::make_shared<demo_args>();
  auto* cmd = root.add_subcommand(
      "demo",
      "Run the whole chain in one process: fleet, SMSC simulator, engine, Kafka (embedded)");
  cmd->add_option("--cards", a->cards, "Cards in the fleet")->capture_default_str();
  cmd->add_option("--unknown", a->unknown, "Extra subscribers unknown to the network")
      ->capture_default_str();
  cmd->add_option("--absent", a->absent, "Fraction of cards absent at first")
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "Fleet seed")->capture_default_str();
  cmd->add_option("--window", a->window, "Cards in flight")->capture_default_str();
  cmd->add_option("--binds", a->binds, "SMPP binds")->capture_default_str();
  cmd->add_option("--state", a->state_dir, "State directory (default: a temporary one)");
  cmd->add_flag("--keep", a->keep, "Keep the temporary state directory");
  cmd->add_flag("--json", a->json, "Print only the JSON summary");
  cmd->callback([a] { exit_with(run_demo(*a)); });
});

}  // namespace
}  // namespace otaflow::app
