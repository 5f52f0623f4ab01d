// campaign_tally: live counts from status events equal a scan of the store the events
// describe, including events whose state the load's scan already held.

#include "service/campaign_tally.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/unit/storage/storage_test_util.hpp"

namespace otaflow::service {
namespace {

using model::job_state;
using storage::test::make_iccid;
using storage::test::temp_dir;

constexpr std::int64_t kNow = 1'700'000'000'000;

struct recording_sink final : actors::status_sink {
  std::vector<actors::status_event> seen;
  void emit(std::span<const actors::status_event> events) override {
    seen.insert(seen.end(), events.begin(), events.end());
  }
};

// The store and the events move together, as the journal does: save, then emit.
struct harness {
  temp_dir dir;
  std::unique_ptr<storage::state> st = storage::test::open_state(dir.path());
  recording_sink next;
  campaign_tally tally{&next};

  storage::job_update update(std::uint64_t serial, job_state s, std::int64_t ts,
                             std::optional<std::uint8_t> por = std::nullopt,
                             std::string reason = "") {
    storage::job_update u;
    u.campaign_id = "c1";
    u.iccid = make_iccid(serial);
    u.record.state = s;
    u.record.attempt = 1;
    u.record.variant = serial % 2 ? "odd" : "even";
    u.record.por_status = por;
    u.record.reason = std::move(reason);
    u.record.updated_ms = ts;
    u.record.started_ms = ts;
    return u;
  }
  void save(const std::vector<storage::job_update>& us) {
    ASSERT_TRUE(st->jobs().commit(us, {}, st->audit(), true).ok());
  }
  void emit(const std::vector<storage::job_update>& us) {
    std::vector<actors::status_event> es;
    for (const auto& u : us) {
      es.push_back({u.campaign_id, u.iccid, u.record.state, u.record.attempt, u.record.por_status,
                    u.record.reason, u.record.variant, u.record.updated_ms});
    }
    tally.emit(es);
  }
  void step(const std::vector<storage::job_update>& us) {
    save(us);
    emit(us);
  }
  // Live counts equal a fresh scan's.
  void expect_same(std::int64_t now) {
    auto live = tally.counts("c1", now);
    ASSERT_TRUE(live.has_value());
    auto scan = count_jobs(*st, "c1", now);
    ASSERT_TRUE(scan.ok()) << scan.error().message;
    EXPECT_EQ(live->cards, scan->cards);
    EXPECT_EQ(live->by_state, scan->by_state);
    EXPECT_EQ(live->by_variant, scan->by_variant);
    EXPECT_EQ(live->por_status, scan->por_status);
    EXPECT_EQ(live->failure_reasons, scan->failure_reasons);
    EXPECT_EQ(live->last_updated_ms, scan->last_updated_ms);
    EXPECT_EQ(live->terminal_last_minute, scan->terminal_last_minute);
  }
};

TEST(CampaignTally, LiveCountsFollowTheEventsAsAScanWould) {
  harness h;
  ASSERT_TRUE(h.st);
  storage::campaign_record c;
  c.id = "c1";
  c.format = "json";
  c.definition = "{}";
  ASSERT_TRUE(h.st->campaigns().put(c).ok());
  // Before the load: two cards ended long ago, one waits for its PoR.
  h.save({h.update(1, job_state::done, kNow - 600'000, 0x00),
          h.update(2, job_state::failed, kNow - 500'000, 0x01, "PoR 01"),
          h.update(3, job_state::accepted, kNow - 400'000)});
  ASSERT_TRUE(h.tally.load(*h.st, "c1", kNow).ok());
  EXPECT_TRUE(h.tally.counts_campaign("c1"));
  EXPECT_FALSE(h.tally.counts("c2", kNow).has_value());
  h.expect_same(kNow);

  // Card 3 gets its PoR; new cards 4..9 start and move on; 5 retries after a PoR 01.
  h.step({h.update(3, job_state::done, kNow + 1'000, 0x00)});
  for (std::uint64_t i = 4; i < 10; ++i) h.step({h.update(i, job_state::packaging, kNow + 2'000)});
  h.step({h.update(4, job_state::accepted, kNow + 3'000),
          h.update(5, job_state::retry_wait, kNow + 3'000, 0x01, "PoR 01"),
          h.update(6, job_state::skipped, kNow + 3'000, std::nullopt, "no rule")});
  h.expect_same(kNow + 3'000);
  h.step({h.update(4, job_state::done, kNow + 4'000, 0x00),
          h.update(5, job_state::done, kNow + 5'000, 0x00),
          h.update(7, job_state::failed, kNow + 5'000, std::nullopt, "no MSISDN")});
  h.expect_same(kNow + 5'000);
  auto live = h.tally.counts("c1", kNow + 5'000);
  ASSERT_TRUE(live);
  EXPECT_EQ(live->cards, 9u);
  EXPECT_EQ(live->by_state.at(job_state::done), 4u);
  EXPECT_EQ(live->by_state.at(job_state::packaging), 2u);
  EXPECT_EQ(live->por_status.at(0x00), 4u);
  EXPECT_EQ(live->por_status.at(0x01), 1u);
  EXPECT_EQ(live->terminal_last_minute, 5u);  // 3, 4, 5, 6, 7
  // A minute later the rate window is empty, the counts stay.
  EXPECT_EQ(h.tally.counts("c1", kNow + 70'000)->terminal_last_minute, 0u);
  // Every event went on to the next sink, counted or not.
  EXPECT_EQ(h.next.seen.size(), 13u);
}

TEST(CampaignTally, EventsTheLoadAlreadySawAreNotCountedTwice) {
  harness h;
  ASSERT_TRUE(h.st);
  h.save({h.update(1, job_state::accepted, kNow - 1'000)});
  // Saved before the load, emitted after it (the journal's save-then-emit gap).
  const auto racing =
      std::vector<storage::job_update>{h.update(1, job_state::done, kNow - 500, 0x00),
                                       h.update(2, job_state::done, kNow - 400, 0x00),
                                       h.update(3, job_state::packaging, kNow - 300)};
  h.save(racing);
  ASSERT_TRUE(h.tally.load(*h.st, "c1", kNow).ok());
  h.emit(racing);
  h.expect_same(kNow);
  EXPECT_EQ(h.tally.counts("c1", kNow)->cards, 3u);
  // Later events of the same cards count.
  h.step({h.update(3, job_state::done, kNow + 100, 0x00)});
  h.expect_same(kNow + 100);
  EXPECT_EQ(h.tally.counts("c1", kNow + 100)->by_state.at(job_state::done), 3u);
}

TEST(CampaignTally, DetailUsesTheLiveCountsWhenTheCampaignIsCounted) {
  harness h;
  ASSERT_TRUE(h.st);
  storage::campaign_record c;
  c.id = "c1";
  c.format = "json";
  c.definition = "{}";
  ASSERT_TRUE(h.st->campaigns().put(c).ok());
  h.save({h.update(1, job_state::done, kNow - 1'000, 0x00)});
  auto scan = campaign_detail(*h.st, "c1", kNow, &h.tally);  // not loaded: a scan
  ASSERT_TRUE(scan.ok() && scan->has_value());
  EXPECT_EQ((**scan)["counts_source"], "scan");
  ASSERT_TRUE(h.tally.load(*h.st, "c1", kNow).ok());
  h.step({h.update(2, job_state::done, kNow + 10, 0x00)});
  auto live = campaign_detail(*h.st, "c1", kNow + 10, &h.tally);
  ASSERT_TRUE(live.ok() && live->has_value());
  EXPECT_EQ((**live)["counts_source"], "live");
  EXPECT_EQ((**live)["done"], 2);
  auto rescan = campaign_detail(*h.st, "c1", kNow + 10);
  ASSERT_TRUE(rescan.ok() && rescan->has_value());
  auto a = **live, b = **rescan;
  a.erase("counts_source");
  b.erase("counts_source");
  a.erase("started_ms");  // live: the first event's time; scan: the job's started_ms
  b.erase("started_ms");
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace otaflow::service
