// Campaigns, jobs and the audit log: atomic batches, resume listing, sequence.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "storage_test_util.hpp"

namespace otaflow::storage {
namespace {

using test::make_iccid;
using test::open_state;
using test::temp_dir;

job_record rec(job_state s, std::uint16_t attempt = 1) {
  job_record r;
  r.state = s;
  r.attempt = attempt;
  r.created_ms = 1700000000000;
  r.updated_ms = 1700000000500;
  return r;
}

TEST(CampaignStore, PutGetStatusList) {
  temp_dir d;
  auto st = open_state(d.path());
  campaign_record c{
      "rotate-2024.q1", campaign_status::paused, "toml", "[campaign]\nname = \"x\"\n", 1, 2};
  ASSERT_TRUE(st->campaigns().put(c).ok());
  auto got = st->campaigns().get(c.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, c);
  ASSERT_TRUE(st->campaigns().set_status(c.id, campaign_status::running).ok());
  EXPECT_EQ((*st->campaigns().get(c.id))->status, campaign_status::running);
  EXPECT_EQ(st->campaigns().set_status("nope", campaign_status::done).error().code,
            make_error_code(errc::not_found));
  c.id = "bad\0id";
  c.id.push_back('\0');
  EXPECT_FALSE(st->campaigns().put(c).ok());
  c.id = "other";
  c.format = "yaml";
  EXPECT_FALSE(st->campaigns().put(c).ok());
  c.format = "json";
  ASSERT_TRUE(st->campaigns().put(c).ok());
  auto all = st->campaigns().list();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "other");
  EXPECT_EQ(*parse_campaign_status("cancelled"), campaign_status::cancelled);
  EXPECT_FALSE(parse_campaign_status("stopped").ok());
}

TEST(JobStore, UpdatesAndAuditCommitInOneBatch) {
  temp_dir d;
  auto st = open_state(d.path(), test::test_kek(), true);
  std::vector<job_update> ups;
  std::vector<audit_event> evs;
  for (int i = 1; i <= 3; ++i) {
    ups.push_back({"c1", make_iccid(i), rec(job_state::submitted)});
    evs.push_back({1700000000000 + i, "c1", make_iccid(i), audit_type::submit, "attempt 1"});
  }
  const auto commits = st->database().commits();
  const auto syncs = st->database().wal_syncs();
  ASSERT_TRUE(st->jobs().commit(ups, evs, st->audit(), true).ok());
  EXPECT_EQ(st->database().commits(), commits + 1);
  EXPECT_EQ(st->database().wal_syncs(), syncs + 1);
  for (int i = 1; i <= 3; ++i) {
    auto j = st->jobs().get("c1", make_iccid(i));
    ASSERT_TRUE(j.ok() && j->has_value());
    EXPECT_EQ((*j)->state, job_state::submitted);
  }
  auto log = st->audit().read(0, 10);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ((*log)[0].seq, 1u);
  EXPECT_EQ((*log)[2].seq, 3u);
  EXPECT_EQ((*log)[1].event, evs[1]);

  // A batch with one invalid update writes nothing: neither jobs nor audit.
  ups = {{"c1", make_iccid(1), rec(job_state::done)},
         {"bad id", make_iccid(2), rec(job_state::done)}};
  evs = {{0, "c1", make_iccid(1), audit_type::state, "done"}};
  EXPECT_FALSE(st->jobs().commit(ups, evs, st->audit(), true).ok());
  EXPECT_EQ((*st->jobs().get("c1", make_iccid(1)))->state, job_state::submitted);
  EXPECT_EQ(*st->audit().count(), 3u);
}

TEST(JobStore, ManyJobsInOneReadAnswerAsOneAtATime) {
  temp_dir d;
  auto st = open_state(d.path());
  std::vector<job_update> ups = {{"c1", make_iccid(2), rec(job_state::done, 2)},
                                 {"c1", make_iccid(5), rec(job_state::delivered)},
                                 {"c2", make_iccid(3), rec(job_state::failed, 3)}};
  ASSERT_TRUE(st->jobs().commit(ups, {}, st->audit(), false).ok());
  const std::vector<std::string> ids = {make_iccid(5), make_iccid(3), make_iccid(2), make_iccid(9)};
  const std::vector<std::string_view> views(ids.begin(), ids.end());
  auto got = st->jobs().get_many("c1", views);
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_EQ(got->size(), 4u);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto one = st->jobs().get("c1", ids[i]);
    ASSERT_TRUE(one.ok());
    EXPECT_EQ((*got)[i], *one) << i;
  }
  EXPECT_EQ((*got)[0]->state, job_state::delivered);
  EXPECT_FALSE((*got)[1].has_value());  // card 3's job is c2's
  EXPECT_EQ((*got)[2]->attempt, 2);
  EXPECT_FALSE((*got)[3].has_value());
  EXPECT_TRUE(st->jobs().get_many("c1", {})->empty());
}

