#include "sim/smsc_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <functional>
#include <queue>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/log.hpp"
#include "base/token_bucket.hpp"
#include "codec/ts23040_tpdu.hpp"
#include "sim/smsc_fault.hpp"
#include "sim/smsc_link.hpp"
#include "sim/smsc_message.hpp"
#include "sim/smsc_net.hpp"
#include "sim/smsc_protocol.hpp"
#include "sim/smsc_time.hpp"
#include "sim/smsc_worker_pool.hpp"

namespace otaflow::sim {
namespace {

namespace st = proto::st;
namespace cmd = proto::cmd;
using steady = std::chrono::steady_clock;
using wall = std::chrono::system_clock;
using std::chrono::milliseconds;

// epoll keys: the listener and the wake-up eventfd; links count up from k_first_link.
constexpr std::uint64_t k_listener = 1;
constexpr std::uint64_t k_wakeup = 2;
constexpr std::uint64_t k_first_link = 16;

constexpr std::size_t k_read_chunk = 64 * 1024;
constexpr std::size_t k_read_budget = 256 * 1024;  // per link per loop turn: fairness
constexpr std::uint8_t k_max_resends = 5;
constexpr milliseconds k_housekeeping{100};

using smsc_io::link;
using smsc_io::link_state;
using smsc_io::outbound;
using smsc_io::route;
using smsc_io::sent_pdu;
using smsc_io::state_name;

enum class timer_kind : std::uint8_t { dispatch, expire };

struct timer {
  steady::time_point at;
  std::uint64_t seq;
  smsc_message* m;
  timer_kind kind;
  bool operator>(const timer& o) const { return at != o.at ? at > o.at : seq > o.seq; }
};

bool retriable_esme_status(std::uint32_t s) {
  return s == st::rx_t_appn || s == st::rthrottled || s == st::rmsgqful;
}

}  // namespace

struct smsc_server::impl {
  impl(smsc_config c, card_gateway& g)
      : cfg(std::move(c)), gw(g), faults(cfg.faults), log(log::get("smsc")) {}

  smsc_config cfg;
  card_gateway& gw;
  smsc_fault_injector faults;
  smsc_stats stats;
  std::shared_ptr<spdlog::logger> log;

  smsc_fd listener;
  smsc_fd epfd;
  smsc_fd wake;
  std::uint16_t bound_port = 0;
  std::thread io;
  std::atomic<bool> stopping{false};
  bool started = false;
  std::unique_ptr<smsc_worker_pool<smsc_message>> pool;
  std::atomic<std::uint64_t> in_flight{0};
  std::shared_ptr<tls_context> tls;  // with cfg.tls_cert_file: every link speaks TLS

  // ---- I/O thread state ----
  std::unordered_map<std::uint64_t, std::unique_ptr<link>> links;
  std::uint64_t next_link_id = k_first_link;
  std::unordered_map<std::string, route> routes;
  std::vector<link*> dirty_links;
  std::vector<route*> dirty_routes;
  std::vector<std::uint64_t> reap;
  std::priority_queue<timer, std::vector<timer>, std::greater<>> timers;
  std::uint64_t timer_seq = 0;
  std::vector<std::unique_ptr<smsc_message>> arena;
  std::vector<smsc_message*> free_msgs;
  std::vector<smsc_message*> done;
  std::vector<smsc_message*> to_post;
  std::vector<std::uint8_t> scratch = std::vector<std::uint8_t>(k_read_chunk);
  std::uint64_t next_message_id = 1;
  std::uint64_t submit_index = 0;
  std::uint64_t request_index = 0;
  steady::time_point next_housekeeping;

  // ---- worker side ----
  /// One delivery attempt for each message of a worker's batch: the SMS-DELIVERs go to the
  /// gateway together (deliver_batch), each outcome is applied to its message.
  void attempt_batch(std::span<smsc_message* const> ms) {
    thread_local std::vector<bytes> tpdus;
    thread_local std::vector<mt_delivery> batch;
    thread_local std::vector<smsc_message*> in_batch;
    tpdus.clear();
    batch.clear();
    in_batch.clear();
    const auto now = wall::now();
    for (smsc_message* m : ms) {
      m->to_esme.clear();
      m->pors = 0;
      auto tpdu = build_sms_deliver(*m, now, cfg.scts_timezone_quarters);
      if (!tpdu) {
        mt_outcome outcome;
        outcome.result = mt_outcome::kind::error;
        outcome.fcs = codec::tpdu::fcs_unspecified;
        apply_outcome(*m, outcome, wall::now());
        continue;
      }
      tpdus.push_back(std::move(*tpdu));
      in_batch.push_back(m);
    }
    for (std::size_t i = 0; i < in_batch.size(); ++i)
      batch.push_back({in_batch[i]->dest.addr, tpdus[i], {}});
    try {
      gw.deliver_batch(batch);
    } catch (const std::exception& e) {
      log->error("card gateway threw for a batch of {} messages: {}", batch.size(), e.what());
      for (auto& d : batch) {
        d.outcome = {};
        d.outcome.result = mt_outcome::kind::error;
        d.outcome.fcs = codec::tpdu::fcs_unspecified;
      }
    }
    const auto done_at = wall::now();
    for (std::size_t i = 0; i < in_batch.size(); ++i)
      apply_outcome(*in_batch[i], batch[i].outcome, done_at);
  }

