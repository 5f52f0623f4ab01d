// The Kafka service (service::serve) against librdkafka's mock cluster, a real RocksDB state
// and fakes for the SMSC and packaging: what it commits and when, back-pressure, the
// dead-letter topic, campaign and control events, and the status outbox. Every assertion is
// on what a Kafka client outside sees (committed offsets, records) or on the stored state.

#include <algorithm>

#include "kafka/events.hpp"
#include "tests/unit/service/serve_test_util.hpp"

namespace otaflow::service::test {
namespace {

using model::job_state;

// A trigger's offset is committed only once its job's `queued` record is durable, and only
// as part of the contiguous prefix of its partition: a later record done earlier waits.
TEST_F(service_fixture, ATriggerIsCommittedOnlyOnceItsQueuedRecordIsDurable) {
  start();
  define("c1");  // partition 0, offset 0
  ASSERT_TRUE(committed_becomes({1, -1001}));

  store.hold();
  send(0, trigger("c1", 0));  // 0@1: its queued record cannot become durable
  send(0, "not json");        // 0@2: done (dead-lettered) before 0@1
  send(1, "not json");        // 1@0: done
  send(1, trigger("c1", 1));  // 1@1: held like 0@1
  send(1, "not json");        // 1@2: done before 1@1

  // The dead-letter records are delivered and the journal sits in save(): everything that
  // can be done is, and the jobs exist in memory only.
  ASSERT_TRUE(eventually([&] { return probe_->read(cfg.kafka.dlq_topic, 1).size() == 3; }));
  ASSERT_TRUE(eventually([&] { return store.blocked() > 0; }));
  ASSERT_TRUE(committed_becomes({1, 1}));
  // Several commit intervals: nothing moves past a trigger that is not durable.
  const std::vector<std::int64_t> prefix{1, 1};
  EXPECT_TRUE(throughout([&] { return committed() == prefix; }, 600ms))
      << committed_becomes(prefix, 0ms).message();
  EXPECT_FALSE(job("c1", 0).has_value());
  EXPECT_FALSE(job("c1", 1).has_value());

  store.release();
  ASSERT_TRUE(committed_becomes({3, 3}));
  ASSERT_TRUE(job("c1", 0).has_value());
  ASSERT_TRUE(job("c1", 1).has_value());
  ASSERT_TRUE(eventually([&] { return job("c1", 1)->state == job_state::done; }));

  auto ended = stop();
  ASSERT_TRUE(ended.has_value());
  ASSERT_TRUE(ended->ok()) << ended->error().message;
  EXPECT_EQ((*ended)->triggers.records, 6u);
  EXPECT_EQ((*ended)->triggers.dead_lettered, 3u);
  EXPECT_EQ((*ended)->engine.started, 2u);
  // What was durable at the stop is committed, and nothing more is to come.
  EXPECT_EQ(committed(), (std::vector<std::int64_t>{3, 3}));
}

// Consumption pauses when max_waiting admissions wait for the window, and resumes once they
// drain; every trigger is then consumed, run and committed.
TEST_F(service_fixture, BackPressurePausesAtMaxWaitingAndResumesWhenTheyDrain) {
  constexpr int n = 20;
  cfg.service.window = 2;
  cfg.serve.max_waiting = 5;
  cfg.serve.resume_below = 0.6;  // resumes at 3 waiting
  cfg.serve.poll_batch = 1;      // one record between two looks at the load
  transport.hold(true);          // jobs stay in flight: the window stays full
  start();
  define("c1");
  for (int i = 0; i < n; ++i) send(0, trigger("c1", i));

  // Paused and staying so (a pause while the engine had not taken the first admissions yet
  // is followed by a resume once it has).
  std::uint64_t at_pause = 0;
  ASSERT_TRUE(eventually([&] {
    at_pause = ticks().records;
    return ticks().paused &&
           throughout([&] { return ticks().paused && ticks().records == at_pause; }, 300ms);
  })) << "records "
      << ticks().records << ", paused " << ticks().paused;
  // The campaign record, the window's 2 jobs and the admissions waiting: 5 when it paused, 4
  // if the engine took one more since (still above the resume mark, 3).
  EXPECT_GE(at_pause, 7u);
  EXPECT_LE(at_pause, 8u);
  EXPECT_TRUE(throughout([&] { return ticks().paused && ticks().records == at_pause; }, 300ms))
      << "records " << ticks().records << " while paused at " << at_pause;
  EXPECT_EQ(transport.submits(), 2);
  // The two jobs started are durable; the admissions waiting are not committed.
  EXPECT_TRUE(committed_becomes({3, -1001}));

  transport.hold(false);
  ASSERT_TRUE(committed_becomes({n + 1, -1001}, 30s)) << "records " << ticks().records;
  ASSERT_TRUE(
      eventually([&] { return job("c1", n - 1) && job("c1", n - 1)->state == job_state::done; }));
  // ticks() is the loop's last report: it may trail the commits by one tick (a loaded ASan
  // run saw 19 of 21), so wait for the report that counts every record.
  ASSERT_TRUE(eventually([&] { return ticks().records == static_cast<std::uint64_t>(n + 1); }))
      << "records " << ticks().records;
  const auto s = ticks();
  EXPECT_EQ(s.records, static_cast<std::uint64_t>(n + 1));
  EXPECT_GE(s.pauses, 1u);
  EXPECT_GE(s.resumes, 1u);
  EXPECT_FALSE(s.paused);
  EXPECT_EQ(transport.submits(), n);
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(job("c1", i).has_value()) << i;
    EXPECT_EQ(job("c1", i)->state, job_state::done) << i;
  }
}

// One-card triggers of one campaign read in a row from one partition are admitted together:
// one admission, one cursor and one durability wait for all of them. Here they are held for
// their unknown campaign and all taken in one go once it is defined; a record dead-lettered
// between them keeps its own offset and does not split them.
TEST_F(service_fixture, OneCardTriggersReadInARowAreAdmittedAsOneGroup) {
  constexpr int n = 20;
  cfg.serve.unknown_campaign_grace = 30s;
  start();
  for (int i = 0; i < n / 2; ++i) send(0, trigger("c1", i));  // 0@0..9
  send(0, "not json");                                        // 0@10
  for (int i = n / 2; i < n; ++i) send(0, trigger("c1", i));  // 0@11..20
  ASSERT_TRUE(eventually([&] { return ticks().held == static_cast<std::uint64_t>(n + 1); }))
      << "held " << ticks().held;
  define("c1", 1);  // 1@0
  ASSERT_TRUE(committed_becomes({n + 1, 1}));
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(eventually([&] { return job("c1", i) && job("c1", i)->state == job_state::done; }))
        << i;
  }
  ASSERT_TRUE(eventually([&] { return probe_->read(cfg.kafka.dlq_topic, 1).size() == 1; }));
  auto ended = stop();
  ASSERT_TRUE(ended.has_value());
  ASSERT_TRUE(ended->ok()) << ended->error().message;
  EXPECT_EQ((*ended)->engine.admissions, 1u);
  EXPECT_EQ((*ended)->engine.cards, static_cast<std::uint64_t>(n));
  EXPECT_EQ((*ended)->engine.started, static_cast<std::uint64_t>(n));
  EXPECT_EQ(transport.submits(), n);
}

