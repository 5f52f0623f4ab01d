#include "actors/smpp_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <thread>
#include <unordered_map>

#include "actors/smpp_support.hpp"
#include "base/log.hpp"
#include "base/token_bucket.hpp"
#include "codec/smpp34_pdu.hpp"
#include "codec/smpp34_receipt.hpp"
#include "codec/ts23040_tpdu.hpp"

namespace otaflow::actors {

namespace smpp = codec::smpp;
using clock_type = std::chrono::steady_clock;

using detail::mo_originator;
using detail::status_retriable;
using detail::status_text;

class smpp_transport::session {
 public:
  session(smpp_options o, std::size_t index)
      : opt_(std::move(o)),
        index_(index),
        log_(log::get("smpp")),
        bucket_(opt_.rate, static_cast<std::uint32_t>(std::max(1.0, opt_.rate / 10))) {
    if (opt_.tls) {
      // A context that cannot be built (a CA file missing, a key readable by others) ends
      // wait_bound at once with its reason: the session never connects.
      auto ctx = tls_context::client(opt_.tls_options);
      if (ctx) {
        tls_ctx_ = std::move(*ctx);
      } else {
        last_error_ = ctx.error().message;
        refused_ = true;
      }
    }
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    unbound_since_.store(clock_type::now().time_since_epoch().count());
    thread_ = std::thread([this] { run(); });
  }

  ~session() {
    stop();
    if (thread_.joinable()) thread_.join();
    if (wake_fd_ >= 0) ::close(wake_fd_);
  }

  void set_listener(transport_listener* l) { listener_.store(l); }

  void submit(submit_request r) {
    {
      std::lock_guard lock(mu_);
      incoming_.push_back(std::move(r));
    }
    wake();
  }

  void stop() {
    stop_.store(true);
    wake();
    {
      std::lock_guard lock(mu_);
      cv_.notify_all();
    }
  }

  status wait_bound(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    // A refused bind ends the wait at once: the same account would be refused again.
    const bool ok = cv_.wait_for(lock, timeout, [&] { return bound_ || refused_ || stop_.load(); });
    if (ok && bound_) return {};
    const auto where = opt_.host + ":" + std::to_string(opt_.port);
    if (!last_error_.empty()) {
      return make_error(errc::io, "SMSC " + where + ": " + last_error_, error_class::retriable);
    }
    return make_error(
        errc::io, "SMSC " + where + ": not bound after " + std::to_string(timeout.count()) + " ms",
        error_class::retriable);
  }

  smpp_stats stats() const {
    std::lock_guard lock(mu_);
    auto s = stats_;
    s.bound = bound_;
    s.window = window_now_.load(std::memory_order_relaxed);
    return s;
  }

  // Steady-clock ticks since which the session is unbound; 0 while bound.
  clock_type::rep unbound_since() const { return unbound_since_.load(); }

  // The session thread hands its unsent submits to `to` while it is not bound.
  void reclaim_unsent(std::function<void(submit_request)> to) {
    {
      std::lock_guard lock(mu_);
      reclaim_to_ = std::move(to);
    }
    reclaim_.store(true);
    wake();
  }

  std::string name() const {
    return opt_.host + ":" + std::to_string(opt_.port) + "/" + std::to_string(index_);
  }

 private:
  struct active_req {
    submit_request req;
    std::size_t sent = 0;
    std::size_t acked = 0;
    std::vector<std::string> ids;
  };
  struct in_flight {
    std::uint64_t rid;
    std::size_t seg;
    clock_type::time_point sent_at;
  };
  enum class link { down, binding, bound };

  void wake() {
    if (wake_fd_ < 0) return;
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  }

  void set_error(std::string e) {
    std::lock_guard lock(mu_);
    last_error_ = std::move(e);
    cv_.notify_all();
  }

  template <class F>
  void count(F f) {
    std::lock_guard lock(mu_);
    f(stats_);
  }

  // ---- connection ---------------------------------------------------------------------

