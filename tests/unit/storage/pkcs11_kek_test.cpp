// The KEK in a PKCS#11 token (SoftHSM2 in a temporary token directory): the token key never
// leaves the token, a state directory opened with it, errors for a wrong PIN, a missing key
// or token; `keys rotate-kek` from a file to the token stopped mid-way and resumed, from the
// token to a file, and from one key label to another.

#include <sys/stat.h>

#include <algorithm>

#include <gtest/gtest.h>

#include "softhsm_test_util.hpp"
#include "storage/kek_envelope.hpp"
#include "storage/kek_rotation.hpp"
#include "storage/pkcs11.hpp"
#include "storage/record_io.hpp"
#include "storage_test_util.hpp"

namespace otaflow::storage {
namespace {

using test::make_iccid;
using test::softhsm;
using test::temp_dir;
using test::test_kek;

card_keys sample_keys(std::uint8_t seed) {
  card_keys k;
  k.ki = secret::from(bytes(16, seed)).value();
  k.opc = secret::from(bytes(16, static_cast<std::uint8_t>(seed + 1))).value();
  k.keysets[1] = {secret::from(bytes(16, static_cast<std::uint8_t>(seed + 2))).value(),
                  secret::from(bytes(16, static_cast<std::uint8_t>(seed + 3))).value(),
                  secret::from(bytes(16, static_cast<std::uint8_t>(seed + 4))).value()};
  return k;
}

kek_key token_kek(const std::string& label) {
  bool created = false;
  auto k = pkcs11_key::open_or_create(softhsm::get().config(label), created);
  EXPECT_TRUE(k.ok()) << (k.ok() ? "" : k.error().message);
  kek_key out;
  out.token = std::move(*k);
  out.origin = describe(softhsm::get().config(label));
  return out;
}

result<std::unique_ptr<state>> open_with(const std::filesystem::path& dir, kek_key k) {
  db_options o;
  o.dir = dir;
  o.block_cache_bytes = 8u << 20;
  return state::open(o, std::move(k));
}

constexpr int cards = 40;

// 40 cards with Ki/OPc and a keyset, and one pending rotation row: 81 sealed rows.
void fill(state& st) {
  for (int i = 0; i < cards; ++i) {
    ASSERT_TRUE(
        st.keys().put(make_iccid(1000 + i), sample_keys(static_cast<std::uint8_t>(i)), false));
  }
  rocksdb::WriteBatch b;
  pending_auth_keys p{secret::from(bytes(16, 0xA1)).value(), secret::from(bytes(16, 0xA2)).value(),
                      7};
  ASSERT_TRUE(st.keys().stage_pending(b, make_iccid(1000), "rot-1", p));
  ASSERT_TRUE(st.database().commit(b, true));
}

void expect_all_keys(state& st) {
  for (int i = 0; i < cards; ++i) {
    auto k = st.keys().get(make_iccid(1000 + i));
    ASSERT_TRUE(k.ok()) << i << ": " << k.error().message;
    EXPECT_EQ(*k, sample_keys(static_cast<std::uint8_t>(i))) << i;
  }
  auto p = st.keys().get_pending(make_iccid(1000), "rot-1");
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_TRUE(p->has_value());
  EXPECT_EQ((*p)->ki, secret::from(bytes(16, 0xA1)).value());
  EXPECT_EQ((*p)->sequence, 7u);
}

std::vector<std::string> rotation_audit(state& st) {
  std::vector<std::string> out;
  auto s = st.audit().scan(1, [&](const audit_entry& e) {
    if (e.event.type == audit_type::kek_rotation) out.push_back(e.event.details);
    return true;
  });
  EXPECT_TRUE(s.ok());
  return out;
}

TEST(Pkcs11Kek, TokenKeyIsCreatedOnceAndNeverExtractable) {
  OTAFLOW_REQUIRE_SOFTHSM();
  bool created = false;
  auto k = pkcs11_key::open_or_create(softhsm::get().config("kek-x"), created);
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_TRUE(created);
  EXPECT_TRUE((*k)->mechanism() == pkcs11_aes_key_wrap ||
              (*k)->mechanism() == pkcs11_aes_key_wrap_pad);
  // C_GetAttributeValue(CKA_VALUE) is refused: the key never leaves the token.
  auto readable = (*k)->value_readable();
  ASSERT_TRUE(readable.ok());
  EXPECT_FALSE(*readable);
  auto again = pkcs11_key::open_or_create(softhsm::get().config("kek-x"), created);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_FALSE(created);

  // A data key wrapped and unwrapped through the token comes back; wrapped bytes differ from
  // it, and another key of the token cannot unwrap them.
  const secret dek = test_kek(0x5C);
  auto w = (*k)->wrap(dek, (*k)->mechanism());
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ(w->size(), 40u);
  EXPECT_EQ(std::search(w->begin(), w->end(), dek.view().begin(), dek.view().end()), w->end());
  auto u = (*k)->unwrap(*w, (*k)->mechanism());
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(*u, dek);
  auto other = pkcs11_key::open_or_create(softhsm::get().config("kek-y"), created);
  ASSERT_TRUE(other.ok());
  auto wrong = (*other)->unwrap(*w, (*k)->mechanism());
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, make_error_code(errc::verification)) << wrong.error().message;
}

TEST(Pkcs11Kek, StateOpensWithTheTokenKeyOnly) {
  OTAFLOW_REQUIRE_SOFTHSM();
  temp_dir d;
  {
    auto st = open_with(d.path(), token_kek("kek-open"));
    ASSERT_TRUE(st.ok()) << st.error().message;
    fill(**st);
    auto w = (*st)->database().get(column::meta, meta_kek_wrapped);
    ASSERT_TRUE(w.ok() && w->has_value());
    auto rec = decode_wrapped_data_key(detail::as_bytes(**w));
    ASSERT_TRUE(rec.ok());
    EXPECT_EQ(rec->token, "otaflow-test");
    EXPECT_EQ(rec->key_label, "kek-open");
  }
  {
    auto st = open_with(d.path(), token_kek("kek-open"));
    ASSERT_TRUE(st.ok()) << st.error().message;
    expect_all_keys(**st);
  }
  // A direct KEK is told which token key the directory needs.
  auto direct = open_with(d.path(), direct_kek(test_kek(), "OTAFLOW_KEK"));
  ASSERT_FALSE(direct.ok());
  EXPECT_EQ(direct.error().message,
            "state directory " + d.path().string() +
                " is protected by PKCS#11 token 'otaflow-test' key 'kek-open' (module "
                "/usr/lib/softhsm/libsofthsm2.so): name it in OTAFLOW_KEK_PKCS11 or the "
                "configuration; OTAFLOW_KEK does not open it");
  // Another key of the token cannot unwrap its data key.
  auto other = open_with(d.path(), token_kek("kek-other"));
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("its data key is wrapped by PKCS#11 token 'otaflow-test' "
                                       "key 'kek-open', which PKCS#11 token 'otaflow-test' key "
                                       "'kek-other' is not"),
            std::string::npos)
      << other.error().message;
}

