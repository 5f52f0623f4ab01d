// SMSC simulator throughput over loopback TCP: one ESME keeps `window` submit_sm in flight
// against a server whose card gateway does no work, so the numbers are the simulator's own
// cost (SMPP decode, SMS-DELIVER encode, worker hand-off, deliver_sm for PoR and receipt).
//
//   BM_SmscSubmit/<window>           submit_sm -> submit_sm_resp; RP-ACK without PoR, no receipt
//   BM_SmscSubmitPorReceipt/<window> as above, plus a PoR deliver_sm and a receipt per message,
//                                    each acknowledged with deliver_sm_resp

#include <benchmark/benchmark.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <thread>

#include "codec/smpp34_pdu.hpp"
#include "codec/ts23040_tpdu.hpp"
#include "sim/smsc_client.hpp"
#include "sim/smsc_server.hpp"

namespace {

using namespace otaflow;
namespace smpp = codec::smpp;

class null_gateway : public sim::card_gateway {
 public:
  explicit null_gateway(bool por) {
    if (por) {
      codec::tpdu::sms_deliver_report r;
      r.pid = codec::tpdu::pid_usim_data_download;
      r.dcs = codec::tpdu::dcs_8bit_class2_f;
      r.ud =
          hex("027100000e0ab000010000000001000001"
              "9000");
      report_ = codec::tpdu::encode(r).value();
    }
  }
  sim::mt_outcome deliver(std::string_view, byte_view) override {
    sim::mt_outcome o;
    o.deliver_report_tpdu = report_;
    return o;
  }

 private:
  bytes report_;
};

bytes submit_pdu(std::uint8_t registered_delivery) {
  smpp::submit_sm s;
  s.source_addr_ton = smpp::ton::international;
  s.source_addr_npi = smpp::npi::isdn;
  s.source_addr = "4670000000";
  s.dest_addr_ton = smpp::ton::international;
  s.dest_addr_npi = smpp::npi::isdn;
  s.destination_addr = "46712345678";
  s.esm_class = smpp::esm_class::udhi;
  s.protocol_id = codec::tpdu::pid_usim_data_download;
  s.data_coding = smpp::data_coding::octet_unspecified;
  s.registered_delivery = registered_delivery;
  // A typical RFM command: CPI UDH and ~100 octets of secured packet.
  s.short_message = hex("027000");
  s.short_message.resize(110, 0x5A);
  smpp::pdu p;
  p.sequence_number = 1;
  p.body = std::move(s);
  return smpp::encode(p).value();
}

std::uint32_t rd32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}

void put32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

void run(benchmark::State& state, bool por) {
  const auto window = static_cast<std::uint64_t>(state.range(0));
  sim::smsc_config cfg;
  cfg.listen_port = 0;
  cfg.deliver_window = 256;
  cfg.submit_queue_limit = 0;
  cfg.accounts = {{"test", "test"}};
  null_gateway gw(por);
  sim::smsc_server server(cfg, gw);
  if (!server.start().ok()) {
    state.SkipWithError("server did not start");
    return;
  }
  auto client = sim::smsc_client::connect("127.0.0.1", server.port());
  if (!client) {
    state.SkipWithError("connect failed");
    return;
  }
  auto bound =
      client->bind(smpp::command_id::bind_transceiver, "test", "test", std::chrono::seconds(5));
  if (!bound || *bound != 0) {
    state.SkipWithError("bind failed");
    return;
  }
  const int fd = client->fd();
  const bytes one = submit_pdu(por ? 1 : 0);
  const std::uint64_t per_message = por ? 3 : 1;  // PDUs the ESME receives per submit
  bytes out;
  bytes in;
  std::vector<std::uint8_t> buf(1 << 16);
  std::uint32_t seq = 100;
  std::uint64_t total = 0;

  for (auto _ : state) {
    const std::uint64_t n = 10000;
    std::uint64_t sent = 0, received = 0, outstanding = 0;
    while (received < n * per_message) {
      out.clear();
      while (sent < n && outstanding < window) {
        const std::size_t at = out.size();
        out.insert(out.end(), one.begin(), one.end());
        put32(out.data() + at + 12, seq++);
        ++sent;
        ++outstanding;
      }
      for (std::size_t off = 0; off < out.size();) {
        const ssize_t w = ::send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
        if (w <= 0) {
          state.SkipWithError("send failed");
          return;
        }
        off += static_cast<std::size_t>(w);
      }
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) {
        state.SkipWithError("no answer within 5 s");
        return;
      }
      const ssize_t r = ::read(fd, buf.data(), buf.size());
      if (r <= 0) {
        state.SkipWithError("connection lost");
        return;
      }
      in.insert(in.end(), buf.begin(), buf.begin() + r);
      std::size_t pos = 0;
      out.clear();
      while (in.size() - pos >= 16) {
        const std::uint32_t len = rd32(in.data() + pos);
        if (in.size() - pos < len) break;
        const std::uint32_t id = rd32(in.data() + pos + 4);
        if (id == 0x80000004) {
          --outstanding;
        } else if (id == 0x00000005) {  // answer deliver_sm
          std::uint8_t resp[17] = {0, 0, 0, 17, 0x80, 0, 0, 5, 0, 0, 0, 0};
          std::copy_n(in.data() + pos + 12, 4, resp + 12);
          out.insert(out.end(), resp, resp + 17);
        }
        ++received;
        pos += len;
      }
      in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(pos));
      for (std::size_t off = 0; off < out.size();) {
        const ssize_t w = ::send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
        if (w <= 0) {
          state.SkipWithError("send failed");
          return;
        }
        off += static_cast<std::size_t>(w);
      }
    }
    total += n;
  }
  state.counters["submits/s"] =
      benchmark::Counter(static_cast<double>(total), benchmark::Counter::kIsRate);
  client->close();
  server.stop();
}

void BM_SmscSubmit(benchmark::State& state) {
  run(state, false);
}
void BM_SmscSubmitPorReceipt(benchmark::State& state) {
  run(state, true);
}

BENCHMARK(BM_SmscSubmit)
    ->Arg(1)
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SmscSubmitPorReceipt)
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