  bool connect_socket() {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const auto port = std::to_string(opt_.port);
    if (int rc = ::getaddrinfo(opt_.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
      set_error(std::string("cannot resolve host: ") + ::gai_strerror(rc));
      return false;
    }
    std::string err = "no address";
    for (auto* a = res; a; a = a->ai_next) {
      int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd < 0) continue;
      int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
      if (rc != 0 && errno == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        rc = ::poll(&p, 1, 5000) == 1 ? 0 : -1;
        int so = ETIMEDOUT;
        socklen_t len = sizeof so;
        if (rc == 0) ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &len);
        if (so != 0) {
          errno = so;
          rc = -1;
        }
      }
      if (rc == 0) {
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fd_ = fd;
        break;
      }
      err = std::string("cannot connect: ") + std::strerror(errno);
      ::close(fd);
    }
    ::freeaddrinfo(res);
    if (fd_ < 0) {
      set_error(err);
      return false;
    }
    count([](smpp_stats& s) { ++s.connects; });
    return true;
  }

  void close_socket(const std::string& why) {
    if (fd_ < 0) return;
    if (tls_) {
      tls_->shutdown();
      tls_.reset();
    }
    tls_wants_write_ = false;
    ::close(fd_);
    fd_ = -1;
    inbuf_.clear();
    outbuf_.clear();
    out_off_ = 0;
    const bool was_bound = link_ == link::bound;
    link_ = link::down;
    if (was_bound) unbound_since_.store(clock_type::now().time_since_epoch().count());
    {
      std::lock_guard lock(mu_);
      bound_ = false;
      ++stats_.disconnects;
    }
    if (was_bound && why == "stopped") {
      log_->info("bind {} to {}:{} closed (unbind)", index_, opt_.host, opt_.port);
    } else if (was_bound) {
      log_->warn("bind {} to {}:{} lost: {}", index_, opt_.host, opt_.port, why);
    }
    // Submits on the wire may or may not have reached the SMSC: report them lost.
    // Requests not started stay queued for the next connection.
    std::vector<std::uint64_t> lost;
    for (auto& [rid, a] : active_) {
      if (a.sent > 0) lost.push_back(rid);
    }
    for (auto rid : lost) {
      auto it = active_.find(rid);
      if (auto* l = listener_.load()) l->on_submit_lost(it->second.req.tag);
      active_.erase(it);
    }
    count([&](smpp_stats& s) { s.lost += lost.size(); });
    in_flight_.clear();
    window_now_.store(in_flight_.size(), std::memory_order_relaxed);
    enquire_outstanding_.reset();
  }

  // One read from the link: bytes read, 0 when nothing is there now, -1 when the link is closed
  // or broken (why says which).
  std::ptrdiff_t link_read(std::uint8_t* buf, std::size_t n, std::string& why) {
    if (!tls_) {
      while (true) {
        const auto r = ::recv(fd_, buf, n, 0);
        if (r > 0) return r;
        if (r == 0) {
          why = "connection closed by the SMSC";
          return -1;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        if (errno == EINTR) continue;
        why = std::string("read: ") + std::strerror(errno);
        return -1;
      }
    }
    std::size_t got = 0;
    switch (tls_->read(buf, n, got)) {
      case tls_io::done:
        return static_cast<std::ptrdiff_t>(got);
      case tls_io::want_write:
        tls_wants_write_ = true;
        return 0;
      case tls_io::want_read:
        return 0;
      case tls_io::closed:
        why = "connection closed by the SMSC";
        return -1;
      case tls_io::failed:
        break;
    }
    why = tls_->error();
    return -1;
  }

  // One write to the link: bytes written, 0 when it would block, -1 when the link is broken.
  std::ptrdiff_t link_write(const std::uint8_t* buf, std::size_t n) {
    if (!tls_) {
      while (true) {
        const auto r = ::send(fd_, buf, n, MSG_NOSIGNAL);
        if (r >= 0) return r;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        if (errno != EINTR) return -1;
      }
    }
    std::size_t put = 0;
    switch (tls_->write(buf, n, put)) {
      case tls_io::done:
        return static_cast<std::ptrdiff_t>(put);
      case tls_io::want_write:
        tls_wants_write_ = true;
        return 0;
      case tls_io::want_read:
        return 0;  // retried on the next POLLIN (every loop flushes)
      default:
        log_->warn("bind {}: TLS write: {}", index_, tls_->error());
        return -1;
    }
  }

  // The TLS handshake on the connected socket, polling for what it wants; false (the reason in
  // last_error, and a refusal when the certificate was refused) when it fails.
  bool tls_handshake() {
    const auto where = opt_.host + ":" + std::to_string(opt_.port);
    auto s = tls_session::client(tls_ctx_, fd_, opt_.host);
    if (!s) {
      set_error(s.error().message);
      return false;
    }
    tls_ = std::move(*s);
    const auto& name =
        opt_.tls_options.server_name.empty() ? opt_.host : opt_.tls_options.server_name;
    const auto deadline = clock_type::now() + opt_.response_timeout;
    while (!stop_.load()) {
      const auto r = tls_->handshake();
      if (r == tls_io::done) {
        log_->info("bind {} to {}: TLS {} (certificate of '{}' verified)", index_, where,
                   tls_->describe(), name);
        return true;
      }
      if (r == tls_io::failed || r == tls_io::closed) {
        // A refused certificate is refused again on the next try: wait_bound ends at once.
        const bool refused = r == tls_io::failed;
        const auto e = "TLS handshake failed: " + tls_->error() + " (server name '" + name + "')";
        log_->error("bind {} to {}: {}", index_, where, e);
        count([](smpp_stats& st) { ++st.bind_failures; });
        std::lock_guard lock(mu_);
        last_error_ = e;
        refused_ = refused_ || refused;
        bind_refused_ = refused;
        cv_.notify_all();
        return false;
      }
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - clock_type::now()).count();
      if (left <= 0) {
        set_error("no TLS handshake within " + std::to_string(opt_.response_timeout.count()) +
                  " ms");
        return false;
      }
      pollfd fds[2] = {{fd_, static_cast<short>(r == tls_io::want_write ? POLLOUT : POLLIN), 0},
                       {wake_fd_, POLLIN, 0}};
      ::poll(fds, 2, static_cast<int>(std::min<long long>(left, 250)));
      if (fds[1].revents & POLLIN) drain_wake();
    }
    return false;
  }

