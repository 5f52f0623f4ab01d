// `otaflow bench sim [--cards N] [--fleet F] [--window W] [--workers K] [--worker-batch B]
// [--card-crypto batch|openssl] [--in-memory] [--json]`:
// OTA messages per second through the SMSC simulator and the virtual UICC fleet, end to end
// over loopback TCP, and the memory each changed card costs.
//
// One process: a generated fleet of F cards (seed "bench-sim"; card state in a temporary
// RocksDB directory, removed afterwards, unless --in-memory), the SMSC simulator on 127.0.0.1
// (a port the OS picks) and an ESME bound as transceiver over a real TCP socket. Before the
// clock starts, N RFM command packets are secured with each card's keyset 1 and encoded as
// submit_sm: SPI 1621 (CC, 3DES ciphering, counter higher than; PoR always, by SMS-SUBMIT,
// unsecured), KIc/KID 15 (two-key 3DES), TAR B00010, a compact TS 102 226 script SELECT
// 3F00/7FFF/6F7B + UPDATE BINARY of EF_FPLMN; message i goes to card i % F with counter
// i / F + 1. The clock runs from the first submit_sm to the last PoR deliver_sm, with at most
// W messages between their submit and their PoR. Memory: RSS growth over the run divided by
// the cards that changed, next to the fleet's own accounting of its cached cards.
// Figures only: nothing is asserted on them.

#include "app/bench_sim.hpp"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/command.hpp"
#include "base/bytes.hpp"
#include "base/log.hpp"
#include "codec/smpp34_pdu.hpp"
#include "codec/ts102225_spi.hpp"
#include "codec/ts31115_sms.hpp"
#include "secure/scp80.hpp"
#include "secure/simd_backend.hpp"
#include "sim/fleet.hpp"
#include "sim/smsc_client.hpp"
#include "sim/smsc_server.hpp"

namespace otaflow::app {
namespace {

using json = nlohmann::ordered_json;
using steady = std::chrono::steady_clock;
namespace smpp = codec::smpp;

struct sim_args {
  std::uint64_t messages = 100000;
  std::uint64_t fleet = 0;  ///< 0: as many cards as messages
  std::uint32_t window = 4096;
  unsigned workers = 2;
  std::uint32_t worker_batch = 256;
  std::string card_crypto = "batch";
  bool in_memory = false;
  bool json_out = false;
};

constexpr std::uint32_t k_tar = 0xB00010;
// SELECT MF, DF 7FFF (ADF.USIM), EF_FPLMN; UPDATE BINARY of 12 octets (MCC 001 MNC 01 first).
constexpr const char* k_script =
    "00a40004023f00"
    "00a40004027fff"
    "00a40004026f7b"
    "00d600000c00f110ffffffffffffffffff";
constexpr const char* k_ota_server = "4670000000";

/// VmRSS and VmHWM of this process, in octets.
struct rss_now {
  std::uint64_t rss = 0;
  std::uint64_t peak = 0;
};

rss_now read_rss() {
  rss_now r;
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    std::uint64_t kb = 0;
    if (key == "VmRSS:" && in >> kb) r.rss = kb * 1024;
    if (key == "VmHWM:" && in >> kb) r.peak = kb * 1024;
    in.ignore(1 << 12, '\n');
  }
  return r;
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

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "otaflow bench sim: %s\n", message.c_str());
  exit_with(1);
}

/// N submit_sm PDUs (sequence 0, patched when sent) in one buffer, secured before timing.
struct prepared_submits {
  bytes all;
  std::vector<std::uint32_t> offset;  ///< PDU i starts at offset[i], ends at offset[i + 1]
};

