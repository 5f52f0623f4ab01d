#include "demo/demo.hpp"

#include <stdlib.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include <openssl/rand.h>
#include <nlohmann/json.hpp>

#include "base/bytes.hpp"
#include "codec/iso7816_apdu.hpp"
#include "demo/generated_csv.hpp"
#include "kafka/mock_cluster.hpp"
#include "kafka/producer.hpp"
#include "service/kafka_status_sink.hpp"
#include "sim/fleet.hpp"
#include "sim/smsc_server.hpp"

namespace otaflow::demo {
namespace {

namespace fs = std::filesystem;
using steady = std::chrono::steady_clock;

// The campaign every card gets: add 001/01's neighbour 001/02 to the forbidden list.
constexpr const char* kFplmn = "00F120FFFFFFFFFFFFFFFFFF";

actors::campaign_def demo_campaign(std::uint32_t window, std::chrono::milliseconds por_timeout) {
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
  c.policy.job.por_timeout = por_timeout;
  c.policy.job.retry_base = std::chrono::milliseconds(500);
  return c;
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
    return make_error(errc::verification, "reading EF_FPLMN: SW " + to_hex(sw, 4, hex_case::upper));
  }
  return out;
}

double peak_rss_mb() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

double seconds(steady::duration d) {
  return std::chrono::duration<double>(d).count();
}

// "what: message", for an error met while doing `what`.
error context(const std::string& what, error e) {
  e.message = what + ": " + e.message;
  return e;
}

// The state directory; a temporary one is removed when the run ends, unless kept. The first
// member of the chain: it goes after everything that has files in it.
class scratch_dir {
 public:
  scratch_dir() = default;
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  ~scratch_dir() {
    if (remove_) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }

  status make(const options& o) {
    temporary_ = o.state_dir.empty();
    if (!temporary_) {
      path_ = o.state_dir;
      std::error_code ec;
      fs::create_directories(path_, ec);
      if (ec) return make_error(errc::io, "cannot create " + path_.string() + ": " + ec.message());
      return {};
    }
    std::string tmpl = (fs::temp_directory_path() / "otaflow-demo-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) {
      return make_error(errc::io, "cannot create a temporary directory");
    }
    path_ = tmpl;
    remove_ = !o.keep;
    return {};
  }
  [[nodiscard]] const fs::path& path() const noexcept { return path_; }
  /// Deleted at the end: flushing memtables into it would be wasted.
  [[nodiscard]] bool discarded() const noexcept { return remove_; }

 private:
  fs::path path_;
  bool temporary_ = false;
  bool remove_ = false;
};

// Everything the demo runs, built in member order and torn down in reverse.
class chain {
 public:
  chain(const options& o, const hooks& h) : o_(o), h_(h) {}

  result<report> run() {
    const auto t0 = steady::now();
    OTAFLOW_TRY(dir_.make(o_));
    OTAFLOW_TRY(open_repository());
    OTAFLOW_TRY(build_fleet());
    const double setup_s = seconds(steady::now() - t0);
    if (h_.imported) h_.imported(o_.cards + o_.unknown, setup_s, dir_.path());
    OTAFLOW_TRY(start_smsc());
    OTAFLOW_TRY(start_kafka());

    report rep;
    auto r = run_campaign();
    if (!r) return r.error();
    rep.run = std::move(*r);
    const auto t_campaign_end = steady::now();
    (void)producer_->flush(std::chrono::seconds(30));
    const auto t_flushed = steady::now();
    verify(rep);
    const auto t_verified = steady::now();
    rep.smsc = smsc_->summary();
    smsc_->stop();

    rep.expected_cards = o_.cards + o_.unknown;
    rep.status_events = sink_->produced();
    rep.status_acked = delivered_.load();
    rep.peak_rss_mb = peak_rss_mb();
    rep.peak_timers_armed = peak_timers_;
    rep.peak_in_flight = peak_in_flight_;
    rep.setup_seconds = setup_s;
    rep.status_flush_seconds = seconds(t_flushed - t_campaign_end);
    rep.verify_seconds = seconds(t_verified - t_flushed);
    rep.total_seconds = seconds(steady::now() - t0);
    rep.state_dir = dir_.path();
    return rep;
  }

