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
  r.started_ms = 1700000000000;
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
    ups.push_back({"c1", make_iccid(i), rec(job_state::submitting)});
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
    EXPECT_EQ((*j)->state, job_state::submitting);
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
  EXPECT_EQ((*st->jobs().get("c1", make_iccid(1)))->state, job_state::submitting);
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

// Every field of the engine's record survives encode and decode (record version 4).
TEST(JobCodec, EveryFieldRoundTrips) {
  job_record r;
  r.state = job_state::retry_wait;
  r.attempt = 2;
  r.resends = 3;
  r.counters = {5, 6, 0xFFFFFFFFFF};
  r.message_id = "0a1b2c3d";
  r.por_status = 0x07;
  r.last_sw = 0x6A82;
  r.reason = "PoR 07 insufficient memory";
  r.variant = "uicc-aes";
  r.timer_epoch = 0x12345678;
  r.updated_ms = 1700000000500;
  r.started_ms = 1700000000000;
  r.retry_at_ms = 1700000005500;
  r.counter_skip_at = 3;
  r.history = {{job_state::queued, 1700000000000, 0, std::nullopt},
               {job_state::packaging, 1700000000000, 1, std::nullopt},
               {job_state::retry_wait, 1700000000400, 1, 0x0A},
               {job_state::packaging, 1699999999000, 2, 0x0A},  // the wall clock went back
               {job_state::retry_wait, 1700000000500, 2, 0x07}};
  const auto enc = job_store::encode(r);
  EXPECT_EQ(enc[0], 4);  // version
  EXPECT_EQ(enc[1], 5);  // state octet: retry_wait
  auto d = job_store::decode(enc);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(*d, r);

  // A record with nothing optional set, and the layout byte for byte.
  job_record q;
  q.state = job_state::accepted;
  q.attempt = 1;
  q.counters = {1};
  q.message_id = "m";
  EXPECT_EQ(to_hex(job_store::encode(q)),
            "04"      // version
            "03"      // state: accepted
            "00"      // flags: no PoR status, no SW
            "010000"  // attempt 1, resends 0, timer epoch 0
            "000000"  // started, updated, retry_at
            "0101"    // one counter: 1
            "016d"    // message id "m"
            "0000"    // reason, variant
            "00"      // counter_skip_at: never skipped
            "00");    // no history
  EXPECT_EQ(*job_store::decode(job_store::encode(q)), q);
  q.counter_skip_at = 2;  // skipped after the first packet, the skip still to be made
  auto skipped = job_store::encode(q);
  EXPECT_EQ(skipped[skipped.size() - 2], 2);
  // The history: delta-encoded times (zigzag varint), the PoR status only where known.
  q.history = {{job_state::queued, 1000, 0, std::nullopt},
               {job_state::packaging, 1000, 1, std::nullopt},
               {job_state::done, 1300, 1, 0x00},
               {job_state::failed, 1299, 1, 0x01}};
  const auto with_history = job_store::encode(q);
  EXPECT_EQ(to_hex(byte_view(with_history).subspan(skipped.size() - 1)),
            "04"          // four entries
            "0000d00f"    // queued, attempt 0, +1000 (zigzag 2000)
            "010100"      // packaging, attempt 1, +0
            "860001d804"  // done (0x06 | 0x80), PoR 00, attempt 1, +300 (zigzag 600)
            "87010101");  // failed, PoR 01, attempt 1, -1 (zigzag 1)
  EXPECT_EQ(*job_store::decode(with_history), q);
  for (std::size_t cut = skipped.size(); cut < with_history.size(); ++cut) {
    EXPECT_FALSE(job_store::decode(byte_view(with_history).first(cut)).ok()) << cut;
  }
  // More entries than a record keeps, or a state that does not exist: malformed.
  auto too_many = skipped;
  too_many.back() = static_cast<std::uint8_t>(model::job_history_max + 1);
  EXPECT_FALSE(job_store::decode(too_many).ok());
  auto bad_state = with_history;
  bad_state[skipped.size()] = 0x09;
  EXPECT_FALSE(job_store::decode(bad_state).ok());
  q.history.clear();
  skipped = job_store::encode(q);
  EXPECT_EQ(*job_store::decode(skipped), q);
  // A skip point past the next packet cannot be: the record is malformed.
  auto bad = skipped;
  bad[bad.size() - 2] = 3;
  EXPECT_FALSE(job_store::decode(bad).ok());
  // Truncated anywhere: an error.
  for (std::size_t cut = 0; cut < skipped.size(); ++cut) {
    EXPECT_FALSE(job_store::decode(byte_view(skipped).first(cut)).ok()) << cut;
  }
}