  // ---- messages ----
  smsc_message* alloc_message() {
    if (free_msgs.empty()) {
      arena.push_back(std::make_unique<smsc_message>());
      return arena.back().get();
    }
    smsc_message* m = free_msgs.back();
    free_msgs.pop_back();
    return m;
  }

  void release(smsc_message* m) {
    m->reset();
    free_msgs.push_back(m);
    in_flight.fetch_sub(1, std::memory_order_relaxed);
  }

  void add_timer(steady::time_point at, smsc_message* m, timer_kind k) {
    timers.push(timer{at, timer_seq++, m, k});
  }

  link* find_link(std::uint64_t id) {
    auto it = links.find(id);
    return it == links.end() || it->second->dead ? nullptr : it->second.get();
  }

  void dispatch(smsc_message* m) {
    const auto now = steady::now();
    if (now >= m->expiry) return expire(m);
    const std::uint32_t attempt = m->attempts++;
    stats.bump(stats.attempts);
    if (faults.card_absent(m->dest.addr, attempt)) {
      stats.bump(stats.absent);
      m->last_error = smsc_net_error::absent_subscriber;
      return schedule_retry(m);
    }
    if (faults.sim_busy(m->id, attempt)) {
      stats.bump(stats.busy);
      m->last_error = smsc_net_error::fcs(codec::tpdu::fcs_usat_busy);
      return schedule_retry(m);
    }
    if (link* l = find_link(m->bind_id)) {
      ++l->queued;
      m->queued = true;
    }
    to_post.push_back(m);  // handed to the workers in one batch per loop turn
  }

  void schedule_retry(smsc_message* m) {
    m->to_esme.clear();
    m->pors = 0;
    const std::size_t idx = m->attempts - 1;
    if (idx >= cfg.retry_schedule_ms.size()) return expire(m);
    const auto at = steady::now() + milliseconds(cfg.retry_schedule_ms[idx]) +
                    faults.delivery_delay(m->id, m->attempts);
    if (at >= m->expiry) {
      add_timer(m->expiry, m, timer_kind::expire);
    } else {
      add_timer(at, m, timer_kind::dispatch);
    }
  }

  void expire(smsc_message* m) {
    stats.bump(stats.expired);
    log->debug("message {} to {} expired after {} attempts", m->id, m->dest.addr, m->attempts);
    if (wants_receipt(m->registered_delivery, false)) {
      auto r = make_receipt(*m, proto::state::expired, m->last_error, wall::now());
      if (r) enqueue(m->system_id, outbound{std::move(*r), m->id, true, 0, m->bind_id});
    }
    release(m);
  }

  void collect_results() {
    done.clear();
    pool->collect(done);
    for (smsc_message* m : done) {
      if (m->queued) {
        if (link* l = find_link(m->bind_id)) --l->queued;
        m->queued = false;
      }
      // por_drop_fraction: the card ran the packet, its PoRs are lost on the way back.
      const bool lose_pors = m->pors > 0 && faults.por_dropped(m->id, m->attempts);
      if (lose_pors) stats.bump(stats.pors_dropped, m->pors);
      for (std::size_t i = 0; i < m->to_esme.size(); ++i) {
        if (lose_pors && i < m->pors) continue;
        enqueue(m->system_id,
                outbound{std::move(m->to_esme[i]), m->id, i >= m->pors, 0, m->bind_id});
      }
      m->to_esme.clear();
      switch (m->result) {
        case smsc_message::verdict::delivered:
          stats.bump(stats.delivered);
          release(m);
          break;
        case smsc_message::verdict::failed:
          stats.bump(stats.failed);
          log->debug("message {} to {} failed, network error 0x{:06x}", m->id, m->dest.addr,
                     m->last_error);
          release(m);
          break;
        case smsc_message::verdict::retry:
        case smsc_message::verdict::none:
          stats.bump(m->last_error == smsc_net_error::absent_subscriber ? stats.absent
                                                                        : stats.busy);
          schedule_retry(m);
          break;
      }
    }
  }

