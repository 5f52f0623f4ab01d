// The engine's job record through the real RocksDB job store (storage_job_store) and back, across
// a restart (the state directory closed and opened again): every field survives, so the
// subscriber state machine picks up a loaded job exactly where it stood. Before the engine and
// storage shared one record, a restart kept only the last counter (a late PoR of an earlier
// attempt was ignored) and lost the back-off's end (a job in retry_wait retried at once).

#include "actors/storage_ports.hpp"

#include <ostream>

#include <gtest/gtest.h>

#include "actors/subscriber_fsm.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

namespace otaflow::model {
// Readable failures: the fields, not the bytes.
void PrintTo(const job_record& j, std::ostream* os) {
  *os << "{" << to_string(j.state) << ", attempt " << j.attempt << ", resends " << j.resends
      << ", counters [";
  for (std::size_t i = 0; i < j.counters.size(); ++i) *os << (i ? " " : "") << j.counters[i];
  *os << "], message_id '" << j.message_id << "', por_status "
      << (j.por_status ? std::to_string(*j.por_status) : "-") << ", last_sw "
      << (j.last_sw ? std::to_string(*j.last_sw) : "-") << ", reason '" << j.reason
      << "', variant '" << j.variant << "', epoch " << j.timer_epoch << ", updated " << j.updated_ms
      << ", started " << j.started_ms << ", retry_at " << j.retry_at_ms << "}";
}
}  // namespace otaflow::model

namespace otaflow::actors {
namespace {

using storage::test::temp_dir;
using storage::test::test_kek;

constexpr const char* campaign = "fplmn-2024-06";
constexpr const char* iccid = "8988200000000000001";

std::unique_ptr<storage::state> open_state(const temp_dir& d) {
  storage::db_options o;
  o.dir = d.path();
  auto st = storage::state::open(o, test_kek());
  EXPECT_TRUE(st.ok()) << st.error().message;
  return std::move(st).value();
}

// Runs one event like the subscriber actor does: every act_persist becomes a saved update.
void step(storage_job_store& store, job_record& job, const job_event& ev, std::int64_t now,
          const job_policy& policy = {}) {
  for (const auto& a : transition(job, ev, policy, now)) {
    if (!std::holds_alternative<act_persist>(a)) continue;
    const job_update u{campaign, iccid, job};
    ASSERT_TRUE(store.save({&u, 1}, true).ok());
  }
}

// Stops the engine (closes the state directory) and starts it again: the job as stored.
job_record restart(std::unique_ptr<storage::state>& st, const temp_dir& d) {
  st.reset();
  st = open_state(d);
  storage_job_store store(*st);
  auto loaded = store.load(campaign, iccid);
  if (!loaded.ok() || !loaded->has_value()) {
    ADD_FAILURE() << "the job is not stored";
    return {};
  }
  return **loaded;
}

TEST(StoragePorts, LatePorOfAnEarlierAttemptCompletesTheJobAfterARestart) {
  temp_dir d;
  auto st = open_state(d);
  job_record job;
  std::int64_t now = 1'700'000'000'000;
  {
    storage_job_store store(*st);
    // Attempt 1 sends CNTR 5; no PoR comes in time. Attempt 2 sends CNTR 6.
    step(store, job, ev_start{}, ++now);
    step(store, job, ev_packaged{5}, ++now);
    step(store, job, ev_submit_ok{"msg-1"}, ++now);
    step(store, job, ev_por_timeout{job.timer_epoch}, now += 30'000);
    ASSERT_EQ(job.state, job_state::retry_wait);
    step(store, job, ev_retry_due{job.timer_epoch}, now += 5'000);
    step(store, job, ev_packaged{6}, ++now);
    step(store, job, ev_submit_ok{"msg-2"}, ++now);
    ASSERT_EQ(job.state, job_state::accepted);
    ASSERT_EQ(job.counters, (std::vector<std::uint64_t>{5, 6}));
  }

  auto loaded = restart(st, d);
  EXPECT_EQ(loaded, job);  // every field, not only the last counter
  storage_job_store store(*st);
  step(store, loaded, ev_start{}, ++now);  // resume: wait for the PoR again
  EXPECT_EQ(loaded.state, job_state::accepted);
  // The card answers the first packet after all: CNTR 5 proves the update.
  step(store, loaded, ev_por{5, 0x00, true, 0x9000, 1, 1}, ++now);
  EXPECT_EQ(loaded.state, job_state::done);
  EXPECT_EQ(loaded.por_status, std::optional<std::uint8_t>(0x00));
  auto stored = store.load(campaign, iccid);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->state, job_state::done);
}

TEST(StoragePorts, RetryWaitResumedAfterARestartWaitsTheRestOfItsBackoff) {
  temp_dir d;
  auto st = open_state(d);
  job_policy policy;
  policy.retry_base = duration{5'000};
  job_record job;
  std::int64_t now = 1'700'000'000'000;
  {
    storage_job_store store(*st);
    step(store, job, ev_start{}, ++now, policy);
    step(store, job, ev_packaged{5}, ++now, policy);
    step(store, job, ev_submit_ok{"msg-1"}, ++now, policy);
    step(store, job, ev_receipt{5, "001"}, ++now, policy);  // undeliverable: back off 5 s
    ASSERT_EQ(job.state, job_state::retry_wait);
    ASSERT_EQ(job.retry_at_ms, now + 5'000);
  }

  auto loaded = restart(st, d);
  EXPECT_EQ(loaded, job);
  // Up again 2 s later: 3 s of back-off are left.
  const auto acts = transition(loaded, ev_start{}, policy, now + 2'000);
  EXPECT_EQ(loaded.state, job_state::retry_wait);
  EXPECT_EQ(loaded.attempt, 1);
  ASSERT_EQ(acts.size(), 1u);
  const auto* t = std::get_if<act_arm_retry_timer>(&acts[0]);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->after, duration{3'000});
  (void)transition(loaded, ev_retry_due{t->epoch}, policy, now + 5'000);
  EXPECT_EQ(loaded.state, job_state::packaging);
  EXPECT_EQ(loaded.attempt, 2);
}

TEST(StoragePorts, EveryFieldOfTheRecordSurvivesTheStore) {
  temp_dir d;
  auto st = open_state(d);
  job_record j;
  j.state = job_state::delivered;
  j.attempt = 3;
  j.resends = 2;
  j.counters = {17, 18, 19, 0xFFFFFFFFFF};
  j.message_id = "3f2a9c01";
  j.por_status = 0x08;
  j.last_sw = 0x9000;
  j.reason = "no PoR within 30000 ms";
  j.variant = "uicc-aes";
  j.timer_epoch = 41;
  j.updated_ms = 1'700'000'123'456;
  j.started_ms = 1'700'000'000'001;
  j.retry_at_ms = 1'700'000'100'000;
  {
    storage_job_store store(*st);
    const job_update u{campaign, iccid, j};
    ASSERT_TRUE(store.save({&u, 1}, true).ok());
  }
  EXPECT_EQ(restart(st, d), j);
  storage_job_store store(*st);
  const std::vector<std::string_view> ids = {iccid, "8988200000000000019"};
  auto many = store.load_many(campaign, ids);
  ASSERT_TRUE(many.ok()) << many.error().message;
  ASSERT_EQ(many->size(), 2u);
  EXPECT_EQ((*many)[0], std::optional<job_record>(j));
  EXPECT_FALSE((*many)[1].has_value());
}

}  // namespace
}  // namespace otaflow::actors