 private:
  // 1. The profile repository, under a key-encryption key made for this run.
  status open_repository() {
    std::uint8_t kek_bytes[32];
    if (RAND_bytes(kek_bytes, sizeof kek_bytes) != 1) {
      return make_error(errc::internal, "no randomness for the KEK");
    }
    auto kek = storage::secret::from(kek_bytes);
    secure_wipe(kek_bytes);
    storage::db_options dbo;
    dbo.dir = dir_.path() / "engine";
    dbo.flush_on_close = !dir_.discarded();
    auto st = storage::state::open(dbo, std::move(kek).value());
    if (!st) return context("opening the state directory", st.error());
    state_ = std::move(*st);
    return {};
  }

  // 2. The fleet (the cards) and the SIM vendor's file imported into the repository; a few
  //    extra cards exist in the repository but not on the network.
  status build_fleet() {
    sim::fleet_options fo;
    fo.state_dir = dir_.path() / "fleet";
    fo.flush_on_close = !dir_.discarded();
    auto fleet = sim::fleet::generated(o_.seed, o_.cards, fo);
    if (!fleet) return context("creating the fleet", fleet.error());
    fleet_ = std::move(*fleet);
    if (auto s = import_generated_fleet(*state_, o_.seed, o_.cards + o_.unknown, 0); !s) {
      return context("importing subscribers", s.error());
    }
    return {};
  }

  // 3. The SMSC simulator on a free loopback port.
  status start_smsc() {
    sim::smsc_config sc;
    sc.listen_host = "127.0.0.1";
    sc.listen_port = 0;
    sc.accounts = {{"otaflow", "demo"}};
    sc.workers = 2;
    sc.submit_queue_limit = 0;
    sc.retry_schedule_ms = {200, 500, 1000};
    sc.faults.seed = 7;
    sc.faults.absent_fraction = o_.absent;
    sc.faults.absent_attempts = 1;
    smsc_ = std::make_unique<sim::smsc_server>(sc, *fleet_);
    if (auto s = smsc_->start(); !s) return context("starting the SMSC simulator", s.error());
    return {};
  }

  // 4. Status events to the embedded Kafka mock cluster.
  status start_kafka() {
    auto cluster = kafka::mock_cluster::create(1);
    if (!cluster) return context("starting the embedded Kafka cluster", cluster.error());
    cluster_ = std::move(*cluster);
    if (auto s = cluster_->create_topic("ota.status", 4); !s) {
      return context("creating ota.status", s.error());
    }
    if (auto s = cluster_->create_topic("ota.alerts", 1); !s) {
      return context("creating ota.alerts", s.error());
    }
    kafka::kafka_options ko;
    ko.brokers = cluster_->bootstraps();
    auto producer = kafka::producer::create(ko, [this](const kafka::delivery_report& r) {
      if (r.err) {
        ++delivery_errors_;
      } else {
        ++delivered_;
      }
    });
    if (!producer) return context("creating the Kafka producer", producer.error());
    producer_ = std::move(*producer);
    sink_ = std::make_unique<service::kafka_status_sink>(*producer_, "ota.status");
    if (h_.endpoint != nullptr) {
      auto& reg = h_.endpoint->registry();
      producer_metrics_ = {&reg, reg.add([p = producer_.get()](metrics::writer& w) {
                             service::collect_producer(w, *p, "status");
                           })};
    }
    return {};
  }

  // 5. The campaign.
  result<actors::runner_result> run_campaign() {
    actors::runner_options ro;
    for (int i = 0; i < std::max(1, o_.binds); ++i) {
      actors::smpp_options b;
      b.host = "127.0.0.1";
      b.port = smsc_->port();
      b.system_id = "otaflow";
      b.password = "demo";
      b.window = 1024;
      ro.binds.push_back(b);
    }
    if (h_.endpoint != nullptr) ro.metrics = &h_.endpoint->metrics();
    // Alerts (docs/EVENTS.md) go to the embedded cluster's alerts topic and the summary.
    ro.on_alert = [this](const actors::alert& al) {
      (void)producer_->produce("ota.alerts", al.campaign, kafka::serialise(service::to_kafka(al)));
    };
    // Progress reports come from the campaign actor; the peaks are read after the run.
    auto progress = [this](const actors::campaign_progress& p) {
      peak_timers_ = std::max(peak_timers_, p.timers_armed);
      peak_in_flight_ = std::max(peak_in_flight_, p.in_flight);
      if (h_.progress) h_.progress(p);
    };
    auto r = actors::run_campaign(*state_, demo_campaign(o_.window, o_.por_timeout), ro, *sink_,
                                  progress);
    if (!r) return context("running the campaign", r.error());
    return r;
  }