// Records that cannot be used go to the dead-letter topic with their reason, topic,
// partition, offset and original bytes, and their offsets are committed.
TEST_F(service_fixture, MalformedRecordsAreDeadLetteredWithTheirReasonAndCommitted) {
  cfg.serve.unknown_campaign_grace = 300ms;
  start();
  define("c1");  // 0@0
  const std::string not_utf8("\xff\xfe{", 3);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"not json", "invalid JSON"},                                          // 0@1
      {R"({"type":"trigger","campaign":"c1"})", "iccid"},                    // 0@2
      {R"({"type":"trigger","campaign":"c1","iccid":"12"})", "iccid"},       // 0@3
      {R"({"type":"campaign","campaign":{"id":"c2"}})", "campaign 'c2': "},  // 0@4
      {R"({"type":"launch","campaign":"c1"})", "unknown type"},              // 0@5
      {not_utf8, ""},                                                        // 0@6
      {trigger("nope", 0), "campaign 'nope' is not defined"},                // 0@7
  };
  for (const auto& [payload, why] : bad) send(0, payload);
  send(0, trigger("c1", 0));  // 0@8: still served after all of them

  std::vector<record> dlq;
  ASSERT_TRUE(eventually([&] {
    dlq = probe_->read(cfg.kafka.dlq_topic, 1);
    return dlq.size() >= bad.size();
  }));
  ASSERT_EQ(dlq.size(), bad.size());
  for (std::size_t i = 0; i < bad.size(); ++i) {
    auto rec = kafka::parse_dlq_record(dlq[i].payload);
    ASSERT_TRUE(rec.ok()) << rec.error().message;
    EXPECT_EQ(rec->topic, cfg.kafka.triggers_topic);
    EXPECT_EQ(rec->partition, 0);
    EXPECT_EQ(rec->offset, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(rec->payload, bad[i].first);
    EXPECT_FALSE(rec->reason.empty()) << i;
    EXPECT_NE(rec->reason.find(bad[i].second), std::string::npos)
        << "record " << i << ": reason '" << rec->reason << "'";
  }
  ASSERT_TRUE(committed_becomes({9, -1001}));
  ASSERT_TRUE(eventually([&] { return job("c1", 0) && job("c1", 0)->state == job_state::done; }));
  EXPECT_EQ(status_of("c2"), "none");
  EXPECT_EQ(ticks().dead_lettered, bad.size());
}