  // ---- sending --------------------------------------------------------------------------

  std::uint32_t next_seq() {
    seq_ = seq_ >= 0x7FFFFFFF ? 1 : seq_ + 1;
    return seq_;
  }

  bool send_pdu(const smpp::pdu& p) {
    byte_writer w(outbuf_);
    auto s = smpp::encode(p, w);
    if (!s.ok()) {
      log_->error("bind {}: cannot encode {}: {}", index_, smpp::command_name(p.id()),
                  s.error().message);
      return false;
    }
    return true;
  }

  void respond(smpp::pdu_body body, std::uint32_t seq,
               smpp::command_status st = smpp::command_status::esme_rok) {
    smpp::pdu p;
    p.status = st;
    p.sequence_number = seq;
    p.body = std::move(body);
    (void)send_pdu(p);
  }

  void send_bind() {
    smpp::bind_transceiver b;
    b.system_id = opt_.system_id;
    b.password = opt_.password;
    b.system_type = opt_.system_type;
    smpp::pdu p;
    p.sequence_number = next_seq();
    p.body = b;
    bind_sent_ = clock_type::now();
    if (!send_pdu(p)) set_error("bind parameters too long for SMPP 3.4");
    link_ = link::binding;
  }

  // Moves new requests into the session's own queue.
  void take_incoming() {
    std::deque<submit_request> in;
    {
      std::lock_guard lock(mu_);
      in.swap(incoming_);
    }
    for (auto& r : in) {
      const auto rid = ++next_rid_;
      const auto n = r.segments.size();
      if (n == 0) {
        if (auto* l = listener_.load()) {
          l->on_submit_failed(r.tag, 0, "nothing to send (no segments)", false);
        }
        continue;
      }
      active_.emplace(rid, active_req{std::move(r), 0, 0, std::vector<std::string>(n)});
      for (std::size_t i = 0; i < n; ++i) pending_.emplace_back(rid, i);
    }
  }

