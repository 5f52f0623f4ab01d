// The engine's SMPP client (actors/smpp_client.cpp) over real loopback TCP: against the
// in-process SMSC simulator (sim/smsc_server.hpp) with a scripted card gateway and its fault
// injection, and, where the simulator cannot hold or choose a submit_sm_resp, against a
// scripted SMSC peer driven by the test thread (windowing, retriable statuses, timeouts).

#include "actors/smpp_client.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "codec/smpp34_pdu.hpp"
#include "codec/ts23040_tpdu.hpp"
#include "sim/smsc_fault.hpp"
#include "sim/smsc_net.hpp"
#include "sim/smsc_server.hpp"
#include "tests/unit/actors/engine_fakes.hpp"
#include "tests/unit/sim/smsc_fake_gateway.hpp"

namespace otaflow::actors {
namespace {

using namespace std::chrono_literals;
using fakes::patience;
using fakes::wait_until;
namespace smpp = codec::smpp;
namespace tp = codec::tpdu;
namespace simt = sim::testing;

// ---- what the session reports -------------------------------------------------------------

class recording_listener final : public transport_listener {
 public:
  struct failure {
    std::uint64_t tag;
    std::uint32_t status;
    std::string reason;
    bool retriable;
  };
  struct receipt {
    std::string id;
    std::uint8_t state;
    std::string error;
  };
  struct mo {
    std::string from;
    bytes ud;
  };
  struct outcome {
    std::uint64_t tag;
    std::size_t bind;
    submit_outcome what;
    bool operator==(const outcome&) const = default;
  };

  void on_submitted(std::uint64_t tag, std::vector<std::string> ids) override {
    std::lock_guard lock(mu_);
    submitted_.emplace_back(tag, std::move(ids));
  }
  void on_submit_failed(std::uint64_t tag, std::uint32_t status, std::string reason,
                        bool retriable) override {
    std::lock_guard lock(mu_);
    failed_.push_back({tag, status, std::move(reason), retriable});
  }
  void on_submit_lost(std::uint64_t tag) override {
    std::lock_guard lock(mu_);
    lost_.push_back(tag);
  }
  void on_receipt(std::string id, std::uint8_t state, std::string error) override {
    std::lock_guard lock(mu_);
    receipts_.push_back({std::move(id), state, std::move(error)});
  }
  void on_mo(std::string from, bytes ud) override {
    std::lock_guard lock(mu_);
    mos_.push_back({std::move(from), std::move(ud)});
  }
  void on_submit_outcome(std::uint64_t tag, std::size_t bind, submit_outcome o) override {
    std::lock_guard lock(mu_);
    outcomes_.push_back({tag, bind, o});
  }

