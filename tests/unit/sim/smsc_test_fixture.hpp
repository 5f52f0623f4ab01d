#pragma once
// The ESME side of the SMSC simulator tests: submit_sm builders and a fixture that starts
// the simulator on a free loopback port in front of a fake_gateway and binds ESMEs to it.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "codec/smpp34_pdu.hpp"
#include "sim/smsc_client.hpp"
#include "sim/smsc_server.hpp"
#include "tests/unit/sim/smsc_fake_gateway.hpp"

namespace otaflow::sim::testing {

using namespace std::chrono_literals;
namespace smpp = codec::smpp;

inline constexpr auto k_wait = 3000ms;
inline constexpr auto k_quiet = 300ms;

inline std::uint32_t u32(smpp::command_status s) {
  return static_cast<std::uint32_t>(s);
}

inline smpp::pdu submit(std::uint32_t seq, const std::string& dest, const bytes& ud,
                        std::uint8_t registered_delivery = 1, std::uint8_t data_coding = 0x02,
                        std::uint8_t esm_class = 0x40, std::uint8_t pid = 0x7F) {
  smpp::submit_sm s;
  s.source_addr_ton = 1;
  s.source_addr_npi = 1;
  s.source_addr = "4670000000";
  s.dest_addr_ton = 1;
  s.dest_addr_npi = 1;
  s.destination_addr = dest;
  s.esm_class = esm_class;
  s.protocol_id = pid;
  s.registered_delivery = registered_delivery;
  s.data_coding = data_coding;
  s.short_message = ud;
  smpp::pdu p;
  p.sequence_number = seq;
  p.body = std::move(s);
  return p;
}

/// An OTA command packet: UDH 02 70 00 (CPI) then some secured-packet-like bytes.
inline bytes ota_ud() {
  return hex(
      "027000"
      "0015"
      "16"
      "1201"
      "2525"
      "b00001"
      "0000000001"
      "00112233");
}

/// A started simulator (any free loopback port; a 5-step retry schedule shortened to 50 ms
/// steps) with a scripted card gateway, and ESME helpers over smsc_client.
class smsc_server_fixture : public ::testing::Test {
 protected:
  void start(smsc_config c = {}) {
    c.listen_host = "127.0.0.1";
    c.listen_port = 0;
    if (c.accounts.empty()) c.accounts = {{"test", "test"}};
    if (c.retry_schedule_ms.size() == 5) c.retry_schedule_ms = {50, 50, 50};
    server_ = std::make_unique<smsc_server>(c, gw_);
    auto st = server_->start();
    ASSERT_TRUE(st.ok()) << st.error().message;
  }

  void TearDown() override {
    if (server_) server_->stop();
  }

  smsc_client connect() {
    auto c = smsc_client::connect("127.0.0.1", server_->port());
    EXPECT_TRUE(c.ok());
    return std::move(c.value());
  }

  smsc_client bound(smpp::command_id kind = smpp::command_id::bind_transceiver,
                    const std::string& sys = "test") {
    auto c = connect();
    auto st = c.bind(kind, sys, "test", k_wait);
    EXPECT_TRUE(st.ok());
    if (st.ok()) {
      EXPECT_EQ(*st, 0u);
    }
    return c;
  }

  /// Receives n PDUs, answering each deliver_sm with deliver_sm_resp when ack is set.
  static std::vector<smpp::pdu> collect(smsc_client& c, std::size_t n, bool ack = true) {
    std::vector<smpp::pdu> out;
    while (out.size() < n) {
      auto p = c.receive(k_wait);
      if (!p) {
        ADD_FAILURE() << "expected " << n << " PDUs, got " << out.size() << ": "
                      << p.error().message;
        break;
      }
      if (ack && p->id() == smpp::command_id::deliver_sm) {
        smpp::pdu r;
        r.sequence_number = p->sequence_number;
        r.body = smpp::deliver_sm_resp{};
        EXPECT_TRUE(c.send(r).ok());
      }
      out.push_back(std::move(*p));
    }
    return out;
  }

  static const smpp::deliver_sm* find_deliver(const std::vector<smpp::pdu>& v, bool receipt,
                                              std::size_t nth = 0) {
    for (const auto& p : v) {
      const auto* d = std::get_if<smpp::deliver_sm>(&p.body);
      if (d && ((d->esm_class & 0x04) != 0) == receipt && nth-- == 0) return d;
    }
    return nullptr;
  }

  static std::string submit_resp_id(const std::vector<smpp::pdu>& v, std::uint32_t seq) {
    for (const auto& p : v) {
      if (const auto* r = std::get_if<smpp::submit_sm_resp>(&p.body)) {
        if (p.sequence_number == seq) return r->message_id;
      }
    }
    return {};
  }

  /// Waits until the server's counters satisfy pred.
  bool eventually(const std::function<bool(const smsc_summary&)>& pred) {
    const auto until = std::chrono::steady_clock::now() + k_wait;
    while (std::chrono::steady_clock::now() < until) {
      if (pred(server_->summary())) return true;
      std::this_thread::sleep_for(5ms);
    }
    return pred(server_->summary());
  }

  fake_gateway gw_;
  std::unique_ptr<smsc_server> server_;
};

}  // namespace otaflow::sim::testing
