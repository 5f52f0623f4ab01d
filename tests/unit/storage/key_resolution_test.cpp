// An operator's resolution of pending keys a key update job kept (storage/key_resolution.hpp):
// adopt commits them, discard drops them, each with a key_resolution audit record naming the
// action and outcome but no key; refused while nothing is pending or the job is not terminal.

#include "storage/key_resolution.hpp"

#include <gtest/gtest.h>

#include "storage_test_util.hpp"

namespace otaflow::storage {
namespace {

using test::make_iccid;
using test::open_state;
using test::temp_dir;

card_keys vendor_keys() {
  card_keys k;
  k.ki = secret::from(bytes(16, 0x11)).value();
  k.opc = secret::from(bytes(16, 0x22)).value();
  return k;
}

pending_auth_keys drawn(std::uint32_t seq) {
  pending_auth_keys p;
  p.ki = secret::from(bytes(16, 0xA0)).value();
  p.opc = secret::from(bytes(16, 0xA1)).value();
  p.sequence = seq;
  return p;
}

void setup(state& st, const std::string& iccid, const std::string& campaign, job_state js) {
  ASSERT_TRUE(st.keys().put(iccid, vendor_keys()).ok());
  rocksdb::WriteBatch b;
  ASSERT_TRUE(st.keys().stage_pending(b, iccid, campaign, drawn(3)).ok());
  job_record j;
  j.state = js;
  j.counters = {7};
  ASSERT_TRUE(st.jobs().stage(b, {campaign, iccid, j}).ok());
  ASSERT_TRUE(st.database().commit(b, true).ok());
}

// The last audit record (the resolution's).
audit_event last_audit(state& st) {
  auto all = st.audit().read(0, 1000);
  EXPECT_TRUE(all.ok() && !all->empty());
  return all->back().event;
}

TEST(KeyResolution, AdoptCommitsWithAnAuditRecord) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto iccid = make_iccid(1);
  setup(*st, iccid, "rot", job_state::failed);
  auto details = resolve_pending_keys(*st, {iccid, "rot", true, "adopt", ""});
  ASSERT_TRUE(details.ok()) << details.error().message;
  EXPECT_EQ(*details,
            R"({"action":"adopt","outcome":"adopted","sequence":3,"job_state":"failed"})");
  auto keys = st->keys().get(iccid);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->ki, drawn(3).ki);
  EXPECT_EQ(keys->opc, drawn(3).opc);
  EXPECT_FALSE(*st->keys().has_pending(iccid, "rot"));
  const auto e = last_audit(*st);
  EXPECT_EQ(e.type, audit_type::key_resolution);
  EXPECT_EQ(e.campaign, "rot");
  EXPECT_EQ(e.iccid, iccid);
  EXPECT_EQ(e.details, *details);
  EXPECT_EQ(name(e.type), "key_resolution");
  // Resolved once: nothing is pending any more.
  auto again = resolve_pending_keys(*st, {iccid, "rot", false, "discard", ""});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, make_error_code(errc::not_found));
  EXPECT_NE(again.error().message.find("no pending key rotation"), std::string::npos);
}

TEST(KeyResolution, TheRecordSaysWhoAsked) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto iccid = make_iccid(2);
  setup(*st, iccid, "rot", job_state::failed);
  auto details = resolve_pending_keys(*st, {iccid, "rot", true, "adopt", "", "os:alice \"ops\""});
  ASSERT_TRUE(details.ok()) << details.error().message;
  EXPECT_EQ(*details, R"({"action":"adopt","outcome":"adopted","sequence":3,)"
                      R"("job_state":"failed","who":"os:alice \"ops\""})");
  EXPECT_EQ(last_audit(*st).details, *details);
}

TEST(KeyResolution, DiscardDropsWithTheProof) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto iccid = make_iccid(2);
  setup(*st, iccid, "rot", job_state::failed);
  const std::string proof = R"({"current_keys":"match","pending_keys":"mac_failure"})";
  auto details = resolve_pending_keys(*st, {iccid, "rot", false, "prove-fleet", proof});
  ASSERT_TRUE(details.ok()) << details.error().message;
  EXPECT_EQ(*details, R"({"action":"prove-fleet","outcome":"discarded","sequence":3,)"
                      R"("job_state":"failed","proof":)" +
                          proof + "}");
  EXPECT_EQ(*st->keys().get(iccid), vendor_keys());
  EXPECT_FALSE(*st->keys().has_pending(iccid, "rot"));
  EXPECT_EQ(last_audit(*st).details, *details);
}

TEST(KeyResolution, RefusedWhileTheJobIsNotTerminal) {
  temp_dir d;
  auto st = open_state(d.path());
  const auto iccid = make_iccid(3);
  setup(*st, iccid, "rot", job_state::accepted);
  const auto audits = *st->audit().count();
  auto r = resolve_pending_keys(*st, {iccid, "rot", true, "adopt", ""});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, make_error_code(errc::conflict));
  EXPECT_NE(r.error().message.find("the job is accepted, not terminal"), std::string::npos)
      << r.error().message;
  EXPECT_TRUE(*st->keys().has_pending(iccid, "rot"));
  EXPECT_EQ(*st->keys().get(iccid), vendor_keys());
  EXPECT_EQ(*st->audit().count(), audits);
  EXPECT_FALSE(resolvable_rotation(*st, iccid, "rot").ok());
  // A malformed action is refused before anything is written.
  setup(*st, make_iccid(4), "rot", job_state::failed);
  EXPECT_FALSE(resolve_pending_keys(*st, {make_iccid(4), "rot", true, "x\"y", ""}).ok());
  EXPECT_TRUE(*st->keys().has_pending(make_iccid(4), "rot"));
}

}  // namespace
}  // namespace otaflow::storage
