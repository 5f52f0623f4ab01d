// Four eyes in `otaflow serve` (docs/SECURITY.md): a campaign record of a key rotation without
// enough approvals is dead-lettered with the refusal's text, audited, and not defined (its
// triggers are those of an unknown campaign); the same campaign with two approvals in its
// "approvals" array is defined and its approval audited; a selection trigger for every card of a
// campaign approved for a narrower target is dead-lettered when target_all needs approvals.

#include <nlohmann/json.hpp>

#include "actors/campaign_approval.hpp"
#include "kafka/events.hpp"
#include "tests/unit/service/serve_test_util.hpp"

namespace otaflow::service::test {
namespace {

const nlohmann::json kRotation = nlohmann::json::parse(R"({"id":"rot",
  "security":{"spi":"1629","kic":"15","kid":"15","tar":"B00010"},"target":{"all":true},
  "update":{"keys":{"rotate":["ki","opc"]}}})");

std::string campaign_record(const nlohmann::json& campaign) {
  return nlohmann::json{{"type", "campaign"}, {"campaign", campaign}}.dump();
}

// The audit records of type `campaign` with an "approved" or "refused" action, parsed.
std::vector<nlohmann::json> approval_records(storage::state& st) {
  std::vector<nlohmann::json> out;
  auto page = st.audit().read(0, 100000);
  EXPECT_TRUE(page.ok());
  if (!page) return out;
  for (const auto& e : *page) {
    if (e.event.type != storage::audit_type::campaign) continue;
    auto d = nlohmann::json::parse(e.event.details);
    if (d["action"] == "approved" || d["action"] == "refused") out.push_back(d);
  }
  return out;
}

struct approver_keys {
  temp_dir dir;
  std::unique_ptr<secure::ed25519_signer> alice, bob;
  approver_keys() {
    std::filesystem::create_directories(dir.path());
    alice = secure::ed25519_signer::generate(dir.path() / "alice.pem").value();
    bob = secure::ed25519_signer::generate(dir.path() / "bob.pem").value();
  }
  void configure(actors::approval_policy& p) const {
    for (auto [n, k] : {std::pair{"alice", alice.get()}, std::pair{"bob", bob.get()}}) {
      p.keys.push_back({n, k->public_key(), actors::approval_key_id(k->public_key())});
    }
    p.configured = true;
  }
};

TEST_F(service_fixture, AnUnapprovedKeyRotationIsDeadLetteredAuditedAndNotDefined) {
  approver_keys keys;
  keys.configure(cfg.approvals);
  cfg.serve.unknown_campaign_grace = 500ms;
  start();
  send(0, campaign_record(kRotation));  // 0@0: no approvals
  send(0, trigger("rot", 0));           // 0@1: for a campaign not defined
  std::vector<record> dlq;
  ASSERT_TRUE(eventually([&] { return (dlq = probe_->read(cfg.kafka.dlq_topic, 1)).size() == 2; }));
  auto refusal = kafka::parse_dlq_record(dlq[0].payload);
  ASSERT_TRUE(refusal.ok()) << refusal.error().message;
  EXPECT_EQ(refusal->offset, 0);
  EXPECT_EQ(refusal->reason,
            "campaign 'rot' refused: 0 valid approval(s) of 2 required (key_rotation needs 2: "
            "update.keys rotates ki, opc); it carries no approvals: sign it with `otaflow "
            "campaign sign --key FILE CAMPAIGN`");
  auto unknown = kafka::parse_dlq_record(dlq[1].payload);
  ASSERT_TRUE(unknown.ok()) << unknown.error().message;
  EXPECT_EQ(unknown->offset, 1);
  EXPECT_EQ(unknown->reason, "campaign 'rot' is not defined");
  EXPECT_EQ(status_of("rot"), "none");
  EXPECT_FALSE(job("rot", 0).has_value());
  std::vector<nlohmann::json> audited;
  ASSERT_TRUE(eventually([&] { return !(audited = approval_records(*state_)).empty(); }));
  EXPECT_EQ(audited[0]["action"], "refused");
  EXPECT_EQ(audited[0]["by"], "kafka " + cfg.kafka.triggers_topic + "[0]@0");
  EXPECT_EQ(audited[0]["valid"], 0);
  EXPECT_EQ(audited[0]["required"], 2);

  // One approval of a version with another target, one of this version: still one short.
  const auto def = actors::signed_campaign_from_json(kRotation).value().def;
  auto other = def;
  other.target = {};
  other.target.iccid_prefix = "8988";
  auto signed_once = kRotation;
  signed_once["approvals"] = {
      actors::approval_json(actors::sign_campaign(other, *keys.alice, "alice")),
      actors::approval_json(actors::sign_campaign(def, *keys.bob, "bob"))};
  send(0, campaign_record(signed_once));  // 0@2
  ASSERT_TRUE(eventually([&] { return (dlq = probe_->read(cfg.kafka.dlq_topic, 1)).size() == 3; }));
  auto stale = kafka::parse_dlq_record(dlq[2].payload);
  ASSERT_TRUE(stale.ok());
  const auto id = actors::approval_key_id(keys.alice->public_key());
  EXPECT_EQ(stale->reason.rfind("campaign 'rot' refused: 1 valid approval(s) of 2 required "
                                "(key_rotation needs 2: update.keys rotates ki, opc); approval 1 "
                                "(key " +
                                    id + ", alice): signed a different version of the campaign",
                                0),
            0u)
      << stale->reason;
  EXPECT_EQ(status_of("rot"), "none");

  // Both approvers, this version: defined, and the approval audited with their key ids.
  auto approved = kRotation;
  approved["approvals"] = {actors::approval_json(actors::sign_campaign(def, *keys.alice, "")),
                           actors::approval_json(actors::sign_campaign(def, *keys.bob, ""))};
  send(1, campaign_record(approved));  // 1@0
  ASSERT_TRUE(eventually([&] { return status_of("rot") == "running"; }));
  ASSERT_TRUE(eventually([&] { return approval_records(*state_).size() == 3; }));
  const auto ok = approval_records(*state_).back();
  EXPECT_EQ(ok["action"], "approved");
  EXPECT_EQ(ok["by"], "kafka " + cfg.kafka.triggers_topic + "[1]@0");
  EXPECT_EQ(ok["approvers"],
            nlohmann::json::parse(R"([{"key_id":")" + id + R"(","name":"alice"},{"key_id":")" +
                                  actors::approval_key_id(keys.bob->public_key()) +
                                  R"(","name":"bob"}])"));
  ASSERT_TRUE(committed_becomes({3, 1}));
  EXPECT_EQ(probe_->read(cfg.kafka.dlq_topic, 1).size(), 3u);
}