  /// The message ids on_submitted reported for `tag`, if it was.
  std::optional<std::vector<std::string>> ids(std::uint64_t tag) const {
    std::lock_guard lock(mu_);
    for (const auto& [t, ids] : submitted_) {
      if (t == tag) return ids;
    }
    return std::nullopt;
  }
  std::size_t submitted_count() const {
    std::lock_guard lock(mu_);
    return submitted_.size();
  }
  std::vector<failure> failures() const {
    std::lock_guard lock(mu_);
    return failed_;
  }
  std::vector<std::uint64_t> lost() const {
    std::lock_guard lock(mu_);
    return lost_;
  }
  std::vector<receipt> receipts() const {
    std::lock_guard lock(mu_);
    return receipts_;
  }
  std::optional<receipt> receipt_for(const std::string& id) const {
    std::lock_guard lock(mu_);
    for (const auto& r : receipts_) {
      if (r.id == id) return r;
    }
    return std::nullopt;
  }
  std::vector<mo> mos() const {
    std::lock_guard lock(mu_);
    return mos_;
  }
  std::vector<outcome> outcomes(std::uint64_t tag) const {
    std::lock_guard lock(mu_);
    std::vector<outcome> out;
    for (const auto& o : outcomes_) {
      if (o.tag == tag) out.push_back(o);
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::uint64_t, std::vector<std::string>>> submitted_;
  std::vector<failure> failed_;
  std::vector<std::uint64_t> lost_;
  std::vector<receipt> receipts_;
  std::vector<mo> mos_;
  std::vector<outcome> outcomes_;
};

// ---- messages -----------------------------------------------------------------------------

/// Segment n of `total` (1-based): a concatenation UDH (IEI 00, reference 2A), then 3 octets
/// that name the segment.
bytes segment(std::uint8_t n, std::uint8_t total) {
  return bytes{0x05, 0x00, 0x03, 0x2A, total, n, 0xC0, 0xDE, n};
}

submit_request message(std::uint64_t tag, std::string msisdn, std::uint8_t segments = 1) {
  submit_request r{tag, std::move(msisdn), {}};
  for (std::uint8_t i = 1; i <= segments; ++i) r.segments.push_back(segment(i, segments));
  return r;
}

/// The TP-UD of each SMS-DELIVER the card gateway received, in order.
std::vector<bytes> delivered_uds(simt::fake_gateway& gw) {
  std::vector<bytes> out;
  for (const auto& [msisdn, tpdu] : gw.received()) {
    auto d = tp::decode_deliver(tpdu);
    EXPECT_TRUE(d.ok()) << d.error().message;
    if (d.ok()) out.push_back(d->ud);
  }
  return out;
}

/// An RP-ACK without user data: delivered, no PoR.
sim::mt_outcome plain_ack() {
  return {};
}

/// The first seed (from 1) whose fault injector satisfies `want`.
std::uint64_t seed_where(sim::smsc_fault_config c,
                         const std::function<bool(const sim::smsc_fault_injector&)>& want) {
  for (c.seed = 1; c.seed < 1'000'000; ++c.seed) {
    if (want(sim::smsc_fault_injector(c))) return c.seed;
  }
  ADD_FAILURE() << "no seed gives the faults wanted";
  return 0;
}

// ---- against the SMSC simulator -----------------------------------------------------------

class smpp_client_sim : public ::testing::Test {
 protected:
  void start_smsc(sim::smsc_config c = {}) {
    c.listen_host = "127.0.0.1";
    c.listen_port = 0;
    c.workers = 1;
    if (c.accounts.empty()) c.accounts = {{"test", "test"}};
    smsc_ = std::make_unique<sim::smsc_server>(c, gw_);
    auto s = smsc_->start();
    ASSERT_TRUE(s.ok()) << s.error().message;
  }

  void TearDown() override {
    if (smsc_) smsc_->stop();
  }

  smpp_options options() const {
    smpp_options o;
    o.host = "127.0.0.1";
    o.port = smsc_->port();
    o.system_id = "test";
    o.password = "test";
    o.reconnect_min = 20ms;
    o.reconnect_max = 500ms;
    o.throttle_min = 20ms;
    o.throttle_max = 200ms;
    return o;
  }

  /// A one-bind transport reporting to `listener_`, bound.
  std::unique_ptr<smpp_transport> bound(smpp_options o) {
    auto t = std::make_unique<smpp_transport>(std::vector<smpp_options>{std::move(o)});
    t->set_listener(&listener_);
    auto s = t->wait_bound(5s);
    EXPECT_TRUE(s.ok()) << s.error().message;
    return t;
  }
  std::unique_ptr<smpp_transport> bound() { return bound(options()); }

  recording_listener listener_;
  simt::fake_gateway gw_;
  std::unique_ptr<sim::smsc_server> smsc_;
};

TEST_F(smpp_client_sim, BindsAndReportsTheIdsOfAMultiSegmentMessageInSegmentOrder) {
  start_smsc();
  gw_.answer([](std::string_view, int) { return plain_ack(); });
  auto t = bound();
  t->submit(message(42, "4671234567", 3));
  ASSERT_TRUE(wait_until([&] { return listener_.ids(42).has_value(); }, patience,
                         "on_submitted for tag 42"));
  EXPECT_EQ(*listener_.ids(42),
            (std::vector<std::string>{"0000000001", "0000000002", "0000000003"}));
  EXPECT_EQ(listener_.outcomes(42),
            (std::vector<recording_listener::outcome>{{42, 0, submit_outcome::accepted},
                                                      {42, 0, submit_outcome::accepted},
                                                      {42, 0, submit_outcome::accepted}}));
  EXPECT_TRUE(listener_.failures().empty());
  // The card got one OTA SMS-DELIVER per segment, in order, from the bind's source_addr.
  ASSERT_TRUE(wait_until([&] { return gw_.calls() == 3; }, patience, "3 deliveries"));
  EXPECT_EQ(delivered_uds(gw_), (std::vector<bytes>{segment(1, 3), segment(2, 3), segment(3, 3)}));
  for (const auto& [msisdn, tpdu] : gw_.received()) {
    EXPECT_EQ(msisdn, "4671234567");
    auto d = tp::decode_deliver(tpdu);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->oa.digits, "8500");
    EXPECT_EQ(d->pid, 0x7F);
    EXPECT_EQ(d->dcs, 0xF6);
    EXPECT_TRUE(d->udhi);
  }
  const auto st = t->stats();
  EXPECT_EQ(st.connects, 1u);
  EXPECT_EQ(st.binds, 1u);
  EXPECT_EQ(st.submits, 3u);
  EXPECT_EQ(st.submit_ok, 1u);
  EXPECT_EQ(smsc_->summary().accepted, 3u);
  EXPECT_EQ(t->bind_name(0), "127.0.0.1:" + std::to_string(smsc_->port()) + "/0");
  // stop() unbinds politely.
  t->stop();
  EXPECT_TRUE(wait_until([&] { return smsc_->summary().unbinds == 1; }, patience,
                         "the SMSC answered an unbind"));
}

TEST_F(smpp_client_sim, DeliveryReceiptsReachOnReceiptWithTheMessageIdAndState) {
  start_smsc();
  gw_.answer([](std::string_view msisdn, int) {
    sim::mt_outcome o;
    if (msisdn == "4670000009") o.result = sim::mt_outcome::kind::unknown_subscriber;
    return o;
  });
  auto t = bound();
  t->submit(message(1, "4670000001"));
  ASSERT_TRUE(wait_until([&] { return listener_.ids(1).has_value(); }, patience, "tag 1 sent"));
  t->submit(message(2, "4670000009"));
  ASSERT_TRUE(wait_until([&] { return listener_.ids(2).has_value(); }, patience, "tag 2 sent"));
  ASSERT_TRUE(
      wait_until([&] { return listener_.receipts().size() == 2; }, patience, "two receipts"));
  const auto ok_id = listener_.ids(1)->at(0), bad_id = listener_.ids(2)->at(0);
  EXPECT_NE(ok_id, bad_id);
  const auto ok = listener_.receipt_for(ok_id), bad = listener_.receipt_for(bad_id);
  ASSERT_TRUE(ok && bad);
  EXPECT_EQ(ok->state, static_cast<std::uint8_t>(smpp::message_state::delivered));
  EXPECT_EQ(ok->error, "");
  EXPECT_EQ(bad->state, static_cast<std::uint8_t>(smpp::message_state::undeliverable));
  EXPECT_EQ(bad->error, "1");  // network_error_code: GSM, MAP unknownSubscriber (1)
  EXPECT_TRUE(listener_.mos().empty());
  EXPECT_EQ(t->stats().receipts, 2u);
  EXPECT_EQ(smsc_->summary().receipts, 2u);
}

TEST_F(smpp_client_sim, PorsReachOnMoFromTheCard) {
  start_smsc();
  gw_.answer([](std::string_view msisdn, int) {
    sim::mt_outcome o;
    if (msisdn == "4671111111") {
      o.deliver_report_tpdu = simt::ack_report(simt::canned_por());  // PoR in the RP-ACK
    } else {
      o.mo.push_back({std::string(msisdn), simt::mo_submit(simt::canned_por())});  // by MO
    }
    return o;
  });
  auto t = bound();
  t->submit(message(1, "4671111111"));
  t->submit(message(2, "4672222222"));
  ASSERT_TRUE(wait_until([&] { return listener_.mos().size() == 2; }, patience, "two PoRs"));
  auto mos = listener_.mos();
  std::sort(mos.begin(), mos.end(), [](const auto& a, const auto& b) { return a.from < b.from; });
  EXPECT_EQ(mos[0].from, "4671111111");
  EXPECT_EQ(mos[0].ud, simt::canned_por());
  EXPECT_EQ(mos[1].from, "4672222222");
  EXPECT_EQ(mos[1].ud, simt::canned_por());
  EXPECT_EQ(t->stats().mo, 2u);
  EXPECT_EQ(smsc_->summary().pors, 2u);
}

TEST_F(smpp_client_sim, ARefusedSubmitReachesOnSubmitFailedAsFinal) {
  start_smsc();
  auto t = bound();
  t->submit(message(5, "not-a-number"));  // ESME_RINVDSTADR
  submit_request too_long{6, "4670000006", {segment(1, 1)}};
  too_long.segments[0].resize(141, 0xAA);  // more than one SMS holds: ESME_RINVMSGLEN
  t->submit(too_long);
  ASSERT_TRUE(
      wait_until([&] { return listener_.failures().size() == 2; }, patience, "two refusals"));
  auto f = listener_.failures();
  std::sort(f.begin(), f.end(), [](const auto& a, const auto& b) { return a.tag < b.tag; });
  EXPECT_EQ(f[0].tag, 5u);
  EXPECT_EQ(f[0].status, static_cast<std::uint32_t>(smpp::command_status::esme_rinvdstadr));
  EXPECT_EQ(f[0].reason, "ESME_RINVDSTADR (0x0000000B)");
  EXPECT_FALSE(f[0].retriable);
  EXPECT_EQ(f[1].tag, 6u);
  EXPECT_EQ(f[1].status, static_cast<std::uint32_t>(smpp::command_status::esme_rinvmsglen));
  EXPECT_FALSE(f[1].retriable);
  EXPECT_EQ(listener_.outcomes(5),
            (std::vector<recording_listener::outcome>{{5, 0, submit_outcome::rejected}}));
  EXPECT_FALSE(listener_.ids(5) || listener_.ids(6));
  EXPECT_EQ(t->stats().submit_failed, 2u);
  EXPECT_EQ(smsc_->summary().rejected, 2u);
  EXPECT_EQ(gw_.calls(), 0u);
}

// The simulator throttles exactly the second submit_sm (fault injection): the session
// resends that segment after a back-off, reports `throttled` then `accepted`, and the
// message ids stay in segment order although the SMSC numbered them in arrival order.
TEST_F(smpp_client_sim, AThrottledSegmentIsResentAndItsIdKeepsItsPlace) {
  sim::smsc_config c;
  c.faults.throttle_fraction = 0.5;
  c.faults.seed = seed_where(c.faults, [](const sim::smsc_fault_injector& f) {
    return !f.throttled(0) && f.throttled(1) && !f.throttled(2) && !f.throttled(3);
  });
  start_smsc(c);
  gw_.answer([](std::string_view, int) { return plain_ack(); });
  auto t = bound();
  t->submit(message(7, "4677777777", 3));
  ASSERT_TRUE(
      wait_until([&] { return listener_.ids(7).has_value(); }, patience, "on_submitted for tag 7"));
  // Segment 2 was throttled (no id); segment 3 got id 2, segment 2's resend id 3.
  EXPECT_EQ(*listener_.ids(7),
            (std::vector<std::string>{"0000000001", "0000000003", "0000000002"}));
  EXPECT_EQ(listener_.outcomes(7),
            (std::vector<recording_listener::outcome>{{7, 0, submit_outcome::accepted},
                                                      {7, 0, submit_outcome::throttled},
                                                      {7, 0, submit_outcome::accepted},
                                                      {7, 0, submit_outcome::accepted}}));
  EXPECT_TRUE(listener_.failures().empty());
  ASSERT_TRUE(wait_until([&] { return gw_.calls() == 3; }, patience, "3 deliveries"));
  EXPECT_EQ(delivered_uds(gw_), (std::vector<bytes>{segment(1, 3), segment(3, 3), segment(2, 3)}));
  const auto st = t->stats();
  EXPECT_EQ(st.throttled, 1u);
  EXPECT_EQ(st.submits, 4u);
  EXPECT_EQ(st.submit_ok, 1u);
  const auto sum = smsc_->summary();
  EXPECT_EQ(sum.throttled, 1u);
  EXPECT_EQ(sum.accepted, 3u);
}

// The SMSC's own rate limit: every submit beyond 1 per 100 ms is throttled; the session backs
// off and every message is accepted in the end, none reported failed.
TEST_F(smpp_client_sim, BacksOffWhenTheSmscRateLimitThrottles) {
  sim::smsc_config c;
  c.tps_per_bind = 10;
  c.tps_burst = 1;
  start_smsc(c);
  gw_.answer([](std::string_view, int) { return plain_ack(); });
  auto t = bound();
  for (std::uint64_t tag = 1; tag <= 4; ++tag)
    t->submit(message(tag, "467000000" + std::to_string(tag)));
  ASSERT_TRUE(
      wait_until([&] { return listener_.submitted_count() == 4; }, patience, "the 4 accepted"));
  EXPECT_TRUE(listener_.failures().empty());
  const auto sum = smsc_->summary();
  EXPECT_GE(sum.throttled, 1u);
  EXPECT_EQ(sum.accepted, 4u);
  EXPECT_EQ(t->stats().throttled, sum.throttled);
}

// Fault injection drops the link right after the first submit_sm (its response never leaves):
// both segments in flight are reported lost once, the session reconnects and binds again,
// and a resubmit goes through. The SMSC had accepted the first segment: its receipt comes on
// the new bind (a lost submit may still reach the card).
TEST_F(smpp_client_sim, ADroppedConnectionReportsSubmitsInFlightLostAndReconnects) {
  sim::smsc_config c;
  c.faults.disconnect_fraction = 0.5;
  c.faults.seed = seed_where(c.faults, [](const sim::smsc_fault_injector& f) {
    return f.disconnect(0) && !f.disconnect(1) && !f.disconnect(2) && !f.disconnect(3);
  });
  start_smsc(c);
  gw_.answer([](std::string_view, int) { return plain_ack(); });
  auto t = bound();
  t->submit(message(1, "4671000001", 2));
  ASSERT_TRUE(wait_until([&] { return !listener_.lost().empty(); }, patience, "a lost submit"));
  EXPECT_EQ(listener_.lost(), (std::vector<std::uint64_t>{1}));
  EXPECT_FALSE(listener_.ids(1).has_value());
  t->submit(message(2, "4671000001"));  // what the job does: re-package, submit again
  ASSERT_TRUE(
      wait_until([&] { return listener_.ids(2).has_value(); }, patience, "the resubmit accepted"));
  EXPECT_EQ(*listener_.ids(2), (std::vector<std::string>{"0000000002"}));
  ASSERT_TRUE(wait_until([&] { return listener_.receipt_for("0000000001").has_value(); }, patience,
                         "the receipt of the lost segment on the new bind"));
  EXPECT_EQ(listener_.receipt_for("0000000001")->state,
            static_cast<std::uint8_t>(smpp::message_state::delivered));
  const auto st = t->stats();
  EXPECT_EQ(st.lost, 1u);
  EXPECT_EQ(st.connects, 2u);
  EXPECT_EQ(st.binds, 2u);
  EXPECT_EQ(st.disconnects, 1u);
  const auto sum = smsc_->summary();
  EXPECT_EQ(sum.injected_disconnects, 1u);
  EXPECT_EQ(sum.binds, 2u);
  EXPECT_EQ(sum.accepted, 2u);  // segment 1 of tag 1 (segment 2 was never read), tag 2
}

// rate = 20 segments/s with a bucket of 2: the first two go at once, then one every 50 ms, so
// the tenth cannot be accepted before 400 ms (a lower bound: a slow machine only adds).
TEST_F(smpp_client_sim, PacesSegmentsToTheRate) {
  start_smsc();
  gw_.answer([](std::string_view, int) { return plain_ack(); });
  auto o = options();
  o.rate = 20;
  auto t = bound(o);
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint64_t tag = 1; tag <= 10; ++tag) {
    t->submit(message(tag, "46710000" + std::to_string(10 + tag)));
  }
  ASSERT_TRUE(
      wait_until([&] { return listener_.submitted_count() == 10; }, patience, "the 10 accepted"));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 395ms) << "10 segments at 20/s (burst 2) took only "
                         << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                         << " ms";
  EXPECT_EQ(smsc_->summary().accepted, 10u);
  EXPECT_EQ(smsc_->summary().throttled, 0u);
}

TEST_F(smpp_client_sim, AnIdleLinkIsKeptAliveWithEnquireLink) {
  start_smsc();
  auto o = options();
  o.enquire_link_interval = 30ms;
  auto t = bound(o);
  ASSERT_TRUE(
      wait_until([&] { return t->stats().enquire_links >= 3; }, patience, "three enquire_links"));
  EXPECT_EQ(t->stats().disconnects, 0u);  // each was answered in time
  EXPECT_EQ(smsc_->summary().connections, 1u);
}

TEST_F(smpp_client_sim, AWrongPasswordIsAClearBindError) {
  start_smsc();
  auto o = options();
  o.password = "wrong";
  smpp_transport t(std::vector<smpp_options>{o});
  t.set_listener(&listener_);
  // A refused bind ends the wait at once, not after the whole bind timeout.
  const auto t0 = std::chrono::steady_clock::now();
  auto s = t.wait_bound(60s);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 30s);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "SMSC 127.0.0.1:" + std::to_string(smsc_->port()) +
                                   ": bind as 'test' refused: ESME_RINVPASWD (0x0000000E)");
  EXPECT_GE(t.stats().bind_failures, 1u);
  EXPECT_EQ(t.stats().binds, 0u);
  EXPECT_GE(smsc_->summary().bind_failures, 1u);
  EXPECT_EQ(smsc_->summary().binds, 0u);

  auto u = options();
  u.system_id = "nobody";
  smpp_transport t2(std::vector<smpp_options>{u});
  auto s2 = t2.wait_bound(60s);
  ASSERT_FALSE(s2.ok());
  EXPECT_NE(s2.error().message.find("bind as 'nobody' refused: ESME_RINVSYSID"), std::string::npos)
      << s2.error().message;
}