  void pump_submits(clock_type::time_point now) {
    if (link_ != link::bound || now < throttle_until_) return;
    while (!pending_.empty() && in_flight_.size() < opt_.window) {
      auto [rid, seg] = pending_.front();
      auto it = active_.find(rid);
      if (it == active_.end()) {
        pending_.pop_front();
        continue;
      }
      if (!bucket_.try_take(now)) return;
      pending_.pop_front();
      const auto& req = it->second.req;
      const auto& ud = req.segments[seg];
      smpp::submit_sm sm;
      sm.source_addr_ton = opt_.source_ton;
      sm.source_addr_npi = opt_.source_npi;
      sm.source_addr = opt_.source_addr;
      sm.dest_addr_ton = opt_.dest_ton;
      sm.dest_addr_npi = opt_.dest_npi;
      sm.destination_addr = req.dest_msisdn;
      sm.esm_class = smpp::esm_class::udhi;
      sm.protocol_id = codec::tpdu::pid_usim_data_download;
      sm.registered_delivery = opt_.registered_delivery;
      sm.data_coding = opt_.data_coding;
      apply_submit_options(opt_.submit, sm);  // the route's [route.submit] over the bind's
      apply_submit_options(req.options, sm);  // the campaign's [policy.submit] over both
      if (ud.size() <= smpp::max_short_message) {
        sm.short_message = ud;
      } else {
        sm.tlvs.push_back(smpp::make_message_payload(ud));
      }
      smpp::pdu p;
      p.sequence_number = next_seq();
      p.body = std::move(sm);
      if (!send_pdu(p)) {
        if (auto* l = listener_.load()) {
          l->on_submit_failed(req.tag, 0, "submit_sm does not encode (destination address?)",
                              false);
        }
        active_.erase(it);
        continue;
      }
      in_flight_[p.sequence_number] = in_flight{rid, seg, now};
      window_now_.store(in_flight_.size(), std::memory_order_relaxed);
      ++it->second.sent;
      count([](smpp_stats& s) { ++s.submits; });
    }
  }

  // ---- receiving ------------------------------------------------------------------------

  void on_submit_resp(const smpp::pdu& p, const smpp::submit_sm_resp& r) {
    auto f = in_flight_.find(p.sequence_number);
    if (f == in_flight_.end()) return;  // a response after its connection was reset
    const auto [rid, seg, sent_at] = f->second;
    in_flight_.erase(f);
    window_now_.store(in_flight_.size(), std::memory_order_relaxed);
    auto it = active_.find(rid);
    if (it == active_.end()) return;
    auto& a = it->second;
    if (p.status == smpp::command_status::esme_rthrottled ||
        p.status == smpp::command_status::esme_rmsgqful) {
      // Back off and send the same segment again; this is pacing, not a failure.
      --a.sent;
      pending_.emplace_front(rid, seg);
      throttle_backoff_ =
          std::min(opt_.throttle_max,
                   throttle_backoff_.count() == 0 ? opt_.throttle_min : throttle_backoff_ * 2);
      throttle_until_ = clock_type::now() + throttle_backoff_;
      count([](smpp_stats& s) { ++s.throttled; });
      if (auto* l = listener_.load()) {
        l->on_submit_outcome(a.req.tag, index_, submit_outcome::throttled);
      }
      return;
    }
    throttle_backoff_ = std::chrono::milliseconds(0);
    auto* l = listener_.load();
    if (l) {
      l->on_submit_outcome(a.req.tag, index_,
                           p.status == smpp::command_status::esme_rok ? submit_outcome::accepted
                                                                      : submit_outcome::rejected);
    }
    if (p.status != smpp::command_status::esme_rok) {
      count([](smpp_stats& s) { ++s.submit_failed; });
      if (l)
        l->on_submit_failed(a.req.tag, static_cast<std::uint32_t>(p.status), status_text(p.status),
                            status_retriable(p.status));
      active_.erase(it);
      return;
    }
    a.ids[seg] = r.message_id;
    if (++a.acked == a.req.segments.size()) {
      count([](smpp_stats& s) { ++s.submit_ok; });
      if (l) l->on_submitted(a.req.tag, std::move(a.ids));
      active_.erase(it);
    }
  }

  void on_deliver(const smpp::pdu& p, const smpp::deliver_sm& d) {
    respond(smpp::deliver_sm_resp{}, p.sequence_number);
    auto* l = listener_.load();
    if ((d.esm_class & smpp::esm_class::type_mask) == smpp::esm_class::type_delivery_receipt) {
      count([](smpp_stats& s) { ++s.receipts; });
      std::string id;
      std::optional<std::uint8_t> state;
      std::string err;
      if (auto r = smpp::get_receipted_message_id(d.tlvs); r.ok() && *r) id = **r;
      if (auto r = smpp::get_message_state(d.tlvs); r.ok() && *r) {
        state = static_cast<std::uint8_t>(**r);
      }
      if (id.empty() || !state) {
        // No TLVs: fall back to the receipt text (SMPP 3.4 Appendix B).
        const std::string text(d.short_message.begin(), d.short_message.end());
        auto rc = smpp::parse_receipt(text);
        if (!rc.ok()) {
          log_->warn("bind {}: unreadable delivery receipt: {}", index_, rc.error().message);
          return;
        }
        if (id.empty()) id = rc->id;
        if (!state) {
          auto s = smpp::stat_to_state(rc->stat);
          state = s ? static_cast<std::uint8_t>(*s) : std::uint8_t{7};
        }
        err = rc->err;
      }
      if (auto ne = smpp::get_network_error_code(d.tlvs); ne.ok() && *ne) {
        err = std::to_string((*ne)->error_code);
      }
      if (l)
        l->on_receipt_from(mo_originator(d.source_addr), std::move(id), *state, std::move(err));
      return;
    }
    count([](smpp_stats& s) { ++s.mo; });
    bytes ud = d.short_message;
    if (ud.empty()) {
      if (auto pl = smpp::get_message_payload(d.tlvs)) ud.assign(pl->begin(), pl->end());
    }
    if (l) l->on_mo(mo_originator(d.source_addr), std::move(ud));
  }

