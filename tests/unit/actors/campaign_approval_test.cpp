// Approved campaigns (four eyes): the signed message, the rules a campaign falls under, every
// refusal with its text (unsigned, too few, the same key twice, a key not configured, an older
// version, a corrupted signature) and acceptance; the [approvals] configuration; approvals in a
// TOML file and a JSON event.

#include "actors/campaign_approval.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/unit/storage/storage_test_util.hpp"

namespace otaflow::actors {
namespace {

using storage::test::temp_dir;

constexpr const char* kRotation = R"(
id = "rotate-1"
[security]
spi = "1629"
kic = "15"
kid = "15"
tar = "B00010"
[target]
iccid_prefix = "8988211"
[update.keys]
rotate = ["ki", "opc"]
)";

// The same campaign written differently: comments, another order, other spacing.
constexpr const char* kRotationReformatted = R"(
# a comment changes nothing
id = "rotate-1"
[update.keys]
rotate = [ "ki",   "opc" ]
[target]
iccid_prefix = "8988211"
[security]
tar = "B00010"
kid = "15"
kic = "15"
spi = "1629"
)";

// Edited after signing: another ICCID prefix.
constexpr const char* kRotationEdited = R"(
id = "rotate-1"
[security]
spi = "1629"
kic = "15"
kid = "15"
tar = "B00010"
[target]
iccid_prefix = "89"
[update.keys]
rotate = ["ki", "opc"]
)";

constexpr const char* kFileUpdate = R"(
id = "fplmn"
[security]
spi = "1621"
kic = "15"
kid = "15"
tar = "B00010"
[target]
all = true
[[update.files]]
path = "3F00/7FFF/6F7B"
data = "00F110FFFFFF"
)";

campaign_def parse(const char* toml) {
  auto c = campaign_from_toml(toml);
  EXPECT_TRUE(c.ok()) << c.error().message;
  return *c;
}

struct operators {
  temp_dir dir;
  std::unique_ptr<secure::ed25519_signer> alice, bob, mallory;
  approval_policy policy;
  operators() {
    std::filesystem::create_directories(dir.path());
    alice = secure::ed25519_signer::generate(dir.path() / "alice.pem").value();
    bob = secure::ed25519_signer::generate(dir.path() / "bob.pem").value();
    mallory = secure::ed25519_signer::generate(dir.path() / "mallory.pem").value();
    for (auto [n, k] : {std::pair{"alice", alice.get()}, std::pair{"bob", bob.get()}}) {
      policy.keys.push_back({n, k->public_key(), approval_key_id(k->public_key())});
    }
    policy.configured = true;
  }
};

TEST(CampaignApproval, MessageIsTheDomainAndTheDigestOfTheCanonicalJson) {
  const auto def = parse(kFileUpdate);
  // The canonical form, pinned: a change to to_json invalidates every approval.
  const std::string canonical =
      R"({"alerts":{"enabled":true,"min_cards":100,"pause_on_alert":false,)"
      R"("por_error_rate":0.05,"por_rejected_rate":0.01,"throttle_rate":0.5,"timeout_rate":0.1,)"
      R"("undeliverable_rate":0.1,"window":1000},"id":"fplmn","policy":{"max_attempts":3,)"
      R"("max_resends":5,"por_timeout":"30000ms","rate":200.0,"retry_backoff":"5000ms",)"
      R"("retry_max":"300000ms","window":1000},"security":{"cc_length":8,"counter_skip":100,)"
      R"("kic":"15","kid":"15","spi":"1621","tar":"B00010"},"target":{"all":true},)"
      R"("update":{"cla":"00","files":[{"data":"00f110ffffff","path":"3F00/7FFF/6F7B"}],)"
      R"("format":"compact"}})";
  EXPECT_EQ(to_json(def).dump(), canonical);
  const auto d = campaign_digest(def);
  const auto expected = secure::sha256(
      {byte_view(reinterpret_cast<const std::uint8_t*>(canonical.data()), canonical.size())});
  EXPECT_EQ(d, expected);
  // SHA-256 of the text above, computed by Python's hashlib.
  EXPECT_EQ(to_hex(byte_view(d.data(), d.size())),
            "afb8106ff1c231eb1a215c6a7b9accef70131da49000cb885da561ddb5ca9d44");
  const auto m = approval_message(def);
  const std::string domain = "otaflow-campaign-approval-v1";
  ASSERT_EQ(m.size(), domain.size() + 1 + 32);
  EXPECT_EQ(std::string(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(domain.size())), domain);
  EXPECT_EQ(m[domain.size()], 0x00);
  EXPECT_TRUE(
      std::equal(d.begin(), d.end(), m.begin() + static_cast<std::ptrdiff_t>(domain.size() + 1)));
}

