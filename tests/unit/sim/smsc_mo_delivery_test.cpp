// mo_delivery: which of an account's binds get its deliver_sm (MO PoRs and delivery
// receipts). Several binds of one system_id over real loopback TCP; with one worker the
// messages finish in submit order, so the bind each deliver_sm lands on is exact.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "codec/smpp34_pdu.hpp"
#include "sim/smsc_client.hpp"
#include "sim/smsc_server.hpp"
#include "tests/unit/sim/smsc_fake_gateway.hpp"
#include "tests/unit/sim/smsc_test_fixture.hpp"

namespace otaflow::sim {
namespace {

using namespace std::chrono_literals;
namespace smpp = codec::smpp;
using testing::k_quiet;
using testing::k_wait;
using testing::ota_ud;
using testing::submit;
using SmscMoDelivery = testing::smsc_server_fixture;

/// What a deliver_sm carried: a receipt's receipted_message_id, or a PoR's source MSISDN.
struct seen {
  bool receipt = false;
  std::string id;
  bool operator==(const seen&) const = default;
};

std::ostream& operator<<(std::ostream& os, const seen& s) {
  return os << (s.receipt ? "receipt " : "PoR from ") << s.id;
}

seen receipt(std::uint64_t id) {
  std::string digits = std::to_string(id);
  return {true, std::string(10 - digits.size(), '0') + digits};
}

seen por(const std::string& msisdn) {
  return {false, msisdn};
}

std::string msisdn(std::uint32_t i) {
  return "46700030" + std::string(i < 10 ? "0" : "") + std::to_string(i);
}

/// The next n deliver_sm on c, in arrival order, each answered with deliver_sm_resp; other
/// PDUs (submit_sm_resp) are skipped.
std::vector<seen> delivers(smsc_client& c, std::size_t n) {
  std::vector<seen> out;
  while (out.size() < n) {
    auto p = c.receive(k_wait);
    if (!p) {
      ADD_FAILURE() << "expected " << n << " deliver_sm, got " << out.size() << ": "
                    << p.error().message;
      break;
    }
    const auto* d = std::get_if<smpp::deliver_sm>(&p->body);
    if (!d) continue;
    smpp::pdu r;
    r.sequence_number = p->sequence_number;
    r.body = smpp::deliver_sm_resp{};
    EXPECT_TRUE(c.send(r).ok());
    if ((d->esm_class & 0x04) != 0) {
      auto id = smpp::get_receipted_message_id(d->tlvs);
      out.push_back({true, id.ok() ? id->value_or("?") : "?"});
    } else {
      out.push_back({false, d->source_addr});
    }
  }
  return out;
}

/// Fails when a deliver_sm arrives on c within k_quiet.
void no_more_delivers(smsc_client& c, const char* which) {
  for (;;) {
    auto p = c.receive(k_quiet);
    if (!p) return;
    EXPECT_NE(p->id(), smpp::command_id::deliver_sm) << which << " got one more deliver_sm";
  }
}

mt_outcome ack_without_por(std::string_view, int) {
  return {};
}

/// The card answers with its PoR by MO SMS-SUBMIT (one MO per message).
mt_outcome mo_por(std::string_view msisdn, int) {
  mt_outcome o;
  o.mo.push_back({std::string(msisdn), testing::mo_submit(testing::canned_por())});
  return o;
}

void unbind(smsc_client& c) {
  smpp::pdu u;
  u.sequence_number = c.next_sequence();
  u.body = smpp::unbind{};
  ASSERT_TRUE(c.send(u).ok());
  EXPECT_TRUE(c.wait_closed(k_wait));  // unbind_resp, then the SMSC closes
}

TEST_F(SmscMoDelivery, RoundRobinAlternatesReceiptsOverTheAccountsBinds) {
  smsc_config cfg;
  cfg.workers = 1;
  start(cfg);
  gw_.answer(ack_without_por);
  auto b1 = bound();
  auto b2 = bound(smpp::command_id::bind_receiver);
  for (std::uint32_t i = 1; i <= 10; ++i) {
    ASSERT_TRUE(b1.send(submit(i, msisdn(i), ota_ud(), 1)).ok());
  }
  // All submitted on bind 1; the receipts take turns, bind 1 first (it bound first).
  EXPECT_EQ(delivers(b1, 5),
            (std::vector<seen>{receipt(1), receipt(3), receipt(5), receipt(7), receipt(9)}));
  EXPECT_EQ(delivers(b2, 5),
            (std::vector<seen>{receipt(2), receipt(4), receipt(6), receipt(8), receipt(10)}));
  no_more_delivers(b1, "bind 1");
  no_more_delivers(b2, "bind 2");

  const auto s = server_->summary();
  EXPECT_EQ(s.receipts, 10u);
  ASSERT_EQ(s.per_bind.size(), 2u);
  EXPECT_EQ(s.per_bind[0].kind, "transceiver");
  EXPECT_EQ(s.per_bind[0].receipts, 5u);
  EXPECT_EQ(s.per_bind[0].pors, 0u);
  EXPECT_EQ(s.per_bind[1].kind, "receiver");
  EXPECT_EQ(s.per_bind[1].receipts, 5u);
  EXPECT_EQ(s.per_bind[1].system_id, "test");
  EXPECT_TRUE(s.per_bind[1].open);
}

TEST_F(SmscMoDelivery, RoundRobinSendsMoPorsAndReceiptsInTurn) {
  smsc_config cfg;
  cfg.workers = 1;
  start(cfg);
  gw_.answer(mo_por);
  auto b1 = bound();
  auto b2 = bound();
  constexpr std::uint32_t n = 6;
  for (std::uint32_t i = 1; i <= n; ++i) {
    ASSERT_TRUE(b1.send(submit(i, msisdn(i), ota_ud(), 1)).ok());
  }
  // Each message gives its PoR, then its receipt: turns alternate, so with two binds every
  // PoR lands on bind 1 and every receipt on bind 2.
  std::vector<seen> want1, want2;
  for (std::uint32_t i = 1; i <= n; ++i) {
    want1.push_back(por(msisdn(i)));
    want2.push_back(receipt(i));
  }
  EXPECT_EQ(delivers(b1, n), want1);
  EXPECT_EQ(delivers(b2, n), want2);
  no_more_delivers(b1, "bind 1");
  no_more_delivers(b2, "bind 2");

  const auto s = server_->summary();
  EXPECT_EQ(s.pors, n);
  EXPECT_EQ(s.receipts, n);
  ASSERT_EQ(s.per_bind.size(), 2u);
  EXPECT_EQ(s.per_bind[0].pors, n);
  EXPECT_EQ(s.per_bind[0].receipts, 0u);
  EXPECT_EQ(s.per_bind[1].pors, 0u);
  EXPECT_EQ(s.per_bind[1].receipts, n);
  EXPECT_NE(s.to_string().find("deliver_sm per bind"), std::string::npos);
}

TEST_F(SmscMoDelivery, ARoundRobinBindThatClosedGetsNoneAfterAndTurnsGoOn) {
  smsc_config cfg;
  cfg.workers = 1;
  start(cfg);
  gw_.answer(ack_without_por);
  auto tx = bound(smpp::command_id::bind_transmitter);
  auto r1 = bound(smpp::command_id::bind_receiver);
  auto r2 = bound();
  auto r3 = bound(smpp::command_id::bind_receiver);
  for (std::uint32_t i = 1; i <= 5; ++i) {
    ASSERT_TRUE(tx.send(submit(i, msisdn(i), ota_ud(), 1)).ok());
  }
  EXPECT_EQ(delivers(r1, 2), (std::vector<seen>{receipt(1), receipt(4)}));
  EXPECT_EQ(delivers(r2, 2), (std::vector<seen>{receipt(2), receipt(5)}));
  EXPECT_EQ(delivers(r3, 1), (std::vector<seen>{receipt(3)}));
  // It is receiver 3's turn. Receiver 1 leaves, having answered everything it got (so nothing
  // of its goes back to the queue).
  unbind(r1);

  for (std::uint32_t i = 6; i <= 9; ++i) {
    ASSERT_TRUE(tx.send(submit(i, msisdn(i), ota_ud(), 1)).ok());
  }
  EXPECT_EQ(delivers(r3, 2), (std::vector<seen>{receipt(6), receipt(8)}));
  EXPECT_EQ(delivers(r2, 2), (std::vector<seen>{receipt(7), receipt(9)}));
  no_more_delivers(r2, "receiver 2");
  no_more_delivers(r3, "receiver 3");
  no_more_delivers(tx, "the transmitter");

  const auto s = server_->summary();
  EXPECT_EQ(s.receipts, 9u);
  EXPECT_EQ(s.resends, 0u);
  ASSERT_EQ(s.per_bind.size(), 4u);
  EXPECT_EQ(s.per_bind[0].receipts, 0u);
  EXPECT_EQ(s.per_bind[1].receipts, 2u);  // none after it closed
  EXPECT_FALSE(s.per_bind[1].open);
  EXPECT_EQ(s.per_bind[2].receipts, 4u);
  EXPECT_EQ(s.per_bind[3].receipts, 3u);
  EXPECT_TRUE(s.per_bind[3].open);
}

TEST_F(SmscMoDelivery, OriginAnswersOnTheSubmittingBindEvenWithItsWindowFull) {
  smsc_config cfg;
  cfg.mo_delivery = smsc_mo_delivery::origin;
  cfg.deliver_window = 1;  // round_robin would pass over a bind with a full window
  start(cfg);
  auto b1 = bound();
  auto b2 = bound();
  for (std::uint32_t i = 1; i <= 3; ++i) {
    ASSERT_TRUE(b1.send(submit(i, msisdn(i), ota_ud(), 1)).ok());
  }
  auto v1 = delivers(b1, 6);  // a PoR (in the RP-ACK) and a receipt per message
  no_more_delivers(b2, "bind 2");
  for (std::uint32_t i = 4; i <= 5; ++i) {
    ASSERT_TRUE(b2.send(submit(i, msisdn(i), ota_ud(), 1)).ok());
  }
  auto v2 = delivers(b2, 4);
  no_more_delivers(b1, "bind 1");
  no_more_delivers(b2, "bind 2");
  for (std::uint32_t i = 1; i <= 5; ++i) {
    const auto& v = i <= 3 ? v1 : v2;
    EXPECT_EQ(std::count(v.begin(), v.end(), receipt(i)), 1) << i;
    EXPECT_EQ(std::count(v.begin(), v.end(), por(msisdn(i))), 1) << i;
  }

  const auto s = server_->summary();
  ASSERT_EQ(s.per_bind.size(), 2u);
  EXPECT_EQ(s.per_bind[0].pors, 3u);
  EXPECT_EQ(s.per_bind[0].receipts, 3u);
  EXPECT_EQ(s.per_bind[1].pors, 2u);
  EXPECT_EQ(s.per_bind[1].receipts, 2u);
}

TEST_F(SmscMoDelivery, OriginFallsBackToTheAccountsBindsInTurn) {
  smsc_config cfg;
  cfg.mo_delivery = smsc_mo_delivery::origin;
  cfg.workers = 1;
  start(cfg);
  std::atomic<bool> hold{false};
  gw_.answer([&hold](std::string_view, int) {
    while (hold.load()) std::this_thread::sleep_for(1ms);
    return mt_outcome{};
  });
  // A transmitter cannot receive: its receipts go to the receivers in turn.
  auto tx = bound(smpp::command_id::bind_transmitter);
  auto r1 = bound(smpp::command_id::bind_receiver);
  auto r2 = bound(smpp::command_id::bind_receiver);
  for (std::uint32_t i = 1; i <= 4; ++i) {
    ASSERT_TRUE(tx.send(submit(i, msisdn(i), ota_ud(), 1)).ok());
  }
  EXPECT_EQ(delivers(r1, 2), (std::vector<seen>{receipt(1), receipt(3)}));
  EXPECT_EQ(delivers(r2, 2), (std::vector<seen>{receipt(2), receipt(4)}));

  // A transceiver that closes before its message is answered: the receipt goes to the
  // next receiver in turn.
  hold = true;
  auto trx = bound();
  ASSERT_TRUE(trx.send(submit(5, msisdn(5), ota_ud(), 1)).ok());
  auto resp = trx.receive(k_wait);
  ASSERT_TRUE(resp.ok());
  ASSERT_EQ(resp->id(), smpp::command_id::submit_sm_resp);
  unbind(trx);
  hold = false;
  EXPECT_EQ(delivers(r1, 1), (std::vector<seen>{receipt(5)}));
  no_more_delivers(r2, "receiver 2");

  const auto s = server_->summary();
  ASSERT_EQ(s.per_bind.size(), 4u);
  EXPECT_EQ(s.per_bind[0].receipts, 0u);  // the transmitter
  EXPECT_EQ(s.per_bind[1].receipts, 3u);
  EXPECT_EQ(s.per_bind[2].receipts, 2u);
  EXPECT_EQ(s.per_bind[3].receipts, 0u);  // the closed transceiver
}

}  // namespace
}  // namespace otaflow::sim
