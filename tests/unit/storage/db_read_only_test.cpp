// The read-only (RocksDB secondary) handle of a state directory another handle holds: what
// `campaign status` uses while `campaign run` or `serve` holds the directory.

#include <gtest/gtest.h>

#include "storage/api.hpp"
#include "storage_test_util.hpp"

namespace otaflow::storage::test {
namespace {

result<std::unique_ptr<state>> open_read_only(const std::filesystem::path& dir,
                                              const secret& kek = test_kek()) {
  db_options o;
  o.dir = dir;
  o.read_only = true;
  o.block_cache_bytes = 8u << 20;
  return state::open(o, kek);
}

campaign_record campaign(const std::string& id) {
  campaign_record c;
  c.id = id;
  c.status = campaign_status::running;
  c.format = "json";
  c.definition = "{}";
  c.created_ms = 1000;
  c.updated_ms = 2000;
  return c;
}

job_update job(const std::string& campaign_id, std::uint64_t serial, model::job_state s) {
  job_update u;
  u.campaign_id = campaign_id;
  u.iccid = make_iccid(serial);
  u.record.state = s;
  u.record.attempt = 1;
  return u;
}

TEST(DbReadOnly, ReadsWhileAnotherHandleHoldsTheDirectoryAndCatchesUp) {
  temp_dir d;
  auto primary = open_state(d.path());
  ASSERT_TRUE(primary);
  ASSERT_TRUE(primary->campaigns().put(campaign("c1")).ok());
  std::vector<job_update> first = {job("c1", 1, model::job_state::done),
                                   job("c1", 2, model::job_state::accepted)};
  ASSERT_TRUE(primary->jobs().commit(first, {}, primary->audit(), true).ok());

  // The writable open is refused (the LOCK is held); the read-only one is not.
  auto ro = open_read_only(d.path());
  ASSERT_TRUE(ro.ok()) << ro.error().message;
  auto& r = **ro;
  EXPECT_TRUE(r.database().read_only());
  auto c = r.campaigns().get("c1");
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->status, campaign_status::running);
  auto counts = r.jobs().count_by_state("c1");
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(*counts, (std::map<model::job_state, std::uint64_t>{{model::job_state::accepted, 1},
                                                                {model::job_state::done, 1}}));

  // The holder writes on; the read-only handle sees it after catch_up(), not before.
  std::vector<job_update> second = {job("c1", 2, model::job_state::done),
                                    job("c1", 3, model::job_state::queued)};
  ASSERT_TRUE(primary->jobs().commit(second, {}, primary->audit(), true).ok());
  counts = r.jobs().count_by_state("c1");
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->at(model::job_state::done), 1u);
  ASSERT_TRUE(r.database().catch_up().ok());
  counts = r.jobs().count_by_state("c1");
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(*counts, (std::map<model::job_state, std::uint64_t>{{model::job_state::queued, 1},
                                                                {model::job_state::done, 2}}));
  // A flush and compaction of the holder's files does not break the reader.
  ASSERT_TRUE(primary->database().flush().ok());
  ASSERT_TRUE(r.database().catch_up().ok());
  auto j = r.jobs().get("c1", make_iccid(3));
  ASSERT_TRUE(j.ok() && j->has_value());
  EXPECT_EQ((*j)->state, model::job_state::queued);
}

TEST(DbReadOnly, EveryWriteIsRefusedClearlyAndNothingChanges) {
  temp_dir d;
  auto primary = open_state(d.path());
  ASSERT_TRUE(primary);
  ASSERT_TRUE(primary->campaigns().put(campaign("c1")).ok());
  auto ro = open_read_only(d.path());
  ASSERT_TRUE(ro.ok()) << ro.error().message;
  auto& r = **ro;

  auto s = r.campaigns().set_status("c1", campaign_status::paused);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, make_error_code(errc::unsupported));
  EXPECT_NE(s.error().message.find("is open read-only"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find(d.path().string()), std::string::npos) << s.error().message;
  std::vector<job_update> u = {job("c1", 1, model::job_state::done)};
  EXPECT_FALSE(r.jobs().commit(u, {}, r.audit(), true).ok());
  rocksdb::WriteBatch b;
  b.Put(r.database().handle(column::meta), "x", "y");
  EXPECT_FALSE(r.database().commit_unlogged(b).ok());
  EXPECT_FALSE(r.database().apply(b, false).ok());
  EXPECT_FALSE(r.database().flush().ok());
  EXPECT_EQ(r.database().commits(), 0u);

  // The holder's view is untouched.
  auto c = primary->campaigns().get("c1");
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->status, campaign_status::running);
  auto none = primary->jobs().get("c1", make_iccid(1));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST(DbReadOnly, NeverCreatesAndChecksTheKek) {
  temp_dir d;
  auto missing = open_read_only(d.path());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, make_error_code(errc::not_found));
  EXPECT_FALSE(std::filesystem::exists(d.path()));
  {
    auto primary = open_state(d.path());
    ASSERT_TRUE(primary);
  }
  auto wrong = open_read_only(d.path(), test_kek(0x43));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, make_error_code(errc::verification));
  // With no holder at all it reads too.
  auto ro = open_read_only(d.path());
  ASSERT_TRUE(ro.ok()) << ro.error().message;
  auto list = (*ro)->campaigns().list();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

}  // namespace
}  // namespace otaflow::storage::test