TEST(JobStore, ListActiveJobsForResumeAndCountByState) {
  temp_dir d;
  auto st = open_state(d.path());
  std::vector<job_update> ups;
  for (int i = 1; i <= 250; ++i) {
    const auto s = i % 5 == 0   ? job_state::done
                   : i % 7 == 0 ? job_state::failed
                                : job_state::accepted;
    ups.push_back({"camp", make_iccid(i), rec(s)});
  }
  ups.push_back({"camp2", make_iccid(1), rec(job_state::queued)});
  ups.push_back({"cam", make_iccid(1), rec(job_state::queued)});  // a prefix of "camp"
  ASSERT_TRUE(st->jobs().commit(ups, {}, st->audit(), false).ok());

  std::vector<std::string> active;
  std::string after;
  for (;;) {
    auto p = st->jobs().list("camp", after, 16, /*active_only=*/true);
    ASSERT_TRUE(p.ok());
    for (auto& e : p->items) {
      EXPECT_FALSE(is_terminal(e.record.state));
      active.push_back(e.iccid);
    }
    if (p->end) break;
    after = p->resume_after;
  }
  std::size_t expect = 0;
  for (int i = 1; i <= 250; ++i) expect += (i % 5 != 0 && i % 7 != 0);
  EXPECT_EQ(active.size(), expect);
  EXPECT_TRUE(std::is_sorted(active.begin(), active.end()));

  auto all = st->jobs().list("camp", "", 1000);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->items.size(), 250u);
  EXPECT_TRUE(all->end);

  auto counts = st->jobs().count_by_state("camp");
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ((*counts)[job_state::done], 50u);
  EXPECT_EQ((*counts)[job_state::failed], 250u / 7 - 250u / 35);
  EXPECT_EQ((*counts)[job_state::accepted], expect);
  EXPECT_EQ(counts->count(job_state::queued), 0u);
}

TEST(AuditLog, SequenceContinuesAfterReopen) {
  temp_dir d;
  {
    auto st = open_state(d.path());
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(st->audit().append({0, "c", make_iccid(1), audit_type::por, "00"}, false).ok());
    }
    EXPECT_EQ(st->audit().next_seq(), 6u);
  }
  auto st = open_state(d.path());
  EXPECT_EQ(st->audit().next_seq(), 6u);
  ASSERT_TRUE(st->audit().append({0, "c", make_iccid(1), audit_type::counter_use, "1"}, true).ok());
  auto log = st->audit().read(5, 10);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ((*log)[0].seq, 5u);
  EXPECT_EQ((*log)[1].seq, 6u);
  EXPECT_EQ((*log)[1].event.type, audit_type::counter_use);
  EXPECT_GT((*log)[1].event.time_ms, 1600000000000);  // stamped at staging
  // Keys are big-endian so the column family's order is numeric order.
  auto it = st->database().iterate(column::audit);
  it->SeekToLast();
  EXPECT_EQ(it->key().ToString(), std::string("\0\0\0\0\0\0\0\x06", 8));
  EXPECT_EQ(name(audit_type::receipt), "receipt");
}

RC_GTEST_PROP(JobCodec, RoundTripAndTruncation,
              (std::uint16_t attempt, std::string reason, std::vector<std::string> ids,
               std::string variant, std::uint64_t counter, std::int64_t t, bool has_por,
               std::uint8_t por)) {
  job_record r;
  r.state = static_cast<job_state>(*rc::gen::inRange<int>(0, job_state_count));
  r.attempt = attempt;
  if (has_por) r.por_status = por;
  r.reason = reason;
  r.message_ids = ids;
  r.variant = variant;
  r.counter = counter;
  r.created_ms = t;
  r.updated_ms = t / 2;
  r.retry_at_ms = t / 3;
  const auto enc = job_store::encode(r);
  auto d = job_store::decode(enc);
  RC_ASSERT(d.ok());
  RC_ASSERT(*d == r);
  for (std::size_t cut = 0; cut < enc.size(); ++cut) {
    RC_ASSERT(!job_store::decode(byte_view(enc).first(cut)).ok());
  }
}

TEST(JobState, NamesRoundTrip) {
  for (std::size_t i = 0; i < job_state_count; ++i) {
    const auto s = static_cast<job_state>(i);
    EXPECT_EQ(*parse_job_state(name(s)), s);
  }
  EXPECT_TRUE(is_terminal(job_state::done));
  EXPECT_TRUE(is_terminal(job_state::failed));
  EXPECT_FALSE(is_terminal(job_state::retry_wait));
}

}  // namespace
}  // namespace otaflow::storage