  void run_timers() {
    const auto now = steady::now();
    while (!timers.empty() && timers.top().at <= now) {
      const timer t = timers.top();
      timers.pop();
      if (t.kind == timer_kind::dispatch) {
        dispatch(t.m);
      } else {
        expire(t.m);
      }
    }
  }

  // ---- ESME-bound deliver_sm ----
  void mark(route& r) {
    if (!r.dirty) {
      r.dirty = true;
      dirty_routes.push_back(&r);
    }
  }

  /// With mo_delivery = origin, the submitting link when it can still take the deliver_sm.
  link* origin_link(const outbound& ob) {
    if (cfg.mo_delivery != smsc_mo_delivery::origin) return nullptr;
    link* l = find_link(ob.origin);
    return l && l->receives() && !l->closing ? l : nullptr;
  }

  void enqueue(const std::string& system_id, outbound ob) {
    route& r = routes[system_id];
    link* own = origin_link(ob);
    auto& q = own ? own->pending : r.pending;
    if (q.size() >= cfg.esme_queue_limit) {
      if (r.overflow++ % 1000 == 0) {
        log->warn("system_id={}: {} deliver_sm queued {}, dropping (x{})", system_id, q.size(),
                  own ? "for one bind" : "with no receiver bind", r.overflow);
      }
      return;
    }
    q.push_back(std::move(ob));
    mark(r);
  }

  /// Queues a deliver_sm to send again (nacked or unanswered), where enqueue would put it.
  void requeue(route& r, outbound ob) {
    ++ob.resends;
    stats.bump(stats.resends);
    link* own = origin_link(ob);
    (own ? own->pending : r.pending).push_back(std::move(ob));
    mark(r);
  }

  [[nodiscard]] bool can_take(const link* l) const {
    return !l->dead && !l->closing && l->reading && l->sent.size() < cfg.deliver_window;
  }

  /// The receiver whose turn it is, passing over those without window room.
  link* pick_receiver(route& r) {
    const std::size_t n = r.receivers.size();
    for (std::size_t i = 0; i < n; ++i) {
      link* l = r.receivers[(r.rr + i) % n];
      if (!can_take(l)) continue;
      r.rr = (r.rr + i + 1) % n;
      return l;
    }
    return nullptr;
  }

  void pump(route& r) {
    for (link* l : r.receivers) {  // mo_delivery = origin: each bind's own deliver_sm
      while (!l->pending.empty() && can_take(l)) {
        send_deliver(l, std::move(l->pending.front()));
        l->pending.pop_front();
      }
    }
    while (!r.pending.empty()) {
      link* l = pick_receiver(r);
      if (!l) return;
      send_deliver(l, std::move(r.pending.front()));
      r.pending.pop_front();
    }
  }

  std::uint32_t next_seq(link* l) {
    const std::uint32_t s = l->next_seq;
    l->next_seq = s >= 0x7FFFFFFF ? 1 : s + 1;  // SMPP 3.4 §5.1.4: 1 .. 0x7FFFFFFF
    return s;
  }

  void send_deliver(link* l, outbound ob) {
    const std::uint32_t seq = next_seq(l);
    proto::patch_sequence(ob.pdu, seq);
    l->out.insert(l->out.end(), ob.pdu.begin(), ob.pdu.end());
    mark(l);
    if (ob.resends == 0) {
      stats.bump(ob.receipt ? stats.receipts : stats.pors);
      if (l->counters) stats.bump(ob.receipt ? l->counters->receipts : l->counters->pors);
    } else if (l->counters) {
      stats.bump(l->counters->resent);
    }
    l->sent.insert_or_assign(seq, sent_pdu{std::move(ob), steady::now()});
  }

  /// A closed link's deliver_sm go to the front of its account's queue: those it was sent
  /// and not answered (resends, oldest first), then those that waited for it (origin mode).
  void requeue_front(link* l) {
    if (l->sent.empty() && l->pending.empty()) return;
    std::vector<std::pair<std::uint32_t, outbound>> v;
    v.reserve(l->sent.size());
    for (auto& [seq, s] : l->sent) v.emplace_back(seq, std::move(s.ob));
    l->sent.clear();
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    route& r = routes[l->system_id];
    while (!l->pending.empty()) {
      r.pending.push_front(std::move(l->pending.back()));
      l->pending.pop_back();
    }
    for (auto it = v.rbegin(); it != v.rend(); ++it) {
      ++it->second.resends;
      stats.bump(stats.resends);
      r.pending.push_front(std::move(it->second));
    }
    mark(r);
  }

  // ---- links ----
  void mark(link* l) {
    if (!l->dirty) {
      l->dirty = true;
      dirty_links.push_back(l);
    }
  }

