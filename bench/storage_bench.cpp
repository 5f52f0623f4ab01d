// Storage benchmarks: the two writes on the engine's hot path.
//  - counter batches: counter_store::next() for 1000 cards, one synced
//    WriteBatch per call (the group commit that must precede every packet);
//  - job updates: 1000 job records + 1000 audit records in one WriteBatch,
//    synced and unsynced.
// Items/s = counters (or job updates) per second. Runs on a real RocksDB in a
// temporary directory; the disk decides the synced figures.

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <unistd.h>

#include "storage/api.hpp"
#include "storage/identifiers.hpp"

namespace {

using namespace otaflow::storage;

std::string make_iccid(std::uint64_t serial) {
  std::string s = std::to_string(serial);
  std::string payload = "89882" + std::string(13 - s.size(), '0') + s;
  return payload + static_cast<char>('0' + luhn_check_digit(payload));
}

struct bench_state {
  std::filesystem::path dir;
  std::unique_ptr<state> st;
  bench_state() {
    static std::atomic<int> n{0};
    dir = std::filesystem::temp_directory_path() /
          ("otaflow-storage-bench-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::filesystem::remove_all(dir);
    db_options o;
    o.dir = dir;
    auto s = state::open(o, secret::from(otaflow::bytes(32, 0x42)).value());
    if (s) st = std::move(*s);
  }
  ~bench_state() {
    st.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

void BM_counter_batch_synced(benchmark::State& bs) {
  bench_state b;
  if (!b.st) {
    bs.SkipWithError("cannot open state directory");
    return;
  }
  const auto n = static_cast<std::size_t>(bs.range(0));
  std::vector<std::string> ids;
  std::uint64_t base = 0;
  for (auto _ : bs) {
    bs.PauseTiming();
    // Fresh cards every round: the first read of each misses the cache, as
    // when a campaign reaches new cards.
    ids.clear();
    for (std::size_t i = 0; i < n; ++i) ids.push_back(make_iccid(++base));
    std::vector<counter_request> req;
    for (const auto& i : ids) req.push_back({i, 1});
    bs.ResumeTiming();
    auto r = b.st->counters().next(req);
    if (!r) bs.SkipWithError(r.error().message.c_str());
    benchmark::DoNotOptimize(r);
  }
  bs.SetItemsProcessed(bs.iterations() * static_cast<std::int64_t>(n));
}
BENCHMARK(BM_counter_batch_synced)->Arg(1)->Arg(100)->Arg(1000)->UseRealTime();

void BM_counter_batch_cached(benchmark::State& bs) {
  bench_state b;
  if (!b.st) {
    bs.SkipWithError("cannot open state directory");
    return;
  }
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < 1000; ++i) ids.push_back(make_iccid(i + 1));
  std::vector<counter_request> req;
  for (const auto& i : ids) req.push_back({i, 1});
  for (auto _ : bs) {
    auto r = b.st->counters().next(req);
    if (!r) bs.SkipWithError(r.error().message.c_str());
    benchmark::DoNotOptimize(r);
  }
  bs.SetItemsProcessed(bs.iterations() * 1000);
}
BENCHMARK(BM_counter_batch_cached)->UseRealTime();

void BM_job_updates(benchmark::State& bs) {
  bench_state b;
  if (!b.st) {
    bs.SkipWithError("cannot open state directory");
    return;
  }
  const bool sync = bs.range(0) != 0;
  std::vector<job_update> ups;
  std::vector<audit_event> evs;
  for (std::size_t i = 0; i < 1000; ++i) {
    job_record r;
    r.state = job_state::accepted;
    r.attempt = 1;
    r.started_ms = r.updated_ms = 1700000000000;
    r.counters = {i};
    r.message_id = "0a1b2c3d" + std::to_string(i);
    ups.push_back({"bench-campaign", make_iccid(i + 1), r});
    evs.push_back({1700000000000, "bench-campaign", make_iccid(i + 1), audit_type::state,
                   "submitting -> accepted"});
  }
  for (auto _ : bs) {
    auto s = b.st->jobs().commit(ups, evs, b.st->audit(), sync);
    if (!s) bs.SkipWithError(s.error().message.c_str());
  }
  bs.SetItemsProcessed(bs.iterations() * 1000);
}
BENCHMARK(BM_job_updates)->Arg(1)->Arg(0)->ArgName("sync")->UseRealTime();

// A campaign's journal: every batch is new cards (jobs keyed campaign+ICCID) and new audit
// records (increasing sequence numbers), so the memtables grow as in a real run; unsynced.
void BM_journal_growing(benchmark::State& bs) {
  bench_state b;
  if (!b.st) {
    bs.SkipWithError("cannot open state directory");
    return;
  }
  std::uint64_t next = 1;
  for (auto _ : bs) {
    bs.PauseTiming();
    std::vector<job_update> ups;
    std::vector<audit_event> evs;
    for (std::size_t i = 0; i < 1000; ++i, ++next) {
      job_record r;
      r.state = job_state::done;
      r.attempt = 1;
      r.started_ms = r.updated_ms = 1700000000000;
      r.counters = {next};
      ups.push_back({"bench-campaign", make_iccid(next), r});
      for (int k = 0; k < 4; ++k) {
        evs.push_back({1700000000000, "bench-campaign", make_iccid(next), audit_type::state,
                       R"({"state":"delivered","attempt":1,"counter":12})"});
      }
    }
    bs.ResumeTiming();
    auto s = b.st->jobs().commit(ups, evs, b.st->audit(), false);
    if (!s) bs.SkipWithError(s.error().message.c_str());
  }
  bs.SetItemsProcessed(bs.iterations() * 1000);
}
BENCHMARK(BM_journal_growing)->Iterations(1000)->UseRealTime();

}  // namespace
