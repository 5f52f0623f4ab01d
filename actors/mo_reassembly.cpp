#include "actors/mo_reassembly.hpp"

#include "base/log.hpp"
#include "codec/ts23040_udh.hpp"

namespace otaflow::actors {

std::optional<bytes> mo_reassembly::add(std::string_view from, bytes ud, std::int64_t now_ms) {
  // A part is a TP-UD whose UDH holds a valid concatenation IE; anything else (a single PoR,
  // a bare packet from RPL, garbage) goes on as it is and open_por() judges it.
  auto split = codec::split_ud(ud);
  if (!split || !codec::find_concat(split->header)) return ud;
  auto r = parts_.add(from, ud, now_ms);
  if (!r) {
    ++stats_.rejected;
    log::get("engine")->warn("MO from {}: concatenated PoR part rejected: {}", from,
                             r.error().message);
    return std::nullopt;
  }
  if (!*r) return std::nullopt;
  if ((*r)->kind != codec::packet_kind::response) {
    ++stats_.rejected;
    log::get("engine")->warn("MO from {}: concatenated SMs carry a command packet (70), not a PoR",
                             from);
    return std::nullopt;
  }
  ++stats_.reassembled;
  bytes out{0x02, codec::iei::response_packet, 0x00};
  out.insert(out.end(), (*r)->packet.begin(), (*r)->packet.end());
  return out;
}

std::size_t mo_reassembly::expire(std::int64_t now_ms) {
  const auto n = parts_.expire(now_ms - max_age_ms_);
  if (n > 0) {
    stats_.expired += n;
    log::get("engine")->warn("{} concatenated PoR(s) dropped incomplete after {} s", n,
                             max_age_ms_ / 1000);
  }
  return n;
}

mo_reassembly_stats mo_reassembly::stats() const noexcept {
  auto s = stats_;
  s.evicted = parts_.evicted();
  return s;
}

}  // namespace otaflow::actors
