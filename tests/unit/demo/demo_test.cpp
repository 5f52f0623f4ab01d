// demo/ as a library: the whole chain of `otaflow demo` on a small fleet, and the two
// benchmarks of `otaflow bench` on tiny workloads (their figures are not asserted, only that
// every message made it and the report says so).

#include "demo/demo.hpp"

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "demo/bench_crypto.hpp"
#include "demo/bench_sim.hpp"

namespace otaflow::demo {
namespace {

namespace fs = std::filesystem;

TEST(Demo, RunsEveryCardToATerminalStateAndReadsTheUpdateBackFromTheCards) {
  options o;
  o.cards = 150;
  o.unknown = 2;    // in the repository, not on the network: they fail
  o.absent = 0.05;  // stored and forwarded by the SMSC
  o.binds = 1;
  o.window = 64;
  fs::path dir;
  std::uint64_t imported = 0;
  hooks h;
  h.imported = [&](std::uint64_t cards, double, const fs::path& d) {
    imported = cards;
    dir = d;
  };
  auto r = run(o, h);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(imported, 152u);
  EXPECT_EQ(r->expected_cards, 152u);
  EXPECT_EQ(r->run.summary.cards, 152u);
  EXPECT_EQ(r->run.summary.done, 150u);
  EXPECT_EQ(r->run.summary.failed, 2u);
  EXPECT_EQ(r->verified, 150u);
  EXPECT_EQ(r->mismatched, 0u);
  EXPECT_TRUE(r->complete());
  EXPECT_GT(r->status_events, 2 * 152u);  // at least queued and a terminal state per card
  EXPECT_EQ(r->status_acked, r->status_events);
  EXPECT_EQ(r->smsc.pors, 150u);
  // The temporary state directory is gone, and the report says where it was.
  EXPECT_EQ(r->state_dir, dir);
  EXPECT_FALSE(dir.empty());
  EXPECT_FALSE(fs::exists(dir));

  const auto j = to_json(*r);
  EXPECT_EQ(j["verified_on_cards"], 150);
  EXPECT_EQ(j["not_updated_on_cards"], 0);
  EXPECT_EQ(j["cards"], 152);
  EXPECT_EQ(j["smsc"]["pors"], 150);
  EXPECT_EQ(j["status_events_acked_by_kafka"], j["status_events"]);
}

TEST(Demo, KeepsAStateDirectoryItWasGiven) {
  options o;
  o.cards = 20;
  o.unknown = 0;
  o.absent = 0;
  o.binds = 1;
  o.state_dir = fs::temp_directory_path() / ("otaflow-demo-test-" + std::to_string(::getpid()));
  fs::remove_all(o.state_dir);
  auto r = run(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->complete());
  EXPECT_EQ(r->verified, 20u);
  EXPECT_TRUE(fs::is_directory(o.state_dir / "engine"));
  EXPECT_TRUE(fs::is_directory(o.state_dir / "fleet"));
  fs::remove_all(o.state_dir);
}

TEST(Demo, RefusesAnEmptyFleet) {
  options o;
  o.cards = 0;
  auto r = run(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "--cards must be at least 1");
}

TEST(BenchSim, EveryMessageGetsItsPoR) {
  bench_sim_options o;
  o.messages = 300;
  // One message per card: with several per card in one window, the SMSC's parallel workers
  // may deliver a card's counter 3 before its 2, and the card answers 02 (counter low).
  o.fleet = 300;
  o.window = 50;
  o.in_memory = true;
  auto r = run_bench_sim(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->fleet_cards, 300u);
  EXPECT_EQ(r->window, 50u);
  EXPECT_EQ(r->pors, 300u);
  EXPECT_EQ(r->submit_errors, 0u);
  EXPECT_EQ(r->por_status[0x00], 300u);
  EXPECT_EQ(r->smsc_delivered, 300u);
  EXPECT_EQ(r->cards_changed, 300u);
  const auto j = to_json(*r);
  EXPECT_EQ(j["pors"], 300);
  EXPECT_EQ(j["por_status"], (nlohmann::ordered_json{{"00", 300}}));
  EXPECT_EQ(j["card_crypto"], "batch");
  EXPECT_EQ(j["persisted"], false);
}

TEST(BenchCrypto, BothBackendsAgreeAndAreMeasured) {
  bench_crypto_options o;
  o.batch = 64;
  o.seconds = 0.01;
  auto r = run_bench_crypto(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->message_octets, 140u);
  ASSERT_EQ(r->rates.size(), 2u);
  EXPECT_EQ(r->rates[0].algorithm, "3des");
  EXPECT_EQ(r->rates[1].algorithm, "aes128");
  for (const auto& rate : r->rates) {
    EXPECT_GT(rate.openssl_msgs_per_s, 0) << rate.algorithm;
    EXPECT_GT(rate.batch_msgs_per_s, 0) << rate.algorithm;
    EXPECT_DOUBLE_EQ(rate.ratio, rate.batch_msgs_per_s / rate.openssl_msgs_per_s);
  }
  const auto j = to_json(*r);
  EXPECT_TRUE(j.contains("3des") && j.contains("aes128"));
}

}  // namespace
}  // namespace otaflow::demo