// ---- against a scripted SMSC peer ---------------------------------------------------------

/// One SMPP peer on a loopback port, driven by the test thread: accepts the session, reads
/// its PDUs, and answers only what the test says (the simulator answers every submit_sm at
/// once, with a status of its own choosing).
class scripted_smsc {
 public:
  scripted_smsc() {
    auto l = sim::tcp_listen("127.0.0.1", 0);
    EXPECT_TRUE(l.ok());
    if (!l.ok()) return;
    listener_ = std::move(*l);
    auto port = sim::local_port(listener_.get());
    EXPECT_TRUE(port.ok());
    if (port.ok()) port_ = *port;
  }
  std::uint16_t port() const { return port_; }

  /// Accepts the next connection and answers its bind_transceiver.
  ::testing::AssertionResult accept_and_bind(std::chrono::milliseconds timeout = patience) {
    pollfd p{listener_.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) {
      return ::testing::AssertionFailure() << "no connection within " << timeout.count() << " ms";
    }
    conn_ = sim::smsc_fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    buf_.clear();
    if (!conn_.valid()) return ::testing::AssertionFailure() << "accept: " << std::strerror(errno);
    auto b = receive(timeout);
    if (!b.ok()) return ::testing::AssertionFailure() << "no bind: " << b.error().message;
    if (!std::holds_alternative<smpp::bind_transceiver>(b->body)) {
      return ::testing::AssertionFailure() << "expected bind_transceiver";
    }
    smpp::pdu r;
    r.sequence_number = b->sequence_number;
    r.body = smpp::bind_transceiver_resp{"SCRIPTED", {}};
    send(r);
    return ::testing::AssertionSuccess();
  }

