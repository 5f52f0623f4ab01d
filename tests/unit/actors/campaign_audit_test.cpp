// Campaign control and alerts in the audit log: apply_control writes one `control` record per
// action (before, after, who asked, the jobs a cancel failed), audit_alert one `alert` record;
// audit_log::scan reads them back in order.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "actors/campaign_control.hpp"
#include "actors/campaign_runner.hpp"
#include "base/principal.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

namespace otaflow::actors {
namespace {

using storage::test::open_state;
using storage::test::temp_dir;

std::vector<storage::audit_entry> all_records(storage::state& st) {
  std::vector<storage::audit_entry> out;
  EXPECT_TRUE(st.audit()
                  .scan(1,
                        [&](const storage::audit_entry& e) {
                          out.push_back(e);
                          return true;
                        })
                  .ok());
  return out;
}

TEST(CampaignAudit, ControlAndAlertRecords) {
  temp_dir d;
  auto st = open_state(d.path());
  storage::campaign_record c{"c1", storage::campaign_status::running, "json", "{}", 1, 2};
  ASSERT_TRUE(st->campaigns().put(c).ok());
  model::job_record open;
  open.state = model::job_state::retry_wait;
  const std::vector<storage::job_update> ups = {{"c1", "8988211000000000001", open}};
  ASSERT_TRUE(st->jobs().commit(ups, {}, st->audit(), true).ok());

  ASSERT_TRUE(apply_control(*st, "c1", control_action::pause).ok());
  ASSERT_TRUE(apply_control(*st, "c1", control_action::resume).ok());
  auto cancelled = apply_control(*st, "c1", control_action::cancel);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->jobs_failed, 1u);
  alert a;
  a.campaign = "c1";
  a.kind = alert_kind::por_error;
  a.message = "PoR 01 on 60 of 100 PoRs";
  a.ts_ms = 1700000000000;
  a.sample = 100;
  a.count = 60;
  ASSERT_TRUE(audit_alert(*st, a).ok());

  std::vector<nlohmann::json> controls;
  std::vector<storage::audit_entry> alerts;
  std::uint64_t last_seq = 0;
  for (const auto& e : all_records(*st)) {
    EXPECT_GT(e.seq, last_seq);
    last_seq = e.seq;
    if (e.event.type == storage::audit_type::control) {
      EXPECT_EQ(e.event.campaign, "c1");
      controls.push_back(nlohmann::json::parse(e.event.details));
    }
    if (e.event.type == storage::audit_type::alert) alerts.push_back(e);
  }
  ASSERT_EQ(controls.size(), 3u);
  // Who asked: the OS user of this process (base/principal.hpp), then the rest exactly.
  for (auto& c : controls) {
    EXPECT_EQ(c["who"], os_principal());
    c.erase("who");
  }
  EXPECT_EQ(controls[0],
            nlohmann::json::parse(
                R"({"action":"pause","before":"running","after":"paused","by":"cli"})"));
  EXPECT_EQ(controls[1]["action"], "resume");
  EXPECT_EQ(controls[1]["before"], "paused");
  EXPECT_EQ(controls[2], nlohmann::json::parse(R"({"action":"cancel","before":"running",
      "after":"cancelled","by":"cli","jobs_failed":1})"));
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].event.time_ms, 1700000000000);
  const auto j = nlohmann::json::parse(alerts[0].event.details);
  EXPECT_EQ(j["kind"], "por_error");
  EXPECT_EQ(j["message"], "PoR 01 on 60 of 100 PoRs");
  EXPECT_EQ(j["count"], 60);
  EXPECT_EQ(storage::name(storage::audit_type::control), "control");
  EXPECT_EQ(storage::name(storage::audit_type::alert), "alert");

  // scan stops when told to, from the sequence number given.
  std::vector<std::uint64_t> seen;
  ASSERT_TRUE(st->audit()
                  .scan(2,
                        [&](const storage::audit_entry& e) {
                          seen.push_back(e.seq);
                          return seen.size() < 2;
                        })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{2, 3}));
}

// A request file names who asked (an HTTP token of `campaign run`'s API, here): the run that
// applies it audits that requester, not its own user.
TEST(CampaignAudit, ARequestFileCarriesWhoAskedIntoTheAuditRecord) {
  temp_dir d;
  auto st = open_state(d.path());
  storage::campaign_record c{"c1", storage::campaign_status::running, "json", "{}", 1, 2};
  ASSERT_TRUE(st->campaigns().put(c).ok());
  ASSERT_TRUE(write_control_request(d.path(), "c1", control_action::pause,
                                    {"http", "ops-alice", "10.0.0.7"})
                  .ok());
  // A field that could break a log line or a record is left out, not written.
  ASSERT_TRUE(
      write_control_request(d.path(), "c1", control_action::resume, {"cli", "ro\not", {}}).ok());
  auto reqs = pending_control_requests(d.path());
  ASSERT_EQ(reqs.size(), 2u);
  const auto& pause = reqs[0].action == control_action::pause ? reqs[0] : reqs[1];
  const auto& resume = reqs[0].action == control_action::pause ? reqs[1] : reqs[0];
  EXPECT_EQ(pause.origin.by, "http");
  EXPECT_EQ(pause.origin.who, "ops-alice");
  EXPECT_EQ(pause.origin.from, "10.0.0.7");
  EXPECT_EQ(resume.origin.by, "cli");
  EXPECT_EQ(resume.origin.who, "");
  EXPECT_EQ(model::describe(pause.origin), "http token 'ops-alice' from 10.0.0.7");

  ASSERT_TRUE(apply_control(*st, "c1", pause.action, pause.origin).ok());
  // Relayed through Kafka by a serve instance: "via" says so.
  ASSERT_TRUE(
      audit_control(*st, "c1", control_action::resume,
                    {storage::campaign_status::paused, storage::campaign_status::running, 0},
                    {"http", "ops-bob", "::1"}, "kafka")
          .ok());
  std::vector<nlohmann::json> controls;
  for (const auto& e : all_records(*st)) {
    if (e.event.type == storage::audit_type::control) {
      controls.push_back(nlohmann::json::parse(e.event.details));
    }
  }
  ASSERT_EQ(controls.size(), 2u);
  EXPECT_EQ(controls[0], nlohmann::json::parse(R"({"action":"pause","before":"running",
      "after":"paused","by":"http","who":"ops-alice","from":"10.0.0.7"})"));
  EXPECT_EQ(controls[1], nlohmann::json::parse(R"({"action":"resume","before":"paused",
      "after":"running","by":"http","who":"ops-bob","from":"::1","via":"kafka"})"));
}

}  // namespace
}  // namespace otaflow::actors
