// The tamper-evident audit log: every record links to the one before it, checkpoints are
// signed with Ed25519, and verify_audit names a changed, removed, reordered or inserted
// record, a forged checkpoint and a key it does not trust. The tampering is done with
// RocksDB itself, as someone with write access to the state directory would.

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "storage/audit_verify.hpp"
#include "storage/record_io.hpp"
#include "storage_test_util.hpp"

namespace otaflow::storage {
namespace {

using test::open_state;
using test::temp_dir;

audit_event event(int i) {
  return {1700000000000 + i, "c1", test::make_iccid(static_cast<std::uint64_t>(i)),
          audit_type::state, "attempt " + std::to_string(i)};
}

void fill(state& st, int n) {
  for (int i = 1; i <= n; ++i) ASSERT_TRUE(st.audit().append(event(i), false).ok());
}

std::string raw_get(state& st, std::uint64_t seq) {
  std::string v;
  auto s = st.database().raw().Get({}, st.database().handle(column::audit), detail::be64(seq), &v);
  EXPECT_TRUE(s.ok());
  return v;
}

void raw_put(state& st, std::uint64_t seq, const std::string& v) {
  ASSERT_TRUE(
      st.database().raw().Put({}, st.database().handle(column::audit), detail::be64(seq), v).ok());
}

void raw_delete(state& st, std::uint64_t seq) {
  ASSERT_TRUE(
      st.database().raw().Delete({}, st.database().handle(column::audit), detail::be64(seq)).ok());
}

audit_verification verify(state& st, std::span<const secure::ed25519_public> trusted = {}) {
  auto v = verify_audit(st.database(), trusted);
  EXPECT_TRUE(v.ok());
  return v.ok() ? std::move(*v) : audit_verification{};
}

std::string problems_text(const audit_verification& v) {
  std::string s;
  for (const auto& p : v.problems) s += std::to_string(p.seq) + ": " + p.what + "\n";
  return s;
}

TEST(AuditChain, AnUntouchedLogVerifiesAndEachRecordLinksToThePrevious) {
  temp_dir dir;
  auto st = open_state(dir.path());
  fill(*st, 20);
  auto v = verify(*st);
  EXPECT_TRUE(v.ok()) << problems_text(v);
  EXPECT_EQ(v.records, 20u);
  EXPECT_EQ(v.legacy, 0u);
  EXPECT_EQ(v.unsigned_tail, 20u);
  const auto r3 = raw_get(*st, 3), r4 = raw_get(*st, 4);
  auto e4 = audit_log::decode_entry(4, detail::as_bytes(r4));
  ASSERT_TRUE(e4.ok());
  EXPECT_TRUE(e4->chained);
  EXPECT_EQ(e4->link, audit_chain_hash(3, detail::as_bytes(r3)));
}

TEST(AuditChain, AChangedRecordIsNamed) {
  temp_dir dir;
  auto st = open_state(dir.path());
  fill(*st, 10);
  auto r = raw_get(*st, 5);
  const auto pos = r.find("attempt 5");
  ASSERT_NE(pos, std::string::npos);
  r[pos + 8] = '9';  // "attempt 9"
  raw_put(*st, 5, r);
  auto v = verify(*st);
  ASSERT_EQ(v.problems.size(), 1u) << problems_text(v);
  EXPECT_EQ(v.problems[0].seq, 5u);
  EXPECT_EQ(v.problems[0].what, "record 5 changed (record 6's link does not match it)");
}

TEST(AuditChain, ARemovedRecordIsNamed) {
  temp_dir dir;
  auto st = open_state(dir.path());
  fill(*st, 10);
  raw_delete(*st, 4);
  raw_delete(*st, 5);
  auto v = verify(*st);
  ASSERT_EQ(v.problems.size(), 1u) << problems_text(v);
  EXPECT_EQ(v.problems[0].seq, 4u);
  EXPECT_EQ(v.problems[0].what, "records 4..5 removed (missing from the log)");
}

TEST(AuditChain, RemovingARecordAndRenumberingTheRestIsNamed) {
  temp_dir dir;
  auto st = open_state(dir.path());
  fill(*st, 10);
  for (std::uint64_t s = 6; s <= 10; ++s) raw_put(*st, s - 1, raw_get(*st, s));
  raw_delete(*st, 10);
  auto v = verify(*st);
  ASSERT_FALSE(v.ok());
  ASSERT_EQ(v.problems.size(), 1u) << problems_text(v);  // not one for every later record
  EXPECT_EQ(v.problems[0].seq, 5u);
  EXPECT_EQ(v.problems[0].what, "a record before record 5 removed (records from 5 on renumbered)");
}

TEST(AuditChain, TwoSwappedRecordsAreNamed) {
  temp_dir dir;
  auto st = open_state(dir.path());
  fill(*st, 10);
  const auto a = raw_get(*st, 6), b = raw_get(*st, 7);
  raw_put(*st, 6, b);
  raw_put(*st, 7, a);
  auto v = verify(*st);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.problems[0].seq, 6u) << problems_text(v);
  EXPECT_EQ(v.problems[0].what, "records 6 and 7 swapped (reordered)") << problems_text(v);
}

TEST(AuditChain, AnInsertedRecordIsNamed) {
  temp_dir dir;
  auto st = open_state(dir.path());
  fill(*st, 10);
  // Shift 6..10 up by one and put a forged record, linked correctly to 5, at 6.
  for (std::uint64_t s = 10; s >= 6; --s) raw_put(*st, s + 1, raw_get(*st, s));
  const auto forged =
      audit_log::encode(event(99), audit_chain_hash(5, detail::as_bytes(raw_get(*st, 5))));
  raw_put(*st, 6, std::string(detail::as_chars(forged)));
  auto v = verify(*st);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.problems[0].seq, 6u) << problems_text(v);
  EXPECT_EQ(v.problems[0].what, "record 6 inserted (record 7 links past it)") << problems_text(v);
  EXPECT_EQ(v.problems.size(), 1u) << problems_text(v);
}