  void update_events(link* l) {
    epoll_event ev{};
    ev.events = (l->reading ? EPOLLIN : 0u) | (l->want_out ? EPOLLOUT : 0u);
    ev.data.u64 = l->id;
    ::epoll_ctl(epfd.get(), EPOLL_CTL_MOD, l->fd.get(), &ev);
  }

  void close_link(link* l, const std::string& reason) {
    if (l->dead) return;
    l->dead = true;
    if (l->tls) l->tls->shutdown();
    ::epoll_ctl(epfd.get(), EPOLL_CTL_DEL, l->fd.get(), nullptr);
    l->fd.reset();
    if (l->state != link_state::open) {
      log->info("link {} {} system_id={} closed: {}", l->id, l->peer, l->system_id, reason);
    } else if (l->tls && !l->tls->established()) {
      log->warn("link {} {}: TLS handshake failed: {}", l->id, l->peer, reason);
    } else {
      log->debug("link {} {} closed before bind: {}", l->id, l->peer, reason);
    }
    if (l->counters) stats.close_bind(*l->counters);
    if (l->receives()) {
      route& r = routes[l->system_id];
      // Leave the rotation without skipping anyone's turn: the binds after it move down one.
      const auto it = std::find(r.receivers.begin(), r.receivers.end(), l);
      if (it != r.receivers.end()) {
        const auto idx = static_cast<std::size_t>(it - r.receivers.begin());
        r.receivers.erase(it);
        if (idx < r.rr) --r.rr;
        if (r.rr >= r.receivers.size()) r.rr = 0;
      }
      requeue_front(l);
    }
    reap.push_back(l->id);
  }

  void flush(link* l) {
    while (l->out_pos < l->out.size()) {
      std::string why;
      const auto n = link_write(*l, l->out.data() + l->out_pos, l->unsent(), why);
      if (n < 0) return close_link(l, why);
      if (n == 0) break;
      l->out_pos += static_cast<std::size_t>(n);
    }
    bool changed = false;
    if (l->out_pos == l->out.size()) {
      l->out.clear();
      l->out_pos = 0;
      if (l->closing) return close_link(l, "closed after the final response");
      if (l->want_out) {
        l->want_out = false;
        changed = true;
      }
    } else {
      if (l->out_pos > (1u << 20)) {
        l->out.erase(l->out.begin(), l->out.begin() + static_cast<std::ptrdiff_t>(l->out_pos));
        l->out_pos = 0;
      }
      if (!l->want_out) {
        l->want_out = true;
        changed = true;
      }
    }
    // Backpressure: stop reading a peer that does not read its responses.
    const std::size_t unsent = l->unsent();
    if (l->reading && !l->closing && unsent > cfg.output_buffer_limit) {
      l->reading = false;
      changed = true;
    } else if (!l->reading && !l->closing && unsent < cfg.output_buffer_limit / 2) {
      l->reading = true;
      changed = true;
      mark(routes[l->system_id]);
    }
    if (changed) update_events(l);
  }

  void flush_links() {
    // Index loop: flush() never adds links, but close_link() may append to other lists.
    for (std::size_t i = 0; i < dirty_links.size(); ++i) {
      link* l = dirty_links[i];
      l->dirty = false;
      if (!l->dead) flush(l);
    }
    dirty_links.clear();
  }

  void accept_all() {
    for (;;) {
      sockaddr_in a{};
      socklen_t len = sizeof a;
      const int fd = ::accept4(listener.get(), reinterpret_cast<sockaddr*>(&a), &len,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          log->warn("accept failed: {}", std::strerror(errno));
        }
        return;
      }
      smsc_fd sock(fd);
      stats.bump(stats.connections);
      const std::string peer = peer_name(a);
      if (links.size() >= cfg.max_binds) {
        log->warn("refusing connection from {}: {} links open (max_binds)", peer, links.size());
        continue;
      }
      (void)prepare_accepted(fd);
      auto l = std::make_unique<link>();
      l->id = next_link_id++;
      l->fd = std::move(sock);
      l->peer = peer;
      l->opened = l->last_rx = steady::now();
      if (tls) {
        auto t = tls_session::server(tls, fd);
        if (!t) {
          log->warn("refusing connection from {}: {}", peer, t.error().message);
          continue;
        }
        l->tls = std::move(*t);
      }
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = l->id;
      if (::epoll_ctl(epfd.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
        log->warn("epoll_ctl for {} failed: {}", peer, std::strerror(errno));
        continue;
      }
      log->debug("link {} connected from {}", l->id, peer);
      links.emplace(l->id, std::move(l));
    }
  }