  /// The next PDU the session sent (an error when none comes within the timeout).
  result<smpp::pdu> receive(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto f = smpp::frame_length(buf_);
      if (!f) return f.error();
      if (f->has_value() && buf_.size() >= **f) {
        const bytes whole(buf_.begin(), buf_.begin() + **f);
        buf_.erase(buf_.begin(), buf_.begin() + **f);
        return smpp::decode(whole);
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return make_error(errc::io, "no PDU", error_class::retriable);
      pollfd p{conn_.get(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) != 1) continue;
      std::uint8_t tmp[4096];
      const auto n = ::recv(conn_.get(), tmp, sizeof tmp, 0);
      if (n <= 0) return make_error(errc::io, "connection closed");
      buf_.insert(buf_.end(), tmp, tmp + n);
    }
  }

  /// The next submit_sm, skipping nothing else: anything else fails the test.
  std::optional<smpp::pdu> receive_submit(std::chrono::milliseconds timeout = patience) {
    auto p = receive(timeout);
    if (!p.ok()) {
      ADD_FAILURE() << "expected a submit_sm: " << p.error().message;
      return std::nullopt;
    }
    if (!std::holds_alternative<smpp::submit_sm>(p->body)) {
      ADD_FAILURE() << "expected a submit_sm, got " << smpp::command_name(p->id());
      return std::nullopt;
    }
    return std::move(*p);
  }