// A version-2 record (before counter_skip_at) still decodes, as a job that never skipped.
TEST(JobCodec, DecodesVersion2Records) {
  const auto v2 =
      hex("02"  // version 2
          "05"  // state: retry_wait
          "03"
          "07"      // flags: PoR status and SW; PoR 07
          "6a82"    // SW
          "020304"  // attempt 2, resends 3, timer epoch 4
          "e807"    // started 1000
          "dc0b"    // updated 1500
          "e432"    // retry_at 6500
          "020506"  // counters 5, 6
          "016d"    // message id "m"
          "0161"    // reason "a"
          "0142");  // variant "B"
  auto r = job_store::decode(v2);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->state, job_state::retry_wait);
  EXPECT_EQ(r->por_status, std::optional<std::uint8_t>(0x07));
  EXPECT_EQ(r->last_sw, std::optional<std::uint16_t>(0x6A82));
  EXPECT_EQ(r->attempt, 2);
  EXPECT_EQ(r->resends, 3);
  EXPECT_EQ(r->timer_epoch, 4u);
  EXPECT_EQ(r->started_ms, 1000);
  EXPECT_EQ(r->updated_ms, 1500);
  EXPECT_EQ(r->retry_at_ms, 6500);
  EXPECT_EQ(r->counters, (std::vector<std::uint64_t>{5, 6}));
  EXPECT_EQ(r->message_id, "m");
  EXPECT_EQ(r->reason, "a");
  EXPECT_EQ(r->variant, "B");
  EXPECT_EQ(r->counter_skip_at, 0u);
  EXPECT_TRUE(r->history.empty());
  // Written back, it is a version-4 record holding the same.
  const auto again = job_store::encode(*r);
  EXPECT_EQ(again[0], 4);
  EXPECT_EQ(*job_store::decode(again), *r);
  // A version-2 record carries nothing after the variant.
  auto longer = v2;
  longer.push_back(0);
  EXPECT_FALSE(job_store::decode(longer).ok());
}

// A version-3 record (before the history) decodes with an empty history.
TEST(JobCodec, DecodesVersion3Records) {
  const auto v3 = hex("0303000100000000000101016d000002");
  auto r = job_store::decode(v3);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->state, job_state::accepted);
  EXPECT_EQ(r->attempt, 1);
  EXPECT_EQ(r->counters, std::vector<std::uint64_t>{1});
  EXPECT_EQ(r->counter_skip_at, 2u);
  EXPECT_TRUE(r->history.empty());
  auto longer = v3;
  longer.push_back(0);  // a version-3 record ends with counter_skip_at
  EXPECT_FALSE(job_store::decode(longer).ok());
}

// A record written before the engine and storage shared one record (version 1): what it holds
// comes back, under the engine's names (counter_reserved -> packaging, created -> started).
TEST(JobCodec, DecodesVersion1Records) {
  const auto v1 =
      hex("01"                // version 1
          "05"                // state 5: retry_wait
          "0107"              // flags: PoR status present; 07
          "02"                // attempt
          "e807"              // created 1000
          "dc0b"              // updated 1500
          "e432"              // retry_at 6500
          "06"                // counter (the last one only)
          "03616263"          // reason "abc"
          "0142"              // variant "B"
          "02026d31026d32");  // message ids "m1", "m2" (one per segment)
  auto r = job_store::decode(v1);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->state, job_state::retry_wait);
  EXPECT_EQ(r->por_status, std::optional<std::uint8_t>(0x07));
  EXPECT_EQ(r->attempt, 2);
  EXPECT_EQ(r->started_ms, 1000);
  EXPECT_EQ(r->updated_ms, 1500);
  EXPECT_EQ(r->retry_at_ms, 6500);
  EXPECT_EQ(r->counters, std::vector<std::uint64_t>{6});
  EXPECT_EQ(r->message_id, "m2");
  EXPECT_EQ(r->reason, "abc");
  EXPECT_EQ(r->variant, "B");
  // What version 1 never held starts empty.
  EXPECT_EQ(r->resends, 0);
  EXPECT_EQ(r->timer_epoch, 0u);
  EXPECT_FALSE(r->last_sw.has_value());
  EXPECT_TRUE(r->history.empty());

  // counter_reserved (1) is the engine's packaging; a counter of 0 means none was used.
  auto q = job_store::decode(hex("0101000100000000000000"));
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_EQ(q->state, job_state::packaging);
  EXPECT_TRUE(q->counters.empty());
  EXPECT_TRUE(q->message_id.empty());
  // Truncated anywhere: an error, never a partial record.
  for (std::size_t cut = 0; cut < v1.size(); ++cut) {
    EXPECT_FALSE(job_store::decode(byte_view(v1).first(cut)).ok()) << cut;
  }
}

// A job of several steps (record version 5): the step fields after the history; all 0 writes
// version 4, so single-step jobs store as before.
TEST(JobCodec, StepFieldsUseVersion5) {
  job_record q;
  q.state = job_state::accepted;
  q.attempt = 1;
  q.counters = {1, 2, 3};
  const auto v4 = job_store::encode(q);
  EXPECT_EQ(v4[0], 4);
  q.step = 2;
  q.step_at = 2;
  q.page = 1;
  q.step_flags = model::step_flag::assumed_done;
  const auto v5 = job_store::encode(q);
  EXPECT_EQ(v5[0], 5);
  EXPECT_EQ(to_hex(byte_view(v5).subspan(v4.size())), "02020101");
  auto d = job_store::decode(v5);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(*d, q);
  // A version-4 record reads as step 0.
  auto old = job_store::decode(v4);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->step, 0);
  EXPECT_EQ(old->step_at, 0u);
  // step_at beyond the counters is malformed; truncated anywhere: an error.
  auto bad = v5;
  bad[v4.size() + 1] = 4;
  EXPECT_FALSE(job_store::decode(bad).ok());
  for (std::size_t cut = v4.size(); cut < v5.size(); ++cut) {
    EXPECT_FALSE(job_store::decode(byte_view(v5).first(cut)).ok()) << cut;
  }
}

