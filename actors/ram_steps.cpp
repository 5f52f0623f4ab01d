#include "actors/ram_steps.hpp"

#include <algorithm>

#include "codec/gp_commands.hpp"
#include "codec/gp_constants.hpp"
#include "codec/ts102225_spi.hpp"
#include "codec/ts102226_script.hpp"
#include "codec/ts31115_sms.hpp"
#include "secure/scp80.hpp"
#include "secure/signing.hpp"

namespace otaflow::actors {
namespace {

namespace gp = codec::gp;
using cmd_list = std::vector<codec::command_apdu>;

// The GP builders write case 4 commands (data and Le 00). A compact script is in T=0 form, where
// P3 is Lc and no Le follows (TS 102 226 §5.1.2): the card returns the response data in the
// compact response all the same. The expanded form keeps Le.
result<bytes> encode(cmd_list cmds, script_format f) {
  if (f == script_format::expanded) return codec::expanded_script(cmds);
  for (auto& c : cmds)
    if (!c.data.empty()) c.le.reset();
  return codec::compact_script(cmds);
}

error ram_error(const std::string& where, const std::string& what) {
  return make_error(errc::bad_value, "update.ram" + where + ": " + what);
}

// One step: its commands encoded, its SMS counted, refused over max_sms.
result<prepared_step> make_step(const variant_def& v, step_kind kind, const cmd_list& cmds,
                                const std::string& what) {
  prepared_step s;
  s.kind = kind;
  auto script = encode(cmds, v.update.format);
  if (!script) return ram_error("", what + ": " + script.error().message);
  auto sms = packet_sms(v.security, *script);
  if (!sms) return ram_error("", what + ": " + sms.error().message);
  if (*sms > v.update.ram->max_sms)
    return ram_error(".max_sms", what + " takes " + std::to_string(*sms) + " SMS, more than " +
                                     std::to_string(v.update.ram->max_sms));
  s.script = std::move(*script);
  s.commands = static_cast<std::uint8_t>(cmds.size());
  s.sms = *sms;
  return s;
}

// The largest script that fits `max_sms` SMS (binary search on a script of zeros).
result<std::size_t> script_capacity(const security_def& sec, std::size_t max_sms) {
  std::size_t lo = 0, hi = max_sms * codec::max_tp_ud;
  while (lo < hi) {
    const std::size_t mid = (lo + hi + 1) / 2;
    auto n = packet_sms(sec, bytes(mid, 0));
    if (n && *n <= max_sms) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

// block_size 0: the largest block such that whole blocks fill the packet best.
result<std::size_t> choose_block_size(const variant_def& v) {
  const auto& ram = *v.update.ram;
  if (ram.block_size != 0) return std::size_t{ram.block_size};
  auto cap = script_capacity(v.security, ram.max_sms);
  if (!cap) return cap.error();
  // What one LOAD of b octets costs in the script besides its data.
  codec::command_apdu probe;
  probe.cla = gp::cla;
  probe.ins = gp::ins::load;
  probe.data = bytes(200, 0);
  auto one = encode({probe}, v.update.format);
  if (!one) return one.error();
  const std::size_t overhead = one->size() - 200 + 2;  // +2: room for a Le or length growth
  const std::size_t n = (*cap + 255 + overhead - 1) / (255 + overhead);
  if (n == 0 || *cap / n <= overhead)
    return ram_error(".max_sms", std::to_string(ram.max_sms) + " SMS carry no LOAD block");
  return std::min<std::size_t>(255, *cap / n - overhead);
}

// INSTALL [for load] and the LOADs, as many blocks per packet as fit max_sms.
status load_steps(const variant_def& v, prepared_variant& out) {
  const auto& ram = *v.update.ram;
  gp::install_for_load in;
  in.load_file_aid = ram.package;
  in.sd_aid = ram.sd;
  if (ram.hash == ram_hash::sha1) {
    const auto h = secure::sha1(ram.load_file);
    in.hash.assign(h.begin(), h.end());
  } else if (ram.hash == ram_hash::sha256) {
    const auto h = secure::sha256({byte_view(ram.load_file)});
    in.hash.assign(h.begin(), h.end());
  }
  auto ifl = gp::build_install_for_load(in);
  if (!ifl) return ram_error("", ifl.error().message);
  auto first = make_step(v, step_kind::install_for_load, {*ifl}, "INSTALL [for load]");
  if (!first) return first.error();
  out.steps.push_back(std::move(*first));
  auto block = choose_block_size(v);
  if (!block) return block.error();
  auto data = gp::encode_load_data(ram.load_file);
  if (!data) return ram_error(".load_file", data.error().message);
  auto loads = gp::build_load(*data, *block);
  if (!loads) return ram_error(".block_size", loads.error().message);
  std::size_t i = 0;
  while (i < loads->size()) {
    cmd_list cmds{(*loads)[i]};
    auto step =
        make_step(v, step_kind::load, cmds,
                  "LOAD block " + std::to_string(i) + " (" + std::to_string(*block) + " octets)");
    if (!step) return step.error();
    std::size_t next = i + 1;
    while (next < loads->size()) {
      cmds.push_back((*loads)[next]);
      auto bigger = make_step(v, step_kind::load, cmds, "LOADs");
      if (!bigger) break;
      *step = std::move(*bigger);
      ++next;
    }
    out.steps.push_back(std::move(*step));
    i = next;
  }
  return {};
}

status install_steps(const variant_def& v, prepared_variant& out) {
  const auto& ram = *v.update.ram;
  cmd_list pending;
  for (std::size_t i = 0; i < ram.installs.size(); ++i) {
    const auto& d = ram.installs[i];
    gp::install_for_install in;
    in.load_file_aid = d.package;
    in.module_aid = d.module;
    in.instance_aid = d.instance;
    in.privileges = d.privileges;
    in.parameters.application = d.params;
    in.make_selectable = d.selectable;
    auto c = gp::build_install_for_install(in);
    if (!c) return ram_error(".install[" + std::to_string(i) + "]", c.error().message);
    // Several installs share a packet while it fits.
    pending.push_back(*c);
    if (pending.size() > 1 && !make_step(v, step_kind::script, pending, "INSTALLs")) {
      pending.pop_back();
      auto s = make_step(v, step_kind::script, pending, "INSTALLs");
      if (!s) return s.error();
      out.steps.push_back(std::move(*s));
      pending = {*c};
    }
  }
  if (!pending.empty()) {
    auto s = make_step(v, step_kind::script, pending, "INSTALL [for install]");
    if (!s) return s.error();
    out.steps.push_back(std::move(*s));
  }
  return {};
}

}  // namespace

result<std::size_t> packet_sms(const security_def& sec, byte_view script) {
  auto spi = codec::decode_spi(sec.spi);
  if (!spi) return spi.error();
  // Throw-away keys: 16 octets fit AES-128 and 2-key 3DES; single DES takes 8, 3-key 3DES 24.
  status last;
  for (const std::size_t len : {16, 24, 8, 32}) {
    const bytes key(len, 0x11);
    secure::command_params p;
    p.spi = *spi;
    p.kic = sec.kic;
    p.kid = sec.kid;
    p.tar = sec.tar;
    p.counter = 1;
    p.kic_key = key;
    p.kid_key = key;
    p.cc_length = sec.cc_length;
    auto packet = secure::secure_command(p, script);
    if (!packet) {
      last = packet.error();
      continue;
    }
    auto sms = codec::command_to_tp_ud(*packet);
    if (!sms) return sms.error();
    return sms->size();
  }
  return last.error();
}

result<bytes> list_page_script(const prepared_step& step, std::uint16_t page,
                               script_format format) {
  if (page == 0) return step.script;
  auto cmds = format == script_format::compact ? codec::decode_compact_script(step.script)
                                               : result<cmd_list>(cmd_list{});
  if (format == script_format::expanded) {
    auto scan = codec::scan_expanded_command(step.script);
    if (!scan) return scan.error();
    cmd_list list;
    for (const auto& item : scan->script.items)
      if (const auto* c = std::get_if<codec::command_apdu>(&item)) list.push_back(*c);
    cmds = std::move(list);
  }
  if (!cmds) return cmds.error();
  auto next = codec::decode_command_apdu(step.next_command);
  if (!next) return next.error();
  for (std::uint16_t i = 0; i < page; ++i) cmds->push_back(*next);
  return encode(*cmds, format);
}

status build_ram_steps(const variant_def& v, prepared_variant& out) {
  const auto& ram = *v.update.ram;
  for (std::size_t i = 0; i < ram.deletes.size(); ++i) {
    auto c = gp::build_delete(ram.deletes[i].aid, ram.deletes[i].related);
    if (!c) return ram_error(".delete[" + std::to_string(i) + "]", c.error().message);
    auto s = make_step(v, step_kind::remove, {*c}, "DELETE");
    if (!s) return s.error();
    out.steps.push_back(std::move(*s));
  }
  if (!ram.load_file.empty()) OTAFLOW_TRY(load_steps(v, out));
  OTAFLOW_TRY(install_steps(v, out));
  for (const auto scope : ram.list) {
    auto c = gp::build_get_status(scope, {}, false);
    auto n = gp::build_get_status(scope, {}, true);
    if (!c || !n) return ram_error(".list", "GET STATUS " + ram_scope_name(scope));
    auto s = make_step(v, step_kind::list, {*c}, "GET STATUS " + ram_scope_name(scope));
    if (!s) return s.error();
    auto next = codec::encode_command_apdu(*n);
    if (!next) return next.error();
    s->next_command = std::move(*next);
    out.steps.push_back(std::move(*s));
  }
  if (out.steps.size() > 0xFFFF) return ram_error("", "more than 65535 steps");
  out.step_kinds.clear();
  for (const auto& s : out.steps) out.step_kinds.push_back(s.kind);
  return {};
}

}  // namespace otaflow::actors