// Campaign events define and update campaigns; pause holds new jobs durably queued, resume
// runs them, cancel fails the campaign's jobs and is final.
TEST_F(service_fixture, CampaignAndControlEventsAreApplied) {
  start();
  define("c1");
  EXPECT_EQ(status_of("c1"), "running");

  send(0, control("pause", "c1"));  // 0@1
  ASSERT_TRUE(eventually([&] { return status_of("c1") == "paused"; }));
  send(0, trigger("c1", 0));  // 0@2
  send(0, trigger("c1", 1));  // 0@3
  // Committed: their queued records are durable; nothing was sent.
  ASSERT_TRUE(committed_becomes({4, -1001}));
  ASSERT_TRUE(job("c1", 0).has_value());
  EXPECT_EQ(job("c1", 0)->state, job_state::queued);
  EXPECT_EQ(job("c1", 1)->state, job_state::queued);
  EXPECT_EQ(transport.submits(), 0);

  send(1, control("resume", "c1"));  // the other partition: the control reader reads all
  ASSERT_TRUE(eventually([&] {
    return job("c1", 0)->state == job_state::done && job("c1", 1)->state == job_state::done;
  })) << job_text("c1", 0)
      << " / " << job_text("c1", 1);
  EXPECT_EQ(status_of("c1"), "running");
  EXPECT_EQ(transport.submits(), 2);

  // An update keeps the status and replaces the stored definition.
  const auto before = state_->campaigns().get("c1");
  ASSERT_TRUE(before.ok() && before->has_value());
  send(0, campaign_event("c1", "25s"));
  ASSERT_TRUE(eventually([&] {
    auto c = state_->campaigns().get("c1");
    return c.ok() && c->has_value() && (*c)->definition != (*before)->definition;
  }));
  EXPECT_NE(state_->campaigns().get("c1").value()->definition.find("25"), std::string::npos);

  define("c2", 1);
  send(1, control("cancel", "c2"));
  ASSERT_TRUE(eventually([&] { return status_of("c2") == "cancelled"; }));
  send(1, trigger("c2", 5));
  send(1, control("resume", "c2"));  // cancel is final
  // c3's definition behind the resume in the partition: once c3 is stored, the resume was read.
  define("c3", 1);
  EXPECT_EQ(status_of("c2"), "cancelled");
  send(1, trigger("c2", 6));
  ASSERT_TRUE(eventually([&] { return job("c2", 6).has_value(); }));
  for (int card : {5, 6}) {
    ASSERT_TRUE(job("c2", card).has_value()) << card;
    EXPECT_EQ(job("c2", card)->state, job_state::failed) << card;
    EXPECT_EQ(job("c2", card)->reason, "cancelled: campaign cancelled") << card;
  }
  EXPECT_EQ(transport.submits(), 2);
}

// A retry event queues failed jobs again (those of its ICCID list, else all) and serve sends
// them: the cards end `done`, their histories keep the failure, one audit record per retry.
TEST_F(service_fixture, RetryEventsQueueFailedJobsAgain) {
  start();
  define("c1");
  transport.set_por_status(0x06);  // "unidentified security error": the card refuses
  send(0, trigger("c1", 0));
  send(0, trigger("c1", 1));
  ASSERT_TRUE(eventually([&] {
    return job("c1", 0)->state == job_state::failed && job("c1", 1)->state == job_state::failed;
  })) << job_text("c1", 0)
      << " / " << job_text("c1", 1);
  const int before = transport.submits();
  transport.set_por_status(0x00);  // the keys were fixed

  send(1, R"({"type":"retry","campaign":"c1","iccids":[")" + iccid(0) + R"("]})");
  ASSERT_TRUE(eventually([&] { return job("c1", 0)->state == job_state::done; }))
      << job_text("c1", 0);
  EXPECT_EQ(job("c1", 1)->state, job_state::failed);
  const auto h = job("c1", 0)->history;
  ASSERT_GE(h.size(), 3u);
  EXPECT_EQ(h.back().state, job_state::done);
  EXPECT_EQ(h.back().attempt, 1u);  // the new attempt's budget started again
  bool failed_then_queued = false;
  for (std::size_t i = 1; i < h.size(); ++i) {
    failed_then_queued |=
        h[i - 1].state == job_state::failed && h[i].state == job_state::queued && h[i].attempt == 0;
  }
  EXPECT_TRUE(failed_then_queued);

  send(0, control("retry", "c1"));
  ASSERT_TRUE(eventually([&] { return job("c1", 1)->state == job_state::done; }))
      << job_text("c1", 1);
  EXPECT_EQ(transport.submits(), before + 2);
  std::vector<nlohmann::json> retries;
  ASSERT_TRUE(state_->audit()
                  .scan(1,
                        [&](const storage::audit_entry& e) {
                          if (e.event.type != storage::audit_type::control) return true;
                          auto d = nlohmann::json::parse(e.event.details);
                          if (d["action"] == "retry") retries.push_back(d);
                          return true;
                        })
                  .ok());
  ASSERT_EQ(retries.size(), 2u);
  EXPECT_EQ(retries[0]["queued"], 1);
  EXPECT_EQ(retries[0]["iccids"], 1);
  EXPECT_EQ(retries[0]["by"], "kafka");
  EXPECT_EQ(retries[1]["queued"], 1);
}

