// The engine when storage syncs fail (tests/unit/storage/sync_fault_fs.hpp): the real packet
// factory reserves counters in a RocksDB whose fsyncs fail, so no batch can be packaged. No
// packet leaves (the transport sees no submit), no status says a packet was sent, and every
// card fails after its retries with a reason naming the storage fault. Once the directory is
// opened again with working syncs, the packets carry counters above every one handed out
// before: none is reused.

#include <gtest/gtest.h>

#include "actors/campaign_def.hpp"
#include "actors/engine.hpp"
#include "actors/ota_packets.hpp"
#include "actors/storage_ports.hpp"
#include "secure/simd_backend.hpp"
#include "storage/api.hpp"
#include "tests/unit/actors/engine_fakes.hpp"
#include "tests/unit/storage/storage_test_util.hpp"
#include "tests/unit/storage/sync_fault_fs.hpp"

namespace otaflow::actors {
namespace {

using storage::test::sync_fault_fs;
constexpr int kCards = 5;

/// The given cards, in order.
class vector_cursor final : public target_cursor {
 public:
  explicit vector_cursor(std::vector<card_info> cards) : cards_(std::move(cards)) {}
  result<std::vector<card_info>> next(std::size_t n) override {
    std::vector<card_info> out;
    while (out.size() < n && i_ < cards_.size()) out.push_back(cards_[i_++]);
    return out;
  }

 private:
  std::vector<card_info> cards_;
  std::size_t i_ = 0;
};

class storage_fault : public ::testing::Test {
 protected:
  void SetUp() override {
    reopen();
    for (int i = 0; i < kCards; ++i) {
      card_info c = fakes::card(i);
      c.kic_key = *storage::secret::from(bytes(16, static_cast<std::uint8_t>(0x10 + i)));
      c.kid_key = *storage::secret::from(bytes(16, static_cast<std::uint8_t>(0x20 + i)));
      cards_.push_back(std::move(c));
    }
  }

  void reopen() {
    state_.reset();
    storage::db_options o;
    o.dir = dir_.path();
    o.block_cache_bytes = 8u << 20;
    o.env = sync_fault_fs::env(fs_);
    auto s = storage::state::open(o, storage::test::test_kek());
    ASSERT_TRUE(s.ok()) << s.error().message;
    state_ = std::move(*s);
  }

  static std::shared_ptr<campaign_ctx> campaign(const std::string& id) {
    auto def = campaign_from_toml("id = \"" + id + R"("
[security]
spi = "1629"
kic = "15"
kid = "15"
tar = "B00010"
[target]
all = true
[update]
files = [{ path = "3F00/7FFF/6F7B", data = "00F120FFFFFFFFFFFFFFFFFF" }]
[policy]
max_attempts = 2
retry_backoff = "5ms"
por_timeout = "100ms"
)");
    EXPECT_TRUE(def.ok()) << def.error().message;
    auto ctx = prepare_campaign(*def);
    EXPECT_TRUE(ctx.ok()) << ctx.error().message;
    return *ctx;
  }

  /// Runs a campaign over the cards with the real packet factory on state_; the journal
  /// writes to `store` (the in-memory fake unless given).
  result<campaign_summary> run(const std::string& id, fakes::engine_ports& p,
                               job_store* store = nullptr) {
    auto backend = secure::make_best_backend();
    ota_packet_factory factory(state_->counters(), *backend, state_.get());
    engine e(fakes::test_engine_options(), factory, p.tp, store ? *store : p.store, p.sink);
    return e.run(campaign(id), std::make_unique<vector_cursor>(cards_));
  }

  storage::test::temp_dir dir_;
  std::shared_ptr<sync_fault_fs> fs_ = std::make_shared<sync_fault_fs>();
  std::unique_ptr<storage::state> state_;
  std::vector<card_info> cards_;
};

TEST_F(storage_fault, NoPacketLeavesWhileCounterSyncsFailAndNoCounterIsReusedAfter) {
  // Counters handed out before the fault (an earlier campaign): 1 for every card.
  for (const auto& c : cards_) {
    const storage::counter_request r{c.iccid, 1};
    ASSERT_TRUE(state_->counters().next({&r, 1}).ok());
  }

  fakes::engine_ports failing;
  fs_->set_failing(true);
  auto s = run("c1", failing);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->failed, static_cast<std::uint64_t>(kCards));
  EXPECT_EQ(failing.tp.submits(), 0) << "a packet left without its counter being durable";
  EXPECT_GE(fs_->failed_syncs(), 1u);
  EXPECT_TRUE(failing.sink.one_terminal_each());
  EXPECT_EQ(failing.sink.terminal_count(), static_cast<std::size_t>(kCards));
  for (const auto& e : failing.sink.events()) {
    EXPECT_TRUE(e.state == job_state::queued || e.state == job_state::packaging ||
                e.state == job_state::retry_wait || e.state == job_state::failed)
        << e.iccid << " reached " << model::to_string(e.state) << " without a durable counter";
    if (e.state == job_state::failed) {
      EXPECT_NE(e.reason.find("packaging"), std::string::npos) << e.reason;
      EXPECT_NE(e.reason.find("injected fsync failure"), std::string::npos) << e.reason;
    }
  }
  for (const auto& c : cards_) {
    auto j = failing.store.get("c1", c.iccid);
    ASSERT_TRUE(j) << c.iccid;
    EXPECT_TRUE(j->counters.empty()) << c.iccid << ": a counter recorded for an unsent packet";
  }

  // Syncs work again; RocksDB keeps its error until the directory is opened again.
  fs_->set_failing(false);
  reopen();
  fakes::engine_ports healthy;
  auto again = run("c2", healthy);
  ASSERT_TRUE(again.ok()) << again.error().message;
  // The fakes' PoRs are not SCP80: rejected, so each card sends max_attempts packets.
  EXPECT_EQ(healthy.tp.submits(), 2 * kCards);
  for (const auto& c : cards_) {
    auto j = healthy.store.get("c2", c.iccid);
    ASSERT_TRUE(j) << c.iccid;
    ASSERT_EQ(j->counters.size(), 2u) << c.iccid;
    EXPECT_GT(j->counters[0], 1u) << c.iccid << ": counter reused";
    EXPECT_LT(j->counters[0], j->counters[1]) << c.iccid;
  }
}

// With the job store on the same failing directory, every synced save fails too, for good:
// RocksDB keeps the failed WAL sync as a background error until the directory is reopened, and
// storage classes that error permanent (storage/db.cpp rocksdb_error). The journal gives up on
// each row (actors/journal.cpp), fails its job naming the fault and raises an alert: the run
// ends, no packet left, and no status event was emitted for a state that is not durable.
TEST_F(storage_fault, RunEndsNamingTheFaultWhenTheJobStoreCannotSync) {
  fakes::engine_ports p;
  storage_job_store store(*state_);
  fs_->set_failing(true);
  auto s = run("c1", p, &store);
  if (s.ok()) {
    EXPECT_EQ(s->failed, static_cast<std::uint64_t>(kCards));
  } else {
    EXPECT_NE(s.error().message.find("injected fsync failure"), std::string::npos)
        << s.error().message;
  }
  EXPECT_EQ(p.tp.submits(), 0);
  EXPECT_TRUE(p.sink.events().empty()) << "status events of states that are not durable";
}

}  // namespace
}  // namespace otaflow::actors