  void on_readable(link* l) {
    std::size_t budget = k_read_budget;
    while (budget > 0 && l->reading && !l->dead && !l->closing) {
      std::string why;
      const auto n = link_read(*l, scratch.data(), scratch.size(), why);
      if (n < 0) return close_link(l, why);
      if (n == 0) break;
      l->in.insert(l->in.end(), scratch.begin(), scratch.begin() + n);
      budget -= std::min(budget, static_cast<std::size_t>(n));
      l->last_rx = steady::now();
      process_input(l);
      // A TLS read returns one record (at most 16 KiB): read on until it wants more.
      if (!l->tls && static_cast<std::size_t>(n) < k_read_chunk) break;
    }
    if (l->tls_wants_write && !l->dead && !l->want_out) {
      l->want_out = true;
      update_events(l);
    }
  }

  void process_input(link* l) {
    while (!l->dead && !l->closing) {
      const byte_view v(l->in.data() + l->in_pos, l->in.size() - l->in_pos);
      const auto f = proto::next_frame(v, cfg.max_pdu_length);
      if (f.k == proto::frame::kind::need_more) break;
      if (f.k == proto::frame::kind::bad_length) {
        proto::header h;
        const std::uint32_t seq = proto::read_header(v, h) ? h.sequence : 0;
        log->warn(
            "link {} {}: command_length {} out of [16, {}], answering generic_nack and "
            "closing",
            l->id, l->peer, f.length, cfg.max_pdu_length);
        proto::write_header_only(l->out, cmd::generic_nack, st::rinvcmdlen, seq);
        stats.bump(stats.generic_nacks);
        l->closing = true;
        l->in.clear();
        l->in_pos = 0;
        mark(l);
        return;
      }
      l->in_pos += f.length;
      handle_pdu(l, v.first(f.length));
    }
    if (l->in_pos == l->in.size()) {
      l->in.clear();
      l->in_pos = 0;
    } else if (l->in_pos > k_read_chunk) {
      l->in.erase(l->in.begin(), l->in.begin() + static_cast<std::ptrdiff_t>(l->in_pos));
      l->in_pos = 0;
    }
  }

  void generic_nack(link* l, std::uint32_t status, std::uint32_t seq, const std::string& why) {
    log->warn("link {} {}: {}; generic_nack 0x{:08x}", l->id, l->peer, why, status);
    proto::write_header_only(l->out, cmd::generic_nack, status, seq);
    stats.bump(stats.generic_nacks);
    mark(l);
  }

  void handle_pdu(link* l, byte_view pdu) {
    proto::header h;
    (void)proto::read_header(pdu, h);
    const bool is_response = (h.id & cmd::response_bit) != 0;
    // Fault injection drops a bound link after a request (the bind itself is spared).
    const bool may_drop = !is_response && l->state != link_state::open;
    std::uint32_t status = st::rok;
    auto d = proto::decode(pdu, status);
    if (!d) {
      if (is_response) {
        log->warn("link {} {}: malformed response 0x{:08x} ignored: {}", l->id, l->peer, h.id,
                  d.error().message);
        if (h.id == cmd::deliver_sm_resp) on_deliver_resp(l, h.sequence, st::rsyserr);
        return;
      }
      if (status == st::rinvcmdid || !has_response(h.id)) {
        return generic_nack(l, st::rinvcmdid, h.sequence,
                            "unknown command_id 0x" + fmt::format("{:08x}", h.id));
      }
      if (status == st::rok) status = st::rsyserr;
      log->warn("link {} {}: bad 0x{:08x} body, status 0x{:08x}: {}", l->id, l->peer, h.id, status,
                d.error().message);
      proto::write_header_only(l->out, h.id | cmd::response_bit, status, h.sequence);
      mark(l);
      if (is_bind(h.id)) {
        stats.bump(stats.bind_failures);
        l->closing = true;
      } else if (h.id == cmd::submit_sm || h.id == cmd::data_sm) {
        stats.bump(stats.submits);
        stats.bump(stats.rejected);
      }
      return;
    }
    switch (h.id) {
      case cmd::bind_receiver:
      case cmd::bind_transmitter:
      case cmd::bind_transceiver:
        on_bind(l, h, std::get<proto::bind_request>(d->body));
        break;
      case cmd::enquire_link:
        proto::write_header_only(l->out, cmd::enquire_link_resp, st::rok, h.sequence);
        mark(l);
        break;
      case cmd::unbind:
        stats.bump(stats.unbinds);
        log->info("link {} {} system_id={} unbind", l->id, l->peer, l->system_id);
        proto::write_header_only(l->out, cmd::unbind_resp,
                                 l->state == link_state::open ? st::rinvbndsts : st::rok,
                                 h.sequence);
        l->closing = true;
        mark(l);
        break;
      case cmd::submit_sm:
      case cmd::data_sm:
        on_submit(l, h, std::get<proto::submit_request>(d->body));
        break;
      case cmd::deliver_sm_resp:
        on_deliver_resp(l, h.sequence, h.status);
        break;
      case cmd::generic_nack:
        // The ESME refused one of our PDUs; if it was a deliver_sm treat it as a nack.
        on_deliver_resp(l, h.sequence, h.status == st::rok ? st::rsyserr : h.status);
        break;
      case cmd::enquire_link_resp:
      case cmd::unbind_resp:
        break;
      default:
        if (is_response) {
          log->debug("link {} {}: unexpected response 0x{:08x} ignored", l->id, l->peer, h.id);
        } else {
          generic_nack(l, st::rinvcmdid, h.sequence,
                       "unsupported command_id 0x" + fmt::format("{:08x}", h.id));
        }
        break;
    }
    if (may_drop && !l->dead && faults.disconnect(request_index++)) {
      stats.bump(stats.injected_disconnects);
      close_link(l, "fault injection: random disconnect");
    }
  }

