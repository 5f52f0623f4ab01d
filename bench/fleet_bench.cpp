// The virtual UICC fleet: OTA messages per second through fleet::deliver() (verify,
// decipher, counter, RFM script, secured PoR in the DELIVER-REPORT, state written to
// RocksDB) with 3DES and AES keysets, and the memory a changed card costs.
//
//   build/bench/fleet_bench --benchmark_counters_tabular=true
//
// Messages are secured before the timed loop (the engine's cost is not measured here).

#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "codec/ts23040_tpdu.hpp"
#include "codec/ts31115_sms.hpp"
#include "secure/scp80.hpp"
#include "sim/fleet.hpp"

namespace {

using namespace otaflow;
namespace fs = std::filesystem;

constexpr std::uint64_t fleet_size = 10'000'000;

struct message {
  std::string msisdn;
  bytes tpdu;
};

bytes deliver_tpdu(const bytes& tp_ud) {
  codec::tpdu::sms_deliver d;
  d.mms = true;
  d.udhi = true;
  d.oa = {codec::tpdu::ton::international, codec::tpdu::npi::isdn, "4670999999"};
  d.pid = codec::tpdu::pid_usim_data_download;
  d.dcs = codec::tpdu::dcs_8bit_class2_f;
  d.scts = {24, 1, 1, 0, 0, 0, 0};
  d.ud = tp_ud;
  return *codec::tpdu::encode(d);
}

/// `count` single-SM commands: cards 0..cards-1 in turn, counters rising per card.
std::vector<message> make_messages(std::size_t count, std::uint64_t cards, std::uint8_t kic_kid,
                                   const bytes& script) {
  auto der = sim::fleet_deriver::create("bench");
  std::vector<sim::card_identity> ids;
  for (std::uint64_t i = 0; i < cards; ++i) ids.push_back(der->card(i * 9973 % fleet_size));
  std::vector<message> out;
  out.reserve(count);
  for (std::size_t n = 0; n < count; ++n) {
    const auto& id = ids[n % cards];
    secure::command_params p;
    p.spi = *codec::decode_spi(0x1619);  // counter higher, ciphered, CC; PoR ciphered + CC
    p.kic = p.kid = kic_kid;
    p.tar = 0xB00011;
    p.counter = n / cards + 1;
    p.kic_key = id.keysets[0].kic;
    p.kid_key = id.keysets[0].kid;
    auto packet = secure::secure_command(p, script);
    auto uds = codec::command_to_tp_ud(*packet);
    out.push_back({id.msisdn, deliver_tpdu(uds->front())});
  }
  return out;
}

fs::path bench_dir(const char* name) {
  auto p = fs::temp_directory_path() /
           (std::string("otaflow_fleet_bench_") + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  return p;
}

void deliver_loop(benchmark::State& state, std::uint8_t kic_kid, bool persist) {
  const std::size_t count = 20000;
  // SELECT EF.SPN by FID and UPDATE its name: every message changes the card.
  const bytes script =
      hex("00a4000c026f46"
          "00d6000004"
          "014f5441");
  const auto msgs = make_messages(count, 1000, kic_kid, script);
  const fs::path dir = bench_dir(kic_kid == 0x15 ? "3des" : "aes");
  sim::fleet_options o;
  if (persist) o.state_dir = dir;
  auto f = sim::fleet::generated("bench", fleet_size, o);
  std::size_t i = 0, failed = 0;
  for (auto _ : state) {
    if (i == msgs.size()) {
      state.SkipWithError("message pool exhausted");
      break;
    }
    auto out = (*f)->deliver(msgs[i].msisdn, msgs[i].tpdu);
    if (out.result != sim::mt_outcome::kind::ack || out.deliver_report_tpdu.size() < 20) ++failed;
    ++i;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(i));
  state.counters["failed"] = static_cast<double>(failed);
  state.counters["cards"] = static_cast<double>((*f)->stats().cards_in_memory);
  f->reset();
  fs::remove_all(dir);
}

void BM_deliver_3des(benchmark::State& s) {
  deliver_loop(s, 0x15, true);
}
void BM_deliver_aes(benchmark::State& s) {
  deliver_loop(s, 0x12, true);
}
void BM_deliver_3des_no_store(benchmark::State& s) {
  deliver_loop(s, 0x15, false);
}
void BM_deliver_aes_no_store(benchmark::State& s) {
  deliver_loop(s, 0x12, false);
}
BENCHMARK(BM_deliver_3des)->Iterations(20000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_deliver_aes)->Iterations(20000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_deliver_3des_no_store)->Iterations(20000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_deliver_aes_no_store)->Iterations(20000)->Unit(benchmark::kMicrosecond);

/// Memory of changed cards: N cards each get one OTA UPDATE (one changed file, a counter,
/// a PoR status), kept in memory (no store, so nothing is evicted).
void BM_changed_card_memory(benchmark::State& state) {
  const auto cards = static_cast<std::uint64_t>(state.range(0));
  const bytes script =
      hex("00a4000c026f46"
          "00d6000004"
          "014f5441");
  const auto msgs = make_messages(cards, cards, 0x12, script);
  for (auto _ : state) {
    const auto before = mallinfo2().uordblks;
    auto f = sim::fleet::generated("bench", fleet_size);
    const auto empty = mallinfo2().uordblks;
    for (const auto& m : msgs) benchmark::DoNotOptimize((*f)->deliver(m.msisdn, m.tpdu));
    const auto after = mallinfo2().uordblks;
    const auto st = (*f)->stats();
    state.counters["fleet_heap_bytes"] = static_cast<double>(empty - before);
    state.counters["heap_per_card"] =
        static_cast<double>(after - empty) / static_cast<double>(cards);
    state.counters["approx_per_card"] =
        static_cast<double>(st.bytes_in_memory) / static_cast<double>(st.cards_in_memory);
    state.counters["cards"] = static_cast<double>(st.cards_in_memory);
  }
}
BENCHMARK(BM_changed_card_memory)->Arg(10000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