  /// Answers a submit_sm: its message id is "id-" + its destination when accepted.
  void answer(const smpp::pdu& submit, smpp::command_status st = smpp::command_status::esme_rok) {
    smpp::pdu r;
    r.status = st;
    r.sequence_number = submit.sequence_number;
    r.body =
        smpp::submit_sm_resp{st == smpp::command_status::esme_rok
                                 ? "id-" + std::get<smpp::submit_sm>(submit.body).destination_addr
                                 : "",
                             {}};
    send(r);
  }

  void send(const smpp::pdu& p) {
    auto raw = smpp::encode(p);
    ASSERT_TRUE(raw.ok());
    std::size_t off = 0;
    while (off < raw->size()) {
      const auto n = ::send(conn_.get(), raw->data() + off, raw->size() - off, MSG_NOSIGNAL);
      ASSERT_GT(n, 0) << std::strerror(errno);
      off += static_cast<std::size_t>(n);
    }
  }

  void close() { conn_.reset(); }

 private:
  sim::smsc_fd listener_, conn_;
  std::uint16_t port_ = 0;
  bytes buf_;
};

class smpp_client_scripted : public ::testing::Test {
 protected:
  smpp_options options() const {
    smpp_options o;
    o.host = "127.0.0.1";
    o.port = smsc_.port();
    o.system_id = "test";
    o.password = "test";
    o.reconnect_min = 20ms;
    return o;
  }
  std::unique_ptr<smpp_transport> bound(smpp_options o) {
    auto t = std::make_unique<smpp_transport>(std::vector<smpp_options>{std::move(o)});
    t->set_listener(&listener_);
    EXPECT_TRUE(smsc_.accept_and_bind());
    auto s = t->wait_bound(5s);
    EXPECT_TRUE(s.ok()) << s.error().message;
    return t;
  }