  // Returns false when the connection must be closed.
  bool handle(const smpp::pdu& p) {
    last_rx_ = clock_type::now();
    return std::visit(
        [&](const auto& body) -> bool {
          using T = std::decay_t<decltype(body)>;
          if constexpr (std::is_same_v<T, smpp::bind_transceiver_resp>) {
            if (p.status != smpp::command_status::esme_rok) {
              const auto e = "bind as '" + opt_.system_id + "' refused: " + status_text(p.status);
              log_->error("bind {} to {}:{}: {}", index_, opt_.host, opt_.port, e);
              count([](smpp_stats& s) { ++s.bind_failures; });
              {
                std::lock_guard lock(mu_);
                last_error_ = e;
                refused_ = true;
                cv_.notify_all();
              }
              bind_refused_ = true;
              return false;
            }
            link_ = link::bound;
            unbound_since_.store(0);
            reclaim_.store(false);  // a request made while down is void once bound again
            log_->info("bind {} bound to {}:{} as '{}' (SMSC '{}')", index_, opt_.host, opt_.port,
                       opt_.system_id, body.system_id);
            {
              std::lock_guard lock(mu_);
              bound_ = true;
              refused_ = false;
              last_error_.clear();
              ++stats_.binds;
              cv_.notify_all();
            }
            reconnect_delay_ = opt_.reconnect_min;
            return true;
          } else if constexpr (std::is_same_v<T, smpp::submit_sm_resp>) {
            on_submit_resp(p, body);
            return true;
          } else if constexpr (std::is_same_v<T, smpp::deliver_sm>) {
            on_deliver(p, body);
            return true;
          } else if constexpr (std::is_same_v<T, smpp::data_sm>) {
            respond(smpp::data_sm_resp{}, p.sequence_number);
            if (auto* l = listener_.load()) {
              if (auto pl = smpp::get_message_payload(body.tlvs)) {
                l->on_mo(mo_originator(body.source_addr), bytes(pl->begin(), pl->end()));
              }
            }
            return true;
          } else if constexpr (std::is_same_v<T, smpp::enquire_link>) {
            respond(smpp::enquire_link_resp{}, p.sequence_number);
            return true;
          } else if constexpr (std::is_same_v<T, smpp::enquire_link_resp>) {
            enquire_outstanding_.reset();
            return true;
          } else if constexpr (std::is_same_v<T, smpp::unbind>) {
            respond(smpp::unbind_resp{}, p.sequence_number);
            flush_out();
            log_->warn("bind {}: the SMSC unbound", index_);
            return false;
          } else if constexpr (std::is_same_v<T, smpp::unbind_resp>) {
            return false;
          } else if constexpr (std::is_same_v<T, smpp::generic_nack>) {
            auto f = in_flight_.find(p.sequence_number);
            if (f != in_flight_.end()) {
              auto it = active_.find(f->second.rid);
              in_flight_.erase(f);
              window_now_.store(in_flight_.size(), std::memory_order_relaxed);
              if (it != active_.end()) {
                // Counted like any refused submit: stats and the per-bind alert windows.
                // Retriable as its status says (some SMSCs nack with ESME_RTHROTTLED or
                // ESME_RSYSERR what they cannot take now); RINVCMDID and the like are final.
                count([](smpp_stats& s) { ++s.submit_failed; });
                const bool retriable = status_retriable(p.status) ||
                                       p.status == smpp::command_status::esme_rthrottled ||
                                       p.status == smpp::command_status::esme_rmsgqful;
                if (auto* l = listener_.load()) {
                  l->on_submit_outcome(it->second.req.tag, index_, submit_outcome::rejected);
                  l->on_submit_failed(it->second.req.tag, static_cast<std::uint32_t>(p.status),
                                      "generic_nack " + status_text(p.status), retriable);
                }
                active_.erase(it);
              }
            } else {
              log_->warn("bind {}: generic_nack {} for sequence {}", index_, status_text(p.status),
                         p.sequence_number);
            }
            return true;
          } else {
            if (!smpp::is_response(p.id())) {
              respond(smpp::generic_nack{}, p.sequence_number,
                      smpp::command_status::esme_rinvcmdid);
            }
            return true;
          }
        },
        p.body);
  }

