#include "tests/integration/hostile_smsc.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>

#include <gtest/gtest.h>

#include "codec/smpp34_constants.hpp"
#include "codec/ts23040_tpdu.hpp"
#include "secure/scp80.hpp"

namespace otaflow::hostile {
namespace smpp = codec::smpp;
namespace tpdu = codec::tpdu;

namespace {

// The OTA server's address in the SMS-DELIVER (TP-OA) and the PoRs' destination.
constexpr const char* kOtaAddress = "8500";

// The command packet (from CPL) of a single-SM TP-UD: UDHL, IEs, then the packet. Empty when
// the UDH holds a concatenation IE (00 / 08) or no command packet IE 70 (TS 31.115 §4).
byte_view packet_of(const bytes& ud) {
  if (ud.empty() || ud[0] + 1u > ud.size()) return {};
  bool command = false;
  for (std::size_t i = 1; i + 1 < ud[0] + 1u;) {
    const auto iei = ud[i], len = ud[i + 1];
    if (iei == 0x00 || iei == 0x08) return {};
    if (iei == 0x70) command = true;
    i += 2u + len;
  }
  if (!command) return {};
  return byte_view(ud).subspan(ud[0] + 1u);
}

}  // namespace

hostile_smsc::hostile_smsc(sim::fleet& fleet) : fleet_(fleet) {
  auto l = sim::tcp_listen("127.0.0.1", 0);
  EXPECT_TRUE(l.ok()) << (l.ok() ? "" : l.error().message);
  if (!l.ok()) return;
  listener_ = std::move(*l);
  auto port = sim::local_port(listener_.get());
  EXPECT_TRUE(port.ok());
  if (port.ok()) port_ = *port;
  thread_ = std::thread([this] { loop(); });
}

hostile_smsc::~hostile_smsc() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void hostile_smsc::set_policy(policy_fn f) {
  std::lock_guard lock(mu_);
  policy_ = std::move(f);
}
void hostile_smsc::set_after_answer(after_fn f) {
  std::lock_guard lock(mu_);
  after_ = std::move(f);
}
void hostile_smsc::set_mangle(mangle_fn f) {
  std::lock_guard lock(mu_);
  mangle_ = std::move(f);
}
void hostile_smsc::set_por_source(std::function<std::string(const std::string&)> f) {
  std::lock_guard lock(mu_);
  por_source_ = std::move(f);
}

std::map<std::string, std::vector<std::uint64_t>> hostile_smsc::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}
std::vector<delivery> hostile_smsc::deliveries() const {
  std::lock_guard lock(mu_);
  return deliveries_;
}

// ---- the connection -----------------------------------------------------------------------

