#include "actors/ota_packets.hpp"

#include "codec/iso7816_apdu.hpp"
#include "codec/ts102225_packet.hpp"
#include "codec/ts102225_spi.hpp"
#include "codec/ts102226_script.hpp"
#include "codec/ts31115_sms.hpp"
#include "secure/scp80.hpp"

namespace otaflow::actors {
namespace {

// ISO 7816-4 §7.1.1 SELECT: P1 00 = by file identifier; P2 0C = no response data.
// TS 51.011 §9.2.1 (CLA A0) knows only P1 = P2 = 00.
codec::command_apdu select_fid(std::uint8_t cla, std::uint16_t fid) {
  codec::command_apdu a;
  a.cla = cla;
  a.ins = 0xA4;
  a.p1 = 0x00;
  a.p2 = cla == 0xA0 ? 0x00 : 0x0C;
  a.data = {static_cast<std::uint8_t>(fid >> 8), static_cast<std::uint8_t>(fid)};
  return a;
}

// Appends SELECTs for a path, skipping the common prefix with the previous path
// (the card keeps its current directory between commands of one script).
void select_path(std::vector<codec::command_apdu>& out, std::uint8_t cla,
                 const std::vector<std::uint16_t>& path, std::vector<std::uint16_t>& current) {
  std::size_t common = 0;
  // Only directories can be shared; the last element is always selected again.
  while (common + 1 < path.size() && common < current.size() && current[common] == path[common] &&
         common + 1 < current.size()) {
    ++common;
  }
  if (common == 0) {
    for (auto fid : path) out.push_back(select_fid(cla, fid));
  } else {
    for (std::size_t i = common; i < path.size(); ++i) out.push_back(select_fid(cla, path[i]));
  }
  current = path;
}

result<bytes> encode_script(const std::vector<codec::command_apdu>& cmds, script_format f) {
  if (f == script_format::compact) return codec::compact_script(cmds);
  return codec::expanded_script(cmds);
}

}  // namespace

result<std::shared_ptr<campaign_ctx>> prepare_campaign(campaign_def def) {
  std::vector<codec::command_apdu> cmds;
  const auto cla = def.update.cla;
  std::vector<std::uint16_t> current;
  for (const auto& f : def.update.files) {
    select_path(cmds, cla, f.path, current);
    codec::command_apdu u;
    u.cla = cla;
    u.ins = 0xD6;  // UPDATE BINARY, ISO 7816-4 §7.2.5; P1-P2 = offset (b8 of P1 = 0)
    u.p1 = static_cast<std::uint8_t>(f.offset >> 8);
    u.p2 = static_cast<std::uint8_t>(f.offset);
    u.data = f.data;
    cmds.push_back(std::move(u));
  }
  for (const auto& r : def.update.records) {
    select_path(cmds, cla, r.path, current);
    codec::command_apdu u;
    u.cla = cla;
    u.ins = 0xDC;  // UPDATE RECORD, ISO 7816-4 §7.3.5; P2 = 04 absolute / current
    u.p1 = r.record;
    u.p2 = 0x04;
    u.data = r.data;
    cmds.push_back(std::move(u));
  }
  for (const auto& raw : def.update.apdus) {
    auto a = codec::decode_command_apdu(raw);
    if (!a) return make_error(errc::bad_value, "update.apdus: " + a.error().message);
    cmds.push_back(std::move(a).value());
  }
  if (cmds.size() > 255) {
    return make_error(errc::too_long, "the script has " + std::to_string(cmds.size()) +
                                          " commands; at most 255 fit a PoR's count");
  }
  auto script = encode_script(cmds, def.update.format);
  if (!script)
    return make_error(errc::bad_value, "cannot encode the script: " + script.error().message);
  // One command packet carries the whole script; 65535 octets is CPL's limit and far
  // beyond what an SMS concatenation of 255 parts holds.
  if (script->size() > 255 * 130) {
    return make_error(errc::too_long, "the script is " + std::to_string(script->size()) +
                                          " octets; too long for one concatenated SMS");
  }
  auto spi = codec::decode_spi(def.security.spi);
  if (!spi) return make_error(errc::bad_value, "security.spi: " + spi.error().message);
  auto ctx = std::make_shared<campaign_ctx>();
  ctx->def = std::move(def);
  ctx->script = std::move(script).value();
  ctx->commands = static_cast<std::uint8_t>(cmds.size());
  return ctx;
}

std::vector<result<packaged>> ota_packet_factory::package(
    std::span<const package_request> requests) {
  std::vector<result<packaged>> out;
  out.reserve(requests.size());
  // 1. Counters for the whole batch in one synced write: a crash after this point
  //    never reuses them.
  // Cards that cannot be served fail permanently and use no counter.
  std::vector<storage::counter_request> creq;
  creq.reserve(requests.size());
  for (const auto& r : requests) {
    if (r.card->problem.empty()) creq.push_back({r.card->iccid, r.campaign->def.security.keyset()});
  }
  auto reserved = counters_.next(creq);
  if (!reserved) {
    for (std::size_t i = 0; i < requests.size(); ++i) {
      out.emplace_back(make_error(errc::io, "reserving counters: " + reserved.error().message,
                                  reserved.error().cls));
    }
    return out;
  }
  std::vector<std::uint64_t> counters(requests.size(), 0);
  for (std::size_t i = 0, k = 0; i < requests.size(); ++i) {
    if (requests[i].card->problem.empty()) counters[i] = (*reserved)[k++];
  }
  // 2. SCP80 for the batch.
  std::vector<secure::command_request> sreq;
  sreq.reserve(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const auto& r = requests[i];
    const auto& sec = r.campaign->def.security;
    secure::command_request c;
    if (!r.card->problem.empty()) {
      sreq.push_back(c);  // placeholder; its result is replaced below
      continue;
    }
    c.params.spi = *codec::decode_spi(sec.spi);  // validated by prepare_campaign
    c.params.kic = sec.kic;
    c.params.kid = sec.kid;
    c.params.tar = sec.tar;
    c.params.counter = counters[i];
    c.params.kic_key = r.card->kic_key.view();
    c.params.kid_key = r.card->kid_key.view();
    c.params.cc_length = sec.cc_length;
    c.data = r.campaign->script;
    sreq.push_back(c);
  }
  auto packets = secure::secure_commands(sreq, backend_);
  // 3. The SMS binding (TS 31.115): one or more TP-UDs per packet.
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (!requests[i].card->problem.empty()) {
      out.emplace_back(make_error(errc::not_found, requests[i].card->problem));
      continue;
    }
    if (!packets[i]) {
      out.emplace_back(
          make_error(errc::bad_value, "securing the packet: " + packets[i].error().message));
      continue;
    }
    codec::concat_options co;
    co.reference = static_cast<std::uint16_t>(counters[i] & 0xFF);
    auto sms = codec::command_to_tp_ud(*packets[i], co);
    if (!sms) {
      out.emplace_back(make_error(errc::too_long, "splitting into SMS: " + sms.error().message));
      continue;
    }
    out.emplace_back(packaged{counters[i], std::move(sms).value()});
  }
  return out;
}