// The GET STATUS listing follows step_flags in a version-5 record; a version-5 record without
// it (written before the listing existed) still reads, with no listing. A list-only job (step 0,
// page 0) with a listing is written as version 5 too.
TEST(JobCodec, ListingFollowsStepFields) {
  job_record q;
  q.state = job_state::done;
  q.counters = {1};
  const auto v4 = job_store::encode(q);
  model::put_listing_page(q, 0, 0, hex("E30A4F05A000000001"));
  model::put_listing_page(q, 0, 1, hex("E300"));
  const auto v5 = job_store::encode(q);
  EXPECT_EQ(v5[0], 5);
  EXPECT_EQ(to_hex(byte_view(v5).subspan(v4.size())),
            "00000000"                  // step, step_at, page, step_flags
            "02"                        // pages
            "000009e30a4f05a000000001"  // step 0 page 0: 9 octets
            "000102e300");              // step 0 page 1: 2 octets
  auto d = job_store::decode(v5);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(*d, q);
  // The same record as written before the listing: version 5 ending after step_flags.
  auto before = bytes(v5.begin(), v5.begin() + static_cast<std::ptrdiff_t>(v4.size() + 4));
  auto old = job_store::decode(before);
  ASSERT_TRUE(old.ok()) << old.error().message;
  EXPECT_TRUE(old->listing.empty());
  // Truncated inside the listing: an error.
  for (std::size_t cut = before.size() + 1; cut < v5.size(); ++cut) {
    EXPECT_FALSE(job_store::decode(byte_view(v5).first(cut)).ok()) << cut;
  }
  // More data than model::listing_max: malformed.
  auto big = before;
  big.push_back(0x01);
  big.insert(big.end(), {0x00, 0x00, 0x81, 0x40});  // a page of 8193 octets (varint)
  big.resize(big.size() + model::listing_max + 1, 0xE3);
  EXPECT_FALSE(job_store::decode(big).ok());
}

TEST(JobCodec, RejectsUnknownVersionsStatesAndFlags) {
  auto r = job_store::decode(hex("060000"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "job record: unknown version 6 (know 1-5)");
  job_record q;
  auto enc = job_store::encode(q);
  enc[1] = static_cast<std::uint8_t>(model::job_state_count);  // no such state
  EXPECT_FALSE(job_store::decode(enc).ok());
  enc = job_store::encode(q);
  enc[2] = 0x04;  // an unknown flag
  EXPECT_FALSE(job_store::decode(enc).ok());
  enc = job_store::encode(q);
  enc.push_back(0);  // trailing octet
  EXPECT_FALSE(job_store::decode(enc).ok());
}

RC_GTEST_PROP(JobCodec, RoundTripAndTruncation,
              (std::uint16_t attempt, std::uint16_t resends, std::uint32_t epoch,
               std::string reason, std::string message_id, std::vector<std::uint64_t> counters,
               std::string variant, std::int64_t t, bool has_por, std::uint8_t por, bool has_sw,
               std::uint16_t sw)) {
  job_record r;
  r.state = static_cast<job_state>(*rc::gen::inRange<int>(0, model::job_state_count));
  r.attempt = attempt;
  r.resends = resends;
  r.timer_epoch = epoch;
  if (has_por) r.por_status = por;
  if (has_sw) r.last_sw = sw;
  r.reason = reason;
  r.message_id = message_id;
  r.counters = counters;
  r.variant = variant;
  r.started_ms = t;
  r.updated_ms = t / 2;
  r.retry_at_ms = t / 3;
  r.counter_skip_at = static_cast<std::uint32_t>(t % (counters.size() + 2));
  const auto enc = job_store::encode(r);
  auto d = job_store::decode(enc);
  RC_ASSERT(d.ok());
  RC_ASSERT(*d == r);
  for (std::size_t cut = 0; cut < enc.size(); ++cut) {
    RC_ASSERT(!job_store::decode(byte_view(enc).first(cut)).ok());
  }
}

// The stored state names are the engine's (model/job.hpp).
TEST(JobState, StoredStatesAreTheEngines) {
  EXPECT_EQ(to_string(job_state::packaging), "packaging");
  EXPECT_EQ(to_string(job_state::submitting), "submitting");
  EXPECT_TRUE(is_terminal(job_state::done));
  EXPECT_TRUE(is_terminal(job_state::failed));
  EXPECT_FALSE(is_terminal(job_state::retry_wait));
}

}  // namespace
}  // namespace otaflow::storage