TEST(CampaignApproval, DigestIgnoresLayoutButNotContent) {
  EXPECT_EQ(campaign_digest(parse(kRotation)), campaign_digest(parse(kRotationReformatted)));
  EXPECT_NE(campaign_digest(parse(kRotation)), campaign_digest(parse(kRotationEdited)));
}

TEST(CampaignApproval, KeyIdIsTheFirstEightOctetsOfTheKeysSha256) {
  secure::ed25519_public pub{};
  for (std::size_t i = 0; i < pub.size(); ++i) pub[i] = static_cast<std::uint8_t>(i);
  const auto h = secure::sha256({byte_view(pub.data(), pub.size())});
  EXPECT_EQ(approval_key_id(pub), to_hex(byte_view(h.data(), 8)));
  EXPECT_EQ(approval_key_id(pub).size(), 16u);
}

TEST(CampaignApproval, UnsignedKeyRotationWithoutConfiguredKeysIsRefused) {
  const auto def = parse(kRotation);
  const approval_policy fresh;  // a fresh install: no [approvals] at all
  auto c = check_approvals(def, {}, fresh);
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.required, 2u);
  EXPECT_EQ(c.valid, 0u);
  EXPECT_EQ(c.error_text(),
            "campaign 'rotate-1' refused: 0 valid approval(s) of 2 required (key_rotation needs "
            "2: update.keys rotates ki, opc); it carries no approvals: sign it with `otaflow "
            "campaign sign --key FILE CAMPAIGN`; no approver keys are configured: list their "
            "public keys in [approvals] keys of the serve configuration or of the file given to "
            "--approvals-config (docs/SECURITY.md \"Four eyes\")");
}

TEST(CampaignApproval, OneOfTwoApprovalsIsRefused) {
  operators ops;
  const auto def = parse(kRotation);
  auto c = check_approvals(def, {sign_campaign(def, *ops.alice, "alice")}, ops.policy);
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.valid, 1u);
  EXPECT_EQ(c.error_text(),
            "campaign 'rotate-1' refused: 1 valid approval(s) of 2 required (key_rotation needs "
            "2: update.keys rotates ki, opc)");
  ASSERT_EQ(c.verdicts.size(), 1u);
  EXPECT_TRUE(c.verdicts[0].counted);
  EXPECT_EQ(c.verdicts[0].name, "alice");
}

TEST(CampaignApproval, TheSameKeyTwiceCountsOnce) {
  operators ops;
  const auto def = parse(kRotation);
  const auto a = sign_campaign(def, *ops.alice, "alice");
  auto c = check_approvals(def, {a, sign_campaign(def, *ops.alice, "alice again")}, ops.policy);
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.valid, 1u);
  const auto id = approval_key_id(ops.alice->public_key());
  EXPECT_EQ(c.error_text(),
            "campaign 'rotate-1' refused: 1 valid approval(s) of 2 required (key_rotation needs "
            "2: update.keys rotates ki, opc); approval 2 (key " +
                id + ", alice): key " + id + " (alice) approved already: the same key counts once");
}