TEST(AuditChain, CheckpointsAreSignedAndVerifiedAgainstTrustedKeys) {
  temp_dir dir, keys;
  auto signer = secure::ed25519_signer::generate(keys.path().string() + ".pem");
  ASSERT_TRUE(signer.ok()) << signer.error().message;
  std::shared_ptr<const secure::ed25519_signer> sp = std::move(*signer);
  auto st = open_state(dir.path());
  st->audit().set_signer(sp, 5);
  fill(*st, 12);  // checkpoints after records 5 and 11 (the first one is record 6)
  ASSERT_TRUE(st->audit().checkpoint(true).ok());
  auto v = verify(*st);
  EXPECT_TRUE(v.ok()) << problems_text(v);
  EXPECT_EQ(v.checkpoints, 3u);
  EXPECT_EQ(v.unsigned_tail, 0u);
  ASSERT_EQ(v.signers.size(), 1u);
  const secure::ed25519_public trusted[] = {sp->public_key()};
  EXPECT_TRUE(verify(*st, trusted).ok());
  secure::ed25519_public other = sp->public_key();
  other[0] ^= 1;
  const secure::ed25519_public wrong[] = {other};
  auto w = verify(*st, wrong);
  ASSERT_EQ(w.problems.size(), 3u) << problems_text(w);
  EXPECT_EQ(w.problems[0].what.rfind("checkpoint: signed by a key that is not trusted", 0), 0u);
  std::filesystem::remove(keys.path().string() + ".pem");
}

