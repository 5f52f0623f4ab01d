#include "sim/ota_sms_pp.hpp"

#include <algorithm>
#include <array>

#include "codec/iso7816_sw.hpp"
#include "codec/tlv.hpp"
#include "codec/ts23040_udh.hpp"
#include "secure/scp80.hpp"
#include "secure/scp80_algorithm.hpp"
#include "sim/ota_rfm.hpp"

namespace otaflow::sim {

namespace tp = codec::tpdu;
using codec::por_status;

namespace {

constexpr std::uint8_t rpi_udh[] = {0x02, codec::iei::response_packet, 0x00};

/// Keysets of a card in the form secure::inspect_command looks them up, built on demand
/// for the key versions the application allows, and wiped afterwards.
class keyset_cache {
 public:
  keyset_cache(const uicc_data& card, const tar_application& app) : card_(card), app_(app) {}
  keyset_cache(const keyset_cache&) = delete;
  keyset_cache& operator=(const keyset_cache&) = delete;
  ~keyset_cache() {
    for (auto& k : sets_)
      if (k) {
        secure_wipe(k->kic_key);
        secure_wipe(k->kid_key);
      }
  }

  const secure::keyset* get(std::uint8_t v) {
    if (v == 0 || v > 15 || !app_.allows_keyset(v)) return nullptr;
    const ota_keyset* ks = card_.keyset(v);  // a PUT KEY's keysets once it ran
    if (!ks) return nullptr;
    if (!sets_[v]) sets_[v] = secure::keyset{v, ks->kic, ks->kid};
    return &*sets_[v];
  }