TEST(CampaignApproval, AKeyNotInTheConfigurationDoesNotCount) {
  operators ops;
  const auto def = parse(kRotation);
  auto c = check_approvals(
      def, {sign_campaign(def, *ops.alice, "alice"), sign_campaign(def, *ops.mallory, "mallory")},
      ops.policy);
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.valid, 1u);
  const auto id = approval_key_id(ops.mallory->public_key());
  EXPECT_EQ(c.verdicts[1].problem, "key " + id + " is not an approver key of the configuration");
  EXPECT_NE(c.error_text().find("approval 2 (key " + id + ", mallory): key " + id +
                                " is not an approver key of the configuration"),
            std::string::npos)
      << c.error_text();
}

TEST(CampaignApproval, ApprovalsOfAnOlderVersionAreRefused) {
  operators ops;
  const auto old_def = parse(kRotation);
  const auto edited = parse(kRotationEdited);
  const std::vector<campaign_approval> approvals = {sign_campaign(old_def, *ops.alice, "alice"),
                                                    sign_campaign(old_def, *ops.bob, "bob")};
  ASSERT_TRUE(check_approvals(old_def, approvals, ops.policy).ok());
  auto c = check_approvals(edited, approvals, ops.policy);
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.valid, 0u);
  const auto old_sha = to_hex(byte_view(campaign_digest(old_def).data(), 32));
  const auto new_sha = to_hex(byte_view(campaign_digest(edited).data(), 32));
  const auto problem = "signed a different version of the campaign (sha256 " +
                       old_sha.substr(0, 16) + "..., this version " + new_sha.substr(0, 16) +
                       "...): it was changed after signing";
  EXPECT_EQ(c.verdicts[0].problem, problem);
  EXPECT_EQ(c.verdicts[1].problem, problem);
  // Without the digest it claims to sign, a stale approval is a signature that fails.
  auto stale = approvals;
  stale[0].campaign_sha256.clear();
  EXPECT_EQ(check_approvals(edited, stale, ops.policy).verdicts[0].problem,
            "signature does not verify: corrupted, or made for a different version of the "
            "campaign");
}

TEST(CampaignApproval, ACorruptedSignatureIsRefused) {
  operators ops;
  const auto def = parse(kRotation);
  auto a = sign_campaign(def, *ops.alice, "alice");
  auto b = sign_campaign(def, *ops.bob, "bob");
  b.signature[10] = b.signature[10] == '0' ? '1' : '0';
  auto c = check_approvals(def, {a, b}, ops.policy);
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.valid, 1u);
  EXPECT_EQ(c.verdicts[1].problem,
            "signature does not verify: corrupted, or made for a different version of the "
            "campaign");
  b.signature.pop_back();
  EXPECT_EQ(check_approvals(def, {a, b}, ops.policy).verdicts[1].problem,
            "signature is not 128 hex digits");
}

TEST(CampaignApproval, TwoDistinctConfiguredKeysApprove) {
  operators ops;
  const auto def = parse(kRotation);
  auto c = check_approvals(
      def, {sign_campaign(def, *ops.alice, "alice"), sign_campaign(def, *ops.bob, "")}, ops.policy);
  EXPECT_TRUE(c.ok()) << c.error_text();
  EXPECT_EQ(c.valid, 2u);
  EXPECT_EQ(c.verdicts[1].name, "bob");  // the configuration's name, not the approval's
  // A reformatted file carries the same approvals.
  EXPECT_TRUE(check_approvals(
                  parse(kRotationReformatted),
                  {sign_campaign(def, *ops.alice, "alice"), sign_campaign(def, *ops.bob, "bob")},
                  ops.policy)
                  .ok());
  const auto e = approval_audit_event(c, "campaign run", "os:tester");
  EXPECT_EQ(e.type, storage::audit_type::campaign);
  EXPECT_EQ(e.campaign, "rotate-1");
  const auto d = nlohmann::json::parse(e.details);
  EXPECT_EQ(d["action"], "approved");
  EXPECT_EQ(d["valid"], 2);
  EXPECT_EQ(d["required"], 2);
  EXPECT_EQ(d["who"], "os:tester");
  EXPECT_EQ(d["by"], "campaign run");
  EXPECT_EQ(d["approvers"][0]["key_id"], approval_key_id(ops.alice->public_key()));
  EXPECT_EQ(d["approvers"][1]["name"], "bob");
  EXPECT_EQ(d["rules"], nlohmann::json::array({"key_rotation"}));
}