  static bool is_bind(std::uint32_t id) {
    return id == cmd::bind_receiver || id == cmd::bind_transmitter || id == cmd::bind_transceiver;
  }

  /// Requests the simulator answers with their own *_resp when the body is bad.
  static bool has_response(std::uint32_t id) {
    return is_bind(id) || id == cmd::submit_sm || id == cmd::data_sm || id == cmd::enquire_link ||
           id == cmd::unbind;
  }

  void on_bind(link* l, const proto::header& h, const proto::bind_request& req) {
    const char* kind = h.id == cmd::bind_receiver      ? "bind_receiver"
                       : h.id == cmd::bind_transmitter ? "bind_transmitter"
                                                       : "bind_transceiver";
    if (l->state != link_state::open) {
      stats.bump(stats.bind_failures);
      log->warn("link {} {}: {} while already bound as {}", l->id, l->peer, kind,
                state_name(l->state));
      proto::write_bind_resp(l->out, h.id, st::ralybnd, h.sequence, cfg.smsc_system_id);
      mark(l);
      return;
    }
    std::uint32_t status = st::rinvsysid;
    for (const auto& a : cfg.accounts) {
      if (a.system_id == req.system_id) {
        status = a.password == req.password ? st::rok : st::rinvpaswd;
        break;
      }
    }
    proto::write_bind_resp(l->out, h.id, status, h.sequence, cfg.smsc_system_id);
    mark(l);
    if (status != st::rok) {
      stats.bump(stats.bind_failures);
      log->info("link {} {}: {} system_id={} refused: {}", l->id, l->peer, kind, req.system_id,
                status == st::rinvsysid ? "unknown system_id (ESME_RINVSYSID)"
                                        : "wrong password (ESME_RINVPASWD)");
      l->closing = true;
      return;
    }
    stats.bump(stats.binds);
    l->system_id = req.system_id;
    l->state = h.id == cmd::bind_receiver      ? link_state::rx
               : h.id == cmd::bind_transmitter ? link_state::tx
                                               : link_state::trx;
    l->bucket = token_bucket(cfg.tps_per_bind, cfg.tps_burst);
    l->counters = stats.add_bind(l->id, l->system_id, l->peer, state_name(l->state));
    log->info("link {} {}: {} system_id={} ok", l->id, l->peer, kind, req.system_id);
    if (l->receives()) {
      route& r = routes[l->system_id];
      r.receivers.push_back(l);
      mark(r);
    }
  }

  void answer_submit(link* l, const proto::header& h, bool data_sm, std::uint32_t status,
                     const std::string& message_id) {
    proto::write_submit_resp(l->out, data_sm, status, h.sequence, message_id);
    mark(l);
  }

