// SMPP over TLS: the engine's SMPP client (actors/smpp_client.cpp) against the in-process SMSC
// simulator with `tls_cert`/`tls_key`, certificates made at test time (tests/unit/base/
// test_certs.hpp). A bind that verifies submits and gets its PoRs back over TLS; a wrong CA, a
// wrong host name, a key file readable by others and a clear-text peer fail with their reason
// and no bind.

#include <sys/stat.h>

#include <csignal>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "actors/smpp_client.hpp"
#include "sim/smsc_server.hpp"
#include "tests/unit/actors/engine_fakes.hpp"
#include "tests/unit/base/test_certs.hpp"
#include "tests/unit/sim/smsc_fake_gateway.hpp"

namespace otaflow::actors {
namespace {

using namespace std::chrono_literals;
using fakes::patience;
using fakes::wait_until;

class counting_listener final : public transport_listener {
 public:
  void on_submitted(std::uint64_t, std::vector<std::string> ids) override {
    std::lock_guard lock(mu_);
    ids_.insert(ids_.end(), ids.begin(), ids.end());
  }
  void on_submit_failed(std::uint64_t, std::uint32_t, std::string, bool) override {
    std::lock_guard lock(mu_);
    ++failed_;
  }
  void on_submit_lost(std::uint64_t) override {}
  void on_receipt(std::string, std::uint8_t, std::string) override {}
  void on_mo(std::string from, bytes) override {
    std::lock_guard lock(mu_);
    mo_from_.push_back(std::move(from));
  }
  std::size_t ids() const {
    std::lock_guard lock(mu_);
    return ids_.size();
  }
  std::size_t mos() const {
    std::lock_guard lock(mu_);
    return mo_from_.size();
  }
  std::size_t failed() const {
    std::lock_guard lock(mu_);
    return failed_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> ids_;
  std::vector<std::string> mo_from_;
  std::size_t failed_ = 0;
};

submit_request message(std::uint64_t tag, std::string msisdn, std::uint8_t segments) {
  submit_request r{tag, std::move(msisdn), {}};
  for (std::uint8_t i = 1; i <= segments; ++i) {
    // A concatenation UDH, then a body long enough that a window of them spans TLS records.
    bytes ud{0x05, 0x00, 0x03, 0x2A, segments, i};
    ud.resize(130, static_cast<std::uint8_t>(tag));
    r.segments.push_back(std::move(ud));
  }
  return r;
}

class smpp_tls : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(certs_.ok) << "openssl could not make the certificates"; }

  status start_smsc(bool tls = true) {
    sim::smsc_config c;
    c.listen_host = "127.0.0.1";
    c.listen_port = 0;
    c.workers = 1;
    c.accounts = {{"esme", "pw"}};
    if (tls) {
      c.tls_cert_file = certs_.server_cert;
      c.tls_key_file = certs_.server_key;
    }
    smsc_ = std::make_unique<sim::smsc_server>(c, gw_);
    return smsc_->start();
  }

  void TearDown() override {
    if (smsc_) smsc_->stop();
  }

  smpp_options options(std::string host = "127.0.0.1") const {
    smpp_options o;
    o.host = std::move(host);
    o.port = smsc_->port();
    o.system_id = "esme";
    o.password = "pw";
    o.reconnect_min = 20ms;
    o.reconnect_max = 500ms;
    o.tls = true;
    o.tls_options.ca_file = certs_.ca;
    return o;
  }

  std::string where() const { return "SMSC 127.0.0.1:" + std::to_string(smsc_->port()) + ": "; }

