// Keyset rotation campaigns (actors/keyset_def.hpp, keyset_update.hpp): the [update.keyset]
// schema and its refusals, the canonical JSON round trip, the approval rule; the drawn keyset,
// the PUT KEY bytes (wrapped key hand-checked with `openssl enc -aes-128-ecb -nopad`), the KCV
// check of the card's response (the AES KCVs of 16 x 11/22/33 from `openssl enc` of 16 x 01),
// and the FSM failing a PoR OK that carries a failure.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "actors/campaign_approval.hpp"
#include "actors/campaign_def.hpp"
#include "actors/keyset_update.hpp"
#include "actors/subscriber_fsm.hpp"

namespace otaflow::actors {
namespace {

std::string toml(const std::string& security, const std::string& keyset) {
  return "id = \"pk\"\n[security]\n" + security + "\n[target]\nall = true\n[update.keyset]\n" +
         keyset + "\n";
}

const std::string good_security = "spi = \"1629\"\nkic = \"15\"\nkid = \"15\"\ntar = \"000000\"";

std::string error_of(const std::string& text) {
  auto c = campaign_from_toml(text, "t.toml");
  return c ? std::string("(parsed)") : c.error().message;
}

TEST(KeysetDef, ParsesDefaultsAndRoundTrips) {
  auto c = campaign_from_toml(toml(good_security, "version = 2"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(c->update.keyset.has_value());
  EXPECT_EQ(c->update.keyset->version, 2);
  EXPECT_TRUE(c->update.keyset->aes);
  EXPECT_EQ(c->update.keyset->first_key_id(), 1);
  EXPECT_EQ(c->update.keyset->key_count(), 3);
  const auto j = to_json(*c);
  EXPECT_EQ(j["update"]["keyset"].dump(),
            R"({"keys":["kic","kid","kik"],"type":"aes","version":2})");
  auto back = campaign_from_json(j);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->update.keyset, c->update.keyset);

  c = campaign_from_toml(
      toml(good_security, "version = 1\ntype = \"des\"\nkeys = [\"kid\", \"kik\"]"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_FALSE(c->update.keyset->aes);
  EXPECT_EQ(c->update.keyset->first_key_id(), 2);
  EXPECT_EQ(c->update.keyset->key_count(), 2);
  EXPECT_EQ(c->update.keyset->keys_text(), "kid, kik");
}

TEST(KeysetDef, RefusalsNameTheField) {
  EXPECT_EQ(error_of(toml(good_security, "version = 16")),
            "t.toml: campaign field 'update.keyset.version': key version 16 is not in 1..15");
  EXPECT_EQ(error_of(toml(good_security, "type = \"aes\"")),
            "t.toml: campaign field 'update.keyset.version': expected the new key version "
            "number, 1..15");
  EXPECT_EQ(error_of(toml(good_security, "version = 2\ntype = \"rsa\"")),
            "t.toml: campaign field 'update.keyset.type': expected \"aes\" (AES-128) or \"des\" "
            "(3DES 2-key), got \"rsa\"");
  EXPECT_EQ(error_of(toml(good_security, "version = 2\nkeys = [\"kic\", \"kik\"]")),
            "t.toml: campaign field 'update.keyset.keys': kic and kik without kid: one PUT KEY "
            "carries consecutive key identifiers (1 kic, 2 kid, 3 kik)");
  EXPECT_EQ(error_of(toml(good_security, "version = 2\nkeys = [\"kic\", \"kic\"]")),
            "t.toml: campaign field 'update.keyset.keys': \"kic\" is listed twice");
  EXPECT_EQ(error_of(toml(good_security, "version = 2\nkvn = 3")),
            "t.toml: campaign: unknown field 'update.keyset.kvn'");
  EXPECT_EQ(error_of(toml(good_security,
                          "version = 2\n[[update.files]]\npath = \"3F00/2FE2\"\n"
                          "data = \"00\"")),
            "t.toml: campaign field 'update.keyset': a PUT KEY campaign sends the PUT KEY alone: "
            "give files, records, apdus, suci and keys in another campaign");
  // Key material needs a ciphered packet and a PoR with a CC; the KIK of one keyset 1..15.
  const auto weak =
      error_of(toml("spi = \"1621\"\nkic = \"15\"\nkid = \"15\"\ntar = \"000000\"", "version = 2"));
  EXPECT_NE(weak.find("SPI 1621 cannot carry a key update (update.keyset)"), std::string::npos)
      << weak;
  const auto mixed =
      error_of(toml("spi = \"1629\"\nkic = \"15\"\nkid = \"25\"\ntar = \"000000\"", "version = 3"));
  EXPECT_NE(mixed.find("KIc and KID must name one keyset 1..15"), std::string::npos) << mixed;
  const auto zero =
      error_of(toml("spi = \"1629\"\nkic = \"05\"\nkid = \"05\"\ntar = \"000000\"", "version = 3"));
  EXPECT_NE(zero.find("KIc and KID must name one keyset 1..15"), std::string::npos) << zero;
}

TEST(KeysetDef, FallsUnderTheKeyRotationRule) {
  auto c = campaign_from_toml(toml(good_security, "version = 2\ntype = \"des\""));
  ASSERT_TRUE(c.ok());
  approval_policy p;
  const auto f = approval_findings(*c, p);
  ASSERT_FALSE(f.empty());
  EXPECT_EQ(f[0].rule, approval_rule::key_rotation);
  EXPECT_EQ(f[0].why,
            "update.keyset replaces the OTA keyset (kic, kid, kik) with key version 2 "
            "by PUT KEY");
  EXPECT_EQ(f[0].required, 2u);
}

storage::secret fill(std::uint8_t v) {
  return storage::secret::from(bytes(16, v)).value();
}

storage::pending_keyset fixed_keyset() {
  storage::pending_keyset ks;
  ks.version = 4;
  ks.from = 1;
  ks.aes = true;
  ks.keys = {fill(0x11), fill(0x22), fill(0x33)};
  return ks;
}

TEST(KeysetUpdate, DrawsFreshKeysOrKeepsTheUncarriedOnes) {
  keyset_update_def all;
  all.version = 2;
  auto a = draw_keyset(all, 1, std::nullopt);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->replace, 0);
  EXPECT_EQ(a->from, 1);
  EXPECT_EQ(a->keys.kic.size(), 16u);
  EXPECT_NE(a->keys.kic, a->keys.kid);
  EXPECT_NE(a->keys.kid, a->keys.kik);
  auto b = draw_keyset(all, 1, std::nullopt);
  ASSERT_TRUE(b.ok());
  EXPECT_NE(a->keys.kic, b->keys.kic);  // a new draw per card

  keyset_update_def kid_only = all;
  kid_only.kic = kid_only.kik = false;
  auto none = draw_keyset(kid_only, 1, std::nullopt);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message,
            "keyset 2 is not in the repository for this card: a new keyset needs kic, kid and "
            "kik (update.keyset.keys)");
  storage::keyset_keys current{fill(1), fill(2), fill(3)};
  auto in_place = draw_keyset(kid_only, 2, current);
  ASSERT_TRUE(in_place.ok());
  EXPECT_EQ(in_place->replace, 2);
  EXPECT_EQ(in_place->first_key_id, 2);
  EXPECT_EQ(in_place->count, 1);
  EXPECT_EQ(in_place->keys.kic, fill(1));
  EXPECT_NE(in_place->keys.kid, fill(2));
  EXPECT_EQ(in_place->keys.kik, fill(3));
}

TEST(KeysetUpdate, PutKeyBytesAndResponseCheck) {
  const auto ks = fixed_keyset();
  const bytes kik = *from_hex("000102030405060708090a0b0c0d0e0f");
  auto a = put_key_apdu(ks, kik);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->cla, 0x80);
  EXPECT_EQ(a->ins, 0xD8);
  EXPECT_EQ(a->p1, 0x00);  // a new keyset
  EXPECT_EQ(a->p2, 0x81);  // key id 1, several keys
  EXPECT_FALSE(a->le.has_value());
  // KVN 04, then 88 11 10 AES-ECB(KIK, 16 x 11) 03 KCV(16 x 11) = 098542.
  EXPECT_EQ(to_hex(bytes(a->data.begin(), a->data.begin() + 24)),
            "0488111035d14e6d3e3a279cf01e343e34e7ded303098542");
  EXPECT_EQ(a->data.size(), 1u + 3 * 23);

  EXPECT_TRUE(check_put_key_response(ks, *from_hex("04098542c655915f8af9")).ok());
  auto wrong = check_put_key_response(ks, *from_hex("04098542c655905f8af9"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message,
            "PUT KEY response: KCV of key 2 (id 2) differs from the key sent");
  auto kvn = check_put_key_response(ks, *from_hex("03098542c655915f8af9"));
  ASSERT_FALSE(kvn.ok());
  EXPECT_EQ(kvn.error().message, "PUT KEY response: KVN 3, sent 4");
  EXPECT_FALSE(check_put_key_response(ks, *from_hex("04098542")).ok());
}

TEST(KeysetUpdate, AFailedProofFailsThePorOk) {
  job_record job;
  job_policy policy;
  std::int64_t now = 1;
  (void)transition(job, ev_start{}, policy, ++now);
  (void)transition(job, ev_packaged{7}, policy, ++now);
  (void)transition(job, ev_submit_ok{"m"}, policy, ++now);
  ev_por por{7, 0x00, true, 0x9000, 1, 1};
  por.failure = "PUT KEY response: KCV of key 1 (id 1) differs from the key sent";
  (void)transition(job, por, policy, ++now);
  EXPECT_EQ(job.state, job_state::failed);
  EXPECT_EQ(job.reason, por.failure);
  std::string reason = job.reason;
  EXPECT_TRUE(note_keyset_uncertain(reason));
  EXPECT_FALSE(note_keyset_uncertain(reason));
  EXPECT_EQ(reason, por.failure + "; " + std::string(keyset_uncertain_note));
}

}  // namespace
}  // namespace otaflow::actors
