// serve's configuration refuses numbers that are not finite or out of range, naming the field
// (issue 13): a NaN passed every range comparison and a huge duration was cast to an integer
// (undefined behaviour).

#include "service/serve_config.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace otaflow::service {
namespace {

std::string config_with(const std::string& smsc_extra, const std::string& engine_extra) {
  return "state_dir = \"/tmp/otaflow-config-test\"\n"
         "[kafka]\nbrokers = \"127.0.0.1:9092\"\n"
         "[[smsc]]\naddress = \"127.0.0.1:2775\"\nsystem_id = \"otaflow\"\npassword = \"pw\"\n" +
         smsc_extra + "\n[engine]\n" + engine_extra + "\n";
}

TEST(serve_config, AValidConfigurationParses) {
  auto c = parse_serve_config(config_with("response_timeout = 2.5\nrate = 100", "window = 10"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->binds.size(), 1u);
  EXPECT_EQ(c->binds[0].response_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(c->service.window, 10u);
}

TEST(serve_config, KekInAPkcs11Token) {
  const std::string kek =
      "[kek]\npkcs11_module = \"/usr/lib/softhsm/libsofthsm2.so\"\npkcs11_token = \"ota\"\n"
      "pkcs11_key_label = \"kek-1\"\npkcs11_pin_file = \"/etc/otaflow/pin\"\n";
  auto c = parse_serve_config(config_with("", "") + kek);
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(c->kek.pkcs11.has_value());
  EXPECT_EQ(*c->kek.pkcs11, (storage::pkcs11_config{"/usr/lib/softhsm/libsofthsm2.so", "ota",
                                                    "kek-1", "/etc/otaflow/pin"}));
  EXPECT_FALSE(c->kek.file.has_value());
  auto both = parse_serve_config("kek_file = \"/k\"\n" + config_with("", "") + kek);
  ASSERT_FALSE(both.ok());
  EXPECT_NE(
      both.error().message.find("config key 'kek': give kek_file or [kek] pkcs11_*, not both"),
      std::string::npos)
      << both.error().message;
  auto partial = parse_serve_config(config_with("", "") + "[kek]\npkcs11_token = \"ota\"\n");
  ASSERT_FALSE(partial.ok());
  EXPECT_NE(partial.error().message.find("config key 'kek.pkcs11_module': missing"),
            std::string::npos)
      << partial.error().message;
  auto partitioned =
      parse_serve_config(config_with("", "") + kek + "[serve]\npartitioned = true\n");
  ASSERT_FALSE(partitioned.ok());
  EXPECT_NE(partitioned.error().message.find("[serve] partitioned needs the KEK itself"),
            std::string::npos)
      << partitioned.error().message;
  ::setenv("OTAFLOW_KEK_PKCS11", "module=/m.so;token=t;key=k", 1);
  auto from_env = parse_serve_config(config_with("", "") + "[serve]\npartitioned = true\n");
  ::unsetenv("OTAFLOW_KEK_PKCS11");
  ASSERT_FALSE(from_env.ok());
  EXPECT_NE(from_env.error().message.find("not the PKCS#11 key OTAFLOW_KEK_PKCS11 names"),
            std::string::npos)
      << from_env.error().message;
  auto pin = parse_serve_config(config_with("", "") + "[kek]\npkcs11_pin = \"1234\"\n");
  ASSERT_FALSE(pin.ok());
  EXPECT_NE(pin.error().message.find("unknown key 'kek.pkcs11_pin'"), std::string::npos);
}

TEST(serve_config, HttpListenIsOptionalAndChecked) {
  auto none = parse_serve_config(config_with("", ""));
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_EQ(none->http_listen, "");
  auto c = parse_serve_config(config_with("", "") + "[http]\nlisten = \"127.0.0.1:9464\"\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->http_listen, "127.0.0.1:9464");
  for (const char* bad :
       {"listen = \"9464\"", "listen = \"h:99999\"", "listen = 9464", "port = 1"}) {
    auto b = parse_serve_config(config_with("", "") + "[http]\n" + bad + "\n");
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_NE(b.error().message.find("http."), std::string::npos) << b.error().message;
  }
}

TEST(serve_config, ApprovalsDefaultToAFreshInstallsAndParseTheirTable) {
  auto none = parse_serve_config(config_with("", ""));
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_FALSE(none->approvals.configured);
  EXPECT_TRUE(none->approvals.keys.empty());
  EXPECT_EQ(none->approvals.needs(actors::approval_rule::key_rotation), 2u);
  const std::string key(64, 'a');
  auto c = parse_serve_config(config_with("", "") + "[approvals]\nkeys = [ { name = \"ops1\", " +
                              "public_key = \"" + key + "\" } ]\n[approvals.rules]\n" +
                              "key_rotation = 1\ntarget_all = 1\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->approvals.keys.size(), 1u);
  EXPECT_EQ(c->approvals.keys[0].name, "ops1");
  EXPECT_EQ(c->approvals.needs(actors::approval_rule::target_all), 1u);
  auto bad = parse_serve_config(config_with("", "") + "[approvals]\nkey = 1\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "config: config: unknown key 'approvals.key' (keys, rules, minimum_security, "
            "ram_tars)");
}

TEST(serve_config, RetryBoundsParseWithinTheirRanges) {
  auto c = parse_serve_config(config_with("", "journal_save_attempts = 3") +
                              "[serve]\nproduce_attempts = 7\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->engine.journal_save_attempts, 3u);
  EXPECT_EQ(c->serve.produce_attempts, 7u);
  for (const auto& [engine, serve, field] : std::vector<std::array<std::string, 3>>{
           {"journal_save_attempts = 0", "", "engine.journal_save_attempts"},
           {"journal_save_attempts = 101", "", "engine.journal_save_attempts"},
           {"", "produce_attempts = 0", "serve.produce_attempts"},
           {"", "produce_attempts = 101", "serve.produce_attempts"}}) {
    auto bad = parse_serve_config(config_with("", engine) + "[serve]\n" + serve + "\n");
    ASSERT_FALSE(bad.ok()) << engine << serve;
    EXPECT_NE(bad.error().message.find(field), std::string::npos) << bad.error().message;
  }
}

TEST(serve_config, NumbersThatAreNotFiniteOrOutOfRangeAreRefusedWithTheField) {
  struct row {
    std::string smsc, engine, field;
  };
  const std::vector<row> rows = {
      {"rate = nan", "", "rate"},
      {"rate = inf", "", "rate"},
      {"rate = -1", "", "rate"},
      {"window = 1e300", "", "window"},
      {"window = 2.5", "", "window"},
      {"response_timeout = nan", "", "response_timeout"},
      {"response_timeout = 1e300", "", "response_timeout"},
      {"response_timeout = -1", "", "response_timeout"},
      {"enquire_link_interval = inf", "", "enquire_link_interval"},
      {"reconnect_max = \"1e30s\"", "", "reconnect_max"},
      {"", "window = nan", "window"},
      {"", "window = 0", "window"},
  };
  for (const auto& r : rows) {
    auto c = parse_serve_config(config_with(r.smsc, r.engine));
    ASSERT_FALSE(c.ok()) << r.smsc << r.engine;
    EXPECT_NE(c.error().message.find(r.field), std::string::npos)
        << r.smsc << r.engine << ": " << c.error().message;
  }
}

// A configuration without a password in its text: the password comes from a mode-600 file.
std::string config_with_password_file(const std::string& file, const std::string& extra) {
  return "state_dir = \"/tmp/otaflow-config-test\"\n"
         "[kafka]\nbrokers = \"127.0.0.1:9092\"\n"
         "[[smsc]]\naddress = \"smsc.example.net:3550\"\nsystem_id = \"otaflow\"\n"
         "password_file = \"" +
         file + "\"\n" + extra + "\n";
}

struct temp_dir {
  temp_dir() {
    char tmpl[] = "/tmp/otaflow-serve-config-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  std::string write(const char* name, const std::string& text, mode_t mode) const {
    const auto p = (path / name).string();
    std::ofstream(p) << text;
    ::chmod(p.c_str(), mode);
    return p;
  }
  std::filesystem::path path;
};

TEST(serve_config, TlsKeysOfAnSmscEntry) {
  temp_dir d;
  const auto pw = d.write("pw", "s3cret\n", 0600);
  auto c = parse_serve_config(config_with_password_file(
      pw,
      "tls = true\ntls_ca_file = \"/etc/otaflow/smsc-ca.pem\"\ntls_cert_file = "
      "\"/etc/otaflow/esme.pem\"\ntls_key_file = \"/etc/otaflow/esme.key\"\n"
      "tls_server_name = \"smsc.example.net\""));
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->binds.size(), 1u);
  const auto& b = c->binds[0];
  EXPECT_EQ(b.password, "s3cret");
  EXPECT_FALSE(c->holds_password);
  EXPECT_TRUE(b.tls);
  EXPECT_EQ(b.tls_options.ca_file, "/etc/otaflow/smsc-ca.pem");
  EXPECT_EQ(b.tls_options.cert_file, "/etc/otaflow/esme.pem");
  EXPECT_EQ(b.tls_options.key_file, "/etc/otaflow/esme.key");
  EXPECT_EQ(b.tls_options.server_name, "smsc.example.net");

  auto off = parse_serve_config(config_with_password_file(pw, "tls_ca_file = \"/x.pem\""));
  ASSERT_FALSE(off.ok());
  EXPECT_EQ(off.error().message,
            "config: config key 'smsc[0].tls': tls_* keys are set but tls is not true");
}

TEST(serve_config, APasswordFileReadableByOthersIsRefusedWithItsPath) {
  temp_dir d;
  const auto pw = d.write("pw", "s3cret\n", 0644);
  auto c = parse_serve_config(config_with_password_file(pw, ""));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "config: smsc[0].password_file " + pw +
                                   ": readable by group or others (mode 644; chmod 600 it)");
}

TEST(serve_config, AConfigurationFileWithAPasswordMustBePrivate) {
  temp_dir d;
  const auto text = config_with("", "");
  const auto open = d.write("otaflow.toml", text, 0644);
  auto c = load_serve_config(open);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "configuration file (it holds a password) " + open +
                                   ": readable by group or others (mode 644; chmod 600 it)");
  ::chmod(open.c_str(), 0600);
  auto ok = load_serve_config(open);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_TRUE(ok->holds_password);
  // Without a password in it, the file may be world-readable.
  const auto pw = d.write("pw", "s3cret", 0600);
  const auto plain = d.write("plain.toml", config_with_password_file(pw, ""), 0644);
  auto p = load_serve_config(plain);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->binds[0].password, "s3cret");
}

// A configuration whose [kafka] table has `kafka_extra` and whose SMPP password is in `pw`.
std::string sasl_config(const std::string& pw, const std::string& kafka_extra) {
  return "state_dir = \"/tmp/otaflow-config-test\"\n"
         "[kafka]\nbrokers = \"127.0.0.1:9092\"\nsecurity_protocol = \"SASL_SSL\"\n"
         "sasl_mechanism = \"SCRAM-SHA-512\"\nsasl_username = \"otaflow\"\n" +
         kafka_extra +
         "\n[[smsc]]\naddress = \"smsc.example.net:3550\"\nsystem_id = \"otaflow\"\n"
         "password_file = \"" +
         pw + "\"\n";
}

TEST(serve_config, KafkaSaslPasswordFromAPrivateFile) {
  temp_dir d;
  ::unsetenv(kafka_sasl_password_env);
  const auto pw = d.write("pw", "s3cret", 0600);
  const auto kpw = d.write("kafka.pw", "kafka-Secret-1\n", 0600);
  auto c = parse_serve_config(sasl_config(pw, "sasl_password_file = \"" + kpw + "\""));
  ASSERT_TRUE(c.ok()) << c.error().message;
  const auto& props = c->kafka.client_properties;
  EXPECT_EQ(props.at("sasl.password"), "kafka-Secret-1");
  EXPECT_EQ(props.at("sasl.username"), "otaflow");
  EXPECT_EQ(props.at("sasl.mechanisms"), "SCRAM-SHA-512");
  EXPECT_EQ(props.at("security.protocol"), "SASL_SSL");
  EXPECT_FALSE(c->holds_password);  // the file may be world-readable: it holds no password
  // The text and the file loaded from disk: a world-readable configuration is accepted.
  const auto cfg =
      d.write("otaflow.toml", sasl_config(pw, "sasl_password_file = \"" + kpw + "\""), 0644);
  auto loaded = load_serve_config(cfg);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->kafka.client_properties.at("sasl.password"), "kafka-Secret-1");
}

TEST(serve_config, KafkaSaslPasswordFileRefusals) {
  temp_dir d;
  ::unsetenv(kafka_sasl_password_env);
  const auto pw = d.write("pw", "s3cret", 0600);
  const auto open = d.write("open.pw", "kafka-Secret-1", 0640);
  auto c = parse_serve_config(sasl_config(pw, "sasl_password_file = \"" + open + "\""));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "config: kafka.sasl_password_file " + open +
                                   ": readable by group or others (mode 640; chmod 600 it)");
  const auto empty = d.write("empty.pw", "\n", 0600);
  c = parse_serve_config(sasl_config(pw, "sasl_password_file = \"" + empty + "\""));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message,
            "config: config key 'kafka.sasl_password_file': the file " + empty + " is empty");
  const auto kpw = d.write("kafka.pw", "kafka-Secret-1", 0600);
  c = parse_serve_config(
      sasl_config(pw, "sasl_password = \"x\"\nsasl_password_file = \"" + kpw + "\""));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message,
            "config: config key 'kafka.sasl_password_file': give sasl_password or "
            "sasl_password_file, not both");
  c = parse_serve_config(
      sasl_config(pw, "sasl_password_file = \"" + d.path.string() + "/missing.pw\""));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("kafka.sasl_password_file " + d.path.string() + "/missing.pw"),
            std::string::npos)
      << c.error().message;
}

