// What a campaign view costs (service/campaign_view.hpp, docs/CAMPAIGNS.md "Cost"): one
// campaign of N jobs (90 % done, 10 % accepted) in a real RocksDB, flushed, then
//  - BM_detail_scan: campaign_detail by a scan that decodes every job;
//  - BM_list_scan: campaign_list (the state octet of each job);
//  - BM_detail_live: campaign_detail from campaign_tally's live counts (loaded once).
// Items/s = jobs counted per second.

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "service/campaign_tally.hpp"
#include "service/campaign_view.hpp"
#include "storage/api.hpp"

namespace {

using namespace otaflow;

constexpr std::int64_t kNow = 1'700'000'000'000;

struct campaign_dir {
  std::filesystem::path dir;
  std::unique_ptr<storage::state> st;
  explicit campaign_dir(std::uint64_t jobs) {
    static std::atomic<int> n{0};
    dir = std::filesystem::temp_directory_path() /
          ("otaflow-view-bench-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::filesystem::remove_all(dir);
    storage::db_options o;
    o.dir = dir;
    auto s = storage::state::open(o, storage::secret::from(bytes(32, 0x42)).value());
    if (!s) return;
    st = std::move(*s);
    storage::campaign_record c;
    c.id = "big";
    c.format = "json";
    c.definition = "{}";
    if (!st->campaigns().put(c).ok()) st.reset();
    std::vector<storage::job_update> batch;
    for (std::uint64_t i = 0; st && i < jobs; ++i) {
      storage::job_update u;
      u.campaign_id = "big";
      u.iccid = std::to_string(8'900'000'000'000'000'000ULL + i);
      u.record.state = i % 10 == 0 ? model::job_state::accepted : model::job_state::done;
      u.record.attempt = 1;
      u.record.counters = {i};
      u.record.message_id = std::to_string(i);
      if (i % 10 != 0) u.record.por_status = 0;
      u.record.variant = "default";
      u.record.updated_ms = kNow - 3'600'000 + static_cast<std::int64_t>(i);
      u.record.started_ms = u.record.updated_ms - 100;
      batch.push_back(std::move(u));
      if (batch.size() == 10'000 || i + 1 == jobs) {
        if (!st->jobs().commit(batch, {}, st->audit(), false).ok()) st.reset();
        batch.clear();
      }
    }
    if (st && !st->database().flush().ok()) st.reset();
  }
  ~campaign_dir() {
    st.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

void BM_detail_scan(benchmark::State& bs) {
  campaign_dir d(static_cast<std::uint64_t>(bs.range(0)));
  if (!d.st) return bs.SkipWithError("cannot fill the state directory");
  for (auto _ : bs) {
    auto v = service::campaign_detail(*d.st, "big", kNow);
    if (!v || !v->has_value()) return bs.SkipWithError("no view");
    benchmark::DoNotOptimize(v);
  }
  bs.SetItemsProcessed(bs.iterations() * bs.range(0));
}

void BM_list_scan(benchmark::State& bs) {
  campaign_dir d(static_cast<std::uint64_t>(bs.range(0)));
  if (!d.st) return bs.SkipWithError("cannot fill the state directory");
  for (auto _ : bs) {
    auto v = service::campaign_list(*d.st);
    if (!v) return bs.SkipWithError("no list");
    benchmark::DoNotOptimize(v);
  }
  bs.SetItemsProcessed(bs.iterations() * bs.range(0));
}

void BM_detail_live(benchmark::State& bs) {
  campaign_dir d(static_cast<std::uint64_t>(bs.range(0)));
  if (!d.st) return bs.SkipWithError("cannot fill the state directory");
  service::campaign_tally tally;
  if (!tally.load(*d.st, "big", kNow).ok()) return bs.SkipWithError("cannot load");
  for (auto _ : bs) {
    auto v = service::campaign_detail(*d.st, "big", kNow, &tally);
    if (!v || !v->has_value()) return bs.SkipWithError("no view");
    benchmark::DoNotOptimize(v);
  }
  bs.SetItemsProcessed(bs.iterations() * bs.range(0));
}

BENCHMARK(BM_detail_scan)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_list_scan)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_detail_live)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);

}  // namespace
