// What a key update job's end does with its pending Ki/OPc (issue 13, "keys never lost"): the
// pure decision (settle_keys, the reason's note) as a table, then the same cases through the
// real RocksDB job store and serve's outbox: committed, dropped, kept (uncertain) or left
// alone, the audit details naming the outcome, the stored reason carrying the note once.

#include "actors/key_settlement.hpp"

#include <gtest/gtest.h>

#include "actors/service_outbox.hpp"
#include "actors/storage_ports.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

namespace otaflow::actors {
namespace {

using storage::test::make_iccid;
using storage::test::open_state;
using storage::test::temp_dir;

job_record job_in(job_state s, std::vector<std::uint64_t> counters, std::string reason = {}) {
  job_record j;
  j.state = s;
  j.counters = std::move(counters);
  j.reason = std::move(reason);
  j.attempt = j.counters.empty() ? 0 : 1;
  return j;
}

struct settle_case {
  const char* name;
  job_record job;
  bool may_hold_keys;
  key_settlement want;
};

TEST(KeySettlement, Table) {
  const settle_case cases[] = {
      {"done commits", job_in(job_state::done, {5}), true, key_settlement::commit},
      {"failed after a packet keeps", job_in(job_state::failed, {5, 6}), true,
       key_settlement::keep},
      {"failed, nothing sent, drops", job_in(job_state::failed, {}), true, key_settlement::drop},
      {"skipped drops", job_in(job_state::skipped, {}), true, key_settlement::drop},
      {"in flight: nothing yet", job_in(job_state::accepted, {5}), true, key_settlement::none},
      {"retry_wait: nothing yet", job_in(job_state::retry_wait, {5}), true, key_settlement::none},
      {"no key update: nothing", job_in(job_state::failed, {5}), false, key_settlement::none},
      {"no key update, done: nothing", job_in(job_state::done, {5}), false, key_settlement::none},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(settle_keys(c.job, c.may_hold_keys), c.want) << c.name;
    auto j = c.job;
    const bool noted = note_keys_uncertain(j, c.may_hold_keys);
    EXPECT_EQ(noted, c.want == key_settlement::keep) << c.name;
    EXPECT_EQ(j.reason.find(keys_uncertain_note) != std::string::npos, noted) << c.name;
  }
}

TEST(KeySettlement, NoteIsAppendedOnce) {
  auto j = job_in(job_state::failed, {5}, "campaign cancelled");
  EXPECT_TRUE(note_keys_uncertain(j, true));
  EXPECT_EQ(j.reason, "campaign cancelled; " + std::string(keys_uncertain_note));
  EXPECT_FALSE(note_keys_uncertain(j, true));
  EXPECT_EQ(j.reason, "campaign cancelled; " + std::string(keys_uncertain_note));
  std::string empty;
  EXPECT_TRUE(note_keys_uncertain(empty));
  EXPECT_EQ(empty, keys_uncertain_note);
}

// ---- through the stores ---------------------------------------------------------------------

constexpr const char* campaign = "rot";

storage::card_keys vendor_keys() {
  storage::card_keys k;
  k.ki = storage::secret::from(bytes(16, 0x11)).value();
  k.opc = storage::secret::from(bytes(16, 0x22)).value();
  return k;
}

storage::pending_auth_keys drawn_keys() {
  storage::pending_auth_keys p;
  p.ki = storage::secret::from(bytes(16, 0xA0)).value();
  p.opc = storage::secret::from(bytes(16, 0xA1)).value();
  p.sequence = 1;
  return p;
}

struct store_case {
  const char* name;
  job_record job;
  bool may_hold_keys;
  bool pending_after;        // the pending row is still there
  bool rotated;              // the card's Ki is the drawn one
  const char* key_rotation;  // in the audit details; nullptr: absent
  bool noted;                // the stored reason carries the note
};

std::vector<store_case> store_cases() {
  const std::string noted =
      "attempts exhausted (3): no PoR within 30s; " + std::string(keys_uncertain_note);
  return {
      {"done", job_in(job_state::done, {5}), true, false, true, "committed", false},
      {"failed before any packet", job_in(job_state::failed, {}, "package failed"), true, false,
       false, "dropped", false},
      // As the subscriber actor sends it: the note is there already (not doubled).
      {"failed after packets, noted", job_in(job_state::failed, {5, 6}, noted), true, true, false,
       "uncertain", true},
      // As an owner that could not tell the variant sends it: the store adds the note.
      {"cancelled after a packet", job_in(job_state::failed, {5}, "campaign cancelled"), true, true,
       false, "uncertain", true},
      {"expired after a packet", job_in(job_state::failed, {5}, "validity expired"), true, true,
       false, "uncertain", true},
      {"still in flight", job_in(job_state::accepted, {5}), true, true, false, nullptr, false},
      {"no key update", job_in(job_state::failed, {5}, "x"), false, true, false, nullptr, false},
  };
}

void check_store_case(storage::state& st, const store_case& c, const std::string& iccid) {
  auto stored = st.jobs().get(campaign, iccid);
  ASSERT_TRUE(stored.ok() && stored->has_value()) << c.name;
  const auto& reason = (*stored)->reason;
  const auto at = reason.find(keys_uncertain_note);
  EXPECT_EQ(at != std::string::npos, c.noted) << c.name << ": " << reason;
  if (at != std::string::npos) {
    EXPECT_EQ(reason.find(keys_uncertain_note, at + 1), std::string::npos) << reason;
    EXPECT_EQ(reason.substr(0, at - 2), c.job.reason.substr(0, c.job.reason.find(';'))) << c.name;
  }
  EXPECT_EQ(*st.keys().has_pending(iccid, campaign), c.pending_after) << c.name;
  auto keys = st.keys().get(iccid);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->ki == drawn_keys().ki, c.rotated) << c.name;
  // The last audit record of this card is the state change; it names the outcome.
  auto audit = st.audit().read(0, 100000);
  ASSERT_TRUE(audit.ok());
  std::string details;
  for (const auto& e : *audit)
    if (e.event.iccid == iccid && e.event.type == storage::audit_type::state)
      details = e.event.details;
  if (c.key_rotation) {
    EXPECT_NE(details.find(std::string(R"("key_rotation":")") + c.key_rotation + "\""),
              std::string::npos)
        << c.name << ": " << details;
  } else {
    EXPECT_EQ(details.find("key_rotation"), std::string::npos) << c.name << ": " << details;
  }
  if (c.noted) {
    EXPECT_NE(details.find(keys_uncertain_note), std::string::npos) << details;
  }
  EXPECT_EQ(details.find("a0a0"), std::string::npos);  // never a key
}

void stage_pending(storage::state& st, const std::string& iccid) {
  ASSERT_TRUE(st.keys().put(iccid, vendor_keys()).ok());
  rocksdb::WriteBatch b;
  ASSERT_TRUE(st.keys().stage_pending(b, iccid, campaign, drawn_keys()).ok());
  ASSERT_TRUE(st.database().commit(b, true).ok());
}

TEST(KeySettlement, JobStoreCommitsDropsOrKeeps) {
  temp_dir d;
  auto st = open_state(d.path());
  storage_job_store store(*st);
  const auto cases = store_cases();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto iccid = make_iccid(static_cast<std::uint64_t>(i + 1));
    stage_pending(*st, iccid);
    job_update u{campaign, iccid, cases[i].job};
    u.may_hold_keys = cases[i].may_hold_keys;
    ASSERT_TRUE(store.save({&u, 1}, true).ok()) << cases[i].name;
    check_store_case(*st, cases[i], iccid);
  }
}

// serve's outbox stages the same effects in its own batch.
TEST(KeySettlement, OutboxCommitsDropsOrKeeps) {
  temp_dir d;
  auto st = open_state(d.path());
  struct null_downstream final : acked_sink {
    void send(const status_event&, std::uint64_t) override {}
  } down;
  auto outbox = status_outbox::open(*st, down);
  ASSERT_TRUE(outbox.ok()) << outbox.error().message;
  const auto cases = store_cases();
  std::vector<job_update> all;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto iccid = make_iccid(static_cast<std::uint64_t>(100 + i));
    stage_pending(*st, iccid);
    job_update u{campaign, iccid, cases[i].job};
    u.may_hold_keys = cases[i].may_hold_keys;
    all.push_back(std::move(u));
  }
  ASSERT_TRUE((*outbox)->save(all, true).ok());  // one batch, as the journal saves
  for (std::size_t i = 0; i < cases.size(); ++i)
    check_store_case(*st, cases[i], make_iccid(static_cast<std::uint64_t>(100 + i)));
}

}  // namespace
}  // namespace otaflow::actors