  void on_submit(link* l, const proto::header& h, const proto::submit_request& req) {
    stats.bump(stats.submits);
    stats.note_submit(std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count());
    const bool data_sm = req.data_sm;
    if (!l->transmits()) {
      stats.bump(stats.rejected);
      return answer_submit(l, h, data_sm, st::rinvbndsts, {});
    }
    const auto now = steady::now();
    const std::uint64_t index = submit_index++;
    if (!l->bucket.try_take(now) || faults.throttled(index)) {
      stats.bump(stats.throttled);
      return answer_submit(l, h, data_sm, st::rthrottled, {});
    }
    if (cfg.submit_queue_limit != 0 && l->queued >= cfg.submit_queue_limit) {
      stats.bump(stats.queue_full);
      return answer_submit(l, h, data_sm, st::rmsgqful, {});
    }
    smsc_message* m = alloc_message();
    std::uint32_t status = st::rok;
    if (auto ok = prepare_message(req, *m, status); !ok) {
      log->debug("link {} {}: submit refused, status 0x{:08x}: {}", l->id, l->peer, status,
                 ok.error().message);
      m->reset();
      free_msgs.push_back(m);
      stats.bump(stats.rejected);
      return answer_submit(l, h, data_sm, status, {});
    }
    const auto wall_now = wall::now();
    auto validity = resolve_smpp_time(req.validity_period, wall_now);
    auto schedule = resolve_smpp_time(req.schedule_delivery_time, wall_now);
    if (!validity || !schedule) {
      const bool bad_vp = !validity;
      log->debug("link {} {}: submit refused: {}", l->id, l->peer,
                 bad_vp ? validity.error().message : schedule.error().message);
      m->reset();
      free_msgs.push_back(m);
      stats.bump(stats.rejected);
      return answer_submit(l, h, data_sm, bad_vp ? st::rinvexpiry : st::rinvsched, {});
    }
    const auto until = validity->value_or(wall_now + std::chrono::seconds(cfg.default_validity_s));
    m->id = next_message_id++;
    m->bind_id = l->id;
    m->system_id = l->system_id;
    m->submit_time = wall_now;
    m->expiry = now + std::chrono::duration_cast<steady::duration>(until - wall_now);
    in_flight.fetch_add(1, std::memory_order_relaxed);
    stats.bump(stats.accepted);
    stats.note_submit(req.validity_period, req.priority_flag, req.registered_delivery,
                      std::to_string(req.source.ton) + "/" + std::to_string(req.source.npi) + "/" +
                          req.source.addr);
    answer_submit(l, h, data_sm, st::rok, message_id_text(m->id));

    if (faults.dropped(m->id)) {
      stats.bump(stats.dropped);
      if (faults.config().drop_expires && wants_receipt(m->registered_delivery, false)) {
        add_timer(m->expiry, m, timer_kind::expire);
      } else {
        release(m);
      }
      return;
    }
    auto delay = faults.delivery_delay(m->id, 0);
    if (schedule->has_value() && **schedule > wall_now) {
      delay += std::chrono::duration_cast<milliseconds>(**schedule - wall_now);
    }
    if (delay.count() > 0) {
      add_timer(now + delay, m, timer_kind::dispatch);
    } else {
      dispatch(m);
    }
  }

  void on_deliver_resp(link* l, std::uint32_t seq, std::uint32_t status) {
    auto it = l->sent.find(seq);
    if (it == l->sent.end()) {
      log->debug("link {} {}: response to unknown sequence {} ignored", l->id, l->peer, seq);
      return;
    }
    outbound ob = std::move(it->second.ob);
    l->sent.erase(it);
    route& r = routes[l->system_id];
    mark(r);
    if (status == st::rok) return;
    stats.bump(stats.esme_nacks);
    log->debug("link {} {}: deliver_sm for message {} refused with 0x{:08x}", l->id, l->peer,
               ob.message_id, status);
    if (retriable_esme_status(status) && ob.resends < k_max_resends) requeue(r, std::move(ob));
  }

  void housekeeping() {
    const auto now = steady::now();
    const milliseconds resp_timeout(cfg.response_timeout_ms);
    for (auto& [id, lp] : links) {
      link* l = lp.get();
      if (l->dead) continue;
      if (l->state == link_state::open && cfg.bind_timeout_ms != 0 &&
          now - l->opened > milliseconds(cfg.bind_timeout_ms)) {
        close_link(l, "no bind within bind_timeout_ms");
        continue;
      }
      if (cfg.idle_timeout_ms != 0 && now - l->last_rx > milliseconds(cfg.idle_timeout_ms)) {
        close_link(l, "idle for idle_timeout_ms");
        continue;
      }
      if (cfg.response_timeout_ms == 0 || l->sent.empty()) continue;
      route* r = nullptr;
      for (auto it = l->sent.begin(); it != l->sent.end();) {
        if (now - it->second.at > resp_timeout) {
          if (!r) r = &routes[l->system_id];
          outbound ob = std::move(it->second.ob);
          it = l->sent.erase(it);
          requeue(*r, std::move(ob));
        } else {
          ++it;
        }
      }
      if (r) log->warn("link {} {}: deliver_sm_resp timed out, resending", l->id, l->peer);
    }
  }

  int poll_timeout() const {
    auto next = next_housekeeping;
    if (!timers.empty()) next = std::min(next, timers.top().at);
    const auto now = steady::now();
    if (next <= now) return 0;
    const auto ms = std::chrono::ceil<milliseconds>(next - now).count();
    return static_cast<int>(std::min<std::int64_t>(ms, 1000));
  }