  // Reads what the socket has; false on EOF or a broken stream.
  bool read_some(std::string& why) {
    std::uint8_t buf[65536];
    while (true) {
      const auto n = link_read(buf, sizeof buf, why);
      if (n < 0) return false;
      if (n == 0) break;
      inbuf_.insert(inbuf_.end(), buf, buf + n);
      // TLS hands out one record (at most 16 KiB) per read: read until it wants more.
      if (!tls_ && static_cast<std::size_t>(n) < sizeof buf) break;
    }
    std::size_t off = 0;
    while (true) {
      const byte_view rest(inbuf_.data() + off, inbuf_.size() - off);
      auto len = smpp::frame_length(rest);
      if (!len.ok()) {
        why = "malformed PDU stream: " + len.error().message;
        return false;
      }
      if (!*len || rest.size() < **len) break;
      const auto whole = rest.first(**len);
      off += **len;
      auto p = smpp::decode(whole);
      if (!p.ok()) {
        log_->warn("bind {}: undecodable PDU ({}): {}", index_, whole.size(), p.error().message);
        if (auto h = smpp::decode_header(whole); h.ok() && !smpp::is_response(h->id)) {
          respond(smpp::generic_nack{}, h->sequence_number, smpp::to_command_status(p.error()));
        }
        continue;
      }
      if (!handle(*p)) {
        why = "closed";
        inbuf_.erase(inbuf_.begin(), inbuf_.begin() + static_cast<std::ptrdiff_t>(off));
        return false;
      }
    }
    inbuf_.erase(inbuf_.begin(), inbuf_.begin() + static_cast<std::ptrdiff_t>(off));
    return true;
  }

  bool flush_out() {
    while (out_off_ < outbuf_.size()) {
      const auto n = link_write(outbuf_.data() + out_off_, outbuf_.size() - out_off_);
      if (n < 0) return false;
      if (n == 0) break;
      out_off_ += static_cast<std::size_t>(n);
    }
    if (out_off_ == outbuf_.size()) {
      outbuf_.clear();
      out_off_ = 0;
    } else if (out_off_ > (1u << 20)) {
      outbuf_.erase(outbuf_.begin(), outbuf_.begin() + static_cast<std::ptrdiff_t>(out_off_));
      out_off_ = 0;
    }
    return true;
  }

  void drain_wake() {
    std::uint64_t v;
    while (::read(wake_fd_, &v, sizeof v) > 0) {
    }
  }