TEST_F(service_fixture, ASelectionOfEveryCardNeedsACampaignApprovedForEveryCard) {
  cfg.approvals.required[actors::approval_rule::target_all] = 1;
  start();
  auto narrow = nlohmann::json::parse(campaign_event("narrow"))["campaign"];
  narrow["target"] = {{"iccid_prefix", "8988"}};
  send(0, campaign_record(narrow));  // 0@0: needs no approval
  ASSERT_TRUE(eventually([&] { return status_of("narrow") == "running"; }));
  send(0, R"({"type":"trigger","campaign":"narrow","target":{"all":true}})");  // 0@1
  std::vector<record> dlq;
  ASSERT_TRUE(eventually([&] { return !(dlq = probe_->read(cfg.kafka.dlq_topic, 1)).empty(); }));
  auto rec = kafka::parse_dlq_record(dlq[0].payload);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->offset, 1);
  EXPECT_EQ(rec->reason,
            "trigger: its target selects every card, which needs 1 approval(s) (target_all), and "
            "campaign 'narrow' was approved for a narrower target: define it with target all and "
            "approvals");
  ASSERT_TRUE(committed_becomes({2, -1001}));
  for (int i = 0; i < cards; ++i) EXPECT_FALSE(job("narrow", i).has_value()) << i;
}

}  // namespace
}  // namespace otaflow::service::test