void hostile_smsc::loop() {
  while (!stop_) {
    pollfd p[2] = {{listener_.get(), POLLIN, 0}, {-1, POLLIN, 0}};
    p[1].fd = conn_.valid() ? conn_.get() : -1;
    if (::poll(p, 2, 20) <= 0) continue;
    if (p[0].revents & POLLIN) {
      const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        std::lock_guard lock(write_mu_);
        conn_ = sim::smsc_fd(fd);  // a new bind replaces the old one
        inbuf_.clear();
      }
      continue;
    }
    if (p[1].fd < 0 || !(p[1].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    std::uint8_t tmp[8192];
    const auto n = ::recv(conn_.get(), tmp, sizeof tmp, 0);
    if (n <= 0) {
      close_conn();
      continue;
    }
    inbuf_.insert(inbuf_.end(), tmp, tmp + n);
    for (;;) {
      auto f = smpp::frame_length(inbuf_);
      if (!f.ok()) {
        ADD_FAILURE() << "the engine sent an unframeable PDU: " << f.error().message;
        close_conn();
        break;
      }
      if (!f->has_value() || inbuf_.size() < **f) break;
      const bytes whole(inbuf_.begin(), inbuf_.begin() + **f);
      inbuf_.erase(inbuf_.begin(), inbuf_.begin() + **f);
      auto pdu = smpp::decode(whole);
      if (!pdu.ok()) {
        ADD_FAILURE() << "the engine sent an undecodable PDU: " << pdu.error().message;
        continue;
      }
      on_pdu(*pdu);
      if (!conn_.valid()) break;
    }
  }
  close_conn();
}

void hostile_smsc::close_conn() {
  std::lock_guard lock(write_mu_);
  conn_.reset();
  inbuf_.clear();
}

void hostile_smsc::send(const smpp::pdu& p) {
  auto raw = smpp::encode(p);
  ASSERT_TRUE(raw.ok()) << raw.error().message;
  std::lock_guard lock(write_mu_);
  if (!conn_.valid()) return;
  std::size_t off = 0;
  while (off < raw->size()) {
    const auto n = ::send(conn_.get(), raw->data() + off, raw->size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;  // the engine went away; its loss is what some cases test
    off += static_cast<std::size_t>(n);
  }
}

void hostile_smsc::on_pdu(const smpp::pdu& p) {
  smpp::pdu r;
  r.sequence_number = p.sequence_number;
  if (std::holds_alternative<smpp::bind_transceiver>(p.body)) {
    ++binds_;
    r.body = smpp::bind_transceiver_resp{"HOSTILE", {}};
    send(r);
  } else if (std::holds_alternative<smpp::enquire_link>(p.body)) {
    r.body = smpp::enquire_link_resp{};
    send(r);
  } else if (std::holds_alternative<smpp::unbind>(p.body)) {
    r.body = smpp::unbind_resp{};
    send(r);
    close_conn();
  } else if (const auto* sm = std::get_if<smpp::submit_sm>(&p.body)) {
    on_submit(p, *sm);
  }  // deliver_sm_resp, generic_nack from the engine: nothing to do
}

// ---- submits ------------------------------------------------------------------------------

std::optional<std::uint64_t> hostile_smsc::counter_of(const std::string& msisdn, const bytes& ud) {
  const auto packet = packet_of(ud);
  const auto index = fleet_.source().find_msisdn(msisdn);
  if (packet.empty() || !index) return std::nullopt;
  auto id = fleet_.source().identity(*index);
  if (!id.ok()) return std::nullopt;
  std::vector<secure::keyset> sets;
  for (const auto& k : id->keysets) sets.push_back({k.version, k.kic, k.kid});
  const auto report =
      secure::inspect_command(packet, [&](std::uint32_t, std::uint8_t v) -> const secure::keyset* {
        for (const auto& s : sets) {
          if (s.version == v) return &s;
        }
        return nullptr;
      });
  if (!report.counter_known) return std::nullopt;
  return report.command.counter;
}

void hostile_smsc::on_submit(const smpp::pdu& p, const smpp::submit_sm& sm) {
  submit_seen s;
  s.n = submits_++;
  s.msisdn = sm.destination_addr;
  s.sequence = p.sequence_number;
  s.ud = sm.short_message;
  if (s.ud.empty()) {
    if (auto pl = smpp::get_message_payload(sm.tlvs)) s.ud.assign(pl->begin(), pl->end());
  }
  s.counter = counter_of(s.msisdn, s.ud);
  if (!s.counter) ++unreadable_;
  policy_fn policy;
  {
    std::lock_guard lock(mu_);
    policy = policy_;
  }
  const auto what = policy ? policy(s) : reply::deliver;
  if (what != reply::throttle && s.counter) {
    std::lock_guard lock(mu_);
    counters_[s.msisdn].push_back(*s.counter);
  }
  smpp::pdu r;
  r.sequence_number = p.sequence_number;
  switch (what) {
    case reply::throttle:
      r.status = smpp::command_status::esme_rthrottled;
      r.body = smpp::submit_sm_resp{};
      send(r);
      return;
    case reply::nack:
      send(smpp::make_generic_nack(smpp::command_status::esme_rinvcmdid, p.sequence_number));
      return;
    case reply::withhold:
      return;
    case reply::drop:
      close_conn();
      return;
    case reply::accept:
    case reply::early:
    case reply::deliver: {
      const auto id = "H" + std::to_string(s.n);
      r.body = smpp::submit_sm_resp{id, {}};
      delivery rec{s, id, {}};
      if (what == reply::early) deliver(rec);
      send(r);
      if (what == reply::deliver) deliver(rec);
      after_fn after;
      {
        std::lock_guard lock(mu_);
        after = after_;
      }
      if (after) after(rec);
      return;
    }
  }
}

// The card gets the SM as the SMSC simulator would hand it over (SMS-DELIVER, PID 7F, class 2
// 8-bit); what it sends back by SMS-SUBMIT (the PoR of SPI2 b6 = 1) goes to the engine as MO
// deliver_sm after the delivery receipt.
void hostile_smsc::deliver(delivery& rec) {
  const auto& s = rec.submit;
  tpdu::sms_deliver d;
  d.udhi = true;
  d.oa = tpdu::address{tpdu::ton::unknown, tpdu::npi::isdn, kOtaAddress};
  d.pid = tpdu::pid_usim_data_download;
  d.dcs = tpdu::dcs_8bit_class2_f;
  d.ud = s.ud;
  auto raw = tpdu::encode(d);
  ASSERT_TRUE(raw.ok()) << raw.error().message;
  const auto out = fleet_.deliver(s.msisdn, *raw);
  for (const auto& mo : out.mo) {
    auto sub = tpdu::decode_submit(mo.submit_tpdu);
    ASSERT_TRUE(sub.ok()) << sub.error().message;
    rec.pors.push_back(sub->ud);
  }
  mangle_fn mangle;
  std::string from = s.msisdn;
  {
    std::lock_guard lock(mu_);
    deliveries_.push_back(rec);
    mangle = mangle_;
    if (por_source_) from = por_source_(s.msisdn);
  }
  send_receipt(rec.message_id, out.result == sim::mt_outcome::kind::ack
                                   ? smpp::message_state::delivered
                                   : smpp::message_state::undeliverable);
  for (const auto& por : rec.pors) send_mo(from, mangle ? mangle(rec, por) : por);
}

// ---- injections ---------------------------------------------------------------------------

void hostile_smsc::send_deliver(smpp::deliver_sm d) {
  smpp::pdu p;
  {
    std::lock_guard lock(write_mu_);
    p.sequence_number = seq_++;
  }
  p.body = std::move(d);
  send(p);
}

void hostile_smsc::send_mo(const std::string& from, const bytes& ud) {
  smpp::deliver_sm d;
  d.source_addr_ton = smpp::ton::international;
  d.source_addr_npi = smpp::npi::isdn;
  d.source_addr = from;
  d.destination_addr = kOtaAddress;
  d.esm_class = smpp::esm_class::udhi;
  d.protocol_id = tpdu::pid_usim_data_download;
  d.data_coding = smpp::data_coding::gsm_8bit_class2;
  d.short_message = ud;
  send_deliver(std::move(d));
}

void hostile_smsc::send_receipt(const std::string& message_id, smpp::message_state state) {
  smpp::deliver_sm d;
  d.destination_addr = kOtaAddress;
  d.esm_class = smpp::esm_class::type_delivery_receipt;
  const std::string stat = state == smpp::message_state::delivered ? "DELIVRD" : "UNDELIV";
  const std::string text = "id:" + message_id + " sub:001 dlvrd:001 submit date:2612050000" +
                           " done date:2612050000 stat:" + stat + " err:000 text:";
  d.short_message.assign(text.begin(), text.end());
  d.tlvs.push_back(smpp::make_receipted_message_id(message_id));
  d.tlvs.push_back(smpp::make_message_state(state));
  send_deliver(std::move(d));
}

void hostile_smsc::send_garbage_receipt() {
  smpp::deliver_sm d;
  d.destination_addr = kOtaAddress;
  d.esm_class = smpp::esm_class::type_delivery_receipt;
  const std::string text = "id: stat:?? \x01\x02 not a receipt";
  d.short_message.assign(text.begin(), text.end());
  send_deliver(std::move(d));
}

void hostile_smsc::send_nack(smpp::command_status s, std::uint32_t sequence) {
  send(smpp::make_generic_nack(s, sequence));
}

}  // namespace otaflow::hostile
