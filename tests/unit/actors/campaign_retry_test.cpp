// `campaign retry` (actors/campaign_retry.hpp) over a real RocksDB: which failed jobs are
// queued again, what their records keep and lose, the campaign's status, the summary and the
// one `control` audit record; refusals (cancelled, unknown campaign, malformed ICCID).

#include "actors/campaign_retry.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "actors/campaign_control.hpp"
#include "actors/subscriber_fsm.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

namespace otaflow::actors {
namespace {

using storage::test::open_state;
using storage::test::temp_dir;

constexpr const char* kA = "8988211000000000001";  // failed: wrong keyset
constexpr const char* kB = "8988211000000000002";  // failed: SMSC refused
constexpr const char* kC = "8988211000000000003";  // done
constexpr const char* kD = "8988211000000000004";  // failed: wrong keyset, keys pending
constexpr const char* kE = "8988211000000000005";  // failed: wrong keyset
constexpr const char* kWrongKeys = "attempts exhausted (3): PoR 01 RC/CC/DS failed";

job_record failed_job(const std::string& reason, std::vector<std::uint64_t> counters) {
  job_record j;
  j.attempt = 3;
  j.resends = 2;
  j.counters = std::move(counters);
  j.message_id = "m-42";
  j.por_status = 0x01;
  j.counter_skip_at = 1;
  j.timer_epoch = 7;
  j.started_ms = 1000;
  j.retry_at_ms = 0;
  j.reason = reason;
  j.state = job_state::queued;
  model::note_state_change(j, 1000);
  j.state = job_state::failed;
  model::note_state_change(j, 2000);
  return j;
}

class CampaignRetry : public ::testing::Test {
 protected:
  void SetUp() override {
    st_ = open_state(dir_.path());
    put_campaign(storage::campaign_status::done);
    job_record done;
    done.state = job_state::done;
    done.attempt = 1;
    const std::vector<storage::job_update> ups = {
        {"c1", kA, failed_job(kWrongKeys, {5, 6, 7})},
        {"c1", kB, failed_job("submit_sm refused: 0x00000045", {8})},
        {"c1", kC, done},
        {"c1", kD, failed_job(kWrongKeys, {9})},
        {"c1", kE, failed_job(kWrongKeys, {10})}};
    ASSERT_TRUE(st_->jobs().commit(ups, {}, st_->audit(), true).ok());
    storage::pending_auth_keys p;
    p.ki = storage::secret::from(bytes(16, 0xA0)).value();
    p.opc = storage::secret::from(bytes(16, 0xA1)).value();
    p.sequence = 1;
    rocksdb::WriteBatch b;
    ASSERT_TRUE(st_->keys().stage_pending(b, kD, "c1", p).ok());
    ASSERT_TRUE(st_->database().commit(b, true).ok());
  }

  void put_campaign(storage::campaign_status s) {
    storage::campaign_record c{"c1", s, "json", "{}", 1, 2};
    ASSERT_TRUE(st_->campaigns().put(c).ok());
  }

  job_record job(const char* iccid) {
    auto j = st_->jobs().get("c1", iccid);
    EXPECT_TRUE(j.ok() && j->has_value());
    return j.ok() && j->has_value() ? **j : job_record{};
  }

  std::vector<nlohmann::json> controls() {
    std::vector<nlohmann::json> out;
    EXPECT_TRUE(st_->audit()
                    .scan(1,
                          [&](const storage::audit_entry& e) {
                            if (e.event.type == storage::audit_type::control) {
                              out.push_back(nlohmann::json::parse(e.event.details));
                            }
                            return true;
                          })
                    .ok());
    return out;
  }

  storage::campaign_status status() {
    auto c = st_->campaigns().get("c1");
    EXPECT_TRUE(c.ok() && c->has_value());
    return (**c).status;
  }

  temp_dir dir_;
  std::unique_ptr<storage::state> st_;
};

TEST_F(CampaignRetry, QueuesEveryFailedJobAndAuditsOnce) {
  auto s = retry_failed_jobs(*st_, "c1", {}, "cli");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->queued, 3u);  // A, B, E; D keeps its pending keys, C is done
  EXPECT_EQ(s->by_reason.at(kWrongKeys), 2u);
  EXPECT_EQ(s->by_reason.at("submit_sm refused: 0x00000045"), 1u);
  EXPECT_EQ(s->not_failed, 1u);
  EXPECT_EQ(s->keys_uncertain, 1u);
  EXPECT_EQ(s->reason_not_matched, 0u);
  EXPECT_TRUE(s->not_found.empty());
  EXPECT_EQ(s->before, storage::campaign_status::done);
  EXPECT_EQ(s->after, storage::campaign_status::running);
  EXPECT_EQ(status(), storage::campaign_status::running);