TEST(CampaignApproval, FindingsOfEachRule) {
  approval_policy p;
  auto f = approval_findings(parse(kFileUpdate), p);
  ASSERT_EQ(f.size(), 1u);  // target all: a finding that needs 0 approvals by default
  EXPECT_EQ(f[0].rule, approval_rule::target_all);
  EXPECT_EQ(f[0].required, 0u);
  EXPECT_TRUE(check_approvals(parse(kFileUpdate), {}, p).ok());

  const auto raw = parse(R"(
id = "raw"
[security]
spi = "1629"
kic = "15"
kid = "15"
tar = "000000"
allow_insecure = true
[target]
iccids = ["8988211000000000001"]
[update]
apdus = ["80D8010281", "80E60C0010", "00A4000C023F00"]
)");
  f = approval_findings(raw, p);
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[0].rule, approval_rule::key_rotation);
  EXPECT_EQ(f[0].why, "update.apdus[0] is a PUT KEY");
  EXPECT_EQ(f[0].required, 2u);
  EXPECT_EQ(f[1].rule, approval_rule::raw_apdu);
  EXPECT_EQ(f[1].why, "update.apdus sends 3 raw C-APDU(s)");
  EXPECT_EQ(f[2].rule, approval_rule::ram);
  EXPECT_EQ(f[2].why,
            "update.apdus[0] is a GlobalPlatform card content command (INS D8); update.apdus[1] "
            "is a GlobalPlatform card content command (INS E6); TAR 000000 is a RAM application");
  EXPECT_EQ(f[3].rule, approval_rule::insecure);
  EXPECT_EQ(f[3].why, "allow_insecure = true");
  std::string clear = kFileUpdate;
  clear.replace(clear.find("1621"), 4, "1220");  // not ciphered, no PoR
  f = approval_findings(parse(clear.c_str()), p);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[1].rule, approval_rule::insecure);
  EXPECT_EQ(f[1].why, "SPI 1220: commands not ciphered; SPI 1220: no PoR on success");
  EXPECT_EQ(f[1].required, 1u);

  p.required[approval_rule::target_all] = 1;
  p.min_por_cc = true;
  const auto all = parse(kFileUpdate);
  auto c = check_approvals(all, {}, p);
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.required, 1u);
  EXPECT_NE(c.error_text().find("target_all needs 1: target selects every card; insecure needs "
                                "1: SPI 1621: PoR without CC or DS"),
            std::string::npos)
      << c.error_text();
}

TEST(CampaignApproval, SelectionsOfEveryCard) {
  target_def t;
  t.all = true;
  EXPECT_TRUE(selects_everything(t));
  t.iccid_prefix = "8988211";
  EXPECT_FALSE(selects_everything(t));
  t = {};
  t.iccid_prefix = "89";
  EXPECT_TRUE(selects_everything(t));
  t = {};
  t.imsi_ranges = {{"000000000000000", "999999999999999"}};
  EXPECT_TRUE(selects_everything(t));
  t.imsi_ranges = {{"001010000000000", "001019999999999"}};
  EXPECT_FALSE(selects_everything(t));
}