  testing::test_certs certs_;
  sim::testing::fake_gateway gw_;
  std::unique_ptr<sim::smsc_server> smsc_;
  counting_listener listener_;
};

TEST_F(smpp_tls, BindsSubmitsAndGetsPoRsBackOverTls) {
  ASSERT_TRUE(start_smsc().ok());
  smpp_transport t({options()});
  t.set_listener(&listener_);
  auto s = t.wait_bound(10s);
  ASSERT_TRUE(s.ok()) << s.error().message;
  // 200 messages of 3 segments: many submit_sm and deliver_sm per TLS record and many records.
  for (std::uint64_t i = 1; i <= 200; ++i) t.submit(message(i, "46700" + std::to_string(i), 3));
  ASSERT_TRUE(wait_until([&] { return listener_.ids() == 600; }, patience, "600 message ids"));
  ASSERT_TRUE(wait_until([&] { return gw_.calls() == 600; }, patience, "600 deliveries"));
  // The fake cards answer every segment with a PoR: it comes back as an MO deliver_sm.
  ASSERT_TRUE(wait_until([&] { return listener_.mos() == 600; }, patience, "600 PoRs"));
  EXPECT_EQ(listener_.failed(), 0u);
  EXPECT_EQ(t.stats().binds, 1u);
  EXPECT_EQ(t.stats().submit_ok, 200u);  // counted per message
  EXPECT_EQ(smsc_->summary().binds, 1u);
  EXPECT_EQ(smsc_->summary().accepted, 600u);
}

TEST_F(smpp_tls, TheHostNameLocalhostIsCheckedAgainstTheCertificatesDnsName) {
  ASSERT_TRUE(start_smsc().ok());
  auto o = options("localhost");
  smpp_transport t({o});
  auto s = t.wait_bound(10s);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(smsc_->summary().binds, 1u);
}

TEST_F(smpp_tls, AClientCertificateIsPresented) {
  ASSERT_TRUE(start_smsc().ok());
  auto o = options();
  o.tls_options.cert_file = certs_.client_cert;
  o.tls_options.key_file = certs_.client_key;
  smpp_transport t({o});
  auto s = t.wait_bound(10s);
  ASSERT_TRUE(s.ok()) << s.error().message;
}

TEST_F(smpp_tls, AnUntrustedCaFailsWithTheVerifyReasonAndNoBind) {
  ASSERT_TRUE(start_smsc().ok());
  auto o = options();
  o.tls_options.ca_file = certs_.other_ca;
  smpp_transport t({o});
  auto s = t.wait_bound(60s);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, where() +
                                   "TLS handshake failed: certificate verify failed: unable to "
                                   "get local issuer certificate (server name '127.0.0.1')");
  EXPECT_GE(t.stats().bind_failures, 1u);
  EXPECT_EQ(t.stats().binds, 0u);
  EXPECT_EQ(smsc_->summary().binds, 0u);
}

TEST_F(smpp_tls, AWrongHostNameFailsWithTheVerifyReasonAndNoBind) {
  ASSERT_TRUE(start_smsc().ok());
  auto o = options();
  o.tls_options.server_name = "smsc.example.org";
  smpp_transport t({o});
  auto s = t.wait_bound(60s);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, where() +
                                   "TLS handshake failed: certificate verify failed: hostname "
                                   "mismatch (server name 'smsc.example.org')");
  EXPECT_EQ(smsc_->summary().binds, 0u);
}

TEST_F(smpp_tls, AClientKeyReadableByOthersIsRefusedWithItsPath) {
  ASSERT_TRUE(start_smsc().ok());
  ASSERT_EQ(::chmod(certs_.client_key.c_str(), 0644), 0);
  auto o = options();
  o.tls_options.cert_file = certs_.client_cert;
  o.tls_options.key_file = certs_.client_key;
  smpp_transport t({o});
  auto s = t.wait_bound(60s);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, where() + "TLS key file " + certs_.client_key +
                                   ": readable by group or others (mode 644; chmod 600 it)");
  EXPECT_EQ(smsc_->summary().connections, 0u);
}

TEST_F(smpp_tls, TheSimulatorRefusesAKeyReadableByOthers) {
  ASSERT_EQ(::chmod(certs_.server_key.c_str(), 0640), 0);
  auto s = start_smsc();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "TLS key file " + certs_.server_key +
                                   ": readable by group or others (mode 640; chmod 600 it)");
}

TEST_F(smpp_tls, ATlsClientAgainstAClearTextSmscDoesNotBind) {
  ASSERT_TRUE(start_smsc(false).ok());
  smpp_transport t({options()});
  auto s = t.wait_bound(3s);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("TLS handshake failed"), std::string::npos) << s.error().message;
  EXPECT_EQ(smsc_->summary().binds, 0u);
}

TEST_F(smpp_tls, AClearTextClientAgainstATlsSmscDoesNotBind) {
  ASSERT_TRUE(start_smsc().ok());
  auto o = options();
  o.tls = false;
  smpp_transport t({o});
  auto s = t.wait_bound(2s);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(smsc_->summary().binds, 0u);
  EXPECT_GE(smsc_->summary().connections, 1u);
}

TEST(tls_context, MakingOneIgnoresSigpipe) {
  // OpenSSL writes with write(2): without this a peer that closed first killed smsc-sim
  // (seen in tests/integration/smpp_tls_test.py: the simulator ended by signal 13).
  std::signal(SIGPIPE, SIG_DFL);
  auto ctx = tls_context::client({});
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  struct sigaction now {};
  ASSERT_EQ(::sigaction(SIGPIPE, nullptr, &now), 0);
  EXPECT_EQ(now.sa_handler, SIG_IGN);
}

}  // namespace
}  // namespace otaflow::actors
