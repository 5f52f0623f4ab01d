#pragma once
// A scripted card_gateway for the SMSC simulator tests: records every SMS-DELIVER and
// answers through a per-test function (default: RP-ACK carrying a canned PoR).

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.hpp"
#include "codec/ts23040_tpdu.hpp"
#include "sim/card_gateway.hpp"

namespace otaflow::sim::testing {

/// A PoR as a real card sends it (TS 31.115 §4.4 layout,
/// docs/standards/ts102225-secured-packets.md §9): RPI 02 71 00, RPL 000E, RHL 0A, TAR B00001,
/// CNTR 0000000001, PCNTR 00, status 00, data 01 9000.
inline bytes canned_por() {
  return hex(
      "027100"
      "000e"
      "0a"
      "b00001"
      "0000000001"
      "00"
      "00"
      "019000");
}

/// An RP-ACK DELIVER-REPORT with TP-PID 7F, TP-DCS F6 and `ud` (UDHI clear, as a UICC's
/// response is passed on by the ME: GSM 03.48 §6.1).
inline bytes ack_report(const bytes& ud) {
  codec::tpdu::sms_deliver_report r;
  r.pid = 0x7F;
  r.dcs = 0xF6;
  r.ud = ud;
  return codec::tpdu::encode(r).value();
}

/// An RP-ERROR DELIVER-REPORT with TP-FCS and optional user data.
inline bytes error_report(std::uint8_t fcs, const bytes& ud = {}) {
  codec::tpdu::sms_deliver_report r;
  r.fcs = fcs;
  if (!ud.empty()) {
    r.pid = 0x7F;
    r.dcs = 0xF6;
    r.ud = ud;
  }
  return codec::tpdu::encode(r).value();
}

/// An MO SMS-SUBMIT as a UICC builds for a PoR by SMS-SUBMIT (TS 31.115 §4.4, UDHI set).
inline bytes mo_submit(const bytes& ud) {
  codec::tpdu::sms_submit s;
  s.udhi = true;
  s.mr = 1;
  s.da = {1, 1, "4670000000"};
  s.pid = 0x7F;
  s.dcs = 0xF6;
  s.ud = ud;
  return codec::tpdu::encode(s).value();
}

class fake_gateway : public card_gateway {
 public:
  using handler = std::function<mt_outcome(std::string_view msisdn, int call)>;

  fake_gateway() {
    on_ = [](std::string_view, int) {
      mt_outcome o;
      o.deliver_report_tpdu = ack_report(canned_por());
      return o;
    };
  }

  /// Replaces the answer function (call = 0-based call count for that MSISDN).
  void answer(handler h) {
    std::lock_guard lk(mu_);
    on_ = std::move(h);
  }

  mt_outcome deliver(std::string_view msisdn, byte_view tpdu) override {
    handler h;
    int call = 0;
    {
      std::lock_guard lk(mu_);
      received_.emplace_back(std::string(msisdn), bytes(tpdu.begin(), tpdu.end()));
      for (const auto& r : received_) call += r.first == msisdn ? 1 : 0;
      h = on_;
    }
    cv_.notify_all();
    return h(msisdn, call - 1);
  }

  /// Every (msisdn, SMS-DELIVER TPDU) received so far.
  std::vector<std::pair<std::string, bytes>> received() {
    std::lock_guard lk(mu_);
    return received_;
  }

  /// Number of deliver() calls so far.
  std::size_t calls() {
    std::lock_guard lk(mu_);
    return received_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  handler on_;
  std::vector<std::pair<std::string, bytes>> received_;
};

}  // namespace otaflow::sim::testing