  const auto a = job(kA);
  EXPECT_EQ(a.state, job_state::queued);
  EXPECT_EQ(a.attempt, 0u);
  EXPECT_EQ(a.resends, 0u);
  EXPECT_EQ(a.counters, (std::vector<std::uint64_t>{5, 6, 7}));  // counters never go back
  EXPECT_TRUE(a.message_id.empty());
  EXPECT_EQ(a.counter_skip_at, 0u);
  EXPECT_EQ(a.timer_epoch, 8u);
  EXPECT_EQ(a.started_ms, 0);
  EXPECT_FALSE(a.por_status.has_value());
  EXPECT_EQ(a.history[1].por_status, 0x01);  // the failure's PoR stays in its entry
  EXPECT_EQ(a.reason, std::string("retry requested by cli; failed: ") + kWrongKeys);
  ASSERT_EQ(a.history.size(), 3u);  // queued, failed, and the retry's queued
  EXPECT_EQ(a.history[1].state, job_state::failed);
  EXPECT_EQ(a.history[2].state, job_state::queued);
  EXPECT_EQ(a.history[2].attempt, 0u);
  EXPECT_EQ(job(kC).state, job_state::done);
  EXPECT_EQ(job(kD).state, job_state::failed);

  const auto c = controls();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0], nlohmann::json::parse(R"({"action":"retry","before":"done","after":"running",
      "by":"cli","queued":3})"));
  const auto j = retry_summary_json(*s);
  EXPECT_EQ(j["queued"], 3);
  EXPECT_EQ(j["status"], "running");
  EXPECT_EQ(j["by_reason"][kWrongKeys], 2);
  EXPECT_EQ(j["skipped"], nlohmann::json::parse(R"({"not_failed":1,"reason_not_matched":0,
      "keys_uncertain":1,"not_found":0})"));

  // A second retry finds nothing failed: nothing queued, the status stays.
  auto again = retry_failed_jobs(*st_, "c1", {}, "kafka");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->queued, 0u);
  EXPECT_EQ(again->not_failed, 4u);
  EXPECT_EQ(controls().size(), 2u);
}

TEST_F(CampaignRetry, TheNewAttemptHasTheWholeBudget) {
  ASSERT_TRUE(retry_failed_jobs(*st_, "c1", {}, "cli").ok());
  auto a = job(kA);
  job_policy policy;
  policy.max_attempts = 2;
  auto acts = transition(a, ev_start{}, policy, 5000);
  EXPECT_EQ(a.state, job_state::packaging);
  EXPECT_EQ(a.attempt, 1u);
  EXPECT_EQ(a.started_ms, 5000);
  ASSERT_FALSE(acts.empty());
  // A retriable failure of the first new attempt waits for a second one instead of failing.
  (void)transition(a, ev_packaged{11}, policy, 5001);
  (void)transition(a, ev_submit_failed{0x58, "throttled", true}, policy, 5002);
  EXPECT_EQ(a.state, job_state::retry_wait);
  EXPECT_EQ(a.counters.back(), 11u);
}

TEST_F(CampaignRetry, ByReasonAndByIccid) {
  auto s = retry_failed_jobs(*st_, "c1", {"0x00000045", {}}, "cli");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->queued, 1u);
  EXPECT_EQ(s->reason_not_matched, 3u);  // A, D, E: the keyset failures
  EXPECT_EQ(job(kB).state, job_state::queued);
  EXPECT_EQ(job(kA).state, job_state::failed);
  const auto c = controls();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]["reason"], "0x00000045");

  s = retry_failed_jobs(*st_, "c1", {"", {kA, kC, "8988211000000000099"}}, "http");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->queued, 1u);
  EXPECT_EQ(s->not_failed, 1u);
  EXPECT_EQ(s->not_found, (std::vector<std::string>{"8988211000000000099"}));
  EXPECT_EQ(job(kA).state, job_state::queued);
  EXPECT_EQ(job(kE).state, job_state::failed);
  EXPECT_EQ(controls().back()["iccids"], 3);
  EXPECT_EQ(controls().back()["by"], "http");
}

TEST_F(CampaignRetry, PausedStaysPausedCancelledIsRefused) {
  put_campaign(storage::campaign_status::paused);
  auto s = retry_failed_jobs(*st_, "c1", {}, "cli");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->queued, 3u);
  EXPECT_EQ(status(), storage::campaign_status::paused);

  put_campaign(storage::campaign_status::cancelled);
  auto r = retry_failed_jobs(*st_, "c1", {}, "cli");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, make_error_code(errc::conflict));
  EXPECT_NE(r.error().message.find("cancelled"), std::string::npos);

  auto unknown = retry_failed_jobs(*st_, "nope", {}, "cli");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, make_error_code(errc::not_found));
  EXPECT_NE(unknown.error().message.find("nope"), std::string::npos);

  auto bad = retry_failed_jobs(*st_, "c1", {"", {"12ab"}}, "cli");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, make_error_code(errc::bad_argument));
  EXPECT_NE(bad.error().message.find("12ab"), std::string::npos);
}

TEST_F(CampaignRetry, OwnedCardsOnly) {
  auto s = retry_failed_jobs(*st_, "c1", {}, "kafka",
                             [](std::string_view iccid) { return iccid == kE; });
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->queued, 1u);
  EXPECT_EQ(job(kE).state, job_state::queued);
  EXPECT_EQ(job(kA).state, job_state::failed);
}

TEST(CampaignRetryControl, ApplyControlRefusesRetry) {
  temp_dir d;
  auto st = open_state(d.path());
  storage::campaign_record c{"c1", storage::campaign_status::done, "json", "{}", 1, 2};
  ASSERT_TRUE(st->campaigns().put(c).ok());
  auto r = apply_control(*st, "c1", control_action::retry);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, make_error_code(errc::bad_argument));
}

}  // namespace
}  // namespace otaflow::actors
