#include "actors/ota_packets.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "actors/keyset_update.hpp"
#include "actors/ram_steps.hpp"
#include "actors/subscriber_fsm.hpp"
#include "base/log.hpp"
#include "codec/iso7816_apdu.hpp"
#include "codec/otaflow_keyfile.hpp"
#include "codec/ts102225_packet.hpp"
#include "codec/ts102225_spi.hpp"
#include "codec/ts102226_script.hpp"
#include "codec/ts31102_5gs.hpp"
#include "codec/ts31102_files.hpp"
#include "codec/ts31115_sms.hpp"
#include "secure/key_rotation.hpp"
#include "secure/scp80.hpp"

namespace otaflow::actors {
namespace {

// ISO 7816-4 §7.1.1 SELECT: P1 00 = by file identifier; P2 0C = no response data.
// TS 51.011 §9.2.1 (CLA A0) knows only P1 = P2 = 00.
codec::command_apdu select_fid(std::uint8_t cla, std::uint16_t fid) {
  codec::command_apdu a;
  a.cla = cla;
  a.ins = codec::ins::select;
  a.p1 = 0x00;
  a.p2 = cla == codec::cla::gsm ? 0x00 : 0x0C;
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

// UPDATE BINARY, ISO 7816-4 §7.2.5; P1-P2 = offset (b8 of P1 = 0).
codec::command_apdu update_binary(std::uint8_t cla, std::uint16_t offset, bytes data) {
  codec::command_apdu u;
  u.cla = cla;
  u.ins = codec::ins::update_binary;
  u.p1 = static_cast<std::uint8_t>(offset >> 8);
  u.p2 = static_cast<std::uint8_t>(offset);
  u.data = std::move(data);
  return u;
}

// TS 31.102 §4.4.11: ADF.USIM / DF.5GS / EF.SUCI_Calc_Info and EF.Routing_Indicator.
namespace fid = codec::ts31102::fid;
const std::vector<std::uint16_t> suci_calc_info_path = {fid::mf, fid::adf_usim, fid::df_5gs,
                                                        fid::ef_suci_calc_info};
const std::vector<std::uint16_t> routing_indicator_path = {fid::mf, fid::adf_usim, fid::df_5gs,
                                                           fid::ef_routing_indicator};

// Appends UPDATE BINARYs writing `content` from offset 0 in near-equal chunks of at most
// 255 octets (short APDUs).
void write_whole_file(std::vector<codec::command_apdu>& cmds, std::uint8_t cla,
                      const bytes& content) {
  const std::size_t parts = (content.size() + 254) / 255;
  const std::size_t chunk = (content.size() + parts - 1) / parts;
  for (std::size_t off = 0; off < content.size(); off += chunk) {
    const std::size_t n = std::min(chunk, content.size() - off);
    cmds.push_back(update_binary(cla, static_cast<std::uint16_t>(off),
                                 bytes(content.begin() + static_cast<std::ptrdiff_t>(off),
                                       content.begin() + static_cast<std::ptrdiff_t>(off + n))));
  }
}

}  // namespace

result<bytes> suci_calc_info_content(const suci_update_def& u) {
  codec::ts31102::ef_suci_calc_info info;
  auto add = [&](const suci_key_def& k) {
    info.keys.push_back({k.key_id, k.public_key});
    info.schemes.push_back({k.scheme_id, static_cast<std::uint8_t>(info.keys.size())});
  };
  add(u.key);
  if (!u.replace)
    for (const auto& k : u.keep) add(k);
  if (u.null_fallback) info.schemes.push_back({0, 0});
  if (auto st = codec::ts31102::check_suci_calc_info(info); !st)
    return make_error(errc::bad_value, "update.suci: " + st.error().message);
  byte_writer w;
  if (auto st = codec::ts31102::encode_suci_calc_info(info, u.file_size, w); !st)
    return make_error(st.error().code, "update.suci: " + st.error().message + " (file_size " +
                                           std::to_string(u.file_size) + ")");
  return w.take();
}

namespace {

// Builds one variant's script; errors name the variant when the campaign has [[variant]]s.
result<prepared_variant> prepare_variant(const variant_def& v, bool named) {
  const auto& def = v;  // the fields below are the variant's security and update
  auto where = [&](const std::string& msg) {
    return named ? "variant '" + v.name + "': " + msg : msg;
  };
  if (def.update.ram) {  // a job of several steps (ram_steps.hpp)
    prepared_variant out;
    out.def = v;
    if (auto st = build_ram_steps(v, out); !st)
      return make_error(errc::bad_value, where(st.error().message));
    return out;
  }
  std::vector<codec::command_apdu> cmds;
  const auto cla = def.update.cla;
  std::vector<std::uint16_t> current;
  std::vector<std::pair<std::size_t, std::size_t>> card_data_at;
  for (const auto& f : def.update.files) {
    select_path(cmds, cla, f.path, current);
    if (f.per_card != per_card_data::none)
      card_data_at.emplace_back(cmds.size(),
                                static_cast<std::size_t>(&f - def.update.files.data()));
    codec::command_apdu u;
    u.cla = cla;
    u.ins = codec::ins::update_binary;  // ISO 7816-4 §7.2.5; P1-P2 = offset (b8 of P1 = 0)
    u.p1 = static_cast<std::uint8_t>(f.offset >> 8);
    u.p2 = static_cast<std::uint8_t>(f.offset);
    u.data = f.data;
    cmds.push_back(std::move(u));
  }
  for (const auto& r : def.update.records) {
    select_path(cmds, cla, r.path, current);
    codec::command_apdu u;
    u.cla = cla;
    u.ins = codec::ins::update_record;  // ISO 7816-4 §7.3.5; P2 = 04 absolute / current
    u.p1 = r.record;
    u.p2 = 0x04;
    u.data = r.data;
    cmds.push_back(std::move(u));
  }
  if (def.update.suci) {
    // The whole EF.SUCI_Calc_Info is written, 'FF' padded, so no tail of an older, longer
    // content survives (docs/formats/suci.md §2).
    auto content = suci_calc_info_content(*def.update.suci);
    if (!content) return make_error(content.error().code, where(content.error().message));
    select_path(cmds, cla, suci_calc_info_path, current);
    write_whole_file(cmds, cla, *content);
    if (def.update.suci->routing_indicator) {
      byte_writer ri;
      const auto& digits = def.update.suci->routing_indicator;
      if (auto st = codec::ts31102::encode_routing_indicator(digits, ri); !st)
        return make_error(errc::bad_value,
                          where("update.suci.routing_indicator: " + st.error().message));
      select_path(cmds, cla, routing_indicator_path, current);
      cmds.push_back(update_binary(cla, 0, ri.take()));
    }
  }
  std::optional<std::size_t> key_file_at;
  std::size_t key_commands_n = 0;
  if (def.update.keys) {
    // Placeholders the packet factory replaces per card (actors/key_profile.hpp; the default
    // profile writes the otaflow key rotation file, docs/formats/key-rotation-file.md).
    const auto& kp = effective_key_profile(*def.update.keys);
    if (kp.method == key_write_method::file) select_path(cmds, cla, kp.path, current);
    auto kc = key_commands(kp, cla, nullptr);
    if (!kc) return make_error(kc.error().code, where("update.keys: " + kc.error().message));
    key_file_at = cmds.size();
    key_commands_n = kc->size();
    for (auto& c : *kc) cmds.push_back(std::move(c));
  }
  if (def.update.keyset) {
    // A placeholder: the packet factory builds each card's PUT KEY (keyset_update.cpp).
    cmds.push_back({0x80, 0xD8, 0x00, 0x81, bytes(1 + 3 * 23, 0x00), std::nullopt});
  }
  for (const auto& raw : def.update.apdus) {
    auto a = codec::decode_command_apdu(raw);
    if (!a) return make_error(errc::bad_value, where("update.apdus: " + a.error().message));
    cmds.push_back(std::move(a).value());
  }
  if (cmds.size() > 255) {
    return make_error(errc::too_long, where("the script has " + std::to_string(cmds.size()) +
                                            " commands; at most 255 fit a PoR's count"));
  }
  auto script = encode_script(cmds, def.update.format);
  if (!script) {
    return make_error(errc::bad_value,
                      where("cannot encode the script: " + script.error().message));
  }
  // One command packet carries the whole script; 65535 octets is CPL's limit and far
  // beyond what an SMS concatenation of 255 parts holds.
  if (script->size() > 255 * 130) {
    return make_error(errc::too_long, where("the script is " + std::to_string(script->size()) +
                                            " octets; too long for one concatenated SMS"));
  }
  auto spi = codec::decode_spi(def.security.spi);
  if (!spi) return make_error(errc::bad_value, where("security.spi: " + spi.error().message));
  prepared_variant out;
  out.def = v;
  out.script = std::move(script).value();
  out.commands = static_cast<std::uint8_t>(cmds.size());
  out.card_data_at = std::move(card_data_at);
  if (key_file_at) out.key_file_at = *key_file_at;
  out.key_commands = key_commands_n;
  if (key_file_at || !out.card_data_at.empty()) out.per_card = std::move(cmds);
  return out;
}

// A per-card variant's commands for one card: the per-card file data filled in (the key
// rotation file, if any, is the caller's).
std::vector<codec::command_apdu> card_commands(const prepared_variant& v, const card_info& card) {
  std::vector<codec::command_apdu> cmds = v.per_card;
  for (const auto& [cmd, file] : v.card_data_at)
    cmds[cmd].data = card_data(v.def.update.files[file], card.imsi);
  return cmds;
}

}  // namespace

result<std::shared_ptr<campaign_ctx>> prepare_campaign(campaign_def def) {
  auto ctx = std::make_shared<campaign_ctx>();
  for (const auto& v : effective_variants(def)) {
    auto p = prepare_variant(v, !def.variants.empty());
    if (!p) return p.error();
    ctx->variants.push_back(std::move(*p));
  }
  ctx->def = std::move(def);
  return ctx;
}

std::vector<result<packaged>> ota_packet_factory::package(
    std::span<const package_request> requests) {
  std::vector<result<packaged>> out;
  out.reserve(requests.size());
  // 1. Counters for the whole batch in one synced write: a crash after this point
  //    never reuses them. A card whose counter cannot be had (a bad row, exhausted) fails
  //    alone and for good; a failed write fails the batch (no counter was used).
  // Cards that cannot be served fail permanently and use no counter.
  std::vector<storage::counter_request> creq;
  creq.reserve(requests.size());
  for (const auto& r : requests) {
    if (r.card->problem.empty()) {
      creq.push_back(
          {r.card->iccid, r.campaign->variant_of(*r.card).def.security.keyset(), r.skip});
    }
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
  std::vector<std::optional<error>> counter_failures(requests.size());
  for (std::size_t i = 0, k = 0; i < requests.size(); ++i) {
    if (!requests[i].card->problem.empty()) continue;
    auto& c = (*reserved)[k++];
    if (c) {
      counters[i] = *c;
    } else {
      counter_failures[i] = make_error(
          c.error().code, "reserving the counter: " + c.error().message, error_class::permanent);
    }
  }
  // 1b. Key rotation (update.keys): the cards' own scripts, their new keys durable first.
  std::vector<bytes> own_scripts(requests.size());
  std::vector<std::optional<error>> own_failures = counter_failures;  // no keys for those
  rotation_scripts(requests, own_scripts, own_failures);
  keyset_scripts(requests, own_scripts, own_failures);
  // 1c. Per-card file data without a key rotation ([update.acc] from_imsi).
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const auto& r = requests[i];
    const auto& v = r.campaign->variant_of(*r.card);
    if (!r.card->problem.empty() || own_failures[i] || v.def.update.keys || v.card_data_at.empty())
      continue;
    auto script = encode_script(card_commands(v, *r.card), v.def.update.format);
    if (!script) {
      own_failures[i] = make_error(errc::bad_value, "per-card script: " + script.error().message);
      continue;
    }
    own_scripts[i] = std::move(*script);
  }
  // 1d. Multi-step variants (update.ram): the packet of the job's step (and page).
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const auto& r = requests[i];
    const auto& v = r.campaign->variant_of(*r.card);
    if (!r.card->problem.empty() || own_failures[i] || v.steps.empty()) continue;
    if (r.step >= v.steps.size()) {
      own_failures[i] =
          make_error(errc::bad_value, "step " + std::to_string(r.step + 1) + ": the variant has " +
                                          std::to_string(v.steps.size()));
      continue;
    }
    const auto& step = v.steps[r.step];
    if (r.page == 0 || step.kind != step_kind::list) {
      own_scripts[i] = step.script;
      continue;
    }
    auto script = list_page_script(step, r.page, v.def.update.format);
    if (!script) {
      own_failures[i] = make_error(errc::bad_value, "GET STATUS page: " + script.error().message);
      continue;
    }
    own_scripts[i] = std::move(*script);
  }
  // 2. SCP80 for the batch.
  std::vector<secure::command_request> sreq;
  sreq.reserve(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const auto& r = requests[i];
    const auto& variant = r.campaign->variant_of(*r.card);
    const auto& sec = variant.def.security;
    secure::command_request c;
    if (!r.card->problem.empty() || counter_failures[i]) {
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
    c.data = own_scripts[i].empty() ? byte_view(variant.script) : byte_view(own_scripts[i]);
    sreq.push_back(c);
  }
  auto packets = secure::secure_commands(sreq, backend_);
  // 3. The SMS binding (TS 31.115): one or more TP-UDs per packet.
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (!requests[i].card->problem.empty()) {
      out.emplace_back(make_error(errc::not_found, requests[i].card->problem));
      continue;
    }
    if (own_failures[i]) {
      out.emplace_back(std::move(*own_failures[i]));
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

void ota_packet_factory::rotation_scripts(std::span<const package_request> requests,
                                          std::vector<bytes>& scripts,
                                          std::vector<std::optional<error>>& failures) {
  // A card's new Ki/OPc are drawn once per (campaign, card) and kept pending, sealed, in the
  // key store before any packet carries them; a retry sends the same keys under the same
  // sequence, which the card accepts as a repeat. The card's PoR OK makes them current, a
  // failure drops them (storage_ports.cpp). No key reaches a log or an error message.
  struct work {
    std::size_t i;
    storage::pending_auth_keys keys;
    storage::secret kik;
    std::uint8_t keyset;
  };
  std::vector<work> todo;
  rocksdb::WriteBatch batch;
  bool staged = false;
  std::map<std::string, std::uint32_t> issued;  // sequences drawn in this batch, per card
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const auto& r = requests[i];
    const auto& v = r.campaign->variant_of(*r.card);
    if (!r.card->problem.empty() || !v.def.update.keys || failures[i]) continue;
    const auto& iccid = r.card->iccid;
    auto fail = [&](std::string why, error_class cls = error_class::permanent) {
      failures[i] = make_error(errc::not_found, "key rotation: " + std::move(why), cls);
    };
    const std::uint8_t keyset = v.def.security.keyset();
    if (!state_) {
      fail("the packet factory has no key store");
      continue;
    }
    if (keyset == 0) {
      fail("keyset 0 cannot carry a KIK (key versions 1..15)");
      continue;
    }
    auto ks = state_->keys().get_keyset(iccid, keyset);
    if (!ks) {
      fail(ks.error().message, ks.error().cls);
      continue;
    }
    const auto& kp = effective_key_profile(*v.def.update.keys);
    if (kp.otaflow_key_file && ks->kik.size() != 16) {
      fail("the KIK of keyset " + std::to_string(keyset) + " is not a 16-octet AES key");
      continue;
    }
    auto pending = state_->keys().get_pending(iccid, r.campaign->def.id);
    if (!pending) {
      fail(pending.error().message, pending.error().cls);
      continue;
    }
    if (!*pending) {
      const auto& want = *v.def.update.keys;
      secure::subscriber_keys current;
      if (!want.ki || !want.opc) {
        auto cur = state_->keys().get(iccid);
        const bool have = cur && cur->ki.size() == 16 && cur->opc.size() == 16;
        if (!have) {
          fail("the repository holds no 16-octet Ki and OPc to keep");
          continue;
        }
        std::copy(cur->ki.view().begin(), cur->ki.view().end(), current.ki.begin());
        std::copy(cur->opc.view().begin(), cur->opc.view().end(), current.opc.begin());
      }
      std::uint32_t last = 0;
      if (auto it = issued.find(iccid); it != issued.end()) {
        last = it->second;
      } else {
        auto seq = state_->keys().issued_sequence(iccid);
        if (!seq) {
          fail(seq.error().message, seq.error().cls);
          continue;
        }
        last = *seq;
      }
      if (last == 0xFFFFFFFF) {
        fail("the card's key rotation sequence is exhausted");
        continue;
      }
      auto drawn = secure::draw_subscriber_keys(current, want.ki, want.opc);
      if (!drawn) {
        fail(drawn.error().message, error_class::retriable);
        continue;
      }
      storage::pending_auth_keys p;
      p.ki = *storage::secret::from(drawn->ki);
      p.opc = *storage::secret::from(drawn->opc);
      p.sequence = last + 1;
      if (auto st = state_->keys().stage_pending(batch, iccid, r.campaign->def.id, p); !st) {
        fail(st.error().message, st.error().cls);
        continue;
      }
      issued[iccid] = p.sequence;
      staged = true;
      *pending = std::move(p);
    }
    todo.push_back({i, std::move(**pending), std::move(ks->kik), keyset});
  }
  if (staged) {
    if (auto st = state_->database().commit(batch, true); !st) {
      for (const auto& w : todo)
        failures[w.i] =
            make_error(errc::io, "key rotation: storing the new keys: " + st.error().message,
                       error_class::retriable);
      return;
    }
  }
  for (auto& w : todo) {
    const auto& r = requests[w.i];
    const auto& v = r.campaign->variant_of(*r.card);
    // The card vendor's key profile writes them (actors/key_profile.hpp), wrapped under the
    // keyset's KIK or KIc as the profile says.
    const auto& kp = effective_key_profile(*v.def.update.keys);
    key_values kv{w.keys.ki.view(), w.keys.opc.view(), w.keys.sequence, w.keyset, {}};
    if (kp.wrap_key == key_wrap_key::kik) kv.wrap_key = w.kik.view();
    if (kp.wrap_key == key_wrap_key::kic) kv.wrap_key = r.card->kic_key.view();
    auto written = key_commands(kp, v.def.update.cla, &kv);
    if (!written || written->size() != v.key_commands) {
      failures[w.i] = make_error(errc::bad_value,
                                 "key rotation: key profile '" + kp.name + "': " +
                                     (written ? "command count changed" : written.error().message));
      continue;
    }
    std::vector<codec::command_apdu> cmds = card_commands(v, *r.card);
    std::move(written->begin(), written->end(),
              cmds.begin() + static_cast<std::ptrdiff_t>(v.key_file_at));
    auto script = encode_script(cmds, v.def.update.format);
    for (auto it = cmds.begin() + static_cast<std::ptrdiff_t>(v.key_file_at);
         it != cmds.begin() + static_cast<std::ptrdiff_t>(v.key_file_at + v.key_commands); ++it)
      secure_wipe(it->data);
    if (!script) {
      failures[w.i] = make_error(errc::bad_value, "key rotation: " + script.error().message);
      continue;
    }
    scripts[w.i] = std::move(*script);
  }
}

result<por_info> ota_packet_factory::open_por(const card_info& card, const campaign_ctx& campaign,
                                              byte_view user_data) {
  auto packet = codec::response_from_tp_ud(user_data);
  if (!packet) return packet.error();
  const auto& variant = campaign.variant_of(card);
  const auto& sec = variant.def.security;
  secure::response_security rs;
  rs.spi = *codec::decode_spi(sec.spi);
  rs.kic = sec.kic;
  rs.kid = sec.kid;
  rs.kic_key = card.kic_key.view();
  rs.kid_key = card.kid_key.view();
  rs.cc_length = sec.cc_length;
  auto report = secure::inspect_response(*packet, rs);
  if (!report.header_known) return report.failure;
  std::optional<storage::pending_keyset> new_keyset;
  if (variant.def.update.keyset) new_keyset = pending_keyset(card, campaign);
  if (new_keyset && !report.valid) {
    // A card may protect the PoR of a PUT KEY under the keyset it just installed
    // (docs/standards/globalplatform.md): its CC is checked with the new keys too.
    secure::response_security next = rs;
    next.kic_key = new_keyset->keys.kic.view();
    next.kid_key = new_keyset->keys.kid.view();
    auto again = secure::inspect_response(*packet, next);
    if (again.valid && again.fields_known) report = std::move(again);
  }
  if (report.response.tar != sec.tar) {
    return make_error(errc::not_found, "PoR for another TAR");
  }
  // From here the PoR claims to answer this campaign's packets: one that does not carry the
  // protection SPI octet 2 asks for, or whose protection does not check, is rejected and
  // counted (docs/standards/ts102225-secured-packets.md §11). Never a key in the message.
  auto reject = [&](const std::string& why) -> error {
    por_rejected_.fetch_add(1, std::memory_order_relaxed);
    log::get("engine")->warn("campaign {} iccid {}: PoR rejected: {}", campaign.def.id, card.iccid,
                             why);
    return make_error(errc::verification, "PoR rejected: " + why);
  };
  const auto& spi = rs.spi;
  if (!report.valid || !report.fields_known) {
    return reject("SPI " + to_hex(sec.spi, 4, hex_case::upper) + ": " + report.failure.message);
  }
  const auto status = static_cast<std::uint8_t>(report.response.status);
  const bool asks = spi.por_ciphered || spi.por_integrity != codec::integrity::none;
  const bool announcement = status == 0x08 || status == 0x0B || status == 0x0C;
  // Proven: it carries what the SPI asks for (a PoR of an SPI that asks for nothing proves
  // only that it came from the card's MSISDN). An error a card may send unsecured (01-0A)
  // is never proven when it comes so: at most a failed attempt (subscriber_fsm).
  bool proven = report.response.secured;
  if (!asks && status != 0x00 && !announcement) proven = false;
  if (!proven && !por_status_may_be_unsecured(status)) {
    return reject("SPI " + to_hex(sec.spi, 4, hex_case::upper) + ": unsecured PoR with status " +
                  to_hex(status, 2, hex_case::upper) + ", which a card sends only secured");
  }
  // A key update commits keys on the PoR OK: only a checksum or signature may say so, whatever
  // the SPI (campaign_def refuses such SPIs; this guards definitions stored before that rule).
  const bool keys = variant.def.update.keys || variant.def.update.suci || variant.def.update.keyset;
  if (status == 0x00 && keys && spi.por_integrity != codec::integrity::cc &&
      spi.por_integrity != codec::integrity::ds) {
    return reject("SPI " + to_hex(sec.spi, 4, hex_case::upper) +
                  ": a key update is confirmed only by a PoR with a CC or DS");
  }
  por_info p;
  p.counter = report.response.counter;
  p.status = status;
  p.verified = proven;
  if (p.status == 0 && !report.response.data.empty()) {
    if (variant.def.update.format == script_format::compact) {
      auto r = codec::decode_compact_response(report.response.data);
      if (r) {
        p.script_sw = r->last_sw;
        p.executed = r->executed;
        p.script_data = std::move(r->last_data);
      }
    } else {
      auto r = codec::decode_expanded_response(report.response.data);
      if (r) {
        if (auto last = r->last_response()) {
          p.script_sw = last->sw;
          p.script_data = std::move(last->data);
        }
        p.executed = static_cast<std::uint8_t>(r->executed_count());
      }
    }
  }
  // A PUT KEY commits only when the card's KCVs are those of the keys sent (GP 2.3 §11.8.3).
  if (variant.def.update.keyset && p.status == 0 && p.script_sw && *p.script_sw == 0x9000) {
    if (!new_keyset) {
      p.failure = "PUT KEY answered, but no pending keyset of this campaign is in the repository";
    } else if (auto st = check_put_key_response(*new_keyset, p.script_data); !st) {
      p.failure = st.error().message;
    }
  } else if (variant.def.update.keyset && p.status == 0 && !p.script_sw) {
    p.failure = "PUT KEY: the PoR carries no response to the command";
  }
  return p;
}

std::optional<storage::pending_keyset> ota_packet_factory::pending_keyset(
    const card_info& card, const campaign_ctx& campaign) const {
  if (!state_) return std::nullopt;
  auto p = state_->keys().get_pending_keyset(card.iccid, campaign.def.id);
  if (!p || !*p) return std::nullopt;
  return std::move(*p);
}

}  // namespace otaflow::actors