 private:
  const uicc_data& card_;
  const tar_application& app_;
  std::array<std::optional<secure::keyset>, 16> sets_;
};

/// Everything needed to build the PoR of one command packet.
struct por_plan {
  codec::spi spi;
  std::uint8_t kic = 0;
  std::uint8_t kid = 0;
  std::uint32_t tar = 0;
  std::uint64_t counter = 0;
  std::size_t cc_length = 8;
  const secure::keyset* kic_set = nullptr;
  const secure::keyset* kid_set = nullptr;
};

/// PoR mode and transport from a raw SPI whose decoding failed (status 06 still needs to
/// travel somewhere): b2-b1 of octet 2 (11 read as "PoR"), b6 for SMS-SUBMIT.
codec::spi fallback_spi(std::uint16_t raw) {
  codec::spi s;
  const std::uint8_t o2 = static_cast<std::uint8_t>(raw);
  s.por = (o2 & 0x3) == 0   ? codec::por_mode::none
          : (o2 & 0x3) == 2 ? codec::por_mode::on_error
                            : codec::por_mode::always;
  s.por_via_submit = (o2 & 0x20) != 0;
  return s;
}

/// Whether the card can protect a PoR as SPI octet 2 asks with the command's KIc/KID.
bool por_securable(const codec::spi& s, std::uint8_t kic, std::uint8_t kid, std::size_t cc_len,
                   keyset_cache& keys) {
  if (s.por == codec::por_mode::none) return true;
  if (s.por_ciphered) {
    auto a = secure::cipher_from_kic(kic);
    const auto* ks = keys.get(static_cast<std::uint8_t>(kic >> 4));
    if (!a || !ks || !secure::check_key(*a, ks->kic_key.size())) return false;
  }
  switch (s.por_integrity) {
    case codec::integrity::none:
      return true;
    case codec::integrity::rc:
      return secure::rc_from_kid(kid).ok();
    case codec::integrity::cc: {
      auto a = secure::cc_from_kid(kid);
      const auto* ks = keys.get(static_cast<std::uint8_t>(kid >> 4));
      return a && ks && secure::check_key(*a, ks->kid_key.size()) && cc_len >= 4 &&
             cc_len <= secure::block_size(*a);
    }
    case codec::integrity::ds:
      return false;
  }
  return false;
}

std::vector<bytes> por_submits(byte_view packet, const tp::address& da, std::uint8_t reference) {
  std::vector<bytes> out;
  codec::concat_options opts;
  opts.reference = reference;
  auto uds = codec::response_to_tp_ud(packet, opts);
  if (!uds) return out;
  for (auto& ud : *uds) {
    // TS 31.115 §4 / TS 23.040 §9.2.2.2: an SMS-SUBMIT to the command's originator, PID
    // (U)SIM data download, 8-bit class 2, UDHI set; no validity period.
    tp::sms_submit s;
    s.udhi = true;
    s.mr = 0;
    s.da = da;
    s.pid = tp::pid_usim_data_download;
    s.dcs = tp::dcs_8bit_class2_f;
    s.ud = std::move(ud);
    auto enc = tp::encode(s);
    if (enc) out.push_back(std::move(*enc));
  }
  return out;
}

/// The command packet of an SM that carries a whole one (what the card would reassemble at
/// once), or nullopt: not (U)SIM data download, no IE 70, or a part of a concatenation.
std::optional<bytes> single_command_packet(byte_view tpdu) {
  auto d = tp::decode_deliver(tpdu);
  if (!d || d->pid != tp::pid_usim_data_download || tp::dcs_message_class(d->dcs) != 2)
    return std::nullopt;
  if (!d->udhi || tp::dcs_alphabet(d->dcs) != tp::alphabet::eight_bit) return std::nullopt;
  auto split = codec::split_ud(d->ud);
  if (!split) return std::nullopt;
  const auto& udh = split->header;
  if (!udh.has(codec::iei::command_packet) || udh.has(codec::iei::concat_8bit) ||
      udh.has(codec::iei::concat_16bit))
    return std::nullopt;
  return bytes(split->body.begin(), split->body.end());
}

/// Whether a recorded keyset is the one a lookup gives now (both absent, or equal keys).
bool same_keyset(const std::optional<secure::keyset>& a, const secure::keyset* b) noexcept {
  if (!a || !b) return !a && !b;
  return a->version == b->version && equal_ct(a->kic_key, b->kic_key) &&
         equal_ct(a->kid_key, b->kid_key);
}

}  // namespace

preopened_command::~preopened_command() {
  for (auto* k : {&kic_set, &kid_set}) {
    if (*k) {
      secure_wipe((*k)->kic_key);
      secure_wipe((*k)->kid_key);
    }
  }
  secure_wipe(report.command.data);
}

bool preopened_command::matches(byte_view p, const secure::keyset* kic,
                                const secure::keyset* kid) const noexcept {
  return p.size() == packet.size() && std::equal(p.begin(), p.end(), packet.begin()) &&
         same_keyset(kic_set, kic) && same_keyset(kid_set, kid);
}

std::vector<std::optional<preopened_command>> preopen_commands(
    std::span<const preopen_request> requests, const card_profile& profile,
    secure::crypto_backend& backend) {
  std::vector<std::optional<preopened_command>> out(requests.size());
  std::vector<std::size_t> which;
  which.reserve(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const auto& rq = requests[i];
    if (!rq.identity) continue;
    auto packet = single_command_packet(rq.sms_deliver_tpdu);
    if (!packet || packet->size() < codec::command_clear_size) continue;
    // The checks process_command_packet makes before opening: the TAR's application and
    // its minimum security level (09 and 0A need no crypto).
    const auto& pk = *packet;
    const std::uint32_t tar = (std::uint32_t{pk[7]} << 16) | (std::uint32_t{pk[8]} << 8) | pk[9];
    const tar_application* app = profile.find(tar);
    if (!app) continue;
    auto spi = codec::decode_spi(static_cast<std::uint16_t>((pk[3] << 8) | pk[4]));
    if (!spi || !meets(*spi, app->msl)) continue;
    // The keysets keyset_cache::get gives for KIc's and KID's key versions.
    auto get = [&](std::uint8_t v) -> std::optional<secure::keyset> {
      if (v == 0 || v > 15 || !app->allows_keyset(v)) return std::nullopt;
      const ota_keyset* ks = rq.identity->keyset(v);
      if (!ks) return std::nullopt;
      return secure::keyset{v, ks->kic, ks->kid};
    };
    preopened_command pc;
    pc.kic_set = get(static_cast<std::uint8_t>(pk[5] >> 4));
    pc.kid_set = get(static_cast<std::uint8_t>(pk[6] >> 4));
    pc.packet = std::move(*packet);
    out[i] = std::move(pc);
    which.push_back(i);
  }
  if (which.empty()) return out;
  std::vector<secure::command_to_inspect> items;
  items.reserve(which.size());
  for (std::size_t i : which) {
    const preopened_command& pc = *out[i];
    const secure::keyset* kic = pc.kic_set ? &*pc.kic_set : nullptr;
    const secure::keyset* kid = pc.kid_set ? &*pc.kid_set : nullptr;
    items.push_back({pc.packet, [kic, kid](std::uint32_t, std::uint8_t v) -> const secure::keyset* {
                       if (kic && kic->version == v) return kic;
                       if (kid && kid->version == v) return kid;
                       return nullptr;
                     }});
  }
  auto reports = secure::inspect_commands(items, backend);
  for (std::size_t k = 0; k < which.size(); ++k) out[which[k]]->report = std::move(reports[k]);
  return out;
}

packet_outcome process_command_packet(uicc_data& card, const card_profile& profile,
                                      byte_view packet, const tp::address& originator,
                                      preopened_command* preopened) {
  packet_outcome out;
  if (packet.size() < codec::command_clear_size) {
    // Not even SPI and TAR: there is nothing to address a PoR to.
    out.status = por_status::unidentified_security_error;
    card.state().set_last_por_status(static_cast<std::uint8_t>(*out.status));
    return out;
  }
  por_plan plan;
  const auto spi_raw = static_cast<std::uint16_t>((packet[3] << 8) | packet[4]);
  plan.kic = packet[5];
  plan.kid = packet[6];
  plan.tar = (std::uint32_t{packet[7]} << 16) | (std::uint32_t{packet[8]} << 8) | packet[9];
  plan.cc_length = profile.por_cc_length;
  auto spi = codec::decode_spi(spi_raw);
  plan.spi = spi ? *spi : fallback_spi(spi_raw);

  auto finish = [&](por_status st, bool secured, byte_view data) -> packet_outcome& {
    out.status = st;
    card.state().set_last_por_status(static_cast<std::uint8_t>(st));
    if (plan.spi.por == codec::por_mode::none) return out;
    if (plan.spi.por == codec::por_mode::on_error && st == por_status::ok) return out;
    secure::response_params rp;
    rp.security.spi = plan.spi;
    if (!secured) {
      rp.security.spi.por_ciphered = false;
      rp.security.spi.por_integrity = codec::integrity::none;
    }
    rp.security.kic = plan.kic;
    rp.security.kid = plan.kid;
    if (plan.kic_set) rp.security.kic_key = plan.kic_set->kic_key;
    if (plan.kid_set) rp.security.kid_key = plan.kid_set->kid_key;
    rp.security.cc_length = plan.cc_length;
    rp.security.cc_input = profile.por_cc_input;
    rp.tar = plan.tar;
    rp.counter = plan.counter;
    rp.status = st;
    auto pkt = secure::secure_response(rp, data);
    if (!pkt) {
      // Checked beforehand (por_securable); keep the card answering if it still fails.
      rp.status = por_status::unidentified_security_error;
      pkt = secure::secure_response(rp, {});
      if (!pkt) return out;
    }
    const auto ref = static_cast<std::uint8_t>(plan.counter);
    if (plan.spi.por_via_submit) {
      out.submits = por_submits(*pkt, originator, ref);
      return out;
    }
    bytes ud(std::begin(rpi_udh), std::end(rpi_udh));
    ud.insert(ud.end(), pkt->begin(), pkt->end());
    if (ud.size() <= profile.max_report_ud) {
      out.report_ud = std::move(ud);
      return out;
    }
    // Too long for the DELIVER-REPORT: status 0B there (TS 31.115: the actual response is
    // sent by SMS-SUBMIT), the full PoR by SMS-SUBMIT, concatenated as needed.
    out.submits = por_submits(*pkt, originator, ref);
    rp.status = por_status::response_by_sms_submit;
    auto short_por = secure::secure_response(rp, {});
    if (short_por) {
      out.report_ud.assign(std::begin(rpi_udh), std::end(rpi_udh));
      out.report_ud.insert(out.report_ud.end(), short_por->begin(), short_por->end());
    }
    return out;
  };
  constexpr auto e06 = por_status::unidentified_security_error;

  if (!spi) return finish(e06, false, {});
  auto hdr = codec::parse_command_packet(packet);
  if (!hdr) return finish(e06, false, {});
  if (!spi->ciphered) {
    // Echo the counter of an unciphered packet in early error PoRs.
    if (auto in = codec::parse_command_inner(hdr->secured, hdr->integrity_length()))
      plan.counter = in->counter;
  }

  const tar_application* app = profile.find(plan.tar);
  if (!app) return finish(por_status::tar_unknown, false, {});
  if (!meets(*spi, app->msl)) return finish(por_status::insufficient_security_level, false, {});

  keyset_cache keys(card, *app);
  const secure::key_lookup lookup = [&keys](std::uint32_t, std::uint8_t v) { return keys.get(v); };
  secure::command_report report;
  if (preopened && preopened->matches(packet, keys.get(static_cast<std::uint8_t>(plan.kic >> 4)),
                                      keys.get(static_cast<std::uint8_t>(plan.kid >> 4)))) {
    report = std::move(preopened->report);  // opened in the fleet's crypto batch
    preopened->used = true;
  } else {
    report = secure::inspect_command(packet, lookup);
  }
  if (report.counter_known) plan.counter = report.command.counter;
  if (report.status != por_status::ok) return finish(report.status, false, {});

  if (spi->command_integrity == codec::integrity::cc) plan.cc_length = hdr->integrity_length();
  plan.kic_set = keys.get(static_cast<std::uint8_t>(plan.kic >> 4));
  plan.kid_set = keys.get(static_cast<std::uint8_t>(plan.kid >> 4));
  if (!por_securable(*spi, plan.kic, plan.kid, plan.cc_length, keys)) return finish(e06, false, {});

  const std::uint8_t keyset = spi->command_integrity != codec::integrity::none
                                  ? static_cast<std::uint8_t>(plan.kid >> 4)
                              : spi->ciphered ? static_cast<std::uint8_t>(plan.kic >> 4)
                                              : std::uint8_t{0};
  const std::uint64_t stored = card.state().counter(keyset);
  const auto cst = secure::check_counter(spi->counter, stored, plan.counter);
  if (cst != por_status::ok) return finish(cst, true, {});
  switch (spi->counter) {
    case codec::counter_mode::none:
      break;
    case codec::counter_mode::no_check:
      if (plan.counter > stored) card.state().set_counter(keyset, plan.counter);
      break;
    case codec::counter_mode::higher:
    case codec::counter_mode::one_higher:
      card.state().set_counter(keyset, plan.counter);
      break;
  }

  const bytes response = run_remote_script(card, profile, *app, report.command.data, keyset);
  secure_wipe(report.command.data);
  return finish(por_status::ok, true, response);
}

result<bytes> sms_pp_envelope_data(byte_view tpdu, const std::optional<tp::address>& sc) {
  byte_writer inner;
  OTAFLOW_TRY(codec::comprehension_tlv_encode({0x02, true, false, {0x83, 0x81}}, inner));
  if (sc) {
    byte_writer a;
    OTAFLOW_TRY(tp::encode_sc_address(*sc, a));
    // TS 102 223 §8.1: TON/NPI and the BCD digits, without the RP length octet.
    bytes v(a.data().begin() + 1, a.data().end());
    OTAFLOW_TRY(codec::comprehension_tlv_encode({0x06, true, false, std::move(v)}, inner));
  }
  OTAFLOW_TRY(
      codec::comprehension_tlv_encode({0x0B, true, false, bytes(tpdu.begin(), tpdu.end())}, inner));
  byte_writer w;
  OTAFLOW_TRY(codec::ber_encode(0xD1, inner.data(), w));
  return w.take();
}

envelope_outcome sms_pp_download(uicc_data& card, const card_profile& profile,
                                 codec::packet_reassembler& reassembler, byte_view data,
                                 preopened_command* preopened) {
  envelope_outcome o;
  o.response.sw = codec::sw::ok;
  auto fail = [&o](std::uint16_t s) -> envelope_outcome& {
    o.response = {{}, s};
    return o;
  };
  auto top = codec::ber_decode_view(data);
  if (!top || top->tag != 0xD1 || top->encoded_size != data.size())
    return fail(codec::sw::wrong_data);
  auto items = codec::comprehension_tlv_decode_all(top->value);
  if (!items) return fail(codec::sw::wrong_data);
  const bytes* tpdu = nullptr;
  for (const auto& i : *items) {
    if (i.tag == 0x02 && i.value.size() != 2) return fail(codec::sw::wrong_data);
    if (i.tag == 0x0B && !tpdu) tpdu = &i.value;
  }
  if (!tpdu) return fail(codec::sw::wrong_data);
  auto d = tp::decode_deliver(*tpdu);
  if (!d) return fail(codec::sw::technical_problem);
  // A secured packet is 8-bit data with a UDH holding IE 70 (or a concatenation IE).
  if (!d->udhi || tp::dcs_alphabet(d->dcs) != tp::alphabet::eight_bit) return o;
  auto split = codec::split_ud(d->ud);
  if (!split) return fail(codec::sw::technical_problem);
  const auto& udh = split->header;
  if (!udh.has(codec::iei::command_packet) && !udh.has(codec::iei::concat_8bit) &&
      !udh.has(codec::iei::concat_16bit))
    return o;
  auto r = reassembler.add(d->oa.digits, d->ud);
  if (!r) return fail(codec::sw::technical_problem);
  if (!*r || (*r)->kind != codec::packet_kind::command) return o;
  auto p = process_command_packet(card, profile, (*r)->packet, d->oa, preopened);
  o.response.data = std::move(p.report_ud);
  o.submits = std::move(p.submits);
  o.status = p.status;
  return o;
}

}  // namespace otaflow::sim