prepared_submits prepare(const sim::fleet& f, std::uint64_t n) {
  prepared_submits out;
  out.offset.reserve(n + 1);
  const bytes script = hex(k_script);
  auto backend = secure::make_best_backend();
  auto spi = codec::decode_spi(0x1621);
  if (!spi) fail(spi.error().message);
  constexpr std::uint64_t chunk = 4096;
  for (std::uint64_t base = 0; base < n; base += chunk) {
    const std::uint64_t m = std::min(chunk, n - base);
    std::vector<sim::card_identity> ids;
    ids.reserve(m);
    std::vector<secure::command_request> reqs;
    reqs.reserve(m);
    for (std::uint64_t k = 0; k < m; ++k) {
      const std::uint64_t i = base + k;
      auto id = f.source().identity(i % f.size());
      if (!id) fail(id.error().message);
      ids.push_back(std::move(*id));
    }
    for (std::uint64_t k = 0; k < m; ++k) {
      const std::uint64_t i = base + k;
      const sim::ota_keyset* ks = ids[k].keyset(1);
      if (!ks) fail("card " + ids[k].iccid + " has no keyset 1");
      secure::command_params p;
      p.spi = *spi;
      p.kic = 0x15;
      p.kid = 0x15;
      p.tar = k_tar;
      p.counter = i / f.size() + 1;
      p.kic_key = ks->kic;
      p.kid_key = ks->kid;
      reqs.push_back({p, script});
    }
    auto packets = secure::secure_commands(reqs, *backend);
    for (std::uint64_t k = 0; k < m; ++k) {
      if (!packets[k]) fail("securing: " + packets[k].error().message);
      auto uds = codec::command_to_tp_ud(*packets[k], {});
      if (!uds || uds->size() != 1) fail("a command packet does not fit one SMS");
      smpp::submit_sm s;
      s.source_addr_ton = 1;
      s.source_addr_npi = 1;
      s.source_addr = k_ota_server;
      s.dest_addr_ton = 1;
      s.dest_addr_npi = 1;
      s.destination_addr = ids[k].msisdn;
      s.esm_class = 0x40;
      s.protocol_id = 0x7F;
      s.data_coding = 0xF6;
      s.short_message = std::move(uds->front());
      smpp::pdu p;
      p.sequence_number = 1;
      p.body = std::move(s);
      auto enc = smpp::encode(p);
      if (!enc) fail("submit_sm: " + enc.error().message);
      out.offset.push_back(static_cast<std::uint32_t>(out.all.size()));
      out.all.insert(out.all.end(), enc->begin(), enc->end());
    }
  }
  out.offset.push_back(static_cast<std::uint32_t>(out.all.size()));
  return out;
}

/// What the ESME saw.
struct esme_result {
  std::uint64_t pors = 0;
  std::uint64_t submit_errors = 0;
  std::array<std::uint64_t, 256> por_status{};
  double seconds = 0;
};

/// Sends every prepared submit (at most `window` messages between submit and PoR), answers
/// every deliver_sm, and returns when each accepted message has its PoR.
esme_result drive(int fd, const prepared_submits& subs, std::uint32_t window) {
  const std::uint64_t n = subs.offset.size() - 1;
  esme_result r;
  bytes out, in;
  std::size_t out_pos = 0;
  std::vector<std::uint8_t> buf(1 << 16);
  std::uint64_t sent = 0;
  auto last_progress = steady::now();
  const auto start = steady::now();
  while (r.pors + r.submit_errors < n) {
    while (sent < n && sent - r.pors - r.submit_errors < window &&
           out.size() - out_pos < (1 << 20)) {
      const auto at = out.size();
      out.insert(out.end(), subs.all.begin() + subs.offset[sent],
                 subs.all.begin() + subs.offset[sent + 1]);
      put32(out.data() + at + 12, static_cast<std::uint32_t>(sent + 1));
      ++sent;
    }
    pollfd p{fd, static_cast<short>(POLLIN | (out_pos < out.size() ? POLLOUT : 0)), 0};
    const int pr = ::poll(&p, 1, 1000);
    if (pr < 0 && errno != EINTR) fail("poll failed");
    if (pr <= 0) {
      if (steady::now() - last_progress > std::chrono::seconds(60))
        fail("no progress for 60 s: " + std::to_string(r.pors) + " PoRs of " + std::to_string(n));
      continue;
    }
    if (p.revents & (POLLERR | POLLHUP)) fail("the simulator closed the connection");
    if (p.revents & POLLOUT) {
      while (out_pos < out.size()) {
        const ssize_t w = ::send(fd, out.data() + out_pos, out.size() - out_pos, MSG_NOSIGNAL);
        if (w > 0) {
          out_pos += static_cast<std::size_t>(w);
          continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (w < 0 && errno == EINTR) continue;
        fail("send failed");
      }
      if (out_pos == out.size()) {
        out.clear();
        out_pos = 0;
      }
    }
    if (!(p.revents & POLLIN)) continue;
    for (;;) {
      const ssize_t got = ::read(fd, buf.data(), buf.size());
      if (got == 0) fail("the simulator closed the connection");
      if (got < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        fail("read failed");
      }
      in.insert(in.end(), buf.begin(), buf.begin() + got);
      if (static_cast<std::size_t>(got) < buf.size()) break;
    }
    std::size_t pos = 0;
    while (in.size() - pos >= 16) {
      const std::uint8_t* h = in.data() + pos;
      const std::uint32_t len = rd32(h);
      if (len < 16) fail("a PDU with command_length " + std::to_string(len));
      if (in.size() - pos < len) break;
      const std::uint32_t id = rd32(h + 4);
      if (id == 0x80000004) {  // submit_sm_resp
        if (rd32(h + 8) != 0) ++r.submit_errors;
      } else if (id == 0x00000005) {  // deliver_sm: answer, then read the PoR's status
        std::uint8_t resp[17] = {0, 0, 0, 17, 0x80, 0, 0, 5, 0, 0, 0, 0};
        std::copy_n(h + 12, 4, resp + 12);
        out.insert(out.end(), resp, resp + 17);
        auto d = smpp::decode(byte_view(h, len));
        if (!d) fail("deliver_sm: " + d.error().message);
        if (const auto* dm = std::get_if<smpp::deliver_sm>(&d->body);
            dm && !(dm->esm_class & 0x04)) {
          // 02 71 00 | RPL RHL TAR CNTR PCNTR | Status (TS 31.115 §4.4; SPI 1621's PoR is
          // neither ciphered nor checksummed).
          const auto& ud = dm->short_message;
          ++r.por_status[ud.size() > 15 ? ud[15] : 0xFF];
          ++r.pors;
        }
      }
      pos += len;
    }
    in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(pos));
    if (pos > 0) last_progress = steady::now();
  }
  r.seconds = std::chrono::duration<double>(steady::now() - start).count();
  return r;
}