  // Sleeps up to d, waking early on stop.
  void pause(std::chrono::milliseconds d) {
    pollfd p{wake_fd_, POLLIN, 0};
    const auto until = clock_type::now() + d;
    while (!stop_.load()) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(until - clock_type::now());
      if (left.count() <= 0) return;
      ::poll(&p, 1, static_cast<int>(left.count()));
      drain_wake();
      take_incoming();
      give_back_if_asked();
    }
  }

  // Unbound: submits not sent yet go to whoever reclaim_unsent() named (another route).
  // Everything in active_ is unsent here: close_socket() reported the sent ones lost.
  void give_back_if_asked() {
    if (link_ == link::bound || !reclaim_.exchange(false)) return;
    take_incoming();
    std::function<void(submit_request)> to;
    {
      std::lock_guard lock(mu_);
      to = reclaim_to_;
    }
    if (!to || active_.empty()) return;
    auto taken = std::move(active_);
    active_.clear();
    pending_.clear();
    log_->warn("bind {} to {}:{} down: {} queued submits handed to another route", index_,
               opt_.host, opt_.port, taken.size());
    for (auto& [rid, a] : taken) to(std::move(a.req));
  }

  void io_loop() {
    send_bind();
    last_rx_ = clock_type::now();
    auto last_check = clock_type::now();
    while (!stop_.load()) {
      const auto now = clock_type::now();
      take_incoming();
      pump_submits(now);
      if (!flush_out()) {
        close_socket("write failed");
        return;
      }
      // Liveness: bind timeout, enquire_link when idle, response timeouts.
      if (link_ == link::binding && now - bind_sent_ > opt_.response_timeout) {
        set_error("no bind response within " + std::to_string(opt_.response_timeout.count()) +
                  " ms");
        close_socket("bind timeout");
        return;
      }
      if (link_ == link::bound) {
        if (!enquire_outstanding_ && now - last_rx_ > opt_.enquire_link_interval) {
          smpp::pdu p;
          p.sequence_number = next_seq();
          p.body = smpp::enquire_link{};
          (void)send_pdu(p);
          enquire_outstanding_ = now;
          count([](smpp_stats& s) { ++s.enquire_links; });
          continue;
        }
        if (enquire_outstanding_ && now - *enquire_outstanding_ > opt_.response_timeout) {
          close_socket("no enquire_link_resp");
          return;
        }
        if (now - last_check > std::chrono::seconds(1)) {
          last_check = now;
          for (const auto& [seq, f] : in_flight_) {
            if (now - f.sent_at > opt_.response_timeout) {
              close_socket("no submit_sm_resp within " +
                           std::to_string(opt_.response_timeout.count()) + " ms");
              return;
            }
          }
        }
      }
      // Sleep until the socket or a new submit wakes us, or the next timer is due.
      auto timeout = std::chrono::milliseconds(250);
      if (link_ == link::bound && !pending_.empty() && in_flight_.size() < opt_.window) {
        auto w = now < throttle_until_ ? throttle_until_ - now : bucket_.wait_time(now);
        timeout = std::min(timeout, std::chrono::ceil<std::chrono::milliseconds>(w));
      }
      pollfd fds[2] = {{fd_,
                        static_cast<short>(
                            POLLIN | (out_off_ < outbuf_.size() || tls_wants_write_ ? POLLOUT : 0)),
                        0},
                       {wake_fd_, POLLIN, 0}};
      const int rc = ::poll(fds, 2, static_cast<int>(timeout.count()));
      if (rc < 0 && errno != EINTR) {
        close_socket(std::string("poll: ") + std::strerror(errno));
        return;
      }
      if (fds[1].revents & POLLIN) drain_wake();
      // A TLS read that needed to write (a key update) is retried once the socket is writable.
      const bool tls_retry = tls_wants_write_ && (fds[0].revents & POLLOUT);
      if (tls_retry || (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
        tls_wants_write_ = false;
        std::string why;
        if (!read_some(why)) {
          flush_out();
          close_socket(why);
          return;
        }
      }
    }
    // Stopping: unbind politely.
    if (link_ == link::bound) {
      smpp::pdu p;
      p.sequence_number = next_seq();
      p.body = smpp::unbind{};
      (void)send_pdu(p);
      flush_out();
    }
    close_socket("stopped");
  }

  void run() {
    if (opt_.tls && !tls_ctx_) {
      log_->error("bind {} to {}:{}: {}", index_, opt_.host, opt_.port, last_error());
      return;
    }
    reconnect_delay_ = opt_.reconnect_min;
    bool reported = false;
    while (!stop_.load()) {
      take_incoming();
      give_back_if_asked();
      if (!connect_socket()) {
        if (!reported) {
          log_->warn("bind {} to {}:{}: {}; retrying", index_, opt_.host, opt_.port, last_error());
          reported = true;
        }
        pause(reconnect_delay_);
        reconnect_delay_ = std::min(opt_.reconnect_max, reconnect_delay_ * 2);
        continue;
      }
      reported = false;
      bind_refused_ = false;
      if (tls_ctx_ && !tls_handshake()) {
        close_socket("TLS handshake failed");
        if (stop_.load()) break;
        pause(bind_refused_ ? opt_.reconnect_max : reconnect_delay_);
        reconnect_delay_ = std::min(opt_.reconnect_max, reconnect_delay_ * 2);
        continue;
      }
      io_loop();
      if (stop_.load()) break;
      // A refused bind will be refused again right away: wait the longest back-off.
      pause(bind_refused_ ? opt_.reconnect_max : reconnect_delay_);
      reconnect_delay_ = std::min(opt_.reconnect_max, reconnect_delay_ * 2);
    }
  }

  std::string last_error() {
    std::lock_guard lock(mu_);
    return last_error_;
  }

  smpp_options opt_;
  std::size_t index_;
  std::shared_ptr<spdlog::logger> log_;
  std::atomic<transport_listener*> listener_{nullptr};
  std::atomic<bool> stop_{false};
  int wake_fd_ = -1;
  std::thread thread_;

  mutable std::mutex mu_;  // guards incoming_, bound_, refused_, last_error_, stats_
  std::condition_variable cv_;
  std::deque<submit_request> incoming_;
  bool bound_ = false;
  bool refused_ = false;  // the SMSC refused the last bind (wrong account): wait_bound ends
  std::string last_error_;
  smpp_stats stats_;
  std::atomic<std::size_t> window_now_{0};         // in_flight_.size(), for stats() from any thread
  std::atomic<clock_type::rep> unbound_since_{0};  // steady ticks; 0 while bound
  std::atomic<bool> reclaim_{false};               // reclaim_unsent() asked
  std::function<void(submit_request)> reclaim_to_;  // guarded by mu_

  // Owned by the session thread.
  int fd_ = -1;
  std::shared_ptr<tls_context> tls_ctx_;  // set when opt_.tls (before the thread starts)
  std::unique_ptr<tls_session> tls_;      // the connection's TLS, once connected
  bool tls_wants_write_ = false;          // the last TLS read or write waits for POLLOUT
  link link_ = link::down;
  bytes inbuf_, outbuf_;
  std::size_t out_off_ = 0;
  std::uint32_t seq_ = 0;
  std::uint64_t next_rid_ = 0;
  std::unordered_map<std::uint64_t, active_req> active_;
  std::deque<std::pair<std::uint64_t, std::size_t>> pending_;
  std::unordered_map<std::uint32_t, in_flight> in_flight_;
  token_bucket bucket_;
  clock_type::time_point throttle_until_{};
  std::chrono::milliseconds throttle_backoff_{0};
  std::chrono::milliseconds reconnect_delay_{200};
  clock_type::time_point last_rx_{}, bind_sent_{};
  std::optional<clock_type::time_point> enquire_outstanding_;
  bool bind_refused_ = false;
};