  // 6. Proof on the cards: read EF_FPLMN back through the UICC's APDU interface. Every card
  //    is read (most from the fleet's RocksDB store, evicted from memory long ago), split
  //    over the cores: visit() locks one card at a time.
  void verify(report& rep) {
    std::atomic<std::uint64_t> verified{0}, mismatched{0};
    const auto want = hex(kFplmn);
    const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    auto check = [&](unsigned w) {
      std::uint64_t ok = 0, bad = 0;
      for (std::uint64_t i = w; i < o_.cards; i += threads) {
        auto got = read_fplmn(*fleet_, i);
        (got && *got == want ? ok : bad)++;
      }
      verified += ok;
      mismatched += bad;
    };
    std::vector<std::thread> pool;
    for (unsigned w = 1; w < threads; ++w) pool.emplace_back(check, w);
    check(0);
    for (auto& t : pool) t.join();
    rep.verified = verified;
    rep.mismatched = mismatched;
  }

  const options& o_;
  const hooks& h_;
  scratch_dir dir_;  // first: removed last
  std::unique_ptr<storage::state> state_;
  std::unique_ptr<sim::fleet> fleet_;
  std::unique_ptr<sim::smsc_server> smsc_;  // serves the fleet: goes before it
  std::unique_ptr<kafka::mock_cluster> cluster_;
  std::atomic<std::uint64_t> delivered_{0}, delivery_errors_{0};
  std::unique_ptr<kafka::producer> producer_;  // reports to the counters above
  std::unique_ptr<service::kafka_status_sink> sink_;
  std::uint64_t peak_timers_ = 0, peak_in_flight_ = 0;  // from progress reports
  // The producer's metrics collector: removed before the producer goes.
  struct collector_guard {
    metrics::registry* reg = nullptr;
    std::uint64_t id = 0;
    collector_guard& operator=(collector_guard&& o) noexcept {
      std::swap(reg, o.reg);
      std::swap(id, o.id);
      return *this;
    }
    ~collector_guard() {
      if (reg != nullptr) reg->remove(id);
    }
  } producer_metrics_;
};

}  // namespace

result<report> run(const options& opts, const hooks& h) {
  if (opts.cards == 0) return make_error(errc::bad_value, "--cards must be at least 1");
  chain c(opts, h);
  return c.run();
}

nlohmann::json to_json(const report& r) {
  auto j = actors::summary_json(r.run.summary);
  const auto tenths = [](double s) { return std::round(s * 10) / 10; };
  j["verified_on_cards"] = r.verified;
  j["not_updated_on_cards"] = r.mismatched;
  j["status_events"] = r.status_events;
  j["status_events_acked_by_kafka"] = r.status_acked;
  j["peak_rss_mb"] = std::round(r.peak_rss_mb);
  j["peak_timers_armed"] = r.peak_timers_armed;
  j["peak_in_flight"] = r.peak_in_flight;
  j["setup_seconds"] = tenths(r.setup_seconds);
  j["status_flush_seconds"] = tenths(r.status_flush_seconds);
  j["verify_seconds"] = tenths(r.verify_seconds);
  j["total_seconds"] = tenths(r.total_seconds);
  j["smsc"] = {{"submits", r.smsc.submits},
               {"delivered", r.smsc.delivered},
               {"absent_attempts", r.smsc.absent},
               {"failed", r.smsc.failed},
               {"pors", r.smsc.pors},
               {"receipts", r.smsc.receipts}};
  j["smpp_client"] = {{"submits", r.run.smpp.submits},
                      {"throttled", r.run.smpp.throttled},
                      {"lost", r.run.smpp.lost}};
  return j;
}

}  // namespace otaflow::demo