TEST(serve_config, KafkaSaslPasswordFromTheEnvironmentIsTakenOut) {
  temp_dir d;
  const auto pw = d.write("pw", "s3cret", 0600);
  ::setenv(kafka_sasl_password_env, "env-Secret-2", 1);
  auto c = parse_serve_config(sasl_config(pw, ""));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->kafka.client_properties.at("sasl.password"), "env-Secret-2");
  EXPECT_FALSE(c->holds_password);
  EXPECT_EQ(std::getenv(kafka_sasl_password_env), nullptr);  // removed once read
  // The configuration's own password wins; the variable is removed all the same.
  ::setenv(kafka_sasl_password_env, "env-Secret-2", 1);
  c = parse_serve_config(sasl_config(pw, "sasl_password = \"text-Secret-3\""));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->kafka.client_properties.at("sasl.password"), "text-Secret-3");
  EXPECT_TRUE(c->holds_password);
  EXPECT_EQ(std::getenv(kafka_sasl_password_env), nullptr);
}

TEST(serve_config, KafkaClientKeyMustBePrivate) {
  temp_dir d;
  ::unsetenv(kafka_sasl_password_env);
  const auto pw = d.write("pw", "s3cret", 0600);
  const auto key = d.write("client.key", "-----BEGIN PRIVATE KEY-----\n", 0644);
  const auto text = sasl_config(pw, "ssl_key_location = \"" + key + "\"");
  auto c = parse_serve_config(text);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "config: kafka.ssl_key_location " + key +
                                   ": readable by group or others (mode 644; chmod 600 it)");
  ::chmod(key.c_str(), 0600);
  c = parse_serve_config(text);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->kafka.client_properties.at("ssl.key.location"), key);
}

}  // namespace
}  // namespace otaflow::service