TEST(CampaignApproval, PolicyFromTheApprovalsTable) {
  operators ops;
  const auto alice_hex = to_hex(byte_view(ops.alice->public_key().data(), 32));
  auto j = toml_to_json("[approvals]\nkeys = [ { name = \"alice\", public_key = \"" + alice_hex +
                            "\" }, { name = \"bob\", public_key_file = \"" +
                            (ops.dir.path() / "bob.pem").string() +
                            "\" } ]\n[approvals.rules]\nkey_rotation = 2\ntarget_all = 1\n"
                            "[approvals.minimum_security]\npor_cc = true\n",
                        "t");
  ASSERT_TRUE(j.ok()) << j.error().message;
  auto p = parse_approval_policy((*j)["approvals"]);
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->keys.size(), 2u);
  EXPECT_EQ(p->keys[1].key_id, approval_key_id(ops.bob->public_key()));
  EXPECT_EQ(p->needs(approval_rule::target_all), 1u);
  EXPECT_EQ(p->needs(approval_rule::raw_apdu), 1u);  // default kept
  EXPECT_TRUE(p->min_por_cc);

  auto bad = [](const std::string& toml) {
    auto t = toml_to_json(toml, "t");
    EXPECT_TRUE(t.ok());
    auto r = parse_approval_policy((*t)["approvals"]);
    EXPECT_FALSE(r.ok());
    return r ? std::string() : r.error().message;
  };
  EXPECT_EQ(bad("[approvals.rules]\nkeyrotation = 2\n"),
            "config key 'approvals.rules.keyrotation': unknown rule (key_rotation, raw_apdu, ram, "
            "target_all, insecure)");
  EXPECT_EQ(bad("[approvals]\nkeys = [ { name = \"a\", public_key = \"" + alice_hex +
                "\" } ]\n[approvals.rules]\nkey_rotation = 2\n"),
            "config key 'approvals.rules.key_rotation': 2 approvals needed but only 1 approver "
            "keys listed: no such campaign could ever run");
  EXPECT_EQ(bad("[approvals]\nkeys = [ { name = \"a\", public_key = \"" + alice_hex +
                "\" }, { name = \"b\", public_key = \"" + alice_hex + "\" } ]\n"),
            "config key 'approvals.keys[1]': the key of 'b' is listed already as 'a': one key is "
            "one approver");
}

TEST(CampaignApproval, ApprovalsInATomlFileAndAJsonEvent) {
  operators ops;
  const auto def = parse(kRotation);
  const auto a = sign_campaign(def, *ops.alice, "alice");
  const auto b = sign_campaign(def, *ops.bob, "bob \"the second\"");
  const auto file = ops.dir.path() / "c.toml";
  std::ofstream(file) << kRotation << approval_toml(a) << approval_toml(b);
  auto loaded = load_signed_campaign_file(file.string());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  ASSERT_EQ(loaded->approvals.size(), 2u);
  EXPECT_EQ(loaded->approvals[1].name, "bob \"the second\"");
  EXPECT_EQ(campaign_digest(loaded->def), campaign_digest(def));
  EXPECT_TRUE(check_approvals(loaded->def, loaded->approvals, ops.policy).ok());
  // A plain campaign reader refuses the approvals: only the signed readers take them.
  EXPECT_FALSE(load_campaign_file(file.string()).ok());

  auto ev = to_json(def);
  ev["approvals"] = nlohmann::json::array({approval_json(a), approval_json(b)});
  auto sc = signed_campaign_from_json(ev);
  ASSERT_TRUE(sc.ok()) << sc.error().message;
  EXPECT_TRUE(check_approvals(sc->def, sc->approvals, ops.policy).ok());

  ev["approvals"][0]["key_id"] = "xyz";
  EXPECT_EQ(signed_campaign_from_json(ev).error().message,
            "campaign field 'approvals[0].key_id': expected 16 hex digits (otaflow campaign sign)");
  ev["approvals"][0] = {{"key_id", a.key_id}, {"signature", a.signature}, {"sig", "x"}};
  EXPECT_EQ(signed_campaign_from_json(ev).error().message,
            "campaign field 'approvals[0].sig': unknown field");
}

}  // namespace
}  // namespace otaflow::actors
