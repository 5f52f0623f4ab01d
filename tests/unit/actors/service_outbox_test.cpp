// The status outbox over a real state directory: events are numbered by their audit record,
// the watermark follows acknowledgements in any order, and a restart sends again exactly
// the state changes not acknowledged before.

#include "actors/service_outbox.hpp"
#include "actors/storage_ports.hpp"

#include <gtest/gtest.h>

#include "tests/unit/storage/storage_test_util.hpp"

namespace otaflow::actors {
namespace {

using storage::test::temp_dir;
using storage::test::test_kek;

struct recording_sink final : acked_sink {
  void send(const status_event& e, std::uint64_t seq) override { sent.emplace_back(e, seq); }
  std::vector<std::pair<status_event, std::uint64_t>> sent;
};

std::unique_ptr<storage::state> open_state(const temp_dir& d) {
  storage::db_options o;
  o.dir = d.path();
  auto st = storage::state::open(o, test_kek());
  EXPECT_TRUE(st.ok()) << st.error().message;
  return std::move(st).value();
}

job_update update(const std::string& iccid, job_state s, std::uint16_t attempt = 1) {
  job_record j;
  j.state = s;
  j.attempt = attempt;
  j.updated_ms = 1'700'000'000'000 + attempt;
  if (s == job_state::done) j.por_status = 0;
  if (s == job_state::failed) j.reason = "PoR 09 TAR unknown";
  return {"c1", iccid, j};
}

// What the journal does: save, then emit the same batch.
void journal(status_outbox& ob, const std::vector<job_update>& ups) {
  ASSERT_TRUE(ob.save(ups, true).ok());
  std::vector<status_event> evs;
  for (const auto& u : ups) {
    evs.push_back({u.campaign, u.iccid, u.job.state, u.job.attempt, u.job.por_status, u.job.reason,
                   u.job.variant, u.job.updated_ms});
  }
  ob.emit(evs);
}

TEST(status_outbox, NumbersEventsAndAdvancesTheWatermarkOverAcknowledgedOnes) {
  temp_dir d;
  auto st = open_state(d);
  recording_sink sink;
  auto ob = status_outbox::open(*st, sink);
  ASSERT_TRUE(ob.ok());
  EXPECT_EQ((*ob)->watermark(), 0u);
  journal(**ob, {update("8988200000000000001", job_state::queued, 0),
                 update("8988200000000000002", job_state::queued, 0),
                 update("8988200000000000001", job_state::packaging)});
  ASSERT_EQ(sink.sent.size(), 3u);
  EXPECT_EQ(sink.sent[0].second, 1u);
  EXPECT_EQ(sink.sent[2].second, 3u);
  EXPECT_EQ((*ob)->unacknowledged(), 3u);
  (*ob)->acknowledge(2);
  EXPECT_EQ((*ob)->watermark(), 0u);  // 1 is still out
  (*ob)->acknowledge(1);
  EXPECT_EQ((*ob)->watermark(), 2u);
  (*ob)->acknowledge(3);
  EXPECT_EQ((*ob)->watermark(), 3u);
  // The job records are stored as well.
  auto j = (*ob)->load("c1", "8988200000000000001");
  ASSERT_TRUE(j.ok() && j->has_value());
  EXPECT_EQ((*j)->state, job_state::packaging);
}

TEST(status_outbox, ReplaysTheStateChangesNotAcknowledgedBeforeAStop) {
  temp_dir d;
  {
    auto st = open_state(d);
    recording_sink sink;
    auto ob = status_outbox::open(*st, sink);
    ASSERT_TRUE(ob.ok());
    journal(**ob, {update("8988200000000000001", job_state::queued, 0),
                   update("8988200000000000002", job_state::queued, 0)});
    journal(**ob, {update("8988200000000000001", job_state::done),
                   update("8988200000000000002", job_state::failed)});
    (*ob)->acknowledge(1);
    (*ob)->acknowledge(2);
    (*ob)->acknowledge(4);  // 3 (card 1 done) never acknowledged: a crash lost it
    ASSERT_TRUE((*ob)->checkpoint().ok());
  }
  auto st = open_state(d);
  recording_sink sink;
  auto ob = status_outbox::open(*st, sink);
  ASSERT_TRUE(ob.ok());
  EXPECT_EQ((*ob)->watermark(), 2u);
  auto n = (*ob)->replay();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2u);  // 3 and 4: everything after the watermark, the same states again
  ASSERT_EQ(sink.sent.size(), 2u);
  const auto& [done, seq] = sink.sent[0];
  EXPECT_EQ(seq, 3u);
  EXPECT_EQ(done.iccid, "8988200000000000001");
  EXPECT_EQ(done.state, job_state::done);
  EXPECT_EQ(done.por_status, std::optional<std::uint8_t>(0));
  EXPECT_EQ(done.ts_ms, 1'700'000'000'001);
  EXPECT_EQ(sink.sent[1].first.state, job_state::failed);
  EXPECT_EQ(sink.sent[1].first.reason, "PoR 09 TAR unknown");
  // New events continue after the stored ones.
  journal(**ob, {update("8988200000000000003", job_state::queued, 0)});
  EXPECT_EQ(sink.sent.back().second, 5u);
}

TEST(status_outbox, AFirstStartDoesNotPublishOlderHistory) {
  temp_dir d;
  {
    auto st = open_state(d);
    storage::audit_event e;
    e.campaign = "old";
    e.iccid = "8988200000000000009";
    e.details = R"({"state":"done","attempt":1})";
    ASSERT_TRUE(st->audit().append(e, true).ok());
  }
  auto st = open_state(d);
  recording_sink sink;
  auto ob = status_outbox::open(*st, sink);
  ASSERT_TRUE(ob.ok());
  EXPECT_EQ((*ob)->watermark(), 1u);
  auto n = (*ob)->replay();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
}

// As `campaign run`'s store does: a terminal state settles pending Ki/OPc (done: the card's
// now; failed: dropped) and a `done` job records the files it wrote, in the same batch.
TEST(status_outbox, TerminalStatesSettlePendingKeysAndRecordWrittenFiles) {
  temp_dir d;
  auto st = open_state(d);
  recording_sink sink;
  auto ob = status_outbox::open(*st, sink);
  ASSERT_TRUE(ob.ok());
  const std::string a = "8988200000000000001", b = "8988200000000000002";
  storage::pending_auth_keys k;
  k.ki = storage::secret::from(bytes(16, 0x11)).value();
  k.opc = storage::secret::from(bytes(16, 0x22)).value();
  k.sequence = 1;
  {
    rocksdb::WriteBatch wb;
    ASSERT_TRUE(st->keys().stage_pending(wb, a, "c1", k).ok());
    ASSERT_TRUE(st->keys().stage_pending(wb, b, "c1", k).ok());
    ASSERT_TRUE(st->database().commit(wb, true).ok());
  }
  auto done = update(a, job_state::done);
  done.written = {file_update{{0x3F00, 0x7FFF, 0x6F7B}, hex("00F110"), 0}};
  auto failed = update(b, job_state::failed);
  journal(**ob, {done, failed});
  EXPECT_FALSE(st->keys().get_pending(a, "c1")->has_value());
  EXPECT_FALSE(st->keys().get_pending(b, "c1")->has_value());
  auto ka = st->keys().get(a);
  ASSERT_TRUE(ka.ok()) << ka.error().message;
  EXPECT_EQ(ka->ki, k.ki);               // committed
  EXPECT_FALSE(st->keys().get(b).ok());  // dropped: b had no keys of its own
  auto f = st->card_files().get(a, "3F00/7FFF/6F7B");
  ASSERT_TRUE(f.ok() && f->has_value());
  EXPECT_EQ((*f)->data, hex("00F110"));
  EXPECT_FALSE(st->card_files().get(b, "3F00/7FFF/6F7B")->has_value());
}

TEST(status_outbox, StatusFromAuditRejectsRecordsWithoutAState) {
  storage::audit_event e;
  e.type = storage::audit_type::state;
  e.iccid = "8988200000000000001";
  e.details = R"({"attempt":1})";
  EXPECT_FALSE(status_from_audit(e).ok());
  e.details = R"({"state":"flying"})";
  EXPECT_FALSE(status_from_audit(e).ok());
  e.details = audit_details(job_record{});
  auto ev = status_from_audit(e);
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(ev->state, job_state::queued);
  e.type = storage::audit_type::submit;
  EXPECT_FALSE(status_from_audit(e).ok());
}

}  // namespace
}  // namespace otaflow::actors