TEST(Pkcs11Kek, WrongPinMissingKeyAndMissingTokenAreNamed) {
  OTAFLOW_REQUIRE_SOFTHSM();
  auto& hsm = softhsm::get();
  {
    bool created = false;
    ASSERT_TRUE(pkcs11_key::open_or_create(hsm.config("kek-pin"), created).ok());
  }
  auto c = hsm.config("kek-pin");
  c.pin_file = hsm.pin_file("wrong-pin", "9999-wrong");
  auto wrong = pkcs11_key::open(c);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message,
            "PKCS#11 token 'otaflow-test' (module /usr/lib/softhsm/libsofthsm2.so): login "
            "refused: CKR_PIN_INCORRECT (wrong PIN)");
  EXPECT_EQ(wrong.error().message.find("9999"), std::string::npos);

  auto missing = pkcs11_key::open(hsm.config("no-such-key"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message,
            "PKCS#11 token 'otaflow-test' key 'no-such-key': the token has no secret key "
            "labelled 'no-such-key' (create it with `otaflow keys init-hsm`)");

  auto t = hsm.config("kek-pin");
  t.token = "elsewhere";
  auto no_token = pkcs11_key::open(t);
  ASSERT_FALSE(no_token.ok());
  EXPECT_EQ(no_token.error().message,
            "PKCS#11 module /usr/lib/softhsm/libsofthsm2.so: no token labelled 'elsewhere' "
            "(tokens present: 'otaflow-test')");

  auto m = hsm.config("kek-pin");
  m.module = "/nonexistent/libpkcs11.so";
  auto no_module = pkcs11_key::open(m);
  ASSERT_FALSE(no_module.ok());
  EXPECT_EQ(no_module.error().message.rfind("PKCS#11 module /nonexistent/libpkcs11.so: cannot be "
                                            "loaded: ",
                                            0),
            0u)
      << no_module.error().message;

  // A PIN file others can read is refused before any login.
  auto open_pin = hsm.config("kek-pin");
  open_pin.pin_file = hsm.pin_file("open-pin", test::softhsm_pin);
  ::chmod(open_pin.pin_file.c_str(), 0644);
  auto shared = pkcs11_key::open(open_pin);
  ASSERT_FALSE(shared.ok());
  EXPECT_EQ(shared.error().message, "pin_file " + open_pin.pin_file +
                                        ": readable by group or others (mode 644; chmod 600 it)");
}