  recording_listener listener_;
  scripted_smsc smsc_;
};

// window = 3: never more than 3 submit_sm unanswered; each answer lets exactly one more go;
// answers out of order still give each message its own id.
TEST_F(smpp_client_scripted, NoMoreThanWindowSubmitsAreUnanswered) {
  auto o = options();
  o.window = 3;
  auto t = bound(o);
  for (std::uint64_t tag = 1; tag <= 8; ++tag)
    t->submit(message(tag, "46700" + std::to_string(tag)));
  std::vector<smpp::pdu> open;
  for (int i = 0; i < 3; ++i) {
    auto s = smsc_.receive_submit();
    ASSERT_TRUE(s);
    open.push_back(std::move(*s));
  }
  // A fourth does not come while three are unanswered (a bounded wait: must not happen).
  auto fourth = smsc_.receive(100ms);
  ASSERT_FALSE(fourth.ok()) << "a 4th PDU with 3 unanswered: " << smpp::command_name(fourth->id());
  // Answered last-first: each answer frees one place, and exactly one more comes.
  std::size_t received = 3, answered = 0;
  while (answered < 8) {
    smsc_.answer(open.back());
    open.pop_back();
    ++answered;
    if (received < 8) {
      auto s = smsc_.receive_submit();
      ASSERT_TRUE(s);
      ++received;
      open.insert(open.begin(), std::move(*s));
    }
    ASSERT_LE(received - answered, 3u);
    if (received < 8 && received - answered == 3) {
      auto extra = smsc_.receive(20ms);
      ASSERT_FALSE(extra.ok()) << "more than the window unanswered";
    }
  }
  ASSERT_TRUE(
      wait_until([&] { return listener_.submitted_count() == 8; }, patience, "the 8 accepted"));
  for (std::uint64_t tag = 1; tag <= 8; ++tag) {
    ASSERT_TRUE(listener_.ids(tag)) << tag;
    EXPECT_EQ(*listener_.ids(tag), (std::vector<std::string>{"id-46700" + std::to_string(tag)}));
  }
}