TEST(AuditChain, AChangedRecordUnderACheckpointIsNamedEvenIfTheChainIsRebuilt) {
  temp_dir dir, keys;
  auto signer = secure::ed25519_signer::generate(keys.path().string() + ".pem");
  ASSERT_TRUE(signer.ok());
  std::shared_ptr<const secure::ed25519_signer> sp = std::move(*signer);
  auto st = open_state(dir.path());
  st->audit().set_signer(sp, 100);
  fill(*st, 6);
  ASSERT_TRUE(st->audit().checkpoint(true).ok());  // record 7 signs record 6
  // Rewrite record 3 and re-link 4..7 so that the chain itself holds again.
  auto r3 = raw_get(*st, 3);
  r3[r3.find("attempt 3") + 8] = '7';
  raw_put(*st, 3, r3);
  for (std::uint64_t s = 4; s <= 7; ++s) {
    auto e = audit_log::decode_entry(s, detail::as_bytes(raw_get(*st, s)));
    ASSERT_TRUE(e.ok());
    const auto v =
        audit_log::encode(e->event, audit_chain_hash(s - 1, detail::as_bytes(raw_get(*st, s - 1))));
    raw_put(*st, s, std::string(detail::as_chars(v)));
  }
  auto v = verify(*st);
  ASSERT_EQ(v.problems.size(), 1u) << problems_text(v);
  EXPECT_EQ(v.problems[0].seq, 7u);
  EXPECT_EQ(v.problems[0].what,
            "checkpoint: signed chain hash differs from record 6 (records up to it were changed)");
  std::filesystem::remove(keys.path().string() + ".pem");
}

TEST(AuditChain, SequenceNumbersNeverCommittedAreDeclaredAtTheNextOpen) {
  temp_dir dir;
  {
    auto st = open_state(dir.path());
    fill(*st, 5);
    rocksdb::WriteBatch lost;
    (void)st->audit().stage(lost, event(6));  // staged, never committed (a crash)
    fill(*st, 2);                             // records 7 and 8
    auto v = verify(*st);
    ASSERT_EQ(v.problems.size(), 1u) << problems_text(v);
    EXPECT_EQ(v.problems[0].what, "record 6 removed (missing from the log)");
  }
  auto st = open_state(dir.path());  // declares record 6 in a recovery record (9)
  auto v = verify(*st);
  EXPECT_TRUE(v.ok()) << problems_text(v);
  EXPECT_EQ(v.declared_missing, 1u);
  auto log = st->audit().read(9, 1);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ((*log)[0].event.type, audit_type::recovery);
  st.reset();
  auto again = open_state(dir.path());  // nothing new to declare
  EXPECT_EQ(again->audit().next_seq(), 10u);
}

TEST(AuditChain, TheOpenLooksAtTheTailOnlyNotTheWholeLog) {
  temp_dir dir;
  {
    auto st = open_state(dir.path());
    fill(*st, 2);
    rocksdb::WriteBatch lost;
    (void)st->audit().stage(lost, event(3));  // a gap far from the tail
    rocksdb::WriteBatch many;
    for (std::uint64_t i = 0; i < audit_recovery_scan; ++i) (void)st->audit().stage(many, event(4));
    ASSERT_TRUE(st->database().commit(many, false).ok());
  }
  auto st = open_state(dir.path());
  auto v = verify(*st);  // not declared: the open read only the last audit_recovery_scan
  ASSERT_EQ(v.problems.size(), 1u) << problems_text(v);
  EXPECT_EQ(v.problems[0].what, "record 3 removed (missing from the log)");
  EXPECT_EQ(st->audit().next_seq(), 4 + audit_recovery_scan);  // and no recovery record
}

TEST(AuditChain, AKeyFileReadableByOthersIsRefused) {
  temp_dir keys;
  const auto path = keys.path().string() + ".pem";
  ASSERT_TRUE(secure::ed25519_signer::generate(path).ok());
  std::filesystem::permissions(path, std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  auto k = secure::ed25519_signer::load(path);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.error().message,
            "Ed25519 key " + path + ": readable by group or others (mode 604; chmod 600 it)");
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace otaflow::storage