TEST(Pkcs11Kek, SpecParsing) {
  auto c = parse_pkcs11_spec("module=/m.so; token=tok ;key=k1;pin_file=/p", "OTAFLOW_KEK_PKCS11");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(*c, (pkcs11_config{"/m.so", "tok", "k1", "/p"}));
  auto pin = parse_pkcs11_spec("module=/m.so;token=t;key=k;pin=1234", "OTAFLOW_KEK_PKCS11");
  ASSERT_FALSE(pin.ok());
  EXPECT_EQ(pin.error().message,
            "OTAFLOW_KEK_PKCS11: a PIN is never given here; use pin_file or OTAFLOW_PKCS11_PIN");
  EXPECT_EQ(pin.error().message.find("1234"), std::string::npos);
  auto nokey = parse_pkcs11_spec("module=/m.so;token=t", "X");
  ASSERT_FALSE(nokey.ok());
  EXPECT_EQ(nokey.error().message, "X: no key=");
  auto junk = parse_pkcs11_spec("module=/m.so;token=t;key=k;colour=red", "X");
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.error().message, "X: unknown item 'colour' (module, token, key, pin_file)");
}

TEST(Pkcs11Kek, SourcesInOrderAndTheTokenKeyNeverLoadedAsBytes) {
  kek_source src;
  src.pkcs11 = pkcs11_config{"/m.so", "tok", "k1", ""};
  auto bytes_of = load_kek(src);
  ASSERT_FALSE(bytes_of.ok());
  EXPECT_EQ(bytes_of.error().message,
            "PKCS#11 token 'tok' key 'k1': a PKCS#11 KEK never leaves its token; this needs the "
            "key itself (kek_file or OTAFLOW_KEK)");
  // OTAFLOW_KEK_PKCS11 is read when nothing is configured, and named in its errors.
  ::setenv(pkcs11_env_var, "module=/m.so;token=tok", 1);
  auto env = open_kek({});
  ::unsetenv(pkcs11_env_var);
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.error().message, "OTAFLOW_KEK_PKCS11: no key=");
}