// Final statuses: those SMPP calls temporary (system error, submit failed) are retriable;
// a generic_nack is not.
TEST_F(smpp_client_scripted, FinalStatusesAreClassedRetriableOrNot) {
  auto t = bound(options());
  t->submit(message(1, "4670001"));
  t->submit(message(2, "4670002"));
  t->submit(message(3, "4670003"));
  auto a = smsc_.receive_submit(), b = smsc_.receive_submit(), c = smsc_.receive_submit();
  ASSERT_TRUE(a && b && c);
  smsc_.answer(*a, smpp::command_status::esme_rsyserr);
  smsc_.answer(*b, smpp::command_status::esme_rsubmitfail);
  smsc_.send(smpp::make_generic_nack(smpp::command_status::esme_rinvcmdid, c->sequence_number));
  ASSERT_TRUE(
      wait_until([&] { return listener_.failures().size() == 3; }, patience, "three failures"));
  auto f = listener_.failures();
  std::sort(f.begin(), f.end(), [](const auto& x, const auto& y) { return x.tag < y.tag; });
  EXPECT_EQ(f[0].status, static_cast<std::uint32_t>(smpp::command_status::esme_rsyserr));
  EXPECT_TRUE(f[0].retriable);
  EXPECT_EQ(f[1].status, static_cast<std::uint32_t>(smpp::command_status::esme_rsubmitfail));
  EXPECT_TRUE(f[1].retriable);
  EXPECT_EQ(f[2].status, static_cast<std::uint32_t>(smpp::command_status::esme_rinvcmdid));
  EXPECT_FALSE(f[2].retriable);
  EXPECT_EQ(f[2].reason.rfind("generic_nack ESME_RINVCMDID", 0), 0u) << f[2].reason;
  EXPECT_EQ(listener_.submitted_count(), 0u);
  // Each counts as a refused submit of its bind: the nack too (alerts and stats see it).
  for (std::uint64_t tag = 1; tag <= 3; ++tag) {
    EXPECT_EQ(listener_.outcomes(tag),
              (std::vector<recording_listener::outcome>{{tag, 0, submit_outcome::rejected}}))
        << tag;
  }
  EXPECT_EQ(t->stats().submit_failed, 3u);
}

// A submit_sm the SMSC never answers: after response_timeout the session gives the link up,
// reports the submit lost and binds again.
TEST_F(smpp_client_scripted, AnUnansweredSubmitIsLostAfterTheResponseTimeout) {
  auto o = options();
  o.response_timeout = 200ms;
  auto t = bound(o);
  t->submit(message(9, "4670009"));
  ASSERT_TRUE(smsc_.receive_submit());
  // Checked once a second by the session: lost within response_timeout + 1 s.
  ASSERT_TRUE(wait_until([&] { return !listener_.lost().empty(); }, 3s, "the submit lost"));
  EXPECT_EQ(listener_.lost(), (std::vector<std::uint64_t>{9}));
  ASSERT_TRUE(smsc_.accept_and_bind());
  ASSERT_TRUE(wait_until([&] { return t->stats().binds == 2; }, patience, "bound again"));
  EXPECT_EQ(t->stats().lost, 1u);
}

}  // namespace
}  // namespace otaflow::actors