smpp_transport::smpp_transport(std::vector<smpp_options> binds) {
  for (std::size_t i = 0; i < binds.size(); ++i) {
    sessions_.push_back(std::make_unique<session>(std::move(binds[i]), i));
  }
}

smpp_transport::~smpp_transport() {
  stop();
}

void smpp_transport::set_listener(transport_listener* listener) {
  for (auto& s : sessions_) s->set_listener(listener);
}

void smpp_transport::submit(submit_request request) {
  if (sessions_.empty()) return;
  const auto i = std::hash<std::string>{}(request.dest_msisdn) % sessions_.size();
  sessions_[i]->submit(std::move(request));
}

status smpp_transport::wait_bound(std::chrono::milliseconds timeout) {
  for (auto& s : sessions_) OTAFLOW_TRY(s->wait_bound(timeout));
  return {};
}

std::string smpp_transport::bind_name(std::size_t bind) const {
  return bind < sessions_.size() ? sessions_[bind]->name() : transport::bind_name(bind);
}

smpp_stats smpp_transport::stats() const {
  smpp_stats t;
  for (const auto& s : sessions_) t += s->stats();
  t.bound = !sessions_.empty();
  for (const auto& s : sessions_) t.bound = t.bound && s->stats().bound;
  return t;
}

smpp_transport::link_state smpp_transport::link() const {
  link_state l;
  clock_type::rep latest = 0;
  for (const auto& s : sessions_) {
    const auto since = s->unbound_since();
    if (since == 0) {
      l.bound = true;
      return l;
    }
    latest = std::max(latest, since);
  }
  l.unbound_since = clock_type::time_point(clock_type::duration(latest));
  return l;
}

void smpp_transport::reclaim_unsent(const std::function<void(submit_request)>& to) {
  for (auto& s : sessions_) s->reclaim_unsent(to);
}

std::vector<smpp_stats> smpp_transport::bind_stats() const {
  std::vector<smpp_stats> out;
  out.reserve(sessions_.size());
  for (const auto& s : sessions_) out.push_back(s->stats());
  return out;
}

void smpp_transport::stop() {
  for (auto& s : sessions_) s->stop();
  sessions_.clear();
}

}  // namespace otaflow::actors