// File KEK -> token key, stopped after 2 batches (as a kill after a commit leaves it), opened
// meanwhile with either KEK (a card written then), resumed to the end.
TEST(Pkcs11Kek, RotateFileToTokenStoppedMidwayThenResumed) {
  OTAFLOW_REQUIRE_SOFTHSM();
  temp_dir d;
  const secret file_kek = test_kek(0x31);
  {
    auto st = open_with(d.path(), direct_kek(file_kek, "kek_file /k"));
    ASSERT_TRUE(st.ok()) << st.error().message;
    fill(**st);
    auto to = token_kek("kek-rot");
    kek_rotation_options o;
    o.batch_rows = 7;
    o.stop_after_rows = 14;
    o.who = "os:test";
    std::vector<std::uint64_t> seen;
    o.progress = [&](std::uint64_t n) { seen.push_back(n); };
    auto r = rotate_kek(**st, "kek_file /k", to, o);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_FALSE(r->finished);
    EXPECT_EQ(r->resealed, 14u);
    EXPECT_EQ(seen, (std::vector<std::uint64_t>{7, 14}));
  }
  {
    // Interrupted: the old KEK opens it, reads every key, and writes a card (new data key).
    auto st = open_with(d.path(), direct_kek(file_kek, "kek_file /k"));
    ASSERT_TRUE(st.ok()) << st.error().message;
    expect_all_keys(**st);
    ASSERT_TRUE((*st)->keys().put(make_iccid(1039), sample_keys(39)));
    auto rs = rotation_in_progress((*st)->database());
    ASSERT_TRUE(rs.ok() && rs->has_value());
    EXPECT_EQ((*rs)->done, 14u);
    EXPECT_EQ((*rs)->from.origin, "kek_file /k");
    EXPECT_EQ((*rs)->to.origin, "PKCS#11 token 'otaflow-test' key 'kek-rot'");
  }
  {
    // So does the new one; another KEK is told about the rotation.
    auto st = open_with(d.path(), token_kek("kek-rot"));
    ASSERT_TRUE(st.ok()) << st.error().message;
    expect_all_keys(**st);
  }
  auto neither = open_with(d.path(), direct_kek(test_kek(0x77), "OTAFLOW_KEK"));
  ASSERT_FALSE(neither.ok());
  EXPECT_EQ(neither.error().message,
            "state directory " + d.path().string() +
                ": a KEK rotation from kek_file /k to PKCS#11 token 'otaflow-test' key "
                "'kek-rot' is in progress (14 rows re-sealed) and OTAFLOW_KEK is neither; open "
                "it with one of them and finish the rotation with `otaflow keys rotate-kek`");
  {
    // Resuming towards another target is refused; towards the same one finishes.
    auto st = open_with(d.path(), direct_kek(file_kek, "kek_file /k"));
    ASSERT_TRUE(st.ok());
    auto elsewhere = token_kek("kek-elsewhere");
    auto refused = rotate_kek(**st, "kek_file /k", elsewhere, {});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, make_error_code(errc::conflict));
    auto to = token_kek("kek-rot");
    kek_rotation_options o;
    o.batch_rows = 7;
    o.who = "os:test";
    auto r = rotate_kek(**st, "kek_file /k", to, o);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->resumed);
    EXPECT_TRUE(r->finished);
    // 81 rows: 14 before, the card written meanwhile (2 rows) already under the new key.
    EXPECT_EQ(r->total, 79u);
    EXPECT_EQ(r->resealed, 65u);
    const auto audit = rotation_audit(**st);
    ASSERT_EQ(audit.size(), 2u);
    EXPECT_EQ(
        audit[0],
        R"({"event":"started","from":"kek_file /k","to":"PKCS#11 token 'otaflow-test' key 'kek-rot'","rows":0,"who":"os:test"})");
    EXPECT_EQ(
        audit[1],
        R"({"event":"finished","from":"kek_file /k","to":"PKCS#11 token 'otaflow-test' key 'kek-rot'","rows":79,"who":"os:test"})");
  }
  {
    auto st = open_with(d.path(), token_kek("kek-rot"));
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_TRUE((*st)->database().previous_kek().empty());
    expect_all_keys(**st);
  }
  // The old KEK no longer opens the state.
  auto old = open_with(d.path(), direct_kek(file_kek, "kek_file /k"));
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.error().message.find("is protected by PKCS#11 token 'otaflow-test' key 'kek-rot'"),
            std::string::npos)
      << old.error().message;
}

// Token key -> another key label -> a file KEK; each step's old KEK stops opening it.
TEST(Pkcs11Kek, RotateTokenToTokenThenToFile) {
  OTAFLOW_REQUIRE_SOFTHSM();
  temp_dir d;
  {
    auto st = open_with(d.path(), token_kek("kek-t1"));
    ASSERT_TRUE(st.ok()) << st.error().message;
    fill(**st);
    auto to = token_kek("kek-t2");
    auto r = rotate_kek(**st, "", to, {});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->finished);
    EXPECT_EQ(r->total, 81u);
    EXPECT_EQ(r->from, "PKCS#11 token 'otaflow-test' key 'kek-t1'");
  }
  auto t1 = open_with(d.path(), token_kek("kek-t1"));
  ASSERT_FALSE(t1.ok());
  EXPECT_EQ(t1.error().code, make_error_code(errc::verification));
  const secret file_kek = test_kek(0x99);
  {
    auto st = open_with(d.path(), token_kek("kek-t2"));
    ASSERT_TRUE(st.ok()) << st.error().message;
    expect_all_keys(**st);
    auto to = direct_kek(file_kek, "kek_file /new");
    auto r = rotate_kek(**st, "", to, {});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->finished);
  }
  {
    auto st = open_with(d.path(), direct_kek(file_kek, "kek_file /new"));
    ASSERT_TRUE(st.ok()) << st.error().message;
    expect_all_keys(**st);
    auto w = (*st)->database().get(column::meta, meta_kek_wrapped);
    ASSERT_TRUE(w.ok());
    EXPECT_FALSE(w->has_value());
    // File to the same file: refused.
    auto same = direct_kek(file_kek, "kek_file /new");
    auto r = rotate_kek(**st, "kek_file /new", same, {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message,
              "rotate-kek: kek_file /new is the KEK this state directory is sealed under");
  }
  auto t2 = open_with(d.path(), token_kek("kek-t2"));
  ASSERT_FALSE(t2.ok());
  EXPECT_EQ(t2.error().message,
            "state directory " + d.path().string() +
                " is sealed under a kek_file/OTAFLOW_KEK key, not PKCS#11 token 'otaflow-test' "
                "key 'kek-t2'; move it into the token with `otaflow keys rotate-kek --to-pkcs11`");
}

}  // namespace
}  // namespace otaflow::storage