// Status events leave through the outbox: none reaches the status topic while its state is
// not durable, even when the jobs have finished in memory; then every state change of every
// card does, keyed by ICCID, in order, each one stored before it was produced, and each one
// acknowledged back to the outbox (its watermark covers the whole audit log at the stop).
TEST_F(service_fixture, StatusEventsReachTheStatusTopicOnlyOnceTheirStateIsDurable) {
  constexpr int n = 5;
  const auto status_records = [&] {
    return probe_->read(cfg.kafka.status_topic, status_partitions);
  };
  start();
  define("c1");
  // One card through while nothing is held: the reader sees the topic as it fills.
  send(0, trigger("c1", 10));
  ASSERT_TRUE(eventually([&] {
    const auto recs = status_records();
    return std::any_of(recs.begin(), recs.end(), [](const record& r) {
      return r.payload.find(R"("state":"done")") != std::string::npos;
    });
  }));
  const auto before_hold = status_records().size();

  store.hold();
  for (int i = 0; i < n; ++i) send(i % 2, trigger("c1", i));
  // Every card answered its PoR: the jobs are done in memory, nothing of it is durable.
  ASSERT_TRUE(eventually([&] { return transport.answered() == n + 1; }));
  ASSERT_TRUE(eventually([&] { return store.blocked() > 0; }));
  EXPECT_TRUE(throughout([&] { return status_records().size() == before_hold; }, 500ms))
      << status_records().size() - before_hold << " status events while nothing was durable";

  store.release();
  const auto done_everywhere = [&] {
    std::map<std::string, std::string> last;
    for (const auto& r : status_records()) {
      auto ev = kafka::parse_status_event(r.payload);
      if (ev.ok()) last[ev->iccid] = model::to_string(ev->state);
    }
    return last.size() == n + 1 && std::all_of(last.begin(), last.end(),
                                               [](const auto& kv) { return kv.second == "done"; });
  };
  ASSERT_TRUE(eventually(done_everywhere));
  auto ended = stop();
  ASSERT_TRUE(ended.has_value() && ended->ok());

  std::map<std::string, std::vector<std::string>> states;  // by ICCID, in topic order
  const auto recs = status_records();
  for (const auto& r : recs) {
    auto ev = kafka::parse_status_event(r.payload);
    ASSERT_TRUE(ev.ok()) << r.payload;
    EXPECT_EQ(r.key, ev->iccid);
    EXPECT_EQ(ev->campaign, "c1");
    // Produced after the store underneath the gate had this very state change.
    const std::string name(model::to_string(ev->state));
    EXPECT_TRUE(store.was_saved(ev->iccid, ev->state)) << ev->iccid << " " << name;
    states[ev->iccid].push_back(name);
  }
  for (int i : {0, 1, 2, 3, 4, 10}) {
    const auto& seq = states[iccid(i)];
    ASSERT_FALSE(seq.empty()) << i;
    EXPECT_EQ(seq.front(), "queued") << i;
    EXPECT_EQ(seq.back(), "done") << i;
    EXPECT_EQ(std::count(seq.begin(), seq.end(), "done"), 1) << i;
    EXPECT_EQ(job("c1", i)->state, job_state::done) << i;
  }
  // Every state change is in the audit log (the outbox's durable copy) and was acknowledged.
  EXPECT_EQ((*ended)->status_watermark, state_->audit().next_seq() - 1);
  EXPECT_GE((*ended)->status_watermark, recs.size());
}

}  // namespace
}  // namespace otaflow::service::test
