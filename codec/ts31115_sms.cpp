// 3GPP TS 31.115 §4 SMS-PP binding of secured packets: UDH identifiers and concatenation.

#include "codec/ts31115_sms.hpp"

#include <algorithm>

namespace otaflow::codec {
namespace {

std::string num(std::size_t v) {
  return std::to_string(v);
}

result<std::vector<bytes>> packet_to_tp_ud(std::uint8_t identifier, byte_view packet,
                                           const concat_options& opts) {
  const information_element id_ie{identifier, {}};
  std::vector<bytes> out;
  if (packet.size() <= max_single_packet) {
    bytes ud;
    byte_writer w(ud);
    OTAFLOW_TRY(encode(user_data_header{{id_ie}}, w));
    w.append(packet);
    out.push_back(std::move(ud));
    return out;
  }
  if (!opts.ref16 && opts.reference > 0xFF)
    return make_error(errc::bad_argument, "concatenation reference " + num(opts.reference) +
                                              " needs a 16-bit reference (IEI 08)");
  // UDH sizes: UDHL + concat IE (5 or 6) [+ identifier IE (2) in the first SM].
  const std::size_t concat_ie = opts.ref16 ? 6 : 5;
  const std::size_t first_room = max_tp_ud - (1 + concat_ie + 2);
  const std::size_t next_room = max_tp_ud - (1 + concat_ie);
  const std::size_t total = 1 + (packet.size() - first_room + next_room - 1) / next_room;
  if (total > 255)
    return make_error(errc::too_long, "packet of " + num(packet.size()) + " octets needs " +
                                          num(total) + " short messages (max 255)");
  std::size_t pos = 0;
  for (std::size_t seq = 1; seq <= total; ++seq) {
    const std::size_t room = seq == 1 ? first_room : next_room;
    const std::size_t n = std::min(room, packet.size() - pos);
    auto concat = make_concat({opts.reference, static_cast<std::uint8_t>(total),
                               static_cast<std::uint8_t>(seq), opts.ref16});
    if (!concat) return std::move(concat).error();
    user_data_header udh;
    if (seq == 1 && opts.order == first_sm_order::identifier_first) udh.elements.push_back(id_ie);
    udh.elements.push_back(std::move(*concat));
    if (seq == 1 && opts.order == first_sm_order::concat_first) udh.elements.push_back(id_ie);
    bytes ud;
    byte_writer w(ud);
    OTAFLOW_TRY(encode(udh, w));
    w.append(packet.subspan(pos, n));
    pos += n;
    out.push_back(std::move(ud));
  }
  return out;
}

}  // namespace

result<std::vector<bytes>> command_to_tp_ud(byte_view packet, const concat_options& opts) {
  return packet_to_tp_ud(iei::command_packet, packet, opts);
}

result<std::vector<bytes>> response_to_tp_ud(byte_view packet, const concat_options& opts) {
  return packet_to_tp_ud(iei::response_packet, packet, opts);
}

result<byte_view> command_from_tp_ud(byte_view tp_ud) {
  auto split = split_ud(tp_ud);
  if (!split) return std::move(split).error();
  if (!split->header.has(iei::command_packet))
    return make_error(errc::bad_value, "TP-UD: the UDH holds no command packet identifier (70)");
  if (split->header.has(iei::concat_8bit) || split->header.has(iei::concat_16bit))
    return make_error(errc::bad_value, "TP-UD: part of a concatenated packet; reassemble it first");
  return split->body;
}

result<byte_view> response_from_tp_ud(byte_view in) {
  auto split = split_ud(in);
  if (split && split->header.has(iei::response_packet)) return split->body;
  // A bare response packet starts with RPL, which must count the octets after it.
  if (in.size() >= 2 && static_cast<std::size_t>((in[0] << 8) | in[1]) == in.size() - 2) return in;
  return make_error(errc::bad_value,
                    "PoR: neither a TP-UD with IE 71 nor a response packet "
                    "whose RPL matches its " +
                        num(in.size()) + " octets");
}

packet_reassembler::packet_reassembler(std::size_t max_pending)
    : max_pending_(std::max<std::size_t>(max_pending, 1)) {}

std::size_t packet_reassembler::expire(std::int64_t before_ms) {
  return std::erase_if(pending_, [&](const auto& kv) { return kv.second.first_ms < before_ms; });
}

result<std::optional<reassembled_packet>> packet_reassembler::add(std::string_view originator,
                                                                  byte_view tp_ud,
                                                                  std::int64_t now_ms) {
  if (tp_ud.size() > max_tp_ud)
    return make_error(errc::too_long, "SM from " + std::string(originator) + ": TP-UD of " +
                                          num(tp_ud.size()) + " octets exceeds 140");
  auto split = split_ud(tp_ud);
  if (!split) return std::move(split).error();
  const auto& udh = split->header;
  std::optional<packet_kind> kind;
  if (udh.has(iei::command_packet)) kind = packet_kind::command;
  if (udh.has(iei::response_packet)) {
    if (kind)
      return make_error(errc::bad_value,
                        "SM from " + std::string(originator) + ": UDH holds both 70 and 71");
    kind = packet_kind::response;
  }

  const information_element* concat_ie = udh.find(iei::concat_16bit);
  if (!concat_ie) concat_ie = udh.find(iei::concat_8bit);
  if (!concat_ie) {
    if (!kind)
      return make_error(errc::bad_value, "SM from " + std::string(originator) +
                                             ": UDH holds no packet identifier (70/71)");
    return std::optional<reassembled_packet>(
        reassembled_packet{*kind, bytes(split->body.begin(), split->body.end()), 1});
  }
  auto info = decode_concat(*concat_ie);
  if (!info) return std::move(info).error();
  if (info->sequence == 1 && !kind)
    return make_error(errc::bad_value, "SM 1 of " + num(info->total) + " from " +
                                           std::string(originator) +
                                           ": UDH holds no packet identifier (70/71)");

  key k{std::string(originator), info->reference, info->ref16};
  auto it = pending_.find(k);
  if (it != pending_.end()) {
    partial& p = it->second;
    if (p.total != info->total)
      return make_error(errc::conflict, "SM " + num(info->sequence) + " from " + k.originator +
                                            " ref " + num(k.reference) + ": total " +
                                            num(info->total) + " disagrees with " + num(p.total) +
                                            " of earlier parts");
    if (p.parts[info->sequence - 1])
      return make_error(errc::conflict, "SM " + num(info->sequence) + " of " + num(p.total) +
                                            " from " + k.originator + " ref " + num(k.reference) +
                                            " is a duplicate");
    if (kind && p.kind && *kind != *p.kind)
      return make_error(errc::conflict, "SM " + num(info->sequence) + " from " + k.originator +
                                            ": packet identifier disagrees with part 1");
  } else {
    if (pending_.size() >= max_pending_) {
      auto oldest = std::min_element(pending_.begin(), pending_.end(),
                                     [](auto& a, auto& b) { return a.second.age < b.second.age; });
      pending_.erase(oldest);
      ++evicted_;
    }
    partial p;
    p.total = info->total;
    p.parts.resize(info->total);
    p.age = next_age_++;
    p.first_ms = now_ms;
    it = pending_.emplace(k, std::move(p)).first;
  }
  partial& p = it->second;
  if (kind) p.kind = kind;
  p.parts[info->sequence - 1] = bytes(split->body.begin(), split->body.end());
  ++p.received;
  if (p.received < p.total) return std::optional<reassembled_packet>();

  reassembled_packet done;
  done.kind = *p.kind;  // part 1 is present and was required to carry 70/71
  done.parts = p.total;
  for (auto& part : p.parts) done.packet.insert(done.packet.end(), part->begin(), part->end());
  pending_.erase(it);
  return std::optional<reassembled_packet>(std::move(done));
}

}  // namespace otaflow::codec