  void run() {
    std::vector<epoll_event> evs(128);
    next_housekeeping = steady::now() + k_housekeeping;
    while (!stopping.load(std::memory_order_acquire)) {
      const int n =
          ::epoll_wait(epfd.get(), evs.data(), static_cast<int>(evs.size()), poll_timeout());
      if (n < 0 && errno != EINTR) {
        log->error("epoll_wait failed: {}", std::strerror(errno));
        break;
      }
      for (int i = 0; i < n; ++i) {
        const std::uint64_t key = evs[static_cast<std::size_t>(i)].data.u64;
        const std::uint32_t e = evs[static_cast<std::size_t>(i)].events;
        if (key == k_listener) {
          accept_all();
          continue;
        }
        if (key == k_wakeup) {
          std::uint64_t v = 0;
          [[maybe_unused]] const auto r = ::read(wake.get(), &v, sizeof v);
          continue;
        }
        link* l = find_link(key);
        if (!l) continue;
        if (e & EPOLLIN) on_readable(l);
        if (l->dead) continue;
        if (e & (EPOLLERR | EPOLLHUP)) {
          if (!(e & EPOLLIN)) close_link(l, "connection reset");
          continue;
        }
        if (e & EPOLLOUT) mark(l);
        if ((e & EPOLLOUT) && std::exchange(l->tls_wants_write, false)) on_readable(l);
      }
      collect_results();
      run_timers();
      pool->post_batch(to_post);
      for (std::size_t i = 0; i < dirty_routes.size(); ++i) {
        route* r = dirty_routes[i];
        r->dirty = false;
        pump(*r);
      }
      dirty_routes.clear();
      flush_links();
      if (steady::now() >= next_housekeeping) {
        housekeeping();
        next_housekeeping = steady::now() + k_housekeeping;
      }
      for (std::uint64_t id : reap) links.erase(id);
      reap.clear();
    }
    for (auto& [id, l] : links) {
      if (!l->dead) {
        flush(l.get());
        if (!l->dead) close_link(l.get(), "simulator stopping");
      }
    }
    links.clear();
    reap.clear();
    dirty_links.clear();
  }
};

smsc_server::smsc_server(smsc_config config, card_gateway& gateway)
    : impl_(std::make_unique<impl>(std::move(config), gateway)) {}

smsc_server::~smsc_server() {
  stop();
}

status smsc_server::start() {
  auto& d = *impl_;
  if (d.started) return make_error(errc::conflict, "smsc simulator already started");
  OTAFLOW_TRY(validate(d.cfg));
  if (!d.cfg.tls_cert_file.empty() || !d.cfg.tls_key_file.empty()) {
    auto ctx = tls_context::server({d.cfg.tls_cert_file, d.cfg.tls_key_file});
    if (!ctx) return ctx.error();
    d.tls = std::move(*ctx);
  }
  auto lst = tcp_listen(d.cfg.listen_host, d.cfg.listen_port);
  if (!lst) return lst.error();
  d.listener = std::move(*lst);
  auto p = local_port(d.listener.get());
  if (!p) return p.error();
  d.bound_port = *p;
  d.epfd = smsc_fd(::epoll_create1(EPOLL_CLOEXEC));
  d.wake = smsc_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!d.epfd.valid() || !d.wake.valid()) {
    return make_error(errc::io, std::string("epoll/eventfd: ") + std::strerror(errno));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = k_listener;
  ::epoll_ctl(d.epfd.get(), EPOLL_CTL_ADD, d.listener.get(), &ev);
  ev.data.u64 = k_wakeup;
  ::epoll_ctl(d.epfd.get(), EPOLL_CTL_ADD, d.wake.get(), &ev);
  d.pool = std::make_unique<smsc_worker_pool<smsc_message>>(
      d.cfg.workers, [&d](std::span<smsc_message* const> ms) { d.attempt_batch(ms); }, d.wake.get(),
      d.cfg.worker_batch);
  d.started = true;
  d.io = std::thread([&d] { d.run(); });
  d.log->info(
      "SMSC simulator listening on {}:{}{} ({} workers, window {}, tps/bind {}, mo_delivery {})",
      d.cfg.listen_host, d.bound_port, d.tls ? " over TLS" : "", d.cfg.workers,
      d.cfg.deliver_window, d.cfg.tps_per_bind, to_string(d.cfg.mo_delivery));
  return {};
}

std::uint16_t smsc_server::port() const noexcept {
  return impl_->bound_port;
}

void smsc_server::stop() {
  auto& d = *impl_;
  if (!d.started) return;
  d.stopping.store(true, std::memory_order_release);
  smsc_eventfd_signal(d.wake.get());
  if (d.io.joinable()) d.io.join();
  d.pool->stop();
  d.listener.reset();
  d.started = false;
}

smsc_summary smsc_server::summary() const {
  return impl_->stats.snapshot();
}

std::uint64_t smsc_server::messages_in_flight() const noexcept {
  return impl_->in_flight.load(std::memory_order_relaxed);
}

const smsc_config& smsc_server::config() const noexcept {
  return impl_->cfg;
}

}  // namespace otaflow::sim