result<por_info> ota_packet_factory::open_por(const card_info& card, const campaign_ctx& campaign,
                                              byte_view user_data) {
  auto packet = codec::response_from_tp_ud(user_data);
  if (!packet) return packet.error();
  const auto& sec = campaign.def.security;
  secure::response_security rs;
  rs.spi = *codec::decode_spi(sec.spi);
  rs.kic = sec.kic;
  rs.kid = sec.kid;
  rs.kic_key = card.kic_key.view();
  rs.kid_key = card.kid_key.view();
  rs.cc_length = sec.cc_length;
  auto report = secure::inspect_response(*packet, rs);
  if (!report.header_known) return report.failure;
  if (report.response.tar != sec.tar) {
    return make_error(errc::not_found, "PoR for another TAR");
  }
  if (!report.fields_known) return report.failure;
  por_info p;
  p.counter = report.response.counter;
  p.status = static_cast<std::uint8_t>(report.response.status);
  // An unsecured error PoR is accepted as what it says (it cannot prove anything, and
  // says the packet failed); a PoR OK must be verified.
  p.verified = report.valid && (report.response.secured || p.status != 0);
  if (p.status == 0 && report.valid && !report.response.data.empty()) {
    if (campaign.def.update.format == script_format::compact) {
      auto r = codec::decode_compact_response(report.response.data);
      if (r) {
        p.script_sw = r->last_sw;
        p.executed = r->executed;
      }
    } else {
      auto r = codec::decode_expanded_response(report.response.data);
      if (r) {
        if (auto last = r->last_response()) p.script_sw = last->sw;
        p.executed = static_cast<std::uint8_t>(r->executed_count());
      }
    }
  }
  return p;
}

}  // namespace otaflow::actors
