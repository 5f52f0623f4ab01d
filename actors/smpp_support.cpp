#include "actors/smpp_support.hpp"

#include "actors/smpp_client.hpp"
#include "base/bytes.hpp"
#include "codec/smpp34_pdu.hpp"

namespace otaflow::actors {
namespace detail {

namespace smpp = codec::smpp;

std::string mo_originator(const std::string& source_addr) {
  return !source_addr.empty() && source_addr.front() == '+' ? source_addr.substr(1) : source_addr;
}

bool status_retriable(smpp::command_status s) {
  switch (s) {
    case smpp::command_status::esme_rsyserr:
    case smpp::command_status::esme_rsubmitfail:
    case smpp::command_status::esme_rx_t_appn:
    case smpp::command_status::esme_runknownerr:
      return true;
    default:
      return false;
  }
}

std::string status_text(smpp::command_status s) {
  auto n = smpp::status_name(s);
  const auto code = "0x" + to_hex(static_cast<std::uint32_t>(s), 8, hex_case::upper);
  return n.empty() ? code : std::string(n) + " (" + code + ")";
}

}  // namespace detail

smpp_stats& operator+=(smpp_stats& into, const smpp_stats& x) noexcept {
  into.connects += x.connects;
  into.binds += x.binds;
  into.bind_failures += x.bind_failures;
  into.disconnects += x.disconnects;
  into.submits += x.submits;
  into.submit_ok += x.submit_ok;
  into.submit_failed += x.submit_failed;
  into.throttled += x.throttled;
  into.lost += x.lost;
  into.receipts += x.receipts;
  into.mo += x.mo;
  into.enquire_links += x.enquire_links;
  into.window += x.window;
  return into;
}

}  // namespace otaflow::actors
