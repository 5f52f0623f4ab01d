#include "demo/bench_sim.hpp"

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
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "codec/smpp34_constants.hpp"
#include "codec/smpp34_pdu.hpp"
#include "codec/ts102225_spi.hpp"
#include "codec/ts23040_tpdu.hpp"
#include "codec/ts31115_sms.hpp"
#include "secure/scp80.hpp"
#include "secure/simd_backend.hpp"
#include "sim/fleet.hpp"
#include "sim/smsc_client.hpp"
#include "sim/smsc_server.hpp"

namespace otaflow::demo {
namespace {

using steady = std::chrono::steady_clock;
namespace smpp = codec::smpp;

// A failure of the benchmark run (not of a card).
error bad(const std::string& message) {
  return make_error(errc::io, message);
}

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

/// N submit_sm PDUs (sequence 0, patched when sent) in one buffer, secured before timing.
struct prepared_submits {
  bytes all;
  std::vector<std::uint32_t> offset;  ///< PDU i starts at offset[i], ends at offset[i + 1]
};

result<prepared_submits> prepare(const sim::fleet& f, std::uint64_t n) {
  prepared_submits out;
  out.offset.reserve(n + 1);
  const bytes script = hex(k_script);
  auto backend = secure::make_best_backend();
  auto spi = codec::decode_spi(0x1621);
  if (!spi) return spi.error();
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
      if (!id) return id.error();
      ids.push_back(std::move(*id));
    }
    for (std::uint64_t k = 0; k < m; ++k) {
      const std::uint64_t i = base + k;
      const sim::ota_keyset* ks = ids[k].keyset(1);
      if (!ks) return bad("card " + ids[k].iccid + " has no keyset 1");
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
      if (!packets[k]) return bad("securing: " + packets[k].error().message);
      auto uds = codec::command_to_tp_ud(*packets[k], {});
      if (!uds || uds->size() != 1) return bad("a command packet does not fit one SMS");
      smpp::submit_sm s;
      s.source_addr_ton = smpp::ton::international;
      s.source_addr_npi = smpp::npi::isdn;
      s.source_addr = k_ota_server;
      s.dest_addr_ton = smpp::ton::international;
      s.dest_addr_npi = smpp::npi::isdn;
      s.destination_addr = ids[k].msisdn;
      s.esm_class = smpp::esm_class::udhi;
      s.protocol_id = codec::tpdu::pid_usim_data_download;
      s.data_coding = codec::tpdu::dcs_8bit_class2_f;
      s.short_message = std::move(uds->front());
      smpp::pdu p;
      p.sequence_number = 1;
      p.body = std::move(s);
      auto enc = smpp::encode(p);
      if (!enc) return bad("submit_sm: " + enc.error().message);
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
result<esme_result> drive(int fd, const prepared_submits& subs, std::uint32_t window) {
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
    if (pr < 0 && errno != EINTR) return bad("poll failed");
    if (pr <= 0) {
      if (steady::now() - last_progress > std::chrono::seconds(60))
        return bad("no progress for 60 s: " + std::to_string(r.pors) + " PoRs of " +
                   std::to_string(n));
      continue;
    }
    if (p.revents & (POLLERR | POLLHUP)) return bad("the simulator closed the connection");
    if (p.revents & POLLOUT) {
      while (out_pos < out.size()) {
        const ssize_t w = ::send(fd, out.data() + out_pos, out.size() - out_pos, MSG_NOSIGNAL);
        if (w > 0) {
          out_pos += static_cast<std::size_t>(w);
          continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (w < 0 && errno == EINTR) continue;
        return bad("send failed");
      }
      if (out_pos == out.size()) {
        out.clear();
        out_pos = 0;
      }
    }
    if (!(p.revents & POLLIN)) continue;
    for (;;) {
      const ssize_t got = ::read(fd, buf.data(), buf.size());
      if (got == 0) return bad("the simulator closed the connection");
      if (got < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        return bad("read failed");
      }
      in.insert(in.end(), buf.begin(), buf.begin() + got);
      if (static_cast<std::size_t>(got) < buf.size()) break;
    }
    std::size_t pos = 0;
    while (in.size() - pos >= 16) {
      const std::uint8_t* h = in.data() + pos;
      const std::uint32_t len = rd32(h);
      if (len < 16) return bad("a PDU with command_length " + std::to_string(len));
      if (in.size() - pos < len) break;
      const std::uint32_t id = rd32(h + 4);
      if (id == 0x80000004) {  // submit_sm_resp
        if (rd32(h + 8) != 0) ++r.submit_errors;
      } else if (id == 0x00000005) {  // deliver_sm: answer, then read the PoR's status
        std::uint8_t resp[17] = {0, 0, 0, 17, 0x80, 0, 0, 5, 0, 0, 0, 0};
        std::copy_n(h + 12, 4, resp + 12);
        out.insert(out.end(), resp, resp + 17);
        auto d = smpp::decode(byte_view(h, len));
        if (!d) return bad("deliver_sm: " + d.error().message);
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

// The temporary directory of the fleet's card state, removed with this object.
struct scratch_dir {
  std::filesystem::path dir;
  scratch_dir() = default;
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  ~scratch_dir() {
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};

// The simulator a benchmark drives, and the ESME's bound socket.
struct smsc_under_test {
  std::unique_ptr<sim::smsc_server> server;
  std::optional<sim::smsc_client> client;
};

result<smsc_under_test> start_smsc(const bench_sim_options& a, sim::fleet& fleet) {
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
  cfg.accounts = {{"test", "test"}};
  smsc_under_test out;
  out.server = std::make_unique<sim::smsc_server>(cfg, fleet);
  if (auto st = out.server->start(); !st) return st.error();
  auto client = sim::smsc_client::connect("127.0.0.1", out.server->port());
  if (!client) return client.error();
  auto bound =
      client->bind(smpp::command_id::bind_transceiver, "test", "test", std::chrono::seconds(5));
  if (!bound || *bound != 0) return bad("bind_transceiver refused");
  const int fd = client->fd();
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  out.client.emplace(std::move(*client));
  return out;
}

}  // namespace

result<bench_sim_report> run_bench_sim(const bench_sim_options& a) {
  // The simulator writes to sockets the benchmark may have closed.
  std::signal(SIGPIPE, SIG_IGN);
  bench_sim_report rep;
  rep.options = a;
  rep.fleet_cards = a.fleet ? a.fleet : a.messages;
  // A card's next message leaves only after the PoR of its previous one (counters in order).
  rep.window = static_cast<std::uint32_t>(std::min<std::uint64_t>(a.window, rep.fleet_cards));
  scratch_dir state;
  if (!a.in_memory) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "otaflow-bench-sim-XXXXXX");
    if (!::mkdtemp(tmpl.data())) return bad("cannot create a temporary state directory");
    state.dir = tmpl;
  }

  sim::fleet_options fo;
  fo.state_dir = state.dir;
  fo.batch_verify = a.batch_crypto;
  auto f = sim::fleet::generated("bench-sim", rep.fleet_cards, fo);
  if (!f) return f.error();
  sim::fleet& fleet = **f;

  const auto t_prepare = steady::now();
  auto subs = prepare(fleet, a.messages);
  if (!subs) return subs.error();
  rep.prepare_seconds = std::chrono::duration<double>(steady::now() - t_prepare).count();

  auto smsc = start_smsc(a, fleet);
  if (!smsc) return smsc.error();
  const rss_now before = read_rss();
  auto r = drive(smsc->client->fd(), *subs, rep.window);
  if (!r) return r.error();
  const rss_now after = read_rss();
  const sim::fleet_stats fs = fleet.stats();
  smsc->client->close();
  smsc->server->stop();
  rep.smsc_delivered = smsc->server->summary().delivered;

  rep.seconds = r->seconds;
  rep.ota_msgs_per_s = static_cast<double>(r->pors) / r->seconds;
  rep.pors = r->pors;
  rep.submit_errors = r->submit_errors;
  rep.por_status = r->por_status;
  rep.batch_opened = fs.batch_opened;
  rep.cards_changed = fs.cards_changed;
  rep.cards_in_memory = fs.cards_in_memory;
  rep.rss_before = before.rss;
  rep.rss_after = after.rss;
  rep.peak_rss = after.peak;
  const double growth = static_cast<double>(after.rss) - static_cast<double>(before.rss);
  rep.rss_growth_per_changed_card =
      fs.cards_changed ? growth / static_cast<double>(fs.cards_changed) : 0;
  rep.fleet_bytes_per_cached_card = fs.cards_in_memory ? static_cast<double>(fs.bytes_in_memory) /
                                                             static_cast<double>(fs.cards_in_memory)
                                                       : 0;
  return rep;
}

nlohmann::ordered_json por_histogram(const bench_sim_report& r) {
  auto hist = nlohmann::ordered_json::object();
  for (std::size_t s = 0; s < r.por_status.size(); ++s) {
    if (!r.por_status[s]) continue;
    hist[to_hex(s, 2)] = r.por_status[s];
  }
  return hist;
}

nlohmann::ordered_json to_json(const bench_sim_report& r) {
  nlohmann::ordered_json j;
  j["messages"] = r.options.messages;
  j["fleet_cards"] = r.fleet_cards;
  j["window"] = r.window;
  j["workers"] = r.options.workers;
  j["worker_batch"] = r.options.worker_batch;
  j["card_crypto"] = r.options.batch_crypto ? "batch" : "openssl";
  j["batch_opened"] = r.batch_opened;
  j["persisted"] = !r.options.in_memory;
  j["prepare_seconds"] = r.prepare_seconds;
  j["seconds"] = r.seconds;
  j["ota_msgs_per_s"] = r.ota_msgs_per_s;
  j["pors"] = r.pors;
  j["submit_errors"] = r.submit_errors;
  j["por_status"] = por_histogram(r);
  j["cards_changed"] = r.cards_changed;
  j["cards_in_memory"] = r.cards_in_memory;
  j["rss_before_bytes"] = r.rss_before;
  j["rss_after_bytes"] = r.rss_after;
  j["peak_rss_bytes"] = r.peak_rss;
  j["rss_growth_per_changed_card_bytes"] = r.rss_growth_per_changed_card;
  j["fleet_bytes_per_cached_card"] = r.fleet_bytes_per_cached_card;
  j["smsc_delivered"] = r.smsc_delivered;
  return j;
}

}  // namespace otaflow::demo
