// The campaign views (service/campaign_view.hpp) over a real state directory: counts per
// state, variant and PoR status, failures per reason, rate and ETA, the definition summary
// without key material or update data, one card's job, the list; and the same views through
// a read-only handle while a writable one holds the directory.

#include "service/campaign_view.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "actors/campaign_def.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

namespace otaflow::service {
namespace {

using model::job_state;
using storage::test::make_iccid;
using storage::test::temp_dir;

constexpr std::int64_t kNow = 1'700'000'000'000;
// A raw APDU that would carry key material (a PUT KEY's data) and an update's data: neither
// may appear in a view.
constexpr std::string_view kSecretApdu = "80D8000113AABBCCDDEEFF00112233445566778899AABBCC";
constexpr std::string_view kFileData = "00F120FFFFFFFFFFFFFFFFFF";

std::string definition_json() {
  const std::string toml = std::string(R"(id = "c1"
[security]
spi = "1629"
kic = "15"
kid = "15"
tar = "B00010"
[target]
all = true
[[update.files]]
path = "3F00/7FFF/6F7B"
data = ")") + std::string(kFileData) +
                           R"("
[update]
apdus = [")" + std::string(kSecretApdu) +
                           R"("]
[policy]
rate = 50
window = 20
max_attempts = 2
por_timeout = "10s"
)";
  auto def = actors::campaign_from_toml(toml, "test");
  EXPECT_TRUE(def.ok()) << (def.ok() ? "" : def.error().message);
  return def.ok() ? actors::to_json(*def).dump() : "{}";
}

storage::job_update job(std::uint64_t serial, job_state s, std::string variant,
                        std::optional<std::uint8_t> por, std::int64_t updated,
                        std::string reason = "") {
  storage::job_update u;
  u.campaign_id = "c1";
  u.iccid = make_iccid(serial);
  u.record.state = s;
  u.record.attempt = 1;
  u.record.variant = std::move(variant);
  u.record.por_status = por;
  u.record.updated_ms = updated;
  u.record.started_ms = updated - 500;
  u.record.reason = std::move(reason);
  if (s != job_state::queued) u.record.counters = {serial};
  u.record.history = {{job_state::queued, updated - 500, 0, std::nullopt}, {s, updated, 1, por}};
  return u;
}

// c1: 3 done in the last minute, 1 done earlier, 1 failed (PoR 01), 2 in flight, 1 skipped;
// c2: no jobs.
void fill(storage::state& st) {
  storage::campaign_record c;
  c.id = "c1";
  c.status = storage::campaign_status::running;
  c.format = "json";
  c.definition = definition_json();
  c.created_ms = kNow - 600'000;
  c.updated_ms = kNow - 599'000;
  ASSERT_TRUE(st.campaigns().put(c).ok());
  c.id = "c2";
  c.status = storage::campaign_status::paused;
  c.format = "toml";
  c.definition = "not = [valid";
  ASSERT_TRUE(st.campaigns().put(c).ok());
  std::vector<storage::job_update> jobs = {
      job(1, job_state::done, "default", 0x00, kNow - 1'000),
      job(2, job_state::done, "default", 0x00, kNow - 20'000),
      job(3, job_state::done, "default", 0x00, kNow - 59'000),
      job(4, job_state::done, "default", 0x00, kNow - 300'000),
      job(5, job_state::failed, "default", 0x01, kNow - 2'000, "PoR 01: RC/CC/DS failed"),
      job(6, job_state::accepted, "default", std::nullopt, kNow - 3'000),
      job(7, job_state::retry_wait, "default", 0x01, kNow - 4'000, "PoR 01"),
      job(8, job_state::skipped, "", std::nullopt, kNow - 5'000, "no rule matched"),
  };
  ASSERT_TRUE(st.jobs().commit(jobs, {}, st.audit(), true).ok());
}

TEST(CampaignView, DetailCountsRateEtaAndDefinitionWithoutSecrets) {
  temp_dir d;
  auto st = storage::test::open_state(d.path());
  ASSERT_TRUE(st);
  fill(*st);
  auto v = campaign_detail(*st, "c1", kNow);
  ASSERT_TRUE(v.ok()) << v.error().message;
  ASSERT_TRUE(v->has_value());
  const auto& j = **v;
  EXPECT_EQ(j["id"], "c1");
  EXPECT_EQ(j["status"], "running");
  EXPECT_EQ(j["cards"], 8);
  EXPECT_EQ(j["done"], 4);
  EXPECT_EQ(j["failed"], 1);
  EXPECT_EQ(j["skipped"], 1);
  EXPECT_EQ(j["in_progress"], 2);
  EXPECT_EQ(j["states"], nlohmann::json::parse(
                             R"({"done":4,"failed":1,"accepted":1,"retry_wait":1,"skipped":1})"));
  EXPECT_EQ(j["variants"]["default"]["cards"], 7);
  EXPECT_EQ(j["variants"]["default"]["done"], 4);
  EXPECT_EQ(j["variants"]["(none)"]["skipped"], 1);
  EXPECT_EQ(j["por_status"], nlohmann::json::parse(R"({"00":4,"01":2})"));
  EXPECT_EQ(j["failure_reasons"], nlohmann::json::parse(R"({"PoR 01: RC/CC/DS failed":1})"));
  EXPECT_EQ(j["started_ms"], kNow - 300'500);
  EXPECT_EQ(j["jobs_updated_ms"], kNow - 1'000);
  // Ended in the last minute: done 1, 2, 3, failed 5, skipped 8 = 5 cards / 60 s.
  EXPECT_DOUBLE_EQ(j["rate_per_second"].get<double>(), 5.0 / 60.0);
  EXPECT_EQ(j["eta_seconds"], 24);  // 2 in progress at 1/12 per second
  const auto& def = j["definition"];
  EXPECT_EQ(def["security"]["spi"], "1629");
  EXPECT_EQ(def["security"]["tar"], "B00010");
  EXPECT_EQ(def["security"]["keyset"], 1);
  EXPECT_EQ(def["target"]["all"], true);
  EXPECT_EQ(def["policy"]["rate"], 50);
  EXPECT_EQ(def["policy"]["max_attempts"], 2);
  EXPECT_EQ(def["policy"]["por_timeout_ms"], 10'000);
  ASSERT_EQ(def["variants"].size(), 1u);
  EXPECT_EQ(def["variants"][0]["name"], "default");
  EXPECT_EQ(def["variants"][0]["update"]["files"],
            nlohmann::json::parse(R"([{"path":"3F00/7FFF/6F7B","offset":0,"length":12}])"));
  EXPECT_EQ(def["variants"][0]["update"]["apdus"], 1);
  std::string text = j.dump();
  for (auto& ch : text) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_EQ(text.find("AABBCCDDEEFF0011"), std::string::npos) << text;
  EXPECT_EQ(text.find(kFileData), std::string::npos) << text;
}

TEST(CampaignView, NothingRecentGivesNoRateAndNoEta) {
  temp_dir d;
  auto st = storage::test::open_state(d.path());
  ASSERT_TRUE(st);
  fill(*st);
  auto v = campaign_detail(*st, "c1", kNow + 3'600'000);
  ASSERT_TRUE(v.ok() && v->has_value());
  EXPECT_EQ((**v)["rate_per_second"], 0.0);
  EXPECT_TRUE((**v)["eta_seconds"].is_null());
  // A campaign without jobs, whose stored definition does not parse: counts 0, the error named.
  auto e = campaign_detail(*st, "c2", kNow);
  ASSERT_TRUE(e.ok() && e->has_value());
  EXPECT_EQ((**e)["cards"], 0);
  EXPECT_TRUE((**e)["started_ms"].is_null());
  EXPECT_TRUE((**e)["definition"].contains("error"));
  auto none = campaign_detail(*st, "nope", kNow);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST(CampaignView, ListAndCard) {
  temp_dir d;
  auto st = storage::test::open_state(d.path());
  ASSERT_TRUE(st);
  fill(*st);
  auto l = campaign_list(*st);
  ASSERT_TRUE(l.ok()) << l.error().message;
  EXPECT_EQ(*l, nlohmann::json::parse(R"([
    {"id":"c1","status":"running","created_ms":1699999400000,"updated_ms":1699999401000,
     "cards":8,"done":4,"failed":1,"skipped":1,"in_progress":2},
    {"id":"c2","status":"paused","created_ms":1699999400000,"updated_ms":1699999401000,
     "cards":0,"done":0,"failed":0,"skipped":0,"in_progress":0}])"));

  auto c = card_detail(*st, "c1", make_iccid(5));
  ASSERT_TRUE(c.ok() && c->has_value());
  const auto& j = **c;
  EXPECT_EQ(j["iccid"], make_iccid(5));
  EXPECT_EQ(j["state"], "failed");
  EXPECT_EQ(j["terminal"], true);
  EXPECT_EQ(j["attempts"], 1);
  EXPECT_EQ(j["counters"], nlohmann::json::array({5}));
  EXPECT_EQ(j["por_status"], "01");
  EXPECT_EQ(j["reason"], "PoR 01: RC/CC/DS failed");
  EXPECT_EQ(j["updated_ms"], kNow - 2'000);
  EXPECT_TRUE(j["last_sw"].is_null());
  EXPECT_EQ(
      j["history"],
      nlohmann::json::parse(R"([{"state":"queued","at_ms":)" + std::to_string(kNow - 2'500) +
                            R"(,"attempt":0},{"state":"failed","at_ms":)" +
                            std::to_string(kNow - 2'000) + R"(,"attempt":1,"por_status":"01"}])"));
  auto missing = card_detail(*st, "c1", make_iccid(99));
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

// A RAM job's listing: per list step the entries decoded (AID, life cycle, privileges, ELF and
// modules); a step whose data does not decode shows its hex and the decoder's error.
TEST(CampaignView, JobListingDecodedOrHexWithTheError) {
  model::job_record j;
  j.state = job_state::done;
  // Page 0 of step 5: an application of ELF A0000001514142 with privileges 00; page 1: the
  // package with its module.
  model::put_listing_page(j, 5, 0, hex("E3194F07A00000015141439F700107C50100C407A0000001514142"));
  model::put_listing_page(j, 5, 1,
                          hex("E3194F07A00000015141429F700101CE0101"
                              "8407A0000001514143"));
  model::put_listing_page(j, 6, 0, hex("E3054F03A0"));  // cut short
  const auto out = job_json("c1", "8901", j);
  ASSERT_TRUE(out.contains("listing")) << out.dump();
  const auto& l = out["listing"];
  EXPECT_EQ(l["truncated"], false);
  ASSERT_EQ(l["steps"].size(), 2u);
  const auto& s5 = l["steps"][0];
  EXPECT_EQ(s5["step"], 5);
  EXPECT_EQ(s5["pages"], 2);
  ASSERT_EQ(s5["entries"].size(), 2u) << s5.dump();
  EXPECT_EQ(s5["entries"][0]["aid"], "A0000001514143");
  EXPECT_EQ(s5["entries"][0]["life_cycle"], "07");
  EXPECT_EQ(s5["entries"][0]["privileges"], "00");
  EXPECT_EQ(s5["entries"][0]["load_file_aid"], "A0000001514142");
  EXPECT_EQ(s5["entries"][1]["aid"], "A0000001514142");
  EXPECT_EQ(s5["entries"][1]["life_cycle"], "01");
  EXPECT_EQ(s5["entries"][1]["load_file_version"], "01");
  EXPECT_EQ(s5["entries"][1]["modules"], nlohmann::json::array({"A0000001514143"}));
  const auto& s6 = l["steps"][1];
  EXPECT_EQ(s6["step"], 6);
  EXPECT_FALSE(s6.contains("entries"));
  EXPECT_EQ(s6["hex"], "E3054F03A0");
  EXPECT_FALSE(s6["error"].get<std::string>().empty());
  // No listing: no "listing" key; a dropped page alone still says so.
  model::job_record none;
  EXPECT_FALSE(job_json("c1", "8901", none).contains("listing"));
  none.step_flags = model::step_flag::listing_truncated;
  EXPECT_EQ(job_json("c1", "8901", none)["listing"]["truncated"], true);
}

TEST(CampaignView, ReadOnlyHandleBesideTheHolderGivesTheSameView) {
  temp_dir d;
  auto st = storage::test::open_state(d.path());
  ASSERT_TRUE(st);
  fill(*st);
  storage::db_options o;
  o.dir = d.path();
  o.read_only = true;
  auto ro = storage::state::open(o, storage::test::test_kek());
  ASSERT_TRUE(ro.ok()) << ro.error().message;
  auto a = campaign_detail(*st, "c1", kNow);
  auto b = campaign_detail(**ro, "c1", kNow);
  ASSERT_TRUE(a.ok() && b.ok() && a->has_value() && b->has_value());
  EXPECT_EQ(**a, **b);
}

}  // namespace
}  // namespace otaflow::service