void run_sim(const sim_args& a) {
  std::signal(SIGPIPE, SIG_IGN);
  const std::uint64_t fleet_size = a.fleet ? a.fleet : a.messages;
  // A card's next message leaves only after the PoR of its previous one (counters in order).
  const auto window = static_cast<std::uint32_t>(std::min<std::uint64_t>(a.window, fleet_size));
  std::filesystem::path state;
  if (!a.in_memory) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "otaflow-bench-sim-XXXXXX");
    if (!::mkdtemp(tmpl.data())) fail("cannot create a temporary state directory");
    state = tmpl;
  }
  struct cleanup {
    std::filesystem::path dir;
    ~cleanup() {
      std::error_code ec;
      if (!dir.empty()) std::filesystem::remove_all(dir, ec);
    }
  } remove_state{state};

  sim::fleet_options fo;
  fo.state_dir = state;
  fo.batch_verify = a.card_crypto == "batch";
  auto f = sim::fleet::generated("bench-sim", fleet_size, fo);
  if (!f) fail(f.error().message);
  sim::fleet& fleet = **f;

  const auto t_prepare = steady::now();
  const prepared_submits subs = prepare(fleet, a.messages);
  const double prepare_s = std::chrono::duration<double>(steady::now() - t_prepare).count();

  sim::smsc_config cfg;
  cfg.listen_host = "127.0.0.1";
  cfg.listen_port = 0;
  cfg.workers = a.workers;
  cfg.worker_batch = a.worker_batch;
  cfg.deliver_window = 4096;
  cfg.submit_queue_limit = 0;
  cfg.response_timeout_ms = 600000;
  cfg.idle_timeout_ms = 0;
  cfg.bind_timeout_ms = 0;
  sim::smsc_server server(cfg, fleet);
  if (auto st = server.start(); !st) fail(st.error().message);
  auto client = sim::smsc_client::connect("127.0.0.1", server.port());
  if (!client) fail(client.error().message);
  auto bound =
      client->bind(smpp::command_id::bind_transceiver, "test", "test", std::chrono::seconds(5));
  if (!bound || *bound != 0) fail("bind_transceiver refused");
  const int fd = client->fd();
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);

  const rss_now before = read_rss();
  const esme_result r = drive(fd, subs, window);
  const rss_now after = read_rss();
  const sim::fleet_stats fs = fleet.stats();
  client->close();
  server.stop();
  const sim::smsc_summary ss = server.summary();

  const double rate = static_cast<double>(r.pors) / r.seconds;
  const double growth = static_cast<double>(after.rss) - static_cast<double>(before.rss);
  const double per_changed = fs.cards_changed ? growth / static_cast<double>(fs.cards_changed) : 0;
  const double fleet_per_card = fs.cards_in_memory ? static_cast<double>(fs.bytes_in_memory) /
                                                         static_cast<double>(fs.cards_in_memory)
                                                   : 0;
  json hist = json::object();
  for (std::size_t s = 0; s < r.por_status.size(); ++s) {
    if (!r.por_status[s]) continue;
    char key[3];
    std::snprintf(key, sizeof key, "%02x", static_cast<unsigned>(s));
    hist[key] = r.por_status[s];
  }
  json j;
  j["messages"] = a.messages;
  j["fleet_cards"] = fleet_size;
  j["window"] = window;
  j["workers"] = a.workers;
  j["worker_batch"] = a.worker_batch;
  j["card_crypto"] = a.card_crypto;
  j["batch_opened"] = fs.batch_opened;
  j["persisted"] = !a.in_memory;
  j["prepare_seconds"] = prepare_s;
  j["seconds"] = r.seconds;
  j["ota_msgs_per_s"] = rate;
  j["pors"] = r.pors;
  j["submit_errors"] = r.submit_errors;
  j["por_status"] = hist;
  j["cards_changed"] = fs.cards_changed;
  j["cards_in_memory"] = fs.cards_in_memory;
  j["rss_before_bytes"] = before.rss;
  j["rss_after_bytes"] = after.rss;
  j["peak_rss_bytes"] = after.peak;
  j["rss_growth_per_changed_card_bytes"] = per_changed;
  j["fleet_bytes_per_cached_card"] = fleet_per_card;
  j["smsc_delivered"] = ss.delivered;
  if (a.json_out) {
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::printf(
      "SMSC simulator + virtual UICC fleet, end to end over loopback TCP\n"
      "%llu OTA messages (SPI 1621, 3DES, RFM UPDATE BINARY) to %llu cards, window %u, "
      "%u workers taking up to %u messages at once, card state %s,\n"
      "card-side opening: %s (%llu packets opened in crypto batches)\n\n",
      static_cast<unsigned long long>(a.messages), static_cast<unsigned long long>(fleet_size),
      window, a.workers, a.worker_batch, a.in_memory ? "in memory" : "in RocksDB",
      a.card_crypto == "batch" ? "batch (secure::make_best_backend)" : "one at a time (OpenSSL)",
      static_cast<unsigned long long>(fs.batch_opened));
  std::printf("  securing before the clock     %10.2f s\n", prepare_s);
  std::printf("  submit -> last PoR            %10.2f s\n", r.seconds);
  std::printf("  OTA messages/s                %10.0f\n", rate);
  std::printf("  PoR statuses                  %s\n", hist.dump().c_str());
  std::printf("  cards changed                 %10llu\n",
              static_cast<unsigned long long>(fs.cards_changed));
  std::printf("  RSS growth per changed card   %10.0f octets (%.1f MiB over the run)\n",
              per_changed, growth / (1 << 20));
  std::printf("  fleet's own bytes per card    %10.0f octets (%llu cards cached)\n", fleet_per_card,
              static_cast<unsigned long long>(fs.cards_in_memory));
  std::printf("  peak RSS                      %10.1f MiB\n",
              static_cast<double>(after.peak) / (1 << 20));
}

}  // namespace

void add_bench_sim(CLI::App& bench) {
  auto a = std::make_shared<sim_args>();
  auto* c = bench.add_subcommand(
      "sim", "SMSC simulator + virtual fleet end to end on loopback: OTA messages/s, memory/card");
  c->add_option("--cards", a->messages, "OTA messages to send, one per card (default 100000)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100000000}));
  c->add_option("--fleet", a->fleet, "cards in the fleet (default: as many as messages)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100000000}));
  c->add_option("--window", a->window, "messages between submit and PoR at most (default 4096)")
      ->check(CLI::Range(1u, 1000000u));
  c->add_option("--workers", a->workers, "simulator worker threads (default 2)")
      ->check(CLI::Range(1u, 64u));
  c->add_option("--worker-batch", a->worker_batch,
                "messages a worker hands the fleet at once (default 256)")
      ->check(CLI::Range(1u, 4096u));
  c->add_option("--card-crypto", a->card_crypto,
                "batch: the fleet opens a worker's packets in one SIMD crypto batch (default); "
                "openssl: each card opens its own")
      ->check(CLI::IsMember({"batch", "openssl"}));
  c->add_flag("--in-memory", a->in_memory, "no RocksDB for the card state");
  c->add_flag("--json", a->json_out, "print one JSON object");
  c->callback([a] { run_sim(*a); });
}

}  // namespace otaflow::app
